/**
 * What `npm run bench:pipeline` has started (brokers, database clusters, wrangler dev, the gateway,
 * connectors), so everything is stopped — newest first — at the end, on an error and on Ctrl-C.
 */
export class Resources {
  private readonly items = new Map<number, { name: string; stop: () => Promise<unknown> }>();
  private next = 0;

  constructor(private readonly log: (line: string) => void) {}

  /**
   * Registers a started thing; returns its stopper, which runs `stop` once and forgets it (call it
   * when the part is done with it; `stopAll` stops whatever is still registered).
   */
  add(name: string, stop: () => Promise<unknown>): () => Promise<void> {
    const id = this.next++;
    this.items.set(id, { name, stop });
    return async () => {
      const item = this.items.get(id);
      if (!item) return;
      this.items.delete(id);
      await item.stop();
    };
  }

  /** Names of what is still running, oldest first. */
  names(): string[] {
    return [...this.items.values()].map((i) => i.name);
  }

  /** Stops everything still registered, newest first; a failure is logged and the rest still stopped. */
  async stopAll(): Promise<void> {
    for (const id of [...this.items.keys()].reverse()) {
      const item = this.items.get(id);
      if (!item) continue;
      this.items.delete(id);
      try {
        await item.stop();
      } catch (e) {
        this.log(`stopping ${item.name} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}
