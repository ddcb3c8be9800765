/**
 * Conformance cases for reductions and `cumsum`: every axis form (omitted, single, negative,
 * lists) with and without `keepDims`, size-0 and size-1 dims, scalars, every dtype each op
 * accepts, NaN and infinities, odd sizes, the identities of empty reductions, and bad input.
 * Expected values come from naive float64 loops (`refReduce` and the helpers below).
 *
 * @module
 */
import type { DType } from '../../dtype.js';
import { DTypeError, ValueError } from '../../errors.js';
import { tensor } from '../../ops/creation.js';
import * as ops from '../../ops/reduce.js';
import { normalizeAxes, sizeOf } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import type { CaseContext } from '../context.js';
import type { ConformanceCase } from '../index.js';
import { refReduce, unravel, type RefResult } from '../reference.js';

type AxisArg = number | readonly number[] | undefined;
type ReduceFn = (x: Tensor, axis?: AxisArg, keepDims?: boolean) => Tensor;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

// ---- float64 references -----------------------------------------------------------------

function refSum(xs: number[]): number {
  let s = 0;
  for (const v of xs) s += v;
  return s;
}
function refProd(xs: number[]): number {
  let s = 1;
  for (const v of xs) s *= v;
  return s;
}
/** int32 product: wraps like int32. */
function refProdInt(xs: number[]): number {
  let s = 1;
  for (const v of xs) s = Math.imul(s, v);
  return s;
}
function refMax(xs: number[]): number {
  let m = -Infinity;
  for (const v of xs) {
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  return m;
}
function refMin(xs: number[]): number {
  let m = Infinity;
  for (const v of xs) {
    if (Number.isNaN(v)) return NaN;
    if (v < m) m = v;
  }
  return m;
}
function refMean(xs: number[]): number {
  return refSum(xs) / xs.length;
}
function refLogSumExp(xs: number[]): number {
  const m = refMax(xs);
  if (Number.isNaN(m)) return NaN;
  if (m === -Infinity) return -Infinity;
  if (m === Infinity) return Infinity;
  let s = 0;
  for (const v of xs) s += Math.exp(v - m);
  return m + Math.log(s);
}
function refAny(xs: number[]): number {
  return xs.some((v) => v !== 0) ? 1 : 0;
}
function refAll(xs: number[]): number {
  return xs.every((v) => v !== 0) ? 1 : 0;
}

/** argMax/argMin along one axis in float64: first index on ties, first NaN wins. */
function refArg(values: ArrayLike<number>, shape: readonly number[], axis: number, isMax: boolean): RefResult {
  const outShape = shape.filter((_, i) => i !== axis);
  const n = sizeOf(outShape);
  const out = new Float64Array(n);
  const len = shape.length === 0 ? 1 : shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  for (let o = 0; o < n; o++) {
    const outer = Math.floor(o / inner);
    const j = o % inner;
    let best = 0;
    let bv = values[outer * len * inner + j]!;
    for (let r = 1; r < len; r++) {
      const v = values[(outer * len + r) * inner + j]!;
      if (Number.isNaN(bv)) break;
      if (Number.isNaN(v) || (isMax ? v > bv : v < bv)) {
        best = r;
        bv = v;
      }
    }
    out[o] = best;
  }
  return { values: out, shape: outShape };
}

/** Cumulative sum in float64, walking multi-indices (independent of any kernel layout). */
function refCumsum(values: ArrayLike<number>, shape: readonly number[], axis: number, exclusive: boolean, reverse: boolean): RefResult {
  const n = sizeOf(shape);
  const out = new Float64Array(n);
  const len = shape.length === 0 ? 1 : shape[axis]!;
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    const pos = shape.length === 0 ? 0 : idx[axis]!;
    let s = 0;
    for (let r = 0; r < len; r++) {
      const take = reverse ? (exclusive ? r > pos : r >= pos) : exclusive ? r < pos : r <= pos;
      if (!take) continue;
      const jdx = [...idx];
      if (shape.length > 0) jdx[axis] = r;
      let f = 0;
      for (let d = 0; d < shape.length; d++) f = f * shape[d]! + jdx[d]!;
      s += values[f]!;
    }
    out[i] = s;
  }
  return { values: out, shape: [...shape] };
}

// ---- the table of axis forms --------------------------------------------------------------

