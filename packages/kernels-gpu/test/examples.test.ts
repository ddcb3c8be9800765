/**
 * The seed walkthroughs (examples/src/seeds.ts) on the WebGPU backend: every eager example, the
 * optimizers and the split-model graph training give the same numbers as on the CPU backend,
 * within float32 tolerance. The host-language `if` example cannot run as written on an
 * asynchronous backend (a tensor used as a number needs a synchronous read); it throws an error
 * that says so, and its `await` form works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  add,
  conv2d,
  getVariable,
  greaterEqual,
  matmul,
  mean,
  randomNormal,
  randomNormalInitializer,
  setBackend,
  setRandomSeed,
  square,
  sub,
  tanh,
  tensor,
  truncatedNormalInitializer,
  variable,
  zeros,
  zerosInitializer,
  type Backend,
  type Tensor,
  type Variable,
} from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { gradientsFunction, implicitGradients, implicitValueAndGradients, valueAndGradientsFunction } from '@tessera/autograd';
import { AdamOptimizer, GradientDescentOptimizer, MomentumOptimizer, getOrCreateGlobalStep } from '@tessera/optim';
import { Graph, Session, cond, globalVariablesInitializer, gradients, nameScope, placeholder, trainableVariables } from '@tessera/graph';
import type { WebGpuBackend } from '../src/index.js';
import { createTestBackend } from './setup.js';

let cpu: Backend;
let gpu: WebGpuBackend;

beforeAll(async () => {
  cpu = await createCpuBackend();
  gpu = await createTestBackend();
});
afterAll(() => gpu.dispose());

async function nums(x: Tensor | null | undefined): Promise<number[]> {
  if (x === null || x === undefined) throw new Error('expected a tensor');
  return Array.from(await x.data(), Number);
}

/** Runs `f` on the CPU and on the GPU backend and expects the same numbers (float32 tolerance). */
async function sameOnBoth(f: () => Promise<number[]>, rtol = 1e-4, atol = 1e-5): Promise<number[]> {
  setBackend(cpu);
  setRandomSeed(0);
  const want = await f();
  setBackend(gpu);
  setRandomSeed(0);
  const got = await f();
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i]! - want[i]!) > atol + rtol * Math.abs(want[i]!)) {
      throw new Error(`value ${i}: GPU ${got[i]}, CPU ${want[i]}`);
    }
  }
  return got;
}

