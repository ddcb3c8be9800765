/**
 * WebAssembly kernels for depthwise convolution and average pooling (NHWC, float32, 128-bit SIMD).
 *
 * Every kernel works in "tap list" form. For each row `p` of the result (per image) a list of
 * row taps `(wRow, sRow)` names the source rows that feed it, and for each column `q` a list of
 * column taps `(wCol, sCol)`; the values are byte offsets, computed by the caller from the
 * geometry (padding, stride, dilation), so the kernels hold no bounds checks:
 *
 *   result[p, q, k] = sum over row taps r of p, column taps c of q of
 *                     src[sRow(r) + sCol(c) + 4k] * weight(wRow(r) + wCol(c) (+ 4k))
 *
 * With output-row lists (row `p` = output row, taps = the in-bounds input rows of its window)
 * this is the depthwise forward pass and average pooling; with input-row lists (row `p` = input
 * row, taps = the output rows whose window covers it) it is the depthwise input gradient and the
 * average-pooling gradient. A tap list of row `p` lives at `tab + [rowIdx[p], rowIdx[p + 1])` (byte
 * offsets of 8-byte entries from the table's base), likewise for columns.
 *
 * - `dw_conv`: weight = a vector of `K` floats at `w + wRow + wCol` (depthwise forward and input
 *   gradient, channel multiplier 1; a multiplier `M > 1` runs on `M`-fold expanded channels);
 * - `avgpool_fwd`: no weight; the sum is divided by the number of taps (the in-bounds cells);
 * - `avgpool_bwd`: weight = one float at `w + wRow + wCol` (1 / count of that output cell);
 * - `dw_filter`: the filter gradient of a band of output rows into the band's own partial
 *   `[FH, FW, K]` buffer (summed afterwards by `gemm_reduce_partials` in a fixed order, so the
 *   result does not depend on how chunks were scheduled);
 * - `dw_expand`, `dw_group_sum`: `M`-fold channel expansion (`dst[.., c*M + m] = src[.., c]`) and
 *   its adjoint (`dst[.., c] = sum_m src[.., c*M + m]`), for channel multipliers above 1.
 *
 * Chunks of the row kernels are bands of `rowsPerChunk` consecutive result rows, counted over the
 * whole batch (`row = image * P + p`).
 *
 * @module
 * @internal
 */
import {
  F32,
  I32,
  V128,
  block,
  br,
  brIf,
  f32,
  f32c,
  f32x4,
  forLoop,
  get,
  i32,
  i32c,
  loop,
  seq,
  set,
  v128,
  type Code,
  type FuncBuilder,
  type ModuleBuilder,
} from './emitter.js';

/** The worker-callable functions this file emits, in the order they are emitted. */
export const POOL_EXPORTS: readonly string[] = ['dw_conv', 'avgpool_fwd', 'avgpool_bwd', 'dw_filter', 'dw_expand', 'dw_group_sum'];

/*
 * Argument words of the row kernels (`dw_conv`, `avgpool_fwd`, `avgpool_bwd`, `dw_filter`):
 * 0 src, 1 w, 2 out, 3 K * 4, 4 bytes of one source image, 5 P (result rows per image), 6 Q
 * (result columns), 7 rowIdx, 8 colIdx, 9 rows per chunk, 10 result rows in all (batch * P),
 * 11 dy (`dw_filter` only), 12 bytes per partial (`dw_filter` only, a multiple of 16), 13 the
 * tap table's base address (the index arrays hold entry offsets from it, so the loops compare small
 * numbers, never addresses).
 */

const ZERO4 = v128.const(new Array<number>(16).fill(0));

function locals<K extends string>(f: FuncBuilder, t: typeof I32 | typeof V128 | typeof F32, names: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const n of names) out[n] = f.local(t);
  return out;
}

const min = (a: Code, b: Code): Code => seq(a, b, i32.ltS(a, b), [0x1b]);
const max = (a: Code, b: Code): Code => seq(a, b, i32.gtS(a, b), [0x1b]);

/** `while (cond) { body }`: depth 0 inside `body` is the loop. */
function whileLoop(cond: Code, ...body: Code[]): Code {
  return block(loop(brIf(1, i32.eqz(cond)), ...body, br(0)));
}

