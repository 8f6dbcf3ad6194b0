/**
 * A YAML writer for the provisioning files: plain objects, arrays, strings, numbers and booleans in
 * block style. Strings are written double-quoted as JSON (a JSON string is a valid YAML double-quoted
 * scalar), so no value is ever read back as another type.
 *
 * @example
 * toYaml({ apiVersion: 1, datasources: [{ name: "Prometheus", url: "$PROMETHEUS_URL" }] })
 * // apiVersion: 1\ndatasources:\n  - name: "Prometheus"\n    url: "$PROMETHEUS_URL"\n
 */
/** Anything else (undefined, functions, …) is an error rather than silently dropped. */
type Value = unknown;

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function scalar(v: Value): string | null {
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`toYaml: ${v} is not a finite number`);
    return String(v);
  }
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v) && v.length === 0) return "[]";
  if (typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0) return "{}";
  if (typeof v === "object") return null;
  throw new Error(`toYaml: cannot write ${typeof v}`);
}

function lines(v: Value, indent: string): string[] {
  if (Array.isArray(v)) {
    return v.flatMap((item: Value) => {
      const s = scalar(item);
      if (s !== null) return [`${indent}- ${s}`];
      const [first = "", ...rest] = lines(item, `${indent}  `);
      return [`${indent}- ${first.slice(indent.length + 2)}`, ...rest];
    });
  }
  if (typeof v !== "object" || v === null) throw new Error("toYaml: expected an object or array");
  return Object.entries(v).flatMap(([k, item]) => {
    if (!KEY.test(k)) throw new Error(`toYaml: key ${JSON.stringify(k)} is not a plain identifier`);
    const s = scalar(item);
    return s !== null ? [`${indent}${k}: ${s}`] : [`${indent}${k}:`, ...lines(item, `${indent}  `)];
  });
}

export function toYaml(v: object): string {
  return lines(v, "").join("\n") + "\n";
}
