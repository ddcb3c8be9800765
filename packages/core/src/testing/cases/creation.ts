/**
 * Conformance cases for creation ops (`tensor`, `scalar`, `fill`, `zeros`, `ones`, `zerosLike`,
 * `onesLike`, `range`, `linspace`, `eye`), seeded random ops (`randomNormal`, `truncatedNormal`,
 * `randomUniform`), variables (`Variable`, `getVariable`) and initializers.
 *
 * Creation ops only write host values to the backend, so these cases check that a backend stores
 * and reads back every dtype faithfully (float64 keeps its precision, NaN and infinities survive,
 * bool holds 0/1), that empty and scalar shapes work, and that random tensors hold exactly the
 * numbers core's generator draws, so that one seed gives the same numbers on every backend.
 *
 * @module
 */
import type { DType } from '../../dtype.js';
import { DisposedError, DTypeError, ShapeError, ValueError } from '../../errors.js';
import {
  constantInitializer,
  glorotUniformInitializer,
  heNormalInitializer,
  onesInitializer,
  randomNormalInitializer,
  randomUniformInitializer,
  truncatedNormalInitializer,
  zerosInitializer,
} from '../../initializers.js';
import { retain, tidy } from '../../memory.js';
import {
  eye,
  fill,
  linspace,
  ones,
  onesLike,
  randomNormal,
  randomUniform,
  range,
  scalar,
  tensor,
  truncatedNormal,
  zeros,
  zerosLike,
} from '../../ops/creation.js';
import { add, mul } from '../../ops/elementwise.js';
import { RandomGenerator, setRandomSeed } from '../../random.js';
import type { Tensor } from '../../tensor.js';
import { getVariable, Variable, variable } from '../../variable.js';
import type { ConformanceCase } from '../index.js';

