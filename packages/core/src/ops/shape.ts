/**
 * Shape ops: reshape, transpose, slicing, joining, padding, tiling, gathering, broadcasting.
 *
 * @module
 */
import { runOp } from '../engine.js';
import { ShapeError, ValueError } from '../errors.js';
import { definePrimitive } from '../op.js';
import { toTensor } from '../convert.js';
import { formatShape, sizeOf } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor.js';

const NI = (fn: string): never => {
  throw new Error(`${fn} is not implemented yet`);
};

const reshapeOp = definePrimitive({
  name: 'reshape',
  inputs: ['x'],
  infer: ([x], attrs) => [{ shape: attrs['shape'] as number[], dtype: x!.dtype }],
  builtin: (ids) => ids,
});

/**
 * Gives `x` a new shape with the same number of elements (no copy). One dimension may be `-1`:
 * it is inferred from the others.
 *
 * @example
 * ```ts
 * reshape(range(6), [2, 3]);
 * reshape(range(6), [-1, 2]); // shape [3, 2]
 * ```
 */
export function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  const t = toTensor(x, 'reshape', 'x');
  if (!Array.isArray(shape)) throw new ValueError(`reshape: shape must be an array, got ${String(shape)}`);
  let infer = -1;
  let known = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === -1) {
      if (infer >= 0) throw new ValueError(`reshape: shape ${formatShape(shape)} has more than one -1`);
      infer = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new ValueError(`reshape: shape ${formatShape(shape)} is invalid: dimensions must be non-negative integers or one -1`);
    } else known *= d;
  }
  const size = t.size;
  const out = [...shape];
  if (infer >= 0) {
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(`reshape: cannot reshape a tensor of shape ${formatShape(t.shape)} (${size} elements) to ${formatShape(shape)}`);
    }
    out[infer] = size / known;
  } else if (known !== size) {
    throw new ShapeError(
      `reshape: cannot reshape a tensor of shape ${formatShape(t.shape)} (${size} elements) to ${formatShape(shape)} (${sizeOf(shape)} elements)`,
    );
  }
  return runOp(reshapeOp, [t], { shape: out })[0]!;
}

/**
 * Permutes dimensions; by default reverses them.
 *
 * @example
 * ```ts
 * transpose(zeros([2, 3])).shape; // [3, 2]
 * transpose(zeros([2, 3, 4]), [0, 2, 1]).shape; // [2, 4, 3]
 * ```
 */
export function transpose(x: TensorLike, perm?: readonly number[]): Tensor {
  return NI('transpose');
}

/**
 * Inserts a size-1 dimension at `axis` (default 0; negative counts from the end of the result).
 *
 * @example
 * ```ts
 * expandDims(zeros([3]), 1).shape; // [3, 1]
 * ```
 */
export function expandDims(x: TensorLike, axis = 0): Tensor {
  return NI('expandDims');
}

/**
 * Removes size-1 dimensions (all of them, or those in `axis`).
 *
 * @example
 * ```ts
 * squeeze(zeros([1, 3, 1])).shape; // [3]
 * ```
 */
export function squeeze(x: TensorLike, axis?: number | readonly number[]): Tensor {
  return NI('squeeze');
}

/**
 * Extracts a block starting at `begin` of size `size` (`-1` means "to the end").
 *
 * @example
 * ```ts
 * slice(tensor([[1, 2, 3], [4, 5, 6]]), [0, 1], [2, 2]); // [[2, 3], [5, 6]]
 * ```
 */
export function slice(x: TensorLike, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
  return NI('slice');
}

/**
 * Options of {@link stridedSlice}: bit masks as in TensorFlow's `strided_slice`.
 *
 * @example
 * ```ts
 * const o: StridedSliceOptions = { beginMask: 1, shrinkAxisMask: 2 };
 * ```
 */
export interface StridedSliceOptions {
  /** Bit i set: ignore `begin[i]` and start at the beginning (or end, for negative strides). */
  readonly beginMask?: number;
  /** Bit i set: ignore `end[i]` and run to the end (or beginning). */
  readonly endMask?: number;
  /** Bit i set: insert a new size-1 dimension at position i. */
  readonly newAxisMask?: number;
  /** Bit i set: take only index `begin[i]` and drop dimension i. */
  readonly shrinkAxisMask?: number;
}

/**
 * Python-style `x[begin:end:strides]` on every dimension, with TensorFlow's masks.
 *
 * @example
 * ```ts
 * stridedSlice(range(10), [1], [8], [3]); // [1, 4, 7]
 * stridedSlice(range(5), [-1], [0], [-1], { endMask: 1 }); // [4, 3, 2, 1, 0]
 * ```
 */
