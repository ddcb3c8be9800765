import { dispose, getBackend, memory, scalar, setBackend, tensor, ValueError, variable, type Tensor } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cosineDecay,
  exponentialDecay,
  getGlobalStep,
  getOrCreateGlobalStep,
  GradientDescentOptimizer,
  linearWarmup,
  MomentumOptimizer,
  piecewiseConstant,
  resetGlobalStep,
  scheduleFromConfig,
  type BuiltinSchedule,
  type LearningRateSchedule,
} from '../src/index.js';
import { expectClose } from './reference.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

describe('schedule values (hand-computed)', () => {
  it('exponentialDecay', () => {
    const s = exponentialDecay(0.1, 100, 0.5);
    expect(s(0)).toBe(0.1);
    expect(s(100)).toBeCloseTo(0.05, 15);
    expect(s(50)).toBeCloseTo(0.1 * Math.SQRT1_2, 15);
    expect(s(300)).toBeCloseTo(0.0125, 15);
    const st = exponentialDecay(0.1, 100, 0.5, { staircase: true });
    expect([st(0), st(99), st(100), st(150), st(199), st(200)]).toEqual([0.1, 0.1, 0.05, 0.05, 0.05, 0.025]);
  });

  it('piecewiseConstant: values[i] while step <= boundaries[i]', () => {
    const s = piecewiseConstant([100, 200], [0.1, 0.01, 0.001]);
    expect([s(0), s(100), s(101), s(200), s(201), s(1e6)]).toEqual([0.1, 0.1, 0.01, 0.01, 0.001, 0.001]);
  });

  it('cosineDecay', () => {
    const s = cosineDecay(0.2, 1000, { alpha: 0.1 });
    expect(s(0)).toBeCloseTo(0.2, 15);
    expect(s(500)).toBeCloseTo(0.2 * (0.9 * 0.5 + 0.1), 15);
    expect(s(250)).toBeCloseTo(0.2 * (0.9 * 0.5 * (1 + Math.SQRT1_2) + 0.1), 15);
    expect(s(1000)).toBeCloseTo(0.02, 15);
    expect(s(5000)).toBeCloseTo(0.02, 15);
    expect(cosineDecay(1, 10)(10)).toBeCloseTo(0, 15);
  });

  it('linearWarmup: ramps to the target over warmupSteps, then runs the target from its step 0', () => {
    const c = linearWarmup(100, 0.1);
    expect(c(0)).toBeCloseTo(0.001, 15);
    expect(c(49)).toBeCloseTo(0.05, 15);
    expect(c(99)).toBeCloseTo(0.1, 15);
    expect(c(100)).toBe(0.1);
    expect(c(12345)).toBe(0.1);
    const w = linearWarmup(10, exponentialDecay(0.1, 10, 0.5));
    expect(w(4)).toBeCloseTo(0.05, 15);
    expect(w(10)).toBeCloseTo(0.1, 15);
    expect(w(20)).toBeCloseTo(0.05, 15);
    // A custom target function: no tensor form, no config.
    const custom = linearWarmup(2, (s) => 1 / (s + 1));
    expect([custom(0), custom(1), custom(2), custom(3)]).toEqual([0.5, 1, 1, 0.5]);
    expect(custom.tensor).toBeUndefined();
    expect(custom.config).toBeUndefined();
  });

  it('bad arguments', () => {
    expect(() => exponentialDecay(0, 10, 0.5)).toThrow(/exponentialDecay: the learning rate must be a finite number > 0, got number 0/);
    expect(() => exponentialDecay(NaN, 10, 0.5)).toThrow(ValueError);
    expect(() => exponentialDecay(0.1, 0, 0.5)).toThrow(/decaySteps must be an integer > 0/);
    expect(() => exponentialDecay(0.1, 10, -1)).toThrow(/decayRate must be a finite number > 0/);
    expect(() => piecewiseConstant([10, 5], [1, 2, 3])).toThrow(/boundaries must increase strictly/);
    expect(() => piecewiseConstant([10], [1])).toThrow(/one more entry than boundaries, got 1 values for 1 boundaries/);
    expect(() => piecewiseConstant([10], [1, -2])).toThrow(/values\[1\] must be a finite number > 0/);
    expect(() => cosineDecay(0.1, 10, { alpha: 2 })).toThrow(/alpha must be a number in \[0, 1\]/);
    expect(() => linearWarmup(0, 0.1)).toThrow(/warmupSteps must be an integer > 0/);
    expect(() => linearWarmup(10, -0.1)).toThrow(/target learning rate must be a finite number > 0/);
    expect(() => exponentialDecay(0.1, 10, 0.5)(-1)).toThrow(/step must be a number >= 0/);
    expect(() => exponentialDecay(0.1, 10, 0.5)(NaN)).toThrow(ValueError);
    expect(() => scheduleFromConfig({ kind: 'nope' } as never)).toThrow(/unknown schedule config/);
  });
});

