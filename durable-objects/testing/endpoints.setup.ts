/**
 * globalSetup of the `workerd-ext` test project: starts the external endpoints on 127.0.0.1 — the test
 * `/produce` endpoint (Upstash Kafka REST) and a Sentry recorder — and hands their URLs to the
 * project's Miniflare bindings (UPSTASH_KAFKA_REST_*, SENTRY_DSN), so the Worker and its objects talk
 * to them through the real `@upstash/kafka` and toucan-js clients.
 */
import type { TestProject } from "vitest/node";
import { startProduceServer } from "../../scripts/testing/produce-server.ts";
import { startSentryRecorder } from "../../scripts/testing/sentry-recorder.ts";

declare module "vitest" {
  export interface ProvidedContext {
    produceUrl: string;
    produceUser: string;
    producePassword: string;
    sentryUrl: string;
    sentryDsn: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const produce = await startProduceServer();
  const sentry = await startSentryRecorder();
  project.provide("produceUrl", produce.url);
  project.provide("produceUser", produce.username);
  project.provide("producePassword", produce.password);
  project.provide("sentryUrl", sentry.url);
  project.provide("sentryDsn", sentry.dsn);
  return async () => {
    await produce.close();
    await sentry.close();
  };
}