/** Shapes and axis arguments every reduction is checked on (each with and without keepDims). */
const AXIS_FORMS: readonly [readonly number[], AxisArg][] = [
  [[2, 3, 4], undefined],
  [[2, 3, 4], 0],
  [[2, 3, 4], 1],
  [[2, 3, 4], 2],
  [[2, 3, 4], -1],
  [[2, 3, 4], -3],
  [[2, 3, 4], [0, 2]],
  [[2, 3, 4], [-1, 0]],
  [[2, 3, 4], [1, 2]],
  [[2, 3, 4], [0, 1]],
  [[2, 3, 4], [2, 0, 1]],
  [[2, 3, 4], []],
  [[3, 1, 5], 1],
  [[3, 1, 5], [0, 2]],
  [[1, 7], 1],
  [[1, 1], undefined],
  [[7], 0],
  [[33, 65], 0],
  [[33, 65], 1],
  [[5, 2, 3, 2], [1, 3]],
  [[5, 2, 3, 2], [0, 2]],
  [[], undefined],
  [[], 0],
  [[], -1],
  [[0], undefined],
  [[0, 3], 0],
  [[0, 3], 1],
  [[3, 0], 1],
  [[3, 0], 0],
  [[2, 0, 3], [0, 2]],
];

function refAxes(shape: readonly number[], axis: AxisArg): number[] {
  return shape.length === 0 ? [] : normalizeAxes(axis, shape.length, 'reference');
}

function describeForm(shape: readonly number[], axis: AxisArg, keepDims: boolean): string {
  return `shape [${shape.join(',')}], axis ${JSON.stringify(axis) ?? 'undefined'}, keepDims ${keepDims}`;
}

async function checkForms(
  ctx: CaseContext,
  fn: ReduceFn,
  inDType: DType,
  outDType: DType,
  ref: (xs: number[]) => number,
  range: { min?: number; max?: number } = {},
): Promise<void> {
  for (const [shape, axis] of AXIS_FORMS) {
    for (const keepDims of [false, true]) {
      const [x, v] = ctx.random(shape, inDType, range);
      const r = refReduce(v, shape, refAxes(shape, axis), keepDims, ref);
      try {
        await ctx.expectClose(fn(x, axis, keepDims), { shape: r.shape, dtype: outDType, values: r.values });
      } catch (e) {
        throw new Error(`${describeForm(shape, axis, keepDims)}: ${(e as Error).message}`);
      }
    }
  }
}

// ---- sum, prod, max, min, mean, logSumExp, any, all ----------------------------------------

interface ReduceSpec {
  readonly op: string;
  readonly fn: ReduceFn;
  readonly ref: (xs: number[]) => number;
  /** Input dtypes and the output dtype each gives. */
  readonly dtypes: readonly (readonly [DType, DType])[];
  readonly intRef?: (xs: number[]) => number;
  readonly range?: { min?: number; max?: number };
}

const specs: readonly ReduceSpec[] = [
  { op: 'sum', fn: ops.sum, ref: refSum, dtypes: [['float32', 'float32'], ['float64', 'float64'], ['int32', 'int32'], ['bool', 'int32']] },
  {
    op: 'prod',
    fn: ops.prod,
    ref: refProd,
    intRef: refProdInt,
    dtypes: [['float32', 'float32'], ['float64', 'float64'], ['int32', 'int32'], ['bool', 'int32']],
    range: { min: -1.3, max: 1.3 },
  },
  {
    op: 'max',
    fn: ops.max,
    ref: refMax,
    intRef: (xs) => (xs.length === 0 ? INT32_MIN : refMax(xs)),
    dtypes: [['float32', 'float32'], ['float64', 'float64'], ['int32', 'int32']],
  },
  {
    op: 'min',
    fn: ops.min,
    ref: refMin,
    intRef: (xs) => (xs.length === 0 ? INT32_MAX : refMin(xs)),
    dtypes: [['float32', 'float32'], ['float64', 'float64'], ['int32', 'int32']],
  },
  { op: 'mean', fn: ops.mean, ref: refMean, dtypes: [['float32', 'float32'], ['float64', 'float64'], ['int32', 'float32'], ['bool', 'float32']] },
  {
    op: 'logSumExp',
    fn: ops.logSumExp,
    ref: refLogSumExp,
    dtypes: [['float32', 'float32'], ['float64', 'float64'], ['int32', 'float32']],
    range: { min: -4, max: 4 },
  },
  { op: 'any', fn: ops.any, ref: refAny, dtypes: [['bool', 'bool']] },
  { op: 'all', fn: ops.all, ref: refAll, dtypes: [['bool', 'bool']] },
];

function formCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const s of specs) {
    for (const [inDType, outDType] of s.dtypes) {
      out.push({
        op: s.op,
        name: `${inDType}: every axis form, keepDims, empty, size-1 and scalar shapes`,
        dtypes: [...new Set([inDType, outDType])],
        run: async (ctx) => {
          const ref = inDType === 'int32' && s.intRef !== undefined ? s.intRef : s.ref;
          const range = inDType === 'int32' && s.op === 'prod' ? { min: -3, max: 3 } : inDType === 'int32' ? {} : (s.range ?? {});
          await checkForms(ctx, s.fn, inDType, outDType, ref, range);
        },
      });
    }
  }
  return out;
}

function specialCases(): ConformanceCase[] {
  const f32 = (values: number[], shape?: number[]): Tensor => tensor(values, shape ?? [values.length], 'float32');
  return [
    {
      op: 'sum',
      name: 'NaN and infinities propagate',
      run: async (ctx) => {
        const x = f32([1, NaN, 2, Infinity, 1, 2, -Infinity, Infinity, 5], [3, 3]);
        await ctx.expectClose(ops.sum(x, 1), { shape: [3], dtype: 'float32', values: [NaN, Infinity, NaN] });
      },
    },
    {
      op: 'sum',
      name: 'float32 sums of many elements stay accurate',
      run: async (ctx) => {
        const n = 100003;
        const [x, v] = ctx.random([n], 'float32', { min: 0, max: 1 });
        await ctx.expectClose(ops.sum(x), { shape: [], dtype: 'float32', values: [refSum([...v])] }, { rtol: 1e-6 });
      },
    },
    {
      op: 'sum',
      name: 'int32 sums wrap like int32',
      dtypes: ['int32'],
      run: async (ctx) => {
        // 2147483647 + 1 + 5 wraps to -2147483643; -2147483648 - 1 - 3 wraps to 2147483644
        const x = tensor([2147483647, 1, 5, -2147483648, -1, -3], [2, 3], 'int32');
        await ctx.expectClose(ops.sum(x, 1), { shape: [2], dtype: 'int32', values: [-2147483643, 2147483644] });
      },
    },
    {
      op: 'prod',
      name: 'int32 products wrap like int32; empty product is 1',
      dtypes: ['int32'],
      run: async (ctx) => {
        const x = tensor([65536, 65536, 3, -4], [2, 2], 'int32');
        await ctx.expectClose(ops.prod(x, 1), { shape: [2], dtype: 'int32', values: [0, -12] });
        await ctx.expectClose(ops.prod(tensor([], [2, 0], 'int32'), 1), { shape: [2], dtype: 'int32', values: [1, 1] });
      },
    },
    {
      op: 'max',
      name: 'NaN propagates; infinities; empty gives -Infinity',
      run: async (ctx) => {
        const x = f32([NaN, 1, 2, 3, NaN, 1, -Infinity, -Infinity, -Infinity, 1, Infinity, 2], [4, 3]);
        await ctx.expectClose(ops.max(x, 1), { shape: [4], dtype: 'float32', values: [NaN, NaN, -Infinity, Infinity] });
        await ctx.expectClose(ops.max(x, 0), { shape: [3], dtype: 'float32', values: [NaN, NaN, 2] });
        await ctx.expectClose(ops.max(f32([], [0, 2]), 0), { shape: [2], dtype: 'float32', values: [-Infinity, -Infinity] });
        await ctx.expectClose(ops.max(f32([])), { shape: [], dtype: 'float32', values: [-Infinity] });
      },
    },
    {
      op: 'min',
      name: 'NaN propagates; infinities; empty gives Infinity',
      run: async (ctx) => {
        const x = f32([1, NaN, 2, 3, 2, NaN, Infinity, Infinity, Infinity, 1, -Infinity, 2], [4, 3]);
        await ctx.expectClose(ops.min(x, 1), { shape: [4], dtype: 'float32', values: [NaN, NaN, Infinity, -Infinity] });
        await ctx.expectClose(ops.min(x, 0, true), { shape: [1, 3], dtype: 'float32', values: [1, NaN, NaN] });
        await ctx.expectClose(ops.min(f32([], [2, 0]), 1), { shape: [2], dtype: 'float32', values: [Infinity, Infinity] });
      },
    },
    {
      op: 'max',
      name: 'int32 over no elements gives the int32 extremes',
      dtypes: ['int32'],
      run: async (ctx) => {
        const e = tensor([], [0, 2], 'int32');
        await ctx.expectClose(ops.max(e, 0), { shape: [2], dtype: 'int32', values: [INT32_MIN, INT32_MIN] });
        await ctx.expectClose(ops.min(e, 0), { shape: [2], dtype: 'int32', values: [INT32_MAX, INT32_MAX] });
      },
    },
    {
      op: 'mean',
      name: 'of no elements is NaN; NaN propagates',
      run: async (ctx) => {
        await ctx.expectClose(ops.mean(f32([], [0, 3]), 0), { shape: [3], dtype: 'float32', values: [NaN, NaN, NaN] });
        await ctx.expectClose(ops.mean(f32([1, NaN, 3, 5], [2, 2]), 1), { shape: [2], dtype: 'float32', values: [NaN, 4] });
      },
    },
    {
      op: 'mean',
      name: 'int32 averages in float32; bool gives the fraction of true',
      dtypes: ['int32'],
      run: async (ctx) => {
        await ctx.expectClose(ops.mean(tensor([1, 2, 3, 4], [4], 'int32')), { shape: [], dtype: 'float32', values: [2.5] });
        await ctx.expectClose(ops.mean(tensor([true, false, false, true, true, true], [2, 3]), 1), {
          shape: [2],
          dtype: 'float32',
          values: [1 / 3, 1],
        });
      },
    },
    {
      op: 'logSumExp',
      name: 'stable for large values; -Infinity rows, +Infinity, NaN and empty',
      run: async (ctx) => {
        const x = f32([1000, 1000, 1000, -1000, -1000, -1000, -Infinity, -Infinity, -Infinity, 0, -Infinity, 1, Infinity, 0, 1, NaN, 0, 1], [6, 3]);
        await ctx.expectClose(ops.logSumExp(x, 1), {
          shape: [6],
          dtype: 'float32',
          values: [1000 + Math.log(3), -1000 + Math.log(3), -Infinity, Math.log(1 + Math.E), Infinity, NaN],
        });
        await ctx.expectClose(ops.logSumExp(f32([], [2, 0]), 1, true), { shape: [2, 1], dtype: 'float32', values: [-Infinity, -Infinity] });
        await ctx.expectClose(ops.logSumExp(f32([0, 0])), { shape: [], dtype: 'float32', values: [Math.LN2] });
      },
    },
    {
      op: 'logSumExp',
      name: 'float64 keeps precision at large magnitudes',
      dtypes: ['float64'],
      run: async (ctx) => {
        const x = tensor([1e300, 1e300, -745, -745.5], [2, 2], 'float64');
        await ctx.expectClose(ops.logSumExp(x, -1), {
          shape: [2],
          dtype: 'float64',
          values: [1e300, refLogSumExp([-745, -745.5])],
        });
      },
    },
    {
      op: 'any',
      name: 'empty is false; all: empty is true',
      run: async (ctx) => {
        const e = tensor([], [3, 0], 'bool');
        await ctx.expectClose(ops.any(e, 1), { shape: [3], dtype: 'bool', values: [0, 0, 0] });
        await ctx.expectClose(ops.all(e, 1), { shape: [3], dtype: 'bool', values: [1, 1, 1] });
        await ctx.expectClose(ops.any(e), { shape: [], dtype: 'bool', values: [0] });
        await ctx.expectClose(ops.all(e), { shape: [], dtype: 'bool', values: [1] });
      },
    },
    {
      op: 'sum',
      name: 'bool counts true elements as int32',
      dtypes: ['int32'],
      run: async (ctx) => {
        const x = tensor([true, false, true, true, true, false], [2, 3]);
        await ctx.expectClose(ops.sum(x, 1), { shape: [2], dtype: 'int32', values: [2, 2] });
        await ctx.expectClose(ops.sum(x), { shape: [], dtype: 'int32', values: [4] });
      },
    },
  ];
}

function errorCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const s of specs) {
    const inDType = s.dtypes[0]![0];
    out.push({
      op: s.op,
      name: 'rejects bad axes and keepDims (ValueError)',
      run: (ctx) => {
        const x = inDType === 'bool' ? tensor([true, false, true, false, true, true], [2, 3]) : tensor([1, 2, 3, 4, 5, 6], [2, 3]);
        ctx.expectThrows(() => s.fn(x, 2), ValueError, new RegExp(`${s.op}: axis 2 is out of range for a tensor of rank 2`));
        ctx.expectThrows(() => s.fn(x, -3), ValueError, new RegExp(`${s.op}: axis -3 is out of range`));
        ctx.expectThrows(() => s.fn(x, [0, -2]), ValueError, new RegExp(`${s.op}: axis .* repeats an axis`));
        ctx.expectThrows(() => s.fn(x, 0.5), ValueError, new RegExp(`${s.op}: axis must be an integer`));
        ctx.expectThrows(() => s.fn(x, [0, 5]), ValueError, new RegExp(`${s.op}: axis 5`));
        ctx.expectThrows(() => s.fn(x, 0, 'yes' as unknown as boolean), ValueError, new RegExp(`${s.op}: keepDims must be a boolean`));
      },
    });
  }
  out.push({
    op: 'any',
    name: 'any and all reject non-bool tensors (DTypeError)',
    run: (ctx) => {
      ctx.expectThrows(() => ops.any(tensor([1, 0])), DTypeError, /any: expects a bool tensor, got float32/);
      ctx.expectThrows(() => ops.all(tensor([1, 0])), DTypeError, /all: expects a bool tensor, got float32/);
    },
  });
  out.push({
    op: 'max',
    name: 'max, min, argMax and argMin reject bool (DTypeError)',
    run: (ctx) => {
      const b = tensor([true, false]);
      for (const [name, fn] of [['max', ops.max], ['min', ops.min], ['argMax', ops.argMax], ['argMin', ops.argMin]] as const) {
        ctx.expectThrows(() => fn(b), DTypeError, new RegExp(`${name}: bool tensors are not supported`));
      }
    },
  });
  return out;
}

