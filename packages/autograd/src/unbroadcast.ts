/**
 * Helpers shared by gradient rules.
 *
 * @module
 */
import { formatShape, reshape, ShapeError, sum, type PartialShape, type Tensor } from '@tessera/core';

/**
 * Sums a gradient back to the shape of an input that was broadcast: leading axes the input
 * lacks are summed away, and axes where the input has size 1 are summed with `keepDims`.
 * Returns `dy` itself when no summing is needed. Unknown (`null`) dimensions are treated as
 * not broadcast.
 *
 * @example
 * ```ts
 * // add(a [2,3], b [3]) → dy [2,3]; b's gradient is the column sums:
 * unbroadcast(ones([2, 3]), [3]); // [2, 2, 2]
 * unbroadcast(ones([2, 3]), [2, 1]); // [[3], [3]]
 * ```
 */
export function unbroadcast(dy: Tensor, shape: PartialShape): Tensor {
  const out = dy.shape as PartialShape;
  const lead = out.length - shape.length;
  if (lead < 0) {
    throw new ShapeError(`unbroadcast: a gradient of shape ${formatShape(out)} cannot be summed to the larger shape ${formatShape(shape)}`);
  }
  const keepAxes: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const s = shape[i];
    const o = out[i + lead];
    if (s === o) continue;
    if (s === 1) keepAxes.push(i + lead);
    else if (s !== null && o !== null) {
      throw new ShapeError(`unbroadcast: a gradient of shape ${formatShape(out)} does not broadcast from ${formatShape(shape)}`);
    }
  }
  let g = dy;
  if (keepAxes.length > 0) g = sum(g, keepAxes, true);
  if (lead > 0) g = sum(g, Array.from({ length: lead }, (_, i) => i), false);
  if (g !== dy && shape.every((d) => d !== null) && g.shape.length !== shape.length) g = reshape(g, shape as number[]);
  return g;
}

/**
 * The shape a reduction's output would have with `keepDims`: reduced axes set to 1.
 *
 * @example
 * ```ts
 * keptShape([2, 3, 4], [1]); // [2, 1, 4]
 * ```
 */
export function keptShape(shape: PartialShape, axes: readonly number[]): (number | null)[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}
