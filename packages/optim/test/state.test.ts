import { dispose, memory, setBackend, ShapeError, tensor, ValueError, variable, type Tensor, type Variable } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AdagradOptimizer,
  AdamOptimizer,
  AdamWOptimizer,
  cosineDecay,
  GradientDescentOptimizer,
  linearWarmup,
  MomentumOptimizer,
  RMSPropOptimizer,
  serializeOptimizerState,
  type Optimizer,
  type OptimizerState,
} from '../src/index.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

const W0 = [0.3, -1.2, 2.5];
const B0 = 0.7;
const X = [[1, 2, -1], [0.5, -0.3, 2], [-1, 1, 1], [2, 0, 0.5]];
const Y = [1, -2, 0.5, 3];

function model(): { w: Variable; b: Variable } {
  return { w: variable(tensor(W0), { name: 'w' }), b: variable(B0, { name: 'b' }) };
}

function lossFor(w: Variable, b: Variable, x: Tensor, y: Tensor): () => Tensor {
  return () => x.matmul(w.reshape([3, 1])).reshape([4]).add(b).sub(y).square().mean();
}

const makers: Array<[string, () => Optimizer]> = [
  ['GradientDescentOptimizer (cosine schedule)', () => new GradientDescentOptimizer(cosineDecay(0.05, 8, { alpha: 0.1 }))],
  ['MomentumOptimizer (Nesterov)', () => new MomentumOptimizer(0.02, 0.9, { useNesterov: true })],
  ['AdamOptimizer', () => new AdamOptimizer(0.05, { beta1: 0.8 })],
  ['AdamWOptimizer (warmup schedule)', () => new AdamWOptimizer(linearWarmup(3, 0.05), { weightDecay: 0.1 })],
  ['RMSPropOptimizer (centered, momentum)', () => new RMSPropOptimizer(0.01, { centered: true, momentum: 0.5 })],
  ['AdagradOptimizer', () => new AdagradOptimizer(0.1)],
];

/** Fresh optimizers get different hyperparameters, so that setState must restore them. */
const freshMakers: Record<string, () => Optimizer> = {
  'GradientDescentOptimizer (cosine schedule)': () => new GradientDescentOptimizer(1),
  'MomentumOptimizer (Nesterov)': () => new MomentumOptimizer(1, 0.1),
  AdamOptimizer: () => new AdamOptimizer(1),
  'AdamWOptimizer (warmup schedule)': () => new AdamWOptimizer(1),
  'RMSPropOptimizer (centered, momentum)': () => new RMSPropOptimizer(1),
  AdagradOptimizer: () => new AdagradOptimizer(1),
};

describe('getState / setState: 5 steps + save + restore into a fresh optimizer + 5 steps == 10 steps, bit for bit', () => {
  for (const [name, make] of makers) {
    for (const via of ['tensors', 'JSON'] as const) {
      it(`${name}, state as ${via}`, async () => {
        const x = tensor(X);
        const y = tensor(Y);
        // Uninterrupted.
        const ref = model();
        const optA = make();
        const refLosses: number[] = [];
        for (let i = 0; i < 10; i++) {
          const l = optA.minimize(lossFor(ref.w, ref.b, x, y));
          refLosses.push(l.item() as number);
          l.dispose();
        }
        // Interrupted: 5 steps, save, restore into a fresh optimizer on fresh variables, 5 more.
        const first = model();
        const optB = make();
        const losses: number[] = [];
        for (let i = 0; i < 5; i++) {
          const l = optB.minimize(lossFor(first.w, first.b, x, y));
          losses.push(l.item() as number);
          l.dispose();
        }
        let state: OptimizerState = optB.getState({ varList: [first.w, first.b] });
        if (via === 'JSON') {
          const json = JSON.stringify(await serializeOptimizerState(state));
          dispose(state);
          state = JSON.parse(json) as OptimizerState;
        }
        const second = { w: variable(tensor(first.w.dataSync()), { name: 'w' }), b: variable(first.b.item(), { name: 'b' }) };
        optB.dispose();
        const optC = freshMakers[name]!();
        optC.setState(state, { varList: [second.w, second.b] });
        dispose(state);
        expect(optC.getConfig()).toEqual(optA.getConfig());
        expect(optC.iterations).toBe(5);
        for (let i = 0; i < 5; i++) {
          const l = optC.minimize(lossFor(second.w, second.b, x, y));
          losses.push(l.item() as number);
          l.dispose();
        }
        expect(losses).toEqual(refLosses);
        expect(Array.from(second.w.dataSync())).toEqual(Array.from(ref.w.dataSync()));
        expect(second.b.item()).toBe(ref.b.item());
        for (const slot of optA.getSlotNames()) {
          expect(Array.from(optC.getSlot(second.w, slot)!.dataSync()), slot).toEqual(Array.from(optA.getSlot(ref.w, slot)!.dataSync()));
        }
        // The trajectory really moved.
        expect(refLosses[9]).toBeLessThan(refLosses[0]!);
        for (const o of [optA, optC]) o.dispose();
        dispose([x, y, ref, first, second]);
      });
    }
  }
});

