/** Errors of the edge benchmark: a `code` to act on, the `cause`, and whether a retry could help. */
export type BenchErrorCode =
  | "USAGE"
  | "WRANGLER_NOT_FOUND"
  | "WRANGLER_FAILED"
  | "CLEANUP_FAILED"
  | "CONFIG"
  | "BENCH_WORKER"
  | "HTTP"
  | "DRY_RUN_FAILED";

export class BenchError extends Error {
  readonly retryable: boolean;
  constructor(
    readonly code: BenchErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "BenchError";
    this.retryable = options.retryable ?? false;
  }
}
