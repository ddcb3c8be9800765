/**
 * Conformance cases for shape ops. Every value check compares against a naive reference in
 * this file (per-element index arithmetic over float64 arrays, written independently of the
 * ops) or against hand-computed values; every op runs on each dtype it supports, on empty and
 * size-1 dimensions and on scalars where meaningful, and each kind of bad input is checked.
 *
 * @module
 */
import type { DType } from '../../dtype.js';
import { DTypeError, ShapeError, ValueError } from '../../errors.js';
import { tensor } from '../../ops/creation.js';
import * as ops from '../../ops/shape.js';
import { sizeOf } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import type { CaseContext } from '../context.js';
import type { ConformanceCase } from '../index.js';
import { broadcastRead, ravel, unravel, type RefResult } from '../reference.js';

const ALL: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];
const NUMERIC: readonly DType[] = ['float32', 'float64', 'int32'];

// ---- naive references -------------------------------------------------------------------

/** Builds a result by computing each output element from its multi-index. */
function build(shape: readonly number[], f: (idx: number[]) => number): RefResult {
  const n = sizeOf(shape);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = f(unravel(i, shape));
  return { values, shape: [...shape] };
}

function refTranspose(v: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): RefResult {
  return build(
    perm.map((p) => shape[p]!),
    (idx) => {
      const src = new Array<number>(shape.length);
      for (let k = 0; k < perm.length; k++) src[perm[k]!] = idx[k]!;
      return v[ravel(src, shape)]!;
    },
  );
}

/**
 * The indices Python's `range(d)[start:stop:step]` selects, found by filtering every index
 * (not by computing a count): only `start` needs clamping, because it fixes the phase.
 */
function pyIndices(d: number, start: number | undefined, stop: number | undefined, step: number): number[] {
  const norm = (v: number): number => (v < 0 ? v + d : v);
  const out: number[] = [];
  if (step > 0) {
    const s = start === undefined ? 0 : Math.max(norm(start), 0);
    const e = stop === undefined ? d : norm(stop);
    for (let i = 0; i < d; i++) if (i >= s && i < e && (i - s) % step === 0) out.push(i);
  } else {
    const s = start === undefined ? d - 1 : Math.min(norm(start), d - 1);
    const e = stop === undefined ? -Infinity : norm(stop);
    for (let i = d - 1; i >= 0; i--) if (i <= s && i > e && (s - i) % -step === 0) out.push(i);
  }
  return out;
}

interface SliceSpec {
  readonly begin: number[];
  readonly end: number[];
  readonly strides: number[];
  readonly beginMask?: number;
  readonly endMask?: number;
  readonly newAxisMask?: number;
  readonly shrinkAxisMask?: number;
}

function refStridedSlice(v: ArrayLike<number>, shape: readonly number[], s: SliceSpec): RefResult {
  // per output dim: the input dim it walks (or -1 for a new axis) and the indices it takes
  const lists: number[][] = []; // per input dim
  const outDims: { inDim: number }[] = [];
  let k = 0;
  for (let i = 0; i < s.begin.length; i++) {
    const bit = 1 << i;
    if ((s.newAxisMask ?? 0) & bit) {
      outDims.push({ inDim: -1 });
      continue;
    }
    const d = shape[k]!;
    if ((s.shrinkAxisMask ?? 0) & bit) {
      lists.push([s.begin[i]! < 0 ? s.begin[i]! + d : s.begin[i]!]);
    } else {
      lists.push(
        pyIndices(d, (s.beginMask ?? 0) & bit ? undefined : s.begin[i], (s.endMask ?? 0) & bit ? undefined : s.end[i], s.strides[i]!),
      );
      outDims.push({ inDim: k });
    }
    k++;
  }
  for (; k < shape.length; k++) {
    lists.push(Array.from({ length: shape[k]! }, (_, i) => i));
    outDims.push({ inDim: k });
  }
  const outShape = outDims.map((o) => (o.inDim < 0 ? 1 : lists[o.inDim]!.length));
  return build(outShape, (idx) => {
    const src = lists.map((l) => l[0]!); // shrunk dims keep their single index
    outDims.forEach((o, j) => {
      if (o.inDim >= 0) src[o.inDim] = lists[o.inDim]![idx[j]!]!;
    });
    return v[ravel(src, shape)]!;
  });
}

function refConcat(parts: readonly { v: ArrayLike<number>; shape: readonly number[] }[], axis: number): RefResult {
  const shape = [...parts[0]!.shape];
  shape[axis] = parts.reduce((a, p) => a + p.shape[axis]!, 0);
  return build(shape, (idx) => {
    let at = idx[axis]!;
    for (const p of parts) {
      if (at < p.shape[axis]!) {
        const src = [...idx];
        src[axis] = at;
        return p.v[ravel(src, p.shape)]!;
      }
      at -= p.shape[axis]!;
    }
    throw new Error('unreachable');
  });
}

function refPad(v: ArrayLike<number>, shape: readonly number[], p: readonly (readonly [number, number])[], c: number): RefResult {
  return build(
    shape.map((d, i) => d + p[i]![0] + p[i]![1]),
    (idx) => {
      const src = idx.map((j, i) => j - p[i]![0]);
      return src.every((j, i) => j >= 0 && j < shape[i]!) ? v[ravel(src, shape)]! : c;
    },
  );
}

function refTile(v: ArrayLike<number>, shape: readonly number[], reps: readonly number[]): RefResult {
  return build(
    shape.map((d, i) => d * reps[i]!),
    (idx) => v[ravel(idx.map((j, i) => j % shape[i]!), shape)]!,
  );
}

function refGather(v: ArrayLike<number>, shape: readonly number[], ind: ArrayLike<number>, indShape: readonly number[], axis: number): RefResult {
  const r = indShape.length;
  return build([...shape.slice(0, axis), ...indShape, ...shape.slice(axis + 1)], (idx) => {
    const pick = ind[ravel(idx.slice(axis, axis + r), indShape)]!;
    return v[ravel([...idx.slice(0, axis), pick, ...idx.slice(axis + r)], shape)]!;
  });
}

