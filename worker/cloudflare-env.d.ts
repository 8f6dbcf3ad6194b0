// Tells the Workers types what this project's `env` and main module are (what `wrangler types` would
// generate), so `cloudflare:test`'s `env` and `cloudflare:workers`' `exports` are typed in tests.
import type { Env as WorkerEnv } from "./env.ts";
import type * as Main from "./index.ts";

declare global {
  namespace Cloudflare {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging
    interface Env extends WorkerEnv {}
    interface GlobalProps {
      mainModule: typeof Main;
      durableNamespaces: "HostMonitor" | "HostIndex";
    }
  }
}
