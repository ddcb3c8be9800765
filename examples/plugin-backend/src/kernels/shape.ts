/**
 * Shape kernels: they move elements and compute nothing. Each one walks the output in
 * row-major order and computes where its element comes from (`reshape` needs no kernel: core
 * runs it by sharing the input's buffer).
 *
 * Attributes (already validated and normalized by core):
 *
 * - `transpose`: `perm`, output dim `i` is input dim `perm[i]`
 * - `stridedSlice`: `begin`, `strides` per dim (output element `j` reads `begin + j * strides`)
 * - `concat`: `axis`; `pad`: `paddings` (`[before, after]` per dim) and `constantValue`
 * - `tile`: `reps`; `gather`: `axis`; `broadcastTo`: `shape`; `reverse`: `axes`
 * - `unsortedSegmentSum`: `numSegments`
 *
 * @module
 */
import { formatShape, stridesOf, ValueError, type Kernel, type Shape } from '@tessera/core';
import { alloc, broadcastOffsets, splitAt, type Buffers } from './util.js';

/**
 * Calls `visit(outIndex, coords)` for every element of `shape` in row-major order; `coords`
 * is the multi-index, updated in place.
 */
function forEachIndex(shape: Shape, visit: (outIndex: number, coords: readonly number[]) => void): void {
  let n = 1;
  for (const d of shape) n *= d;
  const coords = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    visit(i, coords);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++coords[d]! < shape[d]!) break;
      coords[d] = 0;
    }
  }
}