function refReverse(v: ArrayLike<number>, shape: readonly number[], axes: readonly number[]): RefResult {
  return build(shape, (idx) => v[ravel(idx.map((j, i) => (axes.includes(i) ? shape[i]! - 1 - j : j)), shape)]!);
}

function refSegmentSum(v: ArrayLike<number>, shape: readonly number[], ids: ArrayLike<number>, idsRank: number, n: number): RefResult {
  const rest = shape.slice(idsRank);
  const inner = sizeOf(rest);
  const values = new Float64Array(n * inner);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= n) continue;
    for (let k = 0; k < inner; k++) values[s * inner + k]! += v[i * inner + k]!;
  }
  return { values, shape: [n, ...rest] };
}

// ---- helpers ----------------------------------------------------------------------------

function perDType(op: string, name: string, dtypes: readonly DType[], run: (ctx: CaseContext, dt: DType) => Promise<void> | void): ConformanceCase[] {
  return dtypes.map((dt) => ({ op, name: `${dt}: ${name}`, dtypes: [dt], run: (ctx: CaseContext) => run(ctx, dt) }));
}

async function expectRef(ctx: CaseContext, actual: Tensor, ref: RefResult, dtype: DType): Promise<void> {
  await ctx.expectClose(actual, { shape: ref.shape, dtype, values: ref.values });
}

function int32(values: readonly number[], shape?: readonly number[]): Tensor {
  return tensor(values, shape ?? [values.length], 'int32');
}

// ---- cases ------------------------------------------------------------------------------

function reshapeCases(): ConformanceCase[] {
  return [
    ...perDType('reshape', 'keeps values, infers -1, handles empty and scalar shapes', ALL, async (ctx, dt) => {
      const [x, v] = ctx.random([2, 3, 2], dt);
      await ctx.expectClose(ops.reshape(x, [3, -1]), { shape: [3, 4], dtype: dt, values: v });
      await ctx.expectClose(ops.reshape(x, [12]), { shape: [12], dtype: dt, values: v });
      await ctx.expectClose(ops.reshape(ctx.tensor([], [0, 3], dt), [3, 0, 2]), { shape: [3, 0, 2], dtype: dt, values: [] });
      await ctx.expectClose(ops.reshape(ctx.tensor([1], [1, 1], dt), []), { shape: [], dtype: dt, values: [1] });
    }),
    {
      op: 'reshape',
      name: 'rejects element-count mismatches and bad dims',
      run: (ctx) => {
        ctx.expectThrows(() => ops.reshape(tensor([1, 2, 3, 4, 5, 6]), [4, 2]), ShapeError, /reshape.*\[6\].*\[4,2\]/);
        ctx.expectThrows(() => ops.reshape(tensor([1, 2, 3, 4, 5, 6]), [4, -1]), ShapeError, /reshape/);
        ctx.expectThrows(() => ops.reshape(tensor([1, 2]), [-1, -1]), ValueError, /more than one -1/);
        ctx.expectThrows(() => ops.reshape(tensor([1, 2]), [2.5]), ValueError, /reshape/);
      },
    },
  ];
}

const TRANSPOSES: readonly [readonly number[], readonly number[] | undefined][] = [
  [[2, 3], undefined],
  [[2, 3, 4], undefined],
  [[2, 3, 4], [1, 2, 0]],
  [[2, 3, 4], [0, 2, 1]],
  [[2, 3, 4], [2, 0, 1]],
  [[1, 4, 1, 3], [3, 1, 0, 2]],
  [[2, 3, 2, 3], [1, 0, 3, 2]],
  [[2, 1, 3, 2], [0, 3, 1, 2]],
  [[5], [0]],
  [[], []],
  [[0, 3], [1, 0]],
  [[2, 0, 3], [2, 1, 0]],
];

function transposeCases(): ConformanceCase[] {
  return [
    ...perDType('transpose', 'every permutation pattern, rank 0 to 4, empty dims', ALL, async (ctx, dt) => {
      for (const [shape, perm] of TRANSPOSES) {
        const [x, v] = ctx.random(shape, dt);
        const p = perm ?? shape.map((_, i) => shape.length - 1 - i);
        await expectRef(ctx, ops.transpose(x, perm), refTranspose(v, shape, p), dt);
      }
    }),
    {
      op: 'transpose',
      name: 'large matrices and batches (tiled paths)',
      run: async (ctx) => {
        for (const [shape, perm] of [
          [[45, 70], [1, 0]],
          [[3, 40, 37], [0, 2, 1]],
          [[6, 5, 40], [2, 0, 1]],
          [[4, 33, 3, 35], [0, 3, 2, 1]],
        ] as const) {
          const [x, v] = ctx.random(shape, 'float32');
          await expectRef(ctx, ops.transpose(x, perm), refTranspose(v, shape, perm), 'float32');
        }
      },
    },
    {
      op: 'transpose',
      name: 'rejects a perm that is not a permutation',
      run: (ctx) => {
        const x = tensor([[1, 2, 3]]);
        ctx.expectThrows(() => ops.transpose(x, [0, 0]), ValueError, /transpose.*perm \[0,0\].*permutation/);
        ctx.expectThrows(() => ops.transpose(x, [0, 1, 2]), ValueError, /transpose.*rank 2/);
        ctx.expectThrows(() => ops.transpose(x, [0, 2]), ValueError, /transpose/);
        ctx.expectThrows(() => ops.transpose(x, [-1, 0]), ValueError, /transpose/);
        ctx.expectThrows(() => ops.transpose(x, [0.5, 1]), ValueError, /transpose/);
      },
    },
  ];
}

