/**
 * The fused optimizer-update kernels compute what optim's compositions compute: each update op
 * runs once on the CPU backend (the composition) and once on the WebGPU backend (one fused
 * dispatch), on the same random inputs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUniform, setBackend, tensor, toBackend, type Backend, type Tensor } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import {
  adagradUpdate,
  adamUpdate,
  adamWUpdate,
  centeredRmsPropUpdate,
  momentumUpdate,
  rmsPropUpdate,
  sgdUpdate,
} from '@tessera/optim';
import type { WebGpuBackend } from '../src/index.js';
import { createTestBackend } from './setup.js';

let cpu: Backend;
let gpu: WebGpuBackend;
beforeAll(async () => {
  cpu = await createCpuBackend();
  gpu = await createTestBackend();
});
afterAll(() => gpu.dispose());

type Update = (ts: Tensor[]) => Tensor[];

const SHAPE = [3, 7];
const CASES: [string, number, Update, string?][] = [
  ['sgdUpdate', 2, ([x, g]) => [sgdUpdate(x!, g!, 0.1)]],
  ['momentumUpdate', 3, ([x, a, g]) => momentumUpdate(x!, a!, g!, 0.1, { momentum: 0.9 })],
  ['momentumUpdate', 3, ([x, a, g]) => momentumUpdate(x!, a!, g!, 0.1, { momentum: 0.9, useNesterov: true }), ' (Nesterov)'],
  ['adamUpdate', 4, ([x, m, v, g]) => adamUpdate(x!, m!, v!, g!, 0.01, 0.9 ** 3, 0.999 ** 3, { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 })],
  [
    'adamWUpdate',
    4,
    ([x, m, v, g]) => adamWUpdate(x!, m!, v!, g!, 0.01, 0.9 ** 3, 0.999 ** 3, { beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0.01 }),
  ],
  ['rmsPropUpdate', 4, ([x, ms, mom, g]) => rmsPropUpdate(x!, ms!, mom!, g!, 0.01, { decay: 0.9, momentum: 0.5, epsilon: 1e-6 })],
  [
    'centeredRmsPropUpdate',
    5,
    ([x, mg, ms, mom, g]) => centeredRmsPropUpdate(x!, mg!, ms!, mom!, g!, 0.01, { decay: 0.9, momentum: 0.5, epsilon: 1e-6 }),
  ],
  ['adagradUpdate', 3, ([x, a, g]) => adagradUpdate(x!, a!, g!, 0.1)],
];

describe('fused optimizer updates', () => {
  for (const [op, n, run, variant] of CASES) {
    it(`${op}${variant ?? ''} matches the composition`, async () => {
      setBackend(cpu);
      // slots such as second moments are non-negative: draw everything in [0.1, 2)
      const onCpu = Array.from({ length: n }, (_, i) => randomUniform(SHAPE, { minval: 0.1, maxval: 2, seed: 10 + i }));
      const want = run(onCpu);
      const onGpu = await Promise.all(onCpu.map((t) => toBackend(t, gpu)));
      setBackend(gpu);
      expect(op in gpu.kernels).toBe(true);
      const before = gpu.stats().dispatches;
      const got = run(onGpu);
      expect(gpu.stats().dispatches - before).toBe(1);
      expect(got.length).toBe(want.length);
      for (let k = 0; k < want.length; k++) {
        const w = want[k]!.dataSync();
        const g = await got[k]!.data();
        for (let i = 0; i < w.length; i++) {
          if (Number.isNaN(w[i]!)) expect(g[i]).toBeNaN();
          else expect(Math.abs(g[i]! - w[i]!)).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(w[i]!));
        }
      }
      for (const t of [...onCpu, ...want, ...onGpu, ...got]) t.dispose();
    });
  }

  it('an empty variable gives empty results', async () => {
    setBackend(gpu);
    const e = tensor([], [0, 3]);
    const [x] = [sgdUpdate(e, e, 0.1)];
    expect(x!.shape).toEqual([0, 3]);
    expect((await x!.data()).length).toBe(0);
  });
});
