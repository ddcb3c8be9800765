/**
 * WebAssembly kernels for the fused optimizer updates other than SGD and Adam (float32):
 * momentum (plain and Nesterov), RMSProp (plain and centered), Adagrad and AdamW.
 *
 * Each update is written once, as a small program over abstract operations ({@link UpdateOps}),
 * and emitted twice from it: a 128-bit SIMD body for four elements at a time and a scalar tail
 * for the last one to three elements of a chunk. Both use the same operations in the same
 * order as `@tessera/optim`'s composition (each op rounds to float32, as the op-by-op
 * composition does), so the results are the composition's bit for bit. No fused multiply-add
 * is used, even where relaxed SIMD offers it: the composition multiplies and adds separately.
 *
 * Every kernel is worker-callable, `(args, chunk, tid)`, with the argument block laid out as
 * i32 words `in_0 .. in_{I-1}, out_0 .. out_{O-1}, n, perChunk`, then f32 words
 * `s_0 .. s_{S-1}` (the scalar hyperparameters, already rounded to float32). Chunk `c` covers
 * elements `[c * perChunk, min(n, (c + 1) * perChunk))`.
 *
 * @module
 * @internal
 */
import { F32, I32, V128, block, br, brIf, f32, f32x4, forLoop, get, i32, i32c, loop, select, seq, set, v128, type Code, type FuncBuilder, type ModuleBuilder } from './emitter.js';

/** The operations an update program is written with (vector or scalar, as emitted). */
export interface UpdateOps {
  /** Tensor input `k` at the current element. */
  in(k: number): Code;
  /** Scalar argument `k`. */
  s(k: number): Code;
  /** `a + b`, rounded. */
  add(a: Code, b: Code): Code;
  /** `a - b`, rounded. */
  sub(a: Code, b: Code): Code;
  /** `a * b`, rounded. */
  mul(a: Code, b: Code): Code;
  /** `a / b`, rounded. */
  div(a: Code, b: Code): Code;
  /** `sqrt(a)`, rounded. */
  sqrt(a: Code): Code;
  /** Computes `a` once into a new local; returns code reading it. */
  let(a: Code): Code;
}

/** One update kernel: its export name, argument counts and program (outputs in order). */
export interface UpdateKernel {
  /** Export name. */
  readonly name: string;
  /** Tensor inputs (pointers). */
  readonly inputs: number;
  /** Outputs (pointers). */
  readonly outputs: number;
  /** f32 scalar arguments. */
  readonly scalars: number;
  /** The outputs' values from the inputs and scalars. */
  readonly program: (o: UpdateOps) => Code[];
}

/**
 * The update kernels. Scalars are named in each entry's comment; the fast kernels in
 * `fast/optim.ts` pass them in this order.
 */
export const UPDATE_KERNELS: readonly UpdateKernel[] = [
  // in: x, accum, g; s: momentum, lr; out: x', accum'
  // accum' = accum * momentum + g; x' = x - accum' * lr
  {
    name: 'opt_momentum',
    inputs: 3,
    outputs: 2,
    scalars: 2,
    program: (o) => {
      const a1 = o.let(o.add(o.mul(o.in(1), o.s(0)), o.in(2)));
      return [o.sub(o.in(0), o.mul(a1, o.s(1))), a1];
    },
  },
  // in: x, accum, g; s: momentum, lr; out: x', accum'
  // accum' = accum * momentum + g; x' = x - (g * lr + (accum' * momentum) * lr)
  {
    name: 'opt_nesterov',
    inputs: 3,
    outputs: 2,
    scalars: 2,
    program: (o) => {
      const a1 = o.let(o.add(o.mul(o.in(1), o.s(0)), o.in(2)));
      const step = o.add(o.mul(o.in(2), o.s(1)), o.mul(o.mul(a1, o.s(0)), o.s(1)));
      return [o.sub(o.in(0), step), a1];
    },
  },
  // in: x, ms, mom, g; s: 1 - decay, momentum, epsilon, lr; out: x', ms', mom'
  // ms' = ms + (g g - ms)(1 - decay); mom' = mom momentum + (g lr) / sqrt(ms' + eps); x' = x - mom'
  {
    name: 'opt_rmsprop',
    inputs: 4,
    outputs: 3,
    scalars: 4,
    program: (o) => {
      const g = o.in(3);
      const ms1 = o.let(o.add(o.in(1), o.mul(o.sub(o.mul(g, g), o.in(1)), o.s(0))));
      const mom1 = o.let(o.add(o.mul(o.in(2), o.s(1)), o.div(o.mul(g, o.s(3)), o.sqrt(o.add(ms1, o.s(2))))));
      return [o.sub(o.in(0), mom1), ms1, mom1];
    },
  },
  // in: x, mg, ms, mom, g; s: 1 - decay, momentum, epsilon, lr; out: x', mg', ms', mom'
  // ms' = ms + (g g - ms)(1 - decay); mg' = mg + (g - mg)(1 - decay);
  // mom' = mom momentum + (g lr) / sqrt((ms' - mg' mg') + eps); x' = x - mom'
  {
    name: 'opt_centered_rmsprop',
    inputs: 5,
    outputs: 4,
    scalars: 4,
    program: (o) => {
      const g = o.in(4);
      const ms1 = o.let(o.add(o.in(2), o.mul(o.sub(o.mul(g, g), o.in(2)), o.s(0))));
      const mg1 = o.let(o.add(o.in(1), o.mul(o.sub(g, o.in(1)), o.s(0))));
      const denom = o.add(o.sub(ms1, o.mul(mg1, mg1)), o.s(2));
      const mom1 = o.let(o.add(o.mul(o.in(3), o.s(1)), o.div(o.mul(g, o.s(3)), o.sqrt(denom))));
      return [o.sub(o.in(0), mom1), mg1, ms1, mom1];
    },
  },
  // in: x, accum, g; s: lr; out: x', accum'
  // accum' = accum + g g; x' = x - (g lr) / sqrt(accum')
  {
    name: 'opt_adagrad',
    inputs: 3,
    outputs: 2,
    scalars: 1,
    program: (o) => {
      const g = o.in(2);
      const a1 = o.let(o.add(o.in(1), o.mul(g, g)));
      return [o.sub(o.in(0), o.div(o.mul(g, o.s(0)), o.sqrt(a1))), a1];
    },
  },
  // in: x, m, v, g; s: 1 - beta1, 1 - beta2, epsilon, alpha, lr * weightDecay; out: x', m', v'
  // x_d = x - x (lr wd); then the Adam step of `ew_adam` from x_d:
  // m' = m + (g - m)(1 - beta1); v' = v + (g g - v)(1 - beta2); x' = x_d - (m' alpha) / (sqrt(v') + eps)
  {
    name: 'opt_adamw',
    inputs: 4,
    outputs: 3,
    scalars: 5,
    program: (o) => {
      const g = o.in(3);
      const xd = o.let(o.sub(o.in(0), o.mul(o.in(0), o.s(4))));
      const m1 = o.let(o.add(o.in(1), o.mul(o.sub(g, o.in(1)), o.s(0))));
      const v1 = o.let(o.add(o.in(2), o.mul(o.sub(o.mul(g, g), o.in(2)), o.s(1))));
      return [o.sub(xd, o.div(o.mul(m1, o.s(3)), o.add(o.sqrt(v1), o.s(2)))), m1, v1];
    },
  },
];

