import { HostName } from "../../contracts/names.ts";
import type { AppContext } from "../context.ts";
import { validate } from "../errors.ts";

/** Host for points that carry none: `?host=`, else the `X-Host` header, else "default". */
export function defaultHost(c: AppContext): string {
  const q = c.req.query("host");
  const h = c.req.header("x-host");
  const [value, path] =
    q !== undefined ? [q, "query.host"] : h !== undefined ? [h, "header.x-host"] : ["default", ""];
  return checkHost(value, path);
}

export function checkHost(value: string, path: string): string {
  return validate(HostName, value, path);
}
