import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, isAddrInUse, onFreePort } from "./ports.ts";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Listens on 127.0.0.1:port exclusively; rejects with EADDRINUSE when it is taken. */
function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen({ host: "127.0.0.1", port, exclusive: true }, () => {
      servers.push(s);
      resolve(s);
    });
  });
}

describe("onFreePort", () => {
  it("starts on a new port when the one it picked was taken in between", async () => {
    const taken = await freePort();
    await listen(taken); // another process got there first
    const picked: number[] = [];
    const pick = async () => {
      const p = picked.length === 0 ? taken : await freePort();
      picked.push(p);
      return p;
    };
    const { port } = await onFreePort(listen, { portTaken: isAddrInUse, pick });
    expect(picked).toHaveLength(2);
    expect(port).not.toBe(taken);
    expect(port).toBe(picked[1]);
  });

  it("throws other errors at once, and gives up after the attempts", async () => {
    let calls = 0;
    const boom = async () => {
      calls++;
      throw new Error("config broken");
    };
    await expect(onFreePort(boom, { portTaken: isAddrInUse })).rejects.toThrow("config broken");
    expect(calls).toBe(1);

    const taken = await freePort();
    await listen(taken);
    await expect(
      onFreePort(listen, { portTaken: isAddrInUse, pick: async () => taken, attempts: 3 }),
    ).rejects.toThrow("no free port after 3 attempts");
  });
});