const ALL: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/** Reads a tensor's values as plain numbers. */
async function read(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

function fail(msg: string): never {
  throw new Error(msg);
}

/** Runs `fn` with variables that are disposed afterwards (scopes never dispose variables). */
async function withVariables(fn: (track: <V extends Variable>(v: V) => V) => Promise<void>): Promise<void> {
  const vars: Variable[] = [];
  try {
    await fn((v) => {
      vars.push(v);
      return v;
    });
  } finally {
    for (const v of vars) v.dispose();
  }
}

/** Expected values of a dtype for a list of numbers (the test side of the dtype's storage rule). */
function stored(values: readonly number[], dtype: DType): number[] {
  if (dtype === 'bool') return values.map((v) => (v !== 0 ? 1 : 0));
  if (dtype === 'int32') return values.map((v) => Math.trunc(v) | 0);
  if (dtype === 'float32') return values.map((v) => Math.fround(v));
  return [...values];
}

function sampleMean(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

function sampleStd(v: readonly number[]): number {
  const m = sampleMean(v);
  let s = 0;
  for (const x of v) s += (x - m) * (x - m);
  return Math.sqrt(s / v.length);
}

function tensorCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const dtype of ALL) {
    out.push({
      op: 'tensor',
      name: `${dtype}: nested arrays, flat arrays with a shape, scalars`,
      dtypes: [dtype],
      run: async (ctx) => {
        const v = dtype === 'bool' ? [1, 0, 0, 1, 1, 0] : dtype === 'int32' ? [3, -7, 0, 2147483647, -2147483648, 12] : [0.1, -2.5, 1e-30, 3e7, -0, 1 / 3];
        const nested = dtype === 'bool' ? [[true, false, false], [true, true, false]] : [v.slice(0, 3), v.slice(3)];
        await ctx.expectClose(tensor(nested, undefined, dtype), { shape: [2, 3], dtype, values: stored(v, dtype) });
        const flat = dtype === 'bool' ? v.map((x) => x !== 0) : v;
        await ctx.expectClose(tensor(flat, [3, 1, 2], dtype), { shape: [3, 1, 2], dtype, values: stored(v, dtype) });
        const one = dtype === 'bool' ? true : v[1]!;
        await ctx.expectClose(tensor(one, undefined, dtype), { shape: [], dtype, values: stored([Number(one)], dtype) });
        // a single value with a shape fills it
        await ctx.expectClose(tensor(one, [2, 2], dtype), { shape: [2, 2], dtype, values: stored(new Array<number>(4).fill(Number(one)), dtype) });
      },
    });
  }
  out.push({
    op: 'tensor',
    name: 'default dtypes: numbers float32, booleans bool, typed arrays keep their type',
    dtypes: ['float64', 'int32'],
    run: async (ctx) => {
      await ctx.expectClose(tensor([[1.5], [2]]), { shape: [2, 1], dtype: 'float32', values: [1.5, 2] });
      await ctx.expectClose(tensor([false, true]), { shape: [2], dtype: 'bool', values: [0, 1] });
      await ctx.expectClose(tensor(new Float64Array([0.1, 1 + 2 ** -40])), { shape: [2], dtype: 'float64', values: [0.1, 1 + 2 ** -40] });
      await ctx.expectClose(tensor(new Int32Array([5, -6])), { shape: [2], dtype: 'int32', values: [5, -6] });
      await ctx.expectClose(tensor(new Float32Array([0.25, 3])), { shape: [2], dtype: 'float32', values: [0.25, 3] });
      await ctx.expectClose(tensor(new Float32Array([1, 2, 3, 4]), [2, 2]), { shape: [2, 2], dtype: 'float32', values: [1, 2, 3, 4] });
    },
  });
  out.push({
    op: 'tensor',
    name: 'float64 keeps full precision; float32 rounds',
    dtypes: ['float64'],
    run: async (ctx) => {
      const v = [0.1, 1 + 2 ** -50, Math.PI, 1e300, -5e-324];
      const got64 = await read(tensor(v, undefined, 'float64'));
      for (let i = 0; i < v.length; i++) if (got64[i] !== v[i]) fail(`float64 [${i}]: got ${got64[i]}, stored ${v[i]}`);
      const got32 = await read(tensor(v.slice(0, 3)));
      for (let i = 0; i < 3; i++) if (got32[i] !== Math.fround(v[i]!)) fail(`float32 [${i}]: got ${got32[i]}, expected ${Math.fround(v[i]!)}`);
    },
  });
  out.push({
    op: 'tensor',
    name: 'NaN, ±Infinity and -0 survive a round trip',
    dtypes: ['float64'],
    run: async (ctx) => {
      for (const dtype of ['float32', 'float64'] as const) {
        const v = [NaN, Infinity, -Infinity, -0, 0];
        const got = await read(tensor(v, undefined, dtype));
        await ctx.expectClose(tensor(v, undefined, dtype), { shape: [5], dtype, values: v });
        if (!Object.is(got[3], -0)) fail(`${dtype}: -0 came back as ${got[3]}`);
      }
    },
  });
  out.push({
    op: 'tensor',
    name: 'float values stored as int32 truncate toward zero; as bool become value != 0',
    dtypes: ['int32'],
    run: async (ctx) => {
      await ctx.expectClose(tensor([1.7, -1.7, 0.2], undefined, 'int32'), { shape: [3], dtype: 'int32', values: [1, -1, 0] });
      await ctx.expectClose(tensor([2, 0, -0.5], undefined, 'bool'), { shape: [3], dtype: 'bool', values: [1, 0, 1] });
      await ctx.expectClose(tensor([true, false], undefined, 'float32'), { shape: [2], dtype: 'float32', values: [1, 0] });
    },
  });
  out.push({
    op: 'tensor',
    name: 'empty and size-1 shapes',
    run: async (ctx) => {
      await ctx.expectClose(tensor([]), { shape: [0], dtype: 'float32', values: [] });
      await ctx.expectClose(tensor([[], []]), { shape: [2, 0], dtype: 'float32', values: [] });
      await ctx.expectClose(tensor([], [3, 0, 2]), { shape: [3, 0, 2], dtype: 'float32', values: [] });
      await ctx.expectClose(tensor([[[7]]]), { shape: [1, 1, 1], dtype: 'float32', values: [7] });
      await ctx.expectClose(tensor([5], []), { shape: [], dtype: 'float32', values: [5] });
    },
  });
  out.push({
    op: 'tensor',
    name: 'returns a tensor argument itself; rejects reshaping or casting one',
    run: (ctx) => {
      const t = tensor([1, 2]);
      if (tensor(t) !== t) fail('tensor(t) should return t');
      ctx.expectThrows(() => tensor(t, [2, 1]), ValueError, /tensor.*reshape/);
      ctx.expectThrows(() => tensor(t, undefined, 'int32'), ValueError, /tensor.*cast/);
    },
  });
  out.push({
    op: 'tensor',
    name: 'rejects ragged arrays (naming the element), mixed types, bad shapes and dtypes',
    run: (ctx) => {
      ctx.expectThrows(() => tensor([[1, 2], [3]]), ValueError, /tensor.*ragged.*\[1\].*length 1.*2/);
      ctx.expectThrows(() => tensor([[[1], [2]], [[3], [4, 5]]]), ValueError, /tensor.*ragged.*\[1\]\[1\]/);
      ctx.expectThrows(() => tensor([1, [2]] as never), ValueError, /tensor.*ragged.*\[1\]/);
      ctx.expectThrows(() => tensor([[1], 2] as never), ValueError, /tensor.*ragged.*\[1\]/);
      ctx.expectThrows(() => tensor([1, true] as never), ValueError, /tensor.*\[1\].*boolean.*number/);
      ctx.expectThrows(() => tensor([1, 'a'] as never), ValueError, /tensor.*\[1\].*string/);
      ctx.expectThrows(() => tensor([[1, null]] as never), ValueError, /tensor.*\[0\]\[1\].*null/);
      ctx.expectThrows(() => tensor('abc' as never), ValueError, /tensor.*string/);
      ctx.expectThrows(() => tensor(null as never), ValueError, /tensor.*null/);
      ctx.expectThrows(() => tensor([1, 2, 3], [2, 2]), ValueError, /tensor.*\[2,2\].*4.*3/);
      ctx.expectThrows(() => tensor([1, 2], [-1, -2]), ValueError, /tensor.*shape/);
      ctx.expectThrows(() => tensor([1, 2], [2.5]), ValueError, /tensor.*shape/);
      ctx.expectThrows(() => tensor([1, 2], undefined, 'float16' as DType), DTypeError, /tensor.*float16.*float32/);
    },
  });
  out.push({
    op: 'scalar',
    name: 'every dtype; rejects non-scalars',
    dtypes: ['float64', 'int32'],
    run: async (ctx) => {
      await ctx.expectClose(scalar(3.5), { shape: [], dtype: 'float32', values: [3.5] });
      await ctx.expectClose(scalar(0.1, 'float64'), { shape: [], dtype: 'float64', values: [0.1] });
      await ctx.expectClose(scalar(-2, 'int32'), { shape: [], dtype: 'int32', values: [-2] });
      await ctx.expectClose(scalar(true), { shape: [], dtype: 'bool', values: [1] });
      await ctx.expectClose(scalar(NaN), { shape: [], dtype: 'float32', values: [NaN] });
      ctx.expectThrows(() => scalar([1] as never), ValueError, /scalar.*number or boolean/);
      ctx.expectThrows(() => scalar('1' as never), ValueError, /scalar.*string/);
      ctx.expectThrows(() => scalar(1, 'complex64' as DType), DTypeError, /scalar.*complex64/);
    },
  });
  return out;
}

function filledCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const dtype of ALL) {
    out.push({
      op: 'fill',
      name: `${dtype}: fill, zeros, ones, zerosLike, onesLike`,
      dtypes: [dtype],
      run: async (ctx) => {
        const value = dtype === 'bool' ? true : dtype === 'int32' ? -9 : 0.3;
        const nv = Number(value);
        await ctx.expectClose(fill([2, 3], value, dtype), { shape: [2, 3], dtype, values: stored(new Array<number>(6).fill(nv), dtype) });
        await ctx.expectClose(zeros([3, 1], dtype), { shape: [3, 1], dtype, values: [0, 0, 0] });
        await ctx.expectClose(ones([1, 2], dtype), { shape: [1, 2], dtype, values: [1, 1] });
        await ctx.expectClose(zeros([], dtype), { shape: [], dtype, values: [0] });
        await ctx.expectClose(ones([0, 4], dtype), { shape: [0, 4], dtype, values: [] });
        const [x] = ctx.random([2, 1, 3], dtype);
        await ctx.expectClose(zerosLike(x), { shape: [2, 1, 3], dtype, values: new Array<number>(6).fill(0) });
        await ctx.expectClose(onesLike(x), { shape: [2, 1, 3], dtype, values: new Array<number>(6).fill(1) });
        const [e] = ctx.random([3, 0], dtype);
        await ctx.expectClose(zerosLike(e), { shape: [3, 0], dtype, values: [] });
        await ctx.expectClose(onesLike(e), { shape: [3, 0], dtype, values: [] });
      },
    });
  }
  out.push({
    op: 'fill',
    name: 'default dtype follows the value; NaN and Infinity fill',
    run: async (ctx) => {
      await ctx.expectClose(fill([2], 7), { shape: [2], dtype: 'float32', values: [7, 7] });
      await ctx.expectClose(fill([2], false), { shape: [2], dtype: 'bool', values: [0, 0] });
      await ctx.expectClose(fill([3], NaN), { shape: [3], dtype: 'float32', values: [NaN, NaN, NaN] });
      await ctx.expectClose(fill([1], -Infinity), { shape: [1], dtype: 'float32', values: [-Infinity] });
      await ctx.expectClose(zeros([2]), { shape: [2], dtype: 'float32', values: [0, 0] });
      await ctx.expectClose(ones([2]), { shape: [2], dtype: 'float32', values: [1, 1] });
    },
  });
  out.push({
    op: 'fill',
    name: 'rejects bad shapes, values and dtypes',
    run: (ctx) => {
      ctx.expectThrows(() => fill([2, -1], 1), ValueError, /fill.*shape.*non-negative integer/);
      ctx.expectThrows(() => fill([1.5], 1), ValueError, /fill.*shape/);
      ctx.expectThrows(() => fill(3 as never, 1), ValueError, /fill.*shape/);
      ctx.expectThrows(() => fill([2], 'a' as never), ValueError, /fill.*value.*string/);
      ctx.expectThrows(() => fill([2], 1, 'uint8' as DType), DTypeError, /fill.*uint8/);
      ctx.expectThrows(() => zeros([-3]), ValueError, /zeros.*shape/);
      ctx.expectThrows(() => zeros([3], 'x' as DType), DTypeError, /zeros.*"x"/);
      ctx.expectThrows(() => ones([NaN]), ValueError, /ones.*shape/);
      ctx.expectThrows(() => ones([3], 'x' as DType), DTypeError, /ones.*"x"/);
    },
  });
  out.push({
    op: 'zerosLike',
    name: 'accepts nested arrays and numbers; rejects a disposed tensor',
    run: async (ctx) => {
      await ctx.expectClose(zerosLike([[1, 2, 3]]), { shape: [1, 3], dtype: 'float32', values: [0, 0, 0] });
      await ctx.expectClose(onesLike(5), { shape: [], dtype: 'float32', values: [1] });
      await ctx.expectClose(onesLike([true, false]), { shape: [2], dtype: 'bool', values: [1, 1] });
      const t = tensor([1, 2]);
      t.dispose();
      ctx.expectThrows(() => zerosLike(t), DisposedError, /zerosLike.*disposed/);
      ctx.expectThrows(() => onesLike(t), DisposedError, /onesLike.*disposed/);
    },
  });
  return out;
}

