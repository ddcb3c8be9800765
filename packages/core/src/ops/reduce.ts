/**
 * Reductions (`sum`, `mean`, `max`, `min`, `prod`, `argMax`, `argMin`, `logSumExp`, `any`,
 * `all`) and `cumsum`. `axis` may be a number, a list, negative, or omitted (all axes);
 * `keepDims` keeps reduced axes as size 1.
 *
 * Primitives (a backend implements them): `sum`, `prod`, `max`, `min`, `argMax`, `argMin`,
 * `any`, `all`, `cumsum`. Their kernels receive `{axes, keepDims}` (axes non-negative, sorted,
 * distinct) or, for `argMax`/`argMin`, `{axis}`, and for `cumsum` `{axis, exclusive, reverse}`.
 * Composites: `mean` (sum divided by the count) and `logSumExp` (max-subtracted, so it neither
 * overflows nor turns all `-Infinity` rows into NaN).
 *
 * Dtype rules:
 * - `sum`, `prod`, `cumsum`: float and int32 keep their dtype (int32 wraps like int32); bool is
 *   counted as int32.
 * - `max`, `min`, `argMax`, `argMin`: float and int32; bool is rejected with a
 *   {@link DTypeError} (use `any` / `all`, or cast to int32 first). NaN propagates through
 *   `max`/`min`, and `argMax`/`argMin` return the index of the first NaN.
 * - `mean`, `logSumExp`: int32 and bool inputs are computed in float32 (`mean` of a bool
 *   tensor is the fraction of true elements).
 * - `any`, `all`: bool only.
 *
 * Reducing over zero elements gives the identity of the reduction: `sum` 0, `prod` 1, `max`
 * `-Infinity` (int32: -2147483648), `min` `Infinity` (int32: 2147483647), `mean` NaN,
 * `logSumExp` `-Infinity`, `any` false, `all` true. `argMax`/`argMin` over an empty axis throw a
 * {@link ValueError}.
 *
 * @module
 */
import type { Attrs } from '../backend.js';
import { isFloat } from '../dtype.js';
import { runOp } from '../engine.js';
import { DTypeError, ValueError } from '../errors.js';
import { defineComposite, definePrimitive, type CompositeOpDef, type PrimitiveOpDef, type TensorSpec } from '../op.js';
import { toTensor } from '../convert.js';
import { formatShape, normalizeAxes, normalizeAxis, reducedShape } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { add, cast, div, exp, isFinite, log, sub, where } from './elementwise.js';
import { onesLike } from './creation.js';
import { reshape } from './shape.js';

// ---- helpers ----------------------------------------------------------------------------

type AxisArg = number | readonly number[] | undefined;

/**
 * Checks the axis of a scalar: 0 and -1 name its one (implicit) position, as in a rank-1 view.
 * (normalizeAxis rejects -1 at rank 0, so scalars are handled here.)
 */
function scalarAxis(a: unknown, fn: string): void {
  if (typeof a !== 'number' || !Number.isInteger(a)) throw new ValueError(`${fn}: axis must be an integer, got ${String(a)}`);
  if (a !== 0 && a !== -1) throw new ValueError(`${fn}: axis ${a} is out of range for a tensor of rank 0 (valid: 0 or -1)`);
}

/** Normalizes the axis argument of a reduction; a scalar reduces over nothing. */
function reductionAxes(axis: AxisArg, rank: number, fn: string): number[] {
  if (rank > 0 || axis === undefined || axis === null) return normalizeAxes(axis, rank, fn);
  const list = typeof axis === 'number' ? [axis] : axis;
  if (!Array.isArray(list)) throw new ValueError(`${fn}: axis must be a number or an array of numbers`);
  for (const a of list) scalarAxis(a, fn);
  if (list.length > 1) throw new ValueError(`${fn}: axis ${JSON.stringify(axis)} repeats an axis`);
  return [];
}

/** Normalizes a single axis (argMax, argMin, cumsum); a scalar's axis is 0. */
function singleAxis(axis: number, rank: number, fn: string): number {
  if (rank > 0) return normalizeAxis(axis, rank, fn);
  scalarAxis(axis, fn);
  return 0;
}

function checkBool(v: unknown, fn: string, name: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new ValueError(`${fn}: ${name} must be a boolean, got ${String(v)}`);
  return v;
}

