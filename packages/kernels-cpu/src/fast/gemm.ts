/**
 * Drives the WebAssembly GEMM (see `wasm/gemm.ts`): chooses block sizes, packs B, allocates
 * per-thread scratch, and runs the chunks of a product, a convolution or one of its gradients.
 * Every pointer is a byte offset in the runtime's memory; every matrix is float32.
 *
 * @module
 * @internal
 */
import type { Conv2DGeometry } from '@tessera/core';
import { D, MODE, MR, NR } from '../wasm/gemm.js';
import { ZERO, type WasmRuntime } from '../wasm/runtime.js';

/** Products with fewer flops than this run on the calling thread only. */
const PARALLEL_FLOPS = 1 << 21;
const KC_MAX = 256;
const MC_MAX = 64;
const NC_MAX = 256;
/** Products with at most this many rows read a row-major B in place instead of packing it. */
const DIRECT_B_MAX_M = 16;

const round = (n: number, m: number): number => Math.ceil(n / m) * m;

/** Threads to use for `flops` of work: 1 below the parallel threshold, else up to `maxThreads`. */
function threadsFor(rt: WasmRuntime, flops: number, maxThreads: number): number {
  return flops >= PARALLEL_FLOPS ? Math.max(1, Math.min(maxThreads, rt.threads)) : 1;
}

interface Blocks {
  MC: number;
  NC: number;
  KC: number;
  tilesM: number;
  tilesN: number;
}

/** Block sizes: KC-deep slices, and enough MC×NC tiles to keep every thread busy. */
function blocks(M: number, N: number, K: number, threads: number, kChunks: number): Blocks {
  const kBlocks = Math.max(1, Math.ceil(K / KC_MAX));
  const KC = Math.max(1, Math.ceil(K / kBlocks));
  let MC = Math.min(MC_MAX, round(M, MR));
  let NC = Math.min(NC_MAX, round(N, NR));
  const want = threads > 1 ? 3 * threads : 1;
  const tiles = (): number => Math.ceil(M / MC) * Math.ceil(N / NC) * kChunks;
  while (tiles() < want && MC > 16) MC = Math.max(16, round(MC >> 1, MR));
  while (tiles() < want && NC > 32) NC = Math.max(32, round(NC >> 1, NR));
  return { MC, NC, KC, tilesM: Math.ceil(M / MC), tilesN: Math.ceil(N / NC) };
}

/** Packs B(k, j) at `b + (k * rsB + j * csB) * 4` (K×N) into panels; returns the packed block. */
function packB(rt: WasmRuntime, b: number, rsB: number, csB: number, K: number, N: number, threads: number): number {
  const panels = Math.ceil(N / NR);
  const packed = rt.alloc(panels * K * NR * 4);
  if (packed < 0) return -1;
  const kBlock = 512;
  rt.args([b, rsB, csB, K, N, packed, kBlock]);
  rt.run('gemm_packB_chunk', panels * Math.ceil(K / kBlock), threads);
  return packed;
}

interface Job {
  readonly mode: number;
  readonly a: number;
  readonly rsA: number;
  readonly csA: number;
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly bPacked: number;
  /** Row-major B read in place for its full panels (the partial last panel is in `bPacked`). */
  readonly bDirect?: number;
  readonly c: number;
  readonly ldc: number;
  readonly conv?: Conv2DGeometry;
  readonly segLen?: number;
  readonly table?: number;
  /** Split K over chunks; K slice `k` adds into its own zeroed partial C (`c + k * cTidStride`). */
  readonly splitK?: { readonly cTidStride: number };
}

/** Runs the chunks of a job; returns false when scratch could not be allocated. */
/** How a split-K job cuts K: `kChunks` slices of `kSplit` (one slice when not split). */
function kSlices(K: number, threads: number, split: boolean): { kChunks: number; kSplit: number } {
  if (!split || threads <= 1) return { kChunks: 1, kSplit: K };
  const want = Math.max(1, Math.min(Math.ceil(K / 64), 4 * threads));
  const kSplit = Math.max(1, Math.ceil(K / want));
  return { kChunks: Math.max(1, Math.ceil(K / kSplit)), kSplit };
}

