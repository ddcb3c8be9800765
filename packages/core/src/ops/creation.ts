/**
 * Creating tensors: from values, filled, ranges, identity matrices and seeded random tensors.
 *
 * @module
 */
import { assertDType, isFloat, makeTypedArray, type DType } from '../dtype.js';
import { ENGINE, runOp } from '../engine.js';
import { DTypeError, ValueError } from '../errors.js';
import { defineComposite, type CompositeOpDef } from '../op.js';
import type { Attrs } from '../backend.js';
import { parseValues, toTensor } from '../convert.js';
import { generatorFor } from '../random.js';
import { checkInteger, checkShape, sizeOf } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor.js';

/**
 * Creates a tensor from a number, boolean, nested array or typed array. Numbers default to
 * `float32`, booleans to `bool`; typed arrays keep their type (`Int32Array` gives `int32`). With
 * a `shape`, a flat array is reshaped to it and a single number fills it.
 *
 * @example
 * ```ts
 * tensor([[1, 2], [3, 4]]); // shape [2,2], float32
 * tensor([1, 2, 3, 4], [2, 2], 'int32');
 * tensor(new Float64Array([0.5]));
 * ```
 */
export function tensor(values: TensorLike, shape?: readonly number[], dtype?: DType): Tensor {
  if (typeof values === 'object' && values !== null && 'dataId' in values) {
    const t = values;
    if (shape !== undefined || (dtype !== undefined && dtype !== t.dtype)) {
      throw new ValueError('tensor: to reshape or cast an existing tensor use reshape() or cast()');
    }
    return t;
  }
  const p = parseValues(values, shape, dtype, 'tensor');
  return ENGINE.fromValues(p.values, p.shape, p.dtype, 'tensor');
}

/**
 * Creates a rank-0 tensor.
 *
 * @example
 * ```ts
 * scalar(3.5); // float32
 * scalar(2, 'int32');
 * ```
 */
export function scalar(value: number | boolean, dtype?: DType): Tensor {
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new ValueError(`scalar: expected a number or boolean, got ${typeof value}`);
  }
  const p = parseValues(value, undefined, dtype, 'scalar');
  return ENGINE.fromValues(p.values, p.shape, p.dtype, 'scalar');
}

/**
 * Creates a tensor of `shape` with every element equal to `value`.
 *
 * @example
 * ```ts
 * fill([2, 3], 7); // float32 sevens
 * fill([2], 1, 'int32');
 * ```
 */
export function fill(shape: readonly number[], value: number | boolean, dtype?: DType): Tensor {
  checkShape(shape, 'fill');
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new ValueError(`fill: value must be a number or boolean, got ${typeof value}`);
  }
  const dt: DType = dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  assertDType(dt, 'fill');
  const v = makeTypedArray(dt, sizeOf(shape));
  v.fill(dt === 'bool' ? (value ? 1 : 0) : Number(value));
  return ENGINE.fromValues(v, [...shape], dt, 'fill');
}

/**
 * A tensor of zeros.
 *
 * @example
 * ```ts
 * zeros([2, 2]);
 * zeros([3], 'int32');
 * ```
 */
export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  checkShape(shape, 'zeros');
  assertDType(dtype, 'zeros');
  return ENGINE.fromValues(makeTypedArray(dtype, sizeOf(shape)), [...shape], dtype, 'zeros');
}

/**
 * A tensor of ones.
 *
 * @example
 * ```ts
 * ones([2, 2]);
 * ```
 */
export function ones(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  checkShape(shape, 'ones');
  assertDType(dtype, 'ones');
  const v = makeTypedArray(dtype, sizeOf(shape));
  v.fill(1);
  return ENGINE.fromValues(v, [...shape], dtype, 'ones');
}

const zerosLikeOp = defineComposite({
  name: 'zerosLike',
  inputs: ['x'],
  infer: ([x]) => [{ shape: x!.shape, dtype: x!.dtype }],
  compose: ([x]) => [filledOn(x!, 0)],
});

const onesLikeOp = defineComposite({
  name: 'onesLike',
  inputs: ['x'],
  infer: ([x]) => [{ shape: x!.shape, dtype: x!.dtype }],
  compose: ([x]) => [filledOn(x!, 1)],
});

/** A tensor shaped like `x`, on `x`'s backend, filled with `value`. */
function filledOn(x: Tensor, value: number): Tensor {
  const v = makeTypedArray(x.dtype, x.size);
  if (value !== 0) v.fill(value);
  return ENGINE.makeTensor(x.backend.write(v, x.shape, x.dtype), x.shape, x.dtype, x.backend);
}

/**
 * Zeros with the shape and dtype of `x`.
 *
 * @example
 * ```ts
 * zerosLike(tensor([[1, 2]])); // [[0, 0]]
 * ```
 */
