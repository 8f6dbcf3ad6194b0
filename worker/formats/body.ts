/**
 * Raw request bodies for the binary ways in (remote_write, OTLP): read with a cap on the bytes sent
 * (from Content-Length when given, while streaming otherwise) and, for gzip, a cap on the bytes
 * inflated — counted while DecompressionStream runs and aborted past the cap, so a decompression bomb
 * costs at most the cap in memory and ends as a 413, never an out-of-memory.
 */
import { readCapped } from "../body.ts";
import { ApiError } from "../errors.ts";

/** Compressed (as sent) body cap: the same 1 MiB as `POST /metrics`. */
export { MAX_BODY_BYTES } from "../../contracts/api.ts";
/**
 * Decompressed body cap. Protobuf and OTLP JSON are wordier than our JSON (an OTLP JSON data point with
 * its attributes is ~300 B); 4 MiB holds a full 1000-point batch in either.
 */
export const MAX_DECODED_BYTES = 4 * 1024 * 1024;

const GZIP_SLICE_BYTES = 1024;

export function tooLarge(what: string, maxBytes: number): ApiError {
  return new ApiError("payload_too_large", `${what} exceeds ${maxBytes} bytes`, {
    issues: [{ path: "(body)", message: `${what}: at most ${maxBytes} bytes` }],
  });
}

/** The body as sent (no decoding), at most `maxBytes`; an absent body is a 400. */
export async function readRaw(req: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge("request body", maxBytes);
  if (req.body === null)
    throw new ApiError("invalid_field", "request body is empty", {
      issues: [{ path: "(body)", message: "is empty" }],
    });
  return readCapped(req.body, maxBytes, () => tooLarge("request body", maxBytes));
}

/**
 * gunzip with a cap on the output: the inflated stream is read chunk by chunk and cancelled once it
 * passes `maxBytes` (413). A body that is not gzip is a 400.
 */
export async function gunzip(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const ds = new DecompressionStream("gzip");
  const writer = ds.writable.getWriter();
  // Fed in small slices, each awaited: the inflater then never holds more than one slice's output
  // (≤ ~1 MiB for 1 KiB of deflated zeros) beyond what the reader below has counted. The write side
  // settles when the read side consumes or cancels; its errors surface on the read side.
  const written = (async () => {
    for (let o = 0; o < bytes.byteLength; o += GZIP_SLICE_BYTES) {
      await writer.write(bytes.subarray(o, o + GZIP_SLICE_BYTES));
    }
    await writer.close();
  })().catch(() => undefined);
  try {
    return await readCapped(ds.readable, maxBytes, () => tooLarge("decompressed body", maxBytes));
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError("invalid_field", "request body is not valid gzip", {
      issues: [{ path: "header.content-encoding", message: "body is not valid gzip" }],
    });
  } finally {
    await written;
  }
}
