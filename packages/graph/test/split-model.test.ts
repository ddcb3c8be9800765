/**
 * The split-model training of seed 000: the model x → part two → iv → part one → loss is
 * trained in two steps, handing the gradient of the interface vector iv from part one to part
 * two through a placeholder (`gradients(iv, secondPartVars, ivGrad)`).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  add,
  getVariable,
  matmul,
  mean,
  memory,
  randomNormalInitializer,
  setBackend,
  square,
  sub,
  tanh,
  zerosInitializer,
  type Tensor,
  type Variable,
} from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { AdamOptimizer, GradientDescentOptimizer, type Optimizer } from '@tessera/optim';
import { Graph, gradients, nameScope, placeholder, Session, trainableVariables, globalVariablesInitializer } from '../src/index.js';

const N = 16;
const D = 3;
const H = 4;

/** Deterministic data: y = x·[1, -2, 0.5] + 0.3 (a float64 reference of the target). */
function data(): { x: number[][]; y: number[][] } {
  let s = 12345;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  };
  const x: number[][] = [];
  const y: number[][] = [];
  for (let i = 0; i < N; i++) {
    const r = [rnd(), rnd(), rnd()];
    x.push(r);
    y.push([r[0]! - 2 * r[1]! + 0.5 * r[2]! + 0.3]);
  }
  return { x, y };
}

function secondPart(x: Tensor): Tensor {
  return nameScope('second_part', () => {
    const w = getVariable('w', { shape: [D, H], initializer: randomNormalInitializer({ stddev: 0.5, seed: 1 }) });
    const b = getVariable('b', { shape: [H], initializer: zerosInitializer() });
    return tanh(add(matmul(x, w), b));
  });
}

function firstPart(iv: Tensor, y: Tensor): Tensor {
  return nameScope('first_part', () => {
    const w = getVariable('w', { shape: [H, 1], initializer: randomNormalInitializer({ stddev: 0.5, seed: 2 }) });
    const b = getVariable('b', { shape: [1], initializer: zerosInitializer() });
    return mean(square(sub(add(matmul(iv, w), b), y)));
  });
}

function split(vars: readonly Variable[]): { first: Variable[]; second: Variable[] } {
  return {
    first: vars.filter((v) => v.name.startsWith('first_part/')),
    second: vars.filter((v) => v.name.startsWith('second_part/')),
  };
}

function buildSplitGraph(makeOpt: () => Optimizer) {
  const g = new Graph();
  const built = g.asDefault(() => {
    const x = placeholder('float32', [N, D], { name: 'x' });
    const y = placeholder('float32', [N, 1], { name: 'y' });
    const iv = secondPart(x);
    const loss = firstPart(iv, y);
    const { first, second } = split(trainableVariables());
    // one optimizer per part, so that each part's optimizer state (Adam's step count) advances once per step
    const opt = makeOpt();
    const opt2 = makeOpt();
    const trainFirstPart = opt.applyGradients(opt.computeGradients(loss, { varList: first }))!;
    const ivGradient = gradients(loss, [iv])[0]!;
    const ivGrad = placeholder('float32', [...iv.shape], { name: 'ivGrad' });
    const secondGrads = gradients(iv, second, ivGrad);
    const trainSecondPart = opt2.applyGradients(secondGrads.map((gr, i) => [gr, second[i]!] as [Tensor | null, Variable]))!;
    const directSecondGrads = gradients(loss, second);
    const init = globalVariablesInitializer();
    return { x, y, iv, loss, first, second, trainFirstPart, ivGradient, ivGrad, secondGrads, trainSecondPart, directSecondGrads, init };
  });
  return { g, ...built };
}

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