export function zerosLike(x: TensorLike): Tensor {
  return runOp(zerosLikeOp, [toTensor(x, 'zerosLike', 'x')])[0]!;
}

/**
 * Ones with the shape and dtype of `x`.
 *
 * @example
 * ```ts
 * onesLike(tensor([[1, 2]])); // [[1, 1]]
 * ```
 */
export function onesLike(x: TensorLike): Tensor {
  return runOp(onesLikeOp, [toTensor(x, 'onesLike', 'x')])[0]!;
}

/**
 * Numbers from `start` up to (not including) `stop` in steps of `step`, as a 1-D tensor.
 * `range(n)` counts from 0. The dtype defaults to `float32`.
 *
 * @example
 * ```ts
 * range(4); // [0, 1, 2, 3]
 * range(1, 2, 0.25); // [1, 1.25, 1.5, 1.75]
 * range(5, 0, -2, 'int32'); // [5, 3, 1]
 * ```
 */
export function range(start: number, stop?: number, step = 1, dtype: DType = 'float32'): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  for (const [n, v] of [['start', start], ['stop', stop], ['step', step]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValueError(`range: ${n} must be a finite number, got ${String(v)}`);
  }
  if (step === 0) throw new ValueError('range: step must not be 0');
  assertDType(dtype, 'range');
  if (dtype === 'bool') throw new DTypeError('range: dtype bool is not supported (use float32, float64 or int32)');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const v = makeTypedArray(dtype, n);
  for (let i = 0; i < n; i++) v[i] = start + i * step;
  return ENGINE.fromValues(v, [n], dtype, 'range');
}

/**
 * `num` evenly spaced numbers from `start` to `stop`, both included.
 *
 * @example
 * ```ts
 * linspace(0, 1, 5); // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace(start: number, stop: number, num: number, dtype: DType = 'float32'): Tensor {
  checkInteger(num, 'linspace', 'num', 0);
  if (!Number.isFinite(start) || !Number.isFinite(stop)) throw new ValueError('linspace: start and stop must be finite numbers');
  assertDType(dtype, 'linspace');
  if (dtype === 'bool') throw new DTypeError('linspace: dtype bool is not supported (use float32, float64 or int32)');
  const v = makeTypedArray(dtype, num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) v[i] = i === num - 1 && num > 1 ? stop : start + i * step;
  return ENGINE.fromValues(v, [num], dtype, 'linspace');
}

/**
 * An identity matrix with `numRows` rows and `numColumns` columns (default: square).
 *
 * @example
 * ```ts
 * eye(3); // 3x3 identity
 * eye(2, 3, 'int32');
 * ```
 */
export function eye(numRows: number, numColumns?: number, dtype: DType = 'float32'): Tensor {
  checkInteger(numRows, 'eye', 'numRows', 0);
  const cols = numColumns ?? numRows;
  checkInteger(cols, 'eye', 'numColumns', 0);
  assertDType(dtype, 'eye');
  const v = makeTypedArray(dtype, numRows * cols);
  for (let i = 0; i < Math.min(numRows, cols); i++) v[i * cols + i] = 1;
  return ENGINE.fromValues(v, [numRows, cols], dtype, 'eye');
}

/**
 * Options for {@link randomNormal} and {@link truncatedNormal}.
 *
 * @example
 * ```ts
 * const o: NormalOptions = { mean: 0, stddev: 0.1, seed: 1 };
 * ```
 */
export interface NormalOptions {
  /** Mean (default 0). */
  readonly mean?: number;
  /** Standard deviation (default 1). */
  readonly stddev?: number;
  /** A float dtype (default float32). */
  readonly dtype?: DType;
  /** Seed; without one the global generator ({@link setRandomSeed}) is used. */
  readonly seed?: number;
}

type Draw = (rng: ReturnType<typeof generatorFor>) => number;

/** The sampler of each random op, from its attributes. */
const SAMPLERS: Record<string, (a: Attrs) => Draw> = {
  randomNormal: (a) => {
    const mean = a['mean'] as number;
    const stddev = a['stddev'] as number;
    return (r) => mean + stddev * r.normal();
  },
  truncatedNormal: (a) => {
    const mean = a['mean'] as number;
    const stddev = a['stddev'] as number;
    return (r) => {
      let z = r.normal();
      while (Math.abs(z) > 2) z = r.normal();
      return mean + stddev * z;
    };
  },
  randomUniform: (a) => {
    const lo = a['minval'] as number;
    const hi = a['maxval'] as number;
    if (a['dtype'] === 'int32') return (r) => Math.floor(lo + (hi - lo) * r.uniform());
    return (r) => lo + (hi - lo) * r.uniform();
  },
};

