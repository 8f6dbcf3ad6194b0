import { describe, expect, it } from "vitest";
import { Progress } from "./progress.ts";

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { isTTY, write: (t: string) => void writes.push(t) } };
}

describe("Progress", () => {
  it("rewrites one line on a terminal", () => {
    const s = sink(true);
    const p = new Progress(s.out);
    p.update("a");
    p.update("b");
    p.done("c");
    expect(s.writes).toEqual(["\r\x1b[Ka", "\r\x1b[Kb", "\r\x1b[Kc\n"]);
  });

  it("prints at most one line per interval elsewhere, and always the last", () => {
    const s = sink(false);
    let now = 0;
    const p = new Progress(s.out, 5000, () => now);
    p.update("a");
    now = 4999;
    p.update("b");
    now = 5000;
    p.update("c");
    p.done("d");
    expect(s.writes).toEqual(["a\n", "c\n", "d\n"]);
  });
});
