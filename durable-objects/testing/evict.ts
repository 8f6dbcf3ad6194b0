/**
 * Evicts one Durable Object in the workerd tests: its in-memory state (scorer, model handle, caches) is
 * dropped and its storage kept, as when the runtime evicts an idle object. `ctx.abort()` resets the
 * object; the next call through a *new* stub (`fresh()`) starts a new instance on the same storage.
 * @cloudflare/vitest-pool-workers 0.15 (the last release that runs on Node 20) has no per-object
 * eviction helper, and its `abortAllDurableObjects` would reset every object of the test, the ones
 * compared against included.
 */
import { runInDurableObject } from "cloudflare:test";

const MARK = Symbol.for("evict.test.mark");

export async function evict(stub: DurableObjectStub, fresh: () => DurableObjectStub): Promise<void> {
  await runInDurableObject(stub, (instance: object, state: DurableObjectState) => {
    Reflect.set(instance, MARK, true);
    state.abort("evicted by the test");
  }).then(
    () => {
      throw new Error("ctx.abort() returned: the object was not reset");
    },
    (e: unknown) => {
      if (!(e instanceof Error) || !e.message.includes("evicted by the test")) throw e;
    },
  );
  // The object really is a new instance now (the mark lived only in the old one's memory).
  const marked = await runInDurableObject(
    fresh(),
    (instance: object) => Reflect.get(instance, MARK) === true,
  );
  if (marked) throw new Error("the object was not evicted: the same instance answered");
}