/**
 * Random ops are composites with no inputs: they draw on the host (the same numbers on every
 * backend) when they run, so in a graph each `Session.run` draws again, as eagerly each call does.
 */
function randomOp(name: string): CompositeOpDef {
  return defineComposite({
    name,
    inputs: [],
    infer: (_, attrs) => [{ shape: attrs['shape'] as number[], dtype: attrs['dtype'] as DType }],
    compose: (_, attrs) => {
      const shape = attrs['shape'] as number[];
      const dt = attrs['dtype'] as DType;
      const seed = attrs['seed'] as number | null;
      const sample = SAMPLERS[name]!(attrs);
      const rng = generatorFor(seed ?? undefined);
      const n = sizeOf(shape);
      const v = makeTypedArray(dt, n);
      for (let i = 0; i < n; i++) v[i] = sample(rng);
      return [ENGINE.fromValues(v, [...shape], dt, name)];
    },
  });
}

const randomNormalOp = randomOp('randomNormal');
const truncatedNormalOp = randomOp('truncatedNormal');
const randomUniformOp = randomOp('randomUniform');

function runRandom(def: CompositeOpDef, shape: readonly number[], dtype: DType | undefined, seed: number | undefined, attrs: Attrs): Tensor {
  checkShape(shape, def.name);
  const dt = dtype ?? 'float32';
  assertDType(dt, def.name);
  if (seed !== undefined) checkInteger(seed, def.name, 'seed');
  return runOp(def, [], { ...attrs, shape: [...shape], dtype: dt, seed: seed ?? null })[0]!;
}

function normalParams(fn: string, o: NormalOptions): { mean: number; stddev: number } {
  const mean = o.mean ?? 0;
  const stddev = o.stddev ?? 1;
  if (!Number.isFinite(mean)) throw new ValueError(`${fn}: mean must be finite, got ${mean}`);
  if (!(stddev >= 0) || !Number.isFinite(stddev)) throw new ValueError(`${fn}: stddev must be a finite number >= 0, got ${stddev}`);
  if (o.dtype !== undefined) {
    assertDType(o.dtype, fn);
    if (!isFloat(o.dtype)) throw new DTypeError(`${fn}: dtype must be float32 or float64, got ${o.dtype}`);
  }
  return { mean, stddev };
}

/**
 * Samples from a normal distribution. The same seed gives the same numbers on every backend.
 *
 * @example
 * ```ts
 * randomNormal([2, 28, 28, 3], { seed: 0 });
 * ```
 */
export function randomNormal(shape: readonly number[], options: NormalOptions = {}): Tensor {
  const { mean, stddev } = normalParams('randomNormal', options);
  return runRandom(randomNormalOp, shape, options.dtype, options.seed, { mean, stddev });
}

/**
 * Samples from a normal distribution truncated to two standard deviations around the mean
 * (samples further out are redrawn), as TensorFlow's `truncated_normal`.
 *
 * @example
 * ```ts
 * truncatedNormal([5, 5, 3, 20], { stddev: 1, seed: 0 });
 * ```
 */
export function truncatedNormal(shape: readonly number[], options: NormalOptions = {}): Tensor {
  const { mean, stddev } = normalParams('truncatedNormal', options);
  return runRandom(truncatedNormalOp, shape, options.dtype, options.seed, { mean, stddev });
}

/**
 * Options for {@link randomUniform}.
 *
 * @example
 * ```ts
 * const o: UniformOptions = { minval: -1, maxval: 1, seed: 3 };
 * ```
 */
export interface UniformOptions {
  /** Lower bound, included (default 0). */
  readonly minval?: number;
  /** Upper bound, excluded (default 1). */
  readonly maxval?: number;
  /** The dtype (default float32; int32 draws integers in [minval, maxval)). */
  readonly dtype?: DType;
  /** Seed; without one the global generator is used. */
  readonly seed?: number;
}

/**
 * Samples uniformly from `[minval, maxval)`.
 *
 * @example
 * ```ts
 * randomUniform([3], { minval: -1, maxval: 1, seed: 1 });
 * randomUniform([3], { maxval: 10, dtype: 'int32', seed: 1 });
 * ```
 */
export function randomUniform(shape: readonly number[], options: UniformOptions = {}): Tensor {
  const lo = options.minval ?? 0;
  const hi = options.maxval ?? 1;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) {
    throw new ValueError(`randomUniform: need finite minval < maxval, got minval=${lo}, maxval=${hi}`);
  }
  if (options.dtype === 'bool') throw new DTypeError('randomUniform: dtype bool is not supported (use float32, float64 or int32)');
  return runRandom(randomUniformOp, shape, options.dtype, options.seed, { minval: lo, maxval: hi });
}