// ---- argMax, argMin ---------------------------------------------------------------------------

function argCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  const shapes: readonly [readonly number[], number][] = [
    [[7], 0],
    [[7], -1],
    [[3, 5], 0],
    [[3, 5], 1],
    [[2, 3, 4], 1],
    [[2, 3, 4], -1],
    [[2, 3, 4], 0],
    [[33, 65], 1],
    [[65, 3], 0],
    [[1, 4], 0],
    [[4, 1], 1],
    [[0, 3], 1],
    [[3, 0, 2], 2],
    [[], 0],
  ];
  for (const [op, fn, isMax] of [['argMax', ops.argMax, true], ['argMin', ops.argMin, false]] as const) {
    for (const dtype of ['float32', 'float64', 'int32'] as const) {
      out.push({
        op,
        name: `${dtype}: every axis, size-1, empty and scalar shapes`,
        dtypes: dtype === 'int32' ? ['int32'] : [dtype, 'int32'],
        run: async (ctx) => {
          for (const [shape, axis] of shapes) {
            // int32 values in a small range, so ties happen: the first index must win
            const [x, v] = ctx.random(shape, dtype, dtype === 'int32' ? { min: -2, max: 2 } : {});
            const a = shape.length === 0 ? 0 : axis < 0 ? axis + shape.length : axis;
            const r = refArg(v, shape, a, isMax);
            try {
              await ctx.expectClose(fn(x, axis), { shape: r.shape, dtype: 'int32', values: r.values });
            } catch (e) {
              throw new Error(`shape [${shape.join(',')}], axis ${axis}: ${(e as Error).message}`);
            }
          }
        },
      });
    }
    out.push({
      op,
      name: 'default axis is 0; ties pick the first; NaN wins',
      dtypes: ['int32'],
      run: async (ctx) => {
        const x = tensor([3, 1, 3, 1, 3, 1, 2, 2, 2], [3, 3], 'float32');
        const r = refArg([3, 1, 3, 1, 3, 1, 2, 2, 2], [3, 3], 0, isMax);
        await ctx.expectClose(fn(x), { shape: [3], dtype: 'int32', values: r.values });
        const y = tensor([1, NaN, 5, NaN, 0, -1, -1, NaN], [2, 4], 'float32');
        await ctx.expectClose(fn(y, 1), { shape: [2], dtype: 'int32', values: [1, 3] });
      },
    });
    out.push({
      op,
      name: 'rejects an empty axis and bad axes (ValueError)',
      run: (ctx) => {
        ctx.expectThrows(() => fn(tensor([], [2, 0]), 1), ValueError, new RegExp(`${op}: axis 1 of x \\(shape \\[2,0\\]\\) is empty`));
        ctx.expectThrows(() => fn(tensor([], [0])), ValueError, new RegExp(`${op}: axis 0 .* is empty`));
        ctx.expectThrows(() => fn(tensor([1, 2, 3, 4], [2, 2]), 2), ValueError, new RegExp(`${op}: axis 2 is out of range`));
        ctx.expectThrows(() => fn(tensor([1, 2]), [0] as unknown as number), ValueError, new RegExp(`${op}: axis must be an integer`));
      },
    });
  }
  return out;
}