function sliceCases(): ConformanceCase[] {
  return [
    {
      op: 'slice',
      name: 'hand-computed values',
      run: async (ctx) => {
        const x = tensor([[1, 2, 3], [4, 5, 6]]);
        await ctx.expectClose(ops.slice(x, [0, 1], [2, 2]), { shape: [2, 2], dtype: 'float32', values: [2, 3, 5, 6] });
        await ctx.expectClose(ops.slice(x, 1), { shape: [1, 3], dtype: 'float32', values: [4, 5, 6] });
        await ctx.expectClose(ops.slice(x, [0, 2], [-1, 1]), { shape: [2, 1], dtype: 'float32', values: [3, 6] });
        await ctx.expectClose(ops.slice(x, [1], 1), { shape: [1, 3], dtype: 'float32', values: [4, 5, 6] });
      },
    },
    ...perDType('slice', 'random blocks, whole, empty and scalar', ALL, async (ctx, dt) => {
      const shape = [4, 5, 3];
      const [x, v] = ctx.random(shape, dt);
      const blocks: [number[], number[]][] = [
        [[1, 2, 0], [2, -1, 3]],
        [[0, 0, 0], [-1, -1, -1]],
        [[3, 4, 2], [1, 1, 1]],
        [[2, 0, 1], [0, 5, 2]],
        [[4, 5, 3], [0, 0, 0]],
        [[1], [2]],
      ];
      for (const [b, s] of blocks) {
        const end = shape.map((d, i) => ((s[i] ?? -1) === -1 ? d : (b[i] ?? 0) + s[i]!));
        const ref = refStridedSlice(v, shape, { begin: shape.map((_, i) => b[i] ?? 0), end, strides: [1, 1, 1] });
        await expectRef(ctx, ops.slice(x, b, s), ref, dt);
      }
      const e = ctx.tensor([], [0, 3], dt);
      await ctx.expectClose(ops.slice(e, [0, 1], [0, 2]), { shape: [0, 2], dtype: dt, values: [] });
      await ctx.expectClose(ops.slice(ctx.tensor([1], [], dt), [], []), { shape: [], dtype: dt, values: [1] });
    }),
    {
      op: 'slice',
      name: 'rejects out-of-range begin and size, naming the dimension and the valid range',
      run: (ctx) => {
        const x = tensor([[1, 2, 3], [4, 5, 6]]);
        ctx.expectThrows(() => ops.slice(x, [0, 4]), ValueError, /slice: begin\[1\] = 4.*dimension 1.*\[2,3\].*valid: 0 to 3/);
        ctx.expectThrows(() => ops.slice(x, [-1, 0]), ValueError, /slice: begin\[0\] = -1.*valid: 0 to 2/);
        ctx.expectThrows(() => ops.slice(x, [1, 1], [2, 1]), ValueError, /slice: size\[0\] = 2.*dimension 0.*valid: -1 or 0 to 1/);
        ctx.expectThrows(() => ops.slice(x, [0, 0], [1, -2]), ValueError, /slice: size\[1\] = -2/);
        ctx.expectThrows(() => ops.slice(x, [0, 0, 0]), ValueError, /slice.*more entries/);
        ctx.expectThrows(() => ops.slice(x, [0.5]), ValueError, /slice/);
      },
    },
  ];
}

const STRIDED: readonly SliceSpec[] = [
  { begin: [1, 0, 2], end: [3, 5, 4], strides: [1, 2, 1] },
  { begin: [0], end: [4], strides: [3] },
  { begin: [-1, -2], end: [-5, -6], strides: [-1, -2] },
  { begin: [3, 4, 3], end: [0, 0, 0], strides: [-1, -1, -2] },
  { begin: [-100, 1, 0], end: [100, 100, 3], strides: [2, 1, 1] },
  { begin: [100, -100], end: [-100, 100], strides: [-1, 3] },
  { begin: [2, 3], end: [1, 0], strides: [1, 1] },
  { begin: [-100], end: [0], strides: [-1], endMask: 1 },
  { begin: [2, 4], end: [-100, -7], strides: [-1, -2] },
  { begin: [0, 100], end: [4, -100], strides: [1, -3] },
  { begin: [0, 0, 0], end: [0, 0, 0], strides: [1, 1, 1], beginMask: 0b101, endMask: 0b011 },
  { begin: [7, 7, 7], end: [0, 0, 0], strides: [-1, -2, -1], beginMask: 0b111, endMask: 0b111 },
  { begin: [2, 0, 0], end: [0, 0, 0], strides: [-1, 1, 1], endMask: 0b111 },
  { begin: [1, 3], end: [2, 4], strides: [1, 1], shrinkAxisMask: 0b01 },
  { begin: [-1, -2, 0], end: [0, 0, 3], strides: [1, 1, 1], shrinkAxisMask: 0b11 },
  { begin: [0, 1, -1], end: [1, 2, 0], strides: [5, -3, 1], shrinkAxisMask: 0b111 },
  { begin: [0, 1, 0], end: [0, 3, 0], strides: [1, 1, 1], newAxisMask: 0b101 },
  { begin: [0, 2, 0, 0], end: [0, 0, 0, 0], strides: [1, -1, 1, 1], newAxisMask: 0b1001, shrinkAxisMask: 0b0100, endMask: 0b0010 },
  { begin: [0, 1], end: [0, 0], strides: [1, 1], newAxisMask: 0b11, shrinkAxisMask: 0b01 },
  { begin: [], end: [], strides: [] },
];

