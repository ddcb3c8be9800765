import { beforeAll, describe, expect, it } from 'vitest';
import { BackendError, getBackend, less, mul, scalar, setBackend, sum, type Backend } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { cond, gradients, Graph, placeholder, Session, whileLoop } from '../src/index.js';
import { asyncOnlyBackend } from './helpers.js';

let cpu: Backend;
beforeAll(async () => {
  cpu = await createCpuBackend();
  setBackend(cpu);
});

function graph() {
  const g = new Graph();
  const t = g.asDefault(() => {
    const x = placeholder('float32', [3], { name: 'x' });
    const p = placeholder('bool', [], { name: 'p' });
    const y = cond(p, () => mul(x, 2), () => mul(x, -1));
    const [, z] = whileLoop((i) => less(i!, 3), (i, v) => [i!.add(1), v!.mul(2)], [scalar(0, 'int32'), sum(y)], { maximumIterations: 3 });
    const dz = gradients(z!, [x])[0]!;
    return { x, y, z: z!, dz, plain: mul(x, x) };
  });
  return { g, ...t };
}

describe('a session runs on any backend', () => {
  it('on a backend that only reads asynchronously, with runAsync', async () => {
    const backend = asyncOnlyBackend(await createCpuBackend());
    const { g, y, z, dz, plain } = graph();
    const s = new Session(g, { backend });
    const [yv, zv, dzv] = await s.runAsync([y, z, dz], { x: [1, 2, 3], p: true });
    expect(yv.backend).toBe(backend);
    expect(await yv.array()).toEqual([2, 4, 6]);
    expect(await zv.array()).toBe(96); // 12·2³
    expect(await dzv.array()).toEqual([16, 16, 16]); // d/dx of 2³·Σ2x
    const [yf] = await s.runAsync([y], { x: [1, 2, 3], p: false });
    expect(await yf.array()).toEqual([-1, -2, -3]);
    // a graph without control flow needs no reads: run() works there
    expect(await s.run(plain, { x: [1, 2, 3] }).array()).toEqual([1, 4, 9]);
    // control flow must read its predicate: run() says to use runAsync()
    expect(() => s.run(y, { x: [1, 2, 3], p: true })).toThrowError(BackendError);
    expect(() => s.run(y, { x: [1, 2, 3], p: true })).toThrowError(/runAsync/);
    // the current backend is restored
    expect(getBackend()).toBe(cpu);
    s.close();
  });

  it('feeds must live on the session backend', async () => {
    const other = await createCpuBackend();
    const { g, plain } = graph();
    const s = new Session(g, { backend: other });
    const onCpu = (await import('@tessera/core')).tensor([1, 2, 3]);
    expect(() => s.run(plain, { x: onCpu })).toThrowError(/lives on backend/);
    s.close();
  });
});
