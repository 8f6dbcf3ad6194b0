/**
 * HTTP Basic auth against one configured user. The presented `user:password` and the expected one are
 * both hashed (SHA-256) so `timingSafeEqual` compares equal-length digests: the time taken says
 * nothing about the length or a prefix of the secret.
 */
import { createHash, timingSafeEqual } from "node:crypto";

export function basicAuthChecker(
  username: string,
  password: string,
): (header: string | undefined) => boolean {
  const expected = digest(`${username}:${password}`);
  return (header) => {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
    const presented = digest(m ? Buffer.from(m[1]!, "base64").toString("utf8") : "");
    // Always compare, even for a malformed header, so both paths cost the same.
    return timingSafeEqual(presented, expected) && m !== null;
  };
}

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();
