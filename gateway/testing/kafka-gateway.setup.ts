/**
 * globalSetup of the `workerd-gateway` test project: a real Apache Kafka with the pipeline topics, the
 * gateway in front of it (random credentials) and a read endpoint (read-server.ts), all on 127.0.0.1.
 * Their URLs go to the project's Miniflare bindings (UPSTASH_KAFKA_REST_*) and to the tests through
 * `inject`. Without Java/Maven it starts nothing and provides `gatewaySkip` (the tests skip loudly).
 */
import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { startGateway } from "../server.ts";
import { missing, startTestKafka } from "./kafka.ts";
import { startReadServer } from "./read-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    gatewayUrl: string;
    gatewayUser: string;
    gatewayPassword: string;
    kafkaReadUrl: string;
    /** Why the pipeline cannot run here ("" when it can). */
    gatewaySkip: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const placeholders = () => {
    project.provide("gatewayUrl", "http://127.0.0.1:9");
    project.provide("gatewayUser", "none");
    project.provide("gatewayPassword", "none");
    project.provide("kafkaReadUrl", "http://127.0.0.1:9");
  };
  if (missing) {
    placeholders();
    project.provide("gatewaySkip", missing);
    return async () => undefined;
  }
  const kafka = await startTestKafka("workerd-gateway");
  const password = randomBytes(16).toString("base64url");
  try {
    const gateway = await startGateway({
      brokers: [kafka.bootstrap],
      username: "edge",
      password,
      log: () => undefined,
    });
    const reader = await startReadServer(kafka.bootstrap);
    project.provide("gatewayUrl", gateway.url);
    project.provide("gatewayUser", "edge");
    project.provide("gatewayPassword", password);
    project.provide("kafkaReadUrl", reader.url);
    project.provide("gatewaySkip", "");
    return async () => {
      await reader.close();
      await gateway.close();
      await kafka.cleanup();
    };
  } catch (e) {
    await kafka.cleanup();
    throw e;
  }
}
