/**
 * Convolution and pooling kernels (NHWC). Geometry comes from core's `conv2dGeometry` /
 * `pool2dGeometry`, so these kernels and the ops' shape rules always agree.
 *
 * `conv2d` and its two gradients are GEMMs over im2col patches: pixels are processed in chunks
 * whose patch matrix stays in cache, and one float64 micro-kernel computes 4x4 output blocks in
 * registers over packed 4-column panels of the right-hand matrix. Everything accumulates in
 * float64 and rounds once on store. Depthwise convolution and pooling are direct loops with the
 * channel loop innermost (contiguous in NHWC).
 */
import { conv2dGeometry, pool2dGeometry, type Attrs, type Conv2DGeometry, type Conv2DGeometryOptions, type Kernel, type PoolOptions, type TypedArray } from '@tessera/core';
import type { CpuContext } from '../context.js';

/** Target size (in float64 elements) of one chunk of the patch matrix. */
const CHUNK_ELEMS = 16384;

function chunkRows(k: number, total: number): number {
  let rows = Math.floor(CHUNK_ELEMS / Math.max(k, 1));
  rows = Math.max(4, rows - (rows & 3));
  const cap = (total + 3) & ~3;
  return Math.min(rows, Math.max(cap, 4));
}

/**
 * Packs a `[rows, cols]` matrix read as `src[off + r * rs + c * cs]` into panels of 4 columns:
 * `out[(panel * rows + r) * 4 + t] = src(r, panel * 4 + t)`, zero past the last column.
 */
function packPanels(src: TypedArray | Float64Array, off: number, rows: number, cols: number, rs: number, cs: number, out: Float64Array): void {
  const panels = (cols + 3) >> 2;
  for (let p = 0; p < panels; p++) {
    const c0 = p * 4;
    const width = Math.min(4, cols - c0);
    let o = p * rows * 4;
    let s = off + c0 * cs;
    for (let r = 0; r < rows; r++, o += 4, s += rs) {
      out[o] = src[s]!;
      out[o + 1] = width > 1 ? src[s + cs]! : 0;
      out[o + 2] = width > 2 ? src[s + 2 * cs]! : 0;
      out[o + 3] = width > 3 ? src[s + 3 * cs]! : 0;
    }
  }
}

/**
 * `C[m, n] (+)= sum_k A[m, k] * B[k, n]` for `m < M`, `n < N`. `A` is row-major with row length
 * `K` and must hold `ceil(M / 4) * 4` rows (rows past `M` are read but never stored); `B` is
 * packed by {@link packPanels}; `C` is row-major with row length `N`.
 */
function gemm(A: Float64Array, M: number, K: number, B: Float64Array, N: number, C: Float64Array, accumulate: boolean): void {
  const panels = (N + 3) >> 2;
  for (let i = 0; i < M; i += 4) {
    const a0 = i * K;
    const a1 = a0 + K;
    const a2 = a1 + K;
    const a3 = a2 + K;
    const rows = Math.min(4, M - i);
    for (let p = 0; p < panels; p++) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let b = p * K * 4;
      for (let k = 0; k < K; k++, b += 4) {
        const b0 = B[b]!;
        const b1 = B[b + 1]!;
        const b2 = B[b + 2]!;
        const b3 = B[b + 3]!;
        const x0 = A[a0 + k]!;
        c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
        const x1 = A[a1 + k]!;
        c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
        const x2 = A[a2 + k]!;
        c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
        const x3 = A[a3 + k]!;
        c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
      }
      const j = p * 4;
      const cols = Math.min(4, N - j);
      const o = i * N + j;
      store(C, o, cols, c00, c01, c02, c03, accumulate);
      if (rows > 1) store(C, o + N, cols, c10, c11, c12, c13, accumulate);
      if (rows > 2) store(C, o + 2 * N, cols, c20, c21, c22, c23, accumulate);
      if (rows > 3) store(C, o + 3 * N, cols, c30, c31, c32, c33, accumulate);
    }
  }
}

