import { describe, expect, it } from "vitest";
import { CrossValidator, assignFolds } from "./cv.ts";
import { scoreCorpus } from "./corpus.ts";
import { NAB_PROFILES, PROFILE_NAMES } from "./profiles.ts";
import type { WindowRows } from "./windows.ts";

/** Deterministic uniform numbers in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const names = (n: number, cats = 3): string[] =>
  Array.from({ length: n }, (_, i) => `cat${i % cats}/file${String(i).padStart(2, "0")}.csv`);

describe("assignFolds", () => {
  it("partitions the files into k folds of near-equal size, each with a mix of categories", () => {
    const files = names(34, 4);
    const folds = assignFolds(files, 6, 1);
    expect(folds).toHaveLength(34);
    const sizes = [0, 1, 2, 3, 4, 5].map((k) => folds.filter((f) => f === k).length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(34);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (const f of folds) expect(f).toBeGreaterThanOrEqual(0);
    for (let k = 0; k < 6; k++) {
      const cats = new Set(files.filter((_, i) => folds[i] === k).map((n) => n.split("/")[0]));
      expect(cats.size).toBeGreaterThanOrEqual(3);
    }
  });

  it("is deterministic, independent of the input order, and changes with the seed", () => {
    const files = names(20);
    const a = assignFolds(files, 5, 7);
    expect(assignFolds(files, 5, 7)).toEqual(a);
    const reversed = [...files].reverse();
    const b = assignFolds(reversed, 5, 7);
    expect(reversed.map((n, i) => [n, b[i]]).sort()).toEqual(files.map((n, i) => [n, a[i]]).sort());
    expect(assignFolds(files, 5, 8)).not.toEqual(a);
  });

  it("k = 0 or k ≥ files is leave-one-file-out; fewer than 2 files or duplicate names are rejected", () => {
    expect(new Set(assignFolds(names(7), 0)).size).toBe(7);
    expect(new Set(assignFolds(names(7), 99)).size).toBe(7);
    expect(() => assignFolds(names(1), 5)).toThrow(RangeError);
    expect(() => assignFolds(names(7), 1)).toThrow(/no training files/);
    expect(() => assignFolds(["a/x.csv", "a/x.csv"], 2)).toThrow(RangeError);
  });
});

/** A random corpus: files with 0–2 windows and noisy scores that are higher inside windows. */
function randomCorpus(seed: number, files: number, configs: number) {
  const r = lcg(seed);
  const fileNames = names(files);
  const windows: WindowRows[][] = [];
  const lengths: number[] = [];
  for (let f = 0; f < files; f++) {
    const n = 400 + Math.floor(r() * 200);
    lengths.push(n);
    const w: WindowRows[] = [];
    const count = Math.floor(r() * 3);
    for (let k = 0; k < count; k++) {
      const start = 100 + k * 140 + Math.floor(r() * 60);
      w.push({ start, end: start + 30 });
    }
    windows.push(w);
  }
  const scores = Array.from({ length: configs }, (_, c) =>
    lengths.map((n, f) => {
      const s = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        // Quantised, so there are ties (as real detectors produce).
        s[i] = Math.round(r() ** (3 + c) * 50) / 50;
      }
      for (const w of windows[f] ?? []) s[w.start + Math.floor(r() * 30)] = Math.min(1, 0.5 + r());
      return s;
    }),
  );
  return { names: fileNames, windows, scores };
}

