/**
 * globalSetup of the `workerd-sink` test project: starts the test `/produce` endpoint on 127.0.0.1 and
 * hands its URL to the project's Miniflare bindings (UPSTASH_KAFKA_REST_*), so the HostMonitor objects
 * under test deliver their outbox to it through the real `@upstash/kafka` client.
 */
import type { TestProject } from "vitest/node";
import { startProduceServer } from "../../scripts/testing/produce-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    produceUrl: string;
    produceUser: string;
    producePassword: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startProduceServer();
  project.provide("produceUrl", server.url);
  project.provide("produceUser", server.username);
  project.provide("producePassword", server.password);
  return () => server.close();
}
