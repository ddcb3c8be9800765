/**
 * Neural-network ops and losses: `softmax`, `logSoftmax`, cross entropies, mean squared error,
 * `moments`, `batchNorm`, seeded `dropout`. All are composites of other ops (a backend may
 * register fused kernels under their names).
 *
 * @module
 */
import type { Tensor, TensorLike } from '../tensor.js';

const NI = (fn: string): never => {
  throw new Error(`${fn} is not implemented yet`);
};

/**
 * How a loss reduces per-element (or per-example) losses: `'none'` keeps them, `'sum'` adds
 * them, `'mean'` (the default) averages them.
 *
 * @example
 * ```ts
 * const r: Reduction = 'sum';
 * ```
 */
export type Reduction = 'none' | 'sum' | 'mean';

/**
 * Options of the loss functions.
 *
 * @example
 * ```ts
 * meanSquaredError(labels, predictions, { reduction: 'sum' });
 * ```
 */
export interface LossOptions {
  /** How to reduce the loss (default `'mean'`). */
  readonly reduction?: Reduction;
}

/**
 * Options of {@link softmaxCrossEntropy}.
 *
 * @example
 * ```ts
 * const o: SoftmaxCrossEntropyOptions = { axis: -1, reduction: 'none' };
 * ```
 */
export interface SoftmaxCrossEntropyOptions extends LossOptions {
  /** The class axis (default -1). */
  readonly axis?: number;
}

/**
 * `exp(x) / sum(exp(x))` along `axis` (default -1), computed stably.
 *
 * @example
 * ```ts
 * softmax(tensor([0, 0])); // [0.5, 0.5]
 * ```
 */
export function softmax(logits: TensorLike, axis = -1): Tensor {
  return NI('softmax');
}

/**
 * `log(softmax(x))` along `axis` (default -1), computed stably.
 *
 * @example
 * ```ts
 * logSoftmax(tensor([0, 0])); // [-0.6931, -0.6931]
 * ```
 */
export function logSoftmax(logits: TensorLike, axis = -1): Tensor {
  return NI('logSoftmax');
}

/**
 * Cross entropy between `labels` (probabilities, e.g. one-hot) and the softmax of `logits`:
 * `-sum(labels * logSoftmax(logits), axis)` per example, then reduced.
 *
 * @example
 * ```ts
 * softmaxCrossEntropy(tensor([[0, 1]]), tensor([[0, 0]])); // log(2)
 * ```
 */
export function softmaxCrossEntropy(labels: TensorLike, logits: TensorLike, options?: SoftmaxCrossEntropyOptions): Tensor {
  return NI('softmaxCrossEntropy');
}

/**
 * Elementwise logistic cross entropy of `labels` in [0, 1] and `logits`, computed stably as
 * `max(x, 0) - x * z + log(1 + exp(-|x|))`, then reduced.
 *
 * @example
 * ```ts
 * sigmoidCrossEntropy(tensor([1]), tensor([0])); // log(2)
 * ```
 */
export function sigmoidCrossEntropy(labels: TensorLike, logits: TensorLike, options?: LossOptions): Tensor {
  return NI('sigmoidCrossEntropy');
}

/**
 * `(labels - predictions)²`, reduced.
 *
 * @example
 * ```ts
 * meanSquaredError(tensor([1, 2]), tensor([1, 4])); // 2
 * ```
 */
export function meanSquaredError(labels: TensorLike, predictions: TensorLike, options?: LossOptions): Tensor {
  return NI('meanSquaredError');
}

/**
 * Mean and (population) variance over `axes`.
 *
 * @example
 * ```ts
 * const { mean, variance } = moments(tensor([1, 2, 3, 4]), 0); // 2.5, 1.25
 * ```
 */
export function moments(x: TensorLike, axes?: number | readonly number[], keepDims = false): { mean: Tensor; variance: Tensor } {
  return NI('moments');
}

/**
 * Batch normalization: `(x - mean) / sqrt(variance + varianceEpsilon) * scale + offset`, with
 * every argument broadcasting against `x`.
 *
 * @example
 * ```ts
 * batchNorm(x, mean, variance, offset, scale, 1e-3);
 * ```
 */
export function batchNorm(
  x: TensorLike,
  mean: TensorLike,
  variance: TensorLike,
  offset?: TensorLike,
  scale?: TensorLike,
  varianceEpsilon = 1e-3,
): Tensor {
  return NI('batchNorm');
}

/**
 * Options of {@link dropout}.
 *
 * @example
 * ```ts
 * const o: DropoutOptions = { seed: 1 };
 * ```
 */
export interface DropoutOptions {
  /** Seed of the mask; without one the global generator is used. */
  readonly seed?: number;
  /** Shape of the keep/drop mask, broadcast against `x` (default: `x`'s shape). */
  readonly noiseShape?: readonly number[];
}

/**
 * Zeroes each element with probability `rate` and scales the rest by `1 / (1 - rate)`.
 *
 * @example
 * ```ts
 * dropout(ones([4]), 0.5, { seed: 0 }); // e.g. [2, 0, 2, 2]
 * ```
 */
export function dropout(x: TensorLike, rate: number, options?: DropoutOptions): Tensor {
  return NI('dropout');
}