function store(C: Float64Array, o: number, cols: number, v0: number, v1: number, v2: number, v3: number, accumulate: boolean): void {
  if (accumulate) {
    C[o] = C[o]! + v0;
    if (cols > 1) C[o + 1] = C[o + 1]! + v1;
    if (cols > 2) C[o + 2] = C[o + 2]! + v2;
    if (cols > 3) C[o + 3] = C[o + 3]! + v3;
  } else {
    C[o] = v0;
    if (cols > 1) C[o + 1] = v1;
    if (cols > 2) C[o + 2] = v2;
    if (cols > 3) C[o + 3] = v3;
  }
}

/**
 * Writes the patches of output pixels `[p0, p0 + rows)` (flat over batch, outHeight, outWidth).
 * With `transposed` false, patch `r` is row `r` of `A` (`A[r * K + k]`); with `transposed` true it
 * is column `r` (`A[k * rows + r]`). `k = (fh * filterWidth + fw) * inChannels + c`, the row order
 * of a `[fh, fw, inChannels, outChannels]` filter. Padding reads as zero.
 */
function im2col(x: TypedArray, g: Conv2DGeometry, p0: number, rows: number, A: Float64Array, transposed: boolean): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW } = g;
  const K = FH * FW * C;
  const perImage = OH * OW;
  let b = Math.floor(p0 / perImage);
  const rem = p0 - b * perImage;
  let oh = Math.floor(rem / OW);
  let ow = rem - oh * OW;
  // element k of patch r lives at A[r * rStep + k * kStep]
  const rStep = transposed ? 1 : K;
  const kStep = transposed ? rows : 1;
  for (let r = 0; r < rows; r++) {
    const ih0 = oh * g.strideHeight - g.padTop;
    const iw0 = ow * g.strideWidth - g.padLeft;
    const xb = b * H * W * C;
    let a = r * rStep;
    for (let fh = 0; fh < FH; fh++) {
      const ih = ih0 + fh * g.dilationHeight;
      if (ih < 0 || ih >= H) {
        for (let t = FW * C; t > 0; t--, a += kStep) A[a] = 0;
        continue;
      }
      const rowBase = xb + ih * W * C;
      for (let fw = 0; fw < FW; fw++) {
        const iw = iw0 + fw * g.dilationWidth;
        if (iw < 0 || iw >= W) {
          for (let c = 0; c < C; c++, a += kStep) A[a] = 0;
        } else {
          const xo = rowBase + iw * C;
          for (let c = 0; c < C; c++, a += kStep) A[a] = x[xo + c]!;
        }
      }
    }
    if (++ow === OW) {
      ow = 0;
      if (++oh === OH) {
        oh = 0;
        b++;
      }
    }
  }
}

/** The adjoint of {@link im2col} (untransposed): adds patch rows of `D` back into `dx`. */
function col2im(D: Float64Array, g: Conv2DGeometry, p0: number, rows: number, dx: Float64Array): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW } = g;
  const K = FH * FW * C;
  const perImage = OH * OW;
  let b = Math.floor(p0 / perImage);
  const rem = p0 - b * perImage;
  let oh = Math.floor(rem / OW);
  let ow = rem - oh * OW;
  for (let r = 0; r < rows; r++) {
    const ih0 = oh * g.strideHeight - g.padTop;
    const iw0 = ow * g.strideWidth - g.padLeft;
    const xb = b * H * W * C;
    let a = r * K;
    for (let fh = 0; fh < FH; fh++) {
      const ih = ih0 + fh * g.dilationHeight;
      if (ih < 0 || ih >= H) {
        a += FW * C;
        continue;
      }
      const rowBase = xb + ih * W * C;
      for (let fw = 0; fw < FW; fw++, a += C) {
        const iw = iw0 + fw * g.dilationWidth;
        if (iw < 0 || iw >= W) continue;
        const xo = rowBase + iw * C;
        for (let c = 0; c < C; c++) dx[xo + c] = dx[xo + c]! + D[a + c]!;
      }
    }
    if (++ow === OW) {
      ow = 0;
      if (++oh === OH) {
        oh = 0;
        b++;
      }
    }
  }
}