type Mode = 'vec' | 'scalar' | 'none';

/**
 * Emits a gather kernel. Per result pixel, channels go in blocks of 16 (four accumulators), then
 * 4, then one at a time; the tap loops run inside each block, accumulating in registers.
 */
function emitGather(mb: ModuleBuilder, fma: boolean, name: string, mode: Mode): void {
  const f = mb.func(name, [I32, I32, I32]);
  const [args, chunk] = [0, 1];
  const L = locals(f, I32, ['src', 'w', 'out', 'kEnd', 'srcImg', 'P', 'Q', 'rowIdx', 'colIdx', 'rpc', 'rows', 'g', 'g1', 'b', 'p', 'q', 'rs', 're', 'cs', 'ce', 'er', 'ec', 'rW', 'rS', 'sp', 'wp', 'kb', 'op', 'srcB', 'cnt', 'tab'] as const);
  const A = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const V = locals(f, V128, ['wv', 'cntv'] as const);
  const S = locals(f, F32, ['acc', 'ws', 'cnt'] as const);
  const arg = (i: number): Code => i32.load(get(args), i * 4);
  const madd = (a: Code, b: Code, c: Code): Code => (fma ? f32x4.relaxedMadd(a, b, c) : f32x4.add(f32x4.mul(a, b), c));

  /** One channel block of `nv` vectors (0: a single scalar channel). */
  const channelBlock = (nv: number): Code => {
    const bytes = nv === 0 ? 4 : 16 * nv;
    const acc: Code[] = [];
    if (nv === 0) {
      let term: Code;
      if (mode === 'vec') term = f32.mul(f32.load(get(L.sp)), f32.load(get(L.wp)));
      else if (mode === 'scalar') term = f32.mul(f32.load(get(L.sp)), get(S.ws));
      else term = f32.load(get(L.sp));
      acc.push(set(S.acc, f32.add(get(S.acc), term)));
    } else {
      for (let i = 0; i < nv; i++) {
        const x = v128.load(get(L.sp), 16 * i);
        if (mode === 'vec') acc.push(set(A[i]!, madd(x, v128.load(get(L.wp), 16 * i), get(A[i]!))));
        else if (mode === 'scalar') acc.push(set(A[i]!, madd(x, get(V.wv), get(A[i]!))));
        else acc.push(set(A[i]!, f32x4.add(x, get(A[i]!))));
      }
    }
    // the column weight: a vector block at wRow + wCol + kb ('vec'), one float at wRow + wCol ('scalar')
    const weight: Code[] = [];
    if (mode === 'vec') weight.push(set(L.wp, i32.add(get(L.rW), i32.load(i32.add(get(L.tab), get(L.ec))))));
    if (mode === 'scalar') {
      const ld = f32.load(i32.add(get(L.rW), i32.load(i32.add(get(L.tab), get(L.ec)))));
      weight.push(nv === 0 ? set(S.ws, ld) : set(V.wv, f32x4.splat(ld)));
    }
    const init = nv === 0 ? set(S.acc, f32c(0)) : seq(...A.slice(0, nv).map((a) => set(a, ZERO4)));
    const store: Code[] = [];
    const dst = i32.add(get(L.op), get(L.kb));
    if (nv === 0) {
      store.push(f32.store(dst, mode === 'none' ? f32.div(get(S.acc), get(S.cnt)) : get(S.acc)));
    } else {
      for (let i = 0; i < nv; i++) store.push(v128.store(dst, mode === 'none' ? f32x4.div(get(A[i]!), get(V.cntv)) : get(A[i]!), 16 * i));
    }
    return whileLoop(
      i32.leS(i32.add(get(L.kb), i32c(bytes)), get(L.kEnd)),
      init,
      forLoop(
        L.er,
        get(L.rs),
        get(L.re),
        i32c(8),
        set(L.rS, i32.add(i32.load(i32.add(get(L.tab), get(L.er)), 4), i32.add(get(L.srcB), get(L.kb)))),
        mode === 'vec' ? set(L.rW, i32.add(i32.load(i32.add(get(L.tab), get(L.er))), i32.add(get(L.w), get(L.kb)))) : [],
        mode === 'scalar' ? set(L.rW, i32.add(i32.load(i32.add(get(L.tab), get(L.er))), get(L.w))) : [],
        forLoop(L.ec, get(L.cs), get(L.ce), i32c(8), set(L.sp, i32.add(get(L.rS), i32.load(i32.add(get(L.tab), get(L.ec)), 4))), ...weight, ...acc),
      ),
      ...store,
      set(L.kb, i32.add(get(L.kb), i32c(bytes))),
    );
  };

  f.body(
    set(L.src, arg(0)),
    set(L.w, arg(1)),
    set(L.out, arg(2)),
    set(L.kEnd, arg(3)),
    set(L.srcImg, arg(4)),
    set(L.P, arg(5)),
    set(L.Q, arg(6)),
    set(L.rowIdx, arg(7)),
    set(L.colIdx, arg(8)),
    set(L.rpc, arg(9)),
    set(L.rows, arg(10)),
    set(L.tab, arg(13)),
    set(L.g, i32.mul(get(chunk), get(L.rpc))),
    set(L.g1, min(get(L.rows), i32.add(get(L.g), get(L.rpc)))),
    set(L.op, i32.add(get(L.out), i32.mul(i32.mul(get(L.g), get(L.Q)), get(L.kEnd)))),
    forLoop(
      L.g,
      get(L.g),
      get(L.g1),
      i32c(1),
      set(L.b, i32.divU(get(L.g), get(L.P))),
      set(L.p, i32.sub(get(L.g), i32.mul(get(L.b), get(L.P)))),
      set(L.srcB, i32.add(get(L.src), i32.mul(get(L.b), get(L.srcImg)))),
      set(L.rs, i32.load(i32.add(get(L.rowIdx), i32.shl(get(L.p), i32c(2))))),
      set(L.re, i32.load(i32.add(get(L.rowIdx), i32.shl(get(L.p), i32c(2))), 4)),
      forLoop(
        L.q,
        i32c(0),
        get(L.Q),
        i32c(1),
        set(L.cs, i32.load(i32.add(get(L.colIdx), i32.shl(get(L.q), i32c(2))))),
        set(L.ce, i32.load(i32.add(get(L.colIdx), i32.shl(get(L.q), i32c(2))), 4)),
        mode === 'none'
          ? seq(
              // in-bounds cells; a window wholly in the padding averages to 0 (0 / 1)
              set(L.cnt, max(i32c(1), i32.mul(i32.shrU(i32.sub(get(L.re), get(L.rs)), i32c(3)), i32.shrU(i32.sub(get(L.ce), get(L.cs)), i32c(3))))),
              set(S.cnt, f32.convertI32S(get(L.cnt))),
              set(V.cntv, f32x4.splat(get(S.cnt))),
            )
          : [],
        set(L.kb, i32c(0)),
        channelBlock(4),
        channelBlock(1),
        channelBlock(0),
        set(L.op, i32.add(get(L.op), get(L.kEnd))),
      ),
    ),
  );
}

