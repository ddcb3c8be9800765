import {
  addOpListener,
  dispose,
  getVariable,
  isVariable,
  memory,
  setBackend,
  sign,
  tensor,
  variable,
  type Tensor,
  type Variable,
} from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AdagradOptimizer,
  AdamOptimizer,
  AdamWOptimizer,
  GradientDescentOptimizer,
  MomentumOptimizer,
  Optimizer,
  RMSPropOptimizer,
  getOrCreateGlobalStep,
  resetGlobalStep,
  type LearningRate,
} from '../src/index.js';
import { expectClose, refStep, refVar } from './reference.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

describe('the seed example', () => {
  it('five minimize calls of w * 5 with learning rate 0.1 leave w at 2.5, 2.0, 1.5, 1.0, 0.5', () => {
    const w = getVariable('w', { initializer: 3 });
    const loss = (): Tensor => w.mul(5);
    const opt = new GradientDescentOptimizer(0.1);
    const seen: number[] = [];
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const value = opt.minimize(loss);
      losses.push(value.item() as number);
      value.dispose();
      seen.push(w.item() as number);
    }
    expect(seen).toEqual([2.5, 2.0, 1.5, 1.0, 0.5]);
    // The returned value is the loss before each update: 5 * 3, 5 * 2.5, ...
    expect(losses).toEqual([15, 12.5, 10, 7.5, 5]);
    w.dispose();
  });

  it('leaves no tensors behind (gradient descent keeps no state)', () => {
    const w = getVariable('w', { initializer: 3 });
    const before = memory().numTensors;
    const opt = new GradientDescentOptimizer(0.1);
    for (let i = 0; i < 5; i++) opt.minimize(() => w.mul(5)).dispose();
    expect(memory().numTensors).toBe(before);
    w.dispose();
  });
});

describe('computeGradients / applyGradients / minimize', () => {
  it('computeGradients returns [gradient, variable] pairs in first-use order, or in varList order with null for unconnected', () => {
    const a = variable(2, { name: 'a' });
    const b = variable(3, { name: 'b' });
    const unused = variable(1, { name: 'unused' });
    const frozen = variable(4, { name: 'frozen', trainable: false });
    const opt = new GradientDescentOptimizer(0.1);
    const loss = (): Tensor => b.mul(a).add(a.mul(frozen)); // d/db = a = 2, d/da = b + frozen = 7
    const pairs = opt.computeGradients(loss);
    expect(pairs.map(([, v]) => v)).toEqual([b, a]);
    expect(pairs.map(([g]) => g!.item())).toEqual([2, 7]);
    dispose(pairs.map((p) => p[0]));
    const listed = opt.computeGradients(loss, { varList: [unused, a, frozen] });
    expect(listed.map(([, v]) => v)).toEqual([unused, a, frozen]);
    expect(listed[0]![0]).toBeNull();
    expect(listed[1]![0]!.item()).toBe(7);
    expect(listed[2]![0]!.item()).toBe(2); // non-trainable, but listed explicitly
    // Nothing changed yet.
    expect([a.item(), b.item()]).toEqual([2, 3]);
    opt.applyGradients(listed);
    expect(a.item()).toBeCloseTo(2 - 0.1 * 7, 6);
    expect(frozen.item()).toBeCloseTo(4 - 0.1 * 2, 6);
    expect(unused.item()).toBe(1);
    // applyGradients does not dispose the gradients.
    expect(listed[1]![0]!.isDisposed).toBe(false);
    dispose([listed.map((p) => p[0]), a, b, unused, frozen]);
  });

  it('minimize with varList updates only the listed variables', () => {
    const a = variable(2, { name: 'a' });
    const b = variable(3, { name: 'b' });
    const opt = new GradientDescentOptimizer(0.5);
    opt.minimize(() => a.mul(b), { varList: [b] }).dispose();
    expect(a.item()).toBe(2);
    expect(b.item()).toBe(3 - 0.5 * 2);
    dispose([a, b]);
  });

  it('globalStep goes up by one per applyGradients / minimize call, the iteration count too', () => {
    resetGlobalStep();
    const gs = getOrCreateGlobalStep();
    const w = variable(1, { name: 'w' });
    const opt = new AdamOptimizer(0.1);
    opt.minimize(() => w.square(), { globalStep: gs }).dispose();
    opt.minimize(() => w.square(), { globalStep: gs }).dispose();
    const g = tensor(1);
    opt.applyGradients([[g, w]], { globalStep: gs });
    opt.applyGradients([[g, w]]);
    expect(gs.item()).toBe(3);
    expect(gs.dtype).toBe('int32');
    expect(opt.iterations).toBe(4);
    dispose([g, w]);
    opt.dispose();
    resetGlobalStep();
  });

  it('minimize returns a tensor the caller owns, also when the loss is a variable itself', () => {
    const w = variable(4, { name: 'w' });
    const opt = new GradientDescentOptimizer(0.25);
    const value = opt.minimize(() => w);
    expect(value).not.toBe(w);
    expect(value.item()).toBe(4);
    value.dispose();
    expect(w.isDisposed).toBe(false);
    expect(w.item()).toBe(4 - 0.25);
    w.dispose();
  });

  it('updates are not recorded on gradient tapes', () => {
    const w = variable(tensor([1, 2]), { name: 'w' });
    const g = tensor([0.5, 0.5]);
    const ops: string[] = [];
    for (const opt of [new AdamOptimizer(0.1), new RMSPropOptimizer(0.1, { centered: true }), new MomentumOptimizer(0.1, 0.9)]) {
      const stop = addOpListener({ recordOp: (r) => ops.push(r.op) });
      try {
        opt.applyGradients([[g, w]]);
      } finally {
        stop();
      }
      opt.dispose();
    }
    expect(ops).toEqual([]);
    dispose([w, g]);
  });
});

