/**
 * Small readers for the tests of prometheus/: the metric names a PromQL expression selects, and the
 * cases of a `promtool test rules` file. Pure (no I/O).
 */

const KEYWORDS = new Set([
  "and",
  "or",
  "unless",
  "bool",
  "offset",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "inf",
  "nan",
]);

/**
 * Metric names selected by `expr` (Prometheus' own formatting or hand-written): identifiers that are
 * not functions/aggregations (followed by `(`), keywords, label names (inside `{}` or grouping
 * clauses), string contents, durations or numbers.
 *
 * @example
 * metricNames('sum by (tenant) (rate(x_total{a="b"}[5m])) / y > 0.5') // ["x_total", "y"]
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // strings
    .replace(/\{[^}]*\}/g, " ") // label matchers
    .replace(/\[[^\]]*\]/g, " ") // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ") // label lists
    .replace(/\boffset\s+-?[\dsmhdwy]+/g, " "); // offset durations
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, id, call] = m;
    if (id === undefined || call !== undefined || KEYWORDS.has(id.toLowerCase())) continue;
    names.add(id);
  }
  return [...names].sort();
}

export interface RuleTestCase {
  alertname: string;
  evalTime: string;
  /** `exp_alerts: []` — the alert must not fire at that time. */
  firing: boolean;
}

/**
 * The `alert_rule_test` cases of a promtool unit-test file written in the regular form these files
 * keep: `- eval_time: T`, then `alertname: A`, then `exp_alerts: []` (not firing) or `exp_alerts:`
 * followed by a list (firing). promtool itself checks the YAML; this only reads which case is which.
 */
export function ruleTestCases(yaml: string): RuleTestCase[] {
  const cases: RuleTestCase[] = [];
  const re = /^\s*- eval_time:\s*(\S+)\s*\n\s*alertname:\s*(\S+)\s*\n\s*exp_alerts:[ \t]*(\[\])?/gm;
  for (const m of yaml.matchAll(re)) {
    const [, evalTime, alertname, empty] = m;
    if (evalTime === undefined || alertname === undefined) continue;
    cases.push({ alertname, evalTime, firing: empty === undefined });
  }
  return cases;
}