describe("CrossValidator", () => {
  it("in-sample figures equal NAB's optimiser + scorer (scoreCorpus) for every configuration", () => {
    const corpus = randomCorpus(3, 9, 3);
    const cv = new CrossValidator(corpus);
    for (const res of cv.inSample()) {
      for (const p of res.profiles) {
        const ref = scoreCorpus(
          corpus.names.map((name, f) => ({
            name,
            anomalyScores: corpus.scores[res.config]![f]!,
            windows: corpus.windows[f]!,
          })),
          NAB_PROFILES[p.profile],
        );
        expect(p.threshold).toBe(ref.threshold);
        expect(p.rawScore).toBeCloseTo(ref.rawScore, 10);
      }
    }
  });

  it("a fold's choice does not see the held-out file: changing its labels changes its score only", () => {
    const corpus = randomCorpus(5, 8, 3);
    const folds = assignFolds(corpus.names, 4, 1);
    const before = new CrossValidator(corpus).crossValidate(folds);
    // Move the windows of one held-out file (fold of file 0) somewhere else entirely.
    const changed = {
      ...corpus,
      windows: corpus.windows.map((w, f) => (f === 0 ? [{ start: 300, end: 340 }] : w)),
    };
    const after = new CrossValidator(changed).crossValidate(folds);
    const fold = folds[0]!;
    for (const [i, p] of before.entries()) {
      const q = after[i]!;
      const c0 = p.choices.find((c) => c.fold === fold)!;
      const c1 = q.choices.find((c) => c.fold === fold)!;
      expect(c1.config).toBe(c0.config);
      expect(c1.threshold).toBe(c0.threshold);
      expect(c1.trainScore).toBeCloseTo(c0.trainScore, 12);
      // The other folds train on file 0, so they may choose differently; the fold itself may not.
    }
    expect(after[0]!.files[0]!.score).not.toBeCloseTo(before[0]!.files[0]!.score, 6);
  });

  it("CV differs from in-sample as computed by hand (two files, leave-one-out)", () => {
    // File A: its window's first row scores 0.9, nothing else. File B: its window's first row
    // scores 0.3 and one row long after the window 0.6 (a false positive).
    const n = 1000;
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    a[500] = 0.9;
    b[500] = 0.3;
    b[900] = 0.6;
    const w: WindowRows[] = [{ start: 500, end: 549 }];
    const corpus = { names: ["x/a.csv", "x/b.csv"], windows: [w, w], scores: [[a, b]] };
    const cv = new CrossValidator(corpus);
    const std = cv.crossValidate([0, 1])[0]!;
    const tp = 1; // a detection at a window's left edge earns the full tpWeight (1)
    const fp = -0.11; // standard profile, far after the window
    // In-sample: threshold 0.3 catches both windows and pays B's false positive.
    expect(cv.inSample()[0]!.profiles[0]!.threshold).toBe(0.3);
    expect(cv.inSample()[0]!.profiles[0]!.rawScore).toBeCloseTo(2 * tp + fp, 4);
    // CV: trained on B alone → threshold 0.3, A is caught. Trained on A alone → 0.9 (ties go to the
    // higher threshold), so B's window is missed (−1) and its false positive is not raised.
    expect(std.choices.map((c) => c.threshold)).toEqual([0.3, 0.9]);
    expect(std.files.map((f) => f.score)).toEqual([expect.closeTo(tp, 4), -1]);
    expect(std.rawScore).toBeCloseTo(tp - 1, 4);
    expect(std.normalisedScore).toBeCloseTo((100 * (tp - 1 - -2)) / (2 - -2), 4);
  });

  it("chooses the configuration on the training folds, not the one that fits the held-out file", () => {
    // Six files, one window each. Config 0 catches every window but file 0's; config 1 catches only
    // file 0's. Held out, file 0 gets config 0 (better on the other five) and its window is missed.
    const n = 1000;
    const w: WindowRows[] = [{ start: 500, end: 549 }];
    const files = names(6);
    const hit = (): Float64Array => {
      const s = new Float64Array(n);
      s[500] = 1;
      return s;
    };
    const config0 = files.map((_, f) => (f === 0 ? new Float64Array(n) : hit()));
    const config1 = files.map((_, f) => (f === 0 ? hit() : new Float64Array(n)));
    const cv = new CrossValidator({ names: files, windows: files.map(() => w), scores: [config0, config1] });
    const std = cv.crossValidate(assignFolds(files, 0), [1, 0])[0]!;
    for (const c of std.choices) expect(c.config).toBe(0);
    expect(std.files[0]!.score).toBe(-1);
    expect(std.rawScore).toBeCloseTo(5 - 1, 6);
    // Had file 0's own labels been used, config 1 would have caught it: in-sample per config.
    const [is0, is1] = cv.inSample();
    expect(is0!.profiles[0]!.rawScore).toBeCloseTo(4, 6);
    expect(is1!.profiles[0]!.rawScore).toBeCloseTo(1 - 5, 6);
  });

  it("is deterministic and scores every file exactly once per profile", () => {
    const corpus = randomCorpus(9, 10, 4);
    const folds = assignFolds(corpus.names, 5, 3);
    const a = new CrossValidator(corpus).crossValidate(folds);
    const b = new CrossValidator(corpus).crossValidate(folds);
    expect(a).toEqual(b);
    for (const p of a) {
      expect(p.files.map((f) => f.name)).toEqual(corpus.names);
      expect(p.choices.flatMap((c) => c.heldOut).sort()).toEqual([...corpus.names].sort());
    }
    expect(a.map((p) => p.profile)).toEqual(PROFILE_NAMES);
  });
});
