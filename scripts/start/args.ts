/**
 * Command line and environment of `npm start`, validated with zod. Pure apart from `node:util`'s
 * argument tokenizer.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { StartError } from "./errors.ts";

export const USAGE = `Usage: npm start -- [--hosts N] [--speed SIM_SECONDS_PER_SECOND] [--seed N] [--once]

  --hosts N     demo fleet size, 1..200 (default 20)
  --speed S     replay speed, simulated seconds per real second, 1..100000 (default 300;
                with --once the replay is unpaced unless --speed is given)
  --seed N      simulator seed, 0..4294967295 (default 7: a few hosts fail during the replay)
  --once        warm up, replay, print the final view and the event log, stop, exit 0
  --help        this text

Environment:
  PORT=8787                  port of wrangler dev on 127.0.0.1 (0: any free port, printed once bound)
  DEV_VARS_FILE=.dev.vars    where the local API key hash lives (created on first run)
  API_KEY=…                  the key to stream with when DEV_VARS_FILE was not written by npm start`;

/** A decimal integer string (no "1e3", no "0x10", no blanks) for the integer flags. */
const intString = z.string().regex(/^\d+$/, { message: "must be a whole number" }).transform(Number);
const numberString = z
  .string()
  .regex(/^\d+(\.\d+)?$/, { message: "must be a positive number" })
  .transform(Number);

const RANGE = (range: string) => ({ message: `must be in ${range}` });

export const StartArgsSchema = z.strictObject({
  hosts: intString.pipe(z.number().min(1, RANGE("1..200")).max(200, RANGE("1..200"))).default(20),
  /** Simulated seconds per real second during the replay; undefined with --once = unpaced. */
  speed: numberString.pipe(z.number().min(1, RANGE("1..100000")).max(100_000, RANGE("1..100000"))).optional(),
  seed: intString.pipe(z.number().max(0xffffffff, RANGE("0..4294967295"))).default(7),
  once: z.boolean().default(false),
  help: z.boolean().default(false),
});

export interface StartArgs {
  hosts: number;
  /** Replay speed, simulated seconds per real second; null = as fast as the edge accepts (--once only). */
  speed: number | null;
  seed: number;
  once: boolean;
  help: boolean;
}

export const DEFAULT_SPEED = 300;

/** Parses `argv` (without node and script). Throws StartError USAGE naming the offending flag. */
export function parseStartArgs(argv: readonly string[]): StartArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        hosts: { type: "string" },
        speed: { type: "string" },
        seed: { type: "string" },
        once: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new StartError("USAGE", e instanceof Error ? e.message : String(e), USAGE, { cause: e });
  }
  const r = StartArgsSchema.safeParse(values);
  if (!r.success) {
    const issue = r.error.issues[0];
    const flag = issue?.path[0] === undefined ? "arguments" : `--${String(issue.path[0])}`;
    throw new StartError("USAGE", `${flag}: ${issue?.message ?? "invalid"}`, USAGE);
  }
  const { speed, ...rest } = r.data;
  return { ...rest, speed: speed ?? (rest.once ? null : DEFAULT_SPEED) };
}

export const StartEnvSchema = z.object({
  PORT: z
    .string()
    .regex(/^\d+$/, { message: "must be a port number" })
    .transform(Number)
    .pipe(z.number().int().min(0).max(65_535))
    .optional(),
  DEV_VARS_FILE: z.string().min(1).optional(),
  API_KEY: z
    .string()
    .regex(/^\S{1,512}$/, {
      message: "must be 1–512 characters without spaces (it is sent as a bearer token)",
    })
    .optional(),
});

export interface StartEnv {
  port: number;
  /** Absolute path of the dev vars file. */
  devVarsFile: string;
  apiKey: string | undefined;
}

export const DEFAULT_PORT = 8787;

/** Reads PORT, DEV_VARS_FILE and API_KEY (empty = unset). Relative DEV_VARS_FILE is taken from `cwd`. */
export function parseStartEnv(
  env: Readonly<Record<string, string | undefined>>,
  resolvePath: (p: string) => string,
  defaultDevVarsFile: string,
): StartEnv {
  const pick = (k: string) => (env[k] === "" ? undefined : env[k]);
  const r = StartEnvSchema.safeParse({
    PORT: pick("PORT"),
    DEV_VARS_FILE: pick("DEV_VARS_FILE"),
    API_KEY: pick("API_KEY"),
  });
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new StartError(
      "USAGE",
      `${String(issue?.path[0] ?? "environment")}: ${issue?.message ?? "invalid"}`,
      USAGE,
    );
  }
  return {
    port: r.data.PORT ?? DEFAULT_PORT,
    devVarsFile: r.data.DEV_VARS_FILE === undefined ? defaultDevVarsFile : resolvePath(r.data.DEV_VARS_FILE),
    apiKey: r.data.API_KEY,
  };
}
