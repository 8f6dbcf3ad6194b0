/**
 * Unhandled errors go to Sentry through toucan-js when `SENTRY_DSN` is set. The report is sent in the
 * background (`waitUntil`) so it never delays the 500 the client gets.
 */
import { Toucan } from "toucan-js";
import type { AppContext } from "./context.ts";

export function reportToSentry(c: AppContext, err: unknown): void {
  console.error("unhandled error", err);
  const dsn = c.env.SENTRY_DSN;
  if (!dsn) return;
  try {
    const sentry = new Toucan({ dsn, context: c.executionCtx, request: c.req.raw, environment: "edge" });
    sentry.captureException(err);
  } catch (e) {
    console.error("sentry report failed", e);
  }
}
