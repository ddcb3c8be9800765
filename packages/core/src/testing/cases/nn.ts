/**
 * Conformance cases for nn ops and losses: `softmax`, `logSoftmax`, `softmaxCrossEntropy`,
 * `sigmoidCrossEntropy`, `meanSquaredError`, `moments`, `batchNorm`, `dropout`. Values are
 * compared with naive float64 loops; extreme logits (±1e4) check the stable formulations, which
 * a naive one would overflow; empty batches, float64 and every kind of bad input are covered.
 *
 * @module
 */
import type { DType } from '../../dtype.js';
import { DTypeError, ShapeError, ValueError } from '../../errors.js';
import { tensor } from '../../ops/creation.js';
import {
  batchNorm,
  dropout,
  logSoftmax,
  meanSquaredError,
  moments,
  sigmoidCrossEntropy,
  softmax,
  softmaxCrossEntropy,
  type Reduction,
} from '../../ops/nn.js';
import { RandomGenerator, setRandomSeed } from '../../random.js';
import { sizeOf } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import type { CaseContext } from '../context.js';
import type { ConformanceCase } from '../index.js';
import { broadcastRead, ravel, refReduce, unravel } from '../reference.js';

const FLOATS = ['float32', 'float64'] as const;

function fail(msg: string): never {
  throw new Error(msg);
}

// ---- float64 references ------------------------------------------------------------------

/**
 * Applies `f` to every 1-D slice along `axis` (the slice's values in order), writing its output
 * (same length) back in place: a naive loop over multi-indices.
 */
function alongAxis(values: ArrayLike<number>, shape: readonly number[], axis: number, f: (row: number[]) => number[]): Float64Array {
  const out = new Float64Array(sizeOf(shape));
  const outer = shape.map((d, i) => (i === axis ? 1 : d));
  const n = sizeOf(outer);
  for (let o = 0; o < n; o++) {
    const base = unravel(o, outer);
    const idx: number[] = [];
    const row: number[] = [];
    for (let k = 0; k < shape[axis]!; k++) {
      const mi = base.slice();
      mi[axis] = k;
      const flat = ravel(mi, shape);
      idx.push(flat);
      row.push(values[flat]!);
    }
    const r = f(row);
    for (let k = 0; k < idx.length; k++) out[idx[k]!] = r[k]!;
  }
  return out;
}

/** log(sum(exp(row))) in float64, shifted by the row maximum. */
function refLogSumExp(row: readonly number[]): number {
  let m = -Infinity;
  for (const v of row) m = Math.max(m, v);
  if (!Number.isFinite(m)) return m === -Infinity ? -Infinity : NaN;
  let s = 0;
  for (const v of row) s += Math.exp(v - m);
  return m + Math.log(s);
}

const refSoftmaxRow = (row: number[]): number[] => {
  const l = refLogSumExp(row);
  return row.map((v) => Math.exp(v - l));
};
const refLogSoftmaxRow = (row: number[]): number[] => {
  const l = refLogSumExp(row);
  return row.map((v) => v - l);
};

function reduceRef(values: readonly number[], reduction: Reduction): number[] {
  if (reduction === 'none') return [...values];
  let s = 0;
  for (const v of values) s += v;
  return [reduction === 'sum' ? s : values.length === 0 ? 0 : s / values.length];
}

/** Per-example softmax cross entropy, naive: -sum_k z_k * (x_k - logSumExp(x)). */
function refSoftmaxCE(z: ArrayLike<number>, x: ArrayLike<number>, shape: readonly number[], axis: number): { values: number[]; shape: number[] } {
  const r = refReduce(x, shape, [axis], false, () => 0);
  const outShape = r.shape;
  const outer = shape.map((d, i) => (i === axis ? 1 : d));
  const values: number[] = [];
  for (let o = 0; o < sizeOf(outer); o++) {
    const base = unravel(o, outer);
    const row: number[] = [];
    const lab: number[] = [];
    for (let k = 0; k < shape[axis]!; k++) {
      const mi = base.slice();
      mi[axis] = k;
      row.push(x[ravel(mi, shape)]!);
      lab.push(z[ravel(mi, shape)]!);
    }
    const l = refLogSumExp(row);
    let s = 0;
    for (let k = 0; k < row.length; k++) s -= lab[k]! * (row[k]! - l);
    values.push(s);
  }
  return { values, shape: outShape };
}

/** Naive logistic loss, fine in float64 for moderate logits. */
const refSigmoidCENaive = (z: number, x: number): number => {
  const p = 1 / (1 + Math.exp(-x));
  return -z * Math.log(p) - (1 - z) * Math.log(1 - p);
};