function sequenceCases(): ConformanceCase[] {
  /** Reference for range: count elements with a loop on the index, as NumPy's arange. */
  const refRange = (start: number, stop: number, step: number): number[] => {
    const v: number[] = [];
    for (let i = 0; step > 0 ? start + i * step < stop : start + i * step > stop; i++) v.push(start + i * step);
    return v;
  };
  return [
    {
      op: 'range',
      name: 'counts up, down, by fractions; empty ranges',
      run: async (ctx) => {
        const check = async (t: Tensor, values: number[], dtype: DType = 'float32'): Promise<void> =>
          ctx.expectClose(t, { shape: [values.length], dtype, values });
        await check(range(4), [0, 1, 2, 3]);
        await check(range(1, 2, 0.25), [1, 1.25, 1.5, 1.75]);
        await check(range(-3, 3, 2), refRange(-3, 3, 2));
        await check(range(10, -1, -3), [10, 7, 4, 1]);
        await check(range(0, 1, 0.3), refRange(0, 1, 0.3));
        await check(range(2, 2), []);
        await check(range(5, 0), []);
        await check(range(0, 5, -1), []);
        await check(range(0), []);
        await check(range(-2), []);
        await check(range(0.5, 3), [0.5, 1.5, 2.5]);
      },
    },
    {
      op: 'range',
      name: 'int32 and float64',
      dtypes: ['int32', 'float64'],
      run: async (ctx) => {
        await ctx.expectClose(range(5, 0, -2, 'int32'), { shape: [3], dtype: 'int32', values: [5, 3, 1] });
        await ctx.expectClose(range(0, 100000, 33333, 'int32'), { shape: [4], dtype: 'int32', values: [0, 33333, 66666, 99999] });
        const v = refRange(0, 1, 0.1);
        await ctx.expectClose(range(0, 1, 0.1, 'float64'), { shape: [v.length], dtype: 'float64', values: v });
      },
    },
    {
      op: 'range',
      name: 'rejects a zero step, non-finite bounds and bad dtypes',
      run: (ctx) => {
        ctx.expectThrows(() => range(0, 5, 0), ValueError, /range.*step.*0/);
        ctx.expectThrows(() => range(0, Infinity), ValueError, /range.*stop.*finite.*Infinity/);
        ctx.expectThrows(() => range(NaN), ValueError, /range.*finite.*NaN/);
        ctx.expectThrows(() => range(0, 3, NaN), ValueError, /range.*step.*finite/);
        ctx.expectThrows(() => range(0, 3, 1, 'int64' as DType), DTypeError, /range.*int64/);
        ctx.expectThrows(() => range(0, 3, 1, 'bool'), DTypeError, /range.*bool/);
      },
    },
    {
      op: 'linspace',
      name: 'includes both ends; one and zero points; float64',
      dtypes: ['float64'],
      run: async (ctx) => {
        await ctx.expectClose(linspace(0, 1, 5), { shape: [5], dtype: 'float32', values: [0, 0.25, 0.5, 0.75, 1] });
        await ctx.expectClose(linspace(3, -3, 4), { shape: [4], dtype: 'float32', values: [3, 1, -1, -3] });
        await ctx.expectClose(linspace(2, 2, 3), { shape: [3], dtype: 'float32', values: [2, 2, 2] });
        await ctx.expectClose(linspace(-1, 1, 1), { shape: [1], dtype: 'float32', values: [-1] });
        await ctx.expectClose(linspace(-1, 1, 0), { shape: [0], dtype: 'float32', values: [] });
        const n = 11;
        const ref = Array.from({ length: n }, (_, i) => 0.1 + ((0.7 - 0.1) * i) / (n - 1));
        await ctx.expectClose(linspace(0.1, 0.7, n, 'float64'), { shape: [n], dtype: 'float64', values: ref });
        const last = (await read(linspace(0.1, 0.7, n, 'float64')))[n - 1];
        if (last !== 0.7) fail(`linspace: the last point must be exactly stop (0.7), got ${last}`);
      },
    },
    {
      op: 'linspace',
      name: 'rejects bad counts and bounds',
      run: (ctx) => {
        ctx.expectThrows(() => linspace(0, 1, -1), ValueError, /linspace.*num.*integer >= 0/);
        ctx.expectThrows(() => linspace(0, 1, 2.5), ValueError, /linspace.*num.*2\.5/);
        ctx.expectThrows(() => linspace(NaN, 1, 3), ValueError, /linspace.*finite/);
        ctx.expectThrows(() => linspace(0, Infinity, 3), ValueError, /linspace.*finite/);
        ctx.expectThrows(() => linspace(0, 1, 3, 'half' as DType), DTypeError, /linspace.*half/);
        ctx.expectThrows(() => linspace(0, 1, 3, 'bool'), DTypeError, /linspace.*bool/);
      },
    },
    {
      op: 'eye',
      name: 'square, wide, tall and empty; every dtype',
      dtypes: ['float64', 'int32'],
      run: async (ctx) => {
        const refEye = (r: number, c: number): number[] => {
          const v: number[] = [];
          for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) v.push(i === j ? 1 : 0);
          return v;
        };
        await ctx.expectClose(eye(3), { shape: [3, 3], dtype: 'float32', values: refEye(3, 3) });
        await ctx.expectClose(eye(2, 4, 'int32'), { shape: [2, 4], dtype: 'int32', values: refEye(2, 4) });
        await ctx.expectClose(eye(4, 2, 'float64'), { shape: [4, 2], dtype: 'float64', values: refEye(4, 2) });
        await ctx.expectClose(eye(2, undefined, 'bool'), { shape: [2, 2], dtype: 'bool', values: refEye(2, 2) });
        await ctx.expectClose(eye(1), { shape: [1, 1], dtype: 'float32', values: [1] });
        await ctx.expectClose(eye(0), { shape: [0, 0], dtype: 'float32', values: [] });
        await ctx.expectClose(eye(0, 3), { shape: [0, 3], dtype: 'float32', values: [] });
      },
    },
    {
      op: 'eye',
      name: 'rejects bad sizes',
      run: (ctx) => {
        ctx.expectThrows(() => eye(-1), ValueError, /eye.*numRows.*integer >= 0.*-1/);
        ctx.expectThrows(() => eye(2.5), ValueError, /eye.*numRows/);
        ctx.expectThrows(() => eye(2, -2), ValueError, /eye.*numColumns/);
        ctx.expectThrows(() => eye(2, 2, 'x' as DType), DTypeError, /eye.*"x"/);
      },
    },
  ];
}

