import { beforeAll, describe, expect, it } from 'vitest';
import {
  add,
  DTypeError,
  exp,
  getBackend,
  log,
  matmul,
  memory,
  mul,
  scalar,
  setBackend,
  ShapeError,
  sum,
  tensor,
  ValueError,
  type Backend,
  type Tensor,
} from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import {
  Graph,
  GraphError,
  MissingFeedError,
  Operation,
  placeholder,
  placeholderWithDefault,
  group,
  Session,
  SessionClosedError,
  SymbolicTensor,
} from '../src/index.js';
import { countingBackend, type CountingBackend } from './helpers.js';

let cpu: Backend;
beforeAll(async () => {
  cpu = await createCpuBackend();
  setBackend(cpu);
});

function simple() {
  const g = new Graph();
  const t = g.asDefault(() => {
    const x = placeholder('float32', [null, 2], { name: 'x' });
    const w = tensor([[1, 2], [3, 4]]);
    const y = matmul(x, w);
    const s = sum(y);
    return { x, y, s };
  });
  return { g, ...t };
}

describe('Session.run: fetches', () => {
  it('returns the structure of the fetches: tensor, array, object, op, name', () => {
    const { g, x, y, s } = simple();
    const noop = g.asDefault(() => group([y]));
    const sess = new Session(g);
    const feeds = { x: [[1, 1]] };
    // y = [1,1]·[[1,2],[3,4]] = [4, 6]; s = 10
    expect(sess.run(y, feeds).arraySync()).toEqual([[4, 6]]);
    const [a, b] = sess.run([y, s], feeds);
    expect(a.arraySync()).toEqual([[4, 6]]);
    expect(b.item()).toBe(10);
    const o = sess.run({ total: s, parts: [y, { again: s }], op: noop }, feeds);
    expect(o.total.item()).toBe(10);
    expect(o.parts[0].arraySync()).toEqual([[4, 6]]);
    expect(o.parts[1].again.item()).toBe(10);
    expect(o.op).toBeUndefined();
    expect(sess.run(noop, feeds)).toBeUndefined();
    expect(sess.run('x', feeds)?.arraySync()).toEqual([[1, 1]]);
    expect(x).toBeInstanceOf(SymbolicTensor);
    expect(noop).toBeInstanceOf(Operation);
    sess.close();
  });

  it('gives distinct handles on the session backend, owned by the caller', () => {
    const { g, y } = simple();
    const sess = new Session(g);
    const [a, b] = sess.run([y, y], { x: [[1, 0]] });
    expect(a).not.toBe(b);
    expect(a.backend).toBe(getBackend());
    a.dispose();
    expect(b.arraySync()).toEqual([[1, 2]]);
    b.dispose();
    sess.close();
  });

  it('unknown dimensions take the fed size, run after run', () => {
    const { g, y } = simple();
    const sess = new Session(g);
    expect(sess.run(y, { x: [[1, 0], [0, 1], [1, 1]] }).arraySync()).toEqual([[1, 2], [3, 4], [4, 6]]);
    expect(sess.run(y, { x: [[2, 0]] }).arraySync()).toEqual([[2, 4]]);
    expect((y as SymbolicTensor).partialShape).toEqual([null, 2]);
    expect(y.shape).toEqual([null, 2]);
    expect(Number.isNaN(y.size)).toBe(true);
    sess.close();
  });
});

describe('Session.run: feeds', () => {
  it('accepts a Map, pairs, or an object by name; tensors, numbers, nested and typed arrays', () => {
    const g = new Graph();
    const { a, b, c, r } = g.asDefault(() => {
      const a = placeholder('float32', [], { name: 'a' });
      const b = placeholder('float32', [null], { name: 'b' });
      const c = placeholder('int32', [2], { name: 'c' });
      return { a, b, c, r: add(mul(b, a), c) };
    });
    const sess = new Session(g);
    const expected = [2 * 3 + 10, 4 * 3 + 20];
    expect(sess.run(r, new Map<Tensor | string, number | number[] | Int32Array>([[a, 3], [b, [2, 4]], [c, new Int32Array([10, 20])]])).arraySync()).toEqual(expected);
    expect(sess.run(r, [[a, scalar(3)], ['b', new Float32Array([2, 4])], [c, [10, 20]]]).arraySync()).toEqual(expected);
    expect(sess.run(r, { a: 3, b: [2, 4], c: tensor([10, 20], [2], 'int32') }).arraySync()).toEqual(expected);
    sess.close();
  });

  it('placeholderWithDefault uses its default unless fed', () => {
    const g = new Graph();
    const { p, y } = g.asDefault(() => {
      const p = placeholderWithDefault(2, [], { name: 'p' });
      return { p, y: mul(p, 5) };
    });
    const sess = new Session(g);
    expect(sess.run(y).item()).toBe(10);
    expect(sess.run(y, { p: 3 }).item()).toBe(15);
    expect(sess.run(y, [[p, 4]]).item()).toBe(20);
    sess.close();
  });

  it('bool placeholders take booleans', () => {
    const g = new Graph();
    const { p, n } = g.asDefault(() => {
      const p = placeholder('bool', [3], { name: 'p' });
      return { p, n: sum(p) };
    });
    const sess = new Session(g);
    expect(sess.run(n, { p: [true, false, true] }).item()).toBe(2);
    expect(() => sess.run(n, { p: [1, 0, 1] })).toThrowError(DTypeError);
    expect(p.dtype).toBe('bool');
    sess.close();
  });

  it('feeding an intermediate tensor skips what computes it', async () => {
    const counting = countingBackend(await createCpuBackend());
    const g = new Graph();
    const { e, y } = g.asDefault(() => {
      const x = placeholder('float32', [2], { name: 'x' });
      const e = exp(x);
      return { e, y: add(e, 1) };
    });
    const sess = new Session(g, { backend: counting });
    counting.reset();
    expect(sess.run(y, [[e, [1, 2]]]).arraySync()).toEqual([2, 3]);
    expect(counting.calls.get('exp') ?? 0).toBe(0);
    sess.close();
  });
});

