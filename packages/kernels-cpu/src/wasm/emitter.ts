/**
 * A small WebAssembly binary emitter. Kernels are written in TypeScript as expression trees of
 * byte arrays (`i32.add(get(a), i32c(4))`), and {@link ModuleBuilder} turns them into a module
 * at run time, so the repository holds the kernels' source and no binaries, and nothing needs a
 * compiler or a build step.
 *
 * Only what the kernels use is here: i32/f32/f64 scalars, 128-bit SIMD (`v128`), relaxed-SIMD
 * multiply-add, structured control flow and an imported (optionally shared) memory.
 *
 * @module
 * @internal
 */

/** Encoded bytes of one instruction sequence. */
export type Code = number[];

/** Value types. */
export const I32 = 0x7f;
/** 64-bit float value type. */
export const F64 = 0x7c;
/** 32-bit float value type. */
export const F32 = 0x7d;
/** 128-bit vector value type. */
export const V128 = 0x7b;
/** A value type byte. */
export type ValType = typeof I32 | typeof F32 | typeof F64 | typeof V128;

/** Unsigned LEB128. */
export function uleb(n: number): Code {
  const out: Code = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(n: number): Code {
  const out: Code = [];
  let v = n | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function cat(parts: readonly (Code | number)[]): Code {
  const out: Code = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else for (let i = 0; i < p.length; i++) out.push(p[i]!);
  }
  return out;
}

/** Concatenates statements. */
export function seq(...parts: Code[]): Code {
  return cat(parts);
}

// ---- locals and constants ----------------------------------------------------------------------

/** `local.get`. */
export const get = (l: number): Code => [0x20, ...uleb(l)];
/** `local.set`. */
export const set = (l: number, v: Code): Code => cat([v, 0x21, uleb(l)]);
/** `local.tee`. */
export const tee = (l: number, v: Code): Code => cat([v, 0x22, uleb(l)]);
/** `i32.const`. */
export const i32c = (n: number): Code => [0x41, ...sleb(n)];
/** `f32.const`. */
export function f32c(x: number): Code {
  const b = new Uint8Array(new Float32Array([x]).buffer);
  return [0x43, ...b];
}
/** `f64.const`. */
export function f64c(x: number): Code {
  const b = new Uint8Array(new Float64Array([x]).buffer);
  return [0x44, ...b];
}
/** `drop`. */
export const drop = (v: Code): Code => cat([v, 0x1a]);
/** `select` (v1 if c != 0 else v2). */
export const select = (v1: Code, v2: Code, c: Code): Code => cat([v1, v2, c, 0x1b]);
/** `call`. */
export const call = (fn: number, ...args: Code[]): Code => cat([...args, 0x10, uleb(fn)]);

// ---- control -----------------------------------------------------------------------------------

const VOID = 0x40;
/** `block ... end`. */
export const block = (...body: Code[]): Code => cat([0x02, VOID, ...body, 0x0b]);
/** `loop ... end`. */
export const loop = (...body: Code[]): Code => cat([0x03, VOID, ...body, 0x0b]);
/** `if c then ... end`. */
export const if_ = (c: Code, ...body: Code[]): Code => cat([c, 0x04, VOID, ...body, 0x0b]);
/** `if c then a else b end`. */
export const ifElse = (c: Code, a: Code, b: Code): Code => cat([c, 0x04, VOID, a, 0x05, b, 0x0b]);
/** `br depth`. */
export const br = (depth: number): Code => [0x0c, ...uleb(depth)];
/** `br_if depth`. */
export const brIf = (depth: number, c: Code): Code => cat([c, 0x0d, uleb(depth)]);
/** `return`. */
export const ret = (v: Code = []): Code => cat([v, 0x0f]);

/**
 * `for (i = start; i < end; i += step) body` as `block { loop { br_if exit; body; i += step; br loop } }`.
 * Inside `body`, depth 0 is the loop (continue) and depth 1 the block (break).
 */
export function forLoop(i: number, start: Code, end: Code, step: Code, ...body: Code[]): Code {
  return seq(
    set(i, start),
    block(loop(brIf(1, i32.geS(get(i), end)), ...body, set(i, i32.add(get(i), step)), br(0))),
  );
}

/** `do { body } while (cond)` (runs at least once). Depth 0 inside `body` is the loop. */
export function doWhile(cond: Code, ...body: Code[]): Code {
  return loop(...body, brIf(0, cond));
}

// ---- scalar arithmetic -------------------------------------------------------------------------

/** A binary instruction. */
export type Bin = (a: Code, b: Code) => Code;
/** A unary instruction. */
export type Un = (a: Code) => Code;
/** A load at `addr + offset`. */
export type Load = (addr: Code, offset?: number) => Code;
/** A store at `addr + offset`. */
export type Store = (addr: Code, v: Code, offset?: number) => Code;
/** A shift of each lane by a scalar count. */
export type Shift = (a: Code, n: Code) => Code;

function bin(op: number): Bin {
  return (a: Code, b: Code): Code => cat([a, b, op]);
}
function un(op: number): Un {
  return (a: Code): Code => cat([a, op]);
}
function memOp(op: number, align: number): Load {
  return (addr: Code, offset = 0): Code => cat([addr, op, align, uleb(offset)]);
}
function storeOp(op: number, align: number): Store {
  return (addr: Code, v: Code, offset = 0): Code => cat([addr, v, op, align, uleb(offset)]);
}

/** i32 instructions. */
export const i32: { eqz: Un; eq: Bin; ne: Bin; ltS: Bin; ltU: Bin; gtS: Bin; gtU: Bin; leS: Bin; geS: Bin; geU: Bin; add: Bin; sub: Bin; mul: Bin; divS: Bin; divU: Bin; remS: Bin; remU: Bin; and: Bin; or: Bin; xor: Bin; shl: Bin; shrS: Bin; shrU: Bin; load: Load; load8U: Load; store: Store; store8: Store; truncSatF32S: Un; truncSatF64S: Un; reinterpretF32: Un } = {
  eqz: un(0x45),
  eq: bin(0x46),
  ne: bin(0x47),
  ltS: bin(0x48),
  ltU: bin(0x49),
  gtS: bin(0x4a),
  gtU: bin(0x4b),
  leS: bin(0x4c),
  geS: bin(0x4e),
  geU: bin(0x4f),
  add: bin(0x6a),
  sub: bin(0x6b),
  mul: bin(0x6c),
  divS: bin(0x6d),
  divU: bin(0x6e),
  remS: bin(0x6f),
  remU: bin(0x70),
  and: bin(0x71),
  or: bin(0x72),
  xor: bin(0x73),
  shl: bin(0x74),
  shrS: bin(0x75),
  shrU: bin(0x76),
  load: memOp(0x28, 2),
  load8U: memOp(0x2d, 0),
  store: storeOp(0x36, 2),
  store8: storeOp(0x3a, 0),
  truncSatF32S: (a: Code): Code => cat([a, 0xfc, 0x00]),
  truncSatF64S: (a: Code): Code => cat([a, 0xfc, 0x02]),
  reinterpretF32: un(0xbc),
};

/** f32 instructions. */
export const f32: { eq: Bin; ne: Bin; lt: Bin; gt: Bin; le: Bin; ge: Bin; abs: Un; neg: Un; ceil: Un; floor: Un; trunc: Un; nearest: Un; sqrt: Un; add: Bin; sub: Bin; mul: Bin; div: Bin; min: Bin; max: Bin; load: Load; store: Store; demoteF64: Un; convertI32S: Un; reinterpretI32: Un } = {
  eq: bin(0x5b),
  ne: bin(0x5c),
  lt: bin(0x5d),
  gt: bin(0x5e),
  le: bin(0x5f),
  ge: bin(0x60),
  abs: un(0x8b),
  neg: un(0x8c),
  ceil: un(0x8d),
  floor: un(0x8e),
  trunc: un(0x8f),
  nearest: un(0x90),
  sqrt: un(0x91),
  add: bin(0x92),
  sub: bin(0x93),
  mul: bin(0x94),
  div: bin(0x95),
  min: bin(0x96),
  max: bin(0x97),
  load: memOp(0x2a, 2),
  store: storeOp(0x38, 2),
  demoteF64: un(0xb6),
  convertI32S: un(0xb2),
  reinterpretI32: un(0xbe),
};

/** f64 instructions. */
export const f64: { eq: Bin; lt: Bin; gt: Bin; add: Bin; sub: Bin; mul: Bin; div: Bin; min: Bin; max: Bin; sqrt: Un; load: Load; store: Store; promoteF32: Un; convertI32S: Un } = {
  eq: bin(0x61),
  lt: bin(0x63),
  gt: bin(0x64),
  add: bin(0xa0),
  sub: bin(0xa1),
  mul: bin(0xa2),
  div: bin(0xa3),
  min: bin(0xa4),
  max: bin(0xa5),
  sqrt: un(0x9f),
  load: memOp(0x2b, 3),
  store: storeOp(0x39, 3),
  promoteF32: un(0xbb),
  convertI32S: un(0xb7),
};

// ---- SIMD --------------------------------------------------------------------------------------

function simd(op: number): Code {
  return [0xfd, ...uleb(op)];
}
function vbin(op: number): Bin {
  return (a: Code, b: Code): Code => cat([a, b, simd(op)]);
}
function vun(op: number): Un {
  return (a: Code): Code => cat([a, simd(op)]);
}
function vmem(op: number, align: number): Load {
  return (addr: Code, offset = 0): Code => cat([addr, simd(op), align, uleb(offset)]);
}

/** v128 instructions (bitwise, loads and stores). */
export const v128: { load: Load; load32Splat: Load; load64Zero: Load; load32Zero: Load; store: Store; store64Lane: (addr: Code, v: Code, lane: number, offset?: number) => Code; store32Lane: (addr: Code, v: Code, lane: number, offset?: number) => Code; const: (bytes: readonly number[]) => Code; not: Un; and: Bin; andnot: Bin; or: Bin; xor: Bin; bitselect: (a: Code, b: Code, mask: Code) => Code; anyTrue: Un } = {
  load: vmem(0x00, 4),
  load32Splat: vmem(0x09, 2),
  load64Zero: vmem(0x5d, 3),
  load32Zero: vmem(0x5c, 2),
  store: (addr: Code, v: Code, offset = 0): Code => cat([addr, v, simd(0x0b), 4, uleb(offset)]),
  /** Stores lane `lane` of a 64x2 view. */
  store64Lane: (addr: Code, v: Code, lane: number, offset = 0): Code => cat([addr, v, simd(0x5b), 3, uleb(offset), lane]),
  /** Stores lane `lane` of a 32x4 view. */
  store32Lane: (addr: Code, v: Code, lane: number, offset = 0): Code => cat([addr, v, simd(0x5a), 2, uleb(offset), lane]),
  const: (bytes: readonly number[]): Code => cat([simd(0x0c), [...bytes]]),
  not: vun(0x4d),
  and: vbin(0x4e),
  andnot: vbin(0x4f),
  or: vbin(0x50),
  xor: vbin(0x51),
  bitselect: (a: Code, b: Code, mask: Code): Code => cat([a, b, mask, simd(0x52)]),
  anyTrue: vun(0x53),
};

/** `i8x16.shuffle` with 16 lane indices. */
export function shuffle(a: Code, b: Code, lanes: readonly number[]): Code {
  return cat([a, b, simd(0x0d), [...lanes]]);
}

/** f32x4 instructions. */
export const f32x4: { splat: Un; extractLane: (a: Code, lane: number) => Code; replaceLane: (a: Code, lane: number, x: Code) => Code; eq: Bin; ne: Bin; lt: Bin; gt: Bin; le: Bin; ge: Bin; ceil: Un; floor: Un; trunc: Un; nearest: Un; abs: Un; neg: Un; sqrt: Un; add: Bin; sub: Bin; mul: Bin; div: Bin; min: Bin; max: Bin; pmin: Bin; pmax: Bin; convertI32x4S: Un; demoteF64x2Zero: Un; relaxedMadd: (a: Code, b: Code, c: Code) => Code; relaxedNmadd: (a: Code, b: Code, c: Code) => Code } = {
  splat: vun(0x13),
  extractLane: (a: Code, lane: number): Code => cat([a, simd(0x1f), lane]),
  replaceLane: (a: Code, lane: number, x: Code): Code => cat([a, x, simd(0x20), lane]),
  eq: vbin(0x41),
  ne: vbin(0x42),
  lt: vbin(0x43),
  gt: vbin(0x44),
  le: vbin(0x45),
  ge: vbin(0x46),
  ceil: vun(0x67),
  floor: vun(0x68),
  trunc: vun(0x69),
  nearest: vun(0x6a),
  abs: vun(0xe0),
  neg: vun(0xe1),
  sqrt: vun(0xe3),
  add: vbin(0xe4),
  sub: vbin(0xe5),
  mul: vbin(0xe6),
  div: vbin(0xe7),
  min: vbin(0xe8),
  max: vbin(0xe9),
  pmin: vbin(0xea),
  pmax: vbin(0xeb),
  convertI32x4S: vun(0xfa),
  demoteF64x2Zero: vun(0x5e),
  /** Relaxed-SIMD `a * b + c` (one rounding where the hardware fuses it). */
  relaxedMadd: (a: Code, b: Code, c: Code): Code => cat([a, b, c, simd(0x105)]),
  /** Relaxed-SIMD `-(a * b) + c`. */
  relaxedNmadd: (a: Code, b: Code, c: Code): Code => cat([a, b, c, simd(0x106)]),
};

/** f64x2 instructions. */
export const f64x2: { splat: Un; extractLane: (a: Code, lane: number) => Code; add: Bin; sub: Bin; mul: Bin; div: Bin; min: Bin; max: Bin; promoteLowF32x4: Un } = {
  splat: vun(0x14),
  extractLane: (a: Code, lane: number): Code => cat([a, simd(0x21), lane]),
  add: vbin(0xf0),
  sub: vbin(0xf1),
  mul: vbin(0xf2),
  div: vbin(0xf3),
  min: vbin(0xf4),
  max: vbin(0xf5),
  promoteLowF32x4: vun(0x5f),
};

/** i8x16 / i16x8 lane-width conversions. */
export const narrow: { i16x8FromI32x4S: Bin; i8x16FromI16x8S: Bin; i16x8ExtendLowI8x16U: Un; i32x4ExtendLowI16x8U: Un } = {
  i16x8FromI32x4S: vbin(0x85),
  i8x16FromI16x8S: vbin(0x65),
  i16x8ExtendLowI8x16U: vun(0x89),
  i32x4ExtendLowI16x8U: vun(0xa9),
};

/** i32x4 instructions. */
export const i32x4: { splat: Un; extractLane: (a: Code, lane: number) => Code; eq: Bin; ne: Bin; gtS: Bin; shl: Shift; shrS: Shift; shrU: Shift; add: Bin; sub: Bin; mul: Bin; minS: Bin; maxS: Bin; truncSatF32x4S: Un } = {
  splat: vun(0x11),
  extractLane: (a: Code, lane: number): Code => cat([a, simd(0x1b), lane]),
  eq: vbin(0x37),
  ne: vbin(0x38),
  gtS: vbin(0x39),
  shl: (a: Code, n: Code): Code => cat([a, n, simd(0xab)]),
  shrS: (a: Code, n: Code): Code => cat([a, n, simd(0xac)]),
  shrU: (a: Code, n: Code): Code => cat([a, n, simd(0xad)]),
  add: vbin(0xae),
  sub: vbin(0xb1),
  mul: vbin(0xb5),
  minS: vbin(0xb6),
  maxS: vbin(0xb8),
  truncSatF32x4S: vun(0xf8),
};

// ---- module ------------------------------------------------------------------------------------

interface FuncDef {
  readonly name: string | null;
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  readonly locals: ValType[];
  body: Code;
}

/**
 * Builds a function body: declare parameters up front, allocate locals with {@link FuncBuilder.local},
 * then set {@link FuncBuilder.body}.
 */
export class FuncBuilder {
  /** @internal */
  constructor(
    readonly index: number,
    private readonly def: FuncDef,
  ) {}

  /** Local index of parameter `i`. */
  param(i: number): number {
    return i;
  }

  /** Declares a new local of type `t`; returns its index. */
  local(t: ValType): number {
    this.def.locals.push(t);
    return this.def.params.length + this.def.locals.length - 1;
  }

  /** Sets the function's code. */
  body(...code: Code[]): void {
    this.def.body = seq(...code);
  }
}

/** Memory import options. */
export interface MemoryImport {
  /** Initial pages (64 KiB each). */
  readonly initial: number;
  /** Maximum pages. */
  readonly maximum: number;
  /** A shared memory (needs the threads feature). */
  readonly shared: boolean;
}

/**
 * Builds a module with one imported memory (`env.memory`) and exported functions.
 */
export class ModuleBuilder {
  private readonly funcs: FuncDef[] = [];

  constructor(private readonly memory: MemoryImport) {}

  /**
   * Declares a function (exported when `name` is a string). The body can be set later, so
   * functions can call functions declared after them.
   */
  func(name: string | null, params: readonly ValType[], results: readonly ValType[] = []): FuncBuilder {
    const def: FuncDef = { name, params, results, locals: [], body: [] };
    this.funcs.push(def);
    return new FuncBuilder(this.funcs.length - 1, def);
  }

  /** The module's bytes. */
  build(): Uint8Array {
    const section = (id: number, content: Code): Code => cat([id, uleb(content.length), content]);
    const vec = (items: Code[]): Code => cat([uleb(items.length), ...items]);
    const name = (s: string): Code => {
      const b = [...s].map((c) => c.charCodeAt(0));
      return cat([uleb(b.length), b]);
    };
    // one type per function (duplicates are allowed)
    const types = this.funcs.map((f) => cat([0x60, vec(f.params.map((p) => [p])), vec(f.results.map((r) => [r]))]));
    const m = this.memory;
    const memFlags = m.shared ? 0x03 : 0x01;
    const imports = [cat([name('env'), name('memory'), 0x02, memFlags, uleb(m.initial), uleb(m.maximum)])];
    const funcIdx = this.funcs.map((_, i) => uleb(i));
    const exportsList = this.funcs
      .map((f, i) => (f.name === null ? null : cat([name(f.name), 0x00, uleb(i)])))
      .filter((e): e is Code => e !== null);
    const bodies = this.funcs.map((f) => {
      // compress locals into runs of equal type
      const runs: Code[] = [];
      let i = 0;
      while (i < f.locals.length) {
        let j = i;
        while (j < f.locals.length && f.locals[j] === f.locals[i]) j++;
        runs.push(cat([uleb(j - i), f.locals[i]!]));
        i = j;
      }
      const content = cat([vec(runs), f.body, 0x0b]);
      return cat([uleb(content.length), content]);
    });
    const bytes = cat([
      [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
      section(1, vec(types)),
      section(2, vec(imports)),
      section(3, vec(funcIdx)),
      section(7, vec(exportsList)),
      section(10, vec(bodies)),
    ]);
    return new Uint8Array(bytes);
  }
}
