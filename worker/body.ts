/**
 * Reads a JSON request body with the checks a public endpoint needs, before any parsing work:
 * media type (415), size (413, from Content-Length when given and while streaming otherwise), and
 * syntax (400 invalid_json).
 */
import { ApiError } from "./errors.ts";

export async function readJson(req: Request, maxBytes: number): Promise<unknown> {
  const type = req.headers.get("content-type") ?? "";
  const mediaType = type.split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(mediaType)) {
    throw new ApiError("unsupported_media_type", "Content-Type must be application/json", {
      issues: [{ path: "header.content-type", message: `got '${type || "(none)"}'` }],
    });
  }
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (req.body === null) throw new ApiError("invalid_json", "request body is empty");
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    bytes.set(c, o);
    o += c.byteLength;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError("invalid_json", "request body is not valid UTF-8");
  }
  if (text.trim() === "") throw new ApiError("invalid_json", "request body is empty");
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ApiError(
      "invalid_json",
      `request body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError("payload_too_large", `request body exceeds ${maxBytes} bytes`, {
    issues: [{ path: "(body)", message: `at most ${maxBytes} bytes` }],
  });
}
