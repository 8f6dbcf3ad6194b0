/* global fetch, AbortSignal */
/**
 * A container health check without curl or wget (the Node image has neither):
 * `node docker/healthcheck.mjs URL` exits 0 when GET URL answers 2xx within 3 s, 1 otherwise, 2 on
 * bad usage. The reason goes to stderr, which Docker keeps in `docker inspect`'s health log.
 */
const url = process.argv[2];
if (url === undefined) {
  console.error("usage: node docker/healthcheck.mjs URL");
  process.exit(2);
}
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) {
    console.error(`${url}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
    process.exit(1);
  }
} catch (e) {
  console.error(`${url}: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