function runJob(rt: WasmRuntime, job: Job, threads: number): boolean {
  const { kChunks, kSplit } = kSlices(job.K, threads, job.splitK !== undefined);
  const bl = blocks(job.M, job.N, job.K, threads, kChunks);
  const KC = Math.min(bl.KC, kSplit);
  const stride = round(bl.MC * KC * 4 + MR * NR * 4, 64);
  const scratch = rt.alloc(stride * threads);
  if (scratch < 0) return false;
  const w = new Array<number>(D.words).fill(0);
  w[D.mode] = job.mode;
  w[D.a] = job.a;
  w[D.rsA] = job.rsA;
  w[D.csA] = job.csA;
  w[D.M] = job.M;
  w[D.N] = job.N;
  w[D.K] = job.K;
  w[D.bPacked] = job.bPacked;
  w[D.bDirect] = job.bDirect ?? 0;
  w[D.firstPacked] = job.bDirect !== undefined ? Math.floor(job.N / NR) : 0;
  w[D.c] = job.c;
  w[D.ldc] = job.ldc;
  w[D.cTidStride] = job.splitK?.cTidStride ?? 0;
  w[D.MC] = bl.MC;
  w[D.NC] = bl.NC;
  w[D.KC] = KC;
  w[D.tilesM] = bl.tilesM;
  w[D.tilesN] = bl.tilesN;
  w[D.kSplit] = kSplit;
  w[D.accumulate] = job.splitK !== undefined ? 1 : 0;
  w[D.scratch] = scratch;
  w[D.scratchStride] = stride;
  const g = job.conv;
  if (g !== undefined) {
    w[D.batch] = g.batch;
    w[D.H] = g.inHeight;
    w[D.W] = g.inWidth;
    w[D.C] = g.inChannels;
    w[D.OH] = g.outHeight;
    w[D.OW] = g.outWidth;
    w[D.FH] = g.filterHeight;
    w[D.FW] = g.filterWidth;
    w[D.sh] = g.strideHeight;
    w[D.sw] = g.strideWidth;
    w[D.dh] = g.dilationHeight;
    w[D.dw] = g.dilationWidth;
    w[D.padTop] = g.padTop;
    w[D.padLeft] = g.padLeft;
    w[D.zero] = ZERO;
    w[D.segLen] = job.segLen ?? 0;
    w[D.table] = job.table ?? 0;
  }
  rt.args(w);
  try {
    rt.run('gemm_chunk', bl.tilesM * bl.tilesN * kChunks, threads);
  } finally {
    rt.free(scratch);
  }
  return true;
}

/**
 * `C[M, N] = A · B` with A(i, k) at `a + (i * rsA + k * csA) * 4` and B(k, j) at
 * `b + (k * rsB + j * csB) * 4`, C row-major with row stride `ldc`. Returns false when the heap
 * could not provide scratch (the caller then uses the TypeScript kernel).
 */
export function gemm(
  rt: WasmRuntime,
  M: number,
  N: number,
  K: number,
  a: number,
  rsA: number,
  csA: number,
  b: number,
  rsB: number,
  csB: number,
  c: number,
  ldc: number,
  maxThreads: number,
): boolean {
  const threads = threadsFor(rt, 2 * M * N * K, maxThreads);
  // With few rows of A, each B panel is used only a few times: packing it would cost as much as
  // the product, so a row-major B is read in place (its partial last panel is packed).
  if (csB === 1 && M <= DIRECT_B_MAX_M) {
    const full = Math.floor(N / NR) * NR;
    const edge = full < N ? packB(rt, b + full * 4, rsB, 1, K, N - full, 1) : 0;
    if (edge < 0) return false;
    try {
      return runJob(rt, { mode: MODE.strided, a, rsA, csA, M, N, K, bPacked: edge, bDirect: b, c, ldc }, threads);
    } finally {
      if (edge > 0) rt.free(edge);
    }
  }
  const bp = packB(rt, b, rsB, csB, K, N, threads);
  if (bp < 0) return false;
  try {
    return runJob(rt, { mode: MODE.strided, a, rsA, csA, M, N, K, bPacked: bp, c, ldc }, threads);
  } finally {
    rt.free(bp);
  }
}

/** Per-tap table for the patch packers: [fh * dh, fw * dw, (fh * dh * W + fw * dw) * C + c]. */
function tapTable(rt: WasmRuntime, g: Conv2DGeometry): number {
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const t = rt.alloc(K * 12);
  if (t < 0) return -1;
  const i32 = rt.i32;
  let o = t >> 2;
  for (let fh = 0; fh < g.filterHeight; fh++) {
    for (let fw = 0; fw < g.filterWidth; fw++) {
      const dy = fh * g.dilationHeight;
      const dx = fw * g.dilationWidth;
      for (let c = 0; c < g.inChannels; c++, o += 3) {
        i32[o] = dy;
        i32[o + 1] = dx;
        i32[o + 2] = (dy * g.inWidth + dx) * g.inChannels + c;
      }
    }
  }
  return t;
}