describe('Session.run: execution', () => {
  let counting: CountingBackend;
  beforeAll(async () => {
    counting = countingBackend(await createCpuBackend());
  });

  it('runs only the nodes the fetches need, each once', () => {
    const g = new Graph();
    const { a, b, z } = g.asDefault(() => {
      const x = placeholder('float32', [3], { name: 'x' });
      const a = exp(x);
      const b = log(x);
      return { a, b, z: add(a, a) };
    });
    const sess = new Session(g, { backend: counting });
    counting.reset();
    const [r1, r2, r3] = sess.run([a, z, a], { x: [0, 1, 2] });
    expect(counting.calls.get('exp')).toBe(1);
    expect(counting.calls.get('log') ?? 0).toBe(0);
    expect(r1.dataSync()[1]).toBeCloseTo(Math.E, 5);
    expect(r2.dataSync()[2]).toBeCloseTo(2 * Math.exp(2), 4);
    expect(r3).not.toBe(r1);
    counting.reset();
    sess.run(b, { x: [1, 2, 3] });
    expect(counting.calls.get('log')).toBe(1);
    expect(counting.calls.get('exp') ?? 0).toBe(0);
    sess.close();
  });

  it('caches one plan per (fetches, feeds) signature', () => {
    const { g, y, s } = simple();
    const sess = new Session(g);
    const plans = (sess as unknown as { plans: Map<string, unknown> }).plans;
    sess.run(y, { x: [[1, 2]] });
    sess.run(y, { x: [[3, 4], [5, 6]] });
    expect(plans.size).toBe(1);
    sess.run([y, s], { x: [[1, 2]] });
    expect(plans.size).toBe(2);
    sess.run(s, [[y, [[1, 2]]]]);
    expect(plans.size).toBe(3);
    sess.close();
    expect(plans.size).toBe(0);
  });

  it('frees intermediate buffers after their last consumer', () => {
    const g = new Graph();
    const out = g.asDefault(() => {
      let t: Tensor = placeholder('float32', [1000], { name: 'x' });
      for (let i = 0; i < 12; i++) t = mul(t, 1.0001);
      return t;
    });
    const sess = new Session(g, { backend: counting });
    sess.run(out, { x: new Float32Array(1000) }).dispose(); // caches the constant
    counting.reset();
    const base = counting.peakBuffers;
    sess.run(out, { x: new Float32Array(1000) }).dispose();
    expect(counting.calls.get('mul')).toBe(12);
    // the fed value, the value being consumed and the one being produced
    expect(counting.peakBuffers - base).toBeLessThanOrEqual(3);
    sess.close();
  });

  it('leaves memory flat across runs, and close() frees what the session holds', () => {
    const before = memory().numTensors;
    const { g, y, s } = simple();
    const sess = new Session(g);
    sess.run(y, { x: [[1, 2]] }).dispose();
    const mid = memory().numTensors;
    for (let i = 0; i < 20; i++) {
      const [a, b] = sess.run([y, s], { x: [[1, 2], [3, 4]] });
      a.dispose();
      b.dispose();
    }
    expect(memory().numTensors).toBe(mid);
    sess.close();
    expect(memory().numTensors).toBe(before);
    expect(sess.closed).toBe(true);
  });

  it('runAsync gives the same results', async () => {
    const { g, y } = simple();
    const sess = new Session(g);
    const r = await sess.runAsync([y], { x: [[1, 1]] });
    expect(await r[0].array()).toEqual([[4, 6]]);
    sess.close();
  });

  it('can run inside asDefault (the graph hook is suspended while it runs)', () => {
    const { g, y } = simple();
    const sess = new Session(g);
    const v = g.asDefault(() => sess.run(y, { x: [[0, 1]] }).arraySync());
    expect(v).toEqual([[3, 4]]);
    sess.close();
  });
});