function stridedSliceCases(): ConformanceCase[] {
  return [
    {
      op: 'stridedSlice',
      name: 'hand-computed values (Python semantics)',
      run: async (ctx) => {
        const r = tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10], 'int32');
        await ctx.expectClose(ops.stridedSlice(r, [1], [8], [3]), { shape: [3], dtype: 'int32', values: [1, 4, 7] });
        await ctx.expectClose(ops.stridedSlice(r, [-1], [0], [-1], { endMask: 1 }), {
          shape: [10],
          dtype: 'int32',
          values: [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
        });
        await ctx.expectClose(ops.stridedSlice(r, [8], [-12], [-3]), { shape: [3], dtype: 'int32', values: [8, 5, 2] });
        await ctx.expectClose(ops.stridedSlice(r, [15], [2], [-4]), { shape: [2], dtype: 'int32', values: [9, 5] });
        await ctx.expectClose(ops.stridedSlice(r, [-3], [100], [1]), { shape: [3], dtype: 'int32', values: [7, 8, 9] });
        await ctx.expectClose(ops.stridedSlice(r, [5], [5], [1]), { shape: [0], dtype: 'int32', values: [] });
        await ctx.expectClose(ops.stridedSlice(r, [-1], [0], [1], { shrinkAxisMask: 1 }), { shape: [], dtype: 'int32', values: [9] });
        const m = tensor([[1, 2, 3], [4, 5, 6]]);
        await ctx.expectClose(ops.stridedSlice(m, [0, 2], [0, 0], [1, -1], { beginMask: 1, endMask: 3 }), {
          shape: [2, 3],
          dtype: 'float32',
          values: [3, 2, 1, 6, 5, 4],
        });
        await ctx.expectClose(ops.stridedSlice(m, [0, 1], [0, 2], [1, 1], { newAxisMask: 1 }), {
          shape: [1, 1, 3],
          dtype: 'float32',
          values: [4, 5, 6],
        });
        await ctx.expectClose(ops.stridedSlice(m, [1, 0], [2, 0], [1, 1], { shrinkAxisMask: 1, endMask: 2 }), {
          shape: [3],
          dtype: 'float32',
          values: [4, 5, 6],
        });
      },
    },
    ...perDType('stridedSlice', 'every mask, negative strides, clamping, empty results', ALL, async (ctx, dt) => {
      const shape = [4, 5, 3];
      const [x, v] = ctx.random(shape, dt);
      for (const s of STRIDED) {
        const ref = refStridedSlice(v, shape, s);
        const opts = {
          ...(s.beginMask !== undefined ? { beginMask: s.beginMask } : {}),
          ...(s.endMask !== undefined ? { endMask: s.endMask } : {}),
          ...(s.newAxisMask !== undefined ? { newAxisMask: s.newAxisMask } : {}),
          ...(s.shrinkAxisMask !== undefined ? { shrinkAxisMask: s.shrinkAxisMask } : {}),
        };
        await expectRef(ctx, ops.stridedSlice(x, s.begin, s.end, s.strides, opts), ref, dt);
      }
    }),
    {
      op: 'stridedSlice',
      name: 'empty inputs and scalars',
      run: async (ctx) => {
        const e = tensor([], [0, 3]);
        await ctx.expectClose(ops.stridedSlice(e, [0, 0], [0, 3], [1, 2], { endMask: 1 }), { shape: [0, 2], dtype: 'float32', values: [] });
        await ctx.expectClose(ops.stridedSlice(e, [0, 0], [0, 0], [-1, -1], { beginMask: 3, endMask: 3 }), { shape: [0, 3], dtype: 'float32', values: [] });
        const s = tensor(7);
        await ctx.expectClose(ops.stridedSlice(s, [], []), { shape: [], dtype: 'float32', values: [7] });
        await ctx.expectClose(ops.stridedSlice(s, [0], [0], [1], { newAxisMask: 1 }), { shape: [1], dtype: 'float32', values: [7] });
      },
    },
    {
      op: 'stridedSlice',
      name: 'rejects zero strides, bad shrink indices, mismatched lengths and too long specs',
      run: (ctx) => {
        const x = tensor([[1, 2, 3], [4, 5, 6]]);
        ctx.expectThrows(() => ops.stridedSlice(x, [0], [1], [0]), ValueError, /stridedSlice: strides\[0\] is 0/);
        ctx.expectThrows(() => ops.stridedSlice(x, [0, 3], [0, 4], [1, 1], { shrinkAxisMask: 2 }), ValueError, /stridedSlice: index 3.*dimension 1.*valid: -3 to 2/);
        ctx.expectThrows(() => ops.stridedSlice(x, [-3], [0], [1], { shrinkAxisMask: 1 }), ValueError, /stridedSlice: index -3.*valid: -2 to 1/);
        ctx.expectThrows(() => ops.stridedSlice(x, [0, 0], [1], [1, 1]), ValueError, /stridedSlice.*same length/);
        ctx.expectThrows(() => ops.stridedSlice(x, [0, 0, 0], [1, 1, 1]), ValueError, /stridedSlice.*3 dimensions.*only 2/);
        ctx.expectThrows(() => ops.stridedSlice(x, [0], [1], [1], { beginMask: -1 }), ValueError, /beginMask/);
      },
    },
  ];
}

function concatCases(): ConformanceCase[] {
  const PATTERNS: readonly [readonly (readonly number[])[], number][] = [
    [[[2, 3], [4, 3]], 0],
    [[[2, 3], [2, 1], [2, 4]], 1],
    [[[2, 3], [2, 1], [2, 4]], -1],
    [[[2, 3, 2], [2, 1, 2]], -2],
    [[[2, 0], [2, 3], [2, 0]], 1],
    [[[0, 3], [0, 3]], 0],
    [[[3], [0], [2]], 0],
    [[[2, 40], [2, 35]], 1],
    [[[2, 2]], 0],
  ];
  return [
    ...perDType('concat', 'along every axis, with size-0 and single inputs', ALL, async (ctx, dt) => {
      for (const [shapes, axis] of PATTERNS) {
        const parts = shapes.map((s) => {
          const [t, v] = ctx.random(s, dt);
          return { t, v, shape: s };
        });
        const a = axis < 0 ? axis + shapes[0]!.length : axis;
        await expectRef(ctx, ops.concat(parts.map((p) => p.t), axis), refConcat(parts, a), dt);
      }
    }),
    {
      op: 'concat',
      name: 'promotes dtypes (bool < int32 < float32 < float64)',
      dtypes: ['int32', 'float64'],
      run: async (ctx) => {
        await ctx.expectClose(ops.concat([int32([1, 2]), tensor([0.5])]), { shape: [3], dtype: 'float32', values: [1, 2, 0.5] });
        await ctx.expectClose(ops.concat([tensor([true]), int32([7])]), { shape: [2], dtype: 'int32', values: [1, 7] });
        await ctx.expectClose(ops.concat([tensor([true]), tensor([false])]), { shape: [2], dtype: 'bool', values: [1, 0] });
        await ctx.expectClose(ops.concat([tensor([1], [1], 'float64'), tensor([2])]), { shape: [2], dtype: 'float64', values: [1, 2] });
      },
    },
    {
      op: 'concat',
      name: 'rejects mismatched shapes (listing them), scalars, empty lists and bad axes',
      run: (ctx) => {
        const a = tensor([[1, 2, 3], [4, 5, 6]]);
        ctx.expectThrows(() => ops.concat([a, tensor([[1, 2], [3, 4]])], 0), ShapeError, /concat.*\[2,3\].*\[2,2\].*dimension 1/);
        ctx.expectThrows(() => ops.concat([a, tensor([1, 2, 3])], 0), ShapeError, /concat.*ranks.*\[2,3\].*\[3\]/);
        ctx.expectThrows(() => ops.concat([tensor(1), tensor(2)]), ValueError, /concat.*scalars/);
        ctx.expectThrows(() => ops.concat([]), ValueError, /concat.*at least one/);
        ctx.expectThrows(() => ops.concat([a, a], 2), ValueError, /concat: axis 2.*rank 2/);
      },
    },
  ];
}

