/**
 * Fast paths for depthwise convolution and average pooling, over the TypeScript reference kernels.
 *
 * The WebAssembly kernels (`wasm/pool.ts`) read the geometry as tap lists: for each result row
 * and each result column, the in-bounds source rows / columns that feed it, as byte offsets of
 * the source and of the weight. The lists are built here from `conv2dGeometry` /
 * `pool2dGeometry`, so padding, stride and dilation never reach the inner loops. Channel
 * multipliers above 1 run on `M`-fold expanded channels (and the input gradient sums them back).
 * The filter gradient sums one partial per chunk of output rows afterwards in chunk order, and the
 * chunks depend only on the shapes, so results do not depend on the thread count or scheduling.
 *
 * float32 only, and only when the work is large enough to win; everything else runs the
 * reference kernel.
 *
 * @module
 * @internal
 */
import { conv2dGeometry, pool2dGeometry, type Conv2DGeometry, type Conv2DGeometryOptions, type Kernel, type KernelArgs, type PoolOptions } from '@tessera/core';
import type { CpuContext } from '../context.js';
import type { WasmRuntime } from '../wasm/runtime.js';
import { withFallback } from './staging.js';

/** Depthwise convolutions (and their gradients) with fewer multiply-adds than this run in TypeScript. */
export const DW_MIN_MACS = 4096;
/** Average pooling (and its gradient) over fewer window cells in all than this runs in TypeScript. */
export const AVG_MIN_CELLS = 2048;
/** Work (multiply-adds or window cells) from which a kernel uses the worker threads. */
const PARALLEL_WORK = 1 << 17;
/** Work per chunk the row bands aim for. */
const CHUNK_WORK = 1 << 15;
/** At most this many partials for the filter gradient. */
const MAX_PARTIALS = 256;

/**
 * Tap lists along one axis: the taps of result index `p` are entries `[starts[p], starts[p + 1])`
 * of `ent`, each a pair (weight byte offset, source byte offset).
 * @internal
 */
export interface Taps {
  readonly starts: Int32Array;
  readonly ent: Int32Array;
}

/**
 * Output-side taps: for each output index `o < nOut`, the filter taps `f < F` whose input index
 * `i = o * stride - pad + f * dil` lies in `[0, nIn)`, as `(f * fBytes, i * iBytes)`.
 * @internal
 */
export function outputTaps(nOut: number, nIn: number, F: number, stride: number, dil: number, pad: number, fBytes: number, iBytes: number): Taps {
  const starts = new Int32Array(nOut + 1);
  const ent: number[] = [];
  for (let o = 0; o < nOut; o++) {
    starts[o] = ent.length >> 1;
    for (let f = 0; f < F; f++) {
      const i = o * stride - pad + f * dil;
      if (i >= 0 && i < nIn) ent.push(f * fBytes, i * iBytes);
    }
  }
  starts[nOut] = ent.length >> 1;
  return { starts, ent: Int32Array.from(ent) };
}

/**
 * Input-side taps (the adjoint): for each input index `i < nIn`, the pairs (filter tap `f`,
 * output index `o < nOut`) with `o * stride - pad + f * dil = i`, as
 * `(f * fBytes + o * oWBytes, o * oBytes)`.
 * @internal
 */
export function inputTaps(nIn: number, nOut: number, F: number, stride: number, dil: number, pad: number, fBytes: number, oWBytes: number, oBytes: number): Taps {
  const starts = new Int32Array(nIn + 1);
  const ent: number[] = [];
  for (let i = 0; i < nIn; i++) {
    starts[i] = ent.length >> 1;
    for (let f = 0; f < F; f++) {
      const t = i + pad - f * dil;
      if (t < 0 || t % stride !== 0) continue;
      const o = t / stride;
      if (o < nOut) ent.push(f * fBytes + o * oWBytes, o * oBytes);
    }
  }
  starts[nIn] = ent.length >> 1;
  return { starts, ent: Int32Array.from(ent) };
}

/**
 * For the filter gradient: per filter column `fw < F`, the output columns `[o0, o1)` whose input
 * column `o * stride - pad + fw * dil` is in `[0, nIn)`, as words
 * `(o0, o1, inputColumn(o0) * kBytes, fw * kBytes)`.
 * @internal
 */
