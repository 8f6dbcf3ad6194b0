/**
 * Errors are data: one class with a machine-readable `code`, and one exhaustive map from codes to HTTP
 * statuses. Every 4xx body names the offending field(s) in `issues`.
 *
 * Body: `{"error": {"code": "invalid_field", "message": "…", "issues": [{"path": "points.3.cpu_usage",
 * "message": "…"}]}}`
 */
import type { z } from "zod";
import type { ErrorCode, Issue } from "../contracts/api.ts";
import { apiMessage, truncate, unknownField } from "./zod-messages.ts";

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

  /**
   * A 400 naming every field zod rejected; `prefix` is prepended to each path (e.g. "query"). An unknown
   * key becomes an issue of its own whose path ends with the key (`points.3.cpu_usge`). The messages are
   * the issues' own: parse with `validate` (or pass `apiMessage` as the parse's error map) so that they
   * are the API's phrases rather than zod's.
   */
  static fromZod(error: z.ZodError, prefix?: string): ApiError {
    const pathOf = (path: readonly PropertyKey[]) =>
      [prefix, ...path.map(String)].filter((s) => s !== undefined && s !== "").join(".") || "(body)";
    const issues = error.issues
      .flatMap((i): Issue[] =>
        i.code === "unrecognized_keys"
          ? i.keys.map((k) => ({ path: pathOf([...i.path, truncate(k)]), message: unknownField(k) }))
          : [{ path: pathOf(i.path), message: i.message }],
      )
      .slice(0, 20);
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

/**
 * Parses request input (a body, the query, a path or header value) with `schema`; a failure is a 400
 * `invalid_field` whose messages are the schema's own or, where it has none, the API phrases of
 * `apiMessage`. `prefix` names where the input came from ("query", "path.host").
 *
 * @example
 * const q = validate(ListQuery, c.req.query(), "query"); // ?limit=abc → "query.limit: must be an integer 1..1000"
 */
export function validate<T extends z.ZodType>(schema: T, input: unknown, prefix?: string): z.output<T> {
  const r = schema.safeParse(input, { error: apiMessage });
  if (!r.success) throw ApiError.fromZod(r.error, prefix);
  return r.data;
}