function copyOut(src: Float64Array, dst: TypedArray, dstOff: number, n: number): void {
  for (let i = 0; i < n; i++) dst[dstOff + i] = src[i]!;
}

// ---- conv2d and its gradients ---------------------------------------------------------------

function conv2dForward(x: TypedArray, w: TypedArray, g: Conv2DGeometry, out: TypedArray): void {
  const P = g.batch * g.outHeight * g.outWidth;
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const N = g.outChannels;
  if (P === 0 || N === 0 || K === 0) return;
  const B = new Float64Array(((N + 3) >> 2) * K * 4);
  packPanels(w, 0, K, N, N, 1, B);
  const chunk = chunkRows(K, P);
  const A = new Float64Array(chunk * K);
  const Cb = new Float64Array(chunk * N);
  for (let p0 = 0; p0 < P; p0 += chunk) {
    const rows = Math.min(chunk, P - p0);
    im2col(x, g, p0, rows, A, false);
    gemm(A, rows, K, B, N, Cb, false);
    copyOut(Cb, out, p0 * N, rows * N);
  }
}

function conv2dGradInput(dy: TypedArray, w: TypedArray, g: Conv2DGeometry, out: TypedArray): void {
  const P = g.batch * g.outHeight * g.outWidth;
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const N = g.outChannels;
  if (P === 0 || N === 0 || K === 0) return;
  // dcol[p, k] = sum_o dy[p, o] * w[k, o]: B[o, k] = w[k * N + o]
  const B = new Float64Array(((K + 3) >> 2) * N * 4);
  packPanels(w, 0, N, K, 1, N, B);
  const chunk = chunkRows(Math.max(K, N), P);
  const A = new Float64Array(chunk * N);
  const D = new Float64Array(chunk * K);
  const dx = out instanceof Float64Array ? out : new Float64Array(out.length);
  for (let p0 = 0; p0 < P; p0 += chunk) {
    const rows = Math.min(chunk, P - p0);
    const s = p0 * N;
    for (let i = 0, n = rows * N; i < n; i++) A[i] = dy[s + i]!;
    gemm(A, rows, N, B, K, D, false);
    col2im(D, g, p0, rows, dx);
  }
  if (dx !== out) copyOut(dx, out, 0, dx.length);
}

function conv2dGradFilter(x: TypedArray, dy: TypedArray, g: Conv2DGeometry, out: TypedArray): void {
  const P = g.batch * g.outHeight * g.outWidth;
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const N = g.outChannels;
  if (P === 0 || N === 0 || K === 0) return;
  const dw = out instanceof Float64Array ? out : new Float64Array(out.length);
  const chunk = chunkRows(Math.max(K, N), P);
  const K4 = (K + 3) & ~3;
  const A = new Float64Array(K4 * chunk);
  const B = new Float64Array(((N + 3) >> 2) * chunk * 4);
  for (let p0 = 0; p0 < P; p0 += chunk) {
    const rows = Math.min(chunk, P - p0);
    // dw[k, o] += sum_p patch[p, k] * dy[p, o]: A = patches transposed [K, rows], B = dy rows
    im2col(x, g, p0, rows, A, true);
    packPanels(dy, p0 * N, rows, N, N, 1, B);
    gemm(A, K, rows, B, N, dw, true);
  }
  if (dw !== out) copyOut(dw, out, 0, dw.length);
}

// ---- depthwise ------------------------------------------------------------------------------