describe('seed 000: split-model training', () => {
  it('names split the variables: first_part/ and second_part/', () => {
    const m = buildSplitGraph(() => new GradientDescentOptimizer(0.1));
    expect(m.first.map((v) => v.name).sort()).toEqual(['first_part/b', 'first_part/w']);
    expect(m.second.map((v) => v.name).sort()).toEqual(['second_part/b', 'second_part/w']);
  });

  it('(1) the second part gradients through ivGrad equal gradients(loss, secondPartVars)', () => {
    const m = buildSplitGraph(() => new GradientDescentOptimizer(0.1));
    const { x, y } = data();
    const s = new Session(m.g);
    s.run(m.init);
    const [ivg] = s.run([m.ivGradient], { x, y });
    const viaIv = s.run(m.secondGrads as Tensor[], [
      [m.x, x],
      [m.ivGrad, ivg!],
    ]);
    const direct = s.run(m.directSecondGrads as Tensor[], { x, y });
    expect(viaIv.length).toBe(2);
    viaIv.forEach((t, i) => {
      const a = t.dataSync();
      const b = direct[i]!.dataSync();
      expect(a.length).toBe(b.length);
      let maxAbs = 0;
      for (let k = 0; k < b.length; k++) maxAbs = Math.max(maxAbs, Math.abs(b[k]!));
      expect(maxAbs).toBeGreaterThan(1e-4);
      for (let k = 0; k < a.length; k++) expect(a[k]!).toBeCloseTo(b[k]!, 5);
    });
    s.close();
  });

  it('(2) alternating steps A and B trains the regression below 1% of its starting loss', () => {
    const m = buildSplitGraph(() => new AdamOptimizer(0.05));
    const { x, y } = data();
    const s = new Session(m.g);
    s.run(m.init);
    const start = s.run(m.loss, { x, y }).item() as number;
    let before = 0;
    let last = start;
    for (let step = 0; step < 300; step++) {
      if (step === 1) before = memory().numTensors; // after the session cached the train ops' constants
      const [, ivg] = s.run([m.trainFirstPart, m.ivGradient], { x, y });
      s.run(m.trainSecondPart, { x, ivGrad: ivg! });
      ivg!.dispose();
    }
    expect(memory().numTensors).toBe(before);
    last = s.run(m.loss, { x, y }).item() as number;
    expect(start).toBeGreaterThan(0.1);
    expect(last).toBeLessThan(0.01 * start);
    s.close();
  });

  it('(3) the two parts in two graphs and sessions, exchanging only arrays, train the same way', async () => {
    const { x, y } = data();
    // part two: x -> iv, trained from an incoming gradient
    const g2 = new Graph();
    const p2 = g2.asDefault(() => {
      const xp = placeholder('float32', [N, D], { name: 'x' });
      const iv = secondPart(xp);
      const ivGrad = placeholder('float32', [N, H], { name: 'ivGrad' });
      const vars = trainableVariables();
      const opt = new AdamOptimizer(0.05);
      const grads = gradients(iv, vars, ivGrad);
      const train = opt.applyGradients(grads.map((gr, i) => [gr, vars[i]!] as [Tensor | null, Variable]))!;
      return { iv, train, init: globalVariablesInitializer() };
    });
    // part one: iv -> loss, trained directly, and the gradient of iv sent back
    const g1 = new Graph();
    const p1 = g1.asDefault(() => {
      const ivIn = placeholder('float32', [N, H], { name: 'iv' });
      const yp = placeholder('float32', [N, 1], { name: 'y' });
      const loss = firstPart(ivIn, yp);
      const opt = new AdamOptimizer(0.05);
      const train = opt.minimize(loss, { varList: trainableVariables() });
      const ivGradient = gradients(loss, [ivIn])[0]!;
      return { loss, train, ivGradient, init: globalVariablesInitializer() };
    });
    expect(g2.trainableVariables().map((v) => v.name)).toEqual(['second_part/w', 'second_part/b']);
    expect(g1.trainableVariables().map((v) => v.name)).toEqual(['first_part/w', 'first_part/b']);
    const s2 = new Session(g2);
    const s1 = new Session(g1);
    s2.run(p2.init);
    s1.run(p1.init);
    // the same model in one graph, for comparison
    const m = buildSplitGraph(() => new AdamOptimizer(0.05));
    const s = new Session(m.g);
    s.run(m.init);

    const losses: number[] = [];
    for (let step = 0; step < 300; step++) {
      const ivArray = await s2.run(p2.iv, { x }).array(); // "process 2" sends iv
      const [, ivg, lossT] = s1.run([p1.train, p1.ivGradient, p1.loss], { iv: ivArray as number[][], y });
      const ivgArray = await ivg!.array(); // "process 1" sends the gradient back
      s2.run(p2.train, { x, ivGrad: ivgArray as number[][] });
      losses.push(lossT!.item() as number);
      // the one-graph version, step for step
      const [, ivg1, loss1] = s.run([m.trainFirstPart, m.ivGradient, m.loss], { x, y });
      s.run(m.trainSecondPart, { x, ivGrad: ivg1! });
      if (step % 50 === 0) expect(loss1!.item() as number).toBeCloseTo(losses[step]!, 4);
    }
    expect(losses[losses.length - 1]!).toBeLessThan(0.01 * losses[0]!);
    s1.close();
    s2.close();
    s.close();
  });
});