function reduceShapeOf(x: TensorSpec, attrs: Attrs): (number | null)[] {
  return reducedShape(x.shape, attrs['axes'] as number[], attrs['keepDims'] === true);
}

type ReduceKind = 'numeric' | 'ordered' | 'bool';

function reducePrimitive(name: string, kind: ReduceKind): PrimitiveOpDef {
  return definePrimitive({
    name,
    inputs: ['x'],
    infer: ([x], attrs) => {
      const dt = x!.dtype;
      if (kind === 'bool' && dt !== 'bool') throw new DTypeError(`${name}: expects a bool tensor, got ${dt}`);
      if (kind === 'numeric' && dt === 'bool') throw new DTypeError(`${name}: bool tensors must be cast first`);
      if (kind === 'ordered' && dt === 'bool') {
        throw new DTypeError(`${name}: bool tensors are not supported; use any()/all(), or cast to int32 first`);
      }
      return [{ shape: reduceShapeOf(x!, attrs), dtype: dt }];
    },
  });
}

const sumOp = reducePrimitive('sum', 'numeric');
const prodOp = reducePrimitive('prod', 'numeric');
const maxOp = reducePrimitive('max', 'ordered');
const minOp = reducePrimitive('min', 'ordered');
const anyOp = reducePrimitive('any', 'bool');
const allOp = reducePrimitive('all', 'bool');

function runReduce(def: PrimitiveOpDef | CompositeOpDef, t: Tensor, axis: AxisArg, keepDims: unknown, fn: string): Tensor {
  const keep = checkBool(keepDims, fn, 'keepDims');
  const axes = reductionAxes(axis, t.rank, fn);
  return runOp(def, [t], { axes, keepDims: keep })[0]!;
}

function toFloat(t: Tensor): Tensor {
  return isFloat(t.dtype) ? t : cast(t, 'float32');
}

/** The output shape for `reshape` after a keepDims reduction; one unknown dim becomes -1. */
function reshapeTarget(shape: readonly (number | null)[]): number[] {
  return shape.map((d) => (d === null ? -1 : d));
}

// ---- sum, prod, max, min, any, all ----------------------------------------------------------

/**
 * Sum over `axis` (all axes by default). Bool tensors are counted as int32; int32 stays int32.
 * The sum of no elements is 0.
 *
 * @example
 * ```ts
 * sum(tensor([[1, 2], [3, 4]])); // 10
 * sum(tensor([[1, 2], [3, 4]]), 1); // [3, 7]
 * sum(tensor([[1, 2], [3, 4]]), 0, true); // [[4, 6]]
 * ```
 */
export function sum(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  let t = toTensor(x, 'sum', 'x');
  if (t.dtype === 'bool') t = cast(t, 'int32');
  return runReduce(sumOp, t, axis, keepDims, 'sum');
}

const meanOp = defineComposite({
  name: 'mean',
  inputs: ['x'],
  infer: ([x], attrs) => [{ shape: reduceShapeOf(x!, attrs), dtype: isFloat(x!.dtype) ? x!.dtype : 'float32' }],
  compose: ([x], attrs) => {
    const t = toFloat(x!);
    const axes = attrs['axes'] as number[];
    const keepDims = attrs['keepDims'] === true;
    const s = runOp(sumOp, [t], { axes, keepDims })[0]!;
    let count = 1;
    for (const a of axes) {
      const d = t.shape[a];
      if (d === undefined || d === null) {
        // unknown size (graph mode): count the elements with the ops themselves
        return [div(s, runOp(sumOp, [onesLike(t)], { axes, keepDims })[0]!)];
      }
      count *= d;
    }
    return [div(s, count)];
  },
});

/**
 * Arithmetic mean over `axis` (all axes by default). int32 and bool tensors are averaged in
 * float32 (the mean of a bool tensor is the fraction of true elements). The mean of no elements
 * is NaN.
 *
 * @example
 * ```ts
 * mean(tensor([1, 2, 3, 4])); // 2.5
 * mean(tensor([[1, 2], [3, 4]]), -1); // [1.5, 3.5]
 * ```
 */
export function mean(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  const t = toFloat(toTensor(x, 'mean', 'x'));
  return runReduce(meanOp, t, axis, keepDims, 'mean');
}

function orderedArg(x: TensorLike, fn: string): Tensor {
  const t = toTensor(x, fn, 'x');
  if (t.dtype === 'bool') {
    throw new DTypeError(`${fn}: bool tensors are not supported; use any()/all(), or cast to int32 first`);
  }
  return t;
}