/**
 * `dw_filter`: for the output rows of a chunk, into the chunk's own zeroed partial
 * `part = out + chunk * partStride`: for each row tap `(wRow, sRow)` of the output row and each
 * filter column `fw` (a table of `(ow0, ow1, xCol0, wCol)` per `fw`: the output columns whose
 * input column is in bounds, the byte offset of the first one's input pixel, and `fw * K * 4`),
 * `part[wRow + wCol + 4k] += sum over ow in [ow0, ow1) of x[sRow + xCol0 + (ow - ow0) * xStep + 4k] * dy[ow, k]`,
 * the sum along the row kept in registers.
 * Extra argument words: 14 FW, 15 xStep (`strideWidth * K * 4`); word 8 is the `fw` table.
 */
function emitFilterGrad(mb: ModuleBuilder, fma: boolean): void {
  const f = mb.func('dw_filter', [I32, I32, I32]);
  const [args, chunk] = [0, 1];
  const L = locals(f, I32, ['x', 'part', 'kEnd', 'srcImg', 'P', 'Q', 'rowIdx', 'fwTab', 'rpc', 'rows', 'dy', 'stride', 'tab', 'FW', 'xStep', 'g', 'g1', 'b', 'p', 'rs', 're', 'er', 'rW', 'rS', 'fw', 'ft', 'ow', 'ow0', 'ow1', 'xc0', 'wc', 'sp', 'dp', 'dRow', 'kb', 'xB', 'i'] as const);
  const A = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const accS = f.local(F32);
  const arg = (i: number): Code => i32.load(get(args), i * 4);
  const madd = (a: Code, b: Code, c: Code): Code => (fma ? f32x4.relaxedMadd(a, b, c) : f32x4.add(f32x4.mul(a, b), c));
  /** One channel block of `nv` vectors (0: one channel) over the output columns [ow0, ow1). */
  const kBlock = (nv: number): Code => {
    const bytes = nv === 0 ? 4 : 16 * nv;
    const init = nv === 0 ? set(accS, f32c(0)) : seq(...A.slice(0, nv).map((a) => set(a, ZERO4)));
    const step: Code[] = [];
    const flush: Code[] = [];
    const dst = i32.add(i32.add(get(L.rW), get(L.wc)), get(L.kb));
    if (nv === 0) {
      step.push(set(accS, f32.add(f32.mul(f32.load(get(L.sp)), f32.load(get(L.dp))), get(accS))));
      flush.push(f32.store(dst, f32.add(f32.load(dst), get(accS))));
    } else {
      for (let i = 0; i < nv; i++) {
        step.push(set(A[i]!, madd(v128.load(get(L.sp), 16 * i), v128.load(get(L.dp), 16 * i), get(A[i]!))));
        flush.push(v128.store(dst, f32x4.add(v128.load(dst, 16 * i), get(A[i]!)), 16 * i));
      }
    }
    return whileLoop(
      i32.leS(i32.add(get(L.kb), i32c(bytes)), get(L.kEnd)),
      init,
      set(L.sp, i32.add(i32.add(get(L.rS), get(L.xc0)), get(L.kb))),
      set(L.dp, i32.add(i32.add(get(L.dRow), i32.mul(get(L.ow0), get(L.kEnd))), get(L.kb))),
      forLoop(L.ow, get(L.ow0), get(L.ow1), i32c(1), ...step, set(L.sp, i32.add(get(L.sp), get(L.xStep))), set(L.dp, i32.add(get(L.dp), get(L.kEnd)))),
      ...flush,
      set(L.kb, i32.add(get(L.kb), i32c(bytes))),
    );
  };
  f.body(
    set(L.x, arg(0)),
    set(L.part, arg(2)),
    set(L.kEnd, arg(3)),
    set(L.srcImg, arg(4)),
    set(L.P, arg(5)),
    set(L.Q, arg(6)),
    set(L.rowIdx, arg(7)),
    set(L.fwTab, arg(8)),
    set(L.rpc, arg(9)),
    set(L.rows, arg(10)),
    set(L.dy, arg(11)),
    set(L.stride, arg(12)),
    set(L.tab, arg(13)),
    set(L.FW, arg(14)),
    set(L.xStep, arg(15)),
    set(L.part, i32.add(get(L.part), i32.mul(get(chunk), get(L.stride)))),
    // the stride is a multiple of 16
    forLoop(L.i, i32c(0), get(L.stride), i32c(16), v128.store(i32.add(get(L.part), get(L.i)), ZERO4)),
    set(L.g, i32.mul(get(chunk), get(L.rpc))),
    set(L.g1, min(get(L.rows), i32.add(get(L.g), get(L.rpc)))),
    forLoop(
      L.g,
      get(L.g),
      get(L.g1),
      i32c(1),
      set(L.b, i32.divU(get(L.g), get(L.P))),
      set(L.p, i32.sub(get(L.g), i32.mul(get(L.b), get(L.P)))),
      set(L.xB, i32.add(get(L.x), i32.mul(get(L.b), get(L.srcImg)))),
      set(L.dRow, i32.add(get(L.dy), i32.mul(i32.mul(get(L.g), get(L.Q)), get(L.kEnd)))),
      set(L.rs, i32.load(i32.add(get(L.rowIdx), i32.shl(get(L.p), i32c(2))))),
      set(L.re, i32.load(i32.add(get(L.rowIdx), i32.shl(get(L.p), i32c(2))), 4)),
      forLoop(
        L.er,
        get(L.rs),
        get(L.re),
        i32c(8),
        set(L.rW, i32.add(i32.load(i32.add(get(L.tab), get(L.er))), get(L.part))),
        set(L.rS, i32.add(i32.load(i32.add(get(L.tab), get(L.er)), 4), get(L.xB))),
        forLoop(
          L.fw,
          i32c(0),
          get(L.FW),
          i32c(1),
          set(L.ft, i32.add(get(L.fwTab), i32.shl(get(L.fw), i32c(4)))),
          set(L.ow0, i32.load(get(L.ft))),
          set(L.ow1, i32.load(get(L.ft), 4)),
          set(L.xc0, i32.load(get(L.ft), 8)),
          set(L.wc, i32.load(get(L.ft), 12)),
          set(L.kb, i32c(0)),
          kBlock(4),
          kBlock(1),
          kBlock(0),
        ),
      ),
    ),
  );
}

