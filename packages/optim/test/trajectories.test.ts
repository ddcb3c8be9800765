import { dispose, mul, setBackend, sub, tensor, tidy, variable, type DType, type Tensor } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AdagradOptimizer,
  AdamOptimizer,
  AdamWOptimizer,
  GradientDescentOptimizer,
  MomentumOptimizer,
  RMSPropOptimizer,
  type Optimizer,
} from '../src/index.js';
import { expectClose, refStep, refVar, type RefHyper, type RefKind, type RefVar } from './reference.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

interface Case {
  readonly name: string;
  readonly kind: RefKind;
  readonly hyper: RefHyper;
  readonly make: () => Optimizer;
  /** slot name → reference field */
  readonly slots: Readonly<Record<string, keyof Omit<RefVar, 'w'>>>;
}

const cases: Case[] = [
  { name: 'GradientDescentOptimizer', kind: 'sgd', hyper: { lr: 0.1 }, make: () => new GradientDescentOptimizer(0.1), slots: {} },
  {
    name: 'MomentumOptimizer',
    kind: 'momentum',
    hyper: { lr: 0.05, momentum: 0.9 },
    make: () => new MomentumOptimizer(0.05, 0.9),
    slots: { momentum: 'a' },
  },
  {
    name: 'MomentumOptimizer (Nesterov)',
    kind: 'nesterov',
    hyper: { lr: 0.05, momentum: 0.9 },
    make: () => new MomentumOptimizer(0.05, 0.9, { useNesterov: true }),
    slots: { momentum: 'a' },
  },
  {
    name: 'AdamOptimizer (defaults)',
    kind: 'adam',
    hyper: { lr: 0.1 },
    make: () => new AdamOptimizer(0.1),
    slots: { m: 'a', v: 'b' },
  },
  {
    name: 'AdamOptimizer (beta1 0.5, beta2 0.9, epsilon 1e-3)',
    kind: 'adam',
    hyper: { lr: 0.05, beta1: 0.5, beta2: 0.9, epsilon: 1e-3 },
    make: () => new AdamOptimizer(0.05, { beta1: 0.5, beta2: 0.9, epsilon: 1e-3 }),
    slots: { m: 'a', v: 'b' },
  },
  {
    name: 'AdamWOptimizer',
    kind: 'adamw',
    hyper: { lr: 0.1, weightDecay: 0.2 },
    make: () => new AdamWOptimizer(0.1, { weightDecay: 0.2 }),
    slots: { m: 'a', v: 'b' },
  },
  {
    name: 'RMSPropOptimizer (defaults)',
    kind: 'rmsprop',
    hyper: { lr: 0.01 },
    make: () => new RMSPropOptimizer(0.01),
    slots: { rms: 'b', momentum: 'a' },
  },
  {
    name: 'RMSPropOptimizer (momentum 0.9, decay 0.8, epsilon 1e-6)',
    kind: 'rmsprop-momentum',
    hyper: { lr: 0.01, momentum: 0.9, decay: 0.8, epsilon: 1e-6 },
    make: () => new RMSPropOptimizer(0.01, { momentum: 0.9, decay: 0.8, epsilon: 1e-6 }),
    slots: { rms: 'b', momentum: 'a' },
  },
  {
    name: 'RMSPropOptimizer (centered, momentum 0.5)',
    kind: 'centered',
    hyper: { lr: 0.01, momentum: 0.5 },
    make: () => new RMSPropOptimizer(0.01, { momentum: 0.5, centered: true }),
    slots: { rms: 'b', momentum: 'a', mg: 'c' },
  },
  {
    name: 'RMSPropOptimizer (centered, no momentum)',
    kind: 'centered',
    hyper: { lr: 0.02, decay: 0.7 },
    make: () => new RMSPropOptimizer(0.02, { decay: 0.7, centered: true }),
    slots: { rms: 'b', momentum: 'a', mg: 'c' },
  },
  {
    name: 'AdagradOptimizer',
    kind: 'adagrad',
    hyper: { lr: 0.5, initialAccumulatorValue: 0.1 },
    make: () => new AdagradOptimizer(0.5, { initialAccumulatorValue: 0.1 }),
    slots: { accumulator: 'a' },
  },
];