export function filterColumns(nOut: number, nIn: number, F: number, stride: number, dil: number, pad: number, kBytes: number): Int32Array {
  const t = new Int32Array(F * 4);
  for (let f = 0; f < F; f++) {
    // o * stride >= pad - f * dil  and  o * stride <= nIn - 1 + pad - f * dil
    const lo = Math.max(0, Math.ceil((pad - f * dil) / stride));
    const hi = Math.min(nOut, Math.floor((nIn - 1 + pad - f * dil) / stride) + 1);
    const o1 = Math.max(lo, hi);
    t[f * 4] = lo;
    t[f * 4 + 1] = o1;
    t[f * 4 + 2] = (lo * stride - pad + f * dil) * kBytes;
    t[f * 4 + 3] = f * kBytes;
  }
  return t;
}

/** Heap words the tables of `rows` and `cols` take. */
function tapWords(rows: Taps, cols: Taps): number {
  return rows.starts.length + cols.starts.length + rows.ent.length + cols.ent.length;
}

/**
 * Writes the tables at `base` (allocated with {@link tapWords} words; call after the last
 * allocation of the kernel, as growing a non-shared memory replaces its views). Returns the
 * addresses of the row and column index arrays, which hold entry offsets from `base`.
 */
function writeTaps(rt: WasmRuntime, base: number, rows: Taps, cols: Taps): [number, number] {
  const i32 = rt.i32;
  const rowIdx = base;
  const colIdx = rowIdx + rows.starts.length * 4;
  const rowEnt = colIdx + cols.starts.length * 4;
  const colEnt = rowEnt + rows.ent.length * 4;
  for (let p = 0; p < rows.starts.length; p++) i32[(rowIdx >> 2) + p] = rowEnt - base + rows.starts[p]! * 8;
  for (let q = 0; q < cols.starts.length; q++) i32[(colIdx >> 2) + q] = colEnt - base + cols.starts[q]! * 8;
  i32.set(rows.ent, rowEnt >> 2);
  i32.set(cols.ent, colEnt >> 2);
  return [rowIdx, colIdx];
}

/** Result rows per chunk for rows of `rowWork` each, out of `rows` in all. */
function rowsPerChunk(rowWork: number, rows: number): number {
  return Math.min(rows, Math.max(1, Math.ceil(CHUNK_WORK / Math.max(rowWork, 1))));
}

/** The number of taps in all (sum of list lengths) of an axis. */
function tapCount(t: Taps): number {
  return t.ent.length >> 1;
}

/**
 * Runs a row kernel (`dw_conv`, `avgpool_fwd`, `avgpool_bwd`) over `rowsAll = batch * P` result
 * rows of `Q` pixels of `K` channels.
 */
function runRows(rt: WasmRuntime, name: string, src: number, w: number, out: number, K: number, srcImage: number, P: number, Q: number, rowIdx: number, colIdx: number, rowsAll: number, rowWork: number, threads: number): void {
  const rpc = rowsPerChunk(rowWork, rowsAll);
  rt.args([src, w, out, K * 4, srcImage, P, Q, rowIdx, colIdx, rpc, rowsAll, 0, 0, rowIdx]);
  rt.run(name, Math.ceil(rowsAll / rpc), threads);
}

/** `dw_expand` / `dw_group_sum` over `pixels` pixels of `C` channel groups of `M`. */
function runGroups(rt: WasmRuntime, name: string, src: number, dst: number, C: number, M: number, pixels: number, threads: number): void {
  const per = Math.max(1, Math.ceil(CHUNK_WORK / (C * M)));
  rt.args([src, dst, C, M, pixels, per]);
  rt.run(name, Math.ceil(pixels / per), threads);
}

function depthwiseGeometry(args: KernelArgs, name: string): Conv2DGeometry {
  const { inputs, attrs } = args;
  const opts = { ...attrs, depthwise: true } as Conv2DGeometryOptions;
  if (name === 'depthwiseConv2d') return conv2dGeometry(inputs[0]!.shape, inputs[1]!.shape, opts, name);
  if (name === 'depthwiseConv2dBackpropInput') return conv2dGeometry(attrs['inputShape'] as number[], inputs[1]!.shape, opts, name);
  return conv2dGeometry(inputs[0]!.shape, attrs['filterShape'] as number[], opts, name);
}

function depthwiseMacs(g: Conv2DGeometry): number {
  return g.batch * g.outHeight * g.outWidth * g.outChannels * g.filterHeight * g.filterWidth;
}

type DwName = 'depthwiseConv2d' | 'depthwiseConv2dBackpropInput' | 'depthwiseConv2dBackpropFilter';

