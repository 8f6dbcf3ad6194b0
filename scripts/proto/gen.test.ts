/**
 * The generated protobuf code (worker/formats/gen/) is exactly what `npm run proto:gen` produces from
 * the committed .proto files with the pinned buf and protoc-gen-es; and the check names a hand edit.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { check, generate } from "./gen.ts";

describe("proto:gen", () => {
  it("the committed generated files are exactly what it generates", async () => {
    expect(await check()).toEqual([]);
  });

  it("--check names a file edited by hand and a stray file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "proto-check-"));
    try {
      for (const [file, content] of await generate()) {
        mkdirSync(dirname(join(dir, file)), { recursive: true });
        writeFileSync(join(dir, file), content);
      }
      expect(await check(dir)).toEqual([]);
      const f = join(dir, "prometheus", "remote_pb.ts");
      writeFileSync(f, readFileSync(f, "utf8").replace("timeseries", "time_series"));
      writeFileSync(join(dir, "old_pb.ts"), "");
      expect(await check(dir)).toEqual([
        "prometheus/remote_pb.ts: differs from the generated one",
        "old_pb.ts: not generated (stale?)",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
