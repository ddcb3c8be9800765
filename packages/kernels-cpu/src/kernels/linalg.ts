/**
 * Linear algebra kernels: batched `matmul` with broadcast batch dimensions and transposes.
 *
 * Every product is computed as `C[M,N] = A[M,K] · Bᵀ` with `A` row-major `M×K` and `Bᵀ`
 * row-major `N×K`, so both operands run contiguously along K. Operands not already in that
 * layout (A with `transposeA`, B without `transposeB`) are packed into scratch first, once per
 * distinct batch matrix, so every transpose combination runs the same loop. The loop walks
 * blocks of 64 columns of C; inside a block a 4×4 register tile of C accumulates 16 dot
 * products in JavaScript numbers (float64) and stores each result once, so float32 results
 * are rounded once. int32 products and sums wrap like int32 (Math.imul).
 */
import { sizeOf, type Kernel, type TypedArray } from '@tessera/core';
import type { CpuContext } from '../context.js';
import { broadcastIndex } from './broadcast.js';

const BLOCK = 64;

/**
 * `c[cOff..] = a[aOff..] (M×K) · b[bOff..] (N×K)ᵀ`, row-major, float inputs and output.
 * Tiles of 4×4 outputs, with 4×1, 1×4 and 1×1 tiles at the edges.
 */
function gemmFloat(
  a: TypedArray,
  aOff: number,
  b: TypedArray,
  bOff: number,
  c: TypedArray,
  cOff: number,
  M: number,
  K: number,
  N: number,
): void {
  const M4 = M - (M % 4);
  for (let j0 = 0; j0 < N; j0 += BLOCK) {
    const jEnd = Math.min(j0 + BLOCK, N);
    const jEnd4 = jEnd - ((jEnd - j0) % 4);
    for (let i = 0; i < M4; i += 4) {
      const a0 = aOff + i * K;
      const a1 = a0 + K;
      const a2 = a1 + K;
      const a3 = a2 + K;
      const cRow = cOff + i * N;
      let j = j0;
      for (; j < jEnd4; j += 4) {
        const b0 = bOff + j * K;
        const b1 = b0 + K;
        const b2 = b1 + K;
        const b3 = b2 + K;
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
        for (let k = 0; k < K; k++) {
          const x0 = a[a0 + k]!;
          const x1 = a[a1 + k]!;
          const x2 = a[a2 + k]!;
          const x3 = a[a3 + k]!;
          const y0 = b[b0 + k]!;
          const y1 = b[b1 + k]!;
          const y2 = b[b2 + k]!;
          const y3 = b[b3 + k]!;
          s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
          s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
          s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
          s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
        }
        let o = cRow + j;
        c[o] = s00; c[o + 1] = s01; c[o + 2] = s02; c[o + 3] = s03;
        o += N;
        c[o] = s10; c[o + 1] = s11; c[o + 2] = s12; c[o + 3] = s13;
        o += N;
        c[o] = s20; c[o + 1] = s21; c[o + 2] = s22; c[o + 3] = s23;
        o += N;
        c[o] = s30; c[o + 1] = s31; c[o + 2] = s32; c[o + 3] = s33;
      }
      for (; j < jEnd; j++) {
        const b0 = bOff + j * K;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let k = 0; k < K; k++) {
          const y = b[b0 + k]!;
          s0 += a[a0 + k]! * y;
          s1 += a[a1 + k]! * y;
          s2 += a[a2 + k]! * y;
          s3 += a[a3 + k]! * y;
        }
        const o = cRow + j;
        c[o] = s0;
        c[o + N] = s1;
        c[o + 2 * N] = s2;
        c[o + 3 * N] = s3;
      }
    }
    for (let i = M4; i < M; i++) {
      const a0 = aOff + i * K;
      const cRow = cOff + i * N;
      let j = j0;
      for (; j < jEnd4; j += 4) {
        const b0 = bOff + j * K;
        const b1 = b0 + K;
        const b2 = b1 + K;
        const b3 = b2 + K;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let k = 0; k < K; k++) {
          const x = a[a0 + k]!;
          s0 += x * b[b0 + k]!;
          s1 += x * b[b1 + k]!;
          s2 += x * b[b2 + k]!;
          s3 += x * b[b3 + k]!;
        }
        const o = cRow + j;
        c[o] = s0;
        c[o + 1] = s1;
        c[o + 2] = s2;
        c[o + 3] = s3;
      }
      for (; j < jEnd; j++) {
        const b0 = bOff + j * K;
        let s = 0;
        for (let k = 0; k < K; k++) s += a[a0 + k]! * b[b0 + k]!;
        c[cRow + j] = s;
      }
    }
  }
}

/** The int32 variant of gemmFloat: products and sums wrap like int32. */
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
  for (let j0 = 0; j0 < N; j0 += BLOCK) {
    const jEnd = Math.min(j0 + BLOCK, N);
    for (let i = 0; i < M; i++) {
      const a0 = aOff + i * K;
      const cRow = cOff + i * N;
      for (let j = j0; j < jEnd; j++) {
        const b0 = bOff + j * K;
        let s = 0;
        for (let k = 0; k < K; k++) s = (s + Math.imul(a[a0 + k]!, b[b0 + k]!)) | 0;
        c[cRow + j] = s;
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
    // A must be M×K and B N×K, row-major. A 1×K matrix has the same layout as K×1, so
    // packing is needed only for a transposed A with M > 1 and an untransposed B with N > 1.
    const packA = tA && M > 1 ? sameType(a, aMat) : null;
    const packB = !tB && N > 1 ? sameType(b, bMat) : null;
    let packedA = -1;
    let packedB = -1;
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
        if (packedB !== bM) packTranspose(b, bOff, K, N, packB);
        packedB = bM;
        bSrc = packB;
        bOff = 0;
      }
      if (o instanceof Int32Array) gemmInt(aSrc, aOff, bSrc, bOff, o, bi * cMat, rows, K, N);
      else gemmFloat(aSrc, aOff, bSrc, bOff, o, bi * cMat, rows, K, N);
    }
    return id;
  };

  return kernels;
}