/** The documented sampling rules, applied to a fresh generator: what every backend must hold. */
const draw = {
  normal: (seed: number, n: number, mean: number, stddev: number): number[] => {
    const r = new RandomGenerator(seed);
    return Array.from({ length: n }, () => mean + stddev * r.normal());
  },
  truncated: (seed: number, n: number, mean: number, stddev: number): number[] => {
    const r = new RandomGenerator(seed);
    return Array.from({ length: n }, () => {
      let z = r.normal();
      while (Math.abs(z) > 2) z = r.normal();
      return mean + stddev * z;
    });
  },
  uniform: (seed: number, n: number, lo: number, hi: number, int: boolean): number[] => {
    const r = new RandomGenerator(seed);
    return Array.from({ length: n }, () => {
      const v = lo + (hi - lo) * r.uniform();
      return int ? Math.floor(v) : v;
    });
  },
};

async function expectSame(a: Tensor, b: Tensor, what: string): Promise<void> {
  const va = await read(a);
  const vb = await read(b);
  if (va.length !== vb.length || va.some((x, i) => !Object.is(x, vb[i]))) fail(`${what}: the two tensors differ`);
}

async function expectDifferent(a: Tensor, b: Tensor, what: string): Promise<void> {
  const va = await read(a);
  const vb = await read(b);
  if (va.every((x, i) => x === vb[i])) fail(`${what}: the two tensors are equal`);
}

function randomCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const dtype of ['float32', 'float64'] as const) {
    out.push({
      op: 'randomNormal',
      name: `${dtype}: holds exactly the generator's draws for the seed`,
      dtypes: [dtype],
      run: async (ctx) => {
        await ctx.expectClose(randomNormal([3, 4], { seed: 7, dtype }), { shape: [3, 4], dtype, values: draw.normal(7, 12, 0, 1) });
        await ctx.expectClose(randomNormal([5], { seed: -3, mean: 2, stddev: 0.5, dtype }), {
          shape: [5],
          dtype,
          values: draw.normal(-3, 5, 2, 0.5),
        });
      },
    });
    out.push({
      op: 'truncatedNormal',
      name: `${dtype}: holds exactly the generator's draws, redrawn beyond two stddevs`,
      dtypes: [dtype],
      run: async (ctx) => {
        await ctx.expectClose(truncatedNormal([50], { seed: 11, mean: -1, stddev: 3, dtype }), {
          shape: [50],
          dtype,
          values: draw.truncated(11, 50, -1, 3),
        });
      },
    });
    out.push({
      op: 'randomUniform',
      name: `${dtype}: holds exactly the generator's draws`,
      dtypes: [dtype],
      run: async (ctx) => {
        await ctx.expectClose(randomUniform([2, 3], { seed: 5, minval: -2, maxval: 3, dtype }), {
          shape: [2, 3],
          dtype,
          values: draw.uniform(5, 6, -2, 3, false),
        });
      },
    });
  }
  out.push({
    op: 'randomUniform',
    name: 'int32: integers in [minval, maxval), every value hit',
    dtypes: ['int32'],
    run: async (ctx) => {
      const t = randomUniform([2000], { seed: 3, minval: -2, maxval: 4, dtype: 'int32' });
      await ctx.expectClose(t, { shape: [2000], dtype: 'int32', values: draw.uniform(3, 2000, -2, 4, true) });
      const seen = new Set(await read(t));
      for (let k = -2; k < 4; k++) if (!seen.has(k)) fail(`randomUniform int32: value ${k} never drawn in 2000 samples`);
      if (seen.size !== 6) fail(`randomUniform int32: drew values outside [-2, 4): ${[...seen].join(', ')}`);
    },
  });
  out.push({
    op: 'randomNormal',
    name: 'same seed, same numbers; different seeds, different numbers; setRandomSeed',
    run: async () => {
      await expectSame(randomNormal([64], { seed: 1 }), randomNormal([64], { seed: 1 }), 'randomNormal seed 1 twice');
      await expectDifferent(randomNormal([64], { seed: 1 }), randomNormal([64], { seed: 2 }), 'randomNormal seeds 1 and 2');
      await expectSame(truncatedNormal([64], { seed: 4 }), truncatedNormal([64], { seed: 4 }), 'truncatedNormal seed 4 twice');
      await expectSame(randomUniform([64], { seed: 9 }), randomUniform([64], { seed: 9 }), 'randomUniform seed 9 twice');
      setRandomSeed(123);
      const a = randomNormal([16]);
      const b = randomUniform([16]);
      setRandomSeed(123);
      const c = randomNormal([16]);
      const d = randomUniform([16]);
      await expectSame(a, c, 'randomNormal after setRandomSeed(123) twice');
      await expectSame(b, d, 'randomUniform after setRandomSeed(123) twice');
      // the global generator advances: two calls in a row differ
      await expectDifferent(randomNormal([16]), randomNormal([16]), 'two unseeded randomNormal calls');
    },
  });
  out.push({
    op: 'randomNormal',
    name: 'sample statistics match mean and stddev',
    run: async () => {
      const n = 20000;
      const v = await read(randomNormal([n], { seed: 21, mean: 3, stddev: 2 }));
      const m = sampleMean(v);
      const s = sampleStd(v);
      // standard error of the mean is 2/sqrt(n) ≈ 0.014; allow 5 of them
      if (Math.abs(m - 3) > 0.07) fail(`randomNormal: sample mean ${m}, expected 3`);
      if (Math.abs(s - 2) > 0.06) fail(`randomNormal: sample stddev ${s}, expected 2`);
      const t = await read(truncatedNormal([n], { seed: 22, mean: -1, stddev: 0.5 }));
      for (const x of t) if (Math.abs(x + 1) > 2 * 0.5 * (1 + 1e-6)) fail(`truncatedNormal: ${x} lies beyond two stddevs of -1`);
      // a standard normal truncated to ±2 has stddev 0.8796
      const ts = sampleStd(t);
      if (Math.abs(ts - 0.5 * 0.8796) > 0.015) fail(`truncatedNormal: sample stddev ${ts}, expected ${0.5 * 0.8796}`);
      const u = await read(randomUniform([n], { seed: 23, minval: -1, maxval: 3 }));
      for (const x of u) if (!(x >= -1 && x < 3)) fail(`randomUniform: ${x} outside [-1, 3)`);
      if (Math.abs(sampleMean(u) - 1) > 0.06) fail(`randomUniform: sample mean ${sampleMean(u)}, expected 1`);
    },
  });
  out.push({
    op: 'randomNormal',
    name: 'empty and scalar shapes; stddev 0',
    run: async (ctx) => {
      await ctx.expectClose(randomNormal([0, 3], { seed: 1 }), { shape: [0, 3], dtype: 'float32', values: [] });
      await ctx.expectClose(randomNormal([], { seed: 1 }), { shape: [], dtype: 'float32', values: draw.normal(1, 1, 0, 1) });
      await ctx.expectClose(randomNormal([3], { seed: 1, mean: 4, stddev: 0 }), { shape: [3], dtype: 'float32', values: [4, 4, 4] });
      await ctx.expectClose(truncatedNormal([0], { seed: 1 }), { shape: [0], dtype: 'float32', values: [] });
      await ctx.expectClose(randomUniform([1, 0], { seed: 1 }), { shape: [1, 0], dtype: 'float32', values: [] });
    },
  });
  out.push({
    op: 'randomNormal',
    name: 'rejects bad shapes, parameters, seeds and dtypes',
    run: (ctx) => {
      ctx.expectThrows(() => randomNormal([2, -1]), ValueError, /randomNormal.*shape/);
      ctx.expectThrows(() => randomNormal([2], { stddev: -1 }), ValueError, /randomNormal.*stddev.*-1/);
      ctx.expectThrows(() => randomNormal([2], { mean: NaN }), ValueError, /randomNormal.*mean/);
      ctx.expectThrows(() => randomNormal([2], { seed: 1.5 }), ValueError, /seed.*integer/);
      ctx.expectThrows(() => randomNormal([2], { dtype: 'int32' }), DTypeError, /randomNormal.*float32.*int32/);
      ctx.expectThrows(() => truncatedNormal([2], { stddev: Infinity }), ValueError, /truncatedNormal.*stddev/);
      ctx.expectThrows(() => truncatedNormal([2], { dtype: 'bool' }), DTypeError, /truncatedNormal.*bool/);
      ctx.expectThrows(() => randomUniform([2], { minval: 1, maxval: 1 }), ValueError, /randomUniform.*minval.*maxval/);
      ctx.expectThrows(() => randomUniform([2], { minval: 0, maxval: Infinity }), ValueError, /randomUniform.*finite/);
      ctx.expectThrows(() => randomUniform([2], { dtype: 'bool' }), DTypeError, /randomUniform.*bool/);
      ctx.expectThrows(() => randomUniform([2.5]), ValueError, /randomUniform.*shape/);
    },
  });
  return out;
}

