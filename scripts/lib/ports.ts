/**
 * Ports for servers that tests, benchmarks and scripts start on 127.0.0.1. The rule, for every server:
 *
 * 1. Where the server can bind port 0, let it, and read the port it got from the server itself (its log
 *    line, `server.address()`): nothing can take that port in between. wrangler dev does this (see
 *    wrangler-dev.ts), so do the Node test servers.
 * 2. Where the port must be known before the server starts (a broker that advertises its address, a
 *    database started with `-p`), start it through `onFreePort`: a port the OS calls free, and a fresh
 *    one whenever the start fails because the port was taken in the meantime.
 * 3. Either way, readiness means *this* server answers: a probe that only it passes (its own Ready
 *    line, its data directory's pid file, an identity in its answer), never "something answered".
 */
import { createServer } from "node:net";

/** A port the OS considers free right now on `ip`. Another process may take it before you bind it. */
export async function freePort(ip = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host: ip, port: 0 }, () => {
      const addr = server.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface OnFreePortOptions {
  /** Whether an error of `start` means "the port was taken": only those are retried. */
  portTaken: (e: unknown) => boolean;
  /** Starts tried at most (default 5). */
  attempts?: number;
  /** Where ports come from (default freePort on 127.0.0.1). */
  pick?: () => Promise<number>;
}

/**
 * Runs `start(port)` on a port that was free a moment ago; when `start` fails because the port was
 * taken in between (`portTaken`), tries again on a new port, at most `attempts` times. Any other error
 * is thrown at once.
 */
export async function onFreePort<T>(
  start: (port: number) => Promise<T>,
  o: OnFreePortOptions,
): Promise<{ port: number; value: T }> {
  const attempts = o.attempts ?? 5;
  const pick = o.pick ?? (() => freePort());
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    const port = await pick();
    try {
      return { port, value: await start(port) };
    } catch (e) {
      if (!o.portTaken(e)) throw e;
      last = e;
    }
  }
  throw new Error(`no free port after ${attempts} attempts`, { cause: last });
}

/** `portTaken` for servers that fail with Node's EADDRINUSE. */
export const isAddrInUse = (e: unknown): boolean =>
  typeof e === "object" && e !== null && "code" in e && e.code === "EADDRINUSE";
