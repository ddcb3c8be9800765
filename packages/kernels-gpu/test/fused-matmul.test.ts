/**
 * `fusedMatmul` runs as one fused kernel on WebGPU (the tiled GEMM with bias and activation in
 * its epilogue): the kernel is called, one dispatch is recorded, and the result equals the
 * unfused composition (matmul, add, activation) run on the same backend. Under a gradient tape
 * the fused kernel still runs (autograd has a rule for the op) and the gradients match the CPU
 * backend's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  add,
  fusedMatmul,
  matmul,
  randomUniform,
  relu,
  setBackend,
  sigmoid,
  sum,
  tanh,
  toBackend,
  type Backend,
  type FusedActivation,
  type Kernel,
  type Tensor,
  zeros,
} from '@tessera/core';
import { GradientTape } from '@tessera/autograd';
import { createCpuBackend } from '@tessera/kernels-cpu';
import type { WebGpuBackend } from '../src/index.js';
import { createTestBackend } from './setup.js';

let cpu: Backend;
let gpu: WebGpuBackend;
let calls = 0;
let original: Kernel;
beforeAll(async () => {
  cpu = await createCpuBackend();
  gpu = await createTestBackend();
  original = gpu.kernels['fusedMatmul']!;
  // count calls of the fused kernel (the kernel table is a plain record)
  (gpu.kernels as Record<string, Kernel>)['fusedMatmul'] = (args) => {
    calls++;
    return original(args);
  };
});
afterAll(() => {
  (gpu.kernels as Record<string, Kernel>)['fusedMatmul'] = original;
  gpu.dispose();
});

function unfused(a: Tensor, b: Tensor, tA: boolean, tB: boolean, bias: Tensor | undefined, act: FusedActivation): Tensor {
  let y = matmul(a, b, { transposeA: tA, transposeB: tB });
  if (bias !== undefined) y = add(y, bias);
  return act === 'relu' ? relu(y) : act === 'sigmoid' ? sigmoid(y) : act === 'tanh' ? tanh(y) : y;
}

async function expectClose(got: Tensor, want: Tensor): Promise<void> {
  expect(got.shape).toEqual(want.shape);
  const g = await got.data();
  const w = await want.data();
  expect(g.length).toBe(w.length);
  for (let i = 0; i < w.length; i++) {
    if (Number.isNaN(w[i]!)) expect(g[i]).toBeNaN();
    else expect(Math.abs(g[i]! - w[i]!)).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(w[i]!));
  }
}

describe('fusedMatmul on WebGPU', () => {
  const ACTS: FusedActivation[] = ['linear', 'relu', 'sigmoid', 'tanh'];
  const SHAPES: [number[], number[], number[] | null][] = [
    [[5, 9], [9, 7], [7]],
    [[33, 65], [65, 34], [33, 34]],
    [[3, 17, 8], [8, 6], [17, 1]],
    [[2, 1, 4, 5], [3, 5, 6], [3, 1, 6]],
    [[6, 3], [3, 4], null],
  ];
  for (const act of ACTS) {
    it(`${act}: one fused dispatch equal to the unfused composition, every transpose`, async () => {
      setBackend(gpu);
      let seed = 1;
      for (const [sa0, sb0, sbias] of SHAPES) {
        for (const tA of [false, true]) {
          for (const tB of [false, true]) {
            const ra = sa0.length;
            const rb = sb0.length;
            const sa = tA ? [...sa0.slice(0, -2), sa0[ra - 1]!, sa0[ra - 2]!] : sa0;
            const sb = tB ? [...sb0.slice(0, -2), sb0[rb - 1]!, sb0[rb - 2]!] : sb0;
            const a = randomUniform(sa, { minval: -1, maxval: 1, seed: seed++ });
            const b = randomUniform(sb, { minval: -1, maxval: 1, seed: seed++ });
            const bias = sbias === null ? undefined : randomUniform(sbias, { minval: -1, maxval: 1, seed: seed++ });
            const want = unfused(a, b, tA, tB, bias, act);
            const before = gpu.stats().dispatches;
            const c0 = calls;
            const got = fusedMatmul(a, b, { transposeA: tA, transposeB: tB, activation: act, ...(bias !== undefined ? { bias } : {}) });
            expect(calls - c0).toBe(1);
            expect(gpu.stats().dispatches - before).toBe(1);
            await expectClose(got, want);
            for (const t of [a, b, want, got, ...(bias !== undefined ? [bias] : [])]) t.dispose();
          }
        }
      }
    });
  }

  it('an empty result dispatches nothing; K = 0 gives activation(bias)', async () => {
    setBackend(gpu);
    const [x, w, b4] = [randomUniform([0, 3]), randomUniform([3, 4]), randomUniform([4])];
    const before = gpu.stats().dispatches;
    const e = fusedMatmul(x, w, { bias: b4 });
    expect(gpu.stats().dispatches - before).toBe(0);
    expect(e.shape).toEqual([0, 4]);
    const bias = randomUniform([2], { minval: -1, maxval: 1, seed: 5 });
    const k0 = fusedMatmul(randomUniform([3, 0]), randomUniform([0, 2]), { bias, activation: 'tanh' });
    await expectClose(k0, tanh(add(zeros([3, 2]), bias)));
  });

  it('runs fused under a gradient tape, with the gradients of the CPU backend', async () => {
    setBackend(cpu);
    const aC = randomUniform([4, 6], { minval: -1, maxval: 1, seed: 41 });
    const bC = randomUniform([5, 6], { minval: -1, maxval: 1, seed: 42 });
    const biasC = randomUniform([5], { minval: -1, maxval: 1, seed: 43 });
    const grads = (a: Tensor, b: Tensor, bias: Tensor): Tensor[] => {
      const tape = new GradientTape();
      for (const t of [a, b, bias]) tape.watch(t);
      const y = sum(fusedMatmul(a, b, { transposeB: true, bias, activation: 'sigmoid' }).square());
      const g = tape.gradient(y, [a, b, bias]) as Tensor[];
      tape.dispose();
      return [y, ...g];
    };
    const want = grads(aC, bC, biasC);
    const [aG, bG, biasG] = await Promise.all([aC, bC, biasC].map((t) => toBackend(t, gpu)));
    setBackend(gpu);
    const c0 = calls;
    const got = grads(aG!, bG!, biasG!);
    expect(calls - c0).toBe(1);
    for (let i = 0; i < want.length; i++) await expectClose(got[i]!, want[i]!);
  });
});