/** Random probability rows along the last axis. */
function randomProbabilities(ctx: CaseContext, shape: readonly number[], axis: number): Float64Array {
  const raw = ctx.values(shape, 'float64', { min: 0, max: 1 });
  return alongAxis(raw, shape, axis, (row) => {
    const s = row.reduce((a, b) => a + b, 0);
    return row.map((v) => v / s);
  });
}

function roundTo(values: ArrayLike<number>, dtype: DType): number[] {
  return Array.from(values, (v) => (dtype === 'float32' ? Math.fround(v) : v));
}

// ---- softmax, logSoftmax -----------------------------------------------------------------

function softmaxCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  const specs = [
    ['softmax', softmax, refSoftmaxRow],
    ['logSoftmax', logSoftmax, refLogSoftmaxRow],
  ] as const;
  for (const [op, fn, ref] of specs) {
    for (const dtype of FLOATS) {
      out.push({
        op,
        name: `${dtype}: random values along every axis, negative axes`,
        dtypes: [dtype],
        run: async (ctx) => {
          const [x, v] = ctx.random([3, 5], dtype, { min: -4, max: 4 });
          await ctx.expectClose(fn(x), { shape: [3, 5], dtype, values: alongAxis(v, [3, 5], 1, ref) });
          await ctx.expectClose(fn(x, 0), { shape: [3, 5], dtype, values: alongAxis(v, [3, 5], 0, ref) });
          const [y, w] = ctx.random([2, 3, 4], dtype, { min: -4, max: 4 });
          await ctx.expectClose(fn(y, -2), { shape: [2, 3, 4], dtype, values: alongAxis(w, [2, 3, 4], 1, ref) });
          await ctx.expectClose(fn(y, 2), { shape: [2, 3, 4], dtype, values: alongAxis(w, [2, 3, 4], 2, ref) });
          const [z, u] = ctx.random([6], dtype, { min: -4, max: 4 });
          await ctx.expectClose(fn(z), { shape: [6], dtype, values: alongAxis(u, [6], 0, ref) });
        },
      });
    }
    out.push({
      op,
      name: 'extreme logits (±1e4) do not overflow',
      dtypes: ['float64'],
      run: async (ctx) => {
        const v = [1e4, -1e4, 0, 1e4, 1e4, 1e4, -1e4, -1e4, -1e4, 5000, 5001, -1e4];
        for (const dtype of FLOATS) {
          const got = fn(tensor(v, [4, 3], dtype));
          await ctx.expectClose(got, { shape: [4, 3], dtype, values: alongAxis(v, [4, 3], 1, ref) }, { rtol: dtype === 'float32' ? 2e-4 : 1e-9, atol: 1e-6 });
          for (const g of await got.data()) if (!Number.isFinite(g)) fail(`${op} ${dtype}: non-finite output ${g} for finite logits`);
        }
      },
    });
    out.push({
      op,
      name: 'empty batches, empty class axes and size-1 class axes',
      run: async (ctx) => {
        await ctx.expectClose(fn(tensor([], [0, 4])), { shape: [0, 4], dtype: 'float32', values: [] });
        await ctx.expectClose(fn(tensor([], [3, 0])), { shape: [3, 0], dtype: 'float32', values: [] });
        const [x, v] = ctx.random([4, 1], 'float32');
        await ctx.expectClose(fn(x), { shape: [4, 1], dtype: 'float32', values: alongAxis(v, [4, 1], 1, ref) });
      },
    });
    out.push({
      op,
      name: 'infinities and NaN',
      run: async (ctx) => {
        const v = [-Infinity, 0, 1, NaN, 0, 1, Infinity, 0, 1, -Infinity, -Infinity, -Infinity];
        await ctx.expectClose(fn(tensor(v, [4, 3])), { shape: [4, 3], dtype: 'float32', values: alongAxis(v, [4, 3], 1, ref) });
      },
    });
    out.push({
      op,
      name: 'rejects integer logits, scalars and bad axes',
      dtypes: ['int32'],
      run: (ctx) => {
        ctx.expectThrows(() => fn(tensor([1, 2], [2], 'int32')), DTypeError, new RegExp(`${op}.*logits.*int32.*float32`));
        ctx.expectThrows(() => fn(tensor([true, false])), DTypeError, new RegExp(`${op}.*bool`));
        ctx.expectThrows(() => fn(tensor(3)), ShapeError, new RegExp(`${op}.*rank >= 1`));
        ctx.expectThrows(() => fn(tensor([[1, 2]]), 2), ValueError, new RegExp(`${op}.*axis 2.*rank 2`));
        ctx.expectThrows(() => fn(tensor([[1, 2]]), 0.5), ValueError, new RegExp(`${op}.*axis`));
      },
    });
  }
  out.push({
    op: 'softmax',
    name: 'rows sum to 1 and exp(logSoftmax) equals softmax',
    run: async (ctx) => {
      const [x] = ctx.random([5, 7], 'float32', { min: -20, max: 20 });
      const s = Array.from(await softmax(x).data());
      const l = Array.from(await logSoftmax(x).data());
      for (let r = 0; r < 5; r++) {
        let sum = 0;
        for (let c = 0; c < 7; c++) sum += s[r * 7 + c]!;
        if (Math.abs(sum - 1) > 1e-5) fail(`row ${r} sums to ${sum}`);
      }
      await ctx.expectClose(softmax(x), { shape: [5, 7], dtype: 'float32', values: l.map(Math.exp) }, { rtol: 1e-4, atol: 1e-7 });
    },
  });
  return out;
}

