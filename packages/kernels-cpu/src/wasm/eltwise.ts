/**
 * Elementwise, reduction, softmax and optimizer-update kernels (float32, 128-bit SIMD). Each
 * parallel entry point has the signature `(args, chunk, tid)` and reads its arguments as i32
 * words (f32 where noted) from `args`.
 *
 * - `ew_binary`: `out[r, c] = a[r*aRS + c*aCS] op b[r*bRS + c*bCS]` with column strides 0 or 1,
 *   which covers equal shapes, a scalar operand, a broadcast row and a broadcast column;
 * - `ew_unary`: math functions; `exp`, `log`, `tanh` and `sigmoid` use Cephes-style
 *   polynomials (about 1 ulp);
 * - `ew_reduce_rows`: sum (accumulated in float64) or max of each row;
 * - `ew_reduce_cols`: sum (float64) or max down the rows, for each column;
 * - `ew_softmax_rows`: softmax or log-softmax of each row;
 * - `ew_compare`, `ew_where`: comparisons to bool and selection by a bool condition;
 * - `ew_adam`, `ew_axpy`: fused optimizer updates, rounding like the op-by-op composition.
 *
 * @module
 * @internal
 */
import {
  F32,
  F64,
  I32,
  V128,
  block,
  br,
  brIf,
  call,
  f32,
  f32x4,
  f64,
  f64x2,
  forLoop,
  get,
  i32,
  i32c,
  i32x4,
  if_,
  narrow,
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

/** Binary op codes of `ew_binary`. */
export const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'squaredDifference'] as const;
/** Unary op codes of `ew_unary`. */
export const UNARY_OPS = ['neg', 'abs', 'sqrt', 'exp', 'log', 'tanh', 'sigmoid', 'relu', 'square', 'floor', 'ceil', 'round'] as const;
/** Comparison op codes of `ew_compare` (float32 in, bool out). */
export const COMPARE_OPS = ['equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual'] as const;
/** Reduction op codes. */
export const REDUCE_OPS = ['sum', 'max', 'min'] as const;

const f32c4 = (x: number): Code => {
  const b = new Uint8Array(new Float32Array([x, x, x, x]).buffer);
  return v128.const([...b]);
};
const i32c4 = (x: number): Code => {
  const b = new Uint8Array(new Int32Array([x, x, x, x]).buffer);
  return v128.const([...b]);
};

function locals<K extends string>(f: FuncBuilder, t: typeof I32 | typeof V128 | typeof F32 | typeof F64, names: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const n of names) out[n] = f.local(t);
  return out;
}

const min = (a: Code, b: Code): Code => seq(a, b, i32.ltS(a, b), [0x1b]);

/**
 * Vector math built from expression templates. Each function takes code producing an f32x4 and
 * returns code producing the result; temporaries are locals of `f`.
 */
class VMath {
  private readonly t: number[];
  constructor(
    f: FuncBuilder,
    private readonly fma: boolean,
  ) {
    this.t = Array.from({ length: 8 }, () => f.local(V128));
  }

  madd(a: Code, b: Code, c: Code): Code {
    return this.fma ? f32x4.relaxedMadd(a, b, c) : f32x4.add(f32x4.mul(a, b), c);
  }

  /** Horner: c[0] + x*(c[1] + x*(...)), coefficients highest first given as `hi..lo`. */
  poly(x: Code, coeffs: readonly number[]): Code {
    let acc = f32c4(coeffs[0]!);
    for (let i = 1; i < coeffs.length; i++) acc = this.madd(acc, x, f32c4(coeffs[i]!));
    return acc;
  }

  /**
   * e^x (Cephes expf), with overflow to +Infinity, gradual underflow and NaN passing through.
   * `pmin`/`pmax` (one instruction each on x64) keep a NaN in x, and n = round(x / ln 2) comes
   * from adding 1.5 * 2^23, whose low mantissa bits then hold n as an integer.
   */
  exp(x: Code): Code {
    const [xv, n, r, p, ni] = this.t as [number, number, number, number, number];
    const MAGIC = 12582912; // 1.5 * 2^23
    return seq(
      // clamped to [-104, 89]: past ln(FLT_MAX) = 88.72 the scaling below overflows to Infinity
      set(xv, f32x4.pmin(f32x4.pmax(x, f32c4(-104)), f32c4(89))),
      set(ni, this.madd(get(xv), f32c4(1.44269504088896341), f32c4(MAGIC))),
      set(n, f32x4.sub(get(ni), f32c4(MAGIC))),
      set(ni, i32x4.sub(get(ni), i32c4(0x4b400000))), // the integer n
      set(r, this.madd(get(n), f32c4(-0.693359375), get(xv))),
      set(r, this.madd(get(n), f32c4(2.12194440e-4), get(r))),
      set(p, this.poly(get(r), [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1])),
      set(p, f32x4.add(this.madd(f32x4.mul(get(p), get(r)), get(r), get(r)), f32c4(1))),
      // 2^n as two factors 2^(n>>1) * 2^(n - (n>>1)), both normal for n in [-150, 128]
      set(n, i32x4.shrS(get(ni), i32c(1))),
      set(ni, i32x4.sub(get(ni), get(n))),
      set(p, f32x4.mul(get(p), i32x4.shl(i32x4.add(get(n), i32c4(127)), i32c(23)))),
      f32x4.mul(get(p), i32x4.shl(i32x4.add(get(ni), i32c4(127)), i32c(23))),
    );
  }

  /** Natural log (Cephes logf): NaN below 0, -Infinity at 0, +Infinity at +Infinity. */
  log(x: Code): Code {
    const [xv, e, m, f, z, y, small, mask] = this.t as [number, number, number, number, number, number, number, number];
    return seq(
      set(xv, x),
      // subnormals: scale by 2^25 first
      set(small, f32x4.lt(get(xv), f32c4(1.1754943508222875e-38))),
      set(m, v128.bitselect(f32x4.mul(get(xv), f32c4(33554432)), get(xv), get(small))),
      set(e, i32x4.sub(i32x4.shrU(get(m), i32c(23)), i32c4(127))),
      set(e, i32x4.sub(get(e), v128.and(get(small), i32c4(25)))),
      set(m, v128.or(v128.and(get(m), i32c4(0x7fffff)), i32c4(0x3f000000))), // mantissa in [0.5, 1)
      // m < sqrt(1/2): m = 2m - 1, e -= 1; else m = m - 1
      set(mask, f32x4.lt(get(m), f32c4(0.707106781186547524))),
      set(e, i32x4.add(get(e), i32c4(1))),
      set(e, i32x4.add(get(e), get(mask))), // mask is -1 where true
      set(f, f32x4.sub(f32x4.add(get(m), v128.and(get(m), get(mask))), f32c4(1))),
      set(e, f32x4.convertI32x4S(get(e))),
      set(z, f32x4.mul(get(f), get(f))),
      set(
        y,
        f32x4.mul(
          f32x4.mul(get(f), get(z)),
          this.poly(get(f), [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1]),
        ),
      ),
      set(y, f32x4.add(get(y), f32x4.mul(get(e), f32c4(-2.12194440e-4)))),
      set(y, f32x4.sub(get(y), f32x4.mul(get(z), f32c4(0.5)))),
      set(y, f32x4.add(f32x4.add(get(f), get(y)), f32x4.mul(get(e), f32c4(0.693359375)))),
      // specials: x < 0 or NaN -> NaN, 0 -> -Inf, +Inf -> +Inf
      set(y, v128.bitselect(f32c4(NaN), get(y), v128.or(f32x4.lt(get(xv), f32c4(0)), f32x4.ne(get(xv), get(xv))))),
      set(y, v128.bitselect(f32c4(-Infinity), get(y), f32x4.eq(get(xv), f32c4(0)))),
      v128.bitselect(f32c4(Infinity), get(y), f32x4.eq(get(xv), f32c4(Infinity))),
    );
  }
}

