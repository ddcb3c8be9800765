/**
 * Conformance cases for elementwise ops: unary math on random values and special values
 * (NaN, ±Infinity, ±0), binary ops under every broadcasting pattern including empty and size-1
 * dims, every dtype, `where`, `cast`, and bad input.
 *
 * @module
 */
import type { DType } from '../../dtype.js';
import { DisposedError, DTypeError, ShapeError } from '../../errors.js';
import * as ops from '../../ops/elementwise.js';
import { tensor } from '../../ops/creation.js';
import type { Tensor } from '../../tensor.js';
import type { ConformanceCase } from '../index.js';
import { refElementwise } from '../reference.js';

type UnaryFn = (x: Tensor) => Tensor;

interface UnarySpec {
  readonly op: string;
  readonly fn: UnaryFn;
  readonly ref: (x: number) => number;
  readonly min?: number;
  readonly max?: number;
  readonly ints?: boolean;
  readonly special?: boolean;
}

const sigmoidRef = (x: number): number => 1 / (1 + Math.exp(-x));
const roundRef = (v: number): number => {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 ? 2 * Math.round(v / 2) : r;
};
const softplusRef = (x: number): number => Math.log1p(Math.exp(-Math.abs(x))) + Math.max(x, 0);
const SELU_A = 1.6732632423543772;
const SELU_S = 1.0507009873554805;

const unarySpecs: readonly UnarySpec[] = [
  { op: 'neg', fn: ops.neg, ref: (x) => -x, ints: true, special: true },
  { op: 'abs', fn: ops.abs, ref: Math.abs, ints: true, special: true },
  { op: 'sign', fn: ops.sign, ref: Math.sign, ints: true, special: true },
  { op: 'exp', fn: ops.exp, ref: Math.exp, special: true },
  { op: 'expm1', fn: ops.expm1, ref: Math.expm1, special: true },
  { op: 'log', fn: ops.log, ref: Math.log, min: 0.01, max: 10, special: true },
  { op: 'log1p', fn: ops.log1p, ref: Math.log1p, min: -0.9, max: 10, special: true },
  { op: 'sqrt', fn: ops.sqrt, ref: Math.sqrt, min: 0, max: 10, special: true },
  { op: 'rsqrt', fn: ops.rsqrt, ref: (x) => 1 / Math.sqrt(x), min: 0.1, max: 10 },
  { op: 'square', fn: ops.square, ref: (x) => x * x, ints: true, special: true },
  { op: 'reciprocal', fn: ops.reciprocal, ref: (x) => 1 / x, min: 0.1, max: 4 },
  { op: 'sin', fn: ops.sin, ref: Math.sin, min: -6, max: 6, special: true },
  { op: 'cos', fn: ops.cos, ref: Math.cos, min: -6, max: 6, special: true },
  { op: 'tan', fn: ops.tan, ref: Math.tan, min: -1.2, max: 1.2 },
  { op: 'tanh', fn: ops.tanh, ref: Math.tanh, min: -5, max: 5, special: true },
  { op: 'sigmoid', fn: ops.sigmoid, ref: sigmoidRef, min: -8, max: 8, special: true },
  { op: 'relu', fn: ops.relu, ref: (x) => (x > 0 || Number.isNaN(x) ? x : 0), ints: true, special: true },
  { op: 'relu6', fn: ops.relu6, ref: (x) => Math.min(Math.max(x, 0), 6), min: -3, max: 9, ints: true },
  { op: 'elu', fn: (x) => ops.elu(x), ref: (x) => (x > 0 ? x : Math.expm1(x)), special: true },
  { op: 'selu', fn: ops.selu, ref: (x) => SELU_S * (x > 0 ? x : SELU_A * Math.expm1(x)) },
  { op: 'leakyRelu', fn: (x) => ops.leakyRelu(x, 0.1), ref: (x) => (x > 0 ? x : 0.1 * x), special: true },
  { op: 'softplus', fn: ops.softplus, ref: softplusRef, min: -30, max: 30, special: true },
  { op: 'floor', fn: ops.floor, ref: Math.floor, min: -5, max: 5, ints: true, special: true },
  { op: 'ceil', fn: ops.ceil, ref: Math.ceil, min: -5, max: 5, ints: true, special: true },
  { op: 'round', fn: ops.round, ref: roundRef, min: -5, max: 5, ints: true, special: true },
];

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1, -1];

function unaryCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const s of unarySpecs) {
    const opts = { ...(s.min !== undefined ? { min: s.min } : {}), ...(s.max !== undefined ? { max: s.max } : {}) };
    for (const dtype of ['float32', 'float64'] as const) {
      out.push({
        op: s.op,
        name: `${dtype} random [3,5]`,
        dtypes: [dtype],
        run: async (ctx) => {
          const [x, v] = ctx.random([3, 5], dtype, opts);
          await ctx.expectClose(s.fn(x), { shape: [3, 5], dtype, values: v.map(s.ref) });
        },
      });
    }
    out.push({
      op: s.op,
      name: 'empty and scalar shapes',
      run: async (ctx) => {
        await ctx.expectClose(s.fn(ctx.tensor([], [0, 4], 'float32')), { shape: [0, 4], dtype: 'float32', values: [] });
        const v = s.min !== undefined ? Math.fround((s.min + (s.max ?? s.min + 1)) / 2) : 0.75;
        await ctx.expectClose(s.fn(ctx.tensor([v], [], 'float32')), { shape: [], dtype: 'float32', values: [s.ref(v)] });
      },
    });
    if (s.special === true) {
      out.push({
        op: s.op,
        name: 'NaN, ±Infinity and ±0',
        run: async (ctx) => {
          const x = tensor(SPECIALS, [SPECIALS.length], 'float32');
          await ctx.expectClose(s.fn(x), { shape: [SPECIALS.length], dtype: 'float32', values: SPECIALS.map(s.ref) });
        },
      });
    }
    if (s.ints === true) {
      out.push({
        op: s.op,
        name: 'int32 stays int32',
        dtypes: ['int32'],
        run: async (ctx) => {
          const [x, v] = ctx.random([7], 'int32');
          await ctx.expectClose(s.fn(x), { shape: [7], dtype: 'int32', values: v.map(s.ref) });
        },
      });
    }
  }
  out.push({
    op: 'exp',
    name: 'int32 input computes in float32',
    dtypes: ['int32'],
    run: async (ctx) => {
      await ctx.expectClose(ops.exp(tensor([0, 1, 2], [3], 'int32')), { shape: [3], dtype: 'float32', values: [1, Math.E, Math.exp(2)] });
    },
  });
  out.push({
    op: 'round',
    name: 'halves round to even',
    run: async (ctx) => {
      const v = [0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6];
      await ctx.expectClose(ops.round(tensor(v)), { shape: [7], dtype: 'float32', values: [0, 2, 2, -0, -2, 2, 3] });
    },
  });
  for (const [op, fn, ref] of [
    ['isNaN', ops.isNaN, (x: number) => (Number.isNaN(x) ? 1 : 0)],
    ['isFinite', ops.isFinite, (x: number) => (Number.isFinite(x) ? 1 : 0)],
  ] as const) {
    out.push({
      op,
      name: 'special values give bool',
      run: async (ctx) => {
        await ctx.expectClose(fn(tensor(SPECIALS)), { shape: [SPECIALS.length], dtype: 'bool', values: SPECIALS.map(ref) });
      },
    });
  }
  out.push({
    op: 'logicalNot',
    name: 'bool',
    run: async (ctx) => {
      await ctx.expectClose(ops.logicalNot(tensor([true, false, true])), { shape: [3], dtype: 'bool', values: [0, 1, 0] });
      ctx.expectThrows(() => ops.logicalNot(tensor([1, 0])), DTypeError, /logicalNot/);
    },
  });
  return out;
}

type BinaryFn = (a: Tensor | number, b: Tensor | number) => Tensor;

interface BinarySpec {
  readonly op: string;
  readonly fn: BinaryFn;
  readonly ref: (a: number, b: number) => number;
  readonly kind: 'arith' | 'float' | 'compare' | 'logical';
  readonly min?: number;
  readonly max?: number;
  /** Second operand kept away from zero. */
  readonly nonZeroB?: boolean;
  readonly intRef?: (a: number, b: number) => number;
}

const floorMod = (a: number, b: number): number => {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
};