// f(w) = 0.5 * sum(A * (w - C)^2), so df/dw = A * (w - C).
const W0 = [1.5, -2, 0.3, 4];
const A = [1, 3, 0.5, 2];
const C = [0.2, 1, -1, 0.5];
const STEPS = 12;

const TOL: Record<'float32' | 'float64', { rtol: number; atol: number }> = {
  float64: { rtol: 1e-12, atol: 1e-14 },
  // float32: 1 - beta2^t loses ~5 digits to cancellation in float32 (as in TF), which shows as
  // ~1e-5 absolute error on Adam's steps of size ~lr.
  float32: { rtol: 2e-5, atol: 2e-5 },
};

describe('trajectories on a quadratic match float64 TF 1.x formulas (applyGradients)', () => {
  for (const c of cases) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${c.name}, ${dtype}`, () => {
        const w = variable(tensor(W0, [4], dtype), { name: 'w' });
        const a = tensor(A, [4], dtype);
        const cc = tensor(C, [4], dtype);
        const opt = c.make();
        const ref = refVar(c.kind, W0, c.hyper);
        const { rtol, atol } = TOL[dtype];
        for (let t = 1; t <= STEPS; t++) {
          const g = tidy(() => mul(a, sub(w, cc)));
          opt.applyGradients([[g, w]]);
          g.dispose();
          refStep(c.kind, ref, ref.w.map((wi, i) => A[i]! * (wi - C[i]!)), c.hyper, t);
          expectClose(w.dataSync(), ref.w, rtol, atol, `${c.name} step ${t} w`);
          for (const [slot, field] of Object.entries(c.slots)) {
            expectClose(opt.getSlot(w, slot)!.dataSync(), ref[field], rtol, atol, `${c.name} step ${t} slot ${slot}`);
          }
        }
        expect(opt.iterations).toBe(STEPS);
        // The trajectory moved: the final values differ from the start.
        expect(ref.w.some((x, i) => Math.abs(x - W0[i]!) > 0.05)).toBe(true);
        opt.dispose();
        dispose([w, a, cc]);
      });
    }
  }
});

describe('trajectories through minimize (gradients from autograd)', () => {
  // Two scalar variables: loss = 0.5*a1*(x - c1)^2 + 0.5*a2*(y - c2)^2.
  const [a1, a2, c1, c2] = [2, 0.5, 1, -3];
  for (const c of cases) {
    for (const dtype of ['float64', 'float32'] as const satisfies readonly DType[]) {
      it(`${c.name}, ${dtype}`, () => {
        const x = variable(tensor(0.5, undefined, dtype), { name: 'x' });
        const y = variable(tensor(2, undefined, dtype), { name: 'y' });
        const loss = (): Tensor => x.sub(c1).square().mul(0.5 * a1).add(y.sub(c2).square().mul(0.5 * a2));
        const opt = c.make();
        const rx = refVar(c.kind, [0.5], c.hyper);
        const ry = refVar(c.kind, [2], c.hyper);
        const { rtol, atol } = TOL[dtype];
        for (let t = 1; t <= STEPS; t++) {
          const expectedLoss = 0.5 * a1 * (rx.w[0]! - c1) ** 2 + 0.5 * a2 * (ry.w[0]! - c2) ** 2;
          const value = opt.minimize(loss);
          expectClose([value.item() as number], [expectedLoss], rtol * 10, atol, `${c.name} loss ${t}`);
          value.dispose();
          refStep(c.kind, rx, [a1 * (rx.w[0]! - c1)], c.hyper, t);
          refStep(c.kind, ry, [a2 * (ry.w[0]! - c2)], c.hyper, t);
          expectClose([x.item() as number, y.item() as number], [rx.w[0]!, ry.w[0]!], rtol * 10, atol, `${c.name} step ${t}`);
        }
        opt.dispose();
        dispose([x, y]);
      });
    }
  }
});
