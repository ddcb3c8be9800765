/**
 * Naive float64 reference implementations for conformance cases. They are deliberately simple
 * (index arithmetic per element) and independent of any backend.
 *
 * @module
 */
import { broadcastShapes, sizeOf, stridesOf } from '../shape.js';

/**
 * A reference result: flat float64 values and a shape.
 *
 * @example
 * ```ts
 * const r: RefResult = { values: new Float64Array([1, 2]), shape: [2] };
 * ```
 */
export interface RefResult {
  /** Flat values. */
  readonly values: Float64Array;
  /** The shape. */
  readonly shape: number[];
}

/**
 * Multi-index of flat index `i` in `shape`.
 *
 * @example
 * ```ts
 * unravel(5, [2, 3]); // [1, 2]
 * ```
 */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

/**
 * Flat index of a multi-index in `shape`.
 *
 * @example
 * ```ts
 * ravel([1, 2], [2, 3]); // 5
 * ```
 */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  const s = stridesOf(shape);
  let f = 0;
  for (let d = 0; d < idx.length; d++) f += idx[d]! * s[d]!;
  return f;
}

/**
 * Reads the element of an input of `inShape` that broadcasting maps to output multi-index `outIdx`.
 *
 * @example
 * ```ts
 * broadcastRead(values, [3], [2, 3], [1, 2]); // values[2]
 * ```
 */
export function broadcastRead(values: ArrayLike<number>, inShape: readonly number[], outIdx: readonly number[]): number {
  const off = outIdx.length - inShape.length;
  let f = 0;
  const s = stridesOf(inShape);
  for (let d = 0; d < inShape.length; d++) {
    const i = inShape[d] === 1 ? 0 : outIdx[d + off]!;
    f += i * s[d]!;
  }
  return values[f]!;
}

/**
 * Elementwise function of any number of broadcast inputs, in float64.
 *
 * @example
 * ```ts
 * refElementwise([[1, 2], [10]], [[2], [1]], (a, b) => a + b); // values [11, 12], shape [2]
 * ```
 */
export function refElementwise(
  inputs: readonly ArrayLike<number>[],
  shapes: readonly (readonly number[])[],
  f: (...xs: number[]) => number,
): RefResult {
  const shape = broadcastShapes('reference', ...shapes) as number[];
  const n = sizeOf(shape);
  const values = new Float64Array(n);
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    for (let k = 0; k < inputs.length; k++) args[k] = broadcastRead(inputs[k]!, shapes[k]!, idx);
    values[i] = f(...args);
  }
  return { values, shape };
}

/**
 * Reduces `axes` of a tensor with `f` over the list of reduced elements (in row-major order).
 *
 * @example
 * ```ts
 * refReduce([1, 2, 3, 4], [2, 2], [1], false, (xs) => xs.reduce((a, b) => a + b, 0)); // [3, 7]
 * ```
 */
export function refReduce(
  values: ArrayLike<number>,
  shape: readonly number[],
  axes: readonly number[],
  keepDims: boolean,
  f: (xs: number[]) => number,
): RefResult {
  const outFull = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups = new Map<number, number[]>();
  const n = sizeOf(shape);
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    const o = ravel(
      idx.map((v, d) => (axes.includes(d) ? 0 : v)),
      outFull,
    );
    let g = groups.get(o);
    if (g === undefined) groups.set(o, (g = []));
    g.push(values[i]!);
  }
  const m = sizeOf(outFull);
  const out = new Float64Array(m);
  for (let o = 0; o < m; o++) out[o] = f(groups.get(o) ?? []);
  const outShape = keepDims ? outFull : shape.filter((_, i) => !axes.includes(i));
  return { values: out, shape: outShape };
}

/**
 * Batched matrix product with broadcast batch dims, in float64.
 *
 * @example
 * ```ts
 * refMatmul([1, 2, 3, 4], [2, 2], [1, 0, 0, 1], [2, 2]); // the same matrix
 * ```
 */
export function refMatmul(
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
  transposeA = false,
  transposeB = false,
): RefResult {
  const ra = aShape.length;
  const rb = bShape.length;
  const m = transposeA ? aShape[ra - 1]! : aShape[ra - 2]!;
  const k = transposeA ? aShape[ra - 2]! : aShape[ra - 1]!;
  const n = transposeB ? bShape[rb - 2]! : bShape[rb - 1]!;
  const batch = broadcastShapes('reference', aShape.slice(0, -2), bShape.slice(0, -2)) as number[];
  const shape = [...batch, m, n];
  const values = new Float64Array(sizeOf(shape));
  const nb = sizeOf(batch);
  for (let bi = 0; bi < nb; bi++) {
    const bidx = unravel(bi, batch);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const ai = transposeA ? [p, i] : [i, p];
          const bj = transposeB ? [j, p] : [p, j];
          s += broadcastRead(a, aShape, [...bidx, ...ai]) * broadcastRead(b, bShape, [...bidx, ...bj]);
        }
        values[(bi * m + i) * n + j] = s;
      }
    }
  }
  return { values, shape };
}
