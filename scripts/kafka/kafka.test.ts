/**
 * A real Apache Kafka broker (KRaft, one node) on 127.0.0.1: fetched on first use into the jar cache,
 * started, given the event topics, stopped with nothing of it left. Skipped, loudly, where Java or
 * Maven is missing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEAD_LETTER_TOPIC, EVENT_TOPICS } from "../../contracts/events.ts";
import { groupProcesses } from "../lib/process-group.ts";
import {
  createTopics,
  describeTopics,
  kafkaToolsMissing,
  newClusterId,
  startKafka,
  type RunningKafka,
} from "./kafka.ts";

const missing = kafkaToolsMissing();
if (missing) console.warn(`\n[kafka.test] SKIPPED: ${missing}\n`);

describe("newClusterId", () => {
  it("never starts with '-', which StorageTool would take for an option", () => {
    // 0xf8 as the first byte encodes to "-" in base64url; the first draw must be thrown away.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x41)];
    const id = newClusterId(() => draws.shift()!);
    expect(Buffer.alloc(16, 0xf8).toString("base64url").startsWith("-")).toBe(true);
    expect(id).toBe(Buffer.alloc(16, 0x41).toString("base64url"));
    expect(id).toHaveLength(22);
  });
});

describe.skipIf(missing !== null)("Apache Kafka on 127.0.0.1", () => {
  const dir = mkdtempSync(join(tmpdir(), "kafka-test-"));
  const started: RunningKafka[] = [];
  afterAll(async () => {
    for (const k of started) await k.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("starts a KRaft broker, creates the event topics with their partitions, stops leaving nothing", async () => {
    const lines: string[] = [];
    const k = await startKafka({ dataDir: dir, log: (l) => lines.push(l) });
    started.push(k);
    expect(k.bootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(lines.at(-1)).toMatch(/^Kafka 4\.\d+\.\d+ ready on 127\.0\.0\.1:\d+/);
    expect(groupProcesses(k.pgid()).length).toBeGreaterThan(0);

    const wanted = [
      ...EVENT_TOPICS.map((name) => ({ name, partitions: 4 })),
      { name: DEAD_LETTER_TOPIC, partitions: 1 },
    ];
    await createTopics(k, wanted);
    await createTopics(k, wanted); // again: already there is fine
    const topics = describeTopics(k);
    for (const t of wanted) expect(topics.get(t.name), t.name).toBe(t.partitions);

    const r = await k.stop();
    expect(r.leftovers).toEqual([]);
    expect(groupProcesses(k.pgid())).toEqual([]);
  }, 240_000);
});
