import { DTypeError, dispose, memory, setBackend, tensor, ValueError, variable, type Tensor } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  clipByGlobalNorm,
  clipByNorm,
  clipGradientsByNorm,
  clipGradientsByValue,
  globalNorm,
  GradientDescentOptimizer,
} from '../src/index.js';
import { expectClose } from './reference.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

const values = (t: Tensor | null): number[] => Array.from(t!.dataSync());

describe('clipGradientsByValue', () => {
  it('clips each gradient elementwise; nulls and variables pass through; inputs untouched', () => {
    const g1 = tensor([-3, 0.5, 2]);
    const g3 = tensor([[10, -10]]);
    const clipped = clipGradientsByValue([g1, null, g3], -1, 1);
    expect(values(clipped[0]!)).toEqual([-1, 0.5, 1]);
    expect(clipped[1]).toBeNull();
    expect(values(clipped[2]!)).toEqual([1, -1]);
    expect(clipped[2]!.shape).toEqual([1, 2]);
    expect(values(g1)).toEqual([-3, 0.5, 2]);
    const a = variable(tensor([0, 0, 0]), { name: 'a' });
    const b = variable(0, { name: 'b' });
    const pairs = clipGradientsByValue([[g1, a], [null, b]] as const, 0, 1);
    expect(pairs[0]![1]).toBe(a);
    expect(values(pairs[0]![0])).toEqual([0, 0.5, 1]);
    expect(pairs[1]).toEqual([null, b]);
    dispose([g1, g3, clipped, pairs.map((p) => p[0]), a, b]);
  });

  it('rejects min > max and non-tensors', () => {
    const g = tensor([1]);
    expect(() => clipGradientsByValue([g], 1, -1)).toThrow(/clipGradientsByValue: min and max must be numbers with min <= max/);
    expect(() => clipGradientsByValue([g], NaN, 1)).toThrow(ValueError);
    expect(() => clipGradientsByValue([3 as never], 0, 1)).toThrow(/entry 0 must be a tensor or null, got number 3/);
    expect(() => clipGradientsByValue(g as never, 0, 1)).toThrow(/expected an array/);
    g.dispose();
  });
});

describe('clipByNorm / clipGradientsByNorm', () => {
  it('t * clipNorm / max(norm(t), clipNorm)', () => {
    const t = tensor([3, 4]);
    const c = clipByNorm(t, 1);
    expectClose(c.dataSync(), [0.6, 0.8], 1e-6);
    const same = clipByNorm(t, 10);
    expectClose(same.dataSync(), [3, 4], 1e-6);
    const rows = tensor([[3, 4], [0, 0.5]]);
    const byRow = clipByNorm(rows, 1, 1);
    expectClose(byRow.dataSync(), [0.6, 0.8, 0, 0.5], 1e-6);
    const zero = tensor([0, 0]);
    const z = clipByNorm(zero, 1);
    expect(values(z)).toEqual([0, 0]);
    const list = clipGradientsByNorm([t, null, rows], 2.5);
    expectClose(list[0]!.dataSync(), [1.5, 2], 1e-6);
    expect(list[1]).toBeNull();
    const n = Math.hypot(3, 4, 0.5);
    expectClose(list[2]!.dataSync(), [3, 4, 0, 0.5].map((x) => (x * 2.5) / n), 1e-6);
    expect(() => clipByNorm(t, 0)).toThrow(/clipByNorm: clipNorm must be a number > 0, got number 0/);
    expect(() => clipByNorm(tensor([1], undefined, 'int32'), 1)).toThrow(DTypeError);
    dispose([t, c, same, rows, byRow, zero, z, list]);
  });
});

