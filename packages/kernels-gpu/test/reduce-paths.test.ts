/**
 * The reduction paths: short rows (one thread per output), long contiguous rows (vector or
 * scalar loads, one workgroup per row, split across workgroups when there are few rows, with a
 * second pass that is itself serial or split), a long strided dimension (one thread per output
 * and chunk), and several reduced dimensions (the workgroup tree). Every reducer and storage
 * type against float64 loops, NaN included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { all, any, max, min, prod, setBackend, sum, tensor, type Tensor } from '@tessera/core';
import type { WebGpuBackend } from '../src/index.js';
import { createTestBackend } from './setup.js';

let gpu: WebGpuBackend;
beforeAll(async () => {
  gpu = await createTestBackend({ hostCacheBytes: 0 });
  setBackend(gpu);
});
afterAll(() => gpu.dispose());

/** Small integers and halves: sums of a few thousand are exact in float32. */
function vals(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => ((((i + 3) * 29 + seed * 53) % 41) - 20) / 2);
}

/** float64 reduction of `x` (shape `shape`) over `axes` with `f`, starting from `init`. */
function reference(x: readonly number[], shape: readonly number[], axes: readonly number[], f: (a: number, b: number) => number, init: number): number[] {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outSize = outShape.reduce((p, d) => p * d, 1);
  const out = new Array<number>(outSize).fill(init);
  const coords = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < x.length; i++) {
    let rem = i;
    for (let d = shape.length - 1; d >= 0; d--) {
      coords[d] = rem % shape[d]!;
      rem = Math.floor(rem / shape[d]!);
    }
    let o = 0;
    for (let d = 0; d < shape.length; d++) o = o * outShape[d]! + (axes.includes(d) ? 0 : coords[d]!);
    out[o] = f(out[o]!, x[i]!);
  }
  return out;
}

async function check(t: Tensor, want: readonly number[], what: string, tol = 0): Promise<void> {
  const got = Array.from(await t.data());
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} values, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    const ok = Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= tol * Math.max(1, Math.abs(w));
    if (!ok) throw new Error(`${what}: element ${i} is ${g}, expected ${w}`);
  }
}

// [shape, axes]: which path each takes is in the comment
const CASES: [number[], number[]][] = [
  [[5, 40], [1]], // short rows: one thread per output
  [[3, 300], [1]], // contiguous rows, vector loads, one workgroup of 64 per row
  [[3, 301], [1]], // contiguous rows, scalar loads
  [[2, 10000], [1]], // split rows (vector), serial second pass
  [[1, 600000], [1]], // split into more than 64 parts: the second pass is a contiguous row again
  [[40001], [0]], // split (scalar), everything into one output
  [[2, 3, 4000], [1, 2]], // two reduced dims merge into one contiguous row
  [[4, 500], [0, 1]],
  [[200, 7], [0]], // strided dimension: thread per output and chunk, serial second pass
  [[3000, 3], [0]], // strided, many chunks: split second pass over contiguous partials
  [[4, 90, 5], [1]], // strided middle dimension with two kept dims
  [[70, 3, 80], [0, 2]], // two separate reduced dims: workgroup tree
  [[2, 0, 100], [2]], // empty output
  [[3, 0], [1]], // empty rows: the identity
];

describe('reduction paths', () => {
  it('sum, max and min agree with float64 loops on every path', async () => {
    let seed = 0;
    for (const [shape, axes] of CASES) {
      const n = shape.reduce((p, d) => p * d, 1);
      const x = vals(n, seed++);
      const t = tensor(x, shape);
      const what = `[${shape.join(',')}] over [${axes.join(',')}]`;
      const s = sum(t, axes);
      const mx = max(t, axes);
      const mn = min(t, axes);
      await check(s, reference(x, shape, axes, (a, b) => a + b, 0), `sum ${what}`);
      await check(mx, reference(x, shape, axes, Math.max, -Infinity), `max ${what}`);
      await check(mn, reference(x, shape, axes, Math.min, Infinity), `min ${what}`);
      for (const u of [t, s, mx, mn]) u.dispose();
    }
  });

  it('prod, int32 sums and bool any/all on the long paths', async () => {
    for (const [shape, axes] of [
      [[2, 600], [1]],
      [[2, 601], [1]],
      [[300, 3], [0]],
      [[30000], [0]],
    ] as [number[], number[]][]) {
      const n = shape.reduce((p, d) => p * d, 1);
      const what = `[${shape.join(',')}] over [${axes.join(',')}]`;
      // products of values near 1 stay finite; float32 rounding over hundreds of factors
      const pv = Array.from({ length: n }, (_, i) => 1 + ((i % 7) - 3) / 512);
      const tp = tensor(pv, shape);
      const p = prod(tp, axes);
      await check(p, reference(pv, shape, axes, (a, b) => a * b, 1), `prod ${what}`, 1e-4);
      const iv = Array.from({ length: n }, (_, i) => ((i * 7919) % 2001) - 1000);
      const ti = tensor(Int32Array.from(iv), shape, 'int32');
      const si = sum(ti, axes);
      expect(si.dtype).toBe('int32');
      await check(si, reference(iv, shape, axes, (a, b) => a + b, 0), `int32 sum ${what}`);
      // one true (or false) element per output, at varying positions
      const bv = Array.from({ length: n }, (_, i) => (i % 389 === 17 ? 1 : 0));
      const tb = tensor(Uint8Array.from(bv), shape, 'bool');
      const nb = tensor(Uint8Array.from(bv.map((v) => 1 - v)), shape, 'bool');
      const an = any(tb, axes);
      const al = all(nb, axes);
      await check(an, reference(bv, shape, axes, (a, b) => (a || b ? 1 : 0), 0), `any ${what}`);
      await check(al, reference(bv.map((v) => 1 - v), shape, axes, (a, b) => (a && b ? 1 : 0), 1), `all ${what}`);
      for (const u of [tp, p, ti, si, tb, nb, an, al]) u.dispose();
    }
  });

  it('propagates NaN through sum, max and min on the vector and strided paths', async () => {
    for (const [shape, axes, at] of [
      [[2, 4000], [1], 2999],
      [[2, 4001], [1], 4001 + 17],
      [[500, 2], [0], 2 * 321 + 1],
    ] as [number[], number[], number][]) {
      const n = shape.reduce((p, d) => p * d, 1);
      const x = vals(n, 5);
      x[at] = NaN;
      const t = tensor(x, shape);
      const what = `[${shape.join(',')}] NaN at ${at}`;
      const s = sum(t, axes);
      const mx = max(t, axes);
      const mn = min(t, axes);
      await check(s, reference(x, shape, axes, (a, b) => a + b, 0), `sum ${what}`);
      await check(mx, reference(x, shape, axes, (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)), -Infinity), `max ${what}`);
      await check(mn, reference(x, shape, axes, (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)), Infinity), `min ${what}`);
      for (const u of [t, s, mx, mn]) u.dispose();
    }
  });
});