/** Emits the elementwise kernels. */
export function emitElementwise(mb: ModuleBuilder, fma: boolean): void {
  /** `(pa, pb, po, n, rows, aRowBytes, bRowBytes, oRowBytes)`: runs `inner(pa, pb, po, n)` per row. */
  const rowWrapper = (inner: number): number => {
    const f = mb.func(null, [I32, I32, I32, I32, I32, I32, I32, I32]);
    const [pa, pb, po, n, rows, ars, brs, ors] = [0, 1, 2, 3, 4, 5, 6, 7];
    const r = f.local(I32);
    f.body(
      forLoop(
        r,
        i32c(0),
        get(rows),
        i32c(1),
        call(inner, get(pa), get(pb), get(po), get(n)),
        set(pa, i32.add(get(pa), get(ars))),
        set(pb, i32.add(get(pb), get(brs))),
        set(po, i32.add(get(po), get(ors))),
      ),
    );
    return f.index;
  };
  // ---- binary ----------------------------------------------------------------------------------
  const vop: Record<(typeof BINARY_OPS)[number], (a: Code, b: Code) => Code> = {
    add: f32x4.add,
    sub: f32x4.sub,
    mul: f32x4.mul,
    div: f32x4.div,
    maximum: f32x4.max,
    minimum: f32x4.min,
    squaredDifference: f32x4.sub, // see vcompute
  };
  const sop: Record<(typeof BINARY_OPS)[number], (a: Code, b: Code) => Code> = {
    add: f32.add,
    sub: f32.sub,
    mul: f32.mul,
    div: f32.div,
    maximum: f32.max,
    minimum: f32.min,
    squaredDifference: f32.sub,
  };
  // one loop per (op, a contiguous?, b contiguous?): (pa, pb, po, n)
  const binLoops: number[][] = [];
  BINARY_OPS.forEach((name) => {
    const row: number[] = [];
    for (let variant = 0; variant < 4; variant++) {
      const aVec = (variant & 1) === 0;
      const bVec = (variant & 2) === 0;
      const f = mb.func(null, [I32, I32, I32, I32]);
      const [pa, pb, po, n] = [0, 1, 2, 3];
      const L = locals(f, I32, ['i', 'n8'] as const);
      const V = locals(f, V128, ['sa', 'sb', 'd0', 'd1'] as const);
      const SF = locals(f, F32, ['xa', 'xb', 'd'] as const);
      const loadA = (off: number): Code => (aVec ? v128.load(get(pa), off) : get(V.sa));
      const loadB = (off: number): Code => (bVec ? v128.load(get(pb), off) : get(V.sb));
      const vcompute = (x: Code, y: Code, tmp: number): Code =>
        name === 'squaredDifference' ? seq(set(tmp, f32x4.sub(x, y)), f32x4.mul(get(tmp), get(tmp))) : vop[name](x, y);
      const scompute = (x: Code, y: Code): Code =>
        name === 'squaredDifference' ? seq(set(SF.d, f32.sub(x, y)), f32.mul(get(SF.d), get(SF.d))) : sop[name](x, y);
      f.body(
        aVec ? [] : set(V.sa, v128.load32Splat(get(pa))),
        bVec ? [] : set(V.sb, v128.load32Splat(get(pb))),
        set(L.n8, i32.and(get(n), i32c(~7))),
        set(L.i, i32c(0)),
        block(
          loop(
            brIf(1, i32.geS(get(L.i), get(L.n8))),
            v128.store(get(po), vcompute(loadA(0), loadB(0), V.d0)),
            v128.store(get(po), vcompute(loadA(16), loadB(16), V.d1), 16),
            aVec ? set(pa, i32.add(get(pa), i32c(32))) : [],
            bVec ? set(pb, i32.add(get(pb), i32c(32))) : [],
            set(po, i32.add(get(po), i32c(32))),
            set(L.i, i32.add(get(L.i), i32c(8))),
            br(0),
          ),
        ),
        set(SF.xa, f32.load(get(pa))),
        set(SF.xb, f32.load(get(pb))),
        block(
          loop(
            brIf(1, i32.geS(get(L.i), get(n))),
            aVec ? set(SF.xa, f32.load(get(pa))) : [],
            bVec ? set(SF.xb, f32.load(get(pb))) : [],
            f32.store(get(po), scompute(get(SF.xa), get(SF.xb))),
            aVec ? set(pa, i32.add(get(pa), i32c(4))) : [],
            bVec ? set(pb, i32.add(get(pb), i32c(4))) : [],
            set(po, i32.add(get(po), i32c(4))),
            set(L.i, i32.add(get(L.i), i32c(1))),
            br(0),
          ),
        ),
      );
      row.push(rowWrapper(f.index));
    }
    binLoops.push(row);
  });

  // ew_binary(args, chunk, tid); args: op, a, b, out, rows, cols, aRS, aCS, bRS, bCS, rowsPerChunk, colsPerChunk
  {
    const f = mb.func('ew_binary', [I32, I32, I32]);
    const [args, chunk] = [0, 1];
    const L = locals(f, I32, ['op', 'a', 'b', 'out', 'rows', 'cols', 'aRS', 'aCS', 'bRS', 'bCS', 'rpc', 'cpc', 'colBlocks', 'r0', 'r1', 'c0', 'c1', 'pa', 'pb', 'po', 'n'] as const);
    const arg = (i: number): Code => i32.load(get(args), i * 4);
    const dispatch: Code[] = [];
    BINARY_OPS.forEach((_, op) => {
      for (let variant = 0; variant < 4; variant++) {
        dispatch.push(
          if_(
            i32.eq(get(L.op), i32c(op * 4 + variant)),
            call(binLoops[op]![variant]!, get(L.pa), get(L.pb), get(L.po), get(L.n), i32.sub(get(L.r1), get(L.r0)), i32.shl(get(L.aRS), i32c(2)), i32.shl(get(L.bRS), i32c(2)), i32.shl(get(L.cols), i32c(2))),
          ),
        );
      }
    });
    f.body(
      set(L.op, arg(0)),
      set(L.a, arg(1)),
      set(L.b, arg(2)),
      set(L.out, arg(3)),
      set(L.rows, arg(4)),
      set(L.cols, arg(5)),
      set(L.aRS, arg(6)),
      set(L.aCS, arg(7)),
      set(L.bRS, arg(8)),
      set(L.bCS, arg(9)),
      set(L.rpc, arg(10)),
      set(L.cpc, arg(11)),
      set(L.colBlocks, i32.divU(i32.sub(i32.add(get(L.cols), get(L.cpc)), i32c(1)), get(L.cpc))),
      set(L.r0, i32.mul(i32.divU(get(chunk), get(L.colBlocks)), get(L.rpc))),
      set(L.r1, min(get(L.rows), i32.add(get(L.r0), get(L.rpc)))),
      set(L.c0, i32.mul(i32.remU(get(chunk), get(L.colBlocks)), get(L.cpc))),
      set(L.c1, min(get(L.cols), i32.add(get(L.c0), get(L.cpc)))),
      set(L.n, i32.sub(get(L.c1), get(L.c0))),
      set(L.op, i32.add(i32.mul(get(L.op), i32c(4)), i32.add(i32.eqz(get(L.aCS)), i32.shl(i32.eqz(get(L.bCS)), i32c(1))))),
      set(L.pa, i32.add(get(L.a), i32.shl(i32.add(i32.mul(get(L.r0), get(L.aRS)), i32.mul(get(L.c0), get(L.aCS))), i32c(2)))),
      set(L.pb, i32.add(get(L.b), i32.shl(i32.add(i32.mul(get(L.r0), get(L.bRS)), i32.mul(get(L.c0), get(L.bCS))), i32c(2)))),
      set(L.po, i32.add(get(L.out), i32.shl(i32.add(i32.mul(get(L.r0), get(L.cols)), get(L.c0)), i32c(2)))),
      ...dispatch,
    );
  }

  // ---- comparisons (bool out) ------------------------------------------------------------------
  const vcmp: Record<(typeof COMPARE_OPS)[number], (a: Code, b: Code) => Code> = {
    equal: f32x4.eq,
    notEqual: f32x4.ne,
    less: f32x4.lt,
    lessEqual: f32x4.le,
    greater: f32x4.gt,
    greaterEqual: f32x4.ge,
  };
  const scmp: Record<(typeof COMPARE_OPS)[number], (a: Code, b: Code) => Code> = {
    equal: f32.eq,
    notEqual: f32.ne,
    less: f32.lt,
    lessEqual: f32.le,
    greater: f32.gt,
    greaterEqual: f32.ge,
  };
  const cmpLoops: number[][] = [];
  COMPARE_OPS.forEach((name) => {
    const row: number[] = [];
    for (let variant = 0; variant < 4; variant++) {
      const aVec = (variant & 1) === 0;
      const bVec = (variant & 2) === 0;
      const f = mb.func(null, [I32, I32, I32, I32]);
      const [pa, pb, po, n] = [0, 1, 2, 3];
      const L = locals(f, I32, ['i', 'n16'] as const);
      const V = locals(f, V128, ['sa', 'sb', 'm0', 'm1', 'm2', 'm3'] as const);
      const SF = locals(f, F32, ['xa', 'xb'] as const);
      const loadA = (off: number): Code => (aVec ? v128.load(get(pa), off) : get(V.sa));
      const loadB = (off: number): Code => (bVec ? v128.load(get(pb), off) : get(V.sb));
      const ms = [V.m0, V.m1, V.m2, V.m3];
      f.body(
        aVec ? [] : set(V.sa, v128.load32Splat(get(pa))),
        bVec ? [] : set(V.sb, v128.load32Splat(get(pb))),
        set(L.n16, i32.and(get(n), i32c(~15))),
        set(L.i, i32c(0)),
        block(
          loop(
            brIf(1, i32.geS(get(L.i), get(L.n16))),
            ...ms.map((m, k) => set(m, vcmp[name](loadA(k * 16), loadB(k * 16)))),
            // 16 lane masks (-1 / 0) narrowed to 16 bytes, then 1 / 0
            v128.store(
              get(po),
              v128.and(narrow.i8x16FromI16x8S(narrow.i16x8FromI32x4S(get(V.m0), get(V.m1)), narrow.i16x8FromI32x4S(get(V.m2), get(V.m3))), v128.const(new Array<number>(16).fill(1))),
            ),
            aVec ? set(pa, i32.add(get(pa), i32c(64))) : [],
            bVec ? set(pb, i32.add(get(pb), i32c(64))) : [],
            set(po, i32.add(get(po), i32c(16))),
            set(L.i, i32.add(get(L.i), i32c(16))),
            br(0),
          ),
        ),
        set(SF.xa, f32.load(get(pa))),
        set(SF.xb, f32.load(get(pb))),
        block(
          loop(
            brIf(1, i32.geS(get(L.i), get(n))),
            aVec ? set(SF.xa, f32.load(get(pa))) : [],
            bVec ? set(SF.xb, f32.load(get(pb))) : [],
            i32.store8(get(po), scmp[name](get(SF.xa), get(SF.xb))),
            aVec ? set(pa, i32.add(get(pa), i32c(4))) : [],
            bVec ? set(pb, i32.add(get(pb), i32c(4))) : [],
            set(po, i32.add(get(po), i32c(1))),
            set(L.i, i32.add(get(L.i), i32c(1))),
            br(0),
          ),
        ),
      );
      row.push(rowWrapper(f.index));
    }
    cmpLoops.push(row);
  });

  // ew_compare(args, chunk, tid); args as ew_binary, out is bytes
  {
    const f = mb.func('ew_compare', [I32, I32, I32]);
    const [args, chunk] = [0, 1];
    const L = locals(f, I32, ['op', 'a', 'b', 'out', 'rows', 'cols', 'aRS', 'aCS', 'bRS', 'bCS', 'rpc', 'cpc', 'colBlocks', 'r0', 'r1', 'c0', 'c1', 'pa', 'pb', 'po', 'n'] as const);
    const arg = (i: number): Code => i32.load(get(args), i * 4);
    const dispatch: Code[] = [];
    COMPARE_OPS.forEach((_, op) => {
      for (let variant = 0; variant < 4; variant++) {
        dispatch.push(
          if_(
            i32.eq(get(L.op), i32c(op * 4 + variant)),
            call(cmpLoops[op]![variant]!, get(L.pa), get(L.pb), get(L.po), get(L.n), i32.sub(get(L.r1), get(L.r0)), i32.shl(get(L.aRS), i32c(2)), i32.shl(get(L.bRS), i32c(2)), get(L.cols)),
          ),
        );
      }
    });
    f.body(
      set(L.op, arg(0)),
      set(L.a, arg(1)),
      set(L.b, arg(2)),
      set(L.out, arg(3)),
      set(L.rows, arg(4)),
      set(L.cols, arg(5)),
      set(L.aRS, arg(6)),
      set(L.aCS, arg(7)),
      set(L.bRS, arg(8)),
      set(L.bCS, arg(9)),
      set(L.rpc, arg(10)),
      set(L.cpc, arg(11)),
      set(L.colBlocks, i32.divU(i32.sub(i32.add(get(L.cols), get(L.cpc)), i32c(1)), get(L.cpc))),
      set(L.r0, i32.mul(i32.divU(get(chunk), get(L.colBlocks)), get(L.rpc))),
      set(L.r1, min(get(L.rows), i32.add(get(L.r0), get(L.rpc)))),
      set(L.c0, i32.mul(i32.remU(get(chunk), get(L.colBlocks)), get(L.cpc))),
      set(L.c1, min(get(L.cols), i32.add(get(L.c0), get(L.cpc)))),
      set(L.n, i32.sub(get(L.c1), get(L.c0))),
      set(L.op, i32.add(i32.mul(get(L.op), i32c(4)), i32.add(i32.eqz(get(L.aCS)), i32.shl(i32.eqz(get(L.bCS)), i32c(1))))),
      set(L.pa, i32.add(get(L.a), i32.shl(i32.add(i32.mul(get(L.r0), get(L.aRS)), i32.mul(get(L.c0), get(L.aCS))), i32c(2)))),
      set(L.pb, i32.add(get(L.b), i32.shl(i32.add(i32.mul(get(L.r0), get(L.bRS)), i32.mul(get(L.c0), get(L.bCS))), i32c(2)))),
      set(L.po, i32.add(get(L.out), i32.add(i32.mul(get(L.r0), get(L.cols)), get(L.c0)))),
      ...dispatch,
    );
  }

  // ew_where(args, chunk, tid); args: cond (bytes), a, b, out, n, perChunk, aScalar, bScalar
  // out[i] = cond[i] != 0 ? a[i] : b[i] (a scalar operand reads element 0)
  {
    const f = mb.func('ew_where', [I32, I32, I32]);
    const [args, chunk] = [0, 1];
    const L = locals(f, I32, ['c', 'a', 'b', 'out', 'n', 'per', 'aS', 'bS', 'i', 'i1', 'i4'] as const);
    const V = locals(f, V128, ['va', 'vb', 'm'] as const);
    const arg = (i: number): Code => i32.load(get(args), i * 4);
    const aAt = (scale: number): Code => ifElseV(get(L.aS), get(V.va), v128.load(i32.add(get(L.a), i32.shl(get(L.i), i32c(scale)))));
    f.body(
      set(L.c, arg(0)),
      set(L.a, arg(1)),
      set(L.b, arg(2)),
      set(L.out, arg(3)),
      set(L.n, arg(4)),
      set(L.per, arg(5)),
      set(L.aS, arg(6)),
      set(L.bS, arg(7)),
      set(V.va, v128.load32Splat(get(L.a))),
      set(V.vb, v128.load32Splat(get(L.b))),
      set(L.i, i32.mul(get(chunk), get(L.per))),
      set(L.i1, min(get(L.n), i32.add(get(L.i), get(L.per)))),
      set(L.i4, i32.add(get(L.i), i32.and(i32.sub(get(L.i1), get(L.i)), i32c(~3)))),
      block(
        loop(
          brIf(1, i32.geS(get(L.i), get(L.i4))),
          set(V.m, i32x4.ne(narrow.i32x4ExtendLowI16x8U(narrow.i16x8ExtendLowI8x16U(v128.load32Zero(i32.add(get(L.c), get(L.i))))), v128.const(new Array<number>(16).fill(0)))),
          v128.store(
            i32.add(get(L.out), i32.shl(get(L.i), i32c(2))),
            v128.bitselect(aAt(2), ifElseV(get(L.bS), get(V.vb), v128.load(i32.add(get(L.b), i32.shl(get(L.i), i32c(2))))), get(V.m)),
          ),
          set(L.i, i32.add(get(L.i), i32c(4))),
          br(0),
        ),
      ),
      forLoop(
        L.i,
        get(L.i),
        get(L.i1),
        i32c(1),
        f32.store(
          i32.add(get(L.out), i32.shl(get(L.i), i32c(2))),
          ifElseF(
            i32.load8U(i32.add(get(L.c), get(L.i))),
            f32.load(select2(get(L.aS), get(L.a), i32.add(get(L.a), i32.shl(get(L.i), i32c(2))))),
            f32.load(select2(get(L.bS), get(L.b), i32.add(get(L.b), i32.shl(get(L.i), i32c(2))))),
          ),
        ),
      ),
    );
  }

  // ew_axpy(args, chunk, tid); args: x, g, out, n, perChunk, f32 s: out = x - g * s (two roundings, as sub(x, mul(g, s)))
  {
    const f = mb.func('ew_axpy', [I32, I32, I32]);
    const [args, chunk] = [0, 1];
    const L = locals(f, I32, ['x', 'g', 'out', 'n', 'per', 'i', 'i1', 'o'] as const);
    const V = locals(f, V128, ['s'] as const);
    const S = locals(f, F32, ['s'] as const);
    const arg = (i: number): Code => i32.load(get(args), i * 4);
    f.body(
      set(L.x, arg(0)),
      set(L.g, arg(1)),
      set(L.out, arg(2)),
      set(L.n, arg(3)),
      set(L.per, arg(4)),
      set(S.s, f32.load(get(args), 20)),
      set(V.s, f32x4.splat(get(S.s))),
      set(L.i, i32.mul(get(chunk), get(L.per))),
      set(L.i1, min(get(L.n), i32.add(get(L.i), get(L.per)))),
      block(
        loop(
          brIf(1, i32.gtS(i32.add(get(L.i), i32c(4)), get(L.i1))),
          set(L.o, i32.shl(get(L.i), i32c(2))),
          v128.store(i32.add(get(L.out), get(L.o)), f32x4.sub(v128.load(i32.add(get(L.x), get(L.o))), f32x4.mul(v128.load(i32.add(get(L.g), get(L.o))), get(V.s)))),
          set(L.i, i32.add(get(L.i), i32c(4))),
          br(0),
        ),
      ),
      forLoop(
        L.i,
        get(L.i),
        get(L.i1),
        i32c(1),
        set(L.o, i32.shl(get(L.i), i32c(2))),
        f32.store(i32.add(get(L.out), get(L.o)), f32.sub(f32.load(i32.add(get(L.x), get(L.o))), f32.mul(f32.load(i32.add(get(L.g), get(L.o))), get(S.s)))),
      ),
    );
  }

  // ---- unary -------------------------------------------------------------------------------------
  // one loop per op: (px, po, n)
  const unaryLoops: number[] = [];
  for (const name of UNARY_OPS) {
    const f = mb.func(null, [I32, I32, I32]);
    const [px, po, n] = [0, 1, 2];
    const vm = new VMath(f, fma);
    const L = locals(f, I32, ['i', 'n4', 'tail'] as const);
    const V = locals(f, V128, ['x', 'y'] as const);
    const vec = (x: Code): Code => {
      switch (name) {
        case 'neg':
          return f32x4.neg(x);
        case 'abs':
          return f32x4.abs(x);
        case 'sqrt':
          return f32x4.sqrt(x);
        case 'exp':
          return vm.exp(x);
        case 'log':
          return vm.log(x);
        case 'tanh': {
          // |x| < 0.625: x + x z P(z); else sign(x) (1 - 2 / (e^{2|x|} + 1))
          const ax = f32x4.abs(get(V.x));
          const big = f32x4.sub(f32c4(1), f32x4.div(f32c4(2), f32x4.add(vm.exp(f32x4.mul(ax, f32c4(2))), f32c4(1))));
          const signed = v128.or(big, v128.and(get(V.x), i32c4(-0x80000000)));
          const z = f32x4.mul(get(V.x), get(V.x));
          const small = vm.madd(
            f32x4.mul(get(V.x), z),
            vm.poly(f32x4.mul(get(V.x), get(V.x)), [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1]),
            get(V.x),
          );
          return seq(set(V.x, x), set(V.y, signed), v128.bitselect(small, get(V.y), f32x4.lt(f32x4.abs(get(V.x)), f32c4(0.625))));
        }
        case 'sigmoid':
          // t = e^-|x|: 1 / (1 + t) for x >= 0, t / (1 + t) below (no overflow, keeps tiny results)
          return seq(
            set(V.x, x),
            set(V.y, vm.exp(f32x4.neg(f32x4.abs(get(V.x))))),
            v128.bitselect(
              f32x4.div(f32c4(1), f32x4.add(f32c4(1), get(V.y))),
              f32x4.div(get(V.y), f32x4.add(f32c4(1), get(V.y))),
              f32x4.ge(get(V.x), f32c4(0)),
            ),
          );
        case 'relu':
          // max(x, 0): NaN stays NaN, -0 becomes 0 (as Math.max)
          return f32x4.max(x, f32c4(0));
        case 'square':
          return seq(set(V.x, x), f32x4.mul(get(V.x), get(V.x)));
        case 'floor':
          return f32x4.floor(x);
        case 'ceil':
          return f32x4.ceil(x);
        case 'round':
          return f32x4.nearest(x);
      }
    };
    const body = vec;
    f.body(
      set(L.n4, i32.and(get(n), i32c(~3))),
      set(L.i, i32c(0)),
      block(
        loop(
          brIf(1, i32.geS(get(L.i), get(L.n4))),
          v128.store(get(po), body(v128.load(get(px)))),
          set(px, i32.add(get(px), i32c(16))),
          set(po, i32.add(get(po), i32c(16))),
          set(L.i, i32.add(get(L.i), i32c(4))),
          br(0),
        ),
      ),
      // the tail: one vector over the last 1-3 elements, loaded and stored lane by lane
      set(L.tail, i32.sub(get(n), get(L.i))),
      if_(
        i32.gtS(get(L.tail), i32c(0)),
        set(V.x, f32x4.splat(f32.load(get(px)))),
        if_(i32.gtS(get(L.tail), i32c(1)), set(V.x, f32x4.replaceLane(get(V.x), 1, f32.load(get(px), 4)))),
        if_(i32.gtS(get(L.tail), i32c(2)), set(V.x, f32x4.replaceLane(get(V.x), 2, f32.load(get(px), 8)))),
        set(V.x, body(get(V.x))),
        f32.store(get(po), f32x4.extractLane(get(V.x), 0)),
        if_(i32.gtS(get(L.tail), i32c(1)), f32.store(get(po), f32x4.extractLane(get(V.x), 1), 4)),
        if_(i32.gtS(get(L.tail), i32c(2)), f32.store(get(po), f32x4.extractLane(get(V.x), 2), 8)),
      ),
    );
    unaryLoops.push(f.index);
  }

  // ew_unary(args, chunk, tid); args: op, x, out, n, perChunk
  {
    const f = mb.func('ew_unary', [I32, I32, I32]);
    const [args, chunk] = [0, 1];
    const L = locals(f, I32, ['op', 'x', 'out', 'n', 'per', 'i0', 'i1'] as const);
    const arg = (i: number): Code => i32.load(get(args), i * 4);
    f.body(
      set(L.op, arg(0)),
      set(L.x, arg(1)),
      set(L.out, arg(2)),
      set(L.n, arg(3)),
      set(L.per, arg(4)),
      set(L.i0, i32.mul(get(chunk), get(L.per))),
      set(L.i1, min(get(L.n), i32.add(get(L.i0), get(L.per)))),
      ...unaryLoops.map((fn, op) =>
        if_(
          i32.eq(get(L.op), i32c(op)),
          call(
            fn,
            i32.add(get(L.x), i32.shl(get(L.i0), i32c(2))),
            i32.add(get(L.out), i32.shl(get(L.i0), i32c(2))),
            i32.sub(get(L.i1), get(L.i0)),
          ),
        ),
      ),
    );
  }

  // ---- reductions --------------------------------------------------------------------------------
  // ew_reduce_rows(args, chunk, tid); args: op, x, out, rows, cols, rowsPerChunk
  {
    const f = mb.func('ew_reduce_rows', [I32, I32, I32]);
    const [args, chunk] = [0, 1];
    const L = locals(f, I32, ['op', 'x', 'out', 'rows', 'cols', 'rpc', 'r', 'r1', 'p', 'j', 'c4'] as const);
    const V = locals(f, V128, ['a0', 'a1', 'v', 'm'] as const);
    const S = locals(f, F64, ['s'] as const);
    const SF = locals(f, F32, ['mf'] as const);
    const arg = (i: number): Code => i32.load(get(args), i * 4);
    const sumRow = seq(
      set(V.a0, f64x2.splat([0x44, 0, 0, 0, 0, 0, 0, 0, 0])),
      set(V.a1, get(V.a0)),
      set(L.j, i32c(0)),
      block(
        loop(
          brIf(1, i32.geS(get(L.j), get(L.c4))),
          set(V.v, v128.load(get(L.p))),
          set(V.a0, f64x2.add(get(V.a0), f64x2.promoteLowF32x4(get(V.v)))),
          set(V.a1, f64x2.add(get(V.a1), f64x2.promoteLowF32x4(shuffle(get(V.v), get(V.v), [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7])))),
          set(L.p, i32.add(get(L.p), i32c(16))),
          set(L.j, i32.add(get(L.j), i32c(4))),
          br(0),
        ),
      ),
      set(V.a0, f64x2.add(get(V.a0), get(V.a1))),
      set(S.s, f64.add(f64x2.extractLane(get(V.a0), 0), f64x2.extractLane(get(V.a0), 1))),
      block(
        loop(
          brIf(1, i32.geS(get(L.j), get(L.cols))),
          set(S.s, f64.add(get(S.s), f64.promoteF32(f32.load(get(L.p))))),
          set(L.p, i32.add(get(L.p), i32c(4))),
          set(L.j, i32.add(get(L.j), i32c(1))),
          br(0),
        ),
      ),
      f32.store(i32.add(get(L.out), i32.shl(get(L.r), i32c(2))), f32.demoteF64(get(S.s))),
    );
    const extremeRow = (isMax: boolean): Code =>
      seq(
        set(V.m, f32c4(isMax ? -Infinity : Infinity)),
        set(L.j, i32c(0)),
        block(
          loop(
            brIf(1, i32.geS(get(L.j), get(L.c4))),
            set(V.m, isMax ? f32x4.max(get(V.m), v128.load(get(L.p))) : f32x4.min(get(V.m), v128.load(get(L.p)))),
            set(L.p, i32.add(get(L.p), i32c(16))),
            set(L.j, i32.add(get(L.j), i32c(4))),
            br(0),
          ),
        ),
        set(V.m, (isMax ? f32x4.max : f32x4.min)(get(V.m), shuffle(get(V.m), get(V.m), [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]))),
        set(V.m, (isMax ? f32x4.max : f32x4.min)(get(V.m), shuffle(get(V.m), get(V.m), [4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11]))),
        set(SF.mf, f32x4.extractLane(get(V.m), 0)),
        block(
          loop(
            brIf(1, i32.geS(get(L.j), get(L.cols))),
            set(SF.mf, (isMax ? f32.max : f32.min)(get(SF.mf), f32.load(get(L.p)))),
            set(L.p, i32.add(get(L.p), i32c(4))),
            set(L.j, i32.add(get(L.j), i32c(1))),
            br(0),
          ),
        ),
        f32.store(i32.add(get(L.out), i32.shl(get(L.r), i32c(2))), get(SF.mf)),
      );
    f.body(
      set(L.op, arg(0)),
      set(L.x, arg(1)),
      set(L.out, arg(2)),
      set(L.rows, arg(3)),
      set(L.cols, arg(4)),
      set(L.rpc, arg(5)),
      set(L.c4, i32.and(get(L.cols), i32c(~3))),
      set(L.r1, min(get(L.rows), i32.mul(i32.add(get(chunk), i32c(1)), get(L.rpc)))),
      forLoop(
        L.r,
        i32.mul(get(chunk), get(L.rpc)),
        get(L.r1),
        i32c(1),
        set(L.p, i32.add(get(L.x), i32.shl(i32.mul(get(L.r), get(L.cols)), i32c(2)))),
        ifElse(i32.eqz(get(L.op)), sumRow, ifElse(i32.eq(get(L.op), i32c(1)), extremeRow(true), extremeRow(false))),
      ),
    );
  }

  // ew_reduce_cols(args, chunk, tid); args: op, x, out, rows, cols, colsPerChunk, scratch, scratchStride
  // out[c] = reduce over r of x[r, c]; sums accumulate in a float64 row in the thread's scratch
  {
    const f = mb.func('ew_reduce_cols', [I32, I32, I32]);
    const [args, chunk, tid] = [0, 1, 2];
    const L = locals(f, I32, ['op', 'x', 'out', 'rows', 'cols', 'cpc', 'c0', 'n', 'acc', 'r', 'j', 'p', 'q', 'n4'] as const);
    const V = locals(f, V128, ['v'] as const);
    const arg = (i: number): Code => i32.load(get(args), i * 4);
    f.body(
      set(L.op, arg(0)),
      set(L.x, arg(1)),
      set(L.out, arg(2)),
      set(L.rows, arg(3)),
      set(L.cols, arg(4)),
      set(L.cpc, arg(5)),
      set(L.acc, i32.add(arg(6), i32.mul(get(tid), arg(7)))),
      set(L.c0, i32.mul(get(chunk), get(L.cpc))),
      set(L.n, min(get(L.cpc), i32.sub(get(L.cols), get(L.c0)))),
      set(L.n4, i32.and(get(L.n), i32c(~3))),
      ifElse(
        i32.eqz(get(L.op)),
        seq(
          // float64 accumulators: two f64x2 per 4 columns
          forLoop(L.j, i32c(0), get(L.n), i32c(1), f64.store(i32.add(get(L.acc), i32.shl(get(L.j), i32c(3))), [0x44, 0, 0, 0, 0, 0, 0, 0, 0])),
          forLoop(
            L.r,
            i32c(0),
            get(L.rows),
            i32c(1),
            set(L.p, i32.add(get(L.x), i32.shl(i32.add(i32.mul(get(L.r), get(L.cols)), get(L.c0)), i32c(2)))),
            set(L.q, get(L.acc)),
            forLoop(
              L.j,
              i32c(0),
              get(L.n4),
              i32c(4),
              set(V.v, v128.load(get(L.p))),
              v128.store(get(L.q), f64x2.add(v128.load(get(L.q)), f64x2.promoteLowF32x4(get(V.v)))),
              v128.store(get(L.q), f64x2.add(v128.load(get(L.q), 16), f64x2.promoteLowF32x4(shuffle(get(V.v), get(V.v), [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]))), 16),
              set(L.p, i32.add(get(L.p), i32c(16))),
              set(L.q, i32.add(get(L.q), i32c(32))),
            ),
            forLoop(
              L.j,
              get(L.n4),
              get(L.n),
              i32c(1),
              f64.store(get(L.q), f64.add(f64.load(get(L.q)), f64.promoteF32(f32.load(get(L.p))))),
              set(L.p, i32.add(get(L.p), i32c(4))),
              set(L.q, i32.add(get(L.q), i32c(8))),
            ),
          ),
          forLoop(
            L.j,
            i32c(0),
            get(L.n),
            i32c(1),
            f32.store(i32.add(get(L.out), i32.shl(i32.add(get(L.c0), get(L.j)), i32c(2))), f32.demoteF64(f64.load(i32.add(get(L.acc), i32.shl(get(L.j), i32c(3)))))),
          ),
        ),
        // max / min straight into the output
        seq(
          set(L.q, i32.add(get(L.out), i32.shl(get(L.c0), i32c(2)))),
          set(L.p, i32.add(get(L.x), i32.shl(get(L.c0), i32c(2)))),
          forLoop(L.j, i32c(0), get(L.n), i32c(1), f32.store(i32.add(get(L.q), i32.shl(get(L.j), i32c(2))), f32.load(i32.add(get(L.p), i32.shl(get(L.j), i32c(2)))))),
          forLoop(
            L.r,
            i32c(1),
            get(L.rows),
            i32c(1),
            set(L.p, i32.add(get(L.x), i32.shl(i32.add(i32.mul(get(L.r), get(L.cols)), get(L.c0)), i32c(2)))),
            forLoop(
              L.j,
              i32c(0),
              get(L.n4),
              i32c(4),
              v128.store(
                i32.add(get(L.q), i32.shl(get(L.j), i32c(2))),
                ifElseV(
                  i32.eq(get(L.op), i32c(1)),
                  f32x4.max(v128.load(i32.add(get(L.q), i32.shl(get(L.j), i32c(2)))), v128.load(i32.add(get(L.p), i32.shl(get(L.j), i32c(2))))),
                  f32x4.min(v128.load(i32.add(get(L.q), i32.shl(get(L.j), i32c(2)))), v128.load(i32.add(get(L.p), i32.shl(get(L.j), i32c(2))))),
                ),
              ),
            ),
            forLoop(
              L.j,
              get(L.n4),
              get(L.n),
              i32c(1),
              f32.store(
                i32.add(get(L.q), i32.shl(get(L.j), i32c(2))),
                ifElseF(
                  i32.eq(get(L.op), i32c(1)),
                  f32.max(f32.load(i32.add(get(L.q), i32.shl(get(L.j), i32c(2)))), f32.load(i32.add(get(L.p), i32.shl(get(L.j), i32c(2))))),
                  f32.min(f32.load(i32.add(get(L.q), i32.shl(get(L.j), i32c(2)))), f32.load(i32.add(get(L.p), i32.shl(get(L.j), i32c(2))))),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  // ---- softmax -----------------------------------------------------------------------------------
  // ew_softmax_rows(args, chunk, tid); args: log (0/1), x, out, rows, cols, rowsPerChunk
  {
    const f = mb.func('ew_softmax_rows', [I32, I32, I32]);
    const [args, chunk] = [0, 1];
    const vm = new VMath(f, fma);
    const L = locals(f, I32, ['log', 'x', 'out', 'rows', 'cols', 'rpc', 'r', 'r1', 'px', 'po', 'j', 'c4'] as const);
    const V = locals(f, V128, ['m', 'v', 's', 'e'] as const);
    const S = locals(f, F32, ['mf', 'sf', 'inv', 'ls'] as const);
    const D64 = locals(f, F64, ['sum'] as const);
    const arg = (i: number): Code => i32.load(get(args), i * 4);
    const rowLoop = (...body: Code[]): Code =>
      seq(
        set(L.px, i32.add(get(L.x), i32.shl(i32.mul(get(L.r), get(L.cols)), i32c(2)))),
        set(L.po, i32.add(get(L.out), i32.shl(i32.mul(get(L.r), get(L.cols)), i32c(2)))),
        forLoop(L.j, i32c(0), get(L.c4), i32c(4), ...body, set(L.px, i32.add(get(L.px), i32c(16))), set(L.po, i32.add(get(L.po), i32c(16)))),
      );
    // scalar tail handled by running the vector body on a splatted lane and storing lane 0
    const tail = (...body: Code[]): Code => forLoop(L.j, get(L.c4), get(L.cols), i32c(1), ...body, set(L.px, i32.add(get(L.px), i32c(4))), set(L.po, i32.add(get(L.po), i32c(4))));
    f.body(
      set(L.log, arg(0)),
      set(L.x, arg(1)),
      set(L.out, arg(2)),
      set(L.rows, arg(3)),
      set(L.cols, arg(4)),
      set(L.rpc, arg(5)),
      set(L.c4, i32.and(get(L.cols), i32c(~3))),
      set(L.r1, min(get(L.rows), i32.mul(i32.add(get(chunk), i32c(1)), get(L.rpc)))),
      forLoop(
        L.r,
        i32.mul(get(chunk), get(L.rpc)),
        get(L.r1),
        i32c(1),
        // max
        set(V.m, f32c4(-Infinity)),
        rowLoop(set(V.m, f32x4.max(get(V.m), v128.load(get(L.px))))),
        set(V.m, f32x4.max(get(V.m), shuffle(get(V.m), get(V.m), [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]))),
        set(V.m, f32x4.max(get(V.m), shuffle(get(V.m), get(V.m), [4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11]))),
        set(S.mf, f32x4.extractLane(get(V.m), 0)),
        tail(set(S.mf, f32.max(get(S.mf), f32.load(get(L.px))))),
        set(V.m, f32x4.splat(get(S.mf))),
        // e = exp(x - max) into out, sum in float64
        set(V.s, f64x2.splat([0x44, 0, 0, 0, 0, 0, 0, 0, 0])),
        rowLoop(
          set(V.e, vm.exp(f32x4.sub(v128.load(get(L.px)), get(V.m)))),
          if_(i32.eqz(get(L.log)), v128.store(get(L.po), get(V.e))),
          set(V.s, f64x2.add(get(V.s), f64x2.add(f64x2.promoteLowF32x4(get(V.e)), f64x2.promoteLowF32x4(shuffle(get(V.e), get(V.e), [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]))))),
        ),
        set(D64.sum, f64.add(f64x2.extractLane(get(V.s), 0), f64x2.extractLane(get(V.s), 1))),
        tail(
          set(S.sf, f32x4.extractLane(vm.exp(f32x4.sub(f32x4.splat(f32.load(get(L.px))), get(V.m))), 0)),
          if_(i32.eqz(get(L.log)), f32.store(get(L.po), get(S.sf))),
          set(D64.sum, f64.add(get(D64.sum), f64.promoteF32(get(S.sf)))),
        ),
        ifElse(
          i32.eqz(get(L.log)),
          seq(
            set(S.inv, f32.demoteF64(get(D64.sum))),
            set(V.v, f32x4.splat(get(S.inv))),
            rowLoop(v128.store(get(L.po), f32x4.div(v128.load(get(L.po)), get(V.v)))),
            tail(f32.store(get(L.po), f32.div(f32.load(get(L.po)), get(S.inv)))),
          ),
          seq(
            // log-softmax: x - max - log(sum)
            set(S.ls, f32x4.extractLane(vm.log(f32x4.splat(f32.demoteF64(get(D64.sum)))), 0)),
            set(V.v, f32x4.splat(get(S.ls))),
            rowLoop(v128.store(get(L.po), f32x4.sub(f32x4.sub(v128.load(get(L.px)), get(V.m)), get(V.v)))),
            tail(f32.store(get(L.po), f32.sub(f32.sub(f32.load(get(L.px)), get(S.mf)), get(S.ls)))),
          ),
        ),
      ),
    );
  }

  // ---- max pooling (NHWC, channels in multiples of 4) -------------------------------------------
  // ew_maxpool(args, chunk = image, tid); args: x, out, dy, dx, H, W, C, OH, OW, FH, FW, sh, sw, padT, padL, grad
  // forward: out = max over the window's in-bounds cells (the first NaN wins, as the reference);
  // grad: dx[first argmax] += dy (dx zeroed by the caller; one image per chunk, so no races)
  {
    const f = mb.func('ew_maxpool', [I32, I32, I32]);
    const [args, chunk] = [0, 1];
    const L = locals(f, I32, ['x', 'out', 'dy', 'dx', 'H', 'W', 'C', 'OH', 'OW', 'FH', 'FW', 'sh', 'sw', 'padT', 'padL', 'grad', 'oh', 'ow', 'ih0', 'iw0', 'ih', 'iw', 'fh', 'fw', 'c', 'o', 'xo', 'lane', 'i'] as const);
    const V = locals(f, V128, ['m', 'v', 'mask', 'idx', 'dyv'] as const);
    const arg = (i: number): Code => i32.load(get(args), i * 4);
    const lanesIota = v128.const([0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]);
    f.body(
      set(L.x, arg(0)),
      set(L.out, arg(1)),
      set(L.dy, arg(2)),
      set(L.dx, arg(3)),
      set(L.H, arg(4)),
      set(L.W, arg(5)),
      set(L.C, arg(6)),
      set(L.OH, arg(7)),
      set(L.OW, arg(8)),
      set(L.FH, arg(9)),
      set(L.FW, arg(10)),
      set(L.sh, arg(11)),
      set(L.sw, arg(12)),
      set(L.padT, arg(13)),
      set(L.padL, arg(14)),
      set(L.grad, arg(15)),
      forLoop(
        L.oh,
        i32c(0),
        get(L.OH),
        i32c(1),
        set(L.ih0, i32.sub(i32.mul(get(L.oh), get(L.sh)), get(L.padT))),
        forLoop(
          L.ow,
          i32c(0),
          get(L.OW),
          i32c(1),
          set(L.iw0, i32.sub(i32.mul(get(L.ow), get(L.sw)), get(L.padL))),
          set(L.o, i32.mul(i32.add(i32.mul(i32.add(i32.mul(get(chunk), get(L.OH)), get(L.oh)), get(L.OW)), get(L.ow)), get(L.C))),
          forLoop(
            L.c,
            i32c(0),
            get(L.C),
            i32c(4),
            set(V.m, f32c4(-Infinity)),
            set(V.idx, i32c4(-1)),
            forLoop(
              L.fh,
              i32c(0),
              get(L.FH),
              i32c(1),
              set(L.ih, i32.add(get(L.ih0), get(L.fh))),
              if_(
                i32.ltU(get(L.ih), get(L.H)),
                forLoop(
                  L.fw,
                  i32c(0),
                  get(L.FW),
                  i32c(1),
                  set(L.iw, i32.add(get(L.iw0), get(L.fw))),
                  if_(
                    i32.ltU(get(L.iw), get(L.W)),
                    set(L.xo, i32.add(i32.mul(i32.add(i32.mul(i32.add(i32.mul(get(chunk), get(L.H)), get(L.ih)), get(L.W)), get(L.iw)), get(L.C)), get(L.c))),
                    set(V.v, v128.load(i32.add(get(L.x), i32.shl(get(L.xo), i32c(2))))),
                    set(V.mask, v128.or(f32x4.gt(get(V.v), get(V.m)), v128.and(f32x4.ne(get(V.v), get(V.v)), f32x4.eq(get(V.m), get(V.m))))),
                    set(V.m, v128.bitselect(get(V.v), get(V.m), get(V.mask))),
                    if_(get(L.grad), set(V.idx, v128.bitselect(i32x4.add(i32x4.splat(get(L.xo)), lanesIota), get(V.idx), get(V.mask)))),
                  ),
                ),
              ),
            ),
            ifElse(
              get(L.grad),
              seq(
                set(V.dyv, v128.load(i32.add(get(L.dy), i32.shl(i32.add(get(L.o), get(L.c)), i32c(2))))),
                ...[0, 1, 2, 3].map((lane) =>
                  seq(
                    set(L.i, i32x4.extractLane(get(V.idx), lane)),
                    if_(
                      i32.geS(get(L.i), i32c(0)),
                      set(L.lane, i32.add(get(L.dx), i32.shl(get(L.i), i32c(2)))),
                      f32.store(get(L.lane), f32.add(f32.load(get(L.lane)), f32x4.extractLane(get(V.dyv), lane))),
                    ),
                  ),
                ),
              ),
              v128.store(i32.add(get(L.out), i32.shl(i32.add(get(L.o), get(L.c)), i32c(2))), get(V.m)),
            ),
          ),
        ),
      ),
    );
  }

  // ---- optimizer updates -------------------------------------------------------------------------
  // ew_adam(args, chunk, tid); args: x, m, v, g, outX, outM, outV, n, perChunk, f32: c1, c2, eps, alpha
  // m' = m + (g - m) c1; v' = v + (g g - v) c2; x' = x - (m' alpha) / (sqrt(v') + eps)
  {
    const f = mb.func('ew_adam', [I32, I32, I32]);
    const [args, chunk] = [0, 1];
    const L = locals(f, I32, ['x', 'm', 'v', 'g', 'ox', 'om', 'ov', 'n', 'per', 'i', 'i1', 'o'] as const);
    const V = locals(f, V128, ['c1', 'c2', 'eps', 'alpha', 'gv', 'mv', 'vv'] as const);
    const S = locals(f, F32, ['c1', 'c2', 'eps', 'alpha', 'gs', 'ms', 'vs'] as const);
    const arg = (i: number): Code => i32.load(get(args), i * 4);
    const argf = (i: number): Code => f32.load(get(args), i * 4);
    const at = (base: number): Code => i32.add(get(base), get(L.o));
    f.body(
      set(L.x, arg(0)),
      set(L.m, arg(1)),
      set(L.v, arg(2)),
      set(L.g, arg(3)),
      set(L.ox, arg(4)),
      set(L.om, arg(5)),
      set(L.ov, arg(6)),
      set(L.n, arg(7)),
      set(L.per, arg(8)),
      set(S.c1, argf(9)),
      set(S.c2, argf(10)),
      set(S.eps, argf(11)),
      set(S.alpha, argf(12)),
      set(V.c1, f32x4.splat(get(S.c1))),
      set(V.c2, f32x4.splat(get(S.c2))),
      set(V.eps, f32x4.splat(get(S.eps))),
      set(V.alpha, f32x4.splat(get(S.alpha))),
      set(L.i, i32.mul(get(chunk), get(L.per))),
      set(L.i1, min(get(L.n), i32.add(get(L.i), get(L.per)))),
      block(
        loop(
          brIf(1, i32.gtS(i32.add(get(L.i), i32c(4)), get(L.i1))),
          set(L.o, i32.shl(get(L.i), i32c(2))),
          set(V.gv, v128.load(at(L.g))),
          set(V.mv, v128.load(at(L.m))),
          set(V.mv, f32x4.add(get(V.mv), f32x4.mul(f32x4.sub(get(V.gv), get(V.mv)), get(V.c1)))),
          set(V.vv, v128.load(at(L.v))),
          set(V.vv, f32x4.add(get(V.vv), f32x4.mul(f32x4.sub(f32x4.mul(get(V.gv), get(V.gv)), get(V.vv)), get(V.c2)))),
          v128.store(at(L.om), get(V.mv)),
          v128.store(at(L.ov), get(V.vv)),
          v128.store(at(L.ox), f32x4.sub(v128.load(at(L.x)), f32x4.div(f32x4.mul(get(V.mv), get(V.alpha)), f32x4.add(f32x4.sqrt(get(V.vv)), get(V.eps))))),
          set(L.i, i32.add(get(L.i), i32c(4))),
          br(0),
        ),
      ),
      forLoop(
        L.i,
        get(L.i),
        get(L.i1),
        i32c(1),
        set(L.o, i32.shl(get(L.i), i32c(2))),
        set(S.gs, f32.load(at(L.g))),
        set(S.ms, f32.load(at(L.m))),
        set(S.ms, f32.add(get(S.ms), f32.mul(f32.sub(get(S.gs), get(S.ms)), get(S.c1)))),
        set(S.vs, f32.load(at(L.v))),
        set(S.vs, f32.add(get(S.vs), f32.mul(f32.sub(f32.mul(get(S.gs), get(S.gs)), get(S.vs)), get(S.c2)))),
        f32.store(at(L.om), get(S.ms)),
        f32.store(at(L.ov), get(S.vs)),
        f32.store(at(L.ox), f32.sub(f32.load(at(L.x)), f32.div(f32.mul(get(S.ms), get(S.alpha)), f32.add(f32.sqrt(get(S.vs)), get(S.eps))))),
      ),
    );
  }
}

/** `if c then a else b` producing a v128. */
function ifElseV(c: Code, a: Code, b: Code): Code {
  return seq(c, [0x04, V128], a, [0x05], b, [0x0b]);
}
/** `c ? a : b` for i32 values (`select`). */
function select2(c: Code, a: Code, b: Code): Code {
  return seq(a, b, c, [0x1b]);
}
/** `if c then a else b` producing an f32. */
function ifElseF(c: Code, a: Code, b: Code): Code {
  return seq(c, [0x04, F32], a, [0x05], b, [0x0b]);
}