// ---- losses ------------------------------------------------------------------------------

const REDUCTIONS: readonly Reduction[] = ['none', 'sum', 'mean'];

function softmaxCrossEntropyCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const dtype of FLOATS) {
    out.push({
      op: 'softmaxCrossEntropy',
      name: `${dtype}: probability labels, every reduction, class axis last and first`,
      dtypes: [dtype],
      run: async (ctx) => {
        const shape = [4, 5];
        const [x, vx] = ctx.random(shape, dtype, { min: -5, max: 5 });
        const vz = roundTo(randomProbabilities(ctx, shape, 1), dtype);
        const z = tensor(vz, shape, dtype);
        const per = refSoftmaxCE(vz, vx, shape, 1);
        for (const reduction of REDUCTIONS) {
          const r = reduceRef(per.values, reduction);
          await ctx.expectClose(softmaxCrossEntropy(z, x, { reduction }), { shape: reduction === 'none' ? [4] : [], dtype, values: r });
        }
        await ctx.expectClose(softmaxCrossEntropy(z, x), { shape: [], dtype, values: reduceRef(per.values, 'mean') });
        const per0 = refSoftmaxCE(vz, vx, shape, 0);
        await ctx.expectClose(softmaxCrossEntropy(z, x, { axis: 0, reduction: 'none' }), { shape: [5], dtype, values: per0.values });
        const s3 = [2, 3, 4];
        const [y, vy] = ctx.random(s3, dtype, { min: -5, max: 5 });
        const vw = roundTo(randomProbabilities(ctx, s3, 2), dtype);
        const per3 = refSoftmaxCE(vw, vy, s3, 2);
        await ctx.expectClose(softmaxCrossEntropy(tensor(vw, s3, dtype), y, { reduction: 'none' }), { shape: [2, 3], dtype, values: per3.values });
        await ctx.expectClose(softmaxCrossEntropy(tensor(vw, s3, dtype), y), { shape: [], dtype, values: reduceRef(per3.values, 'mean') });
      },
    });
  }
  out.push({
    op: 'softmaxCrossEntropy',
    name: 'one-hot labels with extreme logits (±1e4) stay finite',
    dtypes: ['float64'],
    run: async (ctx) => {
      for (const dtype of FLOATS) {
        const logits = tensor([[1e4, -1e4, 0], [1e4, -1e4, 0], [-1e4, -1e4, 1e4]], undefined, dtype);
        const labels = tensor([[1, 0, 0], [0, 1, 0], [0.5, 0, 0.5]], undefined, dtype);
        // hand-computed: the first row is certain, the second misses by 2e4, the third by 1e4 half the time
        await ctx.expectClose(softmaxCrossEntropy(labels, logits, { reduction: 'none' }), { shape: [3], dtype, values: [0, 2e4, 1e4] });
        await ctx.expectClose(softmaxCrossEntropy(labels, logits), { shape: [], dtype, values: [1e4] });
      }
    },
  });
  out.push({
    op: 'softmaxCrossEntropy',
    name: 'hand-computed: uniform logits give log(classes)',
    run: async (ctx) => {
      await ctx.expectClose(softmaxCrossEntropy(tensor([[0, 1]]), tensor([[0, 0]])), { shape: [], dtype: 'float32', values: [Math.LN2] });
      await ctx.expectClose(softmaxCrossEntropy([[0, 0, 1, 0]], [[3, 3, 3, 3]], { reduction: 'sum' }), { shape: [], dtype: 'float32', values: [Math.log(4)] });
      // a rank-1 input is one example
      await ctx.expectClose(softmaxCrossEntropy(tensor([1, 0]), tensor([0, 0]), { reduction: 'none' }), { shape: [], dtype: 'float32', values: [Math.LN2] });
    },
  });
  out.push({
    op: 'softmaxCrossEntropy',
    name: 'empty batch: none is empty, sum and mean are 0',
    run: async (ctx) => {
      const z = tensor([], [0, 5]);
      const x = tensor([], [0, 5]);
      await ctx.expectClose(softmaxCrossEntropy(z, x, { reduction: 'none' }), { shape: [0], dtype: 'float32', values: [] });
      await ctx.expectClose(softmaxCrossEntropy(z, x, { reduction: 'sum' }), { shape: [], dtype: 'float32', values: [0] });
      await ctx.expectClose(softmaxCrossEntropy(z, x), { shape: [], dtype: 'float32', values: [0] });
      await ctx.expectClose(softmaxCrossEntropy(tensor([], [2, 0, 3]), tensor([], [2, 0, 3]), { reduction: 'none' }), {
        shape: [2, 0],
        dtype: 'float32',
        values: [],
      });
    },
  });
  out.push({
    op: 'softmaxCrossEntropy',
    name: 'float32 and float64 inputs promote to float64',
    dtypes: ['float64'],
    run: async (ctx) => {
      const vz = [0.25, 0.75];
      const vx = [0.5, -1];
      const ref = refSoftmaxCE(vz, vx, [2], 0).values;
      await ctx.expectClose(softmaxCrossEntropy(tensor(vz), tensor(vx, undefined, 'float64')), { shape: [], dtype: 'float64', values: ref });
      await ctx.expectClose(softmaxCrossEntropy(tensor(vz, undefined, 'float64'), tensor(vx)), { shape: [], dtype: 'float64', values: ref });
    },
  });
  out.push({
    op: 'softmaxCrossEntropy',
    name: 'rejects mismatched shapes, non-float dtypes, bad reductions and axes',
    dtypes: ['int32'],
    run: (ctx) => {
      const fn = softmaxCrossEntropy;
      ctx.expectThrows(() => fn(tensor([[0, 1, 0]]), tensor([[1, 2]])), ShapeError, /softmaxCrossEntropy.*labels.*\[1,3\].*logits.*\[1,2\]/);
      ctx.expectThrows(() => fn(tensor([0, 1]), tensor([[1, 2], [3, 4]])), ShapeError, /softmaxCrossEntropy.*\[2\].*\[2,2\]/);
      ctx.expectThrows(() => fn(tensor([[0, 1]]), tensor([[1, 2]], undefined, 'int32')), DTypeError, /softmaxCrossEntropy.*logits.*int32/);
      ctx.expectThrows(() => fn(tensor([[0, 1]], undefined, 'int32'), tensor([[1, 2]])), DTypeError, /softmaxCrossEntropy.*labels.*int32/);
      ctx.expectThrows(() => fn(tensor([[false, true]]), tensor([[1, 2]])), DTypeError, /softmaxCrossEntropy.*labels.*bool/);
      ctx.expectThrows(() => fn(tensor([[0, 1]]), tensor([[1, 2]]), { reduction: 'avg' as Reduction }), ValueError, /softmaxCrossEntropy.*reduction.*'none', 'sum' or 'mean'.*'avg'/);
      ctx.expectThrows(() => fn(tensor([[0, 1]]), tensor([[1, 2]]), { axis: 2 }), ValueError, /softmaxCrossEntropy.*axis 2/);
      ctx.expectThrows(() => fn(tensor(1), tensor(0)), ShapeError, /softmaxCrossEntropy.*rank >= 1/);
    },
  });
  return out;
}