/** depthwiseConv2d and its two gradients. */
function depthwiseKernel(ctx: CpuContext, rt: WasmRuntime, ref: Kernel, name: DwName): Kernel {
  return (args) => {
    const out = args.outputs[0]!;
    if (out.dtype !== 'float32') return ref(args);
    const g = depthwiseGeometry(args, name);
    const macs = depthwiseMacs(g);
    if (macs < DW_MIN_MACS || g.outHeight * g.outWidth === 0 || g.inChannels === 0 || g.batch === 0) return ref(args);
    const { batch: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: K, filterHeight: FH, filterWidth: FW } = g;
    const M = K / C;
    const threads = macs >= PARALLEL_WORK ? ctx.threads : 1;
    return withFallback(ctx, rt, args, ref, (s) => {
      const a = s.input(args.inputs[0]!);
      const b = s.input(args.inputs[1]!);
      const [id, o] = s.output(out);
      if (s.failed) return id;
      if (name === 'depthwiseConv2d') {
        const rows = outputTaps(OH, H, FH, g.strideHeight, g.dilationHeight, g.padTop, FW * K * 4, W * K * 4);
        const cols = outputTaps(OW, W, FW, g.strideWidth, g.dilationWidth, g.padLeft, K * 4, K * 4);
        const xe = M > 1 ? s.temp(B * H * W * K * 4) : a;
        const tab = s.temp(tapWords(rows, cols) * 4);
        if (xe < 0 || tab < 0) {
          s.failed = true;
          return id;
        }
        const [rowIdx, colIdx] = writeTaps(rt, tab, rows, cols);
        if (M > 1) runGroups(rt, 'dw_expand', a, xe, C, M, B * H * W, threads);
        runRows(rt, 'dw_conv', xe, b, o, K, H * W * K * 4, OH, OW, rowIdx, colIdx, B * OH, (tapCount(rows) / OH) * tapCount(cols) * K, threads);
      } else if (name === 'depthwiseConv2dBackpropInput') {
        // dx[ih, iw, k] = sum over the output pixels whose window covers it of dy * w
        const rows = inputTaps(H, OH, FH, g.strideHeight, g.dilationHeight, g.padTop, FW * K * 4, 0, OW * K * 4);
        const cols = inputTaps(W, OW, FW, g.strideWidth, g.dilationWidth, g.padLeft, K * 4, 0, K * 4);
        const dxe = M > 1 ? s.temp(B * H * W * K * 4) : o;
        const tab = s.temp(tapWords(rows, cols) * 4);
        if (dxe < 0 || tab < 0) {
          s.failed = true;
          return id;
        }
        const [rowIdx, colIdx] = writeTaps(rt, tab, rows, cols);
        runRows(rt, 'dw_conv', a, b, dxe, K, OH * OW * K * 4, H, W, rowIdx, colIdx, B * H, (tapCount(rows) / Math.max(H, 1)) * tapCount(cols) * K, threads);
        if (M > 1) runGroups(rt, 'dw_group_sum', dxe, o, C, M, B * H * W, threads);
      } else {
        // partial[chunk][fh, fw, k] = sum over the chunk's output pixels of x * dy, then summed in chunk order
        const rows = outputTaps(OH, H, FH, g.strideHeight, g.dilationHeight, g.padTop, FW * K * 4, W * K * 4);
        const fwTab = filterColumns(OW, W, FW, g.strideWidth, g.dilationWidth, g.padLeft, K * 4);
        const none: Taps = { starts: new Int32Array(1), ent: new Int32Array(0) };
        const rowsAll = B * OH;
        const rowWork = (tapCount(rows) / OH) * OW * FW * K;
        const rpc = Math.max(rowsPerChunk(rowWork, rowsAll), Math.ceil(rowsAll / MAX_PARTIALS));
        const parts = Math.ceil(rowsAll / rpc);
        const n = FH * FW * K;
        const stride = Math.ceil(n / 4) * 16;
        const xe = M > 1 ? s.temp(B * H * W * K * 4) : a;
        const partials = s.temp(parts * stride);
        const tab = s.temp((tapWords(rows, none) + fwTab.length) * 4);
        if (xe < 0 || partials < 0 || tab < 0) {
          s.failed = true;
          return id;
        }
        const [rowIdx] = writeTaps(rt, tab, rows, none);
        const fwAt = tab + tapWords(rows, none) * 4;
        rt.i32.set(fwTab, fwAt >> 2);
        if (M > 1) runGroups(rt, 'dw_expand', a, xe, C, M, B * H * W, threads);
        rt.args([xe, 0, partials, K * 4, H * W * K * 4, OH, OW, rowIdx, fwAt, rpc, rowsAll, b, stride, tab, FW, g.strideWidth * K * 4]);
        rt.run('dw_filter', parts, threads);
        rt.args([o, partials, n, parts, stride]);
        rt.run('gemm_reduce_partials', Math.ceil(n / 4096), n * parts >= PARALLEL_WORK ? threads : 1);
      }
      return id;
    });
  };
}

