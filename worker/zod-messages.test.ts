import { z } from "zod";
import { describe, expect, it } from "vitest";
import { apiMessage } from "./zod-messages.ts";

/** The messages of a failed parse with the API's error map. */
function messages(schema: z.ZodType, input: unknown): string[] {
  const r = schema.safeParse(input, { error: apiMessage });
  if (r.success) throw new Error("expected a failure");
  return r.error.issues.map((i) => i.message);
}

describe("apiMessage: zod issues in the API's words", () => {
  it("says what each kind of value must be", () => {
    const cases: [z.ZodType, unknown, string][] = [
      [z.number(), "75", "must be a number, not a string"],
      [z.number(), null, "must be a number, not null"],
      [z.number(), Infinity, "must be a finite number"],
      [z.number().int(), 1.5, "must be an integer"],
      [z.strictObject({ a: z.number() }), {}, "is required"],
      [z.object({}), [], "must be a JSON object, not an array"],
      [z.record(z.string(), z.number()), 3, "must be an object, not a number"],
      [z.number().min(1), 0, "must be at least 1"],
      [z.number().gt(0), 0, "must be greater than 0"],
      [z.number().max(10), 11, "must be at most 10"],
      [z.number().multipleOf(5), 7, "must be a multiple of 5"],
      [z.string().max(128), "x".repeat(129), "must be at most 128 characters"],
      [z.string().length(2), "abc", "must be exactly 2 characters"],
      [z.string().min(1), "", "must not be empty"],
      [z.array(z.number()).min(2), [1], "must have at least 2 items"],
      [z.array(z.number()).max(1), [1, 2], "must have at most 1 item"],
      [z.enum(["ok", "warning", "critical"]), "bad", "must be one of ok, warning, critical"],
      [z.literal("v1"), "v2", "must be v1"],
      [z.string().regex(/^a$/), "b", "is not in the expected format"],
      [z.url(), "nope", "must be a URL"],
      [z.iso.datetime(), "nope", "must be an ISO-8601 date-time"],
      [z.strictObject({}), { cpu_usge: 1 }, "unknown field 'cpu_usge'"],
      [z.strictObject({}), { a: 1, b: 2 }, "unknown fields 'a', 'b'"],
      [z.number().refine(() => false), 1, "is invalid"],
    ];
    for (const [schema, input, message] of cases) expect(messages(schema, input), message).toEqual([message]);
  });

  it("a union: the complaint of the option whose type the value has, else the types it may have", () => {
    const u = z.union([z.number().int(), z.string().regex(/^\d+$/)]);
    expect(messages(u, 1.5)).toEqual(["must be an integer"]);
    expect(messages(u, true)).toEqual(["must be a number or a string, not a boolean"]);
    // A message written into an option wins over the list of types.
    const t = z.union([z.number({ error: "must be epoch ms or ISO-8601" }), z.iso.datetime()]);
    expect(messages(t, null)).toEqual(["must be epoch ms or ISO-8601"]);
  });

  it("never overrides a message written into the schema", () => {
    expect(messages(z.number().max(100, { message: "must be a percentage 0..100" }), 101)).toEqual([
      "must be a percentage 0..100",
    ]);
  });

  it("echoes at most 64 characters of a client's key", () => {
    const [m] = messages(z.strictObject({}), { ["k".repeat(100)]: 1 });
    expect(m).toBe(`unknown field '${"k".repeat(64)}…'`);
  });
});
