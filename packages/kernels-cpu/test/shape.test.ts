import { beforeAll, describe, expect, it } from 'vitest';
import {
  RandomGenerator,
  ValueError,
  broadcastTo,
  concat,
  expandDims,
  gather,
  getOp,
  identity,
  listOps,
  memory,
  pad,
  requiredKernels,
  reshape,
  setBackend,
  slice,
  squeeze,
  stridedSlice,
  tensor,
  tidy,
  transpose,
  unsortedSegmentSum,
  type Backend,
  type TensorSpec,
} from '@tessera/core';
import { createCpuBackend } from '../src/index.js';

let backend: Backend;
beforeAll(async () => {
  backend = await createCpuBackend();
  setBackend(backend);
});

/** Row-major multi-index of a flat index. */
function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

function ravel(idx: readonly number[], shape: readonly number[]): number {
  let f = 0;
  for (let d = 0; d < shape.length; d++) f = f * shape[d]! + idx[d]!;
  return f;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Python's `list(range(d))[start:stop:step]`, by walking and testing each index. */
function pySlice(d: number, start: number | undefined, stop: number | undefined, step: number): number[] {
  const out: number[] = [];
  const norm = (v: number): number => (v < 0 ? v + d : v);
  if (step > 0) {
    let i = start === undefined ? 0 : Math.max(0, norm(start));
    const e = stop === undefined ? d : Math.min(d, norm(stop));
    for (; i < e; i += step) out.push(i);
  } else {
    let i = start === undefined ? d - 1 : Math.min(d - 1, norm(start));
    const e = stop === undefined ? -1 : Math.max(-1, norm(stop));
    for (; i > e; i += step) out.push(i);
  }
  return out;
}

describe('stridedSlice fuzzing against Python slicing', () => {
  it('matches on 300 random specs over ranks 1 to 4', () => {
    const rng = new RandomGenerator(1234);
    const int = (lo: number, hi: number): number => lo + Math.floor(rng.uniform() * (hi - lo + 1));
    for (let trial = 0; trial < 300; trial++) {
      const rank = int(1, 4);
      const shape = Array.from({ length: rank }, () => int(0, 5));
      const n = size(shape);
      const x = tensor(Array.from({ length: n }, (_, i) => i), shape, 'int32');
      const begin: number[] = [];
      const end: number[] = [];
      const strides: number[] = [];
      let beginMask = 0;
      let endMask = 0;
      const lists: number[][] = [];
      for (let d = 0; d < rank; d++) {
        const b = int(-8, 8);
        const e = int(-8, 8);
        let s = int(-3, 3);
        if (s === 0) s = 1;
        const bm = rng.uniform() < 0.25;
        const em = rng.uniform() < 0.25;
        if (bm) beginMask |= 1 << d;
        if (em) endMask |= 1 << d;
        begin.push(b);
        end.push(e);
        strides.push(s);
        lists.push(pySlice(shape[d]!, bm ? undefined : b, em ? undefined : e, s));
      }
      const y = stridedSlice(x, begin, end, strides, { beginMask, endMask });
      const outShape = lists.map((l) => l.length);
      expect(y.shape, JSON.stringify({ shape, begin, end, strides, beginMask, endMask })).toEqual(outShape);
      const got = Array.from(y.dataSync());
      const want = Array.from({ length: size(outShape) }, (_, i) => ravel(unravel(i, outShape).map((j, d) => lists[d]![j]!), shape));
      expect(got, JSON.stringify({ shape, begin, end, strides, beginMask, endMask })).toEqual(want);
      x.dispose();
      y.dispose();
    }
  });
});

describe('transpose fuzzing', () => {
  it('matches index arithmetic on random shapes and permutations up to rank 5', () => {
    const rng = new RandomGenerator(99);
    const int = (lo: number, hi: number): number => lo + Math.floor(rng.uniform() * (hi - lo + 1));
    for (let trial = 0; trial < 200; trial++) {
      const rank = int(0, 5);
      const shape = Array.from({ length: rank }, () => int(1, 4) + (rng.uniform() < 0.1 ? 30 : 0));
      const perm = Array.from({ length: rank }, (_, i) => i);
      for (let i = rank - 1; i > 0; i--) {
        const j = int(0, i);
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      const n = size(shape);
      tidy(() => {
        const x = tensor(Array.from({ length: n }, (_, i) => i), shape, 'int32');
        const y = transpose(x, perm);
        const outShape = perm.map((p) => shape[p]!);
        expect(y.shape).toEqual(outShape);
        const got = y.dataSync();
        for (let i = 0; i < n; i++) {
          const o = unravel(i, outShape);
          const src = new Array<number>(rank);
          for (let k = 0; k < rank; k++) src[perm[k]!] = o[k]!;
          if (got[i] !== ravel(src, shape)) throw new Error(`transpose ${JSON.stringify({ shape, perm })}: element ${i}`);
        }
      });
    }
  });
});

describe('identities the gradient rules rely on', () => {
  it('pad undoes a unit-stride slice (zeros elsewhere)', () => {
    tidy(() => {
      const x = tensor(Array.from({ length: 24 }, (_, i) => i + 1), [2, 3, 4]);
      const y = slice(x, [1, 0, 1], [1, 2, 2]);
      const back = pad(y, [[1, 0], [0, 1], [1, 1]]);
      const xv = x.dataSync();
      const got = back.dataSync();
      for (let i = 0; i < 24; i++) {
        const [a, b, c] = unravel(i, [2, 3, 4]) as [number, number, number];
        const inside = a === 1 && b < 2 && c >= 1 && c < 3;
        expect(got[i]).toBe(inside ? xv[i] : 0);
      }
    });
  });

  it('unsortedSegmentSum of flat indices scatters a strided slice back', () => {
    tidy(() => {
      const shape = [4, 5];
      const x = tensor(Array.from({ length: 20 }, (_, i) => i * 0.5 - 3), shape);
      const spec = [[3, 0], [0, 5], [-2, 2]] as const; // rows 3,1 (stride -2), cols 0,2,4 (stride 2)
      const y = stridedSlice(x, [spec[0][0], spec[0][1]], [spec[1][0], spec[1][1]], [spec[2][0], spec[2][1]], { endMask: 1 });
      const flat = stridedSlice(reshape(tensor(Array.from({ length: 20 }, (_, i) => i), [20], 'int32'), shape), [3, 0], [0, 5], [-2, 2], { endMask: 1 });
      const dx = reshape(unsortedSegmentSum(reshape(y, [-1]), reshape(flat, [-1]), 20), shape);
      const xv = x.dataSync();
      const got = dx.dataSync();
      for (let i = 0; i < 20; i++) {
        const [r, c] = unravel(i, shape) as [number, number];
        const picked = (r === 3 || r === 1) && c % 2 === 0;
        expect(got[i]).toBe(picked ? xv[i] : 0);
      }
    });
  });

  it('unsortedSegmentSum over the first axis accumulates gathered rows (gather gradient)', () => {
    tidy(() => {
      const idx = tensor([1, 1, 0, 3], [2, 2], 'int32');
      const dy = tensor([[[1, 2]], [[3, 4]], [[5, 6]], [[7, 8]]]).reshape([2, 2, 1, 2]);
      const dx = unsortedSegmentSum(dy, idx, 5);
      expect(dx.shape).toEqual([5, 1, 2]);
      expect(Array.from(dx.dataSync())).toEqual([5, 6, 4, 6, 0, 0, 7, 8, 0, 0]);
      // and gather at the same indices reads back rows of a [5, 1, 2] tensor into [2, 2, 1, 2]
      expect(gather(dx, idx).shape).toEqual([2, 2, 1, 2]);
    });
  });
});

describe('no copies where none are needed', () => {
  it('reshape, expandDims, squeeze, whole slices and repetition-free broadcasts share the buffer', () => {
    tidy(() => {
      const x = tensor([[1, 2, 3]]);
      for (const y of [reshape(x, [3]), expandDims(x, 2), squeeze(x), slice(x, [0, 0]), stridedSlice(x, [0], [1]), broadcastTo(x, [1, 1, 3]), identity(x)]) {
        expect(y.dataId).toBe(x.dataId);
      }
      expect(slice(x, [0, 1]).dataId).not.toBe(x.dataId);
    });
  });
});

describe('errors thrown inside kernels leave nothing behind', () => {
  it('an out-of-range gather allocates no buffer', () => {
    const x = tensor([1, 2, 3]);
    const idx = tensor([0, 7], [2], 'int32');
    const buffers = backend.memory().numBuffers;
    const tensors = memory().numTensors;
    expect(() => gather(x, idx)).toThrow(ValueError);
    expect(() => gather(x, idx)).toThrow(/gather: indices\[1\] = 7 is out of range for axis 0 of x \[3\] \(valid: 0 to 2\)/);
    expect(backend.memory().numBuffers).toBe(buffers);
    expect(memory().numTensors).toBe(tensors);
    x.dispose();
    idx.dispose();
  });
});

describe('op definitions', () => {
  it('lists the shape primitives, and the CPU backend implements each', () => {
    const ops = new Map(listOps().map((o) => [o.name, o.kind]));
    for (const p of ['transpose', 'stridedSlice', 'concat', 'pad', 'tile', 'gather', 'broadcastTo', 'reverse', 'unsortedSegmentSum']) {
      expect(ops.get(p)).toBe('primitive');
      expect(requiredKernels()).toContain(p);
      expect(backend.kernels[p]).toBeTypeOf('function');
    }
    for (const c of ['expandDims', 'squeeze', 'oneHot']) expect(ops.get(c)).toBe('composite');
    expect(ops.has('slice')).toBe(false);
    expect(requiredKernels()).not.toContain('reshape');
  });

  it('shape rules accept unknown dimensions (graph placeholders)', () => {
    const f = (shape: (number | null)[], dtype: TensorSpec['dtype'] = 'float32'): TensorSpec => ({ shape, dtype });
    const infer = (name: string, inputs: TensorSpec[], attrs: Record<string, unknown>): (number | null)[][] =>
      getOp(name)!.infer(inputs, attrs).map((s) => [...s.shape]);
    expect(infer('stridedSlice', [f([null, 10])], { begin: [0, 2], end: [null, 8], strides: [1, 3] })).toEqual([[null, 2]]);
    expect(infer('stridedSlice', [f([null, 10])], { begin: [1, 0], end: [5, null], strides: [2, 1] })).toEqual([[2, 10]]);
    expect(infer('stridedSlice', [f([null])], { begin: [4], end: [null], strides: [-1] })).toEqual([[5]]);
    expect(infer('transpose', [f([null, 3, 4])], { perm: [2, 0, 1] })).toEqual([[4, null, 3]]);
    expect(infer('concat', [f([null, 3]), f([2, 3]), f([null, null])], { axis: 0 })).toEqual([[null, 3]]);
    expect(infer('concat', [f([null, 3]), f([null, 4])], { axis: 1 })).toEqual([[null, 7]]);
    expect(infer('pad', [f([null, 3])], { paddings: [[1, 1], [2, 0]], constantValue: 0 })).toEqual([[null, 5]]);
    expect(infer('tile', [f([null, 3])], { reps: [2, 2] })).toEqual([[null, 6]]);
    expect(infer('tile', [f([null, 3])], { reps: [0, 2] })).toEqual([[0, 6]]);
    expect(infer('gather', [f([null, 5]), f([null], 'int32')], { axis: 1 })).toEqual([[null, null]]);
    expect(infer('broadcastTo', [f([null, 1])], { shape: [4, 3] })).toEqual([[4, 3]]);
    expect(infer('reverse', [f([null, 2])], { axes: [0] })).toEqual([[null, 2]]);
    expect(infer('unsortedSegmentSum', [f([null, 4]), f([null], 'int32')], { numSegments: 7 })).toEqual([[7, 4]]);
    expect(infer('expandDims', [f([null, 4])], { axis: 1 })).toEqual([[null, 1, 4]]);
    expect(infer('squeeze', [f([null, 1, 4])], { axes: [1] })).toEqual([[null, 4]]);
    expect(infer('oneHot', [f([null], 'int32')], { depth: 3, dtype: 'float32' })).toEqual([[null, 3]]);
    expect(infer('reshape', [f([null, 4])], { shape: [-1, 2] })).toEqual([[null, 2]]);
    expect(infer('reshape', [f([3, 4])], { shape: [-1, 2] })).toEqual([[6, 2]]);
  });

  it('a slice whose end is past an unknown dimension fails when the shape becomes known', () => {
    expect(() => getOp('stridedSlice')!.infer([{ shape: [3], dtype: 'float32' }], { begin: [0], end: [5], strides: [1] })).toThrow(
      /stridedSlice: end 5 is past dimension 0/,
    );
  });
});

describe('larger tensors', () => {
  it('concat of many small pieces along the last axis', () => {
    tidy(() => {
      const parts = Array.from({ length: 50 }, (_, k) => tensor(Array.from({ length: 200 }, (_, i) => i * 100 + k), [200, 1], 'int32'));
      const y = concat(parts, -1);
      expect(y.shape).toEqual([200, 50]);
      const v = y.dataSync();
      for (let i = 0; i < 200 * 50; i++) expect(v[i]).toBe(Math.floor(i / 50) * 100 + (i % 50));
    });
  });
});
