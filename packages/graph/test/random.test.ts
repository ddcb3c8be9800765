/**
 * Random ops in a graph are nodes that draw when they run: each `Session.run` gets new samples
 * from the global generator, a seeded op the same samples as the eager call with that seed, and
 * a graph saved as JSON keeps them as ops (no baked-in values).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { randomNormal, randomUniform, setBackend, setRandomSeed, truncatedNormal, variable, type Tensor } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { Graph, globalVariablesInitializer, Session, SymbolicTensor } from '../src/index.js';

beforeAll(async () => {
  setBackend(await createCpuBackend({ threads: 1 }));
});

const values = (t: Tensor | undefined): number[] => Array.from(t!.dataSync());

describe('random ops in graphs', () => {
  it('draw new samples on every run, from the global generator', () => {
    const g = new Graph();
    const r = g.asDefault(() => randomNormal([16]));
    const s = new Session(g);
    setRandomSeed(5);
    const [a] = s.run([r]);
    const [b] = s.run([r]);
    expect(values(a)).not.toEqual(values(b));
    // the same two draws as two eager calls after the same global seed
    setRandomSeed(5);
    const e1 = randomNormal([16]);
    const e2 = randomNormal([16]);
    expect(values(a)).toEqual(values(e1));
    expect(values(b)).toEqual(values(e2));
    for (const t of [a, b, e1, e2]) t!.dispose();
    s.close();
  });

  it('a seeded op gives the eager call’s samples, every run', () => {
    const g = new Graph();
    const [n, u, i, t] = g.asDefault(() => [
      randomNormal([3, 4], { mean: 2, stddev: 0.5, seed: 11 }),
      randomUniform([7], { minval: -1, maxval: 3, seed: 12 }),
      randomUniform([9], { maxval: 10, dtype: 'int32', seed: 13 }),
      truncatedNormal([50], { stddev: 3, seed: 14 }),
    ]);
    const s = new Session(g);
    const eager = [
      randomNormal([3, 4], { mean: 2, stddev: 0.5, seed: 11 }),
      randomUniform([7], { minval: -1, maxval: 3, seed: 12 }),
      randomUniform([9], { maxval: 10, dtype: 'int32', seed: 13 }),
      truncatedNormal([50], { stddev: 3, seed: 14 }),
    ];
    for (let run = 0; run < 2; run++) {
      const out = s.run([n!, u!, i!, t!]);
      out.forEach((o, k) => {
        expect(o!.shape).toEqual(eager[k]!.shape);
        expect(o!.dtype).toEqual(eager[k]!.dtype);
        expect(values(o)).toEqual(values(eager[k]));
        o!.dispose();
      });
    }
    // truncated: within two standard deviations
    expect(values(eager[3]).every((v) => Math.abs(v) <= 6)).toBe(true);
    expect(values(eager[2]).every((v) => Number.isInteger(v) && v >= 0 && v < 10)).toBe(true);
    eager.forEach((e) => e.dispose());
    s.close();
  });

  it('an initializer draws when it runs: each session starts from its own sample', () => {
    const g = new Graph();
    const v = g.asDefault(() => variable(randomNormal([8]), { name: 'w' }));
    const init = g.asDefault(() => globalVariablesInitializer());
    setRandomSeed(1);
    const s1 = new Session(g);
    s1.run([init]);
    const s2 = new Session(g);
    s2.run([init]);
    const [a] = s1.run([v]);
    const [b] = s2.run([v]);
    expect(values(a)).not.toEqual(values(b));
    setRandomSeed(1);
    const e = randomNormal([8]);
    expect(values(a)).toEqual(values(e));
    for (const x of [a, b, e]) x!.dispose();
    s1.close();
    s2.close();
  });

  it('round-trips through JSON as ops, not as stored values', () => {
    const g = new Graph();
    const r = g.asDefault(() => randomUniform([1000], { minval: 0, maxval: 1, seed: 3 }));
    const json = g.toJSON();
    const text = JSON.stringify(json);
    expect(text).toContain('randomUniform');
    expect(text.length).toBeLessThan(2000); // 1000 samples are not stored
    const copy = Graph.fromJSON(JSON.parse(text));
    const s = new Session(copy);
    const [a] = s.run([copy.get((r as SymbolicTensor).name) as SymbolicTensor]);
    const e = randomUniform([1000], { minval: 0, maxval: 1, seed: 3 });
    expect(values(a)).toEqual(values(e));
    a!.dispose();
    e.dispose();
    s.close();
  });
});