function variableCases(): ConformanceCase[] {
  return [
    {
      op: 'Variable',
      name: 'holds its initial value; assign, assignAdd and assignSub replace it',
      dtypes: ['float64', 'int32'],
      run: (ctx) =>
        withVariables(async (track) => {
          const [x, vx] = ctx.random([2, 3], 'float32');
          const v = track(variable(x, { name: 'v' }));
          await ctx.expectClose(v, { shape: [2, 3], dtype: 'float32', values: vx });
          const [y, vy] = ctx.random([2, 3], 'float32');
          v.assign(y);
          await ctx.expectClose(v, { shape: [2, 3], dtype: 'float32', values: vy });
          await ctx.expectClose(x, { shape: [2, 3], dtype: 'float32', values: vx }); // the initial tensor is untouched
          v.assignAdd(1.5);
          await ctx.expectClose(v, { shape: [2, 3], dtype: 'float32', values: vy.map((a) => Math.fround(a + 1.5)) });
          v.assignSub(y);
          await ctx.expectClose(v, { shape: [2, 3], dtype: 'float32', values: vy.map((a) => Math.fround(Math.fround(a + 1.5) - a)) });
          v.assign([[1, 2, 3], [4, 5, 6]]);
          await ctx.expectClose(v, { shape: [2, 3], dtype: 'float32', values: [1, 2, 3, 4, 5, 6] });
          // ops read the current value
          await ctx.expectClose(mul(v, 2), { shape: [2, 3], dtype: 'float32', values: [2, 4, 6, 8, 10, 12] });
          const step = track(variable(0, { dtype: 'int32', trainable: false, name: 'step' }));
          step.assignAdd(1).assignAdd(2);
          await ctx.expectClose(step, { shape: [], dtype: 'int32', values: [3] });
          if (step.trainable) fail('trainable: false was ignored');
          const d = track(variable([0.1, 0.2], { dtype: 'float64' }));
          // plain values convert straight to the variable's dtype (no float32 detour)
          await ctx.expectClose(d, { shape: [2], dtype: 'float64', values: [0.1, 0.2] });
          d.assign([0.3, 1 + 2 ** -40]);
          await ctx.expectClose(d, { shape: [2], dtype: 'float64', values: [0.3, 1 + 2 ** -40] });
          d.assign(tensor([0.7, 0.1], undefined, 'float64'));
          await ctx.expectClose(d, { shape: [2], dtype: 'float64', values: [0.7, 0.1] });
          await ctx.expectClose(track(variable(1 / 3, { dtype: 'float64' })), { shape: [], dtype: 'float64', values: [1 / 3] });
        }),
    },
    {
      op: 'Variable',
      name: 'identity, not name, identifies a variable; scopes never dispose variables',
      run: (ctx) =>
        withVariables(async (track) => {
          const a = track(variable(1, { name: 'w' }));
          const b = track(variable(1, { name: 'w' }));
          if (a === b) fail('two variables named w are the same object');
          a.assign(5);
          await ctx.expectClose(b, { shape: [], dtype: 'float32', values: [1] });
          const c = tidy(() => track(new Variable(tensor([1, 2]), { name: 'inner' })));
          await ctx.expectClose(c, { shape: [2], dtype: 'float32', values: [1, 2] });
          // a snapshot taken with retain() keeps the old value after assign
          const snap = retain(c);
          try {
            c.assign([3, 4]);
            await ctx.expectClose(snap, { shape: [2], dtype: 'float32', values: [1, 2] });
            await ctx.expectClose(c, { shape: [2], dtype: 'float32', values: [3, 4] });
          } finally {
            snap.dispose();
          }
        }),
    },
    {
      op: 'Variable',
      name: 'rejects values of another shape or dtype, and use after dispose',
      dtypes: ['int32'],
      run: (ctx) =>
        withVariables(async (track) => {
          const v = track(variable(zeros([2, 2]), { name: 'w' }));
          ctx.expectThrows(() => v.assign(zeros([2, 3])), ShapeError, /assign.*'w'.*\[2,2\].*\[2,3\]/);
          ctx.expectThrows(() => v.assign([1, 2, 3, 4]), ShapeError, /assign.*\[2,2\].*\[4\]/);
          ctx.expectThrows(() => v.assign(zeros([2, 2], 'int32')), DTypeError, /assign.*'w'.*float32.*int32/);
          ctx.expectThrows(() => v.assignAdd(zeros([3])), Error, /\[2,2\]|\[3\]/);
          await ctx.expectClose(v, { shape: [2, 2], dtype: 'float32', values: [0, 0, 0, 0] });
          const i = track(variable(tensor([1, 2], undefined, 'int32')));
          ctx.expectThrows(() => i.assignAdd(0.5), DTypeError, /assign.*int32.*float32/);
          v.dispose();
          ctx.expectThrows(() => v.assign(zeros([2, 2])), DisposedError, /assign.*'w'.*disposed/);
          ctx.expectThrows(() => add(v, 1), DisposedError, /add.*disposed/);
          ctx.expectThrows(() => variable(1, { dtype: 'float8' as DType }), DTypeError, /Variable.*float8/);
        }),
    },
    {
      op: 'getVariable',
      name: 'from a value: getVariable("w", {initializer: 3}) is a float32 scalar 3',
      dtypes: ['int32', 'float64'],
      run: (ctx) =>
        withVariables(async (track) => {
          const w = track(getVariable('w', { initializer: 3 }));
          if (w.name !== 'w') fail(`name: got ${w.name}`);
          if (!w.trainable) fail('getVariable variables are trainable by default');
          await ctx.expectClose(w, { shape: [], dtype: 'float32', values: [3] });
          await ctx.expectClose(track(getVariable('a', { initializer: [[1, 2]] })), { shape: [1, 2], dtype: 'float32', values: [1, 2] });
          await ctx.expectClose(track(getVariable('i', { initializer: [1, 2], dtype: 'int32' })), { shape: [2], dtype: 'int32', values: [1, 2] });
          await ctx.expectClose(track(getVariable('d', { initializer: 0.1, dtype: 'float64', shape: [] })), {
            shape: [],
            dtype: 'float64',
            values: [0.1],
          });
          const init = tensor([4, 5]);
          const t = track(getVariable('t', { initializer: init, trainable: false }));
          await ctx.expectClose(t, { shape: [2], dtype: 'float32', values: [4, 5] });
          if (t.trainable) fail('trainable: false was ignored');
          await ctx.expectClose(init, { shape: [2], dtype: 'float32', values: [4, 5] }); // not consumed
          const again = track(getVariable('w', { initializer: 3 }));
          if (again === w) fail('getVariable in eager mode must create a new variable each call');
        }),
    },
    {
      op: 'getVariable',
      name: 'from initializer objects, with a shape',
      dtypes: ['float64'],
      run: (ctx) =>
        withVariables(async (track) => {
          await ctx.expectClose(track(getVariable('z', { shape: [2, 2], initializer: zerosInitializer() })), {
            shape: [2, 2],
            dtype: 'float32',
            values: [0, 0, 0, 0],
          });
          await ctx.expectClose(track(getVariable('o', { shape: [3], dtype: 'float64', initializer: onesInitializer() })), {
            shape: [3],
            dtype: 'float64',
            values: [1, 1, 1],
          });
          await ctx.expectClose(track(getVariable('c', { shape: [2], initializer: constantInitializer(0.1) })), {
            shape: [2],
            dtype: 'float32',
            values: [0.1, 0.1],
          });
          const k = track(getVariable('conv_w0', { shape: [5, 5, 3, 20], initializer: truncatedNormalInitializer({ seed: 0 }) }));
          await ctx.expectClose(k, { shape: [5, 5, 3, 20], dtype: 'float32', values: draw.truncated(0, 1500, 0, 1) });
          // the default initializer is Glorot uniform
          const g = track(getVariable('g', { shape: [30, 20] }));
          const limit = Math.sqrt(6 / 50);
          for (const x of await read(g)) if (Math.abs(x) > limit) fail(`default initializer: ${x} beyond the Glorot limit ${limit}`);
        }),
    },
    {
      op: 'getVariable',
      name: 'rejects an initializer object without a shape, a shape that does not match, bad names',
      run: (ctx) => {
        ctx.expectThrows(() => getVariable('w', { initializer: zerosInitializer() }), ValueError, /getVariable\('w'\).*shape.*required/);
        ctx.expectThrows(() => getVariable('w', {}), ValueError, /getVariable\('w'\).*shape/);
        ctx.expectThrows(() => getVariable('w', { shape: [3], initializer: [1, 2] }), ShapeError, /getVariable\('w'\).*\[3\].*\[2\]/);
        ctx.expectThrows(() => getVariable('w', { shape: [-3], initializer: zerosInitializer() }), ValueError, /getVariable\('w'\).*shape/);
        ctx.expectThrows(() => getVariable('', { initializer: 1 }), ValueError, /getVariable.*name/);
        ctx.expectThrows(() => getVariable('w', { initializer: 1, dtype: 'f32' as DType }), DTypeError, /getVariable\('w'\).*f32/);
      },
    },
  ];
}

