/**
 * What `npm run bench:pipeline` has started (brokers, database clusters, wrangler dev, the gateway,
 * connectors), so everything is stopped — newest first — at the end, on an error and on Ctrl-C.
 * Once `stopAll` has begun, anything registered later (a start that was under way) is stopped at
 * once, and `stopAll` resolves only when no stop is running any more.
 */
export class Resources {
  private readonly items = new Map<number, { name: string; stop: () => Promise<unknown> }>();
  private readonly running = new Set<Promise<void>>();
  private next = 0;
  private closing_ = false;

  constructor(private readonly log: (line: string) => void) {}

  /**
   * Registers a started thing; returns its stopper, which runs `stop` once (a failure is logged) and
   * forgets it (call it when the part is done with it; `stopAll` stops whatever is still registered).
   * After `stopAll` began, the thing is stopped right away.
   */
  add(name: string, stop: () => Promise<unknown>): () => Promise<void> {
    if (this.closing_) {
      const p = this.run(name, stop);
      return () => p;
    }
    const id = this.next++;
    this.items.set(id, { name, stop });
    return async () => {
      const item = this.items.get(id);
      if (!item) return;
      this.items.delete(id);
      await this.run(item.name, item.stop);
    };
  }

  /** Whether `stopAll` has begun (loops of the parts stop waiting then). */
  get closing(): boolean {
    return this.closing_;
  }

  /** Names of what is still registered, oldest first. */
  names(): string[] {
    return [...this.items.values()].map((i) => i.name);
  }

  /** Runs a stop, logging (not throwing) its failure; tracked until it ends. */
  private run(name: string, stop: () => Promise<unknown>): Promise<void> {
    const p = (async () => {
      try {
        await stop();
      } catch (e) {
        this.log(`stopping ${name} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    })();
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
    return p;
  }

  /**
   * Stops everything registered, newest first, one after the other; a failure is logged and the rest
   * still stopped. Concurrent calls share the work; each resolves when nothing is left running.
   */
  async stopAll(): Promise<void> {
    this.closing_ = true;
    for (;;) {
      const id = [...this.items.keys()].pop();
      if (id !== undefined) {
        const item = this.items.get(id)!;
        this.items.delete(id);
        await this.run(item.name, item.stop);
        continue;
      }
      if (this.running.size === 0) return;
      await Promise.allSettled([...this.running]);
    }
  }
}
