/**
 * Helpers shared by gradient rules.
 *
 * @module
 */
import {
  add,
  broadcastTo,
  expandDims,
  formatShape,
  reshape,
  ShapeError,
  shapesEqual,
  sum,
  TesseraError,
  zerosLike,
  type PartialShape,
  type Tensor,
} from '@tessera/core';

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

/** Reshapes to a possibly partial shape (at most one unknown dimension). @internal */
export function reshapeTo(t: Tensor, shape: PartialShape): Tensor {
  if (shapesEqual(t.shape, shape)) return t;
  const unknown = shape.filter((d) => d === null).length;
  if (unknown > 1) {
    throw new TesseraError(
      `gradient: cannot reshape a gradient to ${formatShape(shape)}: more than one dimension is unknown while the graph is built`,
    );
  }
  return reshape(t, shape.map((d) => (d === null ? -1 : d)));
}

/**
 * The gradient of a reduction over `axes`, brought back to the kept shape (reduced axes of
 * size 1), so it broadcasts against the input. @internal
 */
export function expandReduced(dy: Tensor, inShape: PartialShape, axes: readonly number[], keepDims: boolean): Tensor {
  if (keepDims) return dy;
  const kept = keptShape(inShape, axes);
  if (kept.filter((d) => d === null).length <= 1) return reshapeTo(dy, kept);
  let g = dy;
  for (const a of [...axes].sort((x, y) => x - y)) g = expandDims(g, a);
  return g;
}

/**
 * Broadcasts `g` to `shape`; with unknown dimensions (graph mode) it adds zeros like `like`. @internal
 */
export function broadcastGradient(g: Tensor, shape: PartialShape, like: Tensor | undefined): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  if (shape.every((d) => d !== null)) return broadcastTo(g, shape as number[]);
  if (like === undefined) {
    throw new TesseraError(`gradient: cannot broadcast a gradient to the partially known shape ${formatShape(shape)}`);
  }
  return add(g, zerosLike(like));
}
