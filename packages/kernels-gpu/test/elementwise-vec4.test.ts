/**
 * Elementwise kernels compute four outputs per thread with vector loads and stores when the
 * layout allows it (no broadcasting, or a collapsed last dimension that is a multiple of 4) and
 * one per thread otherwise. Sizes around multiples of 4, broadcasts that span or repeat along
 * the last dimension, constants, and every storage type are checked against float64 loops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add, cast, exp, greater, maximum, mul, relu, setBackend, sub, tensor, where, type Tensor } from '@tessera/core';
import type { WebGpuBackend } from '../src/index.js';
import { createTestBackend } from './setup.js';

let gpu: WebGpuBackend;
beforeAll(async () => {
  gpu = await createTestBackend({ hostCacheBytes: 0 });
  setBackend(gpu);
});
afterAll(() => gpu.dispose());

/** Deterministic values in [-2, 2) with a few exact integers (seeded). */
function vals(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => ((((i + 1) * 37 + seed * 101) % 64) - 32) / 16);
}

/** Row-major index of `shape` broadcast into `outShape`, for flat output index `i`. */
function bIndex(i: number, outShape: readonly number[], shape: readonly number[]): number {
  const pad = [...new Array<number>(outShape.length - shape.length).fill(1), ...shape];
  let rem = i;
  let off = 0;
  let stride = 1;
  const coords: number[] = new Array<number>(outShape.length);
  for (let d = outShape.length - 1; d >= 0; d--) {
    coords[d] = rem % outShape[d]!;
    rem = Math.floor(rem / outShape[d]!);
  }
  for (let d = outShape.length - 1; d >= 0; d--) {
    off += (pad[d] === 1 ? 0 : coords[d]!) * stride;
    stride *= pad[d]!;
  }
  return off;
}

async function expectValues(t: Tensor, want: readonly number[], tol = 0): Promise<void> {
  const got = Array.from(await t.data());
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    if (!(Math.abs(got[i]! - w) <= tol * Math.max(1, Math.abs(w)))) {
      throw new Error(`element ${i} of ${want.length}: got ${got[i]}, expected ${w}`);
    }
  }
}

describe('elementwise vector path', () => {
  it('same-shape inputs of every size around multiples of 4 (the last vector reads padding)', async () => {
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 1023, 1025]) {
      const a = vals(n, n);
      const b = vals(n, n + 1);
      const ta = tensor(a);
      const tb = tensor(b);
      const s = add(ta, tb);
      const m = mul(ta, 3);
      const e = exp(ta);
      const r = relu(sub(ta, tb));
      await expectValues(s, a.map((v, i) => v + b[i]!));
      await expectValues(m, a.map((v) => v * 3));
      await expectValues(e, a.map(Math.exp), 1e-6);
      await expectValues(r, a.map((v, i) => Math.max(0, v - b[i]!)));
      for (const t of [ta, tb, s, m, e, r]) t.dispose();
    }
  });

  it('broadcasts that span or repeat along a last dimension that is a multiple of 4, or is not', async () => {
    const cases: [number[], number[]][] = [
      [[3, 8], [8]], // spans the last dim: vector loads of b
      [[3, 8], [3, 1]], // constant along the last dim: one load, splat
      [[2, 3, 4], [2, 1, 4]], // middle dim broadcast
      [[2, 3, 4], [1, 3, 1]],
      [[5, 12], [1, 12]],
      [[3, 6], [6]], // last dim 6: one output per thread
      [[4, 5], [4, 1]],
      [[2, 1, 7], [3, 1]],
    ];
    let seed = 0;
    for (const [sa, sb] of cases) {
      const outShape = sa.length >= sb.length ? [...sa] : [...sb];
      for (let d = 1; d <= Math.min(sa.length, sb.length); d++) {
        outShape[outShape.length - d] = Math.max(sa[sa.length - d]!, sb[sb.length - d]!);
      }
      const n = outShape.reduce((p, d) => p * d, 1);
      const a = vals(sa.reduce((p, d) => p * d, 1), seed++);
      const b = vals(sb.reduce((p, d) => p * d, 1), seed++);
      const ta = tensor(a, sa);
      const tb = tensor(b, sb);
      const s = sub(ta, tb);
      const s2 = maximum(tb, ta); // the broadcast input first
      const want = Array.from({ length: n }, (_, i) => a[bIndex(i, outShape, sa)]! - b[bIndex(i, outShape, sb)]!);
      const want2 = Array.from({ length: n }, (_, i) => Math.max(a[bIndex(i, outShape, sa)]!, b[bIndex(i, outShape, sb)]!));
      expect(s.shape).toEqual(outShape);
      await expectValues(s, want);
      await expectValues(s2, want2);
      for (const t of [ta, tb, s, s2]) t.dispose();
    }
  });

  it('bool and int32 storage, comparisons, where and casts', async () => {
    for (const n of [3, 8, 10]) {
      const a = vals(n, 7);
      const b = vals(n, 9);
      const ta = tensor(a);
      const tb = tensor(b);
      const gt = greater(ta, tb);
      const w = where(gt, ta, tb);
      const ia = cast(mul(ta, 16), 'int32');
      const ib = cast(tensor(b.map((v) => v * 16), [n]), 'int32');
      const isum = add(ia, ib);
      const wInt = where(gt, isum, ib); // bool condition with int32 branches
      await expectValues(gt, a.map((v, i) => (v > b[i]! ? 1 : 0)));
      await expectValues(w, a.map((v, i) => (v > b[i]! ? v : b[i]!)));
      await expectValues(isum, a.map((v, i) => v * 16 + b[i]! * 16));
      await expectValues(wInt, a.map((v, i) => (v > b[i]! ? v * 16 + b[i]! * 16 : b[i]! * 16)));
      expect(isum.dtype).toBe('int32');
      for (const t of [ta, tb, gt, w, ia, ib, isum, wInt]) t.dispose();
    }
  });

  it('writes nothing beyond a tensor that later tensors could see', async () => {
    // a 5-element result's last vector writes 3 lanes of padding; a tensor allocated next in
    // the same size class must still read back its own values
    const x = tensor([1, 2, 3, 4, 5]);
    const y = add(x, x);
    const z = tensor([9, 9, 9, 9, 9, 9, 9]); // 28 bytes: the same 32-byte class
    const w = mul(z, 1);
    await expectValues(y, [2, 4, 6, 8, 10]);
    await expectValues(w, [9, 9, 9, 9, 9, 9, 9]);
    for (const t of [x, y, z, w]) t.dispose();
  });
});
