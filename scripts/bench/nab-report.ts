/** Printing and summary files for `bench:nab`. */
import type { ProfileResult } from "../../model/nab/index.ts";

export interface RunMeta {
  detector: string;
  mode: "detect" | "score-only";
  dataDir: string;
  labelsPath: string;
  resultsDir: string;
  files: number;
  rows: number;
}

const fmt = (x: number | null, digits: number): string => (x === null ? "n/a" : x.toFixed(digits));
/** Thresholds are detector scores; print enough digits to find the row again. */
const fmtThreshold = (t: number): string => String(Number(t.toPrecision(12)));

/** Machine-readable summary: the three profiles plus per-file scores at each profile's threshold. */
export function summaryJson(meta: RunMeta, profiles: readonly ProfileResult[]): unknown {
  return {
    ...meta,
    scorer: "NAB v1.1 sweeper, re-implemented in model/nab",
    profiles: profiles.map((p) => ({
      profile: p.profile,
      costMatrix: p.costMatrix,
      normalisedScore: p.normalisedScore,
      rawScore: p.rawScore,
      threshold: p.threshold,
      nullScore: p.nullScore,
      perfectScore: p.perfectScore,
      windows: p.windows,
      windowsDetected: p.windowsDetected,
      rowCounts: p.counts,
      files: p.files,
    })),
  };
}

/** Console table, one line per profile. */
export function formatTable(detector: string, profiles: readonly ProfileResult[]): string[] {
  const first = profiles[0];
  const lines = [
    `NAB scores for detector "${detector}"` +
      (first === undefined ? "" : ` (${first.files.length} files, ${first.windows} windows)`),
    `${"profile".padEnd(20)} ${"normalised".padStart(10)} ${"raw".padStart(9)}  ${"threshold".padEnd(16)} ${"null raw".padStart(9)} ${"perfect".padStart(8)} ${"windows hit".padStart(11)} ${"FP rows".padStart(8)}`,
  ];
  for (const p of profiles) {
    lines.push(
      `${p.profile.padEnd(20)} ${fmt(p.normalisedScore, 2).padStart(10)} ${fmt(p.rawScore, 3).padStart(9)}  ${fmtThreshold(p.threshold).padEnd(16)} ${fmt(p.nullScore, 3).padStart(9)} ${fmt(p.perfectScore, 1).padStart(8)} ${`${p.windowsDetected}/${p.windows}`.padStart(11)} ${String(p.counts.fp).padStart(8)}`,
    );
  }
  return lines;
}

/** Markdown table for the README / issue notes. */
export function formatMarkdown(meta: RunMeta, profiles: readonly ProfileResult[]): string {
  const rows = profiles.map(
    (p) =>
      `| ${p.profile} | ${fmt(p.normalisedScore, 2)} | ${fmt(p.rawScore, 3)} | ${fmtThreshold(p.threshold)} | ${fmt(p.nullScore, 3)} | ${fmt(p.perfectScore, 1)} | ${p.windowsDetected}/${p.windows} | ${p.counts.fp} |`,
  );
  return [
    `# NAB scores: ${meta.detector}`,
    "",
    `Data \`${meta.dataDir}\` (${meta.files} files, ${meta.rows} rows), labels \`${meta.labelsPath}\`, ` +
      `results \`${meta.resultsDir}\` (${meta.mode}). One threshold per profile, optimised over the whole corpus; ` +
      `normalised = 100 · (raw − null) / (perfect − null).`,
    "",
    "| profile | normalised | raw | threshold | null raw | perfect raw | windows detected | FP rows |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
  ].join("\n");
}
