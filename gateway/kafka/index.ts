/** Picks the {@link KafkaClient} implementation by name (`GATEWAY_KAFKA_CLIENT`). */
import { createKafkajsClient } from "./kafkajs.ts";
import { createPlatformaticClient } from "./platformatic.ts";
import type { KafkaClient, KafkaClientName, KafkaClientOptions } from "./types.ts";

export * from "./types.ts";

export function createKafkaClient(name: KafkaClientName, options: KafkaClientOptions): KafkaClient {
  switch (name) {
    case "kafkajs":
      return createKafkajsClient(options);
    case "platformatic":
      return createPlatformaticClient(options);
  }
}