describe('slots', () => {
  it('are created lazily, named <variable>/<slot>, and listed by getSlotNames / variables()', () => {
    const w = variable(tensor([1, 2, 3]), { name: 'w' });
    const adam = new AdamOptimizer(0.1);
    expect(adam.getSlot(w, 'm')).toBeUndefined();
    expect(adam.getSlotNames()).toEqual(['m', 'v']);
    const g = tensor([1, 1, 1]);
    adam.applyGradients([[g, w]]);
    const m = adam.getSlot(w, 'm')!;
    expect(isVariable(m)).toBe(true);
    expect(m.name).toBe('w/m');
    expect(m.trainable).toBe(false);
    expect(m.shape).toEqual([3]);
    expect(adam.getSlot(w, 'nope')).toBeUndefined();
    expect(adam.variables().map((v) => v.name)).toEqual(['AdamOptimizer/beta1Power', 'AdamOptimizer/beta2Power', 'w/m', 'w/v']);
    expect(new RMSPropOptimizer(0.1).getSlotNames()).toEqual(['rms', 'momentum']);
    expect(new RMSPropOptimizer(0.1, { centered: true }).getSlotNames()).toEqual(['rms', 'momentum', 'mg']);
    expect(new MomentumOptimizer(0.1, 0.9).getSlotNames()).toEqual(['momentum']);
    expect(new AdagradOptimizer(0.1).getSlotNames()).toEqual(['accumulator']);
    expect(new GradientDescentOptimizer(0.1).getSlotNames()).toEqual([]);
    // RMSProp's rms starts at 1 and Adagrad's accumulator at initialAccumulatorValue (TF 1.x).
    const rms = new RMSPropOptimizer(0.1);
    const ada = new AdagradOptimizer(0.1, { initialAccumulatorValue: 0.25 });
    const zero = tensor([0, 0, 0]);
    rms.applyGradients([[zero, w]]);
    ada.applyGradients([[zero, w]]);
    expect(Array.from(rms.getSlot(w, 'rms')!.dataSync())).toEqual([0.9, 0.9, 0.9].map(Math.fround));
    expect(Array.from(ada.getSlot(w, 'accumulator')!.dataSync())).toEqual([0.25, 0.25, 0.25]);
    for (const o of [adam, rms, ada]) o.dispose();
    expect(m.isDisposed).toBe(true);
    dispose([w, g, zero]);
  });

  it('are keyed by variable identity: two variables with the same name get separate slots', () => {
    const w1 = variable(tensor([1, 1]), { name: 'w' });
    const w2 = variable(tensor([1, 1]), { name: 'w' });
    const opt = new MomentumOptimizer(0.1, 0.5);
    const g1 = tensor([1, 2]);
    const g2 = tensor([-3, 4]);
    opt.applyGradients([[g1, w1], [g2, w2]]);
    expect(Array.from(opt.getSlot(w1, 'momentum')!.dataSync())).toEqual([1, 2]);
    expect(Array.from(opt.getSlot(w2, 'momentum')!.dataSync())).toEqual([-3, 4]);
    opt.dispose();
    dispose([w1, w2, g1, g2]);
  });

  it('applyGradients with different subsets and orders never mixes slots (Adam, float64)', () => {
    // a and b have the same shape, so a position-keyed implementation would silently mix them.
    const init = { a: [1, -2, 0.5], b: [3, 0.25, -1], c: [2, 2] };
    const a = variable(tensor(init.a, [3], 'float64'), { name: 'a' });
    const b = variable(tensor(init.b, [3], 'float64'), { name: 'b' });
    const c = variable(tensor(init.c, [2], 'float64'), { name: 'c' });
    const vars = { a, b, c };
    const hyper = { lr: 0.1, beta1: 0.8, beta2: 0.95, epsilon: 1e-8 };
    const opt = new AdamOptimizer(hyper.lr, hyper);
    const refs = { a: refVar('adam', init.a, hyper), b: refVar('adam', init.b, hyper), c: refVar('adam', init.c, hyper) };
    // Gradient of 0.5 * k * |v|^2 with a different k per variable: k * v.
    const k = { a: 1, b: -2, c: 0.5 };
    const calls: Array<Array<keyof typeof vars | `-${keyof typeof vars}`>> = [
      ['a', 'b', 'c'],
      ['c', 'b', 'a'],
      ['b'],
      ['-a', 'c', 'b'], // null gradient for a
      ['a', 'c'],
    ];
    calls.forEach((call, i) => {
      const t = i + 1; // beta powers are optimizer-wide: they advance once per call
      const pairs: Array<[Tensor | null, Variable]> = call.map((name) => {
        if (name.startsWith('-')) return [null, vars[name.slice(1) as keyof typeof vars]];
        const key = name as keyof typeof vars;
        return [vars[key].mul(k[key]), vars[key]];
      });
      opt.applyGradients(pairs);
      for (const name of call) {
        if (name.startsWith('-')) continue;
        const key = name as keyof typeof vars;
        refStep('adam', refs[key], refs[key].w.map((x) => k[key] * x), hyper, t);
      }
      dispose(pairs.map((p) => p[0]));
      for (const key of ['a', 'b', 'c'] as const) {
        expectClose(vars[key].dataSync(), refs[key].w, 1e-12, 1e-14, `call ${t} ${key}`);
        expectClose(opt.getSlot(vars[key], 'm')!.dataSync(), refs[key].a, 1e-12, 1e-14, `call ${t} ${key}/m`);
        expectClose(opt.getSlot(vars[key], 'v')!.dataSync(), refs[key].b, 1e-12, 1e-14, `call ${t} ${key}/v`);
      }
    });
    opt.dispose();
    dispose([a, b, c]);
  });
});

