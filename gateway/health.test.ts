/**
 * The gateway when Kafka goes away (its own broker, stopped mid-file): /health turns 503 and a
 * produce answers 503 within its bounds — for both clients. Skipped loudly without Java/Maven.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KAFKA_CLIENTS } from "./kafka/types.ts";
import { startGateway, type RunningGateway } from "./server.ts";
import { missing, startTestKafka } from "./testing/kafka.ts";

if (missing) console.warn(`\n[gateway health.test] SKIPPED: ${missing}\n`);

describe.skipIf(missing !== null)("gateway health follows the broker", () => {
  const auth = `Basic ${Buffer.from("edge:secret-pw").toString("base64")}`;
  let kafka: Awaited<ReturnType<typeof startTestKafka>>;
  const gateways = new Map<string, RunningGateway>();
  beforeAll(async () => {
    kafka = await startTestKafka("gateway-health");
    for (const kafkaClient of KAFKA_CLIENTS)
      gateways.set(
        kafkaClient,
        await startGateway({
          brokers: [kafka.bootstrap],
          username: "edge",
          password: "secret-pw",
          kafkaClient,
          requestTimeoutMs: 1000,
          healthTimeoutMs: 1000,
          log: () => undefined,
        }),
      );
  }, 120_000);
  afterAll(async () => {
    for (const gw of gateways.values()) await gw.close();
    await kafka?.cleanup();
  }, 60_000);

  const produce = (gw: RunningGateway) =>
    fetch(`${gw.url}/produce`, {
      method: "POST",
      headers: { authorization: auth },
      body: JSON.stringify({ topic: "metrics", value: "v", key: "t/h" }),
    });

  it("200 while the broker is up, 503 for /health and produce once it is stopped", async () => {
    for (const [name, gw] of gateways) {
      const up = await fetch(`${gw.url}/health`);
      expect(up.status, name).toBe(200);
      expect(await up.json()).toMatchObject({ status: "ok", broker: { reachable: true, client: name } });
      expect((await produce(gw)).status, name).toBe(200);
    }
    await kafka.stop();
    for (const [name, gw] of gateways) {
      const down = await fetch(`${gw.url}/health`);
      expect(down.status, name).toBe(503);
      expect(await down.json()).toMatchObject({
        status: 503,
        error: expect.stringMatching(/^Kafka unreachable/),
      });
      const res = await produce(gw);
      expect(res.status, name).toBe(503);
      expect(await res.json()).toMatchObject({
        status: 503,
        error: expect.stringMatching(/^Kafka unavailable/),
      });
    }
  }, 120_000);
});
