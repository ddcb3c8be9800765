/**
 * Linear algebra kernels: batched `matmul` with broadcast batch dimensions and transposes.
 *
 * The core is a blocked i-k-j product `C[M,N] += A[M,K] · B[K,N]` over row-major operands:
 * blocks of 64 along each dimension, the innermost loop running contiguously along a row of B
 * and of C. Transposed operands are first packed into row-major scratch (once per distinct
 * batch matrix), so every transpose combination runs the same fast loop. float32 products
 * accumulate in a float64 scratch and round once; int32 products wrap like int32 (Math.imul).
 */
import { sizeOf, type Kernel, type TypedArray } from '@tessera/core';
import type { CpuContext } from '../context.js';
import { broadcastIndex } from './broadcast.js';

const BLOCK = 64;

/** `c[cOff..] += a[aOff..] (M×K, row-major) · b[bOff..] (K×N, row-major)`, floats. */
function gemmFloat(
  a: TypedArray,
  aOff: number,
  b: TypedArray,
  bOff: number,
  c: Float64Array,
  cOff: number,
  M: number,
  K: number,
  N: number,
): void {
  if (N === 1) {
    // matrix-vector: one dot product per row, both operands contiguous
    for (let i = 0; i < M; i++) {
      const aRow = aOff + i * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += a[aRow + k]! * b[bOff + k]!;
      c[cOff + i] = c[cOff + i]! + s;
    }
    return;
  }
  for (let j0 = 0; j0 < N; j0 += BLOCK) {
    const jEnd = Math.min(j0 + BLOCK, N);
    for (let k0 = 0; k0 < K; k0 += BLOCK) {
      const kEnd = Math.min(k0 + BLOCK, K);
      for (let i0 = 0; i0 < M; i0 += BLOCK) {
        const iEnd = Math.min(i0 + BLOCK, M);
        for (let i = i0; i < iEnd; i++) {
          const cRow = cOff + i * N;
          const aRow = aOff + i * K;
          for (let k = k0; k < kEnd; k++) {
            const aik = a[aRow + k]!;
            const bRow = bOff + k * N;
            for (let j = j0; j < jEnd; j++) c[cRow + j] = c[cRow + j]! + aik * b[bRow + j]!;
          }
        }
      }
    }
  }
}

/** The int32 variant: products and sums wrap like int32. */
function gemmInt(
  a: TypedArray,
  aOff: number,
  b: TypedArray,
  bOff: number,
  c: Int32Array,
  cOff: number,
  M: number,
  K: number,
  N: number,
): void {
  if (N === 1) {
    for (let i = 0; i < M; i++) {
      const aRow = aOff + i * K;
      let s = 0;
      for (let k = 0; k < K; k++) s = (s + Math.imul(a[aRow + k]!, b[bOff + k]!)) | 0;
      c[cOff + i] = (c[cOff + i]! + s) | 0;
    }
    return;
  }
  for (let j0 = 0; j0 < N; j0 += BLOCK) {
    const jEnd = Math.min(j0 + BLOCK, N);
    for (let k0 = 0; k0 < K; k0 += BLOCK) {
      const kEnd = Math.min(k0 + BLOCK, K);
      for (let i0 = 0; i0 < M; i0 += BLOCK) {
        const iEnd = Math.min(i0 + BLOCK, M);
        for (let i = i0; i < iEnd; i++) {
          const cRow = cOff + i * N;
          const aRow = aOff + i * K;
          for (let k = k0; k < kEnd; k++) {
            const aik = a[aRow + k]!;
            const bRow = bOff + k * N;
            for (let j = j0; j < jEnd; j++) c[cRow + j] = (c[cRow + j]! + Math.imul(aik, b[bRow + j]!)) | 0;
          }
        }
      }
    }
  }
}