function depthwiseForward(x: TypedArray, w: TypedArray, g: Conv2DGeometry, out: TypedArray): void {
  const { batch, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW } = g;
  const OC = g.outChannels;
  const M = C === 0 ? 0 : OC / C;
  const acc = new Float64Array(OC);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const xb = b * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * g.strideHeight - g.padTop;
      for (let ow = 0; ow < OW; ow++, o += OC) {
        const iw0 = ow * g.strideWidth - g.padLeft;
        acc.fill(0);
        for (let fh = 0; fh < FH; fh++) {
          const ih = ih0 + fh * g.dilationHeight;
          if (ih < 0 || ih >= H) continue;
          for (let fw = 0; fw < FW; fw++) {
            const iw = iw0 + fw * g.dilationWidth;
            if (iw < 0 || iw >= W) continue;
            const xo = xb + (ih * W + iw) * C;
            const wo = (fh * FW + fw) * OC;
            if (M === 1) {
              for (let c = 0; c < C; c++) acc[c] = acc[c]! + x[xo + c]! * w[wo + c]!;
            } else {
              for (let c = 0, q = 0; c < C; c++) {
                const xv = x[xo + c]!;
                for (let m = 0; m < M; m++, q++) acc[q] = acc[q]! + xv * w[wo + q]!;
              }
            }
          }
        }
        for (let q = 0; q < OC; q++) out[o + q] = acc[q]!;
      }
    }
  }
}

function depthwiseGradInput(dy: TypedArray, w: TypedArray, g: Conv2DGeometry, out: TypedArray): void {
  const { batch, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW } = g;
  const OC = g.outChannels;
  const M = C === 0 ? 0 : OC / C;
  const dx = out instanceof Float64Array ? out : new Float64Array(out.length);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const xb = b * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * g.strideHeight - g.padTop;
      for (let ow = 0; ow < OW; ow++, o += OC) {
        const iw0 = ow * g.strideWidth - g.padLeft;
        for (let fh = 0; fh < FH; fh++) {
          const ih = ih0 + fh * g.dilationHeight;
          if (ih < 0 || ih >= H) continue;
          for (let fw = 0; fw < FW; fw++) {
            const iw = iw0 + fw * g.dilationWidth;
            if (iw < 0 || iw >= W) continue;
            const xo = xb + (ih * W + iw) * C;
            const wo = (fh * FW + fw) * OC;
            for (let c = 0, q = 0; c < C; c++) {
              let s = 0;
              for (let m = 0; m < M; m++, q++) s += dy[o + q]! * w[wo + q]!;
              dx[xo + c] = dx[xo + c]! + s;
            }
          }
        }
      }
    }
  }
  if (dx !== out) copyOut(dx, out, 0, dx.length);
}

function depthwiseGradFilter(x: TypedArray, dy: TypedArray, g: Conv2DGeometry, out: TypedArray): void {
  const { batch, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW } = g;
  const OC = g.outChannels;
  const M = C === 0 ? 0 : OC / C;
  const dw = out instanceof Float64Array ? out : new Float64Array(out.length);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const xb = b * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * g.strideHeight - g.padTop;
      for (let ow = 0; ow < OW; ow++, o += OC) {
        const iw0 = ow * g.strideWidth - g.padLeft;
        for (let fh = 0; fh < FH; fh++) {
          const ih = ih0 + fh * g.dilationHeight;
          if (ih < 0 || ih >= H) continue;
          for (let fw = 0; fw < FW; fw++) {
            const iw = iw0 + fw * g.dilationWidth;
            if (iw < 0 || iw >= W) continue;
            const xo = xb + (ih * W + iw) * C;
            const wo = (fh * FW + fw) * OC;
            for (let c = 0, q = 0; c < C; c++) {
              const xv = x[xo + c]!;
              for (let m = 0; m < M; m++, q++) dw[wo + q] = dw[wo + q]! + xv * dy[o + q]!;
            }
          }
        }
      }
    }
  }
  if (dw !== out) copyOut(dw, out, 0, dw.length);
}

// ---- pooling --------------------------------------------------------------------------------

