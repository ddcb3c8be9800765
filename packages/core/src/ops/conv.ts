/**
 * Convolution and pooling in NHWC layout: `conv2d`, `conv2dTranspose`, `depthwiseConv2d`,
 * `maxPool`, `avgPool`, and the backward ops their gradients use.
 *
 * @module
 */
import type { Tensor, TensorLike } from '../tensor.js';

const NI = (fn: string): never => {
  throw new Error(`${fn} is not implemented yet`);
};

/**
 * Padding: `'VALID'` (none), `'SAME'` (output size `ceil(in / stride)`, as TensorFlow), or
 * explicit `[[top, bottom], [left, right]]` (TensorFlow's four-pair NHWC form
 * `[[0, 0], [top, bottom], [left, right], [0, 0]]` is accepted too).
 *
 * @example
 * ```ts
 * const p: Padding = [[1, 1], [2, 2]];
 * ```
 */
export type Padding = 'VALID' | 'SAME' | readonly (readonly [number, number])[];

/**
 * Strides or dilations: a number for both spatial dims, `[h, w]`, or TensorFlow's `[1, h, w, 1]`.
 *
 * @example
 * ```ts
 * const s: Strides2D = [1, 2, 2, 1];
 * ```
 */
export type Strides2D = number | readonly [number, number] | readonly [number, number, number, number];

/**
 * Options of {@link conv2d} and {@link depthwiseConv2d}.
 *
 * @example
 * ```ts
 * const o: Conv2DOptions = { strides: [1, 2, 2, 1], padding: 'VALID' };
 * ```
 */
export interface Conv2DOptions {
  /** Strides (default 1). */
  readonly strides?: Strides2D;
  /** Padding (default `'VALID'`). */
  readonly padding?: Padding;
  /** Dilations (default 1). */
  readonly dilations?: Strides2D;
}

/**
 * Options of {@link maxPool} and {@link avgPool}.
 *
 * @example
 * ```ts
 * const o: PoolOptions = { filterSize: 2, strides: 2, padding: 'SAME' };
 * ```
 */
export interface PoolOptions {
  /** Window size: a number, `[h, w]` or `[1, h, w, 1]`. */
  readonly filterSize: Strides2D;
  /** Strides (default: the window size). */
  readonly strides?: Strides2D;
  /** Padding (default `'VALID'`). */
  readonly padding?: Padding;
}

/**
 * 2-D convolution of `x` `[batch, height, width, inChannels]` with `filter`
 * `[filterHeight, filterWidth, inChannels, outChannels]`.
 *
 * @example
 * ```ts
 * conv2d(randomNormal([2, 28, 28, 3]), truncatedNormal([5, 5, 3, 20]), { strides: [1, 2, 2, 1], padding: 'VALID' })
 *   .shape; // [2, 12, 12, 20]
 * ```
 */
export function conv2d(x: TensorLike, filter: TensorLike, options?: Conv2DOptions): Tensor {
  return NI('conv2d');
}

/**
 * The gradient of {@link conv2d} with respect to its input: maps `dy` back to an input of
 * `inputShape`.
 *
 * @example
 * ```ts
 * conv2dBackpropInput(dy, filter, [2, 28, 28, 3], { strides: 2, padding: 'VALID' });
 * ```
 */
export function conv2dBackpropInput(dy: TensorLike, filter: TensorLike, inputShape: readonly number[], options?: Conv2DOptions): Tensor {
  return NI('conv2dBackpropInput');
}

/**
 * The gradient of {@link conv2d} with respect to its filter.
 *
 * @example
 * ```ts
 * conv2dBackpropFilter(x, dy, [5, 5, 3, 20], { strides: 2, padding: 'VALID' });
 * ```
 */
export function conv2dBackpropFilter(x: TensorLike, dy: TensorLike, filterShape: readonly number[], options?: Conv2DOptions): Tensor {
  return NI('conv2dBackpropFilter');
}