describe('globalNorm / clipByGlobalNorm', () => {
  it('global norm over tensors, skipping nulls', () => {
    const a = tensor([3, 4]);
    const b = tensor([[12]]);
    const n = globalNorm([a, null, b]);
    expect(n.item()).toBeCloseTo(13, 5);
    const empty = globalNorm([null]);
    expect(empty.item()).toBe(0);
    dispose([a, b, n, empty]);
  });

  it('scales every gradient by clipNorm / max(globalNorm, clipNorm) and returns the norm before clipping', () => {
    const before = memory().numTensors;
    const a = tensor([3, 4]);
    const b = tensor([[12]]);
    const [clipped, norm] = clipByGlobalNorm([a, null, b], 6.5);
    expect(norm.item()).toBeCloseTo(13, 5);
    expectClose(clipped[0]!.dataSync(), [1.5, 2], 1e-6);
    expect(clipped[1]).toBeNull();
    expectClose(clipped[2]!.dataSync(), [6], 1e-6);
    expect(clipped[2]!.shape).toEqual([1, 1]);
    // The clipped global norm is clipNorm.
    const after = globalNorm(clipped);
    expect(after.item()).toBeCloseTo(6.5, 5);
    // Below the bound: unchanged.
    const [same, norm2] = clipByGlobalNorm([a, b], 20);
    expectClose(same[0]!.dataSync(), [3, 4], 1e-6);
    expectClose(same[1]!.dataSync(), [12], 1e-6);
    // A precomputed norm.
    const [half, used] = clipByGlobalNorm([a], 1, { useNorm: norm });
    expectClose(half[0]!.dataSync(), [3 / 13, 4 / 13], 1e-6);
    expect(used).not.toBe(norm);
    expect(used.item()).toBeCloseTo(13, 5);
    dispose([a, b, clipped, norm, after, same, norm2, half, used]);
    expect(memory().numTensors).toBe(before);
  });

  it('works on [gradient, variable] pairs between computeGradients and applyGradients', () => {
    const w = variable(tensor([0, 0]), { name: 'w' });
    const b = variable(0, { name: 'b' });
    const opt = new GradientDescentOptimizer(1);
    const pairs = opt.computeGradients(() => w.mul(tensor([3, 4])).sum().add(b.mul(0).mul(w.sum())));
    const [clipped, norm] = clipByGlobalNorm(pairs, 1);
    expect(clipped.map((p) => p[1])).toEqual([w, b]);
    expect(norm.item()).toBeCloseTo(5, 5);
    opt.applyGradients(clipped);
    expectClose(w.dataSync(), [-0.6, -0.8], 1e-6);
    dispose([pairs.map((p) => p[0]), clipped.map((p) => p[0]), norm, w, b]);
  });

  it('an infinite or NaN global norm turns every clipped gradient into NaN (as TF)', () => {
    const a = tensor([Infinity, 1]);
    const b = tensor([1]);
    const [clipped, norm] = clipByGlobalNorm([a, b], 1);
    expect(norm.item()).toBe(Infinity);
    expect(values(clipped[0]!).every(Number.isNaN)).toBe(true);
    expect(values(clipped[1]!).every(Number.isNaN)).toBe(true);
    dispose([a, b, clipped, norm]);
  });

  it('mixed float32/float64 gradients; bad arguments', () => {
    const a = tensor([3], undefined, 'float64');
    const b = tensor([4]);
    const [clipped, norm] = clipByGlobalNorm([a, b], 1);
    expect(norm.dtype).toBe('float64');
    expect(clipped[0]!.dtype).toBe('float64');
    expect(clipped[1]!.dtype).toBe('float32');
    expectClose(clipped[0]!.dataSync(), [0.6], 1e-12);
    expectClose(clipped[1]!.dataSync(), [0.8], 1e-6);
    expect(() => clipByGlobalNorm([a], -1)).toThrow(/clipByGlobalNorm: clipNorm must be a number > 0, got number -1/);
    expect(() => clipByGlobalNorm([a], 1, { useNorm: a.reshape([1, 1]).tile([2, 1]) })).toThrow(/useNorm must be a float scalar tensor/);
    expect(() => globalNorm([tensor([1], undefined, 'int32')])).toThrow(DTypeError);
    dispose([a, b, clipped, norm]);
  });
});
