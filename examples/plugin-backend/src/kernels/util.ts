/**
 * What kernels share: access to storage, output allocation and index helpers.
 *
 * @module
 */
import { makeTypedArray, sizeOf, stridesOf, type DataId, type OutputSpec, type Shape, type TypedArray } from '@tessera/core';

/** Storage as kernels see it. */
export interface Buffers {
  /** The array behind an input buffer. Never write to it: tensors are immutable. */
  get(dataId: DataId): TypedArray;
  /** Stores a freshly computed array and returns its handle. */
  put(values: TypedArray): DataId;
}

/** A zeroed array for an output spec (the right typed array for its dtype and size). */
export function alloc(spec: OutputSpec): TypedArray {
  return makeTypedArray(spec.dtype, sizeOf(spec.shape));
}

/**
 * For every element of `outShape` (row-major), the flat index of the element of an input of
 * shape `inShape` that broadcasting reads: shapes are right-aligned and size-1 (or missing)
 * dims repeat.
 */
export function broadcastOffsets(inShape: Shape, outShape: Shape): Int32Array {
  const n = sizeOf(outShape);
  const rank = outShape.length;
  const inStrides = stridesOf(inShape);
  // The input stride to step along each output dim (0 where the input is broadcast).
  const step = new Array<number>(rank).fill(0);
  for (let d = 0; d < rank; d++) {
    const j = d - (rank - inShape.length);
    if (j >= 0 && inShape[j] !== 1) step[d] = inStrides[j]!;
  }
  const out = new Int32Array(n);
  const counter = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    out[i] = offset;
    // advance the odometer over the output index, last dim fastest
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]!++;
      offset += step[d]!;
      if (counter[d]! < outShape[d]!) break;
      offset -= step[d]! * outShape[d]!;
      counter[d] = 0;
    }
  }
  return out;
}

/** Whether two shapes are equal. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Splits a shape around `axis` into `[outer, size, inner]`: element `(o, k, i)` lives at
 * `(o * size + k) * inner + i`.
 */
export function splitAt(shape: Shape, axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d]!;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d]!;
  return [outer, shape[axis] ?? 1, inner];
}