// ---- cumsum -----------------------------------------------------------------------------------

function cumsumCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  const shapes: readonly [readonly number[], number][] = [
    [[7], 0],
    [[3, 4, 5], 0],
    [[3, 4, 5], 1],
    [[3, 4, 5], 2],
    [[3, 4, 5], -1],
    [[3, 4, 5], -2],
    [[1, 5], 0],
    [[5, 1], 1],
    [[65, 3], 0],
    [[0, 3], 1],
    [[3, 0], 1],
    [[3, 0], 0],
    [[], 0],
  ];
  for (const [inDType, outDType] of [['float32', 'float32'], ['float64', 'float64'], ['int32', 'int32'], ['bool', 'int32']] as const) {
    out.push({
      op: 'cumsum',
      name: `${inDType}: every axis, exclusive and reverse, empty and size-1 dims`,
      dtypes: [...new Set<DType>([inDType, outDType])],
      run: async (ctx) => {
        for (const [shape, axis] of shapes) {
          for (const exclusive of [false, true]) {
            for (const reverse of [false, true]) {
              const [x, v] = ctx.random(shape, inDType);
              const a = shape.length === 0 ? 0 : axis < 0 ? axis + shape.length : axis;
              const r = refCumsum(v, shape, a, exclusive, reverse);
              try {
                await ctx.expectClose(ops.cumsum(x, axis, { exclusive, reverse }), { shape: r.shape, dtype: outDType, values: r.values });
              } catch (e) {
                throw new Error(`shape [${shape.join(',')}], axis ${axis}, exclusive ${exclusive}, reverse ${reverse}: ${(e as Error).message}`);
              }
            }
          }
        }
      },
    });
  }
  out.push({
    op: 'cumsum',
    name: 'default axis 0; hand-computed values; NaN propagates forward',
    run: async (ctx) => {
      await ctx.expectClose(ops.cumsum(tensor([[1, 2], [3, 4], [5, 6]])), { shape: [3, 2], dtype: 'float32', values: [1, 2, 4, 6, 9, 12] });
      await ctx.expectClose(ops.cumsum(tensor([1, 2, 3]), 0, { exclusive: true, reverse: true }), { shape: [3], dtype: 'float32', values: [5, 3, 0] });
      await ctx.expectClose(ops.cumsum(tensor([1, NaN, 3, 4])), { shape: [4], dtype: 'float32', values: [1, NaN, NaN, NaN] });
    },
  });
  out.push({
    op: 'cumsum',
    name: 'rejects bad axes and options (ValueError)',
    run: (ctx) => {
      const x = tensor([1, 2, 3, 4], [2, 2]);
      ctx.expectThrows(() => ops.cumsum(x, 2), ValueError, /cumsum: axis 2 is out of range for a tensor of rank 2/);
      ctx.expectThrows(() => ops.cumsum(x, -3), ValueError, /cumsum: axis -3 is out of range/);
      ctx.expectThrows(() => ops.cumsum(x, 0, { exclusive: 1 as unknown as boolean }), ValueError, /cumsum: exclusive must be a boolean/);
      ctx.expectThrows(() => ops.cumsum(x, 0, { reversed: true } as unknown as ops.CumsumOptions), ValueError, /cumsum: unknown option 'reversed'/);
    },
  });
  return out;
}

/** Conformance cases for reduce ops. */
export const reduceCases: readonly ConformanceCase[] = [...formCases(), ...specialCases(), ...errorCases(), ...argCases(), ...cumsumCases()];
