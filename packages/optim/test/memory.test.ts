import { dispose, getBackend, memory, setBackend, tensor, variable, type Tensor } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AdagradOptimizer,
  AdamOptimizer,
  AdamWOptimizer,
  clipByGlobalNorm,
  exponentialDecay,
  getOrCreateGlobalStep,
  GradientDescentOptimizer,
  MomentumOptimizer,
  resetGlobalStep,
  RMSPropOptimizer,
  type Optimizer,
} from '../src/index.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

function counts(): [number, number, number] {
  const m = memory();
  return [m.numTensors, m.numDataBuffers, getBackend().memory().numBuffers];
}

describe('no leaked tensors', () => {
  it('1,000 Adam minimize steps with a schedule and a global step: memory stays flat', () => {
    resetGlobalStep();
    const gs = getOrCreateGlobalStep();
    const w = variable(tensor([[0.1, -0.2], [0.3, 0.4]]), { name: 'w' });
    const b = variable(tensor([0, 0]), { name: 'b' });
    const x = tensor([[1, 2], [3, -1], [0.5, 0.5]]);
    const y = tensor([[1, 0], [0, 1], [1, 1]]);
    const loss = (): Tensor => x.matmul(w).add(b).sub(y).square().mean();
    const opt = new AdamOptimizer(exponentialDecay(0.01, 100, 0.9));
    opt.minimize(loss, { globalStep: gs }).dispose(); // creates the slots
    const start = counts();
    let last = Infinity;
    for (let i = 1; i < 1000; i++) {
      const value = opt.minimize(loss, { globalStep: gs });
      if (i === 999) last = value.item() as number;
      value.dispose();
      if (i % 250 === 0) expect(counts(), `after ${i + 1} steps`).toEqual(start);
    }
    expect(counts()).toEqual(start);
    expect(gs.item()).toBe(1000);
    expect(last).toBeLessThan(0.2);
    const vars = opt.variables().length;
    expect(vars).toBe(2 + 2 * 2); // beta powers, m and v of w and b
    opt.dispose();
    dispose([w, b, x, y]);
    resetGlobalStep();
  });

  const makers: Array<[string, () => Optimizer]> = [
    ['GradientDescentOptimizer', () => new GradientDescentOptimizer(0.05)],
    ['MomentumOptimizer', () => new MomentumOptimizer(0.05, 0.9, { useNesterov: true })],
    ['AdamWOptimizer', () => new AdamWOptimizer(0.01)],
    ['RMSPropOptimizer', () => new RMSPropOptimizer(0.01, { centered: true, momentum: 0.5 })],
    ['AdagradOptimizer', () => new AdagradOptimizer(0.1)],
  ];
  for (const [name, make] of makers) {
    it(`${name}: compute, clip, apply for 200 steps, then dispose: back to where it started`, () => {
      const before = counts();
      const w = variable([1, -2, 3], { name: 'w' });
      const opt = make();
      const loss = (): Tensor => w.square().sum();
      const step = (): void => {
        const pairs = opt.computeGradients(loss);
        const [clipped, norm] = clipByGlobalNorm(pairs, 1);
        opt.applyGradients(clipped);
        dispose([pairs.map((p) => p[0]), clipped.map((p) => p[0]), norm]);
      };
      step();
      const start = counts();
      for (let i = 0; i < 199; i++) step();
      expect(counts()).toEqual(start);
      opt.dispose();
      w.dispose();
      expect(counts()).toEqual(before);
    });
  }
});