function initializerCases(): ConformanceCase[] {
  const randomInits = [
    ['randomNormal', (seed: number) => randomNormalInitializer({ mean: 1, stddev: 0.5, seed }), (seed: number, n: number) => draw.normal(seed, n, 1, 0.5)],
    ['truncatedNormal', (seed: number) => truncatedNormalInitializer({ stddev: 2, seed }), (seed: number, n: number) => draw.truncated(seed, n, 0, 2)],
    ['randomUniform', (seed: number) => randomUniformInitializer({ minval: -3, maxval: -1, seed }), (seed: number, n: number) => draw.uniform(seed, n, -3, -1, false)],
  ] as const;
  const out: ConformanceCase[] = [];
  out.push({
    op: 'initializers',
    name: 'constant initializers, every dtype',
    dtypes: ['float64', 'int32'],
    run: async (ctx) => {
      for (const dtype of ALL) {
        await ctx.expectClose(zerosInitializer().create([2, 1], dtype), { shape: [2, 1], dtype, values: [0, 0] });
        await ctx.expectClose(onesInitializer().create([3], dtype), { shape: [3], dtype, values: [1, 1, 1] });
      }
      await ctx.expectClose(constantInitializer(-2.5).create([2], 'float64'), { shape: [2], dtype: 'float64', values: [-2.5, -2.5] });
      await ctx.expectClose(constantInitializer(7).create([1, 2], 'int32'), { shape: [1, 2], dtype: 'int32', values: [7, 7] });
      await ctx.expectClose(constantInitializer(0.5).create([0], 'float32'), { shape: [0], dtype: 'float32', values: [] });
      ctx.expectThrows(() => constantInitializer('1' as never), ValueError, /constantInitializer.*number/);
    },
  });
  for (const [name, make, ref] of randomInits) {
    out.push({
      op: 'initializers',
      name: `${name}Initializer: seeded draws in float32 and float64`,
      dtypes: ['float64'],
      run: async (ctx) => {
        const init = make(17);
        await ctx.expectClose(init.create([4, 3], 'float32'), { shape: [4, 3], dtype: 'float32', values: ref(17, 12) });
        // each create() call with the same seed repeats the numbers
        await ctx.expectClose(init.create([4, 3], 'float64'), { shape: [4, 3], dtype: 'float64', values: ref(17, 12) });
      },
    });
  }
  out.push({
    op: 'initializers',
    name: 'glorotUniform and heNormal: seeded, scaled by the fans',
    dtypes: ['float64'],
    run: async (ctx) => {
      // shape [3, 3, 4, 8]: fanIn = 3*3*4 = 36, fanOut = 3*3*8 = 72
      const limit = Math.sqrt(6 / (36 + 72));
      await ctx.expectClose(glorotUniformInitializer({ seed: 2 }).create([3, 3, 4, 8], 'float64'), {
        shape: [3, 3, 4, 8],
        dtype: 'float64',
        values: draw.uniform(2, 288, -limit, limit, false),
      });
      const stddev = Math.sqrt(2 / 36) / 0.8796256610342398;
      await ctx.expectClose(heNormalInitializer({ seed: 2 }).create([3, 3, 4, 8], 'float32'), {
        shape: [3, 3, 4, 8],
        dtype: 'float32',
        values: draw.truncated(2, 288, 0, stddev),
      });
      // a dense [in, out] weight: fanIn = in, fanOut = out
      const l2 = Math.sqrt(6 / (10 + 6));
      await ctx.expectClose(glorotUniformInitializer({ seed: 4 }).create([10, 6], 'float32'), {
        shape: [10, 6],
        dtype: 'float32',
        values: draw.uniform(4, 60, -l2, l2, false),
      });
    },
  });
  out.push({
    op: 'initializers',
    name: 'random initializers reject integer dtypes',
    run: (ctx) => {
      ctx.expectThrows(() => randomNormalInitializer().create([2], 'int32'), DTypeError, /randomNormal.*int32/);
      ctx.expectThrows(() => truncatedNormalInitializer().create([2], 'bool'), DTypeError, /truncatedNormal.*bool/);
      ctx.expectThrows(() => heNormalInitializer().create([2, 2], 'int32'), DTypeError, /truncatedNormal.*int32/);
    },
  });
  return out;
}

/** Conformance cases for creation ops, random ops, variables and initializers. */
export const creationCases: readonly ConformanceCase[] = [
  ...tensorCases(),
  ...filledCases(),
  ...sequenceCases(),
  ...randomCases(),
  ...variableCases(),
  ...initializerCases(),
];
