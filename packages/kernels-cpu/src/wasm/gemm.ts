/**
 * The float32 GEMM of the WebAssembly kernels: `C (+)= A · B` with
 *
 * - B packed once per call into panels of {@link NR} columns (`[panel][k][8]`, zero-padded),
 *   in parallel chunks (`gemm_packB`);
 * - A packed per chunk into panels of {@link MR} rows (`[panel][k][4]`), from a strided matrix
 *   (any transpose), from convolution patches (im2col done while packing, so the patch matrix
 *   never exists in full), from the gather form of a convolution's input gradient, or from
 *   transposed patches (the filter gradient);
 * - a 4×8 register-blocked micro-kernel: 8 f32x4 accumulators, B rows as two vectors, A values
 *   splat from memory, `relaxed_madd` where the engine has relaxed SIMD, `mul` + `add` otherwise;
 * - cache blocking: a chunk is an `MC×NC` tile of C (and, for split-K, a range of K), looping
 *   over `KC`-deep slices so the packed A block stays in L2 and a B micro-panel in L1.
 *
 * Chunks write disjoint tiles of C, so threads need no locks; split-K chunks add into one
 * partial C per thread, which the caller sums.
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
  call,
  doWhile,
  f32,
  f32x4,
  forLoop,
  get,
  i32,
  i32c,
  if_,
  ifElse,
  loop,
  seq,
  set,
  shuffle,
  v128,
  type Code,
  type FuncBuilder,
  type ModuleBuilder,
} from './emitter.js';

/** Rows of the micro-kernel tile. */
export const MR = 4;
/** Columns of the micro-kernel tile. */
export const NR = 8;

/** Fields of a GEMM descriptor (i32 words in memory). */
export const D = {
  mode: 0,
  a: 1,
  rsA: 2,
  csA: 3,
  M: 4,
  N: 5,
  K: 6,
  bPacked: 7,
  c: 8,
  ldc: 9,
  cTidStride: 10,
  MC: 11,
  NC: 12,
  KC: 13,
  tilesM: 14,
  tilesN: 15,
  kSplit: 16,
  accumulate: 17,
  scratch: 18,
  scratchStride: 19,
  // convolution geometry
  batch: 20,
  H: 21,
  W: 22,
  C: 23,
  OH: 24,
  OW: 25,
  FH: 26,
  FW: 27,
  sh: 28,
  sw: 29,
  dh: 30,
  dw: 31,
  padTop: 32,
  padLeft: 33,
  zero: 34,
  segLen: 35,
  table: 36,
  /** Row-major B read in place (0: every panel packed). */
  bDirect: 37,
  /** First packed panel when `bDirect` is set (the partial last panel). */
  firstPacked: 38,
  words: 40,
} as const;

/** A-source modes of a descriptor. */
export const MODE = {
  /** A(i, k) at `a + (i * rsA + k * csA) * 4`. */
  strided: 0,
  /** Rows are output pixels, columns `(fh, fw, c)`: conv2d forward. */
  patches: 1,
  /** Rows are input pixels, columns `(fh, fw, o)` gathered from dy: conv2d input gradient. */
  gather: 2,
  /** Rows are `(fh, fw, c)`, columns output pixels: conv2d filter gradient. */
  patchesT: 3,
} as const;

const ZERO16 = new Array<number>(16).fill(0);

function lanes(l: readonly number[]): number[] {
  const out: number[] = [];
  for (const x of l) for (let b = 0; b < 4; b++) out.push(x * 4 + b);
  return out;
}
const UNPACKLO = lanes([0, 4, 1, 5]);
const UNPACKHI = lanes([2, 6, 3, 7]);
const MOVELH = lanes([0, 1, 4, 5]);
const MOVEHL = lanes([2, 3, 6, 7]);

/** Emits a 4×4 transpose of locals v0..v3 into locals o0..o3 (t0..t3 are temporaries). */
function transpose4(v: readonly number[], t: readonly number[], o: readonly number[]): Code {
  return seq(
    set(t[0]!, shuffle(get(v[0]!), get(v[1]!), UNPACKLO)),
    set(t[1]!, shuffle(get(v[2]!), get(v[3]!), UNPACKLO)),
    set(t[2]!, shuffle(get(v[0]!), get(v[1]!), UNPACKHI)),
    set(t[3]!, shuffle(get(v[2]!), get(v[3]!), UNPACKHI)),
    set(o[0]!, shuffle(get(t[0]!), get(t[1]!), MOVELH)),
    set(o[1]!, shuffle(get(t[0]!), get(t[1]!), MOVEHL)),
    set(o[2]!, shuffle(get(t[2]!), get(t[3]!), MOVELH)),
    set(o[3]!, shuffle(get(t[2]!), get(t[3]!), MOVEHL)),
  );
}

const min = (a: Code, b: Code): Code => seq(a, b, i32.ltS(a, b), [0x1b]);
/** `c ? a : b` for i32 values, evaluating only the branch taken. */
const ifElseI = (c: Code, a: Code, b: Code): Code => seq(c, [0x04, I32], a, [0x05], b, [0x0b]);

/** Declares locals by name. */
function locals<K extends string>(f: FuncBuilder, t: typeof I32 | typeof V128 | typeof F32, names: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const n of names) out[n] = f.local(t);
  return out;
}

/** Indices of the GEMM functions inside a module. */
export interface GemmFuncs {
  readonly micro: number;
  readonly microEdge: number;
  readonly packA: number;
  readonly packB: number;
  readonly packSegments: number;
  readonly packTable: number;
  readonly packPatchesT: number;
  readonly chunk: number;
  readonly packBChunk: number;
}

/**
 * Emits the GEMM functions into `mb`. Exported: `gemm_chunk(desc, chunk, tid)`,
 * `gemm_packB(src, rs, cs, kc, N, dst, Ktot, kOff, p0, p1)` and
 * `gemm_packB_chunk(args, chunk, tid)` (args: src, rs, cs, K, N, dst, kBlock).
 */