/** conv2d forward (NHWC, filter [FH, FW, C, OC]) as a GEMM over patches packed on the fly. */
export function convForward(rt: WasmRuntime, g: Conv2DGeometry, x: number, w: number, out: number, maxThreads: number): boolean {
  const M = g.batch * g.outHeight * g.outWidth;
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const N = g.outChannels;
  const threads = threadsFor(rt, 2 * M * N * K, maxThreads);
  const bp = packB(rt, w, N, 1, K, N, threads);
  if (bp < 0) return false;
  // channels in multiples of 4 pack four pixels at a time; other counts go through a tap table
  const vector = g.inChannels % 4 === 0;
  const table = vector ? 0 : tapTable(rt, g);
  try {
    if (table < 0) return false;
    return runJob(rt, { mode: MODE.patches, a: x, rsA: 0, csA: 0, M, N, K, bPacked: bp, c: out, ldc: N, conv: g, segLen: g.inChannels, table }, threads);
  } finally {
    rt.free(bp);
    if (table > 0) rt.free(table);
  }
}

/**
 * conv2d input gradient: each input pixel gathers the dy values its taps reach, a GEMM with
 * the filter transposed per tap (`[FH·FW·OC, C]`). No scatter, so threads never collide.
 */
export function convBackpropInput(rt: WasmRuntime, g: Conv2DGeometry, dy: number, w: number, dx: number, maxThreads: number): boolean {
  const M = g.batch * g.inHeight * g.inWidth;
  const taps = g.filterHeight * g.filterWidth;
  const OC = g.outChannels;
  const C = g.inChannels;
  const K = taps * OC;
  const N = C;
  const threads = threadsFor(rt, 2 * M * N * K, maxThreads);
  const panels = Math.ceil(N / NR);
  const bp = rt.alloc(panels * K * NR * 4);
  if (bp < 0) return false;
  try {
    const pack = rt.fn['gemm_packB']!;
    // rows (tap s, o) of B' are w[s, c, o] over c: a [OC, C] block with rs = 1, cs = OC
    for (let s = 0; s < taps; s++) pack(w + s * C * OC * 4, 1, OC, OC, N, bp, K, s * OC, 0, panels);
    return runJob(rt, { mode: MODE.gather, a: dy, rsA: 0, csA: 0, M, N, K, bPacked: bp, c: dx, ldc: N, conv: g, segLen: OC }, threads);
  } finally {
    rt.free(bp);
  }
}

/**
 * conv2d filter gradient: `dw[tap, o] = sum_p patch[p, tap] * dy[p, o]`, the pixel sum split
 * into slices whose partial sums are added at the end in slice order.
 */
export function convBackpropFilter(rt: WasmRuntime, g: Conv2DGeometry, x: number, dy: number, dw: number, maxThreads: number): boolean {
  const P = g.batch * g.outHeight * g.outWidth;
  const M = g.filterHeight * g.filterWidth * g.inChannels;
  const N = g.outChannels;
  const threads = threadsFor(rt, 2 * M * N * P, maxThreads);
  const bp = packB(rt, dy, N, 1, P, N, threads);
  if (bp < 0) return false;
  const table = tapTable(rt, g);
  const size = M * N * 4;
  const partStride = round(size, 64);
  // one partial sum per K slice, added in slice order at the end: deterministic for any scheduling
  const { kChunks } = kSlices(P, threads, true);
  const split = kChunks > 1;
  const partials = split ? rt.alloc(partStride * kChunks) : -1;
  try {
    if (table < 0 || (split && partials < 0)) return false;
    const target = split ? partials : dw;
    rt.f32.fill(0, target >> 2, (target >> 2) + (split ? (partStride >> 2) * kChunks : M * N));
    const ok = runJob(
      rt,
      { mode: MODE.patchesT, a: x, rsA: 0, csA: 0, M, N, K: P, bPacked: bp, c: target, ldc: N, conv: g, table, splitK: { cTidStride: split ? partStride : 0 } },
      threads,
    );
    if (ok && split) {
      rt.args([dw, partials, M * N, kChunks, partStride]);
      rt.run('gemm_reduce_partials', Math.ceil((M * N) / 4096), threads);
    }
    return ok;
  } finally {
    rt.free(bp);
    if (table > 0) rt.free(table);
    if (partials > 0) rt.free(partials);
  }
}
