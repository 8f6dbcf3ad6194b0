/**
 * TEST ENDPOINT: records whatever a Sentry SDK sends (any POST, any path), so tests can check that an
 * unhandled error really leaves the Worker. Binds 127.0.0.1. The DSN to use is `dsn`
 * (`http://<key>@127.0.0.1:<port>/1`); envelopes arrive at `/api/1/envelope/`.
 * `GET /_control/received` lists `{path, body}` of what arrived; `POST /_control/reset` clears it.
 */
import { createServer } from "node:http";

export interface SentryRecorder {
  url: string;
  dsn: string;
  received(): { path: string; body: string }[];
  close(): Promise<void>;
}

export async function startSentryRecorder(): Promise<SentryRecorder> {
  let received: { path: string; body: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      if (req.method === "GET" && path === "/_control/received") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(received));
      } else if (req.method === "POST" && path === "/_control/reset") {
        received = [];
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      } else {
        received.push({ path, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("sentry recorder: no port");
  const url = `http://127.0.0.1:${addr.port}`;
  return {
    url,
    dsn: `http://0123456789abcdef0123456789abcdef@127.0.0.1:${addr.port}/1`,
    received: () => received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