describe('seed examples on WebGPU match the CPU backend', () => {
  it('001: convolution of random images with a get_variable filter', async () => {
    const out = await sameOnBoth(async () => {
      const images = randomNormal([2, 28, 28, 3], { seed: 5 });
      const filter = getVariable('conv_w0', { shape: [5, 5, 3, 20], initializer: truncatedNormalInitializer({ seed: 6 }) });
      const conv = conv2d(images, filter, { strides: [1, 2, 2, 1], padding: 'VALID' });
      expect(conv.shape).toEqual([2, 12, 12, 20]);
      return nums(conv);
    }, 1e-4, 1e-4);
    expect(out.length).toBe(2 * 12 * 12 * 20);
  });

  it('001: gradients_function and value_and_gradients_function', async () => {
    const g = await sameOnBoth(async () => {
      const gf = gradientsFunction((x: Tensor, y: Tensor) => add(x.pow(2), y.pow(3)));
      const [dx, dy] = gf(1, 2);
      const func = (x: Tensor): Tensor => x.mul(x).add(x.mul(2)).add(4);
      const [g1] = gradientsFunction(func)(2);
      const [value, [g2]] = valueAndGradientsFunction(func)(2);
      return [...(await nums(dx)), ...(await nums(dy)), ...(await nums(g1)), ...(await nums(value)), ...(await nums(g2))];
    });
    expect(g).toEqual([2, 12, 6, 12, 6]);
  });

  it('001: implicit_gradients and implicit_value_and_gradients', async () => {
    const r = await sameOnBoth(async () => {
      const x = variable(1, { name: 'x' });
      const y = variable(1, { name: 'y' });
      const f = (a: Tensor): Tensor => add(x, a.mul(2).mul(x).mul(y));
      const pairs = implicitGradients(f)(5);
      const [v, pairs2] = implicitValueAndGradients(f)(5);
      const out: number[] = [];
      for (const [gr] of pairs) out.push(...(await nums(gr)));
      out.push(...(await nums(v)));
      for (const [gr] of pairs2) out.push(...(await nums(gr)));
      return out;
    });
    expect(r).toEqual([11, 10, 11, 11, 10]);
  });

  it('001: host-language if needs a synchronous read; await works', async () => {
    setBackend(gpu);
    const relu1 = (t: Tensor): Tensor => (+t >= 0 ? t : zeros(t.shape, t.dtype));
    const x1 = tensor([[-5]]);
    expect(() => relu1(x1)).toThrow(/reads asynchronously; use `await tensor.data\(\)`/);
    const relu1Async = async (t: Tensor): Promise<Tensor> => ((await t.data())[0]! >= 0 ? t : zeros(t.shape, t.dtype));
    expect(await nums(await relu1Async(x1))).toEqual([0]);
    expect(await nums(await relu1Async(tensor([[5]])))).toEqual([5]);
  });

  it('001: the same relu in graph mode with placeholders, cond and runAsync', async () => {
    const r = await sameOnBoth(async () => {
      const relu2 = (t: Tensor): Tensor => {
        const c = greaterEqual(t, tensor(0, undefined, t.dtype));
        return cond(c.reshape([]), () => t, () => zeros(t.shape, t.dtype)) as Tensor;
      };
      const g = new Graph();
      const built = g.asDefault(() => {
        const p1 = placeholder('float32', [1, 1]);
        const p2 = placeholder('float32', [1, 1]);
        return { p1, p2, r1: relu2(p1), r2: relu2(p2) };
      });
      const sess = new Session(g);
      const [a, b] = (await sess.runAsync([built.r1, built.r2], [
        [built.p1, [[5.0]]],
        [built.p2, [[-5.0]]],
      ])) as Tensor[];
      const out = [...(await nums(a)), ...(await nums(b))];
      sess.close();
      return out;
    });
    expect(r).toEqual([5, 0]);
  });

  it('001: optimizers (minimize; compute/apply with global_step; Adam; Momentum)', async () => {
    const trace = await sameOnBoth(async () => {
      const out: number[] = [];
      const w = getVariable('w', { initializer: 3.0 });
      const sgd = new GradientDescentOptimizer(0.1);
      for (let i = 0; i < 5; i++) {
        sgd.minimize(() => w.mul(5)).dispose();
        out.push(...(await nums(w)));
      }
      const step = getOrCreateGlobalStep();
      const w2 = variable(3, { name: 'w2' });
      const gv = sgd.computeGradients(() => w2.mul(5));
      sgd.applyGradients(gv, { globalStep: step });
      out.push(...(await nums(w2)), ...(await nums(step)));
      for (const opt of [new AdamOptimizer(0.1), new MomentumOptimizer(0.1, 0.9)]) {
        const v: Variable = variable(3);
        for (let i = 0; i < 3; i++) {
          opt.minimize(() => v.mul(5)).dispose();
          out.push(...(await nums(v)));
        }
      }
      return out;
    });
    expect(trace.slice(0, 5)).toEqual([2.5, 2, 1.5, 1, 0.5]);
    expect(trace.slice(5, 6)).toEqual([2.5]);
  });

  it('000: split-model training through a placeholder gives the same losses', async () => {
    const losses = await sameOnBoth(async () => {
      const gs = new Graph();
      const m = gs.asDefault(() => {
        const xp = placeholder('float32', [4, 3], { name: 'x' });
        const yp = placeholder('float32', [4, 1], { name: 'y' });
        const iv = nameScope('second_part', () => {
          const ws = getVariable('w', { shape: [3, 2], initializer: randomNormalInitializer({ seed: 1 }) });
          const bs = getVariable('b', { shape: [2], initializer: zerosInitializer() });
          return tanh(add(matmul(xp, ws), bs));
        });
        const lossT = nameScope('first_part', () => {
          const wf = getVariable('w', { shape: [2, 1], initializer: randomNormalInitializer({ seed: 2 }) });
          return mean(square(sub(matmul(iv, wf), yp)));
        });
        const firstPartVars = trainableVariables().filter((v) => v.name.startsWith('first_part/'));
        const secondPartVars = trainableVariables().filter((v) => v.name.startsWith('second_part/'));
        const opt = new GradientDescentOptimizer(0.5);
        const trainFirstPart = opt.applyGradients(opt.computeGradients(lossT, { varList: firstPartVars }))!;
        const ivGradients = gradients(lossT, [iv])[0]!;
        const ivPh = placeholder('float32', [4, 2], { name: 'iv_ph' });
        const secondGrads = gradients(iv, secondPartVars, ivPh);
        const trainSecondPart = opt.applyGradients(secondGrads.map((gr, i) => [gr, secondPartVars[i]!] as [Tensor | null, Variable]))!;
        return { xp, yp, lossT, trainFirstPart, ivGradients, ivPh, trainSecondPart, init: globalVariablesInitializer() };
      });
      const s = new Session(gs);
      await s.runAsync(m.init);
      const batch = { x: [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], y: [[1], [-1], [0.5], [0]] };
      const out: number[] = [];
      for (let i = 0; i < 20; i++) {
        const [, ivg, l] = (await s.runAsync([m.trainFirstPart, m.ivGradients, m.lossT], { x: batch.x, y: batch.y })) as [unknown, Tensor, Tensor];
        await s.runAsync(m.trainSecondPart, [
          [m.xp, batch.x],
          [m.ivPh, ivg],
        ]);
        out.push(...(await nums(l)));
      }
      s.close();
      return out;
    }, 1e-3, 1e-5);
    expect(losses[19]!).toBeLessThan(losses[0]! / 10);
  });
});