/** The shape kernels. */
export function shapeKernels(buffers: Buffers): Record<string, Kernel> {
  return {
    transpose: ({ inputs, attrs, outputs }) => {
      const X = inputs[0]!;
      const perm = attrs['perm'] as number[];
      const x = buffers.get(X.dataId);
      const spec = outputs[0]!;
      const inStrides = stridesOf(X.shape);
      const out = alloc(spec);
      forEachIndex(spec.shape, (i, c) => {
        let src = 0;
        for (let d = 0; d < c.length; d++) src += c[d]! * inStrides[perm[d]!]!;
        out[i] = x[src]!;
      });
      return buffers.put(out);
    },

    stridedSlice: ({ inputs, attrs, outputs }) => {
      const X = inputs[0]!;
      const begin = attrs['begin'] as number[];
      const strides = attrs['strides'] as number[];
      const x = buffers.get(X.dataId);
      const spec = outputs[0]!;
      const inStrides = stridesOf(X.shape);
      const out = alloc(spec);
      forEachIndex(spec.shape, (i, c) => {
        let src = 0;
        for (let d = 0; d < c.length; d++) src += (begin[d]! + c[d]! * strides[d]!) * inStrides[d]!;
        out[i] = x[src]!;
      });
      return buffers.put(out);
    },

    concat: ({ inputs, attrs, outputs }) => {
      const axis = attrs['axis'] as number;
      const spec = outputs[0]!;
      const out = alloc(spec);
      const [outer, total, inner] = splitAt(spec.shape, axis);
      let offset = 0; // where along `axis` the current input starts
      for (const input of inputs) {
        const x = buffers.get(input.dataId);
        const n = input.shape[axis]!;
        for (let o = 0; o < outer; o++) {
          for (let k = 0; k < n * inner; k++) out[(o * total + offset) * inner + k] = x[o * n * inner + k]!;
        }
        offset += n;
      }
      return buffers.put(out);
    },

    pad: ({ inputs, attrs, outputs }) => {
      const X = inputs[0]!;
      const paddings = attrs['paddings'] as [number, number][];
      const x = buffers.get(X.dataId);
      const spec = outputs[0]!;
      const out = alloc(spec);
      out.fill(attrs['constantValue'] as number);
      forEachIndex(X.shape, (i, c) => {
        let dst = 0;
        let stride = 1;
        for (let d = c.length - 1; d >= 0; d--) {
          dst += (c[d]! + paddings[d]![0]) * stride;
          stride *= spec.shape[d]!;
        }
        out[dst] = x[i]!;
      });
      return buffers.put(out);
    },

    tile: ({ inputs, outputs }) => {
      const X = inputs[0]!;
      const x = buffers.get(X.dataId);
      const spec = outputs[0]!;
      const inStrides = stridesOf(X.shape);
      const out = alloc(spec);
      forEachIndex(spec.shape, (i, c) => {
        let src = 0;
        for (let d = 0; d < c.length; d++) src += (c[d]! % X.shape[d]!) * inStrides[d]!;
        out[i] = x[src]!;
      });
      return buffers.put(out);
    },

    gather: ({ inputs, attrs, outputs }) => {
      const [X, I] = [inputs[0]!, inputs[1]!];
      const axis = attrs['axis'] as number;
      const x = buffers.get(X.dataId);
      const indices = buffers.get(I.dataId);
      const [outer, n, inner] = splitAt(X.shape, axis);
      // Indices are not range-checked by core: a backend checks them (or, on a GPU where
      // checking is expensive, clamps them).
      for (let j = 0; j < indices.length; j++) {
        const v = indices[j]!;
        if (v < 0 || v >= n) {
          const at = I.shape.length === 0 ? '' : `[${unravel(j, I.shape).join(',')}]`;
          throw new ValueError(
            `gather: indices${at} = ${v} is out of range for axis ${axis} of x ${formatShape(X.shape)} (valid: 0 to ${n - 1})`,
          );
        }
      }
      const out = alloc(outputs[0]!);
      const m = indices.length;
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < m; j++) {
          const src = (o * n + indices[j]!) * inner;
          const dst = (o * m + j) * inner;
          for (let k = 0; k < inner; k++) out[dst + k] = x[src + k]!;
        }
      }
      return buffers.put(out);
    },

    broadcastTo: ({ inputs, outputs }) => {
      const X = inputs[0]!;
      const x = buffers.get(X.dataId);
      const spec = outputs[0]!;
      const from = broadcastOffsets(X.shape, spec.shape);
      const out = alloc(spec);
      for (let i = 0; i < out.length; i++) out[i] = x[from[i]!]!;
      return buffers.put(out);
    },

    reverse: ({ inputs, attrs, outputs }) => {
      const X = inputs[0]!;
      const axes = attrs['axes'] as number[];
      const x = buffers.get(X.dataId);
      const inStrides = stridesOf(X.shape);
      const out = alloc(outputs[0]!);
      forEachIndex(X.shape, (i, c) => {
        let src = 0;
        for (let d = 0; d < c.length; d++) {
          const k = axes.includes(d) ? X.shape[d]! - 1 - c[d]! : c[d]!;
          src += k * inStrides[d]!;
        }
        out[i] = x[src]!;
      });
      return buffers.put(out);
    },

    unsortedSegmentSum: ({ inputs, attrs, outputs }) => {
      const [X, S] = [inputs[0]!, inputs[1]!];
      const numSegments = attrs['numSegments'] as number;
      const x = buffers.get(X.dataId);
      const ids = buffers.get(S.dataId);
      const spec = outputs[0]!;
      // x is [ids..., rest]: each id owns a row of `rest` elements
      let row = 1;
      for (let d = S.shape.length; d < X.shape.length; d++) row *= X.shape[d]!;
      const acc = new Float64Array(numSegments * row);
      for (let j = 0; j < ids.length; j++) {
        const s = ids[j]!;
        if (s < 0 || s >= numSegments) continue; // dropped, as in TensorFlow
        for (let k = 0; k < row; k++) acc[s * row + k]! += x[j * row + k]!;
      }
      const out = alloc(spec);
      for (let i = 0; i < out.length; i++) out[i] = acc[i]!;
      return buffers.put(out);
    },
  };
}

/** The multi-index of flat index `i` in `shape`. */
function unravel(i: number, shape: Shape): number[] {
  const c = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return c;
}
