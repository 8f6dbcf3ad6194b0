/** Whether a TCP port can be bound, checked before wrangler dev starts. */
import { createServer } from "node:net";
import { StartError } from "./errors.ts";

/**
 * Throws StartError PORT_IN_USE when `ip:port` cannot be bound. Without this check a server already
 * listening there (another `npm start`, say) would answer our health checks while wrangler fails.
 */
export async function assertPortFree(ip: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once("error", (e: NodeJS.ErrnoException) => {
      reject(
        e.code === "EADDRINUSE"
          ? new StartError(
              "PORT_IN_USE",
              `${ip}:${port} is already in use (another npm start or wrangler dev?).`,
              `Stop it, or choose another port: PORT=${port + 1} npm start`,
            )
          : new StartError("PORT_IN_USE", `cannot listen on ${ip}:${port}: ${e.message}`, undefined, {
              cause: e,
            }),
      );
    });
    server.listen({ host: ip, port, exclusive: true }, () => server.close(() => resolve()));
  });
}