function stackCases(): ConformanceCase[] {
  return [
    ...perDType('stack', 'along every axis, scalars and empty tensors', ALL, async (ctx, dt) => {
      const parts = [0, 1, 2].map(() => ctx.random([2, 3], dt));
      for (const axis of [0, 1, 2, -1, -3]) {
        const a = axis < 0 ? axis + 3 : axis;
        const expanded = parts.map(([, v]) => {
          const shape = [2, 3];
          shape.splice(a, 0, 1);
          return { v, shape };
        });
        await expectRef(ctx, ops.stack(parts.map(([t]) => t), axis), refConcat(expanded, a), dt);
      }
      const s = [ctx.random([], dt), ctx.random([], dt)];
      await ctx.expectClose(ops.stack(s.map(([t]) => t)), { shape: [2], dtype: dt, values: [s[0]![1][0]!, s[1]![1][0]!] });
      await ctx.expectClose(ops.stack([ctx.tensor([], [0], dt), ctx.tensor([], [0], dt)], 1), { shape: [0, 2], dtype: dt, values: [] });
    }),
    {
      op: 'stack',
      name: 'rejects different shapes, empty lists and bad axes',
      run: (ctx) => {
        ctx.expectThrows(() => ops.stack([tensor([1, 2]), tensor([1, 2, 3])]), ShapeError, /stack.*same shape.*\[2\].*\[3\]/);
        ctx.expectThrows(() => ops.stack([]), ValueError, /stack.*at least one/);
        ctx.expectThrows(() => ops.stack([tensor([1, 2])], 2), ValueError, /stack: axis 2/);
      },
    },
  ];
}

function unstackSplitCases(): ConformanceCase[] {
  return [
    ...perDType('unstack', 'along every axis', ALL, async (ctx, dt) => {
      const shape = [2, 3, 4];
      const [x, v] = ctx.random(shape, dt);
      for (const axis of [0, 1, 2, -1]) {
        const a = axis < 0 ? axis + 3 : axis;
        const parts = ops.unstack(x, axis);
        if (parts.length !== shape[a]) throw new Error(`unstack: got ${parts.length} parts, expected ${shape[a]}`);
        for (let i = 0; i < parts.length; i++) {
          const spec: SliceSpec = { begin: [0, 0, 0].map((_, k) => (k === a ? i : 0)), end: [0, 0, 0], strides: [1, 1, 1], endMask: 0b111 & ~(1 << a), shrinkAxisMask: 1 << a };
          await expectRef(ctx, parts[i]!, refStridedSlice(v, shape, spec), dt);
        }
      }
      const e = ops.unstack(ctx.tensor([], [0, 2], dt));
      if (e.length !== 0) throw new Error(`unstack of [0,2] gave ${e.length} parts`);
      const cols = ops.unstack(ctx.tensor([], [2, 0], dt));
      await ctx.expectClose(cols[1]!, { shape: [0], dtype: dt, values: [] });
    }),
    {
      op: 'unstack',
      name: 'rejects scalars and bad axes',
      run: (ctx) => {
        ctx.expectThrows(() => ops.unstack(tensor(1)), ValueError, /unstack.*scalar/);
        ctx.expectThrows(() => ops.unstack(tensor([1, 2]), 1), ValueError, /unstack: axis 1/);
      },
    },
    ...perDType('split', 'equal parts and given sizes', ALL, async (ctx, dt) => {
      const shape = [2, 6, 3];
      const [x, v] = ctx.random(shape, dt);
      const check = async (parts: Tensor[], sizes: number[], a: number): Promise<void> => {
        if (parts.length !== sizes.length) throw new Error(`split: got ${parts.length} parts, expected ${sizes.length}`);
        let off = 0;
        for (let i = 0; i < sizes.length; i++) {
          const begin = [0, 0, 0];
          const end = [...shape];
          begin[a] = off;
          end[a] = off + sizes[i]!;
          await expectRef(ctx, parts[i]!, refStridedSlice(v, shape, { begin, end, strides: [1, 1, 1] }), dt);
          off += sizes[i]!;
        }
      };
      await check(ops.split(x, 3, 1), [2, 2, 2], 1);
      await check(ops.split(x, 2), [1, 1], 0);
      await check(ops.split(x, [1, -1, 2], -2), [1, 3, 2], 1);
      await check(ops.split(x, [0, 6, 0], 1), [0, 6, 0], 1);
      await check(ops.split(x, [3], 2), [3], 2);
      const e = ops.split(ctx.tensor([], [0, 4], dt), 2, 1);
      for (const part of e) await ctx.expectClose(part, { shape: [0, 2], dtype: dt, values: [] });
    }),
    {
      op: 'split',
      name: 'rejects sizes that do not add up and parts that do not divide',
      run: (ctx) => {
        const x = tensor([1, 2, 3, 4, 5, 6]);
        ctx.expectThrows(() => ops.split(x, 4), ValueError, /split.*size 6.*4 equal parts/);
        ctx.expectThrows(() => ops.split(x, [2, 3]), ValueError, /split: sizes \[2,3\] add up to 5.*size 6/);
        ctx.expectThrows(() => ops.split(x, [4, 4, -1]), ValueError, /split.*more than/);
        ctx.expectThrows(() => ops.split(x, [-1, -1]), ValueError, /split.*at most one -1/);
        ctx.expectThrows(() => ops.split(x, 0), ValueError, /split/);
        ctx.expectThrows(() => ops.split(tensor(1), 1), ValueError, /split.*scalar/);
      },
    },
  ];
}

