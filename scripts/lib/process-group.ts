/**
 * Child process trees as process groups: every server a script or test starts (wrangler dev and the
 * workerd processes under it, and later brokers and databases) runs in its own group, so one signal
 * reaches the whole tree and a check can prove nothing of it is left.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface GroupProcess {
  pid: number;
  /** One-letter state from /proc (R, S, D, …), "?" where /proc is unavailable. */
  state: string;
  command: string;
  /** Resident set size, bytes (VmRSS; 0 where unknown). */
  rssBytes: number;
}

/**
 * Live (non-zombie) processes of process group `pgid`. On Linux from /proc, so zombies waiting for an
 * init that never reaps them do not count; elsewhere `kill(-pgid, 0)` can only say whether any exists.
 */
export function groupProcesses(pgid: number): GroupProcess[] {
  if (pgid <= 0) return [];
  if (process.platform === "linux") {
    const out: GroupProcess[] = [];
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${name}/stat`, "utf8");
      } catch {
        continue; // exited meanwhile
      }
      // "pid (comm) state ppid pgrp …" — comm may contain spaces and parentheses: cut at the last ")".
      const close = stat.lastIndexOf(")");
      const fields = stat.slice(close + 2).split(" ");
      const state = fields[0] ?? "?";
      if (Number(fields[2]) !== pgid || state === "Z" || state === "X") continue;
      let command = stat.slice(stat.indexOf("(") + 1, close);
      let rssBytes = 0;
      try {
        command = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").join(" ").trim() || command;
        const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${name}/status`, "utf8"));
        rssBytes = rss ? Number(rss[1]) * 1024 : 0;
      } catch {
        // exited meanwhile: keep what we have
      }
      out.push({ pid: Number(name), state, command, rssBytes });
    }
    return out;
  }
  try {
    process.kill(-pgid, 0);
    return [{ pid: pgid, state: "?", command: "(process group member)", rssBytes: 0 }];
  } catch {
    return [];
  }
}

export interface StopResult {
  /** SIGKILL was needed. */
  forced: boolean;
  /** Processes of the group still alive after SIGKILL (should be empty). */
  leftovers: GroupProcess[];
}

/**
 * Stops process group `pgid`: SIGTERM, up to `graceMs` for every member to go, then SIGKILL and up to
 * `killWaitMs` more. Resolves with what (if anything) survived.
 */
export async function stopGroup(pgid: number, graceMs = 5000, killWaitMs = 3000): Promise<StopResult> {
  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // ESRCH: nothing left in the group.
    }
  };
  const gone = async (withinMs: number): Promise<boolean> => {
    const deadline = Date.now() + withinMs;
    for (;;) {
      if (groupProcesses(pgid).length === 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  if (groupProcesses(pgid).length === 0) return { forced: false, leftovers: [] };
  signalGroup("SIGTERM");
  if (await gone(graceMs)) return { forced: false, leftovers: [] };
  signalGroup("SIGKILL");
  await gone(killWaitMs);
  return { forced: true, leftovers: groupProcesses(pgid) };
}
