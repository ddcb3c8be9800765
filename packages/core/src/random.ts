/**
 * Seeded pseudo-random numbers. Random tensors are generated on the host in float64 by one
 * generator (xoshiro128**, seeded through splitmix32) and then written to the backend, so the
 * same seed gives the same numbers on every backend.
 *
 * @module
 */
import { checkInteger } from './shape.js';

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * A seeded generator of uniform and normal numbers.
 *
 * @example
 * ```ts
 * const rng = new RandomGenerator(42);
 * rng.uniform(); // a number in [0, 1)
 * rng.normal(); // a standard normal sample
 * ```
 */
export class RandomGenerator {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  /** Creates a generator from an integer seed. */
  constructor(seed: number) {
    checkInteger(seed, 'RandomGenerator', 'seed');
    const sm = splitmix32(seed ^ Math.floor(seed / 0x100000000));
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm();
    this.s3 = sm();
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    return result;
  }

  /** A uniform number in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A standard normal sample (Box–Muller). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

let globalGenerator = new RandomGenerator((Date.now() ^ (Math.random() * 0x7fffffff)) | 0);

/**
 * Seeds the global generator used by random ops called without a `seed`, making a whole
 * program's random numbers reproducible.
 *
 * @example
 * ```ts
 * setRandomSeed(0);
 * const a = randomNormal([2]);
 * setRandomSeed(0);
 * const b = randomNormal([2]); // same numbers as `a`
 * ```
 */
export function setRandomSeed(seed: number): void {
  globalGenerator = new RandomGenerator(seed);
}

/**
 * The generator a random op should use: a fresh one for an explicit seed, else the global one.
 *
 * @example
 * ```ts
 * const rng = generatorFor(7); // same sequence each time it is called with 7
 * ```
 */
export function generatorFor(seed: number | undefined): RandomGenerator {
  return seed === undefined ? globalGenerator : new RandomGenerator(seed);
}