function padTileCases(): ConformanceCase[] {
  return [
    ...perDType('pad', 'random paddings and constants, empty and scalar inputs', ALL, async (ctx, dt) => {
      const c = dt === 'bool' ? 1 : dt === 'int32' ? -7 : 2.5;
      const cases: [number[], [number, number][], number][] = [
        [[2, 3], [[1, 2], [0, 1]], 0],
        [[2, 3], [[0, 0], [3, 0]], c],
        [[2, 1, 40], [[1, 0], [1, 1], [2, 3]], c],
        [[0, 2], [[1, 1], [0, 2]], c],
        [[3], [[0, 0]], c],
        [[], [], c],
      ];
      for (const [shape, p, cv] of cases) {
        const [x, v] = ctx.random(shape, dt);
        await expectRef(ctx, ops.pad(x, p, cv), refPad(v, shape, p, cv), dt);
      }
    }),
    {
      op: 'pad',
      name: 'hand-computed values, NaN and Infinity constants, boolean constants',
      run: async (ctx) => {
        await ctx.expectClose(ops.pad(tensor([1, 2]), [[1, 2]]), { shape: [5], dtype: 'float32', values: [0, 1, 2, 0, 0] });
        await ctx.expectClose(ops.pad(tensor([[1]]), [[0, 1], [1, 0]], 9), { shape: [2, 2], dtype: 'float32', values: [9, 1, 9, 9] });
        await ctx.expectClose(ops.pad(tensor([1]), [[1, 1]], NaN), { shape: [3], dtype: 'float32', values: [NaN, 1, NaN] });
        await ctx.expectClose(ops.pad(tensor([1]), [[1, 0]], -Infinity), { shape: [2], dtype: 'float32', values: [-Infinity, 1] });
        await ctx.expectClose(ops.pad(tensor([false]), [[1, 0]], true), { shape: [2], dtype: 'bool', values: [1, 0] });
      },
    },
    {
      op: 'pad',
      name: 'rejects negative paddings, wrong lengths and constants the dtype cannot hold',
      run: (ctx) => {
        const x = tensor([[1, 2], [3, 4]]);
        ctx.expectThrows(() => ops.pad(x, [[0, 0], [-1, 0]]), ValueError, /pad: paddings\[1\].*non-negative/);
        ctx.expectThrows(() => ops.pad(x, [[0, 0]]), ValueError, /pad: paddings must be an array of 2/);
        ctx.expectThrows(() => ops.pad(x, [[0, 0], [1.5, 0]]), ValueError, /pad: paddings\[1\]/);
        ctx.expectThrows(() => ops.pad(int32([1]), [[1, 1]], 0.5), ValueError, /pad: constantValue 0.5.*int32/);
        ctx.expectThrows(() => ops.pad(tensor([true]), [[1, 1]], 2), ValueError, /pad: constantValue 2.*bool/);
      },
    },
    ...perDType('tile', 'reps per dimension, zero reps, empty and scalar inputs', ALL, async (ctx, dt) => {
      const cases: [number[], number[]][] = [
        [[2, 3], [2, 1]],
        [[2, 3], [1, 3]],
        [[2, 3], [3, 2]],
        [[2, 1, 3], [1, 4, 2]],
        [[1, 40], [3, 2]],
        [[2, 3], [0, 2]],
        [[0, 3], [2, 2]],
        [[], []],
      ];
      for (const [shape, reps] of cases) {
        const [x, v] = ctx.random(shape, dt);
        await expectRef(ctx, ops.tile(x, reps), refTile(v, shape, reps), dt);
      }
    }),
    {
      op: 'tile',
      name: 'rejects negative, non-integer and wrongly counted reps',
      run: (ctx) => {
        const x = tensor([[1, 2]]);
        ctx.expectThrows(() => ops.tile(x, [1, -1]), ValueError, /tile: reps \[1,-1\].*non-negative/);
        ctx.expectThrows(() => ops.tile(x, [2]), ValueError, /tile: reps \[2\].*rank 2/);
        ctx.expectThrows(() => ops.tile(x, [1, 1.5]), ValueError, /tile/);
      },
    },
  ];
}

