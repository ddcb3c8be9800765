/**
 * Linear algebra: batched `matmul` with broadcast batch dimensions, `dot`, `outerProduct`.
 *
 * @module
 */
import type { Tensor, TensorLike } from '../tensor.js';

const NI = (fn: string): never => {
  throw new Error(`${fn} is not implemented yet`);
};

/**
 * Options of {@link matmul}.
 *
 * @example
 * ```ts
 * const o: MatmulOptions = { transposeB: true };
 * ```
 */
export interface MatmulOptions {
  /** Use the transpose of the last two dimensions of `a`. */
  readonly transposeA?: boolean;
  /** Use the transpose of the last two dimensions of `b`. */
  readonly transposeB?: boolean;
}

/**
 * Matrix product of the last two dimensions; leading (batch) dimensions broadcast.
 * Rank-1 inputs are not accepted: use {@link dot} or reshape.
 *
 * @example
 * ```ts
 * matmul(ones([2, 3]), ones([3, 4])).shape; // [2, 4]
 * matmul(ones([5, 2, 3]), ones([3, 4])).shape; // [5, 2, 4]
 * matmul(ones([3, 2]), ones([3, 4]), { transposeA: true }).shape; // [2, 4]
 * ```
 */
export function matmul(a: TensorLike, b: TensorLike, options?: MatmulOptions): Tensor {
  return NI('matmul');
}

/**
 * Dot product of two vectors, or matrix-vector / vector-matrix / matrix-matrix product for
 * rank 1 and 2 inputs.
 *
 * @example
 * ```ts
 * dot(tensor([1, 2]), tensor([3, 4])); // 11
 * ```
 */
export function dot(a: TensorLike, b: TensorLike): Tensor {
  return NI('dot');
}

/**
 * Outer product of two vectors: `out[i][j] = a[i] * b[j]`.
 *
 * @example
 * ```ts
 * outerProduct(tensor([1, 2]), tensor([3, 4])); // [[3, 4], [6, 8]]
 * ```
 */
export function outerProduct(a: TensorLike, b: TensorLike): Tensor {
  return NI('outerProduct');
}
