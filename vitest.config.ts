import { createHash } from "node:crypto";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { TEST_KEYS, TEST_TENANTS } from "./worker/testing/keys.ts";

/** `API_KEYS` for the workerd tests: hashes of the test-only keys. */
const API_KEYS = JSON.stringify(
  (Object.keys(TEST_KEYS) as (keyof typeof TEST_KEYS)[]).map((k) => ({
    ...TEST_TENANTS[k],
    sha256: createHash("sha256").update(TEST_KEYS[k]).digest("hex"),
  })),
);

/** Tests named `*.workerd.test.ts` run inside workerd; every other test runs in Node. */
const WORKERD_TESTS = ["worker/**/*.workerd.test.ts", "durable-objects/**/*.workerd.test.ts"];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: [
            "model/**/*.test.ts",
            "scripts/**/*.test.ts",
            "worker/**/*.test.ts",
            "durable-objects/**/*.test.ts",
            "contracts/**/*.test.ts",
            "gateway/**/*.test.ts",
            "timescale/**/*.test.ts",
            "exporter/**/*.test.ts",
            "prometheus/**/*.test.ts",
            "grafana/**/*.test.ts",
            "simulator/**/*.test.ts",
          ],
          exclude: [...WORKERD_TESTS, "**/node_modules/**", "**/*.ext.workerd.test.ts"],
          // Training/export tests call PyTorch; give them room on a 2-core box.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { API_KEYS } },
          }),
        ],
        test: {
          name: "workerd",
          include: WORKERD_TESTS,
          exclude: ["**/*.ext.workerd.test.ts", "**/*.gateway.workerd.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The same Worker with its external endpoints configured: the gateway sink (a test `/produce`
        // endpoint) and Sentry (a recorder).
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                API_KEYS,
                UPSTASH_KAFKA_REST_URL: inject("produceUrl"),
                UPSTASH_KAFKA_REST_USERNAME: inject("produceUser"),
                UPSTASH_KAFKA_REST_PASSWORD: inject("producePassword"),
                // Retries are driven by the tests (runDurableObjectAlarm), not by the clock.
                SINK_RETRY_BASE_MS: "120000",
                SENTRY_DSN: inject("sentryDsn"),
              },
            },
          })),
        ],
        test: {
          name: "workerd-ext",
          include: ["worker/**/*.ext.workerd.test.ts", "durable-objects/**/*.ext.workerd.test.ts"],
          globalSetup: ["durable-objects/testing/endpoints.setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The same Worker with its sink pointed at the real gateway in front of a real Apache Kafka
        // (started by the globalSetup, with a read endpoint the tests use to see what Kafka holds).
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                API_KEYS,
                UPSTASH_KAFKA_REST_URL: inject("gatewayUrl"),
                UPSTASH_KAFKA_REST_USERNAME: inject("gatewayUser"),
                UPSTASH_KAFKA_REST_PASSWORD: inject("gatewayPassword"),
                SINK_RETRY_BASE_MS: "120000",
              },
            },
          })),
        ],
        test: {
          name: "workerd-gateway",
          include: ["durable-objects/**/*.gateway.workerd.test.ts"],
          globalSetup: ["gateway/testing/kafka-gateway.setup.ts"],
          testTimeout: 90_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