export function stridedSlice(
  x: TensorLike,
  begin: readonly number[],
  end: readonly number[],
  strides?: readonly number[],
  options?: StridedSliceOptions,
): Tensor {
  return NI('stridedSlice');
}

/**
 * Joins tensors along an existing axis.
 *
 * @example
 * ```ts
 * concat([zeros([2, 1]), ones([2, 2])], 1).shape; // [2, 3]
 * ```
 */
export function concat(xs: readonly TensorLike[], axis = 0): Tensor {
  return NI('concat');
}

/**
 * Joins same-shaped tensors along a new axis.
 *
 * @example
 * ```ts
 * stack([tensor([1, 2]), tensor([3, 4])]); // [[1, 2], [3, 4]]
 * ```
 */
export function stack(xs: readonly TensorLike[], axis = 0): Tensor {
  return NI('stack');
}

/**
 * Splits a tensor into the slices along `axis`, removing that axis.
 *
 * @example
 * ```ts
 * unstack(tensor([[1, 2], [3, 4]])); // [tensor([1, 2]), tensor([3, 4])]
 * ```
 */
export function unstack(x: TensorLike, axis = 0): Tensor[] {
  return NI('unstack');
}

/**
 * Splits a tensor along `axis` into `n` equal parts, or into parts of the given sizes
 * (one size may be `-1`).
 *
 * @example
 * ```ts
 * split(range(6), 3); // three tensors of 2
 * split(range(6), [1, -1]); // sizes 1 and 5
 * ```
 */
export function split(x: TensorLike, numOrSizeSplits: number | readonly number[], axis = 0): Tensor[] {
  return NI('split');
}

/**
 * Pads with a constant. `paddings[i] = [before, after]` for dimension i.
 *
 * @example
 * ```ts
 * pad(tensor([1, 2]), [[1, 2]]); // [0, 1, 2, 0, 0]
 * ```
 */
export function pad(x: TensorLike, paddings: readonly (readonly [number, number])[], constantValue = 0): Tensor {
  return NI('pad');
}

/**
 * Repeats the tensor `reps[i]` times along dimension i.
 *
 * @example
 * ```ts
 * tile(tensor([1, 2]), [2]); // [1, 2, 1, 2]
 * ```
 */
export function tile(x: TensorLike, reps: readonly number[]): Tensor {
  return NI('tile');
}

/**
 * Picks slices along `axis` at the given int32 indices.
 *
 * @example
 * ```ts
 * gather(tensor([10, 20, 30]), tensor([2, 0], undefined, 'int32')); // [30, 10]
 * ```
 */
export function gather(x: TensorLike, indices: TensorLike, axis = 0): Tensor {
  return NI('gather');
}

/**
 * Options of {@link oneHot}.
 *
 * @example
 * ```ts
 * const o: OneHotOptions = { onValue: 1, offValue: 0, dtype: 'float32' };
 * ```
 */
export interface OneHotOptions {
  /** Value at the hot index (default 1). */
  readonly onValue?: number;
  /** Value elsewhere (default 0). */
  readonly offValue?: number;
  /** Result dtype (default float32). */
  readonly dtype?: 'float32' | 'float64' | 'int32';
}

/**
 * One-hot encodes int32 indices into a new last dimension of size `depth`; out-of-range
 * indices give all-`offValue` rows.
 *
 * @example
 * ```ts
 * oneHot(tensor([0, 2], undefined, 'int32'), 3); // [[1, 0, 0], [0, 0, 1]]
 * ```
 */
export function oneHot(indices: TensorLike, depth: number, options?: OneHotOptions): Tensor {
  return NI('oneHot');
}

/**
 * Broadcasts `x` to `shape` (NumPy rules).
 *
 * @example
 * ```ts
 * broadcastTo(tensor([1, 2]), [2, 2]); // [[1, 2], [1, 2]]
 * ```
 */
export function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  return NI('broadcastTo');
}

/**
 * Reverses the order of elements along the given axes (all axes by default).
 *
 * @example
 * ```ts
 * reverse(tensor([1, 2, 3])); // [3, 2, 1]
 * ```
 */
export function reverse(x: TensorLike, axis?: number | readonly number[]): Tensor {
  return NI('reverse');
}

/**
 * Sums slices of `x` into `numSegments` rows by int32 segment id (ids outside
 * `[0, numSegments)` are dropped). The gradient of {@link gather}.
 *
 * @example
 * ```ts
 * unsortedSegmentSum(tensor([1, 2, 3]), tensor([0, 1, 0], undefined, 'int32'), 2); // [4, 2]
 * ```
 */
export function unsortedSegmentSum(x: TensorLike, segmentIds: TensorLike, numSegments: number): Tensor {
  return NI('unsortedSegmentSum');
}
