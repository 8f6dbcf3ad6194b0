/**
 * Worker entry: the Hono app plus the Durable Object classes wrangler binds (wrangler.toml).
 */
import { createApp } from "./app.ts";

export { HostMonitor } from "../durable-objects/host-monitor.ts";
export { HostIndex } from "../durable-objects/host-index.ts";

const app = createApp();
export default app;
