/**
 * Shared helpers of the fast-kernel tests: a seeded generator and value makers.
 */

/** A seeded generator of uniform numbers in [0, 1) (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** float32-representable values in [-1, 1). */
export function values(n: number, r: () => number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = r() * 2 - 1;
  return v;
}

/** Same number: equal with the same sign of zero, or both NaN. */
export function same(a: number, b: number): boolean {
  return Object.is(a, b) || (a !== a && b !== b);
}