function gatherCases(): ConformanceCase[] {
  return [
    ...perDType('gather', 'along every axis, nd indices, repeats, empty indices', ALL, async (ctx, dt) => {
      const shape = [4, 3, 5];
      const [x, v] = ctx.random(shape, dt);
      const cases: [number[], number[], number][] = [
        [[2, 0, 3, 3], [4], 0],
        [[1, 1, 0, 2, 0, 1], [2, 3], 1],
        [[4, 0], [2], -1],
        [[], [0], 0],
        [[2], [], 0],
        [[2, 1], [2, 1], 2],
      ];
      for (const [iv, ishape, axis] of cases) {
        const a = axis < 0 ? axis + 3 : axis;
        await expectRef(ctx, ops.gather(x, int32(iv, ishape), axis), refGather(v, shape, iv, ishape, a), dt);
      }
      const [w, wv] = ctx.random([50, 40], dt);
      await expectRef(ctx, ops.gather(w, [49, 0, 17]), refGather(wv, [50, 40], [49, 0, 17], [3], 0), dt);
      await ctx.expectClose(ops.gather(ctx.tensor([], [3, 0], dt), [2, 2]), { shape: [2, 0], dtype: dt, values: [] });
    }),
    {
      op: 'gather',
      name: 'rejects non-int32 and out-of-range indices, naming the index',
      run: (ctx) => {
        const x = tensor([[1, 2], [3, 4], [5, 6]]);
        ctx.expectThrows(() => ops.gather(x, tensor([0, 1])), DTypeError, /gather: indices must be an int32 tensor, got float32/);
        ctx.expectThrows(() => ops.gather(x, [0.5]), ValueError, /gather.*integers/);
        ctx.expectThrows(() => ops.gather(x, [true]), DTypeError, /gather/);
        ctx.expectThrows(() => ops.gather(x, int32([0, 3])), ValueError, /gather: indices\[1\] = 3 is out of range for axis 0.*valid: 0 to 2/);
        ctx.expectThrows(() => ops.gather(x, int32([0, 1, -1, 0], [2, 2]), 1), ValueError, /gather: indices\[1,0\] = -1.*axis 1.*valid: 0 to 1/);
        ctx.expectThrows(() => ops.gather(x, int32([0]), 2), ValueError, /gather: axis 2/);
        ctx.expectThrows(() => ops.gather(tensor(3), int32([0])), ValueError, /gather.*scalar/);
      },
    },
    {
      op: 'oneHot',
      name: 'hand-computed values; out-of-range and negative indices give off rows',
      run: async (ctx) => {
        await ctx.expectClose(ops.oneHot(int32([0, 2]), 3), { shape: [2, 3], dtype: 'float32', values: [1, 0, 0, 0, 0, 1] });
        await ctx.expectClose(ops.oneHot(int32([3, -1, 1]), 3), { shape: [3, 3], dtype: 'float32', values: [0, 0, 0, 0, 0, 0, 0, 1, 0] });
        await ctx.expectClose(ops.oneHot([1], 2, { onValue: 5, offValue: -1, dtype: 'int32' }), { shape: [1, 2], dtype: 'int32', values: [-1, 5] });
        await ctx.expectClose(ops.oneHot(int32([], [0]), 4), { shape: [0, 4], dtype: 'float32', values: [] });
        await ctx.expectClose(ops.oneHot(int32([1, 0]), 0), { shape: [2, 0], dtype: 'float32', values: [] });
        await ctx.expectClose(ops.oneHot(int32([1], []), 2), { shape: [2], dtype: 'float32', values: [0, 1] });
      },
    },
    ...perDType('oneHot', 'random nd indices against a reference', ['float32', 'float64', 'int32'], async (ctx, dt) => {
      const iv = ctx.values([2, 3], 'int32', { min: -1, max: 5 });
      const ref = build([2, 3, 5], (idx) => (iv[idx[0]! * 3 + idx[1]!] === idx[2] ? 3 : -2));
      await expectRef(ctx, ops.oneHot(int32(Array.from(iv), [2, 3]), 5, { onValue: 3, offValue: -2, dtype: dt }), ref, dt);
    }),
    {
      op: 'oneHot',
      name: 'rejects non-int32 indices and bad depths',
      run: (ctx) => {
        ctx.expectThrows(() => ops.oneHot(tensor([0, 1]), 2), DTypeError, /oneHot: indices must be an int32 tensor/);
        ctx.expectThrows(() => ops.oneHot(int32([0]), -1), ValueError, /oneHot: depth must be an integer >= 0, got -1/);
        ctx.expectThrows(() => ops.oneHot(int32([0]), 2.5), ValueError, /oneHot: depth/);
        ctx.expectThrows(() => ops.oneHot(int32([0]), 2, { onValue: 0.5, dtype: 'int32' }), ValueError, /oneHot: onValue/);
      },
    },
  ];
}

function broadcastReverseCases(): ConformanceCase[] {
  return [
    ...perDType('broadcastTo', 'NumPy rules, size-0 targets, scalars, no-op broadcasts', ALL, async (ctx, dt) => {
      const cases: [number[], number[]][] = [
        [[3], [2, 3]],
        [[2, 1], [2, 4]],
        [[1, 3], [2, 1, 3]],
        [[2, 1, 3], [2, 4, 3]],
        [[1, 1], [3, 50]],
        [[], [2, 2]],
        [[1], [0]],
        [[2, 1], [2, 0]],
        [[2, 3], [2, 3]],
        [[3], [1, 1, 3]],
        [[], []],
      ];
      for (const [from, to] of cases) {
        const [x, v] = ctx.random(from, dt);
        await expectRef(ctx, ops.broadcastTo(x, to), build(to, (idx) => broadcastRead(v, from, idx)), dt);
      }
    }),
    {
      op: 'broadcastTo',
      name: 'rejects incompatible targets and invalid shapes',
      run: (ctx) => {
        ctx.expectThrows(() => ops.broadcastTo(tensor([1, 2, 3]), [2, 2]), ShapeError, /broadcastTo: cannot broadcast shape \[3\] to \[2,2\]/);
        ctx.expectThrows(() => ops.broadcastTo(tensor([[1, 2]]), [2]), ShapeError, /broadcastTo.*\[1,2\].*\[2\]/);
        ctx.expectThrows(() => ops.broadcastTo(tensor([1]), [2, -1]), ValueError, /broadcastTo/);
      },
    },
    ...perDType('reverse', 'all axes, some axes, negative axes, scalars and empty', ALL, async (ctx, dt) => {
      const shape = [3, 4, 2];
      const [x, v] = ctx.random(shape, dt);
      const cases: [number | number[] | undefined, number[]][] = [
        [undefined, [0, 1, 2]],
        [1, [1]],
        [-1, [2]],
        [[0, 2], [0, 2]],
        [[], []],
      ];
      for (const [axis, axes] of cases) await expectRef(ctx, ops.reverse(x, axis), refReverse(v, shape, axes), dt);
      const [w, wv] = ctx.random([2, 45], dt);
      await expectRef(ctx, ops.reverse(w, 0), refReverse(wv, [2, 45], [0]), dt);
      await ctx.expectClose(ops.reverse(ctx.tensor([1], [], dt)), { shape: [], dtype: dt, values: [1] });
      await ctx.expectClose(ops.reverse(ctx.tensor([], [2, 0], dt), 0), { shape: [2, 0], dtype: dt, values: [] });
    }),
    {
      op: 'reverse',
      name: 'rejects repeated and out-of-range axes',
      run: (ctx) => {
        ctx.expectThrows(() => ops.reverse(tensor([[1, 2]]), [0, -2]), ValueError, /reverse.*repeats/);
        ctx.expectThrows(() => ops.reverse(tensor([[1, 2]]), 2), ValueError, /reverse: axis 2/);
      },
    },
  ];
}