/** avgPool and avgPoolGrad: the mean over the in-bounds cells of each window, and its adjoint. */
function avgPoolKernel(ctx: CpuContext, rt: WasmRuntime, ref: Kernel, grad: boolean): Kernel {
  return (args) => {
    const { inputs, attrs, outputs } = args;
    const out = outputs[0]!;
    if (out.dtype !== 'float32') return ref(args);
    const name = grad ? 'avgPoolGrad' : 'avgPool';
    const xShape = grad ? (attrs['inputShape'] as number[]) : inputs[0]!.shape;
    const g = pool2dGeometry(xShape, attrs as unknown as PoolOptions, name);
    const { batch: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW } = g;
    const cells = B * OH * OW * C * FH * FW;
    if (cells < AVG_MIN_CELLS || OH * OW === 0 || C === 0 || B === 0 || H * W === 0) return ref(args);
    const threads = cells >= PARALLEL_WORK ? ctx.threads : 1;
    return withFallback(ctx, rt, args, ref, (s) => {
      const src = s.input(inputs[0]!);
      const [id, o] = s.output(out);
      if (s.failed) return id;
      if (!grad) {
        const rows = outputTaps(OH, H, FH, g.strideHeight, 1, g.padTop, 0, W * C * 4);
        const cols = outputTaps(OW, W, FW, g.strideWidth, 1, g.padLeft, 0, C * 4);
        const tab = s.temp(tapWords(rows, cols) * 4);
        if (tab < 0) {
          s.failed = true;
          return id;
        }
        const [rowIdx, colIdx] = writeTaps(rt, tab, rows, cols);
        runRows(rt, 'avgpool_fwd', src, 0, o, C, H * W * C * 4, OH, OW, rowIdx, colIdx, B * OH, (tapCount(rows) / OH) * tapCount(cols) * C, threads);
      } else {
        // dx[ih, iw, c] = sum over the windows (oh, ow) covering it of dy[oh, ow, c] / count(oh, ow);
        // the weight offsets index a table of 1 / count per output cell
        const rows = inputTaps(H, OH, FH, g.strideHeight, 1, g.padTop, 0, OW * 4, OW * C * 4);
        const cols = inputTaps(W, OW, FW, g.strideWidth, 1, g.padLeft, 0, 4, C * 4);
        const outRows = outputTaps(OH, H, FH, g.strideHeight, 1, g.padTop, 0, 0);
        const outCols = outputTaps(OW, W, FW, g.strideWidth, 1, g.padLeft, 0, 0);
        const tab = s.temp(tapWords(rows, cols) * 4);
        const inv = s.temp(OH * OW * 4);
        if (tab < 0 || inv < 0) {
          s.failed = true;
          return id;
        }
        const [rowIdx, colIdx] = writeTaps(rt, tab, rows, cols);
        const f32 = rt.f32;
        for (let oh = 0; oh < OH; oh++) {
          const rc = outRows.starts[oh + 1]! - outRows.starts[oh]!;
          for (let ow = 0; ow < OW; ow++) {
            const count = rc * (outCols.starts[ow + 1]! - outCols.starts[ow]!);
            f32[(inv >> 2) + oh * OW + ow] = count > 0 ? 1 / count : 0;
          }
        }
        runRows(rt, 'avgpool_bwd', src, inv, o, C, OH * OW * C * 4, H, W, rowIdx, colIdx, B * H, (tapCount(rows) / H) * tapCount(cols) * C, threads);
      }
      return id;
    });
  };
}

/** Builds the pooling and depthwise fast kernels; `reference` holds the kernels they fall back to. */
export function poolFastKernels(ctx: CpuContext, rt: WasmRuntime, reference: Record<string, Kernel>): Record<string, Kernel> {
  const out: Record<string, Kernel> = {};
  for (const name of ['depthwiseConv2d', 'depthwiseConv2dBackpropInput', 'depthwiseConv2dBackpropFilter'] as const) {
    const ref = reference[name];
    if (ref !== undefined) out[name] = depthwiseKernel(ctx, rt, ref, name);
  }
  if (reference['avgPool'] !== undefined) out['avgPool'] = avgPoolKernel(ctx, rt, reference['avgPool'], false);
  if (reference['avgPoolGrad'] !== undefined) out['avgPoolGrad'] = avgPoolKernel(ctx, rt, reference['avgPoolGrad'], true);
  return out;
}