/**
 * `dw_expand(args: src, dst, C, M, pixels, perChunk)`: `dst[pix, c*M + m] = src[pix, c]`;
 * `dw_group_sum(args: same)`: `dst[pix, c] = sum_m src[pix, c*M + m]` (m ascending).
 */
function emitChannelGroups(mb: ModuleBuilder): void {
  for (const expand of [true, false]) {
    const f = mb.func(expand ? 'dw_expand' : 'dw_group_sum', [I32, I32, I32]);
    const [args, chunk] = [0, 1];
    const L = locals(f, I32, ['s', 'd', 'C', 'M', 'n', 'per', 'i', 'i1', 'c', 'm', 'cnt'] as const);
    const v = f.local(F32);
    const arg = (i: number): Code => i32.load(get(args), i * 4);
    f.body(
      set(L.s, arg(0)),
      set(L.d, arg(1)),
      set(L.C, arg(2)),
      set(L.M, arg(3)),
      set(L.n, arg(4)),
      set(L.per, arg(5)),
      set(L.i, i32.mul(get(chunk), get(L.per))),
      set(L.i1, min(get(L.n), i32.add(get(L.i), get(L.per)))),
      // channel groups [i*C, i1*C): pointers advance over whole pixels
      set(L.cnt, i32.mul(i32.sub(get(L.i1), get(L.i)), get(L.C))),
      set(L.s, i32.add(get(L.s), i32.shl(i32.mul(i32.mul(get(L.i), get(L.C)), expand ? i32c(1) : get(L.M)), i32c(2)))),
      set(L.d, i32.add(get(L.d), i32.shl(i32.mul(i32.mul(get(L.i), get(L.C)), expand ? get(L.M) : i32c(1)), i32c(2)))),
      forLoop(
        L.c,
        i32c(0),
        get(L.cnt),
        i32c(1),
        expand
          ? seq(
              set(v, f32.load(get(L.s))),
              set(L.s, i32.add(get(L.s), i32c(4))),
              forLoop(L.m, i32c(0), get(L.M), i32c(1), f32.store(get(L.d), get(v)), set(L.d, i32.add(get(L.d), i32c(4)))),
            )
          : seq(
              set(v, f32c(0)),
              forLoop(L.m, i32c(0), get(L.M), i32c(1), set(v, f32.add(get(v), f32.load(get(L.s)))), set(L.s, i32.add(get(L.s), i32c(4)))),
              f32.store(get(L.d), get(v)),
              set(L.d, i32.add(get(L.d), i32c(4))),
            ),
      ),
    );
  }
}

/** Emits the depthwise-convolution and average-pooling kernels. */
export function emitPooling(mb: ModuleBuilder, fma: boolean): void {
  emitGather(mb, fma, 'dw_conv', 'vec');
  emitGather(mb, fma, 'avgpool_fwd', 'none');
  emitGather(mb, fma, 'avgpool_bwd', 'scalar');
  emitFilterGrad(mb, fma);
  emitChannelGroups(mb);
}
