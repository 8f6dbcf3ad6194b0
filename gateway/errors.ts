/**
 * Errors are data: a {@link GatewayError} carries a code, and {@link statusOf} is the one place codes
 * become HTTP statuses. Every error answer is `{"error": "<message>", "status": N}` with the same HTTP
 * status — `@upstash/kafka` reads the status from the body, not from the status line.
 */
import type { KafkaClientError } from "./kafka/types.ts";

export type GatewayErrorCode =
  | "unauthorized"
  | "bad_request"
  | "too_large"
  | "not_found"
  | "method_not_allowed"
  /** The broker is unreachable, timed out, or the gateway is shutting down: worth a retry. */
  | "unavailable"
  /** The broker refused the records for a reason a retry will not fix. */
  | "broker_rejected"
  | "internal";

export function statusOf(code: GatewayErrorCode): 400 | 401 | 404 | 405 | 413 | 500 | 502 | 503 {
  switch (code) {
    case "unauthorized":
      return 401;
    case "bad_request":
      return 400;
    case "too_large":
      return 413;
    case "not_found":
      return 404;
    case "method_not_allowed":
      return 405;
    case "unavailable":
      return 503;
    case "broker_rejected":
      return 502;
    case "internal":
      return 500;
  }
}

export class GatewayError extends Error {
  override readonly name = "GatewayError";
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get status(): ReturnType<typeof statusOf> {
    return statusOf(this.code);
  }
}

/** A Kafka client failure as the gateway answers it. */
export function fromKafkaError(e: KafkaClientError): GatewayError {
  switch (e.kind) {
    case "unavailable":
    case "timeout":
      return new GatewayError("unavailable", `Kafka unavailable: ${e.message}`, { cause: e });
    case "too_large":
      return new GatewayError("too_large", e.message, { cause: e });
    case "rejected":
      return new GatewayError("broker_rejected", `Kafka rejected the records: ${e.message}`, { cause: e });
  }
}
