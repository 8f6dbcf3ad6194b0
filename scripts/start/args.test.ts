import { describe, expect, it } from "vitest";
import { DEFAULT_PORT, DEFAULT_SPEED, parseStartArgs, parseStartEnv } from "./args.ts";
import { StartError } from "./errors.ts";

const usage = (f: () => unknown): StartError => {
  try {
    f();
  } catch (e) {
    if (e instanceof StartError) return e;
    throw e;
  }
  throw new Error("expected a StartError");
};

describe("parseStartArgs", () => {
  it("defaults to 20 hosts, seed 7, speed 300, live", () => {
    expect(parseStartArgs([])).toEqual({
      hosts: 20,
      speed: DEFAULT_SPEED,
      seed: 7,
      once: false,
      help: false,
    });
  });

  it("--once replays unpaced unless --speed is given", () => {
    expect(parseStartArgs(["--once"]).speed).toBeNull();
    expect(parseStartArgs(["--once", "--speed", "600"]).speed).toBe(600);
  });

  it("reads every flag", () => {
    expect(parseStartArgs(["--hosts", "3", "--speed", "1.5", "--seed", "42", "--once"])).toEqual({
      hosts: 3,
      speed: 1.5,
      seed: 42,
      once: true,
      help: false,
    });
  });

  it.each([
    [["--hosts", "0"], "--hosts"],
    [["--hosts", "201"], "--hosts"],
    [["--hosts", "2.5"], "--hosts"],
    [["--hosts", "abc"], "--hosts"],
    [["--speed", "0"], "--speed"],
    [["--speed", "-3"], "--speed"],
    [["--speed", "1e3"], "--speed"],
    [["--seed", "4294967296"], "--seed"],
  ])("rejects %j naming %s, exit code 2", (argv, flag) => {
    const e = usage(() => parseStartArgs(argv));
    expect(e.code).toBe("USAGE");
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(flag);
    expect(e.hint).toContain("Usage: npm start");
  });

  it("rejects unknown flags and positionals", () => {
    expect(usage(() => parseStartArgs(["--host", "3"])).message).toContain("--host");
    expect(usage(() => parseStartArgs(["extra"])).code).toBe("USAGE");
  });
});

describe("parseStartEnv", () => {
  const resolve = (p: string) => `/cwd/${p}`;

  it("defaults: port 8787, the repository's .dev.vars, no API_KEY", () => {
    expect(parseStartEnv({}, resolve, "/repo/.dev.vars")).toEqual({
      port: DEFAULT_PORT,
      devVarsFile: "/repo/.dev.vars",
      apiKey: undefined,
    });
  });

  it("reads PORT, DEV_VARS_FILE (resolved) and API_KEY; empty means unset", () => {
    expect(parseStartEnv({ PORT: "9000", DEV_VARS_FILE: "x.vars", API_KEY: "k1" }, resolve, "/d")).toEqual({
      port: 9000,
      devVarsFile: "/cwd/x.vars",
      apiKey: "k1",
    });
    expect(parseStartEnv({ PORT: "", API_KEY: "" }, resolve, "/d")).toEqual({
      port: DEFAULT_PORT,
      devVarsFile: "/d",
      apiKey: undefined,
    });
  });

  it("takes PORT=0 (any free port, picked when wrangler binds)", () => {
    expect(parseStartEnv({ PORT: "0" }, resolve, "/d").port).toBe(0);
  });

  it.each([
    ["PORT", "-1"],
    ["PORT", "65536"],
    ["PORT", "http"],
    ["API_KEY", "has space"],
  ])("rejects %s=%j naming it", (name, value) => {
    const e = usage(() => parseStartEnv({ [name]: value }, resolve, "/d"));
    expect(e.message.startsWith(`${name}:`)).toBe(true);
  });
});
