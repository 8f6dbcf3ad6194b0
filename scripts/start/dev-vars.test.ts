import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { authenticate } from "../../worker/auth.ts";
import {
  chooseKey,
  ensureDevVars,
  generateKey,
  KEY_PREFIX,
  parseDevVars,
  renderDevVars,
  sha256Hex,
} from "./dev-vars.ts";
import { StartError } from "./errors.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "dev-vars-test-"));
  dirs.push(d);
  return d;
}

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof StartError) return e.code;
    throw e;
  }
  return "none";
};

const foreignFile = (key: string, scopes = '["write","read"]') =>
  `SENTRY_DSN=\nAPI_KEYS='[{"tenant":"acme","sha256":"${sha256Hex(key)}","scopes":${scopes}}]'\n`;

describe("generateKey", () => {
  it("is prefixed, 256 random bits in base64url, different every time", () => {
    const a = generateKey();
    expect(a).toMatch(new RegExp(`^${KEY_PREFIX}[A-Za-z0-9_-]{43}$`));
    expect(generateKey()).not.toBe(a);
    expect(generateKey(() => new Uint8Array(32))).toBe(`${KEY_PREFIX}${"A".repeat(43)}`);
  });
});

describe("renderDevVars", () => {
  it("holds the key's hash in API_KEYS, which the Worker's own authentication accepts", async () => {
    const key = generateKey();
    const parsed = parseDevVars(renderDevVars(key));
    expect(parsed.storedKey).toBe(key);
    if (!parsed.apiKeys.ok) throw new Error(parsed.apiKeys.reason);
    expect(parsed.apiKeys.entries).toEqual([
      { tenant: "local", sha256: sha256Hex(key), scopes: ["write", "read"] },
    ]);
    await expect(authenticate(`Bearer ${key}`, parsed.apiKeys.entries)).resolves.toEqual({
      tenant: "local",
      scopes: ["write", "read"],
    });
    await expect(authenticate(`Bearer ${key}x`, parsed.apiKeys.entries)).rejects.toThrow("unknown API key");
  });

  it("never puts the plain key in API_KEYS", () => {
    const key = generateKey();
    const line = renderDevVars(key)
      .split("\n")
      .find((l) => l.startsWith("API_KEYS="));
    expect(line).toBeDefined();
    expect(line).not.toContain(key);
  });
});

describe("chooseKey", () => {
  it("no file: a new key, or API_KEY when set", () => {
    expect(chooseKey(null, undefined, "f", () => "new")).toEqual({
      key: "new",
      source: "created",
      tenant: "local",
    });
    expect(chooseKey(null, "mine", "f", () => "new")).toEqual({
      key: "mine",
      source: "env",
      tenant: "local",
    });
  });

  it("our file: the key from its comment", () => {
    const text = renderDevVars("k-123");
    expect(chooseKey(text, undefined, "f", () => "new")).toEqual({
      key: "k-123",
      source: "dev-vars",
      tenant: "local",
    });
  });

  it("a foreign file: needs API_KEY, which must be listed with both scopes", () => {
    expect(codeOf(() => chooseKey(foreignFile("theirs"), undefined, "f", () => "new"))).toBe(
      "DEV_VARS_NO_KEY",
    );
    expect(chooseKey(foreignFile("theirs"), "theirs", "f", () => "new")).toEqual({
      key: "theirs",
      source: "env",
      tenant: "acme",
    });
    expect(codeOf(() => chooseKey(foreignFile("theirs"), "other", "f", () => "new"))).toBe(
      "KEY_NOT_ACCEPTED",
    );
    expect(codeOf(() => chooseKey(foreignFile("theirs", '["read"]'), "theirs", "f", () => "new"))).toBe(
      "KEY_NOT_ACCEPTED",
    );
  });

  it.each([
    ["no API_KEYS", "SENTRY_DSN=x\n"],
    ["not JSON", "API_KEYS=[oops\n"],
    ["bad entry", `API_KEYS='[{"tenant":"t","sha256":"abc","scopes":["write"]}]'\n`],
  ])("a file with %s is reported, not replaced", (_, text) => {
    expect(codeOf(() => chooseKey(text, "k", "f", () => "new"))).toBe("DEV_VARS_INVALID");
  });
});

describe("ensureDevVars", () => {
  it("creates the file once (mode 0600) and reuses its key afterwards", async () => {
    const file = join(await tempDir(), ".dev.vars");
    const first = await ensureDevVars(file, undefined);
    expect(first.fileCreated).toBe(true);
    expect(first.source).toBe("created");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, "utf8");
    const second = await ensureDevVars(file, undefined);
    expect(second).toMatchObject({ key: first.key, fileCreated: false, source: "dev-vars" });
    expect(await readFile(file, "utf8")).toBe(text);
  });

  it("leaves an existing foreign file exactly as it is", async () => {
    const file = join(await tempDir(), "vars");
    const text = foreignFile("theirs");
    await writeFile(file, text);
    await expect(ensureDevVars(file, undefined)).rejects.toMatchObject({ code: "DEV_VARS_NO_KEY" });
    await expect(ensureDevVars(file, "theirs")).resolves.toMatchObject({ key: "theirs", fileCreated: false });
    expect(await readFile(file, "utf8")).toBe(text);
  });
});