export function emitGemm(mb: ModuleBuilder, fma: boolean): GemmFuncs {
  const madd = (a: Code, b: Code, c: Code): Code => (fma ? f32x4.relaxedMadd(a, b, c) : f32x4.add(c, f32x4.mul(a, b)));

  // ---- micro(kc, ap, bp, c, ldcBytes, accumulate, ldbBytes) ------------------------------------
  const micro = mb.func('gemm_micro', [I32, I32, I32, I32, I32, I32, I32]);
  {
    const [kc, ap, bp, c, ldc, accum, ldb] = [0, 1, 2, 3, 4, 5, 6];
    const acc: number[] = [];
    for (let r = 0; r < MR; r++) for (let j = 0; j < 2; j++) acc.push(micro.local(V128));
    const b0 = micro.local(V128);
    const b1 = micro.local(V128);
    const a = micro.local(V128);
    const k = micro.local(I32);
    const pa = micro.local(I32);
    const pb = micro.local(I32);
    const cr = micro.local(I32);
    const step: Code[] = [set(b0, v128.load(get(pb))), set(b1, v128.load(get(pb), 16))];
    for (let r = 0; r < MR; r++) {
      step.push(set(a, v128.load32Splat(get(pa), r * 4)));
      step.push(set(acc[r * 2]!, madd(get(a), get(b0), get(acc[r * 2]!))));
      step.push(set(acc[r * 2 + 1]!, madd(get(a), get(b1), get(acc[r * 2 + 1]!))));
    }
    const storeRows = (add: boolean): Code[] => {
      const out: Code[] = [set(cr, get(c))];
      for (let r = 0; r < MR; r++) {
        for (let j = 0; j < 2; j++) {
          const v = add ? f32x4.add(v128.load(get(cr), j * 16), get(acc[r * 2 + j]!)) : get(acc[r * 2 + j]!);
          out.push(v128.store(get(cr), v, j * 16));
        }
        if (r < MR - 1) out.push(set(cr, i32.add(get(cr), get(ldc))));
      }
      return out;
    };
    micro.body(
      ...acc.map((x) => set(x, v128.const(ZERO16))),
      set(pa, get(ap)),
      set(pb, get(bp)),
      set(k, get(kc)),
      doWhile(
        i32.ne(get(k), i32c(0)),
        ...step,
        set(pa, i32.add(get(pa), i32c(MR * 4))),
        set(pb, i32.add(get(pb), get(ldb))),
        set(k, i32.sub(get(k), i32c(1))),
      ),
      ifElse(get(accum), seq(...storeRows(true)), seq(...storeRows(false))),
    );
  }

  // ---- microEdge(kc, ap, bp, c, ldcBytes, accumulate, mr, nr, tile, ldbBytes) -----------------
  const microEdge = mb.func('gemm_micro_edge', [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  {
    const [kc, ap, bp, c, ldc, accum, mr, nr, tile, ldb] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const L = locals(microEdge, I32, ['r', 'j', 'src', 'dst'] as const);
    microEdge.body(
      call(micro.index, get(kc), get(ap), get(bp), get(tile), i32c(NR * 4), i32c(0), get(ldb)),
      forLoop(
        L.r,
        i32c(0),
        get(mr),
        i32c(1),
        set(L.src, i32.add(get(tile), i32.mul(get(L.r), i32c(NR * 4)))),
        set(L.dst, i32.add(get(c), i32.mul(get(L.r), get(ldc)))),
        forLoop(
          L.j,
          i32c(0),
          get(nr),
          i32c(1),
          ifElse(
            get(accum),
            f32.store(get(L.dst), f32.add(f32.load(get(L.dst)), f32.load(get(L.src)))),
            f32.store(get(L.dst), f32.load(get(L.src))),
          ),
          set(L.src, i32.add(get(L.src), i32c(4))),
          set(L.dst, i32.add(get(L.dst), i32c(4))),
        ),
      ),
    );
  }

  // ---- packA(src, rs, cs, i0, mc, k0, kc, dst): strided A rows [i0, i0+mc) -----------------------
  const packA = mb.func('gemm_packA', [I32, I32, I32, I32, I32, I32, I32, I32]);
  {
    const [src, rs, cs, i0, mc, k0, kc, dst] = [0, 1, 2, 3, 4, 5, 6, 7];
    const L = locals(packA, I32, ['q', 'rows', 'd', 'k', 'r', 'p0', 'p1', 'p2', 'p3', 'kc4', 'rsB', 'csB', 'row'] as const);
    const V = locals(packA, V128, ['v0', 'v1', 'v2', 'v3', 't0', 't1', 't2', 't3', 'o0', 'o1', 'o2', 'o3'] as const);
    const vs = [V.v0, V.v1, V.v2, V.v3];
    const ts = [V.t0, V.t1, V.t2, V.t3];
    const os = [V.o0, V.o1, V.o2, V.o3];
    const ps = [L.p0, L.p1, L.p2, L.p3];
    // element (i, k) address
    const addr = (i: Code, k: Code): Code => i32.add(get(src), i32.add(i32.mul(i, get(L.rsB)), i32.mul(k, get(L.csB))));
    packA.body(
      set(L.rsB, i32.shl(get(rs), i32c(2))),
      set(L.csB, i32.shl(get(cs), i32c(2))),
      set(L.kc4, i32.and(get(kc), i32c(~3))),
      forLoop(
        L.q,
        i32c(0),
        get(mc),
        i32c(MR),
        set(L.rows, min(i32c(MR), i32.sub(get(mc), get(L.q)))),
        set(L.d, i32.add(get(dst), i32.mul(get(L.q), i32.shl(get(kc), i32c(2))))),
        set(L.row, i32.add(get(i0), get(L.q))),
        ifElse(
          i32.and(i32.eq(get(L.rows), i32c(4)), i32.eq(get(cs), i32c(1))),
          // row-major rows: 4x4 transposes
          seq(
            ...ps.map((p, r) => set(p, addr(i32.add(get(L.row), i32c(r)), get(k0)))),
            forLoop(
              L.k,
              i32c(0),
              get(L.kc4),
              i32c(4),
              ...vs.map((v, r) => set(v, v128.load(get(ps[r]!)))),
              transpose4(vs, ts, os),
              ...os.map((o, r) => v128.store(get(L.d), get(o), r * 16)),
              ...ps.map((p) => set(p, i32.add(get(p), i32c(16)))),
              set(L.d, i32.add(get(L.d), i32c(64))),
            ),
            forLoop(
              L.k,
              get(L.kc4),
              get(kc),
              i32c(1),
              ...ps.map((p, r) => f32.store(get(L.d), f32.load(get(p)), r * 4)),
              ...ps.map((p) => set(p, i32.add(get(p), i32c(4)))),
              set(L.d, i32.add(get(L.d), i32c(16))),
            ),
          ),
          ifElse(
            i32.and(i32.eq(get(L.rows), i32c(4)), i32.eq(get(rs), i32c(1))),
            // column-major: 4 consecutive rows are contiguous
            seq(
              set(L.p0, addr(get(L.row), get(k0))),
              forLoop(
                L.k,
                i32c(0),
                get(kc),
                i32c(1),
                v128.store(get(L.d), v128.load(get(L.p0))),
                set(L.p0, i32.add(get(L.p0), get(L.csB))),
                set(L.d, i32.add(get(L.d), i32c(16))),
              ),
            ),
            // general (and partial panels): element by element, zero past the last row
            forLoop(
              L.k,
              i32c(0),
              get(kc),
              i32c(1),
              forLoop(
                L.r,
                i32c(0),
                i32c(MR),
                i32c(1),
                f32.store(
                  i32.add(get(L.d), i32.shl(get(L.r), i32c(2))),
                  seq(
                    f32.load(addr(i32.add(get(L.row), min(get(L.r), i32.sub(get(L.rows), i32c(1)))), i32.add(get(k0), get(L.k)))),
                    [0x43, 0, 0, 0, 0], // f32.const 0
                    i32.ltS(get(L.r), get(L.rows)),
                    [0x1b],
                  ),
                ),
              ),
              set(L.d, i32.add(get(L.d), i32c(16))),
            ),
          ),
        ),
      ),
    );
  }

  // ---- packB(src, rs, cs, kc, N, dst, Ktot, kOff, p0, p1) ----------------------------------------
  const packB = mb.func('gemm_packB', [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  {
    const [src, rs, cs, kc, N, dst, Ktot, kOff, p0, p1] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const L = locals(packB, I32, ['p', 'j0', 'cols', 'd', 'k', 'j', 's', 'rsB', 'csB', 'kc4', 'col'] as const);
    const V = locals(packB, V128, ['a0', 'a1', 'a2', 'a3', 'b0', 'b1', 'b2', 'b3', 't0', 't1', 't2', 't3', 'o0', 'o1', 'o2', 'o3'] as const);
    const as = [V.a0, V.a1, V.a2, V.a3];
    const bs = [V.b0, V.b1, V.b2, V.b3];
    const ts = [V.t0, V.t1, V.t2, V.t3];
    const os = [V.o0, V.o1, V.o2, V.o3];
    const colAddr = (j: number): Code => i32.add(get(L.s), i32.mul(i32c(j), get(L.csB)));
    packB.body(
      set(L.rsB, i32.shl(get(rs), i32c(2))),
      set(L.csB, i32.shl(get(cs), i32c(2))),
      set(L.kc4, i32.and(get(kc), i32c(~3))),
      forLoop(
        L.p,
        get(p0),
        get(p1),
        i32c(1),
        set(L.j0, i32.mul(get(L.p), i32c(NR))),
        set(L.cols, min(i32c(NR), i32.sub(get(N), get(L.j0)))),
        set(L.d, i32.add(get(dst), i32.shl(i32.add(i32.mul(get(L.p), get(Ktot)), get(kOff)), i32c(5)))),
        set(L.s, i32.add(get(src), i32.mul(get(L.j0), get(L.csB)))),
        ifElse(
          i32.and(i32.eq(get(L.cols), i32c(NR)), i32.eq(get(cs), i32c(1))),
          forLoop(
            L.k,
            i32c(0),
            get(kc),
            i32c(1),
            v128.store(get(L.d), v128.load(get(L.s))),
            v128.store(get(L.d), v128.load(get(L.s), 16), 16),
            set(L.s, i32.add(get(L.s), get(L.rsB))),
            set(L.d, i32.add(get(L.d), i32c(32))),
          ),
          ifElse(
            i32.and(i32.eq(get(L.cols), i32c(NR)), i32.eq(get(rs), i32c(1))),
            // columns contiguous along k: two 4x4 transposes per 4 rows
            seq(
              forLoop(
                L.k,
                i32c(0),
                get(L.kc4),
                i32c(4),
                ...as.map((v, j) => set(v, v128.load(colAddr(j)))),
                ...bs.map((v, j) => set(v, v128.load(colAddr(j + 4)))),
                transpose4(as, ts, os),
                ...os.map((o, r) => v128.store(get(L.d), get(o), r * 32)),
                transpose4(bs, ts, os),
                ...os.map((o, r) => v128.store(get(L.d), get(o), r * 32 + 16)),
                set(L.s, i32.add(get(L.s), i32c(16))),
                set(L.d, i32.add(get(L.d), i32c(128))),
              ),
              forLoop(
                L.k,
                get(L.kc4),
                get(kc),
                i32c(1),
                forLoop(
                  L.j,
                  i32c(0),
                  i32c(NR),
                  i32c(1),
                  f32.store(i32.add(get(L.d), i32.shl(get(L.j), i32c(2))), f32.load(i32.add(get(L.s), i32.mul(get(L.j), get(L.csB))))),
                ),
                set(L.s, i32.add(get(L.s), i32c(4))),
                set(L.d, i32.add(get(L.d), i32c(32))),
              ),
            ),
            // general and partial panels
            forLoop(
              L.k,
              i32c(0),
              get(kc),
              i32c(1),
              forLoop(
                L.j,
                i32c(0),
                i32c(NR),
                i32c(1),
                set(L.col, min(get(L.j), i32.sub(get(L.cols), i32c(1)))),
                f32.store(
                  i32.add(get(L.d), i32.shl(get(L.j), i32c(2))),
                  seq(
                    f32.load(i32.add(get(L.s), i32.mul(get(L.col), get(L.csB)))),
                    [0x43, 0, 0, 0, 0],
                    i32.ltS(get(L.j), get(L.cols)),
                    [0x1b],
                  ),
                ),
              ),
              set(L.s, i32.add(get(L.s), get(L.rsB))),
              set(L.d, i32.add(get(L.d), i32c(32))),
            ),
          ),
        ),
      ),
    );
  }

  // ---- packBChunk(args, chunk, tid); args: src, rs, cs, K, N, dst, kBlock ---------------------
  const packBChunk = mb.func('gemm_packB_chunk', [I32, I32, I32]);
  {
    const [args, chunk] = [0, 1];
    const L = locals(packBChunk, I32, ['panels', 'p', 'kb', 'k0', 'src', 'rs', 'cs', 'K', 'N', 'dst', 'kBlock'] as const);
    const arg = (i: number): Code => i32.load(get(args), i * 4);
    packBChunk.body(
      set(L.src, arg(0)),
      set(L.rs, arg(1)),
      set(L.cs, arg(2)),
      set(L.K, arg(3)),
      set(L.N, arg(4)),
      set(L.dst, arg(5)),
      set(L.kBlock, arg(6)),
      set(L.panels, i32.shrU(i32.add(get(L.N), i32c(NR - 1)), i32c(3))),
      set(L.p, i32.remU(get(chunk), get(L.panels))),
      set(L.kb, i32.divU(get(chunk), get(L.panels))),
      set(L.k0, i32.mul(get(L.kb), get(L.kBlock))),
      call(
        packB.index,
        i32.add(get(L.src), i32.shl(i32.mul(get(L.k0), get(L.rs)), i32c(2))),
        get(L.rs),
        get(L.cs),
        min(get(L.kBlock), i32.sub(get(L.K), get(L.k0))),
        get(L.N),
        get(L.dst),
        get(L.K),
        get(L.k0),
        get(L.p),
        i32.add(get(L.p), i32c(1)),
      ),
    );
  }

  const dget = (desc: number, field: number): Code => i32.load(get(desc), field * 4);

  // ---- packSegments(desc, i0, mc, k0, kc, dst): patches (mode 1) and gather (mode 2) rows -----
  // Row i's columns are segments of segLen contiguous values (one per filter tap), each read
  // from a pointer into the source or from the zero block.
  const packSegments = mb.func('gemm_pack_segments', [I32, I32, I32, I32, I32, I32]);
  {
    const [desc, i0, mc, k0, kc, dst] = [0, 1, 2, 3, 4, 5];
    const L = locals(packSegments, I32, [
      'mode', 'q', 'd', 'k', 'kEnd', 'seg', 'c0', 'len', 'len4', 'c', 'fh', 'fw', 'segLen', 'FW',
      'pix', 'ty', 'tx', 'perImage', 'M', 'H', 'W', 'OH', 'OW', 'sh', 'sw', 'dh', 'dw', 'padT',
      'padL', 'zero', 'src', 'rowStride', 'dd', 'oy', 'ox', 'GH', 'GW', 'row',
    ] as const);
    const R = [0, 1, 2, 3].map(() => locals(packSegments, I32, ['b', 'y', 'x', 'ok', 'p', 'base', 'int'] as const));
    const X = locals(packSegments, I32, ['allInt', 'spanY', 'spanX', 'segOff', 'unit', 'FH', 'iy', 'ix'] as const);
    const V = locals(packSegments, V128, ['v0', 'v1', 'v2', 'v3', 't0', 't1', 't2', 't3', 'o0', 'o1', 'o2', 'o3'] as const);
    const vs = [V.v0, V.v1, V.v2, V.v3];
    const ts = [V.t0, V.t1, V.t2, V.t3];
    const os = [V.o0, V.o1, V.o2, V.o3];
    const ps = R.map((r) => r.p);
    // pointer of row r at tap (fh, fw), or the zero block
    const rowPointer = (r: (typeof R)[number]): Code =>
      ifElse(
        i32.eqz(get(r.ok)),
        set(r.p, get(L.zero)),
        ifElse(
          i32.eq(get(L.mode), i32c(MODE.patches)),
          seq(
            set(L.ty, i32.add(i32.sub(i32.mul(get(r.y), get(L.sh)), get(L.padT)), i32.mul(get(L.fh), get(L.dh)))),
            set(L.tx, i32.add(i32.sub(i32.mul(get(r.x), get(L.sw)), get(L.padL)), i32.mul(get(L.fw), get(L.dw)))),
            ifElse(
              i32.or(i32.geU(get(L.ty), get(L.H)), i32.geU(get(L.tx), get(L.W))),
              set(r.p, get(L.zero)),
              set(r.p, i32.add(get(L.src), i32.mul(i32.add(i32.mul(i32.add(i32.mul(get(r.b), get(L.H)), get(L.ty)), get(L.W)), get(L.tx)), get(L.rowStride)))),
            ),
          ),
          // gather: row is an input pixel (y, x); the tap reads dy at ((y + padT - fh*dh) / sh, ...)
          seq(
            set(L.ty, i32.sub(i32.add(get(r.y), get(L.padT)), i32.mul(get(L.fh), get(L.dh)))),
            set(L.tx, i32.sub(i32.add(get(r.x), get(L.padL)), i32.mul(get(L.fw), get(L.dw)))),
            // stride 1 (the common case) needs no division
            set(L.oy, ifElseI(i32.eq(get(L.sh), i32c(1)), get(L.ty), i32.divS(get(L.ty), get(L.sh)))),
            set(L.ox, ifElseI(i32.eq(get(L.sw), i32c(1)), get(L.tx), i32.divS(get(L.tx), get(L.sw)))),
            ifElse(
              i32.or(
                i32.or(i32.ltS(get(L.ty), i32c(0)), i32.ltS(get(L.tx), i32c(0))),
                i32.or(
                  i32.or(i32.ne(i32.mul(get(L.oy), get(L.sh)), get(L.ty)), i32.ne(i32.mul(get(L.ox), get(L.sw)), get(L.tx))),
                  i32.or(i32.geU(get(L.oy), get(L.OH)), i32.geU(get(L.ox), get(L.OW))),
                ),
              ),
              set(r.p, get(L.zero)),
              set(r.p, i32.add(get(L.src), i32.mul(i32.add(i32.mul(i32.add(i32.mul(get(r.b), get(L.OH)), get(L.oy)), get(L.OW)), get(L.ox)), get(L.rowStride)))),
            ),
          ),
        ),
      );
    const setPixel = (r: (typeof R)[number], row: Code): Code =>
      seq(
        set(L.row, row),
        set(r.ok, i32.and(i32.ltS(get(L.row), get(L.M)), i32.ltS(i32.sub(get(L.row), get(i0)), get(mc)))),
        set(r.b, i32.divU(get(L.row), get(L.perImage))),
        set(L.pix, i32.sub(get(L.row), i32.mul(get(r.b), get(L.perImage)))),
        set(r.y, i32.divU(get(L.pix), get(L.GW))),
        set(r.x, i32.sub(get(L.pix), i32.mul(get(r.y), get(L.GW)))),
        // interior rows read every tap in bounds: their pointers are base +- a per-tap offset
        ifElse(
          i32.eq(get(L.mode), i32c(MODE.patches)),
          seq(
            set(X.iy, i32.sub(i32.mul(get(r.y), get(L.sh)), get(L.padT))),
            set(X.ix, i32.sub(i32.mul(get(r.x), get(L.sw)), get(L.padL))),
            set(r.int, i32.and(
              i32.and(i32.geS(get(X.iy), i32c(0)), i32.ltS(i32.add(get(X.iy), get(X.spanY)), get(L.H))),
              i32.and(i32.geS(get(X.ix), i32c(0)), i32.ltS(i32.add(get(X.ix), get(X.spanX)), get(L.W))),
            )),
            set(r.base, i32.add(get(L.src), i32.mul(i32.add(i32.mul(i32.add(i32.mul(get(r.b), get(L.H)), get(X.iy)), get(L.W)), get(X.ix)), get(L.rowStride)))),
          ),
          // gather, stride 1: tap (fh, fw) reads dy at (y + padT - fh*dh, x + padL - fw*dw)
          seq(
            set(X.iy, i32.add(get(r.y), get(L.padT))),
            set(X.ix, i32.add(get(r.x), get(L.padL))),
            set(r.int, i32.and(
              i32.and(i32.and(i32.eq(get(L.sh), i32c(1)), i32.eq(get(L.sw), i32c(1))), i32.and(i32.ltS(get(X.iy), get(L.OH)), i32.geS(i32.sub(get(X.iy), get(X.spanY)), i32c(0)))),
              i32.and(i32.ltS(get(X.ix), get(L.OW)), i32.geS(i32.sub(get(X.ix), get(X.spanX)), i32c(0))),
            )),
            set(r.base, i32.add(get(L.src), i32.mul(i32.add(i32.mul(i32.add(i32.mul(get(r.b), get(L.OH)), get(X.iy)), get(L.OW)), get(X.ix)), get(L.rowStride)))),
          ),
        ),
        set(r.int, i32.and(get(r.int), get(r.ok))),
      );
    packSegments.body(
      set(L.mode, dget(desc, D.mode)),
      set(L.M, dget(desc, D.M)),
      set(L.H, dget(desc, D.H)),
      set(L.W, dget(desc, D.W)),
      set(L.OH, dget(desc, D.OH)),
      set(L.OW, dget(desc, D.OW)),
      set(L.sh, dget(desc, D.sh)),
      set(L.sw, dget(desc, D.sw)),
      set(L.dh, dget(desc, D.dh)),
      set(L.dw, dget(desc, D.dw)),
      set(L.padT, dget(desc, D.padTop)),
      set(L.padL, dget(desc, D.padLeft)),
      set(L.zero, dget(desc, D.zero)),
      set(L.src, dget(desc, D.a)),
      set(L.segLen, dget(desc, D.segLen)),
      set(L.FW, dget(desc, D.FW)),
      set(L.rowStride, i32.shl(get(L.segLen), i32c(2))),
      ifElse(
        i32.eq(get(L.mode), i32c(MODE.patches)),
        seq(set(L.GH, get(L.OH)), set(L.GW, get(L.OW))),
        seq(set(L.GH, get(L.H)), set(L.GW, get(L.W))),
      ),
      set(L.perImage, i32.mul(get(L.GH), get(L.GW))),
      set(L.kEnd, i32.add(get(k0), get(kc))),
      set(X.FH, dget(desc, D.FH)),
      set(X.spanY, i32.mul(i32.sub(get(X.FH), i32c(1)), get(L.dh))),
      set(X.spanX, i32.mul(i32.sub(get(L.FW), i32c(1)), get(L.dw))),
      // bytes between taps: +((fh*dh)*W + fw*dw) rows of the input (patches), -(...) of dy (gather)
      set(X.unit, ifElseI(i32.eq(get(L.mode), i32c(MODE.patches)), get(L.W), get(L.OW))),
      forLoop(
        L.q,
        i32c(0),
        get(mc),
        i32c(MR),
        set(L.d, i32.add(get(dst), i32.mul(get(L.q), i32.shl(get(kc), i32c(2))))),
        ...R.map((r, j) => setPixel(r, i32.add(i32.add(get(i0), get(L.q)), i32c(j)))),
        set(X.allInt, i32.and(i32.and(get(R[0]!.int), get(R[1]!.int)), i32.and(get(R[2]!.int), get(R[3]!.int)))),
        // walk the k range segment by segment
        set(L.k, get(k0)),
        block(
          loop(
            brIf(1, i32.geS(get(L.k), get(L.kEnd))),
            set(L.seg, i32.divU(get(L.k), get(L.segLen))),
            set(L.c0, i32.sub(get(L.k), i32.mul(get(L.seg), get(L.segLen)))),
            set(L.len, min(i32.sub(get(L.segLen), get(L.c0)), i32.sub(get(L.kEnd), get(L.k)))),
            set(L.fh, i32.divU(get(L.seg), get(L.FW))),
            set(L.fw, i32.sub(get(L.seg), i32.mul(get(L.fh), get(L.FW)))),
            ifElse(
              get(X.allInt),
              seq(
                set(X.segOff, i32.mul(i32.add(i32.mul(i32.mul(get(L.fh), get(L.dh)), get(X.unit)), i32.mul(get(L.fw), get(L.dw))), get(L.rowStride))),
                set(X.segOff, ifElseI(i32.eq(get(L.mode), i32c(MODE.patches)), get(X.segOff), i32.sub(i32c(0), get(X.segOff)))),
                set(X.segOff, i32.add(get(X.segOff), i32.shl(get(L.c0), i32c(2)))),
                ...R.map((r) => set(r.p, i32.add(get(r.base), get(X.segOff)))),
              ),
              seq(...R.map((r) => seq(rowPointer(r), if_(i32.ne(get(r.p), get(L.zero)), set(r.p, i32.add(get(r.p), i32.shl(get(L.c0), i32c(2)))))))),
            ),
            set(L.dd, i32.add(get(L.d), i32.shl(i32.sub(get(L.k), get(k0)), i32c(4)))),
            set(L.len4, i32.and(get(L.len), i32c(~3))),
            forLoop(
              L.c,
              i32c(0),
              get(L.len4),
              i32c(4),
              ...vs.map((v, r) => set(v, v128.load(get(ps[r]!)))),
              transpose4(vs, ts, os),
              ...os.map((o, r) => v128.store(get(L.dd), get(o), r * 16)),
              ...ps.map((p) => if_(i32.ne(get(p), get(L.zero)), set(p, i32.add(get(p), i32c(16))))),
              set(L.dd, i32.add(get(L.dd), i32c(64))),
            ),
            forLoop(
              L.c,
              get(L.len4),
              get(L.len),
              i32c(1),
              ...ps.map((p, r) => f32.store(get(L.dd), f32.load(get(p)), r * 4)),
              ...ps.map((p) => if_(i32.ne(get(p), get(L.zero)), set(p, i32.add(get(p), i32c(4))))),
              set(L.dd, i32.add(get(L.dd), i32c(16))),
            ),
            set(L.k, i32.add(get(L.k), get(L.len))),
            br(0),
          ),
        ),
      ),
    );
  }

  // ---- packTable(desc, i0, mc, k0, kc, dst): patches rows, element by element through a table --
  // table: per k three i32: dy (fh*dh), dx (fw*dw), offset in elements ((dy*W + dx)*C + c).
  const packTable = mb.func('gemm_pack_table', [I32, I32, I32, I32, I32, I32]);
  {
    const [desc, i0, mc, k0, kc, dst] = [0, 1, 2, 3, 4, 5];
    const L = locals(packTable, I32, [
      'M', 'H', 'W', 'C', 'OW', 'perImage', 'sh', 'sw', 'padT', 'padL', 'src', 'table',
      'i', 'row', 'b', 'y', 'x', 'base', 'iy', 'ix', 'k', 't', 'd', 'interior', 'spanY', 'spanX', 'ty', 'tx', 'pix',
    ] as const);
    const zeroF = [0x43, 0, 0, 0, 0];
    packTable.body(
      set(L.M, dget(desc, D.M)),
      set(L.H, dget(desc, D.H)),
      set(L.W, dget(desc, D.W)),
      set(L.C, dget(desc, D.C)),
      set(L.OW, dget(desc, D.OW)),
      set(L.perImage, i32.mul(dget(desc, D.OH), get(L.OW))),
      set(L.sh, dget(desc, D.sh)),
      set(L.sw, dget(desc, D.sw)),
      set(L.padT, dget(desc, D.padTop)),
      set(L.padL, dget(desc, D.padLeft)),
      set(L.src, dget(desc, D.a)),
      set(L.table, dget(desc, D.table)),
      set(L.spanY, i32.mul(i32.sub(dget(desc, D.FH), i32c(1)), dget(desc, D.dh))),
      set(L.spanX, i32.mul(i32.sub(dget(desc, D.FW), i32c(1)), dget(desc, D.dw))),
      forLoop(
        L.i,
        i32c(0),
        i32.and(i32.add(get(mc), i32c(3)), i32c(~3)),
        i32c(1),
        set(L.row, i32.add(get(i0), get(L.i))),
        // destination: panel i/4, lane i%4
        set(L.d, i32.add(get(dst), i32.add(i32.mul(i32.shrU(get(L.i), i32c(2)), i32.shl(get(kc), i32c(4))), i32.shl(i32.and(get(L.i), i32c(3)), i32c(2))))),
        ifElse(
          i32.geS(get(L.row), get(L.M)),
          forLoop(L.k, i32c(0), get(kc), i32c(1), f32.store(get(L.d), zeroF), set(L.d, i32.add(get(L.d), i32c(16)))),
          seq(
            set(L.b, i32.divU(get(L.row), get(L.perImage))),
            set(L.pix, i32.sub(get(L.row), i32.mul(get(L.b), get(L.perImage)))),
            set(L.y, i32.divU(get(L.pix), get(L.OW))),
            set(L.x, i32.sub(get(L.pix), i32.mul(get(L.y), get(L.OW)))),
            set(L.iy, i32.sub(i32.mul(get(L.y), get(L.sh)), get(L.padT))),
            set(L.ix, i32.sub(i32.mul(get(L.x), get(L.sw)), get(L.padL))),
            set(L.base, i32.add(get(L.src), i32.shl(i32.mul(i32.add(i32.mul(i32.add(i32.mul(get(L.b), get(L.H)), get(L.iy)), get(L.W)), get(L.ix)), get(L.C)), i32c(2)))),
            set(L.interior, i32.and(
              i32.and(i32.geS(get(L.iy), i32c(0)), i32.ltS(i32.add(get(L.iy), get(L.spanY)), get(L.H))),
              i32.and(i32.geS(get(L.ix), i32c(0)), i32.ltS(i32.add(get(L.ix), get(L.spanX)), get(L.W))),
            )),
            set(L.t, i32.add(get(L.table), i32.mul(get(k0), i32c(12)))),
            ifElse(
              get(L.interior),
              forLoop(
                L.k,
                i32c(0),
                get(kc),
                i32c(1),
                f32.store(get(L.d), f32.load(i32.add(get(L.base), i32.shl(i32.load(get(L.t), 8), i32c(2))))),
                set(L.t, i32.add(get(L.t), i32c(12))),
                set(L.d, i32.add(get(L.d), i32c(16))),
              ),
              forLoop(
                L.k,
                i32c(0),
                get(kc),
                i32c(1),
                set(L.ty, i32.add(get(L.iy), i32.load(get(L.t)))),
                set(L.tx, i32.add(get(L.ix), i32.load(get(L.t), 4))),
                ifElse(
                  i32.or(i32.geU(get(L.ty), get(L.H)), i32.geU(get(L.tx), get(L.W))),
                  f32.store(get(L.d), zeroF),
                  f32.store(get(L.d), f32.load(i32.add(get(L.base), i32.shl(i32.load(get(L.t), 8), i32c(2))))),
                ),
                set(L.t, i32.add(get(L.t), i32c(12))),
                set(L.d, i32.add(get(L.d), i32c(16))),
              ),
            ),
          ),
        ),
      ),
    );
  }

  // ---- packPatchesT(desc, i0, mc, k0, kc, dst): rows are filter taps k, columns pixels ---------
  // dst[(q * kc + p) * 4 + r] = patch(pixel k0 + p)[i0 + 4q + r]
  const packPatchesT = mb.func('gemm_pack_patchesT', [I32, I32, I32, I32, I32, I32]);
  {
    const [desc, i0, mc, k0, kc, dst] = [0, 1, 2, 3, 4, 5];
    const L = locals(packPatchesT, I32, [
      'M', 'H', 'W', 'C', 'OH', 'OW', 'perImage', 'sh', 'sw', 'padT', 'padL', 'src', 'table',
      'p', 'b', 'y', 'x', 'pix', 'iy', 'ix', 'base', 'interior', 'spanY', 'spanX', 'i', 'iEnd', 't', 'd',
      'ty', 'tx', 'vec', 'mc4', 'panelStride', 'dp',
    ] as const);
    const zeroF = [0x43, 0, 0, 0, 0];
    // the four taps i..i+3 are contiguous channels of one tap position when C % 4 == 0 and i % 4 == 0
    packPatchesT.body(
      set(L.M, dget(desc, D.M)),
      set(L.H, dget(desc, D.H)),
      set(L.W, dget(desc, D.W)),
      set(L.C, dget(desc, D.C)),
      set(L.OH, dget(desc, D.OH)),
      set(L.OW, dget(desc, D.OW)),
      set(L.perImage, i32.mul(get(L.OH), get(L.OW))),
      set(L.sh, dget(desc, D.sh)),
      set(L.sw, dget(desc, D.sw)),
      set(L.padT, dget(desc, D.padTop)),
      set(L.padL, dget(desc, D.padLeft)),
      set(L.src, dget(desc, D.a)),
      set(L.table, dget(desc, D.table)),
      set(L.spanY, i32.mul(i32.sub(dget(desc, D.FH), i32c(1)), dget(desc, D.dh))),
      set(L.spanX, i32.mul(i32.sub(dget(desc, D.FW), i32c(1)), dget(desc, D.dw))),
      set(L.vec, i32.and(i32.eqz(i32.and(get(L.C), i32c(3))), i32.eqz(i32.and(get(i0), i32c(3))))),
      set(L.iEnd, i32.add(get(i0), get(mc))),
      set(L.mc4, i32.and(i32.add(get(mc), i32c(3)), i32c(~3))),
      set(L.panelStride, i32.shl(get(kc), i32c(4))),
      // first pixel
      set(L.b, i32.divU(get(k0), get(L.perImage))),
      set(L.pix, i32.sub(get(k0), i32.mul(get(L.b), get(L.perImage)))),
      set(L.y, i32.divU(get(L.pix), get(L.OW))),
      set(L.x, i32.sub(get(L.pix), i32.mul(get(L.y), get(L.OW)))),
      forLoop(
        L.p,
        i32c(0),
        get(kc),
        i32c(1),
        set(L.iy, i32.sub(i32.mul(get(L.y), get(L.sh)), get(L.padT))),
        set(L.ix, i32.sub(i32.mul(get(L.x), get(L.sw)), get(L.padL))),
        set(L.base, i32.add(get(L.src), i32.shl(i32.mul(i32.add(i32.mul(i32.add(i32.mul(get(L.b), get(L.H)), get(L.iy)), get(L.W)), get(L.ix)), get(L.C)), i32c(2)))),
        set(L.interior, i32.and(
          i32.and(i32.geS(get(L.iy), i32c(0)), i32.ltS(i32.add(get(L.iy), get(L.spanY)), get(L.H))),
          i32.and(i32.geS(get(L.ix), i32c(0)), i32.ltS(i32.add(get(L.ix), get(L.spanX)), get(L.W))),
        )),
        set(L.dp, i32.add(get(dst), i32.shl(get(L.p), i32c(4)))),
        set(L.t, i32.add(get(L.table), i32.mul(get(i0), i32c(12)))),
        ifElse(
          i32.and(get(L.vec), i32.eq(get(L.mc4), get(mc))),
          // 4 taps at a time: one vector load (or zeros) per panel
          forLoop(
            L.i,
            i32c(0),
            get(mc),
            i32c(4),
            set(L.d, i32.add(get(L.dp), i32.mul(i32.shrU(get(L.i), i32c(2)), get(L.panelStride)))),
            ifElse(
              get(L.interior),
              v128.store(get(L.d), v128.load(i32.add(get(L.base), i32.shl(i32.load(get(L.t), 8), i32c(2))))),
              seq(
                set(L.ty, i32.add(get(L.iy), i32.load(get(L.t)))),
                set(L.tx, i32.add(get(L.ix), i32.load(get(L.t), 4))),
                ifElse(
                  i32.or(i32.geU(get(L.ty), get(L.H)), i32.geU(get(L.tx), get(L.W))),
                  v128.store(get(L.d), v128.const(ZERO16)),
                  v128.store(get(L.d), v128.load(i32.add(get(L.base), i32.shl(i32.load(get(L.t), 8), i32c(2))))),
                ),
              ),
            ),
            set(L.t, i32.add(get(L.t), i32c(48))),
          ),
          forLoop(
            L.i,
            i32c(0),
            get(L.mc4),
            i32c(1),
            set(L.d, i32.add(get(L.dp), i32.add(i32.mul(i32.shrU(get(L.i), i32c(2)), get(L.panelStride)), i32.shl(i32.and(get(L.i), i32c(3)), i32c(2))))),
            ifElse(
              i32.geS(get(L.i), get(mc)),
              f32.store(get(L.d), zeroF),
              seq(
                set(L.ty, i32.add(get(L.iy), i32.load(get(L.t)))),
                set(L.tx, i32.add(get(L.ix), i32.load(get(L.t), 4))),
                ifElse(
                  i32.or(i32.geU(get(L.ty), get(L.H)), i32.geU(get(L.tx), get(L.W))),
                  f32.store(get(L.d), zeroF),
                  f32.store(get(L.d), f32.load(i32.add(get(L.base), i32.shl(i32.load(get(L.t), 8), i32c(2))))),
                ),
              ),
            ),
            set(L.t, i32.add(get(L.t), i32c(12))),
          ),
        ),
        // next pixel
        set(L.x, i32.add(get(L.x), i32c(1))),
        if_(
          i32.eq(get(L.x), get(L.OW)),
          set(L.x, i32c(0)),
          set(L.y, i32.add(get(L.y), i32c(1))),
          if_(i32.eq(get(L.y), get(L.OH)), set(L.y, i32c(0)), set(L.b, i32.add(get(L.b), i32c(1)))),
        ),
      ),
    );
    void L.M;
  }

  // ---- chunk(desc, chunk, tid) -----------------------------------------------------------------
  const chunkF = mb.func('gemm_chunk', [I32, I32, I32]);
  {
    const [desc, chunk, tid] = [0, 1, 2];
    const L = locals(chunkF, I32, [
      'mode', 'M', 'N', 'K', 'MC', 'NC', 'KC', 'tilesM', 'tilesN', 'jt', 'it', 'ks', 'rest',
      'i0', 'mc', 'j0', 'nc', 'kBeg', 'kEnd', 'c', 'ldc', 'ldcB', 'ap', 'tile', 'pc', 'kc', 'acc', 'jr', 'nr',
      'bp', 'ir', 'mr', 'cp', 'bPacked', 'jEnd', 'accum', 'bDirect', 'firstPacked', 'ldb',
    ] as const);
    chunkF.body(
      set(L.mode, dget(desc, D.mode)),
      set(L.M, dget(desc, D.M)),
      set(L.N, dget(desc, D.N)),
      set(L.K, dget(desc, D.K)),
      set(L.MC, dget(desc, D.MC)),
      set(L.NC, dget(desc, D.NC)),
      set(L.KC, dget(desc, D.KC)),
      set(L.tilesM, dget(desc, D.tilesM)),
      set(L.tilesN, dget(desc, D.tilesN)),
      set(L.bPacked, dget(desc, D.bPacked)),
      set(L.ldc, dget(desc, D.ldc)),
      set(L.ldcB, i32.shl(get(L.ldc), i32c(2))),
      set(L.accum, dget(desc, D.accumulate)),
      set(L.bDirect, dget(desc, D.bDirect)),
      set(L.firstPacked, dget(desc, D.firstPacked)),
      set(L.jt, i32.remU(get(chunk), get(L.tilesN))),
      set(L.rest, i32.divU(get(chunk), get(L.tilesN))),
      set(L.it, i32.remU(get(L.rest), get(L.tilesM))),
      set(L.ks, i32.divU(get(L.rest), get(L.tilesM))),
      set(L.i0, i32.mul(get(L.it), get(L.MC))),
      set(L.mc, min(get(L.MC), i32.sub(get(L.M), get(L.i0)))),
      set(L.j0, i32.mul(get(L.jt), get(L.NC))),
      set(L.nc, min(get(L.NC), i32.sub(get(L.N), get(L.j0)))),
      set(L.jEnd, i32.add(get(L.j0), get(L.nc))),
      set(L.kBeg, i32.mul(get(L.ks), dget(desc, D.kSplit))),
      set(L.kEnd, min(get(L.K), i32.add(get(L.kBeg), dget(desc, D.kSplit)))),
      // split-K partial sums go to the partial of their K slice (not of the thread that ran them),
      // so the grouping of the sum, and the result, do not depend on scheduling
      set(L.c, i32.add(dget(desc, D.c), i32.mul(get(L.ks), dget(desc, D.cTidStride)))),
      set(L.ap, i32.add(dget(desc, D.scratch), i32.mul(get(tid), dget(desc, D.scratchStride)))),
      set(L.tile, i32.add(get(L.ap), i32.shl(i32.mul(get(L.MC), get(L.KC)), i32c(2)))),
      forLoop(
        L.pc,
        get(L.kBeg),
        get(L.kEnd),
        get(L.KC),
        set(L.kc, min(get(L.KC), i32.sub(get(L.kEnd), get(L.pc)))),
        ifElse(
          i32.eq(get(L.mode), i32c(MODE.strided)),
          call(packA.index, dget(desc, D.a), dget(desc, D.rsA), dget(desc, D.csA), get(L.i0), get(L.mc), get(L.pc), get(L.kc), get(L.ap)),
          ifElse(
            i32.eq(get(L.mode), i32c(MODE.patchesT)),
            call(packPatchesT.index, get(desc), get(L.i0), get(L.mc), get(L.pc), get(L.kc), get(L.ap)),
            ifElse(
              i32.and(i32.eq(get(L.mode), i32c(MODE.patches)), i32.ne(dget(desc, D.table), i32c(0))),
              call(packTable.index, get(desc), get(L.i0), get(L.mc), get(L.pc), get(L.kc), get(L.ap)),
              call(packSegments.index, get(desc), get(L.i0), get(L.mc), get(L.pc), get(L.kc), get(L.ap)),
            ),
          ),
        ),
        set(L.acc, i32.or(get(L.accum), i32.gtS(get(L.pc), get(L.kBeg)))),
        forLoop(
          L.jr,
          get(L.j0),
          get(L.jEnd),
          i32c(NR),
          set(L.nr, min(i32c(NR), i32.sub(get(L.jEnd), get(L.jr)))),
          ifElse(
            i32.and(i32.ne(get(L.bDirect), i32c(0)), i32.ltS(i32.shrU(get(L.jr), i32c(3)), get(L.firstPacked))),
            // a full panel of row-major B, read in place
            seq(set(L.bp, i32.add(get(L.bDirect), i32.shl(i32.add(i32.mul(get(L.pc), get(L.N)), get(L.jr)), i32c(2)))), set(L.ldb, i32.shl(get(L.N), i32c(2)))),
            seq(
              set(L.bp, i32.add(get(L.bPacked), i32.shl(i32.add(i32.mul(i32.sub(i32.shrU(get(L.jr), i32c(3)), get(L.firstPacked)), get(L.K)), get(L.pc)), i32c(5)))),
              set(L.ldb, i32c(NR * 4)),
            ),
          ),
          set(L.cp, i32.add(get(L.c), i32.shl(i32.add(i32.mul(get(L.i0), get(L.ldc)), get(L.jr)), i32c(2)))),
          forLoop(
            L.ir,
            i32c(0),
            get(L.mc),
            i32c(MR),
            set(L.mr, min(i32c(MR), i32.sub(get(L.mc), get(L.ir)))),
            ifElse(
              i32.and(i32.eq(get(L.mr), i32c(MR)), i32.eq(get(L.nr), i32c(NR))),
              call(micro.index, get(L.kc), i32.add(get(L.ap), i32.shl(i32.mul(get(L.ir), get(L.kc)), i32c(2))), get(L.bp), get(L.cp), get(L.ldcB), get(L.acc), get(L.ldb)),
              call(
                microEdge.index,
                get(L.kc),
                i32.add(get(L.ap), i32.shl(i32.mul(get(L.ir), get(L.kc)), i32c(2))),
                get(L.bp),
                get(L.cp),
                get(L.ldcB),
                get(L.acc),
                get(L.mr),
                get(L.nr),
                get(L.tile),
                get(L.ldb),
              ),
            ),
            set(L.cp, i32.add(get(L.cp), i32.shl(get(L.ldcB), i32c(2)))),
          ),
        ),
      ),
    );
  }

  // ---- reducePartials(args, chunk, tid); args: dst, src, n, count, strideBytes ------------------
  // dst[i] = sum over t < count of src[t * stride + i], for i in the chunk's 4096-element range.
  const reduce = mb.func('gemm_reduce_partials', [I32, I32, I32]);
  {
    const [args, chunk] = [0, 1];
    const L = locals(reduce, I32, ['dst', 'src', 'n', 'count', 'stride', 'i', 'iEnd', 'i4', 't', 'p'] as const);
    const acc = reduce.local(V128);
    const accS = reduce.local(F32);
    const arg = (i: number): Code => i32.load(get(args), i * 4);
    reduce.body(
      set(L.dst, arg(0)),
      set(L.src, arg(1)),
      set(L.n, arg(2)),
      set(L.count, arg(3)),
      set(L.stride, arg(4)),
      set(L.i, i32.shl(get(chunk), i32c(12))),
      set(L.iEnd, min(get(L.n), i32.add(get(L.i), i32c(4096)))),
      set(L.i4, i32.add(get(L.i), i32.and(i32.sub(get(L.iEnd), get(L.i)), i32c(~3)))),
      block(
        loop(
          brIf(1, i32.geS(get(L.i), get(L.i4))),
          set(L.p, i32.add(get(L.src), i32.shl(get(L.i), i32c(2)))),
          set(acc, v128.load(get(L.p))),
          forLoop(L.t, i32c(1), get(L.count), i32c(1), set(L.p, i32.add(get(L.p), get(L.stride))), set(acc, f32x4.add(get(acc), v128.load(get(L.p))))),
          v128.store(i32.add(get(L.dst), i32.shl(get(L.i), i32c(2))), get(acc)),
          set(L.i, i32.add(get(L.i), i32c(4))),
          br(0),
        ),
      ),
      block(
        loop(
          brIf(1, i32.geS(get(L.i), get(L.iEnd))),
          set(L.p, i32.add(get(L.src), i32.shl(get(L.i), i32c(2)))),
          set(accS, f32.load(get(L.p))),
          forLoop(L.t, i32c(1), get(L.count), i32c(1), set(L.p, i32.add(get(L.p), get(L.stride))), set(accS, f32.add(get(accS), f32.load(get(L.p))))),
          f32.store(i32.add(get(L.dst), i32.shl(get(L.i), i32c(2))), get(accS)),
          set(L.i, i32.add(get(L.i), i32c(1))),
          br(0),
        ),
      ),
    );
  }

  return {
    micro: micro.index,
    microEdge: microEdge.index,
    packA: packA.index,
    packB: packB.index,
    packSegments: packSegments.index,
    packTable: packTable.index,
    packPatchesT: packPatchesT.index,
    chunk: chunkF.index,
    packBChunk: packBChunk.index,
  };
}