describe('building', () => {
  it('raises shape errors when the node is built', () => {
    const g = new Graph();
    expect(() =>
      g.asDefault(() => matmul(placeholder('float32', [2, 3]), placeholder('float32', [4, 5]))),
    ).toThrowError(ShapeError);
    expect(() => g.asDefault(() => add(placeholder('float32', [null, 3]), placeholder('float32', [2, 4])))).toThrowError(ShapeError);
    // unknown dims are compatible with anything
    const ok = g.asDefault(() => add(placeholder('float32', [null, 3]), placeholder('float32', [2, null])));
    expect((ok as SymbolicTensor).partialShape).toEqual([2, 3]);
  });

  it('eager tensors used in a graph become constants', () => {
    const w = tensor([1, 2, 3]);
    const g = new Graph();
    const y = g.asDefault(() => mul(placeholder('float32', [3], { name: 'x' }), w));
    expect(y.isSymbolic).toBe(true);
    const sess = new Session(g);
    expect(sess.run(y, { x: [2, 2, 2] }).arraySync()).toEqual([2, 4, 6]);
    sess.close();
  });

  it('names nodes uniquely and finds them by name', () => {
    const g = new Graph();
    const [a, b] = g.asDefault(() => {
      const x = placeholder('float32', [], { name: 'x' });
      return [exp(x), exp(x)];
    });
    expect((a as SymbolicTensor).name).toBe('exp');
    expect((b as SymbolicTensor).name).toBe('exp_1');
    expect(g.get('exp_1')).toBe(b);
    expect(g.get('nope')).toBeUndefined();
  });
});

describe('bad input', () => {
  it('a missing feed names the placeholder', () => {
    const { g, y } = simple();
    const sess = new Session(g);
    expect(() => sess.run(y)).toThrowError(MissingFeedError);
    expect(() => sess.run(y)).toThrowError(/placeholder 'x'.*not fed/);
    try {
      sess.run(y);
    } catch (e) {
      expect((e as MissingFeedError).placeholder).toBe('x');
    }
    sess.close();
  });

  it('feeds of the wrong shape or dtype', () => {
    const { g, y } = simple();
    const sess = new Session(g);
    expect(() => sess.run(y, { x: [[1, 2, 3]] })).toThrowError(ShapeError);
    expect(() => sess.run(y, { x: [[1, 2, 3]] })).toThrowError(/shape \[1,3\].*\[\?,2\]/);
    expect(() => sess.run(y, { x: [1, 2] })).toThrowError(ShapeError);
    expect(() => sess.run(y, { x: 1 })).toThrowError(ShapeError);
    expect(() => sess.run(y, { x: new Int32Array([1, 2]) })).toThrowError(DTypeError);
    expect(() => sess.run(y, { x: tensor([[1, 2]], undefined, 'float64') })).toThrowError(DTypeError);
    expect(() => sess.run(y, { x: [[true, false]] })).toThrowError(DTypeError);
    expect(() => sess.run(y, { x: [[1, 2], [3]] })).toThrowError(ValueError);
    const gi = new Graph();
    const yi = gi.asDefault(() => mul(placeholder('int32', [2], { name: 'i' }), 2));
    const si = new Session(gi);
    expect(() => si.run(yi, { i: [1.5, 2] })).toThrowError(DTypeError);
    expect(si.run(yi, { i: [1, 2] }).arraySync()).toEqual([2, 4]);
    sess.close();
    si.close();
  });

  it('unknown feed names, feeding ops or variables', () => {
    const { g, y } = simple();
    const sess = new Session(g);
    expect(() => sess.run(y, { x: [[1, 2]], z: 3 })).toThrowError(GraphError);
    expect(() => sess.run(y, { z: 3 })).toThrowError(/no tensor of that name \(placeholders: x\)/);
    sess.close();
  });

  it('fetching a tensor of another graph, or an eager tensor', () => {
    const a = simple();
    const b = simple();
    const sess = new Session(a.g);
    expect(() => sess.run(b.y, { x: [[1, 2]] })).toThrowError(GraphError);
    expect(() => sess.run(b.y, { x: [[1, 2]] })).toThrowError(/another graph/);
    expect(() => sess.run(tensor([1]))).toThrowError(/eager tensor/);
    expect(() => sess.run([a.y, 'nope'], { x: [[1, 2]] })).toThrowError(/no tensor or variable named 'nope'/);
    sess.close();
  });

  it('mixing symbolic tensors of two graphs in one op', () => {
    const a = simple();
    const g2 = new Graph();
    expect(() => g2.asDefault(() => add(placeholder('float32', [1, 2]), a.y))).toThrowError(GraphError);
    expect(() => g2.asDefault(() => add(placeholder('float32', [1, 2]), a.y))).toThrowError(/belongs to another graph/);
    // and outside any graph
    expect(() => add(a.y, 1)).toThrowError(/symbolic graph tensor, but no graph is being built/);
  });

  it('running a closed session', () => {
    const { g, y } = simple();
    const sess = new Session(g);
    sess.close();
    expect(() => sess.run(y, { x: [[1, 2]] })).toThrowError(SessionClosedError);
    sess.close(); // idempotent
  });

  it('placeholder arguments', () => {
    const g = new Graph();
    expect(() => g.asDefault(() => placeholder('float16' as 'float32', [2]))).toThrowError();
    expect(() => g.asDefault(() => placeholder('float32', [-1]))).toThrowError(ValueError);
    expect(() => placeholder('float32', [2])).toThrowError(/no graph is being built/);
  });
});