function maxPoolForward(x: TypedArray, g: Conv2DGeometry, out: TypedArray, dy: TypedArray | null, dx: Float64Array | null): void {
  const { batch, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW } = g;
  const best = new Float64Array(C);
  const arg = new Int32Array(C);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const xb = b * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * g.strideHeight - g.padTop;
      for (let ow = 0; ow < OW; ow++, o += C) {
        const iw0 = ow * g.strideWidth - g.padLeft;
        let first = true;
        for (let fh = 0; fh < FH; fh++) {
          const ih = ih0 + fh;
          if (ih < 0 || ih >= H) continue;
          for (let fw = 0; fw < FW; fw++) {
            const iw = iw0 + fw;
            if (iw < 0 || iw >= W) continue;
            const xo = xb + (ih * W + iw) * C;
            if (first) {
              for (let c = 0; c < C; c++) {
                best[c] = x[xo + c]!;
                arg[c] = xo + c;
              }
              first = false;
            } else {
              for (let c = 0; c < C; c++) {
                const v = x[xo + c]!;
                const m = best[c]!;
                // strictly greater keeps the first maximum; the first NaN wins and stays
                if (v > m || (v !== v && m === m)) {
                  best[c] = v;
                  arg[c] = xo + c;
                }
              }
            }
          }
        }
        if (dx === null) {
          for (let c = 0; c < C; c++) out[o + c] = best[c]!;
        } else if (!first) {
          for (let c = 0; c < C; c++) {
            const a = arg[c]!;
            dx[a] = dx[a]! + dy![o + c]!;
          }
        }
      }
    }
  }
}

function avgPoolLoop(src: TypedArray, g: Conv2DGeometry, dst: TypedArray | Float64Array, backward: boolean): void {
  const { batch, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW } = g;
  const acc = new Float64Array(C);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const xb = b * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * g.strideHeight - g.padTop;
      const h0 = Math.max(ih0, 0);
      const h1 = Math.min(ih0 + FH, H);
      for (let ow = 0; ow < OW; ow++, o += C) {
        const iw0 = ow * g.strideWidth - g.padLeft;
        const w0 = Math.max(iw0, 0);
        const w1 = Math.min(iw0 + FW, W);
        const count = (h1 - h0) * (w1 - w0);
        if (count <= 0) continue;
        const inv = 1 / count;
        if (backward) {
          for (let c = 0; c < C; c++) acc[c] = src[o + c]! * inv;
          for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0; iw < w1; iw++) {
              const xo = xb + (ih * W + iw) * C;
              for (let c = 0; c < C; c++) dst[xo + c] = dst[xo + c]! + acc[c]!;
            }
          }
        } else {
          acc.fill(0);
          for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0; iw < w1; iw++) {
              const xo = xb + (ih * W + iw) * C;
              for (let c = 0; c < C; c++) acc[c] = acc[c]! + src[xo + c]!;
            }
          }
          for (let c = 0; c < C; c++) dst[o + c] = acc[c]! / count;
        }
      }
    }
  }
}

// ---- registration ---------------------------------------------------------------------------

function shapeAttr(attrs: Attrs, key: string): number[] {
  return attrs[key] as number[];
}