describe('tensor forms agree with the number forms', () => {
  const schedules: Array<[string, BuiltinSchedule | LearningRateSchedule]> = [
    ['exponentialDecay', exponentialDecay(0.1, 7, 0.8)],
    ['exponentialDecay staircase', exponentialDecay(0.1, 7, 0.8, { staircase: true })],
    ['piecewiseConstant', piecewiseConstant([3, 10, 11], [0.5, 0.25, 0.125, 0.0625])],
    ['cosineDecay', cosineDecay(0.3, 17, { alpha: 0.05 })],
    ['linearWarmup constant', linearWarmup(5, 0.2)],
    ['linearWarmup cosine', linearWarmup(5, cosineDecay(0.3, 10))],
  ];
  for (const [name, s] of schedules) {
    it(name, () => {
      const before = memory().numTensors;
      for (let step = 0; step < 30; step++) {
        const expected = s(step);
        const st = scalar(step, 'int32');
        const t64 = s.tensor!(st, 'float64');
        const t32 = s.tensor!(st);
        expect(t64.dtype).toBe('float64');
        expect(t32.dtype).toBe('float32');
        expect(t64.shape).toEqual([]);
        expectClose([t64.item() as number], [expected], 1e-14, 0, `${name} step ${step} float64`);
        expectClose([t32.item() as number], [expected], 1e-6, 0, `${name} step ${step} float32`);
        dispose([st, t64, t32]);
      }
      expect(memory().numTensors).toBe(before);
      // Config round trip.
      const again = scheduleFromConfig(s.config!);
      expect(again.config).toEqual(s.config);
      for (const step of [0, 4, 5, 12, 100]) expect(again(step)).toBe(s(step));
    });
  }
});

describe('optimizers with schedules', () => {
  it('are evaluated at the iteration count without a globalStep (float64 reference)', () => {
    const sched = exponentialDecay(0.1, 3, 0.5);
    const w = variable(tensor([2, -1], undefined, 'float64'), { name: 'w' });
    const opt = new GradientDescentOptimizer(sched);
    let ref = [2, -1];
    for (let k = 0; k < 8; k++) {
      // loss = 0.5 * sum(w^2) * 3 → gradient 3w
      const g = w.mul(3);
      opt.applyGradients([[g, w]]);
      g.dispose();
      const lr = sched(k);
      ref = ref.map((x) => x - lr * 3 * x);
      expectClose(w.dataSync(), ref, 1e-14, 0, `step ${k}`);
    }
    w.dispose();
  });

  it('are evaluated at the global step when one is passed (before its increment)', () => {
    resetGlobalStep();
    const gs = getOrCreateGlobalStep();
    gs.assign(5);
    const sched = piecewiseConstant([5, 6], [1, 0.5, 0.25]);
    const w = variable(tensor(10, undefined, 'float64'), { name: 'w' });
    const opt = new MomentumOptimizer(sched, 0);
    const lrs: number[] = [];
    for (let k = 0; k < 3; k++) {
      const before = w.item() as number;
      opt.minimize(() => w.mul(2), { globalStep: gs }).dispose(); // gradient 2
      lrs.push((before - (w.item() as number)) / 2);
    }
    expect(lrs).toEqual([1, 0.5, 0.25]); // steps 5, 6, 7
    expect(gs.item()).toBe(8);
    expect(opt.iterations).toBe(3);
    opt.dispose();
    w.dispose();
    resetGlobalStep();
  });

  it('custom schedule functions get the iteration count, or the global step value', () => {
    const calls: number[] = [];
    const custom = (step: number): number => {
      calls.push(step);
      return 0.5 / (step + 1);
    };
    const w = variable(0, { name: 'w' });
    const opt = new GradientDescentOptimizer(custom);
    const g = tensor(-1);
    opt.applyGradients([[g, w]]);
    opt.applyGradients([[g, w]]);
    expect(calls).toEqual([0, 1]);
    expect(w.item()).toBeCloseTo(0.5 + 0.25, 6);
    resetGlobalStep();
    const gs = getOrCreateGlobalStep();
    gs.assign(41);
    opt.applyGradients([[g, w]], { globalStep: gs });
    expect(calls).toEqual([0, 1, 41]);
    // A custom schedule that returns a bad value is reported.
    const bad = new GradientDescentOptimizer(() => NaN);
    expect(() => bad.applyGradients([[g, w]])).toThrow(/the learning-rate schedule returned number NaN at step 0/);
    dispose([w, g]);
    resetGlobalStep();
  });
});

describe('getOrCreateGlobalStep', () => {
  it('is an int32 scalar, non-trainable variable named global_step, one per backend', async () => {
    resetGlobalStep();
    expect(getGlobalStep()).toBeUndefined();
    const gs = getOrCreateGlobalStep();
    expect(gs.name).toBe('global_step');
    expect(gs.dtype).toBe('int32');
    expect(gs.shape).toEqual([]);
    expect(gs.trainable).toBe(false);
    expect(gs.item()).toBe(0);
    expect(getOrCreateGlobalStep()).toBe(gs);
    expect(getGlobalStep()).toBe(gs);
    const first = getBackend();
    setBackend(await createCpuBackend());
    const other = getOrCreateGlobalStep();
    expect(other).not.toBe(gs);
    other.dispose();
    setBackend(first);
    expect(getOrCreateGlobalStep()).toBe(gs);
    resetGlobalStep();
    expect(gs.isDisposed).toBe(true);
    const fresh = getOrCreateGlobalStep();
    expect(fresh).not.toBe(gs);
    expect(fresh.item()).toBe(0);
    fresh.dispose();
    // A disposed global step is replaced.
    const again = getOrCreateGlobalStep();
    expect(again).not.toBe(fresh);
    resetGlobalStep();
  });

  it('works with schedule tensor forms on the step variable', () => {
    resetGlobalStep();
    const gs = getOrCreateGlobalStep();
    gs.assign(250);
    const s = cosineDecay(0.1, 1000);
    const t: Tensor = s.tensor(gs, 'float64');
    expect(t.item()).toBeCloseTo(s(250), 15);
    t.dispose();
    resetGlobalStep();
  });
});