/**
 * Maximum over `axis` (all axes by default). NaN if any reduced element is NaN. The maximum of
 * no elements is `-Infinity` (-2147483648 for int32). Bool tensors are rejected: use
 * {@link any}.
 *
 * @example
 * ```ts
 * max(tensor([[1, 5], [3, 2]]), 1); // [5, 3]
 * max(tensor([1, NaN, 3])); // NaN
 * ```
 */
export function max(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  return runReduce(maxOp, orderedArg(x, 'max'), axis, keepDims, 'max');
}

/**
 * Minimum over `axis` (all axes by default). NaN if any reduced element is NaN. The minimum of
 * no elements is `Infinity` (2147483647 for int32). Bool tensors are rejected: use {@link all}.
 *
 * @example
 * ```ts
 * min(tensor([[1, 5], [3, 2]]), 1); // [1, 2]
 * ```
 */
export function min(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  return runReduce(minOp, orderedArg(x, 'min'), axis, keepDims, 'min');
}

/**
 * Product over `axis` (all axes by default). int32 stays int32 (and wraps like int32); bool is
 * computed as int32. The product of no elements is 1.
 *
 * @example
 * ```ts
 * prod(tensor([1, 2, 3, 4])); // 24
 * ```
 */
export function prod(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  let t = toTensor(x, 'prod', 'x');
  if (t.dtype === 'bool') t = cast(t, 'int32');
  return runReduce(prodOp, t, axis, keepDims, 'prod');
}

function boolArg(x: TensorLike, fn: string): Tensor {
  const t = toTensor(x, fn, 'x');
  if (t.dtype !== 'bool') {
    throw new DTypeError(`${fn}: expects a bool tensor, got ${t.dtype} (shape ${formatShape(t.shape)}); compare first, e.g. notEqual(x, 0)`);
  }
  return t;
}

/**
 * Whether any element along `axis` is true (bool tensors only). Over no elements: false.
 *
 * @example
 * ```ts
 * any(tensor([false, true])); // true
 * any(tensor([[false, true], [false, false]]), 1); // [true, false]
 * ```
 */
export function any(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  return runReduce(anyOp, boolArg(x, 'any'), axis, keepDims, 'any');
}

/**
 * Whether all elements along `axis` are true (bool tensors only). Over no elements: true.
 *
 * @example
 * ```ts
 * all(tensor([false, true])); // false
 * ```
 */
export function all(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  return runReduce(allOp, boolArg(x, 'all'), axis, keepDims, 'all');
}

// ---- argMax, argMin -----------------------------------------------------------------------

function argPrimitive(name: string): PrimitiveOpDef {
  return definePrimitive({
    name,
    inputs: ['x'],
    infer: ([x], attrs) => {
      if (x!.dtype === 'bool') throw new DTypeError(`${name}: bool tensors are not supported; cast to int32 first`);
      const axis = attrs['axis'] as number;
      const shape = x!.shape;
      if (shape.length > 0 && shape[axis] === 0) {
        throw new ValueError(
          `${name}: axis ${axis} of x (shape ${formatShape(shape)}) is empty; there is no element to pick`,
        );
      }
      return [{ shape: shape.filter((_, i) => i !== axis), dtype: 'int32' }];
    },
  });
}

const argMaxOp = argPrimitive('argMax');
const argMinOp = argPrimitive('argMin');

function runArg(def: PrimitiveOpDef, x: TensorLike, axis: number, fn: string): Tensor {
  const t = orderedArg(x, fn);
  return runOp(def, [t], { axis: singleAxis(axis, t.rank, fn) })[0]!;
}

/**
 * Index (int32) of the largest element along `axis` (default 0); the first one on ties, and
 * the first NaN if there is one. The axis is removed from the shape. An empty axis throws a
 * {@link ValueError}; bool tensors are rejected (cast to int32 first).
 *
 * @example
 * ```ts
 * argMax(tensor([[1, 5], [3, 2]]), 1); // [1, 0]
 * ```
 */
export function argMax(x: TensorLike, axis = 0): Tensor {
  return runArg(argMaxOp, x, axis, 'argMax');
}

/**
 * Index (int32) of the smallest element along `axis` (default 0); the first one on ties, and
 * the first NaN if there is one. The axis is removed from the shape. An empty axis throws a
 * {@link ValueError}; bool tensors are rejected (cast to int32 first).
 *
 * @example
 * ```ts
 * argMin(tensor([[1, 5], [3, 2]]), 1); // [0, 1]
 * ```
 */