const binarySpecs: readonly BinarySpec[] = [
  { op: 'add', fn: ops.add, ref: (a, b) => a + b, kind: 'arith' },
  { op: 'sub', fn: ops.sub, ref: (a, b) => a - b, kind: 'arith' },
  { op: 'mul', fn: ops.mul, ref: (a, b) => a * b, kind: 'arith' },
  { op: 'div', fn: ops.div, ref: (a, b) => a / b, kind: 'float', nonZeroB: true },
  { op: 'floorDiv', fn: ops.floorDiv, ref: (a, b) => Math.floor(a / b), kind: 'arith', nonZeroB: true },
  { op: 'mod', fn: ops.mod, ref: floorMod, kind: 'arith', nonZeroB: true },
  { op: 'pow', fn: ops.pow, ref: Math.pow, kind: 'arith', min: 0.5, max: 2 },
  { op: 'maximum', fn: ops.maximum, ref: Math.max, kind: 'arith' },
  { op: 'minimum', fn: ops.minimum, ref: Math.min, kind: 'arith' },
  { op: 'squaredDifference', fn: ops.squaredDifference, ref: (a, b) => (a - b) ** 2, kind: 'arith' },
  { op: 'atan2', fn: ops.atan2, ref: Math.atan2, kind: 'float' },
  { op: 'equal', fn: ops.equal, ref: (a, b) => (a === b ? 1 : 0), kind: 'compare' },
  { op: 'notEqual', fn: ops.notEqual, ref: (a, b) => (a !== b ? 1 : 0), kind: 'compare' },
  { op: 'less', fn: ops.less, ref: (a, b) => (a < b ? 1 : 0), kind: 'compare' },
  { op: 'lessEqual', fn: ops.lessEqual, ref: (a, b) => (a <= b ? 1 : 0), kind: 'compare' },
  { op: 'greater', fn: ops.greater, ref: (a, b) => (a > b ? 1 : 0), kind: 'compare' },
  { op: 'greaterEqual', fn: ops.greaterEqual, ref: (a, b) => (a >= b ? 1 : 0), kind: 'compare' },
  { op: 'logicalAnd', fn: ops.logicalAnd, ref: (a, b) => (a !== 0 && b !== 0 ? 1 : 0), kind: 'logical' },
  { op: 'logicalOr', fn: ops.logicalOr, ref: (a, b) => (a !== 0 || b !== 0 ? 1 : 0), kind: 'logical' },
];

const BROADCASTS: readonly [readonly number[], readonly number[]][] = [
  [[2, 3], [2, 3]],
  [[2, 3], [3]],
  [[3], [2, 3]],
  [[2, 1, 3], [4, 1]],
  [[], [2, 2]],
  [[2, 2], []],
  [[1], [1]],
  [[0, 3], [1, 3]],
  [[3, 1], [1, 0]],
];

function binaryCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const s of binarySpecs) {
    const dtypes: DType[] =
      s.kind === 'logical' ? ['bool'] : s.kind === 'float' ? ['float32', 'float64'] : ['float32', 'float64', 'int32'];
    for (const dtype of dtypes) {
      const outDType: DType = s.kind === 'compare' || s.kind === 'logical' ? 'bool' : dtype;
      out.push({
        op: s.op,
        name: `${dtype}, every broadcasting pattern`,
        dtypes: [dtype],
        run: async (ctx) => {
          for (const [sa, sb] of BROADCASTS) {
            const range = { ...(s.min !== undefined ? { min: s.min } : {}), ...(s.max !== undefined ? { max: s.max } : {}) };
            const [a, va] = ctx.random(sa, dtype, range);
            const vb = ctx.values(sb, dtype, range);
            if (s.nonZeroB === true) for (let i = 0; i < vb.length; i++) if (vb[i] === 0) vb[i] = 1;
            if (s.kind === 'compare') for (let i = 0; i < Math.min(va.length, vb.length); i += 2) vb[i] = va[i]!;
            const b = ctx.tensor(vb, sb, dtype);
            const ref = dtype === 'int32' && s.intRef !== undefined ? s.intRef : s.ref;
            const r = refElementwise([va, vb], [sa, sb], ref);
            await ctx.expectClose(s.fn(a, b), { shape: r.shape, dtype: outDType, values: r.values });
          }
        },
      });
    }
    if (s.kind !== 'logical') {
      out.push({
        op: s.op,
        name: 'plain numbers are weakly typed scalars',
        run: async (ctx) => {
          const x = tensor([1.5, -2, 3]);
          const r = refElementwise([[1.5, -2, 3], [2]], [[3], []], s.ref);
          await ctx.expectClose(s.fn(x, 2), { shape: [3], dtype: s.kind === 'compare' ? 'bool' : 'float32', values: r.values });
        },
      });
      out.push({
        op: s.op,
        name: 'NaN and infinities',
        run: async (ctx) => {
          const va = [NaN, 1, Infinity, -Infinity, Infinity, 2];
          const vb = [1, NaN, 1, 2, Infinity, -Infinity];
          const r = refElementwise([va, vb], [[6], [6]], s.ref);
          await ctx.expectClose(s.fn(tensor(va), tensor(vb)), {
            shape: [6],
            dtype: s.kind === 'compare' ? 'bool' : 'float32',
            values: r.values,
          });
        },
      });
    }
    out.push({
      op: s.op,
      name: 'rejects shapes that do not broadcast',
      run: (ctx) => {
        const mk = (shape: number[]): Tensor =>
          s.kind === 'logical' ? tensor(new Array<boolean>(shape[0]! * shape[1]!).fill(true), shape) : tensor(new Array<number>(shape[0]! * shape[1]!).fill(1), shape);
        ctx.expectThrows(() => s.fn(mk([2, 3]), mk([4, 2])), ShapeError, new RegExp(`${s.op}.*\\[2,3\\].*\\[4,2\\]`));
      },
    });
  }
  out.push({
    op: 'add',
    name: 'mixed dtypes promote (int32 + float32 -> float32, bool + bool -> int32)',
    dtypes: ['int32'],
    run: async (ctx) => {
      await ctx.expectClose(ops.add(tensor([1, 2], [2], 'int32'), tensor([0.5, 0.5])), { shape: [2], dtype: 'float32', values: [1.5, 2.5] });
      await ctx.expectClose(ops.add(tensor([true, false]), tensor([true, true])), { shape: [2], dtype: 'int32', values: [2, 1] });
      await ctx.expectClose(ops.mul(tensor([3], [1], 'int32'), 2.5), { shape: [1], dtype: 'float32', values: [7.5] });
    },
  });
  out.push({
    op: 'div',
    name: 'int32 / int32 is true division in float32',
    dtypes: ['int32'],
    run: async (ctx) => {
      await ctx.expectClose(ops.div(tensor([7, -7], [2], 'int32'), 2), { shape: [2], dtype: 'float32', values: [3.5, -3.5] });
    },
  });
  out.push({
    op: 'floorDiv',
    name: 'int32 floors toward -Infinity; division by zero gives 0',
    dtypes: ['int32'],
    run: async (ctx) => {
      await ctx.expectClose(ops.floorDiv(tensor([7, -7, 5], [3], 'int32'), tensor([2, 2, 0], [3], 'int32')), {
        shape: [3],
        dtype: 'int32',
        values: [3, -4, 0],
      });
      await ctx.expectClose(ops.mod(tensor([5, -5, 5], [3], 'int32'), tensor([3, 3, -3], [3], 'int32')), {
        shape: [3],
        dtype: 'int32',
        values: [2, 1, -1],
      });
    },
  });
  out.push({
    op: 'mul',
    name: 'int32 multiplication wraps like int32',
    dtypes: ['int32'],
    run: async (ctx) => {
      await ctx.expectClose(ops.mul(tensor([65536, 3], [2], 'int32'), tensor([65536, -4], [2], 'int32')), {
        shape: [2],
        dtype: 'int32',
        values: [0, -12],
      });
    },
  });
  out.push({
    op: 'logicalAnd',
    name: 'rejects non-bool inputs',
    run: (ctx) => {
      ctx.expectThrows(() => ops.logicalAnd(tensor([1]), tensor([true])), DTypeError, /logicalAnd.*bool/);
    },
  });
  return out;
}