describe('state details', () => {
  it('getState snapshots do not change when training continues; dispose(state) frees them', () => {
    const w = variable(tensor([1, 2]), { name: 'w' });
    const opt = new AdamOptimizer(0.1);
    const g = tensor([1, -1]);
    opt.applyGradients([[g, w]]);
    const before = memory().numTensors;
    const state = opt.getState();
    expect(state.optimizer).toBe('AdamOptimizer');
    expect(state.iterations).toBe(1);
    expect(state.variables.map((e) => e.name)).toEqual(['w']);
    expect(Object.keys(state.nonSlots).sort()).toEqual(['beta1Power', 'beta2Power']);
    const m = state.variables[0]!.slots['m'] as Tensor;
    const snapshot = Array.from(m.dataSync());
    expect(snapshot.map((v) => Math.abs(v))).toEqual([0.1, 0.1].map(Math.fround));
    opt.applyGradients([[g, w]]);
    expect(Array.from(m.dataSync())).toEqual(snapshot);
    expect((state.nonSlots['beta1Power'] as Tensor).item()).toBeCloseTo(0.81, 6);
    dispose(state);
    expect(memory().numTensors).toBe(before);
    opt.dispose();
    dispose([w, g]);
  });

  it('restores by name in another order; variables never updated have empty slots', () => {
    const a = variable(tensor([1, 2]), { name: 'a' });
    const b = variable(tensor([3]), { name: 'b' });
    const c = variable(tensor([5]), { name: 'c' });
    const opt = new MomentumOptimizer(0.1, 0.9);
    const ga = tensor([1, 2]);
    const gb = tensor([4]);
    opt.applyGradients([[ga, a], [gb, b]]);
    const state = opt.getState({ varList: [a, b, c] });
    expect(state.variables[2]!.slots).toEqual({});
    const fresh = new MomentumOptimizer(0.1, 0.9);
    fresh.setState(state, { varList: [c, b, a], matchBy: 'name' });
    expect(Array.from(fresh.getSlot(a, 'momentum')!.dataSync())).toEqual([1, 2]);
    expect(Array.from(fresh.getSlot(b, 'momentum')!.dataSync())).toEqual([4]);
    expect(fresh.getSlot(c, 'momentum')).toBeUndefined();
    dispose(state);
    for (const o of [opt, fresh]) o.dispose();
    dispose([a, b, c, ga, gb]);
  });

  it('rejects states that do not fit, changing nothing', () => {
    const w = variable(tensor([1, 2]), { name: 'w' });
    const v = variable(tensor([1, 2, 3]), { name: 'v' });
    const g = tensor([1, 1]);
    const adam = new AdamOptimizer(0.1);
    adam.applyGradients([[g, w]]);
    const state = adam.getState();
    const target = new AdamOptimizer(0.5, { beta1: 0.5 });
    expect(() => target.setState(state)).toThrow(/the state holds slots of 1 variables \('w'\); pass options.varList/);
    expect(() => target.setState(state, { varList: [v] })).toThrow(ShapeError);
    expect(() => target.setState(state, { varList: [v] })).toThrow(/state entry 0 \('w'\) is for a float32 variable of shape \[2\], but variable 'v' is float32 \[3\]/);
    expect(() => target.setState(state, { varList: [w, v] })).toThrow(/holds slots of 1 variables but varList has 2/);
    expect(() => target.setState(state, { varList: [v], matchBy: 'name' })).toThrow(/no variable named 'w' in varList/);
    expect(() => new MomentumOptimizer(0.1, 0.9).setState(state, { varList: [w] })).toThrow(/saved by AdamOptimizer, not MomentumOptimizer/);
    expect(() => target.setState({} as OptimizerState)).toThrow(/expected an optimizer state from getState/);
    const badSlots = { ...state, variables: [{ ...state.variables[0]!, slots: { m: state.variables[0]!.slots['m']! } }] };
    expect(() => target.setState(badSlots, { varList: [w] })).toThrow(/has slots \[m\]; AdamOptimizer uses \[m, v\]/);
    const badConfig = { ...state, config: { ...state.config, beta1: 2 } };
    expect(() => target.setState(badConfig, { varList: [w] })).toThrow(ValueError);
    // Nothing changed.
    expect(target.getConfig()).toEqual({ learningRate: 0.5, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 });
    expect(target.variables()).toEqual([]);
    expect(target.iterations).toBe(0);
    dispose(state);
    adam.dispose();
    dispose([w, v, g]);
  });

  it('a custom schedule function is kept (saved as null)', () => {
    const custom = (s: number): number => 0.1 / (s + 1);
    const opt = new GradientDescentOptimizer(custom);
    const state = opt.getState();
    expect(state.config.learningRate).toBeNull();
    const other = new GradientDescentOptimizer(0.3);
    other.setState(state);
    expect(other.learningRate).toBe(0.3);
    const again = new GradientDescentOptimizer(custom);
    again.setState(state);
    expect(again.learningRate).toBe(custom);
  });

  it('serializes non-finite values', async () => {
    const w = variable(tensor([1, 2]), { name: 'w' });
    const g = tensor([Infinity, NaN]);
    const opt = new AdagradOptimizer(0.1);
    opt.applyGradients([[g, w]]);
    const state = opt.getState();
    const json = JSON.stringify(await serializeOptimizerState(state));
    expect(json).toContain('"Infinity"');
    expect(json).toContain('"NaN"');
    dispose(state);
    const fresh = new AdagradOptimizer(0.1);
    fresh.setState(JSON.parse(json) as OptimizerState, { varList: [w] });
    const acc = Array.from(fresh.getSlot(w, 'accumulator')!.dataSync());
    expect(acc[0]).toBe(Infinity);
    expect(Number.isNaN(acc[1])).toBe(true);
    for (const o of [opt, fresh]) o.dispose();
    dispose([w, g]);
  });
});
