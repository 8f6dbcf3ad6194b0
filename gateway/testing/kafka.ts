/**
 * One real Kafka broker for a gateway test file: started in a temporary directory with the pipeline
 * topics (4 partitions; dead-letter 1), stopped and removed by `stop()`. `missing` says why Kafka
 * cannot run here (no Java/Maven), for a loud skip.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEAD_LETTER_TOPIC, EVENT_TOPICS } from "../../contracts/events.ts";
import { createTopics, kafkaToolsMissing, startKafka, type RunningKafka } from "../../scripts/kafka/kafka.ts";

export const missing = kafkaToolsMissing();

export const PIPELINE_TOPICS = [
  ...EVENT_TOPICS.map((name) => ({ name, partitions: 4 })),
  { name: DEAD_LETTER_TOPIC, partitions: 1 },
];

export async function startTestKafka(prefix: string): Promise<RunningKafka & { cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  try {
    const k = await startKafka({ dataDir: dir });
    await createTopics(k, PIPELINE_TOPICS);
    return {
      ...k,
      async cleanup() {
        await k.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
