/**
 * `matmul` with optional transposes and broadcast batch dimensions.
 *
 * @module
 */
import type { Kernel } from '@tessera/core';
import { alloc, broadcastOffsets, type Buffers } from './util.js';

/** The matmul kernel. */
export function matmulKernels(buffers: Buffers): Record<string, Kernel> {
  return {
    matmul: ({ inputs, attrs, outputs }) => {
      const [A, B] = [inputs[0]!, inputs[1]!];
      const spec = outputs[0]!;
      const tA = attrs['transposeA'] === true;
      const tB = attrs['transposeB'] === true;
      const a = buffers.get(A.dataId);
      const b = buffers.get(B.dataId);
      const out = alloc(spec);
      const rank = spec.shape.length;
      const M = spec.shape[rank - 2]!;
      const N = spec.shape[rank - 1]!;
      const K = tA ? A.shape[A.shape.length - 2]! : A.shape[A.shape.length - 1]!;
      // element (i, k) of the (transposed or not) operand lives at i * rowStride + k * colStride
      const [aRow, aCol] = tA ? [1, M] : [K, 1];
      const [bRow, bCol] = tB ? [1, K] : [N, 1];
      // which batch of a and of b each output batch reads (batch dims broadcast)
      const outBatch = spec.shape.slice(0, -2);
      const aBatch = broadcastOffsets(A.shape.slice(0, -2), outBatch);
      const bBatch = broadcastOffsets(B.shape.slice(0, -2), outBatch);
      const isInt = spec.dtype === 'int32';
      for (let batch = 0; batch < aBatch.length; batch++) {
        const aOff = aBatch[batch]! * M * K;
        const bOff = bBatch[batch]! * K * N;
        const oOff = batch * M * N;
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let acc = 0;
            for (let k = 0; k < K; k++) {
              const x = a[aOff + i * aRow + k * aCol]!;
              const y = b[bOff + k * bRow + j * bCol]!;
              // int32 wraps like int32 arithmetic; floats accumulate in float64
              acc = isInt ? (acc + Math.imul(x, y)) | 0 : acc + x * y;
            }
            out[oOff + i * N + j] = acc;
          }
        }
      }
      return buffers.put(out);
    },
  };
}
