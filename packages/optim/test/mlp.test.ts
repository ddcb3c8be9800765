import {
  dispose,
  getVariable,
  glorotUniformInitializer,
  oneHot,
  setBackend,
  softmaxCrossEntropy,
  tensor,
  tidy,
  zerosInitializer,
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
  RMSPropOptimizer,
  type Optimizer,
} from '../src/index.js';
import { lcg } from './reference.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

/**
 * 64 points in [-1, 1]^2, labelled by which side of a circle of radius 0.6 they lie on, with a
 * margin of 0.1 around the circle: separable, but not linearly, so the hidden layer matters.
 */
function dataset(): { xs: number[][]; labels: number[] } {
  const rand = lcg(12345);
  const xs: number[][] = [];
  const labels: number[] = [];
  while (xs.length < 64) {
    const p = [rand() * 2 - 1, rand() * 2 - 1];
    const r = Math.hypot(p[0]!, p[1]!);
    if (Math.abs(r - 0.6) < 0.1) continue;
    // Balance the classes: alternate between inside and outside.
    const inside = r < 0.6;
    if (inside !== (xs.length % 2 === 0)) continue;
    xs.push(p);
    labels.push(inside ? 1 : 0);
  }
  return { xs, labels };
}

function accuracy(logits: Tensor, labels: readonly number[]): number {
  const v = logits.dataSync();
  let right = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = v[2 * i + 1]! > v[2 * i]! ? 1 : 0;
    if (predicted === labels[i]) right++;
  }
  return right / labels.length;
}

const makers: Array<[string, () => Optimizer]> = [
  ['GradientDescentOptimizer', () => new GradientDescentOptimizer(1)],
  ['MomentumOptimizer', () => new MomentumOptimizer(0.1, 0.9)],
  ['MomentumOptimizer (Nesterov)', () => new MomentumOptimizer(0.1, 0.9, { useNesterov: true })],
  ['AdamOptimizer', () => new AdamOptimizer(0.02)],
  ['AdamWOptimizer', () => new AdamWOptimizer(0.02, { weightDecay: 0.01 })],
  ['RMSPropOptimizer', () => new RMSPropOptimizer(0.01)],
  ['RMSPropOptimizer (centered, momentum)', () => new RMSPropOptimizer(0.005, { centered: true, momentum: 0.5 })],
  ['AdagradOptimizer', () => new AdagradOptimizer(0.3)],
];

describe('a 2-16-2 MLP on a separable problem reaches 100% training accuracy', () => {
  const { xs, labels } = dataset();
  for (const [name, make] of makers) {
    it(name, () => {
      const x = tensor(xs);
      const y = oneHot(tensor(labels, undefined, 'int32'), 2);
      const w1 = getVariable('w1', { shape: [2, 16], initializer: glorotUniformInitializer({ seed: 1 }) });
      const b1 = getVariable('b1', { shape: [16], initializer: zerosInitializer() });
      const w2 = getVariable('w2', { shape: [16, 2], initializer: glorotUniformInitializer({ seed: 2 }) });
      const b2 = getVariable('b2', { shape: [2], initializer: zerosInitializer() });
      const params: Variable[] = [w1, b1, w2, b2];
      const logits = (): Tensor => x.matmul(w1).add(b1).tanh().matmul(w2).add(b2);
      const loss = (): Tensor => softmaxCrossEntropy(y, logits());
      const opt = make();
      let acc = 0;
      let steps = 0;
      let firstLoss = NaN;
      let lastLoss = NaN;
      while (steps < 1000 && acc < 1) {
        for (let i = 0; i < 25; i++, steps++) {
          const l = opt.minimize(loss);
          if (steps === 0) firstLoss = l.item() as number;
          lastLoss = l.item() as number;
          l.dispose();
        }
        acc = tidy(() => accuracy(logits(), labels));
      }
      expect(acc, `${name}: accuracy after ${steps} steps (loss ${firstLoss} → ${lastLoss})`).toBe(1);
      expect(lastLoss).toBeLessThan(firstLoss);
      opt.dispose();
      dispose([x, y, params]);
    });
  }
});