export function argMin(x: TensorLike, axis = 0): Tensor {
  return runArg(argMinOp, x, axis, 'argMin');
}

// ---- logSumExp ----------------------------------------------------------------------------

const logSumExpOp = defineComposite({
  name: 'logSumExp',
  inputs: ['x'],
  infer: ([x], attrs) => [{ shape: reduceShapeOf(x!, attrs), dtype: isFloat(x!.dtype) ? x!.dtype : 'float32' }],
  compose: ([x], attrs) => {
    const t = toFloat(x!);
    const axes = attrs['axes'] as number[];
    const keepDims = attrs['keepDims'] === true;
    // Subtract the maximum so exp cannot overflow. Where the maximum is not finite (a row of
    // -Infinity, an empty row, +Infinity or NaN) subtract 0 instead: exp/log then give the
    // right limit (-Infinity, +Infinity or NaN) rather than NaN from -Infinity - -Infinity.
    const m = runOp(maxOp, [t], { axes, keepDims: true })[0]!;
    const shift = where(isFinite(m), m, 0);
    const s = runOp(sumOp, [exp(sub(t, shift))], { axes, keepDims: true })[0]!;
    const r = add(log(s), shift);
    return [keepDims ? r : reshape(r, reshapeTarget(reducedShape(t.shape, axes, false)))];
  },
});

/**
 * `log(sum(exp(x)))` over `axis` (all axes by default), computed stably: large values do not
 * overflow, rows of `-Infinity` give `-Infinity`, and no elements give `-Infinity`. int32 and
 * bool inputs are computed in float32.
 *
 * @example
 * ```ts
 * logSumExp(tensor([0, 0])); // log(2)
 * logSumExp(tensor([1000, 1000])); // 1000 + log(2)
 * ```
 */
export function logSumExp(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  const t = toFloat(toTensor(x, 'logSumExp', 'x'));
  return runReduce(logSumExpOp, t, axis, keepDims, 'logSumExp');
}

// ---- cumsum -------------------------------------------------------------------------------

const cumsumOp = definePrimitive({
  name: 'cumsum',
  inputs: ['x'],
  infer: ([x]) => {
    if (x!.dtype === 'bool') throw new DTypeError('cumsum: bool tensors must be cast first');
    return [{ shape: x!.shape, dtype: x!.dtype }];
  },
});

/**
 * Options of {@link cumsum}.
 *
 * @example
 * ```ts
 * const o: CumsumOptions = { exclusive: true, reverse: false };
 * ```
 */
export interface CumsumOptions {
  /** Exclude each element from its own sum (the first output is 0). */
  readonly exclusive?: boolean;
  /** Sum from the end. */
  readonly reverse?: boolean;
}

/**
 * Cumulative sum along `axis` (default 0). Bool tensors are counted as int32; int32 stays
 * int32. With `exclusive`, each output excludes its own element (the first is 0); with
 * `reverse`, sums run from the end of the axis.
 *
 * @example
 * ```ts
 * cumsum(tensor([1, 2, 3])); // [1, 3, 6]
 * cumsum(tensor([1, 2, 3]), 0, { exclusive: true }); // [0, 1, 3]
 * cumsum(tensor([1, 2, 3]), 0, { reverse: true }); // [6, 5, 3]
 * ```
 */
export function cumsum(x: TensorLike, axis = 0, options?: CumsumOptions): Tensor {
  let t = toTensor(x, 'cumsum', 'x');
  const a = singleAxis(axis, t.rank, 'cumsum');
  const opts: CumsumOptions = options ?? {};
  if (typeof opts !== 'object' || opts === null) throw new ValueError(`cumsum: options must be an object, got ${String(opts)}`);
  for (const k of Object.keys(opts)) {
    if (k !== 'exclusive' && k !== 'reverse') {
      throw new ValueError(`cumsum: unknown option '${k}' (valid: exclusive, reverse)`);
    }
  }
  const exclusive = checkBool(opts.exclusive, 'cumsum', 'exclusive');
  const reverse = checkBool(opts.reverse, 'cumsum', 'reverse');
  if (t.dtype === 'bool') t = cast(t, 'int32');
  return runOp(cumsumOp, [t], { axis: a, exclusive, reverse })[0]!;
}
