/**
 * Errors of `npm start`, as data: a `code` to branch on, a `hint` telling the user what to do, and the
 * exit status the command ends with (2 for a usage error, 1 otherwise).
 */
export type StartErrorCode =
  | "USAGE"
  | "DEV_VARS_INVALID"
  | "DEV_VARS_NO_KEY"
  | "KEY_NOT_ACCEPTED"
  | "PORT_IN_USE"
  | "WRANGLER_NOT_FOUND"
  | "WRANGLER_EXITED"
  | "WRANGLER_TIMEOUT"
  | "HEALTH_TIMEOUT"
  | "EDGE_UNHEALTHY"
  | "API_CONTRACT"
  | "STREAM_FAILED";

export class StartError extends Error {
  readonly retryable = false;
  constructor(
    readonly code: StartErrorCode,
    message: string,
    /** What the user can do about it (printed under the message). */
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StartError";
  }

  get exitCode(): number {
    return this.code === "USAGE" ? 2 : 1;
  }
}
