/**
 * The gateway's Prometheus metrics (prom-client), in a registry of its own per gateway instance so
 * several gateways in one process (tests, benchmarks) do not collide. Labels are bounded by design:
 * routes are the registered ones (or "other"), topics are the allow-list, error kinds a fixed set.
 */
import { Counter, Histogram, Registry } from "prom-client";

export const ERROR_KINDS = [
  "unauthorized",
  "bad_request",
  "too_large",
  "not_found",
  "method_not_allowed",
  "unavailable",
  "broker_rejected",
  "internal",
] as const;

export interface GatewayMetrics {
  registry: Registry;
  requests: Counter<"route" | "method" | "status">;
  records: Counter<"topic">;
  errors: Counter<"kind">;
  produceSeconds: Histogram<"outcome">;
}

export function createMetrics(topics: readonly string[]): GatewayMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: "gateway_http_requests_total",
    help: "HTTP requests answered, by route, method and status",
    labelNames: ["route", "method", "status"] as const,
    registers: [registry],
  });
  const records = new Counter({
    name: "gateway_records_produced_total",
    help: "Records the broker acknowledged, by topic",
    labelNames: ["topic"] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: "gateway_errors_total",
    help: "Error answers by kind (401 unauthorized, 400 bad_request, 413 too_large, 503 unavailable, …)",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  const produceSeconds = new Histogram({
    name: "gateway_produce_duration_seconds",
    help: "Time of one send to the broker (several requests may share a send), by outcome",
    labelNames: ["outcome"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // Present from the first scrape, so rate() and absent() behave.
  for (const t of topics) records.inc({ topic: t }, 0);
  for (const k of ERROR_KINDS) errors.inc({ kind: k }, 0);
  return { registry, requests, records, errors, produceSeconds };
}