describe('a custom optimizer is a small subclass', () => {
  class SignSGDOptimizer extends Optimizer {
    constructor(learningRate: LearningRate) {
      super(learningRate, 'SignSGDOptimizer');
    }
    protected override applyDense(gradient: Tensor, variable: Variable, _slots: object, lr: Tensor): Tensor {
      return variable.assign(variable.sub(sign(gradient).mul(lr)));
    }
  }

  class HeavyBallOptimizer extends Optimizer {
    constructor(learningRate: LearningRate, private readonly beta = 0.5) {
      super(learningRate);
    }
    protected override slotInitialValues(): Record<string, number> {
      return { velocity: 0 };
    }
    protected override applyDense(gradient: Tensor, variable: Variable, slots: Readonly<Record<string, Variable>>, lr: Tensor): void {
      const v = slots['velocity']!;
      v.assign(v.mul(this.beta).add(gradient));
      variable.assign(variable.sub(v.mul(lr)));
    }
  }

  it('sign-SGD from applyDense', () => {
    const w = variable(tensor([1, -1, 0.5]), { name: 'w' });
    const opt = new SignSGDOptimizer(0.25);
    const loss = (): Tensor => w.mul(tensor([3, -0.01, 0])).add(w.square().mul(0)).sum();
    for (let i = 0; i < 2; i++) opt.minimize(loss).dispose();
    expect(Array.from(w.dataSync())).toEqual([0.5, -0.5, 0.5]);
    expect(opt.name).toBe('SignSGDOptimizer');
    w.dispose();
  });

  it('with a slot, named after its class by default', () => {
    const w = variable(tensor([2]), { name: 'w' });
    const opt = new HeavyBallOptimizer(0.1);
    expect(opt.name).toBe('HeavyBallOptimizer');
    const g = tensor([1]);
    opt.applyGradients([[g, w]]); // v = 1, w = 1.9
    opt.applyGradients([[g, w]]); // v = 1.5, w = 1.75
    expect(opt.getSlot(w, 'velocity')!.item()).toBeCloseTo(1.5, 6);
    expect(w.item()).toBeCloseTo(1.75, 6);
    opt.dispose();
    dispose([w, g]);
  });
});

describe('getConfig', () => {
  it('reports the hyperparameters', () => {
    expect(new AdamOptimizer(0.01).getConfig()).toEqual({ learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    expect(new AdamWOptimizer(0.01, { weightDecay: 0.1 }).getConfig()).toEqual({
      learningRate: 0.01,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0.1,
    });
    expect(new MomentumOptimizer(0.1, 0.9, { useNesterov: true }).getConfig()).toEqual({ learningRate: 0.1, momentum: 0.9, useNesterov: true });
    expect(new RMSPropOptimizer(0.1).getConfig()).toEqual({ learningRate: 0.1, decay: 0.9, momentum: 0, epsilon: 1e-10, centered: false });
    expect(new AdagradOptimizer(0.1).getConfig()).toEqual({ learningRate: 0.1, initialAccumulatorValue: 0.1 });
    expect(new GradientDescentOptimizer((s) => 1 / (s + 1)).getConfig()).toEqual({ learningRate: null });
  });
});
