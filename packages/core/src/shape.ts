/**
 * Shape utilities: sizes, strides, broadcasting and axis normalization. Shape rules accept
 * `null` for a dimension that is not known until run time (graph placeholders such as
 * `[null, 784]`).
 *
 * @module
 */
import { ShapeError, ValueError } from './errors.js';

/**
 * A concrete shape: one non-negative integer per dimension.
 *
 * @example
 * ```ts
 * const s: Shape = [2, 3];
 * ```
 */
export type Shape = readonly number[];

/**
 * A shape whose dimensions may be unknown (`null`), as for graph placeholders.
 *
 * @example
 * ```ts
 * const s: PartialShape = [null, 784];
 * ```
 */
export type PartialShape = readonly (number | null)[];

/**
 * Formats a shape for error messages: `[2,3]`, `[?,784]`.
 *
 * @example
 * ```ts
 * formatShape([null, 3]); // '[?,3]'
 * ```
 */
export function formatShape(shape: PartialShape): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}

/**
 * The number of elements of a shape (1 for a scalar); `null` if a dimension is unknown.
 *
 * @example
 * ```ts
 * sizeOf([2, 3]); // 6
 * sizeOf([]); // 1
 * ```
 */
export function sizeOf(shape: Shape): number;
export function sizeOf(shape: PartialShape): number | null;
export function sizeOf(shape: PartialShape): number | null {
  let n = 1;
  for (const d of shape) {
    if (d === null) return null;
    n *= d;
  }
  return n;
}

/**
 * Row-major strides of a shape, in elements.
 *
 * @example
 * ```ts
 * stridesOf([2, 3, 4]); // [12, 4, 1]
 * ```
 */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/**
 * Throws a {@link ValueError} unless `shape` is an array of non-negative integers
 * (or `null` where `allowUnknown`).
 *
 * @example
 * ```ts
 * checkShape([2, 3], 'zeros'); // ok
 * checkShape([2.5], 'zeros'); // throws ValueError
 * ```
 */
export function checkShape(shape: unknown, fn: string, allowUnknown = false): asserts shape is Shape {
  if (!Array.isArray(shape)) {
    throw new ValueError(`${fn}: shape must be an array of non-negative integers, got ${String(shape)}`);
  }
  for (const d of shape as unknown[]) {
    if (d === null && allowUnknown) continue;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new ValueError(
        `${fn}: shape ${JSON.stringify(shape)} is invalid: every dimension must be a non-negative integer` +
          (allowUnknown ? ' or null' : ''),
      );
    }
  }
}

/**
 * Whether two (possibly partial) shapes are equal. Unknown dims compare equal to anything
 * when `loose` is set.
 *
 * @example
 * ```ts
 * shapesEqual([2, 3], [2, 3]); // true
 * ```
 */
export function shapesEqual(a: PartialShape, b: PartialShape, loose = false): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i] && !(loose && (a[i] === null || b[i] === null))) return false;
  }
  return true;
}

/**
 * The broadcast shape of several shapes (NumPy rules: align on the right; each dimension must
 * match or be 1). Throws a {@link ShapeError} naming `fn` when the shapes are incompatible.
 *
 * @example
 * ```ts
 * broadcastShapes('add', [2, 1, 3], [4, 1]); // [2, 4, 3]
 * ```
 */
export function broadcastShapes(fn: string, ...shapes: PartialShape[]): (number | null)[] {
  let rank = 0;
  for (const s of shapes) rank = Math.max(rank, s.length);
  const out = new Array<number | null>(rank).fill(1);
  for (let i = 0; i < rank; i++) {
    let dim: number | null = 1;
    for (const s of shapes) {
      const j = s.length - rank + i;
      if (j < 0) continue;
      const d = s[j]!;
      if (d === 1) continue;
      if (dim === 1) dim = d;
      else if (d === null) continue;
      else if (dim === null) dim = d;
      else if (dim !== d) {
        throw new ShapeError(
          `${fn}: shapes ${shapes.map(formatShape).join(' and ')} cannot be broadcast together ` +
            `(dimension ${i - rank} is ${dim} in one and ${d} in another; each dimension must match or be 1)`,
        );
      }
    }
    out[i] = dim;
  }
  return out;
}

/**
 * Normalizes one axis for a tensor of rank `rank` (negative counts from the end; a scalar
 * accepts 0 and -1, meaning the whole tensor). Throws a
 * {@link ValueError} naming `fn` when out of range.
 *
 * @example
 * ```ts
 * normalizeAxis(-1, 3, 'sum'); // 2
 * ```
 */
export function normalizeAxis(axis: number, rank: number, fn: string): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis)) {
    throw new ValueError(`${fn}: axis must be an integer, got ${String(axis)}`);
  }
  if (rank === 0 && (axis === 0 || axis === -1)) return 0;
  if (axis < -rank || axis >= rank) {
    throw new ValueError(`${fn}: axis ${axis} is out of range for a tensor of rank ${rank} (valid: ${-rank} to ${rank - 1})`);
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * Normalizes an axis argument that may be a number, a list or `undefined` (all axes) into a
 * sorted list of distinct non-negative axes.
 *
 * @example
 * ```ts
 * normalizeAxes([-1, 0], 3, 'sum'); // [0, 2]
 * normalizeAxes(undefined, 2, 'sum'); // [0, 1]
 * ```
 */
export function normalizeAxes(axis: number | readonly number[] | undefined | null, rank: number, fn: string): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : axis;
  if (!Array.isArray(list)) throw new ValueError(`${fn}: axis must be a number or an array of numbers`);
  const out = list.map((a) => normalizeAxis(a, rank, fn));
  const set = new Set(out);
  if (set.size !== out.length) {
    throw new ValueError(`${fn}: axis ${JSON.stringify(axis)} repeats an axis`);
  }
  return out.sort((a, b) => a - b);
}

/**
 * The shape after reducing `axes` of `shape`, keeping them as size 1 when `keepDims`.
 *
 * @example
 * ```ts
 * reducedShape([2, 3, 4], [1], false); // [2, 4]
 * reducedShape([2, 3, 4], [1], true); // [2, 1, 4]
 * ```
 */
export function reducedShape(shape: PartialShape, axes: readonly number[], keepDims: boolean): (number | null)[] {
  const out: (number | null)[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepDims) out.push(1);
    } else out.push(shape[i]!);
  }
  return out;
}

/**
 * Throws a {@link ValueError} unless `x` is an integer (optionally at least `min`).
 *
 * @example
 * ```ts
 * checkInteger(3, 'range', 'count', 0); // ok
 * ```
 */
export function checkInteger(x: unknown, fn: string, what: string, min?: number): asserts x is number {
  if (typeof x !== 'number' || !Number.isInteger(x) || (min !== undefined && x < min)) {
    throw new ValueError(
      `${fn}: ${what} must be an integer${min !== undefined ? ` >= ${min}` : ''}, got ${String(x)}`,
    );
  }
}
