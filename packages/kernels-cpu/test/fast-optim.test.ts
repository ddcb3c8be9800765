/**
 * The fused momentum (plain and Nesterov), RMSProp (plain and centered), Adagrad and AdamW
 * update kernels of the CPU backend (WebAssembly SIMD above the size threshold, TypeScript
 * below it and for float64) against
 *
 * - the unfused composition of `@tessera/optim` run op by op on the TypeScript-only backend:
 *   bit for bit (the kernels round after each op in the composition's order and use no fused
 *   multiply-add), NaN, infinities and signed zeros included;
 * - an independent float64 implementation of the TF 1.x formulas, over several steps;
 *
 * on sizes below and above the threshold, lengths that are not multiples of 4 (the SIMD tail)
 * or of the chunk size, with one thread and with two. Then the optimizer classes train with the
 * fused kernels exactly as they do without them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dispose,
  memory,
  mul,
  setBackend,
  setKernelLeakCheck,
  square,
  sub,
  sum,
  tensor,
  tidy,
  variable,
  type Backend,
  type DType,
  type Kernel,
  type Tensor,
} from '@tessera/core';
import {
  AdagradOptimizer,
  AdamWOptimizer,
  MomentumOptimizer,
  RMSPropOptimizer,
  adagradUpdate,
  adamWUpdate,
  centeredRmsPropUpdate,
  momentumUpdate,
  rmsPropUpdate,
  type Optimizer,
} from '../../optim/src/index.js';
import { createCpuBackend, type CpuBackend } from '../src/index.js';
import { EW_MIN } from '../src/fast/elementwise.js';
import { OPTIM_EXPORTS } from '../src/wasm/optim.js';
import { acquireRuntime, releaseRuntime, type WasmRuntime } from '../src/wasm/runtime.js';
import { rng, same } from './random.js';

/** `n` float32 values drawn uniformly from [lo, hi). */
function uniform(r: () => number, n: number, lo: number, hi: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * r();
  return v;
}

const backends: Record<string, CpuBackend> = {};
let rt: WasmRuntime;
let leakCheck: boolean;
beforeAll(async () => {
  backends['threads 1'] = await createCpuBackend({ threads: 1 });
  backends['threads 2'] = await createCpuBackend({ threads: 2 });
  backends['typescript'] = await createCpuBackend({ wasm: false });
  // the process-wide runtime the fast backends share (same features, so the same instance)
  rt = (await acquireRuntime({ threads: 1 }))!;
  leakCheck = setKernelLeakCheck(true);
});
afterAll(() => {
  setKernelLeakCheck(leakCheck);
  releaseRuntime(rt);
  for (const b of Object.values(backends)) b.dispose();
});

const FAST = ['threads 1', 'threads 2'] as const;
const UPDATE_OPS = ['momentumUpdate', 'rmsPropUpdate', 'centeredRmsPropUpdate', 'adagradUpdate', 'adamWUpdate'];

