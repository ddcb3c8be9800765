/**
 * Fused kernels for composite ops. Core runs a composite op (`softmax`, `relu`, ...) as a
 * composition of primitives unless the backend has a kernel under the composite's name: then
 * that kernel runs instead, in one pass. A fused kernel receives the same normalized
 * attributes as the composition and must produce the same values (the conformance kit checks
 * composites like any other op, so it checks fused kernels too).
 *
 * Gradients need nothing extra: autograd differentiates a composite op by its own rule (or
 * through its composition), whichever kernel ran forward.
 *
 * @module
 */
import type { Kernel } from '@tessera/core';
import { alloc, splitAt, type Buffers } from './util.js';

/** Fused `softmax` and `relu`. */
export function fusedKernels(buffers: Buffers): Record<string, Kernel> {
  return {
    // softmax(x) = exp(x - max) / sum(exp(x - max)) along `axis`, in one pass per row
    softmax: ({ inputs, attrs, outputs }) => {
      const X = inputs[0]!;
      const x = buffers.get(X.dataId);
      const [outer, n, inner] = splitAt(X.shape, attrs['axis'] as number);
      const out = alloc(outputs[0]!);
      const row = new Float64Array(n);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const at = (k: number): number => (o * n + k) * inner + i;
          let max = -Infinity;
          for (let k = 0; k < n; k++) max = Math.max(max, x[at(k)]!);
          let sum = 0;
          for (let k = 0; k < n; k++) sum += row[k] = Math.exp(x[at(k)]! - max);
          for (let k = 0; k < n; k++) out[at(k)] = row[k]! / sum;
        }
      }
      return buffers.put(out);
    },

    // relu(x) = x > 0 ? x : 0, with NaN kept (as `where(x <= 0, 0, x)` does)
    relu: ({ inputs, outputs }) => {
      const x = buffers.get(inputs[0]!.dataId);
      const out = alloc(outputs[0]!);
      for (let i = 0; i < out.length; i++) {
        const v = x[i]!;
        out[i] = v <= 0 ? 0 : v;
      }
      return buffers.put(out);
    },
  };
}
