/**
 * TEST HELPER: a tiny HTTP endpoint on 127.0.0.1 that reads records from Kafka with kafkajs and
 * serves them as JSON, for tests running inside workerd (which cannot run a Kafka client).
 *
 * `GET /read?topics=metrics,alerts&keyPrefix=acme/web-1&count=3&timeoutMs=20000` → `ConsumedRecord[]`
 * (see consume.ts): a fresh consumer group from the beginning, the records whose key starts with
 * `keyPrefix`, until `count` arrived or the timeout passed (at most 60 s).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { readRecords } from "./consume.ts";

const Query = z.object({
  topics: z.string().transform((s) => s.split(",").filter((t) => t.length > 0)),
  keyPrefix: z.string().default(""),
  count: z.coerce.number().int().positive().max(100_000),
  timeoutMs: z.coerce.number().int().positive().max(60_000).default(20_000),
});

export async function startReadServer(bootstrap: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const send = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.method !== "GET" || url.pathname !== "/read")
      return send(404, { error: "no route", status: 404 });
    const q = Query.safeParse(Object.fromEntries(url.searchParams));
    if (!q.success) return send(400, { error: z.prettifyError(q.error), status: 400 });
    readRecords(bootstrap, {
      topics: q.data.topics,
      count: q.data.count,
      timeoutMs: q.data.timeoutMs,
      filter: (r) => r.key?.startsWith(q.data.keyPrefix) ?? false,
    }).then(
      (records) => send(200, records),
      (e: unknown) => send(503, { error: e instanceof Error ? e.message : String(e), status: 503 }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