/**
 * Transposed convolution ("deconvolution"): the gradient of {@link conv2d} with respect to its
 * input, applied as a forward op. `filter` is `[fh, fw, outChannels, inChannels]` and
 * `outputShape` the NHWC shape of the result.
 *
 * @example
 * ```ts
 * conv2dTranspose(ones([1, 2, 2, 1]), ones([2, 2, 1, 1]), [1, 4, 4, 1], { strides: 2 }).shape; // [1, 4, 4, 1]
 * ```
 */
export function conv2dTranspose(
  x: TensorLike,
  filter: TensorLike,
  outputShape: readonly number[],
  options?: Omit<Conv2DOptions, 'dilations'>,
): Tensor {
  return NI('conv2dTranspose');
}

/**
 * Depthwise 2-D convolution: `filter` `[fh, fw, inChannels, channelMultiplier]` convolves each
 * input channel separately; the output has `inChannels * channelMultiplier` channels.
 *
 * @example
 * ```ts
 * depthwiseConv2d(ones([1, 4, 4, 2]), ones([3, 3, 2, 1])).shape; // [1, 2, 2, 2]
 * ```
 */
export function depthwiseConv2d(x: TensorLike, filter: TensorLike, options?: Conv2DOptions): Tensor {
  return NI('depthwiseConv2d');
}

/**
 * The gradient of {@link depthwiseConv2d} with respect to its input.
 *
 * @example
 * ```ts
 * depthwiseConv2dBackpropInput(dy, filter, [1, 4, 4, 2]);
 * ```
 */
export function depthwiseConv2dBackpropInput(
  dy: TensorLike,
  filter: TensorLike,
  inputShape: readonly number[],
  options?: Conv2DOptions,
): Tensor {
  return NI('depthwiseConv2dBackpropInput');
}

/**
 * The gradient of {@link depthwiseConv2d} with respect to its filter.
 *
 * @example
 * ```ts
 * depthwiseConv2dBackpropFilter(x, dy, [3, 3, 2, 1]);
 * ```
 */
export function depthwiseConv2dBackpropFilter(
  x: TensorLike,
  dy: TensorLike,
  filterShape: readonly number[],
  options?: Conv2DOptions,
): Tensor {
  return NI('depthwiseConv2dBackpropFilter');
}

/**
 * Max pooling over windows of `[batch, height, width, channels]`.
 *
 * @example
 * ```ts
 * maxPool(ones([1, 4, 4, 1]), { filterSize: 2 }).shape; // [1, 2, 2, 1]
 * ```
 */
export function maxPool(x: TensorLike, options: PoolOptions): Tensor {
  return NI('maxPool');
}

/**
 * The gradient of {@link maxPool}: routes each `dy` to the (first) maximum of its window in `x`.
 *
 * @example
 * ```ts
 * maxPoolGrad(dy, x, { filterSize: 2 });
 * ```
 */
export function maxPoolGrad(dy: TensorLike, x: TensorLike, options: PoolOptions): Tensor {
  return NI('maxPoolGrad');
}

/**
 * Average pooling; padded positions are not counted in the average (as TensorFlow).
 *
 * @example
 * ```ts
 * avgPool(ones([1, 4, 4, 1]), { filterSize: 2 }).shape; // [1, 2, 2, 1]
 * ```
 */
export function avgPool(x: TensorLike, options: PoolOptions): Tensor {
  return NI('avgPool');
}

/**
 * The gradient of {@link avgPool}: spreads each `dy` evenly over its window in an input of
 * `inputShape`.
 *
 * @example
 * ```ts
 * avgPoolGrad(dy, [1, 4, 4, 1], { filterSize: 2 });
 * ```
 */
export function avgPoolGrad(dy: TensorLike, inputShape: readonly number[], options: PoolOptions): Tensor {
  return NI('avgPoolGrad');
}
