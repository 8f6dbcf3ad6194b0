/**
 * Errors are data: one class with a machine-readable `code`, and one exhaustive map from codes to HTTP
 * statuses. Every 4xx body names the offending field(s) in `issues`.
 *
 * Body: `{"error": {"code": "invalid_field", "message": "…", "issues": [{"path": "points.3.cpu_usage",
 * "message": "…"}]}}`
 */
import type { z } from "zod";

export type ErrorCode =
  | "invalid_json"
  | "invalid_field"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "model_unavailable"
  | "bad_environment"
  | "internal";

export interface Issue {
  /** Dotted path into the request body (`points.3.cpu_usage`), or the query/header name. */
  path: string;
  message: string;
}

export function statusFor(code: ErrorCode): 400 | 401 | 403 | 404 | 405 | 413 | 415 | 429 | 500 | 503 {
  switch (code) {
    case "invalid_json":
    case "invalid_field":
      return 400;
    case "unauthorized":
      return 401;
    case "forbidden":
      return 403;
    case "not_found":
      return 404;
    case "method_not_allowed":
      return 405;
    case "payload_too_large":
      return 413;
    case "unsupported_media_type":
      return 415;
    case "rate_limited":
      return 429;
    case "model_unavailable":
      return 503;
    case "bad_environment":
    case "internal":
      return 500;
  }
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly issues: Issue[];
  /** Extra response headers (e.g. `Retry-After`, `WWW-Authenticate`). */
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { issues?: Issue[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = "ApiError";
    this.code = code;
    this.issues = opts.issues ?? [];
    this.headers = opts.headers ?? {};
  }

  get status(): number {
    return statusFor(this.code);
  }

  /** A 400 naming every field zod rejected; `prefix` is prepended to each path (e.g. "query"). */
  static fromZod(error: z.ZodError, prefix?: string): ApiError {
    const issues = error.issues.slice(0, 20).map((i) => ({
      path: [prefix, ...i.path.map(String)].filter((s) => s !== undefined && s !== "").join(".") || "(body)",
      message: i.message,
    }));
    const first = issues[0];
    const message = first ? `${first.path}: ${first.message}` : "invalid request";
    return new ApiError(
      "invalid_field",
      issues.length > 1 ? `${message} (and ${issues.length - 1} more)` : message,
      {
        issues,
      },
    );
  }

  /** A 400 for issues found by checks beyond the schema (first issue in the message, at most 20 listed). */
  static invalid(issues: Issue[]): ApiError {
    const first = issues[0]!;
    return new ApiError("invalid_field", `${first.path}: ${first.message}`, { issues: issues.slice(0, 20) });
  }

  toResponse(): Response {
    const body: { error: { code: ErrorCode; message: string; issues?: Issue[] } } = {
      error: { code: this.code, message: this.message },
    };
    if (this.issues.length > 0) body.error.issues = this.issues;
    return Response.json(body, { status: this.status, headers: this.headers });
  }
}
