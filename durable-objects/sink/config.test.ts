import { describe, expect, it } from "vitest";
import { parseSinkConfig, SinkConfigError } from "./config.ts";

const full = {
  UPSTASH_KAFKA_REST_URL: "https://gw.example.com/kafka/",
  UPSTASH_KAFKA_REST_USERNAME: "edge",
  UPSTASH_KAFKA_REST_PASSWORD: "s3cret:with-colon",
};

function configError(env: Record<string, unknown>): SinkConfigError {
  try {
    parseSinkConfig(env);
  } catch (error) {
    if (error instanceof SinkConfigError) return error;
    throw error;
  }
  throw new Error("expected parseSinkConfig to throw");
}

describe("parseSinkConfig", () => {
  it("is embedded when none of the three variables is set (blank counts as unset)", () => {
    expect(parseSinkConfig({})).toEqual({ kind: "embedded" });
    expect(parseSinkConfig({ OTHER_BINDING: { get() {} }, API_KEYS: "x" })).toEqual({ kind: "embedded" });
    expect(
      parseSinkConfig({
        UPSTASH_KAFKA_REST_URL: "",
        UPSTASH_KAFKA_REST_USERNAME: "  ",
        UPSTASH_KAFKA_REST_PASSWORD: "",
      }),
    ).toEqual({ kind: "embedded" });
  });

  it("is upstash when all three are set; the URL is trimmed and loses trailing slashes", () => {
    expect(parseSinkConfig({ ...full, UPSTASH_KAFKA_REST_URL: " http://127.0.0.1:8080// " })).toEqual({
      kind: "upstash",
      url: "http://127.0.0.1:8080",
      username: "edge",
      password: "s3cret:with-colon",
    });
    expect(parseSinkConfig(full)).toMatchObject({ kind: "upstash", url: "https://gw.example.com/kafka" });
  });

  it("names every missing variable when only some are set", () => {
    const error = configError({ UPSTASH_KAFKA_REST_URL: full.UPSTASH_KAFKA_REST_URL });
    expect(error.code).toBe("bad_sink_config");
    expect(error.retryable).toBe(false);
    expect(error.issues.map((i) => i.variable)).toEqual([
      "UPSTASH_KAFKA_REST_USERNAME",
      "UPSTASH_KAFKA_REST_PASSWORD",
    ]);
    expect(error.message).toContain("UPSTASH_KAFKA_REST_PASSWORD is missing");

    const onlyPasswordMissing = configError({ ...full, UPSTASH_KAFKA_REST_PASSWORD: "" });
    expect(onlyPasswordMissing.issues.map((i) => i.variable)).toEqual(["UPSTASH_KAFKA_REST_PASSWORD"]);
  });

  it.each([
    ["ftp://gw.example.com", "http(s)"],
    ["gw.example.com", "not a URL"],
    ["https://user:pw@gw.example.com", "credentials"],
    ["https://gw.example.com/?token=abc", "query"],
  ])("rejects the URL %s", (url, why) => {
    const error = configError({ ...full, UPSTASH_KAFKA_REST_URL: url });
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.variable).toBe("UPSTASH_KAFKA_REST_URL");
    expect(error.message).toContain(why);
  });

  it("rejects credentials the client would garble, without echoing them", () => {
    const password = "pässwörd";
    const error = configError({ ...full, UPSTASH_KAFKA_REST_PASSWORD: password });
    expect(error.issues.map((i) => i.variable)).toEqual(["UPSTASH_KAFKA_REST_PASSWORD"]);
    expect(error.message).not.toContain(password);

    const colon = configError({ ...full, UPSTASH_KAFKA_REST_USERNAME: "a:b" });
    expect(colon.issues.map((i) => i.variable)).toEqual(["UPSTASH_KAFKA_REST_USERNAME"]);
    expect(colon.message).toContain("without ':'");
  });

  it("rejects a variable that is not a string (e.g. a binding with a clashing name)", () => {
    const error = configError({ ...full, UPSTASH_KAFKA_REST_USERNAME: 42 });
    expect(error.issues.map((i) => i.variable)).toEqual(["UPSTASH_KAFKA_REST_USERNAME"]);
    expect(error.message).not.toContain(full.UPSTASH_KAFKA_REST_PASSWORD);
  });
});
