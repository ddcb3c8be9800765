/**
 * Gradients of ops whose rule needs an input's shape (slicing, padding, tiling, gathering,
 * concatenation) in graphs with an unknown batch dimension: the same values as eager gradients,
 * for different batch sizes fed to one graph, at second order, and after a JSON round trip.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import * as T from '@tessera/core';
import { Graph, Session, SymbolicTensor, placeholder, gradients } from '../src/index.js';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { grad } from '@tessera/autograd';
beforeAll(async () => T.setBackend(await createCpuBackend({ threads: 1 })));
const cases: [string, (x: T.Tensor) => T.Tensor][] = [
  ['tile', (x) => T.tile(x, [2, 1])],
  ['pad', (x) => T.pad(x, [[1, 0], [0, 2]])],
  ['stridedSlice', (x) => T.stridedSlice(x, [0, 0], [4, 3], [2, 1])],
  ['slice', (x) => T.slice(x, [0, 1], [-1, 2])],
  ['gather0', (x) => T.gather(x, T.tensor([0, 1], [2], 'int32'), 0)],
  ['gather1', (x) => T.gather(x, T.tensor([0, 2], [2], 'int32'), 1)],
  ['concat', (x) => T.concat([x, x], 0)],
  ['split', (x) => T.split(x, 3, 1)[1]!],
  ['reverse', (x) => T.reverse(x, [0])],
  ['mean', (x) => T.mean(x, 0)],
  ['broadcastTo', (x) => T.broadcastTo(T.sum(x, 0, true), [5, 3])],
  ['cumsum', (x) => T.cumsum(x, 0)],
  ['softmax', (x) => T.softmax(x)],
  ['transpose', (x) => T.transpose(x)],
  ['reshape', (x) => T.reshape(x, [-1])],
  ['max', (x) => T.max(x, 0)],
  ['unstack', (x) => T.unstack(x, 1)[0]!],
  ['stack', (x) => T.stack([x, x], 1)],
  ['expandDims', (x) => T.expandDims(x, 0)],
  ['squeeze', (x) => T.squeeze(T.expandDims(x, 0), [0])],
  ['oneHot', (x) => T.mul(x, T.sum(T.oneHot(T.tensor([0, 1, 2], [3], 'int32'), 3), 0))],
  ['unsortedSegmentSum', (x) => T.unsortedSegmentSum(T.transpose(x), T.tensor([0, 1, 0], [3], 'int32'), 2)],
];
const input = (rows: number): T.Tensor => T.tensor(Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(i * 0.7) * 2), [rows, 3]);
const values = (t: T.Tensor | undefined): number[] => Array.from(t!.dataSync());

function build(f: (x: T.Tensor) => T.Tensor) {
  const g = new Graph();
  const { x, dx } = g.asDefault(() => {
    const x = placeholder('float32', [null, 3], { name: 'x' });
    const y = T.sum(T.square(f(x)));
    return { x, dx: gradients([y], [x])[0]! };
  });
  return { g, x, dx };
}

describe('gradients with an unknown batch dimension', () => {
  for (const [name, f] of cases) {
    it(`${name}: equal to the eager gradient for batches of 4 and 5`, () => {
      const { g, x, dx } = build(f);
      const s = new Session(g);
      for (const rows of [4, 5]) {
        const xv = input(rows);
        const [got] = s.run([dx], new Map([[x, xv]]));
        const want = grad((z: T.Tensor) => T.sum(T.square(f(z))))(xv);
        expect(got!.shape).toEqual([rows, 3]);
        expect(values(got)).toEqual(values(want));
        for (const t of [got!, want, xv]) t.dispose();
      }
      s.close();
    });
  }

  it('second order: the gradient of a gradient through slice, concat, tile and gather', () => {
    const f = (x: T.Tensor): T.Tensor => {
      const a = T.slice(x, [1, 0], [-1, 2]);
      const b = T.concat([a, T.square(a)], 0);
      const c = T.tile(b, [1, 2]);
      return T.gather(T.mul(c, c), T.tensor([0, 2], [2], 'int32'), 0);
    };
    const g = new Graph();
    const { x, ddx } = g.asDefault(() => {
      const x = placeholder('float32', [null, 3], { name: 'x' });
      const dx = gradients([T.sum(T.mul(f(x), f(x)))], [x])[0]!;
      // the gradient of sum(dx * w) with respect to x: a Hessian-vector product
      const w = T.tensor([0.5, -1, 2]);
      return { x, ddx: gradients([T.sum(T.mul(dx, w))], [x])[0]! };
    });
    const s = new Session(g);
    const xv = input(4);
    const [got] = s.run([ddx], new Map([[x, xv]]));
    const inner = grad((z: T.Tensor) => T.sum(T.mul(f(z), f(z))));
    const want = grad((z: T.Tensor) => T.sum(T.mul(inner(z), T.tensor([0.5, -1, 2]))))(xv);
    expect(got!.shape).toEqual([4, 3]);
    const gv = values(got);
    values(want).forEach((v, i) => expect(gv[i]).toBeCloseTo(v, 3));
    s.close();
  });

  it('a saved graph with such gradients loads and runs', () => {
    const { g, dx } = build((x) => T.concat([T.slice(x, [1, 0], [-1, -1]), T.pad(x, [[0, 2], [0, 0]])], 0));
    const text = JSON.stringify(g.toJSON());
    expect(text).toContain('shapeDependentGradient');
    const copy = Graph.fromJSON(JSON.parse(text));
    const s = new Session(copy);
    const xv = input(3);
    const [got] = s.run([copy.get((dx as SymbolicTensor).name) as SymbolicTensor], { x: xv });
    const s0 = new Session(g);
    const [want] = s0.run([dx], { x: xv });
    expect(values(got)).toEqual(values(want));
    s.close();
    s0.close();
  });
});