type PairLoss = (labels: Tensor, x: Tensor, options?: { reduction?: Reduction }) => Tensor;

function pairLossCases(op: string, fn: PairLoss, ref: (z: number, x: number) => number, second: string): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const dtype of FLOATS) {
    out.push({
      op,
      name: `${dtype}: random values, every reduction`,
      dtypes: [dtype],
      run: async (ctx) => {
        for (const shape of [[3, 4], [7], [2, 1, 3], []] as const) {
          const [z, vz] = ctx.random(shape, dtype, { min: 0, max: 1 });
          const [x, vx] = ctx.random(shape, dtype, { min: -6, max: 6 });
          const per = Array.from(vx, (v, i) => ref(vz[i]!, v));
          for (const reduction of REDUCTIONS) {
            await ctx.expectClose(fn(z, x, { reduction }), { shape: reduction === 'none' ? [...shape] : [], dtype, values: reduceRef(per, reduction) });
          }
          await ctx.expectClose(fn(z, x), { shape: [], dtype, values: reduceRef(per, 'mean') });
        }
      },
    });
  }
  out.push({
    op,
    name: 'empty inputs: none is empty, sum and mean are 0',
    run: async (ctx) => {
      const e = tensor([], [0, 3]);
      await ctx.expectClose(fn(e, e, { reduction: 'none' }), { shape: [0, 3], dtype: 'float32', values: [] });
      await ctx.expectClose(fn(e, e, { reduction: 'sum' }), { shape: [], dtype: 'float32', values: [0] });
      await ctx.expectClose(fn(e, e), { shape: [], dtype: 'float32', values: [0] });
    },
  });
  out.push({
    op,
    name: 'rejects mismatched shapes, non-float dtypes and bad reductions',
    dtypes: ['int32'],
    run: (ctx) => {
      ctx.expectThrows(() => fn(tensor([1, 0, 1]), tensor([[1, 2, 3], [4, 5, 6]])), ShapeError, new RegExp(`${op}.*labels.*\\[3\\].*${second}.*\\[2,3\\]`));
      ctx.expectThrows(() => fn(tensor([1, 0]), tensor([1, 2], [2], 'int32')), DTypeError, new RegExp(`${op}.*${second}.*int32`));
      ctx.expectThrows(() => fn(tensor([true, false]), tensor([1, 2])), DTypeError, new RegExp(`${op}.*labels.*bool`));
      ctx.expectThrows(() => fn(tensor([1]), tensor([1]), { reduction: 'mean ' as Reduction }), ValueError, new RegExp(`${op}.*reduction`));
    },
  });
  return out;
}

function lossCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [
    ...pairLossCases('sigmoidCrossEntropy', sigmoidCrossEntropy, refSigmoidCENaive, 'logits'),
    ...pairLossCases('meanSquaredError', meanSquaredError, (z, p) => (z - p) * (z - p), 'predictions'),
  ];
  out.push({
    op: 'sigmoidCrossEntropy',
    name: 'extreme logits (±1e4) and hand-computed values',
    dtypes: ['float64'],
    run: async (ctx) => {
      for (const dtype of FLOATS) {
        const x = tensor([1e4, 1e4, -1e4, -1e4, 0, 0], undefined, dtype);
        const z = tensor([1, 0, 1, 0, 1, 0.5], undefined, dtype);
        // a sure right answer costs 0, a sure wrong one |x|; logit 0 costs log 2 whatever the label
        await ctx.expectClose(sigmoidCrossEntropy(z, x, { reduction: 'none' }), { shape: [6], dtype, values: [0, 1e4, 1e4, 0, Math.LN2, Math.LN2] });
      }
      await ctx.expectClose(sigmoidCrossEntropy(tensor([1]), tensor([0])), { shape: [], dtype: 'float32', values: [Math.LN2] });
    },
  });
  out.push({
    op: 'meanSquaredError',
    name: 'hand-computed values; plain arrays',
    run: async (ctx) => {
      await ctx.expectClose(meanSquaredError(tensor([1, 2]), tensor([1, 4])), { shape: [], dtype: 'float32', values: [2] });
      await ctx.expectClose(meanSquaredError([[1, 2]], [[3, -2]], { reduction: 'sum' }), { shape: [], dtype: 'float32', values: [20] });
    },
  });
  out.push({
    op: 'meanSquaredError',
    name: 'float32 and float64 arguments promote to float64',
    dtypes: ['float64'],
    run: async (ctx) => {
      await ctx.expectClose(meanSquaredError(tensor([0.5]), tensor([0.5], undefined, 'float64')), { shape: [], dtype: 'float64', values: [0] });
    },
  });
  return out;
}

// ---- moments, batchNorm ------------------------------------------------------------------

function refMoments(v: ArrayLike<number>, shape: readonly number[], axes: readonly number[], keepDims: boolean): { mean: number[]; variance: number[]; shape: number[] } {
  const mean = refReduce(v, shape, axes, keepDims, (xs) => xs.reduce((a, b) => a + b, 0) / xs.length);
  const variance = refReduce(v, shape, axes, keepDims, (xs) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return xs.reduce((a, b) => a + (b - m) * (b - m), 0) / xs.length;
  });
  return { mean: Array.from(mean.values), variance: Array.from(variance.values), shape: mean.shape };
}

function momentsCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const dtype of FLOATS) {
    out.push({
      op: 'moments',
      name: `${dtype}: random values over axis lists, with and without keepDims`,
      dtypes: [dtype],
      run: async (ctx) => {
        const shape = [4, 3, 2];
        const [x, v] = ctx.random(shape, dtype, { min: -3, max: 5 });
        for (const [axes, norm] of [[0, [0]], [[0, 2], [0, 2]], [-1, [2]], [undefined, [0, 1, 2]], [[2, 1], [1, 2]]] as const) {
          for (const keepDims of [false, true]) {
            const r = refMoments(v, shape, norm, keepDims);
            const got = moments(x, axes, keepDims);
            await ctx.expectClose(got.mean, { shape: r.shape, dtype, values: r.mean });
            await ctx.expectClose(got.variance, { shape: r.shape, dtype, values: r.variance });
          }
        }
      },
    });
  }
  out.push({
    op: 'moments',
    name: 'hand-computed; a large mean with a small spread keeps its variance',
    dtypes: ['float64'],
    run: async (ctx) => {
      const m = moments(tensor([1, 2, 3, 4]), 0);
      await ctx.expectClose(m.mean, { shape: [], dtype: 'float32', values: [2.5] });
      await ctx.expectClose(m.variance, { shape: [], dtype: 'float32', values: [1.25] });
      // E[x²] - E[x]² would cancel catastrophically here (x² ≈ 1e16 has float64 spacing 2)
      const v = [1e8 + 1, 1e8 - 1, 1e8 + 2, 1e8 - 2];
      const big = moments(tensor(v, undefined, 'float64'));
      await ctx.expectClose(big.mean, { shape: [], dtype: 'float64', values: [1e8] });
      await ctx.expectClose(big.variance, { shape: [], dtype: 'float64', values: [2.5] }, { rtol: 1e-9 });
      const v32 = [1000.5, 999.5, 1001, 999];
      const m32 = moments(tensor(v32));
      await ctx.expectClose(m32.variance, { shape: [], dtype: 'float32', values: [0.625] }, { rtol: 1e-4 });
    },
  });
  out.push({
    op: 'moments',
    name: 'size-1 and empty reductions',
    run: async (ctx) => {
      const [x, v] = ctx.random([1, 3], 'float32');
      const one = moments(x, 0);
      await ctx.expectClose(one.mean, { shape: [3], dtype: 'float32', values: v });
      await ctx.expectClose(one.variance, { shape: [3], dtype: 'float32', values: [0, 0, 0] });
      const e = moments(tensor([], [0, 3]), 0);
      await ctx.expectClose(e.mean, { shape: [3], dtype: 'float32', values: [NaN, NaN, NaN] });
      await ctx.expectClose(e.variance, { shape: [3], dtype: 'float32', values: [NaN, NaN, NaN] });
      const e2 = moments(tensor([], [0, 3]), 1, true);
      await ctx.expectClose(e2.mean, { shape: [0, 1], dtype: 'float32', values: [] });
    },
  });
  out.push({
    op: 'moments',
    name: 'rejects integer tensors and bad axes',
    dtypes: ['int32'],
    run: (ctx) => {
      ctx.expectThrows(() => moments(tensor([1, 2], [2], 'int32')), DTypeError, /moments.*int32/);
      ctx.expectThrows(() => moments(tensor([[1, 2]]), 2), ValueError, /moments.*axis 2/);
      ctx.expectThrows(() => moments(tensor([[1, 2]]), [0, -2]), ValueError, /moments.*repeats/);
    },
  });
  return out;
}

function refBatchNorm(
  x: ArrayLike<number>,
  xs: readonly number[],
  params: readonly [ArrayLike<number>, readonly number[]][],
  eps: number,
  hasOffset: boolean,
  hasScale: boolean,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < sizeOf(xs); i++) {
    const idx = unravel(i, xs);
    const [m, v] = [broadcastRead(params[0]![0], params[0]![1], idx), broadcastRead(params[1]![0], params[1]![1], idx)];
    let k = 2;
    const off = hasOffset ? broadcastRead(params[k]![0], params[k++]![1], idx) : 0;
    const sc = hasScale ? broadcastRead(params[k]![0], params[k]![1], idx) : 1;
    out.push(((x[i]! - m) / Math.sqrt(v + eps)) * sc + off);
  }
  return out;
}

function batchNormCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const dtype of FLOATS) {
    out.push({
      op: 'batchNorm',
      name: `${dtype}: per-channel parameters, with and without offset and scale`,
      dtypes: [dtype],
      run: async (ctx) => {
        const xs = [2, 3, 4];
        const [x, vx] = ctx.random(xs, dtype, { min: -5, max: 5 });
        const [m, vm] = ctx.random([4], dtype);
        const [v, vv] = ctx.random([4], dtype, { min: 0.1, max: 3 });
        const [o, vo] = ctx.random([4], dtype);
        const [s, vs] = ctx.random([4], dtype, { min: 0.5, max: 2 });
        const p = (a: ArrayLike<number>): [ArrayLike<number>, number[]] => [a, [4]];
        await ctx.expectClose(batchNorm(x, m, v, o, s, 1e-3), { shape: xs, dtype, values: refBatchNorm(vx, xs, [p(vm), p(vv), p(vo), p(vs)], 1e-3, true, true) });
        await ctx.expectClose(batchNorm(x, m, v), { shape: xs, dtype, values: refBatchNorm(vx, xs, [p(vm), p(vv)], 1e-3, false, false) });
        await ctx.expectClose(batchNorm(x, m, v, undefined, s, 0.5), { shape: xs, dtype, values: refBatchNorm(vx, xs, [p(vm), p(vv), p(vs)], 0.5, false, true) });
        await ctx.expectClose(batchNorm(x, m, v, o, undefined, 0), { shape: xs, dtype, values: refBatchNorm(vx, xs, [p(vm), p(vv), p(vo)], 0, true, false) });
        // parameters of shape [3, 1] broadcast over the middle axis
        const [m2, vm2] = ctx.random([3, 1], dtype);
        const [v2, vv2] = ctx.random([3, 1], dtype, { min: 0.1, max: 3 });
        await ctx.expectClose(batchNorm(x, m2, v2, 0.5, 2), {
          shape: xs,
          dtype,
          values: refBatchNorm(vx, xs, [[vm2, [3, 1]], [vv2, [3, 1]], [[0.5], []], [[2], []]], 1e-3, true, true),
        });
      },
    });
  }
  out.push({
    op: 'batchNorm',
    name: 'with moments: the result has mean 0 and variance v/(v+eps) per channel',
    run: async (ctx) => {
      const [x] = ctx.random([8, 2, 3], 'float32', { min: -10, max: 30 });
      const { mean, variance } = moments(x, [0, 1], true);
      const y = batchNorm(x, mean, variance, undefined, undefined, 0);
      const after = moments(y, [0, 1]);
      await ctx.expectClose(after.mean, { shape: [3], dtype: 'float32', values: [0, 0, 0] }, { atol: 1e-5 });
      await ctx.expectClose(after.variance, { shape: [3], dtype: 'float32', values: [1, 1, 1] }, { rtol: 1e-4 });
      await ctx.expectClose(batchNorm(tensor([3, 5]), 1, 4, 0.5, 2, 0), { shape: [2], dtype: 'float32', values: [2.5, 4.5] });
      await ctx.expectClose(batchNorm(tensor([], [0, 3]), tensor([1, 2, 3]), tensor([1, 1, 1])), { shape: [0, 3], dtype: 'float32', values: [] });
    },
  });
  out.push({
    op: 'batchNorm',
    name: 'rejects shapes that do not broadcast, integer tensors and bad epsilons',
    dtypes: ['int32'],
    run: (ctx) => {
      const x = tensor([[1, 2, 3], [4, 5, 6]]);
      ctx.expectThrows(() => batchNorm(x, tensor([1, 2]), tensor([1, 1, 1])), ShapeError, /batchNorm.*\[2,3\].*\[2\]/);
      ctx.expectThrows(() => batchNorm(x, 0, 1, tensor([1, 2, 3, 4])), ShapeError, /batchNorm.*\[4\]/);
      ctx.expectThrows(() => batchNorm(tensor([1, 2], [2], 'int32'), 0, 1), DTypeError, /batchNorm.*x.*int32/);
      ctx.expectThrows(() => batchNorm(x, tensor([1, 2, 3], [3], 'int32'), 1), DTypeError, /batchNorm.*mean.*int32/);
      ctx.expectThrows(() => batchNorm(x, 0, 1, undefined, undefined, -1), ValueError, /batchNorm.*varianceEpsilon.*-1/);
      ctx.expectThrows(() => batchNorm(x, 0, 1, undefined, undefined, NaN), ValueError, /batchNorm.*varianceEpsilon/);
    },
  });
  return out;
}

// ---- dropout -----------------------------------------------------------------------------

/** The documented mask rule: element i of the noise shape is kept when the i-th uniform draw >= rate. */
function refDropout(x: ArrayLike<number>, xs: readonly number[], rate: number, seed: number, noise: readonly number[] = xs): number[] {
  const r = new RandomGenerator(seed);
  const keep = Array.from({ length: sizeOf(noise) }, () => (r.uniform() >= rate ? 1 : 0));
  const out: number[] = [];
  for (let i = 0; i < sizeOf(xs); i++) {
    out.push(broadcastRead(keep, noise, unravel(i, xs)) === 1 ? x[i]! / (1 - rate) : 0);
  }
  return out;
}

function dropoutCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const dtype of FLOATS) {
    out.push({
      op: 'dropout',
      name: `${dtype}: the seeded mask is the generator's draws; kept values are scaled`,
      dtypes: [dtype],
      run: async (ctx) => {
        const [x, v] = ctx.random([6, 5], dtype);
        for (const [rate, seed] of [[0.5, 1], [0.1, 2], [0.9, 3]] as const) {
          await ctx.expectClose(dropout(x, rate, { seed }), { shape: [6, 5], dtype, values: refDropout(v, [6, 5], rate, seed) });
        }
        await ctx.expectClose(dropout(x, 0.3, { seed: 4, noiseShape: [6, 1] }), { shape: [6, 5], dtype, values: refDropout(v, [6, 5], 0.3, 4, [6, 1]) });
        await ctx.expectClose(dropout(x, 0.3, { seed: 5, noiseShape: [5] }), { shape: [6, 5], dtype, values: refDropout(v, [6, 5], 0.3, 5, [5]) });
        await ctx.expectClose(dropout(x, 0.3, { seed: 6, noiseShape: [1, 1] }), { shape: [6, 5], dtype, values: refDropout(v, [6, 5], 0.3, 6, [1, 1]) });
      },
    });
  }
  out.push({
    op: 'dropout',
    name: 'rate 0 keeps values; the kept fraction is about 1 - rate; the mean is preserved',
    run: async (ctx) => {
      const [x, v] = ctx.random([3, 4], 'float32');
      await ctx.expectClose(dropout(x, 0, { seed: 1 }), { shape: [3, 4], dtype: 'float32', values: v });
      await ctx.expectClose(dropout(x, 0), { shape: [3, 4], dtype: 'float32', values: v });
      const n = 20000;
      const ones = tensor(new Float32Array(n).fill(1));
      const got = Array.from(await dropout(ones, 0.25, { seed: 9 }).data());
      const kept = got.filter((g) => g !== 0);
      for (const k of kept) if (Math.abs(k - 1 / 0.75) > 1e-6) fail(`kept value ${k}, expected ${1 / 0.75}`);
      const frac = kept.length / n;
      // binomial standard error sqrt(0.25 * 0.75 / n) ≈ 0.003
      if (Math.abs(frac - 0.75) > 0.015) fail(`kept fraction ${frac}, expected about 0.75`);
      const m = got.reduce((a, b) => a + b, 0) / n;
      if (Math.abs(m - 1) > 0.02) fail(`mean after dropout ${m}, expected about 1`);
    },
  });
  out.push({
    op: 'dropout',
    name: 'same seed, same mask; the global generator is used without one',
    run: async (ctx) => {
      const x = tensor(new Float32Array(64).fill(1));
      const a = Array.from(await dropout(x, 0.5, { seed: 3 }).data());
      const b = Array.from(await dropout(x, 0.5, { seed: 3 }).data());
      const c = Array.from(await dropout(x, 0.5, { seed: 4 }).data());
      if (a.some((v, i) => v !== b[i])) fail('seed 3 gave two different masks');
      if (a.every((v, i) => v === c[i])) fail('seeds 3 and 4 gave the same mask');
      setRandomSeed(77);
      const d = Array.from(await dropout(x, 0.5).data());
      const e = Array.from(await dropout(x, 0.5).data());
      setRandomSeed(77);
      const f = Array.from(await dropout(x, 0.5).data());
      if (d.some((v, i) => v !== f[i])) fail('setRandomSeed(77) did not reproduce the mask');
      if (d.every((v, i) => v === e[i])) fail('two unseeded calls gave the same mask');
      await ctx.expectClose(dropout(tensor([], [0, 3]), 0.5, { seed: 1 }), { shape: [0, 3], dtype: 'float32', values: [] });
    },
  });
  out.push({
    op: 'dropout',
    name: 'dropped infinities and NaN become 0; kept ones stay',
    run: async (ctx) => {
      const v = [Infinity, -Infinity, NaN, Infinity, -Infinity, NaN, 1, 2];
      const ref = refDropout(v, [8], 0.5, 12);
      if (!ref.includes(0) || ref.every((r) => r === 0)) fail('seed 12 should drop some and keep some of 8 elements');
      await ctx.expectClose(dropout(tensor(v), 0.5, { seed: 12 }), { shape: [8], dtype: 'float32', values: ref });
    },
  });
  out.push({
    op: 'dropout',
    name: 'rejects rates outside [0, 1), integer tensors, bad noise shapes and seeds',
    dtypes: ['int32'],
    run: (ctx) => {
      const x = tensor([[1, 2, 3], [4, 5, 6]]);
      for (const rate of [1, -0.1, 1.5, NaN]) ctx.expectThrows(() => dropout(x, rate), ValueError, /dropout.*rate.*\[0, 1\)/);
      ctx.expectThrows(() => dropout(x, '0.5' as never), ValueError, /dropout.*rate/);
      ctx.expectThrows(() => dropout(tensor([1, 2], [2], 'int32'), 0.5), DTypeError, /dropout.*x.*int32/);
      ctx.expectThrows(() => dropout(x, 0.5, { noiseShape: [2] }), ShapeError, /dropout.*noiseShape \[2\].*\[2,3\]/);
      ctx.expectThrows(() => dropout(x, 0.5, { noiseShape: [1, 2, 3] }), ShapeError, /dropout.*noiseShape \[1,2,3\]/);
      ctx.expectThrows(() => dropout(x, 0.5, { noiseShape: [2, -1] }), ValueError, /dropout.*shape/);
      ctx.expectThrows(() => dropout(x, 0.5, { seed: 0.5 }), ValueError, /dropout.*seed.*integer/);
    },
  });
  return out;
}

/** Conformance cases for nn ops. */
export const nnCases: readonly ConformanceCase[] = [
  ...softmaxCases(),
  ...softmaxCrossEntropyCases(),
  ...lossCases(),
  ...momentsCases(),
  ...batchNormCases(),
  ...dropoutCases(),
];
