/**
 * Seeded pseudo-random numbers for the simulator: sfc32 (a small, fast generator that passes PractRand)
 * seeded through splitmix32. Pure (no `node:*`), so the same code runs anywhere and gives the same
 * sequence everywhere. Streams are derived by hashing (seed, host index, stream tag), so any host can be
 * generated alone, in any order, with the same result.
 */

/** Murmur3's 32-bit finaliser: a bijective avalanche mix of a uint32. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes any number of non-negative integers (each < 2^53) into one uint32 seed. */
export function deriveSeed(...parts: number[]): number {
  let h = 0x6a09e667;
  for (const part of parts) {
    const lo = part >>> 0;
    const hi = Math.floor(part / 4294967296) >>> 0;
    h = mix32(h ^ mix32(lo + 0x9e3779b9));
    h = mix32(h ^ mix32(hi + 0x7f4a7c15));
  }
  return h;
}

/** Stream tags: one independent generator per concern, so e.g. changing the failure rate does not
 * change a host's baseline noise. */
export const Stream = {
  profile: 1,
  failures: 2,
  benign: 3,
  noise: 4,
  arrival: 5,
  sawtooth: 6,
  eventNoise: 7,
  fleetPeaks: 8,
} as const;

/** Host index used for fleet-wide streams (no real host has it). */
export const FLEET_INDEX = 0xfffff;

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  constructor(seed: number) {
    let s = seed >>> 0;
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    // Warm up: the first outputs of sfc32 are weakly mixed.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Generator for one (seed, host index, stream) triple. */
  static for(seed: number, index: number, stream: number): Rng {
    return new Rng(deriveSeed(seed, index, stream));
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer uniform in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box–Muller; the second value is kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = this.next();
    while (u <= 1e-12) u = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Poisson count (Knuth; fine for the small means used here). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }

  /** Picks by non-negative weights (at least one positive). */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    // Rounding left r >= 0: fall back to the last item that can be picked at all.
    for (let i = items.length - 1; i >= 0; i--) {
      const entry = items[i];
      if (entry !== undefined && entry[1] > 0) return entry[0];
    }
    throw new Error("weighted pick needs a positive weight");
  }
}
