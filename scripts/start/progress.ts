/**
 * One progress line: rewritten in place on a terminal, printed at most every `everyMs` otherwise (so
 * CI logs get a few lines, not thousands).
 */
export interface ProgressSink {
  isTTY: boolean;
  write(text: string): void;
}

export class Progress {
  private lastPrintMs = -Infinity;
  private shown = false;

  constructor(
    private readonly out: ProgressSink,
    private readonly everyMs = 5000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  update(text: string): void {
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[K${text}`);
      this.shown = true;
      return;
    }
    const t = this.now();
    if (t - this.lastPrintMs < this.everyMs) return;
    this.lastPrintMs = t;
    this.out.write(`${text}\n`);
  }

  /** Ends the line with `text` (always printed). */
  done(text: string): void {
    this.out.write(this.out.isTTY && this.shown ? `\r\x1b[K${text}\n` : `${text}\n`);
    this.shown = false;
    this.lastPrintMs = -Infinity;
  }
}