function segmentCases(): ConformanceCase[] {
  return [
    ...perDType('unsortedSegmentSum', 'first-axis and prefix ids, dropped ids, empty', NUMERIC, async (ctx, dt) => {
      const cases: [number[], number[], number[], number][] = [
        [[6], [0, 1, 0, 2, 2, 2], [6], 3],
        [[5, 3], [1, -1, 1, 4, 0], [5], 3],
        [[2, 3, 2], [0, 1, 0, 1, 1, 1], [2, 3], 2],
        [[4, 2], [0, 0, 0, 0], [4], 1],
        [[0, 2], [], [0], 3],
        [[3, 2], [0, 1, 2], [3], 0],
        [[3, 0], [0, 1, 1], [3], 2],
      ];
      for (const [shape, ids, idShape, n] of cases) {
        const [x, v] = ctx.random(shape, dt);
        await expectRef(ctx, ops.unsortedSegmentSum(x, int32(ids, idShape), n), refSegmentSum(v, shape, ids, idShape.length, n), dt);
      }
    }),
    {
      op: 'unsortedSegmentSum',
      name: 'hand-computed values; bool counts as int32; undoes gather along axis 0',
      run: async (ctx) => {
        await ctx.expectClose(ops.unsortedSegmentSum(tensor([1, 2, 3]), int32([0, 1, 0]), 2), { shape: [2], dtype: 'float32', values: [4, 2] });
        await ctx.expectClose(ops.unsortedSegmentSum(tensor([[1, 2], [3, 4]]), [1, 1], 2), { shape: [2, 2], dtype: 'float32', values: [0, 0, 4, 6] });
        await ctx.expectClose(ops.unsortedSegmentSum(tensor([true, true, false]), int32([1, 1, 1]), 2), { shape: [2], dtype: 'int32', values: [0, 2] });
        // gradient of gather: dy of shape [indices..., rest] scattered back onto x's rows
        const idx = int32([2, 0, 2]);
        const dy = tensor([[1, 2], [3, 4], [5, 6]]);
        await ctx.expectClose(ops.unsortedSegmentSum(dy, idx, 4), { shape: [4, 2], dtype: 'float32', values: [3, 4, 0, 0, 6, 8, 0, 0] });
      },
    },
    {
      op: 'unsortedSegmentSum',
      name: 'rejects non-int32 ids, non-prefix shapes and bad numSegments',
      run: (ctx) => {
        const x = tensor([[1, 2], [3, 4]]);
        ctx.expectThrows(() => ops.unsortedSegmentSum(x, tensor([0, 1]), 2), DTypeError, /unsortedSegmentSum: segmentIds must be an int32 tensor/);
        ctx.expectThrows(() => ops.unsortedSegmentSum(x, int32([0, 1, 1]), 2), ShapeError, /unsortedSegmentSum.*\[3\].*prefix.*\[2,2\]/);
        ctx.expectThrows(() => ops.unsortedSegmentSum(x, int32([0, 1]), -1), ValueError, /unsortedSegmentSum: numSegments/);
        ctx.expectThrows(() => ops.unsortedSegmentSum(x, int32([0, 1]), 1.5), ValueError, /numSegments/);
      },
    },
  ];
}

function expandSqueezeCases(): ConformanceCase[] {
  return [
    ...perDType('expandDims', 'every position, negative axes, scalars', ALL, async (ctx, dt) => {
      const [x, v] = ctx.random([2, 3], dt);
      for (const [axis, shape] of [
        [0, [1, 2, 3]],
        [1, [2, 1, 3]],
        [2, [2, 3, 1]],
        [-1, [2, 3, 1]],
        [-3, [1, 2, 3]],
      ] as const) {
        await ctx.expectClose(ops.expandDims(x, axis), { shape, dtype: dt, values: v });
      }
      await ctx.expectClose(ops.expandDims(ctx.tensor([1], [], dt)), { shape: [1], dtype: dt, values: [1] });
      await ctx.expectClose(ops.expandDims(ctx.tensor([], [0], dt), 1), { shape: [0, 1], dtype: dt, values: [] });
    }),
    {
      op: 'expandDims',
      name: 'rejects out-of-range axes',
      run: (ctx) => {
        ctx.expectThrows(() => ops.expandDims(tensor([1, 2]), 2), ValueError, /expandDims: axis 2/);
        ctx.expectThrows(() => ops.expandDims(tensor([1, 2]), -3), ValueError, /expandDims: axis -3/);
      },
    },
    ...perDType('squeeze', 'all size-1 dims or the listed ones', ALL, async (ctx, dt) => {
      const [x, v] = ctx.random([1, 3, 1, 2], dt);
      await ctx.expectClose(ops.squeeze(x), { shape: [3, 2], dtype: dt, values: v });
      await ctx.expectClose(ops.squeeze(x, 0), { shape: [3, 1, 2], dtype: dt, values: v });
      await ctx.expectClose(ops.squeeze(x, [-2, 0]), { shape: [3, 2], dtype: dt, values: v });
      await ctx.expectClose(ops.squeeze(ctx.tensor([4], [1, 1], dt)), { shape: [], dtype: dt, values: [4] });
      await ctx.expectClose(ops.squeeze(ctx.tensor([], [1, 0], dt)), { shape: [0], dtype: dt, values: [] });
    }),
    {
      op: 'squeeze',
      name: 'rejects axes whose size is not 1',
      run: (ctx) => {
        ctx.expectThrows(() => ops.squeeze(tensor([[1, 2]]), 1), ValueError, /squeeze: cannot squeeze axis 1 of shape \[1,2\]: its size is 2/);
        ctx.expectThrows(() => ops.squeeze(tensor([[1, 2]]), 3), ValueError, /squeeze: axis 3/);
      },
    },
  ];
}

/** Conformance cases for shape ops. */
export const shapeCases: readonly ConformanceCase[] = [
  ...reshapeCases(),
  ...transposeCases(),
  ...sliceCases(),
  ...stridedSliceCases(),
  ...concatCases(),
  ...stackCases(),
  ...unstackSplitCases(),
  ...padTileCases(),
  ...gatherCases(),
  ...broadcastReverseCases(),
  ...segmentCases(),
  ...expandSqueezeCases(),
];