function otherCases(): ConformanceCase[] {
  return [
    {
      op: 'where',
      name: 'broadcasts condition and branches',
      run: async (ctx) => {
        const [c, vc] = ctx.random([2, 1, 3], 'bool');
        const [a, va] = ctx.random([4, 1], 'float32');
        const [b, vb] = ctx.random([3], 'float32');
        const r = refElementwise([vc, va, vb], [[2, 1, 3], [4, 1], [3]], (x, y, z) => (x !== 0 ? y : z));
        await ctx.expectClose(ops.where(c, a, b), { shape: r.shape, dtype: 'float32', values: r.values });
      },
    },
    {
      op: 'where',
      name: 'int32 and bool branches; NaN passes through',
      dtypes: ['int32'],
      run: async (ctx) => {
        const c = tensor([true, false, true]);
        await ctx.expectClose(ops.where(c, tensor([1, 2, 3], [3], 'int32'), tensor([7, 8, 9], [3], 'int32')), {
          shape: [3],
          dtype: 'int32',
          values: [1, 8, 3],
        });
        await ctx.expectClose(ops.where(c, tensor([false, true, false]), tensor([true, true, true])), { shape: [3], dtype: 'bool', values: [0, 1, 0] });
        await ctx.expectClose(ops.where(c, tensor([NaN, 0, 1]), 5), { shape: [3], dtype: 'float32', values: [NaN, 5, 1] });
        ctx.expectThrows(() => ops.where(tensor([1, 0]), tensor([1, 2]), tensor([3, 4])), DTypeError, /where.*bool/);
      },
    },
    {
      op: 'cast',
      name: 'between float32, int32 and bool',
      dtypes: ['int32'],
      run: async (ctx) => {
        const f = [1.7, -1.7, 0, 2.5, -0, 1e9];
        await ctx.expectClose(ops.cast(tensor(f), 'int32'), { shape: [6], dtype: 'int32', values: [1, -1, 0, 2, 0, 1e9] });
        await ctx.expectClose(ops.cast(tensor(f), 'bool'), { shape: [6], dtype: 'bool', values: [1, 1, 0, 1, 0, 1] });
        await ctx.expectClose(ops.cast(tensor([true, false]), 'float32'), { shape: [2], dtype: 'float32', values: [1, 0] });
        await ctx.expectClose(ops.cast(tensor([true, false]), 'int32'), { shape: [2], dtype: 'int32', values: [1, 0] });
        await ctx.expectClose(ops.cast(tensor([3, -4, 0], [3], 'int32'), 'float32'), { shape: [3], dtype: 'float32', values: [3, -4, 0] });
        await ctx.expectClose(ops.cast(tensor([3, 0, -1], [3], 'int32'), 'bool'), { shape: [3], dtype: 'bool', values: [1, 0, 1] });
        await ctx.expectClose(ops.cast(tensor([NaN, Infinity]), 'bool'), { shape: [2], dtype: 'bool', values: [1, 1] });
      },
    },
    {
      op: 'cast',
      name: 'between every dtype pair',
      dtypes: ['int32', 'float64'],
      run: async (ctx) => {
        const f = [1.7, -1.7, 0, 2.5, -0];
        await ctx.expectClose(ops.cast(tensor(f), 'int32'), { shape: [5], dtype: 'int32', values: [1, -1, 0, 2, 0] });
        await ctx.expectClose(ops.cast(tensor(f), 'bool'), { shape: [5], dtype: 'bool', values: [1, 1, 0, 1, 0] });
        await ctx.expectClose(ops.cast(tensor(f), 'float64'), { shape: [5], dtype: 'float64', values: f.map(Math.fround) });
        await ctx.expectClose(ops.cast(tensor([true, false]), 'float32'), { shape: [2], dtype: 'float32', values: [1, 0] });
        await ctx.expectClose(ops.cast(tensor([3, -4], [2], 'int32'), 'float32'), { shape: [2], dtype: 'float32', values: [3, -4] });
        await ctx.expectClose(ops.cast(tensor([3, 0], [2], 'int32'), 'bool'), { shape: [2], dtype: 'bool', values: [1, 0] });
        await ctx.expectClose(ops.cast(tensor([0.1], [1], 'float64'), 'float32'), { shape: [1], dtype: 'float32', values: [Math.fround(0.1)] });
      },
    },
    {
      op: 'clipByValue',
      name: 'clamps, keeps NaN, rejects min > max',
      run: async (ctx) => {
        await ctx.expectClose(ops.clipByValue(tensor([-2, 0.5, 3, NaN]), 0, 1), { shape: [4], dtype: 'float32', values: [0, 0.5, 1, NaN] });
        ctx.expectThrows(() => ops.clipByValue(tensor([1]), 2, 1), Error, /clipByValue.*min/);
      },
    },
    {
      op: 'add',
      name: 'rejects a disposed input',
      run: (ctx) => {
        const t = tensor([1, 2]);
        t.dispose();
        ctx.expectThrows(() => ops.add(t, 1), DisposedError, /add.*disposed/);
      },
    },
  ];
}

/** Conformance cases for elementwise ops. */
export const elementwiseCases: readonly ConformanceCase[] = [...unaryCases(), ...binaryCases(), ...otherCases()];
