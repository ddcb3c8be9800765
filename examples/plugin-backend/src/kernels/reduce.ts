/**
 * Reductions (`sum`, `prod`, `max`, `min`, `any`, `all`), `argMax` / `argMin` and `cumsum`.
 *
 * Attributes arrive normalized: `axes` is a sorted list of non-negative axes (empty for a
 * scalar), `axis` is non-negative, `keepDims` a boolean.
 *
 * @module
 */
import type { Kernel, Shape, TypedArray } from '@tessera/core';
import { alloc, broadcastOffsets, splitAt, type Buffers } from './util.js';

type Reducer = 'sum' | 'prod' | 'max' | 'min' | 'any' | 'all';

/** `x.shape` with the reduced axes set to 1 (the keepDims shape). */
function keptShape(shape: Shape, axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function reduce(kind: Reducer, x: TypedArray, xShape: Shape, axes: readonly number[], out: TypedArray, isInt: boolean): void {
  // Output element of every input element: broadcasting the keepDims shape back onto the
  // input shape gives exactly that map.
  const target = broadcastOffsets(keptShape(xShape, axes), xShape);
  const acc = new Float64Array(out.length);
  const init =
    kind === 'sum' || kind === 'any' ? 0
    : kind === 'prod' || kind === 'all' ? 1
    : kind === 'max' ? (isInt ? -2147483648 : -Infinity)
    : isInt ? 2147483647 : Infinity;
  acc.fill(init);
  for (let i = 0; i < x.length; i++) {
    const o = target[i]!;
    const v = x[i]!;
    const a = acc[o]!;
    switch (kind) {
      case 'sum': acc[o] = a + v; break;
      // int32 products wrap like int32 multiplication (doubles would lose the low bits)
      case 'prod': acc[o] = isInt ? Math.imul(a, v) : a * v; break;
      // NaN wins and then sticks (`v > NaN` is false)
      case 'max': acc[o] = v !== v || v > a ? v : a; break;
      case 'min': acc[o] = v !== v || v < a ? v : a; break;
      case 'any': acc[o] = a !== 0 || v !== 0 ? 1 : 0; break;
      case 'all': acc[o] = a !== 0 && v !== 0 ? 1 : 0; break;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = acc[i]!;
}

/** Reductions, arg-reductions and cumsum. */
export function reduceKernels(buffers: Buffers): Record<string, Kernel> {
  const kernels: Record<string, Kernel> = {};
  for (const kind of ['sum', 'prod', 'max', 'min', 'any', 'all'] as const) {
    kernels[kind] = ({ inputs, attrs, outputs }) => {
      const X = inputs[0]!;
      const out = alloc(outputs[0]!);
      reduce(kind, buffers.get(X.dataId), X.shape, attrs['axes'] as number[], out, X.dtype === 'int32');
      return buffers.put(out);
    };
  }

  for (const [name, better] of [
    ['argMax', (v: number, best: number) => v > best],
    ['argMin', (v: number, best: number) => v < best],
  ] as const) {
    kernels[name] = ({ inputs, attrs, outputs }) => {
      const X = inputs[0]!;
      const x = buffers.get(X.dataId);
      const [outer, n, inner] = splitAt(X.shape, attrs['axis'] as number);
      const out = alloc(outputs[0]!);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          let bestK = 0;
          let best = x[o * n * inner + i]!;
          // ties keep the first index; the first NaN wins and stays
          for (let k = 1; k < n && best === best; k++) {
            const v = x[(o * n + k) * inner + i]!;
            if (v !== v || better(v, best)) {
              best = v;
              bestK = k;
            }
          }
          out[o * inner + i] = bestK;
        }
      }
      return buffers.put(out);
    };
  }

  kernels['cumsum'] = ({ inputs, attrs, outputs }) => {
    const X = inputs[0]!;
    const x = buffers.get(X.dataId);
    const [outer, n, inner] = splitAt(X.shape, attrs['axis'] as number);
    const exclusive = attrs['exclusive'] === true;
    const reverse = attrs['reverse'] === true;
    const out = alloc(outputs[0]!);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let acc = 0;
        for (let step = 0; step < n; step++) {
          const k = reverse ? n - 1 - step : step;
          const at = (o * n + k) * inner + i;
          if (exclusive) {
            out[at] = acc;
            acc += x[at]!;
          } else {
            acc += x[at]!;
            out[at] = acc;
          }
        }
      }
    }
    return buffers.put(out);
  };
  return kernels;
}