/** Builds the conv kernels over a CPU context. @internal */
export function convKernels(ctx: CpuContext): Record<string, Kernel> {
  return {
    conv2d: ({ inputs, attrs, outputs }) => {
      const [x, f] = inputs as [(typeof inputs)[0], (typeof inputs)[0]];
      const g = conv2dGeometry(x.shape, f.shape, attrs as Conv2DGeometryOptions, 'conv2d');
      const [id, out] = ctx.alloc(outputs[0]!);
      conv2dForward(ctx.get(x.dataId), ctx.get(f.dataId), g, out);
      return id;
    },
    conv2dBackpropInput: ({ inputs, attrs, outputs }) => {
      const [dy, f] = inputs as [(typeof inputs)[0], (typeof inputs)[0]];
      const g = conv2dGeometry(shapeAttr(attrs, 'inputShape'), f.shape, attrs as Conv2DGeometryOptions, 'conv2dBackpropInput');
      const [id, out] = ctx.alloc(outputs[0]!);
      conv2dGradInput(ctx.get(dy.dataId), ctx.get(f.dataId), g, out);
      return id;
    },
    conv2dBackpropFilter: ({ inputs, attrs, outputs }) => {
      const [x, dy] = inputs as [(typeof inputs)[0], (typeof inputs)[0]];
      const g = conv2dGeometry(x.shape, shapeAttr(attrs, 'filterShape'), attrs as Conv2DGeometryOptions, 'conv2dBackpropFilter');
      const [id, out] = ctx.alloc(outputs[0]!);
      conv2dGradFilter(ctx.get(x.dataId), ctx.get(dy.dataId), g, out);
      return id;
    },
    depthwiseConv2d: ({ inputs, attrs, outputs }) => {
      const [x, f] = inputs as [(typeof inputs)[0], (typeof inputs)[0]];
      const g = conv2dGeometry(x.shape, f.shape, { ...attrs, depthwise: true }, 'depthwiseConv2d');
      const [id, out] = ctx.alloc(outputs[0]!);
      depthwiseForward(ctx.get(x.dataId), ctx.get(f.dataId), g, out);
      return id;
    },
    depthwiseConv2dBackpropInput: ({ inputs, attrs, outputs }) => {
      const [dy, f] = inputs as [(typeof inputs)[0], (typeof inputs)[0]];
      const g = conv2dGeometry(shapeAttr(attrs, 'inputShape'), f.shape, { ...attrs, depthwise: true }, 'depthwiseConv2dBackpropInput');
      const [id, out] = ctx.alloc(outputs[0]!);
      depthwiseGradInput(ctx.get(dy.dataId), ctx.get(f.dataId), g, out);
      return id;
    },
    depthwiseConv2dBackpropFilter: ({ inputs, attrs, outputs }) => {
      const [x, dy] = inputs as [(typeof inputs)[0], (typeof inputs)[0]];
      const g = conv2dGeometry(x.shape, shapeAttr(attrs, 'filterShape'), { ...attrs, depthwise: true }, 'depthwiseConv2dBackpropFilter');
      const [id, out] = ctx.alloc(outputs[0]!);
      depthwiseGradFilter(ctx.get(x.dataId), ctx.get(dy.dataId), g, out);
      return id;
    },
    maxPool: ({ inputs, attrs, outputs }) => {
      const x = inputs[0]!;
      const g = pool2dGeometry(x.shape, attrs as unknown as PoolOptions, 'maxPool');
      const [id, out] = ctx.alloc(outputs[0]!);
      maxPoolForward(ctx.get(x.dataId), g, out, null, null);
      return id;
    },
    maxPoolGrad: ({ inputs, attrs, outputs }) => {
      const [dy, x] = inputs as [(typeof inputs)[0], (typeof inputs)[0]];
      const g = pool2dGeometry(x.shape, attrs as unknown as PoolOptions, 'maxPoolGrad');
      const [id, out] = ctx.alloc(outputs[0]!);
      const dx = out instanceof Float64Array ? out : new Float64Array(out.length);
      maxPoolForward(ctx.get(x.dataId), g, out, ctx.get(dy.dataId), dx);
      if (dx !== out) copyOut(dx, out, 0, dx.length);
      return id;
    },
    avgPool: ({ inputs, attrs, outputs }) => {
      const x = inputs[0]!;
      const g = pool2dGeometry(x.shape, attrs as unknown as PoolOptions, 'avgPool');
      const [id, out] = ctx.alloc(outputs[0]!);
      avgPoolLoop(ctx.get(x.dataId), g, out, false);
      return id;
    },
    avgPoolGrad: ({ inputs, attrs, outputs }) => {
      const dy = inputs[0]!;
      const g = pool2dGeometry(shapeAttr(attrs, 'inputShape'), attrs as unknown as PoolOptions, 'avgPoolGrad');
      const [id, out] = ctx.alloc(outputs[0]!);
      const dx = out instanceof Float64Array ? out : new Float64Array(out.length);
      avgPoolLoop(ctx.get(dy.dataId), g, dx, true);
      if (dx !== out) copyOut(dx, out, 0, dx.length);
      return id;
    },
  };
}