function expectExact(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!same(got[i]!, want[i]!)) throw new Error(`${what}: element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (!(Math.abs(g - w) <= rtol * Math.abs(w) + atol)) throw new Error(`${what}: element ${i}: got ${g}, want ${w}`);
  }
}

/**
 * One update op: how to draw its state (the variable first, then the slots), how to call it
 * (state tensors, gradient, step number from 1), its wasm kernel, and its float64 formula.
 */
interface UpdateCase {
  readonly name: string;
  readonly op: string;
  readonly wasm: string;
  readonly state: (r: () => number, n: number) => Float32Array[];
  readonly run: (state: Tensor[], g: Tensor, t: number) => Tensor[];
  /** One TF 1.x step in float64, in place on `s` (variable first, then the slots). */
  readonly ref: (s: Float64Array[], g: Float64Array, t: number) => void;
}

const LR = 0.01;
const f = Math.fround;

const CASES: UpdateCase[] = [
  {
    name: 'momentum',
    op: 'momentumUpdate',
    wasm: 'opt_momentum',
    state: (r, n) => [uniform(r, n, -2, 2), uniform(r, n, -1, 1)],
    run: ([x, a], g) => momentumUpdate(x!, a!, g, LR, { momentum: 0.9 }),
    ref: ([x, a], g) => {
      for (let i = 0; i < x!.length; i++) {
        a![i] = 0.9 * a![i]! + g[i]!;
        x![i] = x![i]! - LR * a![i]!;
      }
    },
  },
  {
    name: 'momentum (Nesterov)',
    op: 'momentumUpdate',
    wasm: 'opt_nesterov',
    state: (r, n) => [uniform(r, n, -2, 2), uniform(r, n, -1, 1)],
    run: ([x, a], g) => momentumUpdate(x!, a!, g, LR, { momentum: 0.9, useNesterov: true }),
    ref: ([x, a], g) => {
      for (let i = 0; i < x!.length; i++) {
        a![i] = 0.9 * a![i]! + g[i]!;
        x![i] = x![i]! - LR * (g[i]! + 0.9 * a![i]!);
      }
    },
  },
  ...[
    { decay: 0.9, momentum: 0, epsilon: 1e-10 },
    { decay: 0.8, momentum: 0.9, epsilon: 1e-6 },
  ].map(
    (h): UpdateCase => ({
      name: `RMSProp (decay ${h.decay}, momentum ${h.momentum})`,
      op: 'rmsPropUpdate',
      wasm: 'opt_rmsprop',
      state: (r, n) => [uniform(r, n, -2, 2), uniform(r, n, 0.1, 1), uniform(r, n, -0.01, 0.01)],
      run: ([x, ms, mom], g) => rmsPropUpdate(x!, ms!, mom!, g, LR, h),
      ref: ([x, ms, mom], g) => {
        for (let i = 0; i < x!.length; i++) {
          ms![i] = h.decay * ms![i]! + (1 - h.decay) * g[i]! * g[i]!;
          mom![i] = h.momentum * mom![i]! + (LR * g[i]!) / Math.sqrt(ms![i]! + h.epsilon);
          x![i] = x![i]! - mom![i]!;
        }
      },
    }),
  ),
  ...[
    { decay: 0.9, momentum: 0.5, epsilon: 1e-6 },
    { decay: 0.7, momentum: 0, epsilon: 1e-10 },
  ].map(
    (h): UpdateCase => ({
      name: `centered RMSProp (decay ${h.decay}, momentum ${h.momentum})`,
      op: 'centeredRmsPropUpdate',
      wasm: 'opt_centered_rmsprop',
      state: (r, n) => [uniform(r, n, -2, 2), uniform(r, n, -0.3, 0.3), uniform(r, n, 1, 2), uniform(r, n, -0.01, 0.01)],
      run: ([x, mg, ms, mom], g) => centeredRmsPropUpdate(x!, mg!, ms!, mom!, g, LR, h),
      ref: ([x, mg, ms, mom], g) => {
        for (let i = 0; i < x!.length; i++) {
          ms![i] = h.decay * ms![i]! + (1 - h.decay) * g[i]! * g[i]!;
          mg![i] = h.decay * mg![i]! + (1 - h.decay) * g[i]!;
          mom![i] = h.momentum * mom![i]! + (LR * g[i]!) / Math.sqrt(ms![i]! - mg![i]! * mg![i]! + h.epsilon);
          x![i] = x![i]! - mom![i]!;
        }
      },
    }),
  ),
  {
    name: 'Adagrad',
    op: 'adagradUpdate',
    wasm: 'opt_adagrad',
    state: (r, n) => [uniform(r, n, -2, 2), uniform(r, n, 0.1, 1)],
    run: ([x, a], g) => adagradUpdate(x!, a!, g, 0.5),
    ref: ([x, a], g) => {
      for (let i = 0; i < x!.length; i++) {
        a![i] = a![i]! + g[i]! * g[i]!;
        x![i] = x![i]! - (0.5 * g[i]!) / Math.sqrt(a![i]!);
      }
    },
  },
  {
    name: 'AdamW',
    op: 'adamWUpdate',
    wasm: 'opt_adamw',
    state: (r, n) => [uniform(r, n, -2, 2), uniform(r, n, -0.1, 0.1), uniform(r, n, 0.01, 0.1)],
    run: ([x, m, v], g, t) =>
      adamWUpdate(x!, m!, v!, g, LR, f(0.9 ** t), f(0.999 ** t), { beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0.1 }),
    ref: ([x, m, v], g, t) => {
      const alpha = (LR * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
      for (let i = 0; i < x!.length; i++) {
        m![i] = 0.9 * m![i]! + 0.1 * g[i]!;
        v![i] = 0.999 * v![i]! + 0.001 * g[i]! * g[i]!;
        x![i] = x![i]! - LR * 0.1 * x![i]! - (alpha * m![i]!) / (Math.sqrt(v![i]!) + 1e-7);
      }
    },
  },
];

const STEPS = 4;

/** The runtime's own `run`, bound. */
function runtimeRun(r: WasmRuntime): (name: string, chunks: number, threads: number) => void {
  return Object.getPrototypeOf(r).run.bind(r) as (name: string, chunks: number, threads: number) => void;
}
const SHAPES: number[][] = [[], [0], [5], [1023], [1024], [33, 129], [4099], [70001]];

/** Runs `steps` updates from `state0` with gradients `grads` on a backend; returns each step's outputs. */
function trajectory(backend: Backend, c: UpdateCase, shape: readonly number[], dtype: DType, state0: readonly Float32Array[], grads: readonly Float32Array[]): Float32Array[][] | Float64Array[][] {
  setBackend(backend);
  const out: (Float32Array | Float64Array)[][] = [];
  let state = state0.map((v) => tensor(v, shape, dtype));
  for (let t = 1; t <= grads.length; t++) {
    const g = tensor(grads[t - 1]!, shape, dtype);
    // tidy: the scalar hyperparameter tensors the op makes from numbers are freed
    const next = tidy(() => c.run(state, g, t));
    out.push(next.map((x) => x.dataSync() as Float32Array | Float64Array));
    dispose([...state, g]);
    state = next;
  }
  dispose(state);
  return out as Float32Array[][] | Float64Array[][];
}

describe('fused update kernels', () => {
  it('are registered for every update op, with one WebAssembly kernel per variant', () => {
    for (const be of FAST) for (const op of UPDATE_OPS) expect(op in backends[be]!.kernels, `${be}: ${op}`).toBe(true);
    // the TypeScript-only backend keeps the composition
    for (const op of UPDATE_OPS) expect(op in backends['typescript']!.kernels).toBe(false);
    expect([...OPTIM_EXPORTS].sort()).toEqual(CASES.map((c) => c.wasm).filter((w, i, a) => a.indexOf(w) === i).sort());
    for (const name of OPTIM_EXPORTS) expect(typeof rt.fn[name], name).toBe('function');
    expect(rt.shared).toBe(true);
  });

  for (const c of CASES) {
    describe(c.name, () => {
      for (const shape of SHAPES) {
        const n = shape.reduce((a, b) => a * b, 1);
        it(`float32 [${shape.join(',')}]: the composition bit for bit, float64 TF 1.x within float32 rounding`, () => {
          const r = rng(1000 + n + c.name.length);
          const state0 = c.state(r, n);
          const grads = Array.from({ length: STEPS }, () => uniform(r, n, -1, 1));
          const want = trajectory(backends['typescript']!, c, shape, 'float32', state0, grads) as Float32Array[][];
          // float64 reference from the same float32 starting point and gradients
          const s64 = state0.map((v) => Float64Array.from(v));
          for (let t = 1; t <= STEPS; t++) {
            c.ref(s64, Float64Array.from(grads[t - 1]!), t);
            for (let k = 0; k < s64.length; k++) expectClose(want[t - 1]![k]!, s64[k]!, 2e-5, 2e-6, `composition vs float64, step ${t} output ${k}`);
          }
          for (const be of FAST) {
            const calls: [string, number, number][] = [];
            let got: Float32Array[][];
            const run = runtimeRun(rt);
            rt.run = (name: string, chunks: number, threads: number): void => {
              calls.push([name, chunks, threads]);
              run(name, chunks, threads);
            };
            try {
              got = trajectory(backends[be]!, c, shape, 'float32', state0, grads) as Float32Array[][];
            } finally {
              delete (rt as { run?: unknown }).run; // back to the prototype's method
            }
            for (let t = 0; t < STEPS; t++) {
              for (let k = 0; k < want[t]!.length; k++) expectExact(got[t]![k]!, want[t]![k]!, `${be}: step ${t + 1} output ${k}`);
              for (let k = 0; k < s64.length; k++) expect(got[t]![k]!.length).toBe(n);
            }
            // the WebAssembly kernel ran once per step above the threshold (threaded when large), never below
            const threads = be === 'threads 2' && n >= 1 << 16 ? 2 : 1;
            const wantCalls = n >= EW_MIN ? Array.from({ length: STEPS }, () => [c.wasm, Math.ceil(n / (1 << 14)), threads]) : [];
            expect(calls.filter(([name]) => name.startsWith('opt_')), be).toEqual(wantCalls);
          }
        });
      }

      it('float32 with NaN, infinities, signed zeros and subnormals: the composition bit for bit', () => {
        const n = 4103;
        const r = rng(77);
        const specials = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 3e38, -3e38, 1e-20];
        const state0 = c.state(r, n);
        const g = uniform(r, n, -1, 1);
        for (let i = 0; i < 64; i++) {
          const target = i % (state0.length + 1);
          const arr = target === state0.length ? g : state0[target]!;
          arr[(i * 613) % n] = specials[i % specials.length]!;
          arr[n - 1 - (i % 3)] = specials[(i * 7) % specials.length]!; // in the scalar tail
        }
        const want = trajectory(backends['typescript']!, c, [n], 'float32', state0, [g]) as Float32Array[][];
        for (const be of FAST) {
          const got = trajectory(backends[be]!, c, [n], 'float32', state0, [g]) as Float32Array[][];
          for (let k = 0; k < want[0]!.length; k++) expectExact(got[0]![k]!, want[0]![k]!, `${be}: output ${k}`);
        }
      });

      it('float64 (TypeScript kernel): the composition bit for bit', () => {
        for (const n of [7, 3001]) {
          const r = rng(5 + n);
          const state0 = c.state(r, n);
          const grads = Array.from({ length: 3 }, () => uniform(r, n, -1, 1));
          const want = trajectory(backends['typescript']!, c, [n], 'float64', state0, grads);
          const got = trajectory(backends['threads 1']!, c, [n], 'float64', state0, grads);
          for (let t = 0; t < 3; t++) for (let k = 0; k < want[t]!.length; k++) expectExact(got[t]![k]!, want[t]![k]!, `float64 n=${n} step ${t + 1} output ${k}`);
        }
      });
    });
  }

  it('leave no tensors or buffers behind', () => {
    setBackend(backends['threads 2']!);
    const before = memory();
    const c = CASES[3]!;
    const r = rng(3);
    trajectory(backends['threads 2']!, c, [70001], 'float32', c.state(r, 70001), [uniform(r, 70001, -1, 1)]);
    const after = memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  });
});

/* ---- the optimizers end to end ------------------------------------------------------------------ */

/**
 * A backend over `base` whose update kernels are left out (`fused: false`: the optimizers run
 * the composition on the same kernels otherwise), or counted.
 */
function variant(base: CpuBackend, fused: boolean, calls: Record<string, number>): Backend {
  const kernels: Record<string, Kernel> = { ...base.kernels };
  for (const op of UPDATE_OPS) {
    const k = kernels[op]!;
    if (fused) {
      kernels[op] = (args) => {
        calls[op] = (calls[op] ?? 0) + 1;
        return k(args);
      };
    } else {
      delete kernels[op];
    }
  }
  return {
    specificationVersion: 1,
    name: `${base.name}-${fused ? 'fused' : 'composed'}`,
    capabilities: base.capabilities,
    kernels,
    write: (values, shape, dtype) => base.write(values, shape, dtype),
    read: (id) => base.read(id),
    readSync: (id) => base.readSync(id),
    disposeData: (id) => base.disposeData(id),
    memory: () => base.memory(),
    dispose: () => {},
  };
}

const OPTIMIZERS: [string, string, () => Optimizer][] = [
  ['MomentumOptimizer', 'momentumUpdate', () => new MomentumOptimizer(0.05, 0.9)],
  ['MomentumOptimizer (Nesterov)', 'momentumUpdate', () => new MomentumOptimizer(0.05, 0.9, { useNesterov: true })],
  ['RMSPropOptimizer', 'rmsPropUpdate', () => new RMSPropOptimizer(0.01)],
  ['RMSPropOptimizer (momentum 0.9, decay 0.8)', 'rmsPropUpdate', () => new RMSPropOptimizer(0.01, { momentum: 0.9, decay: 0.8, epsilon: 1e-6 })],
  ['RMSPropOptimizer (centered)', 'centeredRmsPropUpdate', () => new RMSPropOptimizer(0.01, { momentum: 0.5, centered: true })],
  ['AdagradOptimizer', 'adagradUpdate', () => new AdagradOptimizer(0.5)],
  ['AdamWOptimizer', 'adamWUpdate', () => new AdamWOptimizer(0.01, { weightDecay: 0.1 })],
];

describe('the optimizers with fused kernels', () => {
  const SIZES = [70001, 3001, 37];
  const TRAIN_STEPS = 5;

  /** Trains three variables (above and below the thresholds) for a few steps; returns their values and slots. */
  function train(backend: Backend, make: () => Optimizer): number[][] {
    setBackend(backend);
    const r = rng(42);
    const ws = SIZES.map((n, i) => variable(tensor(uniform(r, n, -2, 2)), { name: `w${i}` }));
    const targets = SIZES.map((n) => tensor(uniform(r, n, -1, 1)));
    const scales = SIZES.map((n) => tensor(uniform(r, n, 0.5, 2)));
    const opt = make();
    const loss = (): Tensor => tidy(() => ws.map((w, i) => sum(mul(square(sub(w, targets[i]!)), scales[i]!))).reduce((a, b) => a.add(b)));
    for (let s = 0; s < TRAIN_STEPS; s++) opt.minimize(loss).dispose();
    const out: number[][] = [];
    for (const w of ws) {
      out.push(Array.from(w.dataSync()));
      for (const slot of ['momentum', 'rms', 'mg', 'accumulator', 'm', 'v']) {
        const v = opt.getSlot(w, slot);
        if (v !== null && v !== undefined) out.push(Array.from(v.dataSync()));
      }
    }
    opt.dispose();
    dispose([...ws, ...targets, ...scales]);
    return out;
  }

  for (const [name, op, make] of OPTIMIZERS) {
    it(`${name} gives the variables and slots it gives without them`, () => {
      for (const be of FAST) {
        const calls: Record<string, number> = {};
        const fused = train(variant(backends[be]!, true, calls), make);
        const composed = train(variant(backends[be]!, false, {}), make);
        expect(calls, be).toEqual({ [op]: TRAIN_STEPS * SIZES.length });
        expect(fused.length).toBe(composed.length);
        for (let k = 0; k < composed.length; k++) expectExact(fused[k]!, composed[k]!, `${be}: ${name} array ${k}`);
        // it trained: the first variable moved
        const r = rng(42);
        const w0 = uniform(r, SIZES[0]!, -2, 2);
        expect(fused[0]!.some((v, i) => Math.abs(v - w0[i]!) > 1e-3)).toBe(true);
      }
    });
  }
});
