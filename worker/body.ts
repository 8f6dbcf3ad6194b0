/**
 * Reads a JSON request body with the checks a public endpoint needs, before any parsing work:
 * media type and encoding (415: JSON routes take uncompressed bodies), size (413, from Content-Length
 * when given and while streaming otherwise), and syntax (400 invalid_json; the message gives where the
 * syntax broke, never the body's text).
 */
import { ApiError } from "./errors.ts";

export async function readJson(req: Request, maxBytes: number): Promise<unknown> {
  const type = req.headers.get("content-type") ?? "";
  const media = mediaType(req);
  if (media !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(media)) {
    throw new ApiError("unsupported_media_type", "Content-Type must be application/json", {
      issues: [{ path: "header.content-type", message: `got '${type || "(none)"}'` }],
    });
  }
  checkIdentityEncoding(req);
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (req.body === null) throw new ApiError("invalid_json", "request body is empty");
  const bytes = await readCapped(req.body, maxBytes, () => tooLarge(maxBytes));
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
    throw new ApiError("invalid_json", `request body is not valid JSON${syntaxWhere(e)}`);
  }
}

/** The media type of a Content-Type header, lower case, without parameters. */
export function mediaType(req: Request): string {
  return (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

/**
 * Reads a stream into one array; once more than `maxBytes` have arrived it cancels the stream and
 * throws `tooLarge()` — so a body (or an inflating stream) costs at most the cap in memory.
 */
export async function readCapped(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  tooLarge: () => ApiError,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    bytes.set(c, o);
    o += c.byteLength;
  }
  return bytes;
}

/**
 * A body with a Content-Encoding other than `identity` (gzip, br, snappy, …) is a 415: these routes
 * read the bytes as JSON text, and decompressing untrusted input is a cost they do not take on.
 */
export function checkIdentityEncoding(req: Request): void {
  const encoding = (req.headers.get("content-encoding") ?? "").trim().toLowerCase();
  if (encoding === "" || encoding === "identity") return;
  // Only a token's worth of the header: it is named, not echoed at length.
  const shown = encoding.slice(0, 32);
  throw new ApiError(
    "unsupported_media_type",
    `Content-Encoding '${shown}' is not supported; send the JSON body uncompressed`,
    { issues: [{ path: "header.content-encoding", message: `'${shown}' is not supported (only identity)` }] },
  );
}

/**
 * Where JSON.parse gave up (" at position 12 (line 1 column 13)"), without its text: V8's messages
 * quote the body around the error (Unexpected token …, "SECRET…" is not valid JSON).
 */
function syntaxWhere(e: unknown): string {
  const msg = e instanceof Error ? e.message : "";
  const pos = /at position (\d+)(?: \(line (\d+) column (\d+)\))?/.exec(msg);
  if (pos)
    return pos[2] ? ` at position ${pos[1]} (line ${pos[2]} column ${pos[3]})` : ` at position ${pos[1]}`;
  if (/end of JSON input/i.test(msg)) return ": it ends too early";
  return "";
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError("payload_too_large", `request body exceeds ${maxBytes} bytes`, {
    issues: [{ path: "(body)", message: `at most ${maxBytes} bytes` }],
  });
}
