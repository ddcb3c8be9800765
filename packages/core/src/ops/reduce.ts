/**
 * Reductions (`sum`, `mean`, `max`, `min`, `prod`, `argMax`, `argMin`, `logSumExp`, `any`,
 * `all`) and `cumsum`. `axis` may be a number, a list, negative, or omitted (all axes);
 * `keepDims` keeps reduced axes as size 1.
 *
 * @module
 */
import { runOp } from '../engine.js';
import { DTypeError } from '../errors.js';
import { definePrimitive } from '../op.js';
import { toTensor } from '../convert.js';
import { normalizeAxes, reducedShape } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { cast } from './elementwise.js';

const NI = (fn: string): never => {
  throw new Error(`${fn} is not implemented yet`);
};

const sumOp = definePrimitive({
  name: 'sum',
  inputs: ['x'],
  infer: ([x], attrs) => {
    if (x!.dtype === 'bool') throw new DTypeError('sum: bool tensors must be cast first');
    return [{ shape: reducedShape(x!.shape, attrs['axes'] as number[], attrs['keepDims'] as boolean), dtype: x!.dtype }];
  },
});

/**
 * Sum over `axis` (all axes by default). Bool tensors are counted as int32.
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
  const axes = normalizeAxes(axis, t.rank, 'sum');
  return runOp(sumOp, [t], { axes, keepDims })[0]!;
}

/**
 * Arithmetic mean over `axis` (integers are averaged in float32).
 *
 * @example
 * ```ts
 * mean(tensor([1, 2, 3, 4])); // 2.5
 * ```
 */
export function mean(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  return NI('mean');
}

/**
 * Maximum over `axis` (NaN if any element is NaN).
 *
 * @example
 * ```ts
 * max(tensor([[1, 5], [3, 2]]), 1); // [5, 3]
 * ```
 */
export function max(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  return NI('max');
}

/**
 * Minimum over `axis` (NaN if any element is NaN).
 *
 * @example
 * ```ts
 * min(tensor([[1, 5], [3, 2]]), 1); // [1, 2]
 * ```
 */
export function min(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  return NI('min');
}

/**
 * Product over `axis`.
 *
 * @example
 * ```ts
 * prod(tensor([1, 2, 3, 4])); // 24
 * ```
 */
export function prod(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  return NI('prod');
}

/**
 * Index (int32) of the largest element along `axis` (default 0); the first one on ties.
 *
 * @example
 * ```ts
 * argMax(tensor([[1, 5], [3, 2]]), 1); // [1, 0]
 * ```
 */
export function argMax(x: TensorLike, axis = 0): Tensor {
  return NI('argMax');
}

/**
 * Index (int32) of the smallest element along `axis` (default 0); the first one on ties.
 *
 * @example
 * ```ts
 * argMin(tensor([[1, 5], [3, 2]]), 1); // [0, 1]
 * ```
 */
export function argMin(x: TensorLike, axis = 0): Tensor {
  return NI('argMin');
}

/**
 * `log(sum(exp(x)))` over `axis`, computed stably.
 *
 * @example
 * ```ts
 * logSumExp(tensor([0, 0])); // log(2)
 * ```
 */
export function logSumExp(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  return NI('logSumExp');
}

/**
 * Whether any element along `axis` is true (bool tensors).
 *
 * @example
 * ```ts
 * any(tensor([false, true])); // true
 * ```
 */
export function any(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  return NI('any');
}

/**
 * Whether all elements along `axis` are true (bool tensors).
 *
 * @example
 * ```ts
 * all(tensor([false, true])); // false
 * ```
 */
export function all(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  return NI('all');
}

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
 * Cumulative sum along `axis` (default 0).
 *
 * @example
 * ```ts
 * cumsum(tensor([1, 2, 3])); // [1, 3, 6]
 * cumsum(tensor([1, 2, 3]), 0, { exclusive: true }); // [0, 1, 3]
 * ```
 */
export function cumsum(x: TensorLike, axis = 0, options?: CumsumOptions): Tensor {
  return NI('cumsum');
}