/** The worker-callable functions this file emits, in the order they are emitted. */
export const OPTIM_EXPORTS: readonly string[] = UPDATE_KERNELS.map((k) => k.name);

/** Index of a kernel's first f32 scalar word in its argument block. */
export function scalarWord(k: UpdateKernel): number {
  return k.inputs + k.outputs + 2;
}

/**
 * Vector (f32x4) or scalar (f32) operations over locals of `f`, reading inputs from `inLocals`.
 * `let` appends `local = value` to `stmts` and returns a read of the local: the statements run
 * in the order the program binds them, before the outputs are stored.
 */
function updateOps(f: FuncBuilder, vector: boolean, inLocals: readonly number[], scalarLocals: readonly number[], stmts: Code[]): UpdateOps {
  const T = vector ? f32x4 : f32;
  return {
    in: (k) => get(inLocals[k]!),
    s: (k) => get(scalarLocals[k]!),
    add: T.add,
    sub: T.sub,
    mul: T.mul,
    div: T.div,
    sqrt: T.sqrt,
    let: (a) => {
      const l = f.local(vector ? V128 : F32);
      stmts.push(set(l, a));
      return get(l);
    },
  };
}

/** Emits one update kernel: a SIMD loop over four elements at a time, then a scalar tail. */
function emitUpdate(mb: ModuleBuilder, k: UpdateKernel): void {
  const f = mb.func(k.name, [I32, I32, I32]);
  const [args, chunk] = [0, 1];
  const ptr = Array.from({ length: k.inputs + k.outputs }, () => f.local(I32));
  const [n, per, i, i1, o] = [f.local(I32), f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const sS = Array.from({ length: k.scalars }, () => f.local(F32));
  const sV = Array.from({ length: k.scalars }, () => f.local(V128));
  const inV = Array.from({ length: k.inputs }, () => f.local(V128));
  const inS = Array.from({ length: k.inputs }, () => f.local(F32));
  const at = (p: number): Code => i32.add(get(ptr[p]!), get(o));
  const body = (vector: boolean): Code => {
    const ins = vector ? inV : inS;
    const stmts: Code[] = [];
    const outs = k.program(updateOps(f, vector, ins, vector ? sV : sS, stmts));
    const load = vector ? v128.load : f32.load;
    const store = vector ? v128.store : f32.store;
    return seq(
      set(o, i32.shl(get(i), i32c(2))),
      ...ins.map((l, j) => set(l, load(at(j)))),
      ...stmts,
      ...outs.map((v, j) => store(at(k.inputs + j), v)),
    );
  };
  const s0 = scalarWord(k);
  f.body(
    ...ptr.map((l, j) => set(l, i32.load(get(args), j * 4))),
    set(n, i32.load(get(args), (k.inputs + k.outputs) * 4)),
    set(per, i32.load(get(args), (k.inputs + k.outputs + 1) * 4)),
    ...sS.map((l, j) => set(l, f32.load(get(args), (s0 + j) * 4))),
    ...sV.map((l, j) => set(l, f32x4.splat(get(sS[j]!)))),
    set(i, i32.mul(get(chunk), get(per))),
    set(i1, i32.add(get(i), get(per))),
    set(i1, select(get(n), get(i1), i32.ltS(get(n), get(i1)))), // min(n, i + per)
    // four elements at a time
    block(loop(brIf(1, i32.gtS(i32.add(get(i), i32c(4)), get(i1))), body(true), set(i, i32.add(get(i), i32c(4))), br(0))),
    // the rest one at a time
    forLoop(i, get(i), get(i1), i32c(1), body(false)),
  );
}

/**
 * Emits the optimizer-update kernels. `fma` is ignored: the updates multiply and add
 * separately, as the composition does, so that the results match it bit for bit.
 */
export function emitOptimizers(mb: ModuleBuilder, _fma: boolean): void {
  for (const k of UPDATE_KERNELS) emitUpdate(mb, k);
}