/** Writes the transpose of the R×C row-major matrix at `src[off..]` into `dst` (C×R), in tiles. */
function packTranspose(src: TypedArray, off: number, R: number, C: number, dst: TypedArray): void {
  for (let r0 = 0; r0 < R; r0 += BLOCK) {
    const rEnd = Math.min(r0 + BLOCK, R);
    for (let c0 = 0; c0 < C; c0 += BLOCK) {
      const cEnd = Math.min(c0 + BLOCK, C);
      for (let r = r0; r < rEnd; r++) {
        const s = off + r * C;
        for (let c = c0; c < cEnd; c++) dst[c * R + r] = src[s + c]!;
      }
    }
  }
}

function sameType(x: TypedArray, n: number): TypedArray {
  if (x instanceof Float32Array) return new Float32Array(n);
  if (x instanceof Float64Array) return new Float64Array(n);
  if (x instanceof Int32Array) return new Int32Array(n);
  return new Uint8Array(n);
}

/** Builds the linalg kernels over a CPU context. @internal */
export function linalgKernels(ctx: CpuContext): Record<string, Kernel> {
  const kernels: Record<string, Kernel> = {};

  kernels['matmul'] = ({ inputs, attrs, outputs }) => {
    const A = inputs[0]!;
    const B = inputs[1]!;
    const out = outputs[0]!;
    const tA = attrs['transposeA'] === true;
    const tB = attrs['transposeB'] === true;
    const [id, o] = ctx.alloc(out);
    const ra = A.shape.length;
    const rb = B.shape.length;
    const M = tA ? A.shape[ra - 1]! : A.shape[ra - 2]!;
    const K = tA ? A.shape[ra - 2]! : A.shape[ra - 1]!;
    const N = tB ? B.shape[rb - 2]! : B.shape[rb - 1]!;
    if (o.length === 0 || K === 0) return id; // empty result, or sums of nothing: zeros
    const a = ctx.get(A.dataId);
    const b = ctx.get(B.dataId);
    const aBatch = A.shape.slice(0, -2);
    const bBatch = B.shape.slice(0, -2);
    const outBatch = out.shape.slice(0, -2);
    let nb = sizeOf(outBatch);
    let rows = M;
    // b is one matrix shared by every batch and a needs no transpose: one tall product
    if (!tA && sizeOf(bBatch) === 1 && sizeOf(aBatch) === nb) {
      rows = M * nb;
      nb = 1;
    }
    const aMat = M * K;
    const bMat = K * N;
    const cMat = rows * N;
    const aIdx = nb === 1 ? null : broadcastIndex(aBatch, outBatch);
    const bIdx = nb === 1 ? null : broadcastIndex(bBatch, outBatch);
    // a 1×K or K×1 matrix has the same layout transposed or not: no packing needed
    const packA = tA && M > 1 ? sameType(a, aMat) : null;
    const packB = tB && N > 1 ? sameType(b, bMat) : null;
    let packedA = -1;
    let packedB = -1;
    const isInt = o instanceof Int32Array;
    const acc = isInt || o instanceof Float64Array ? null : new Float64Array(cMat);
    for (let bi = 0; bi < nb; bi++) {
      const aM = aIdx === null ? 0 : aIdx[bi]!;
      const bM = bIdx === null ? 0 : bIdx[bi]!;
      let aSrc: TypedArray = a;
      let aOff = aM * aMat;
      if (packA !== null) {
        if (packedA !== aM) packTranspose(a, aOff, K, M, packA);
        packedA = aM;
        aSrc = packA;
        aOff = 0;
      }
      let bSrc: TypedArray = b;
      let bOff = bM * bMat;
      if (packB !== null) {
        if (packedB !== bM) packTranspose(b, bOff, N, K, packB);
        packedB = bM;
        bSrc = packB;
        bOff = 0;
      }
      const cOff = bi * cMat;
      if (isInt) gemmInt(aSrc, aOff, bSrc, bOff, o, cOff, rows, K, N);
      else if (acc === null) gemmFloat(aSrc, aOff, bSrc, bOff, o as Float64Array, cOff, rows, K, N);
      else {
        if (bi > 0) acc.fill(0);
        gemmFloat(aSrc, aOff, bSrc, bOff, acc, 0, rows, K, N);
        o.set(acc, cOff);
      }
    }
    return id;
  };

  return kernels;
}
