import { beforeAll, describe, expect, it } from 'vitest';
import {
  add,
  DTypeError,
  equal,
  exp,
  greaterEqual,
  less,
  log,
  mod,
  mul,
  neg,
  notEqual,
  scalar,
  setBackend,
  ShapeError,
  tensor,
  variable,
  zeros,
  zerosLike,
  type Backend,
  type Tensor,
} from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import {
  cond,
  globalVariablesInitializer,
  gradients,
  Graph,
  GraphError,
  placeholder,
  Session,
  SymbolicTensor,
  whileLoop,
} from '../src/index.js';
import { countingBackend, type CountingBackend } from './helpers.js';

let cpu: Backend;
let counting: CountingBackend;
beforeAll(async () => {
  cpu = await createCpuBackend();
  setBackend(cpu);
  counting = countingBackend(await createCpuBackend());
});

describe('cond', () => {
  it('runs only the taken branch', () => {
    const g = new Graph();
    const { p, y } = g.asDefault(() => {
      const p = placeholder('bool', [], { name: 'p' });
      const x = placeholder('float32', [2], { name: 'x' });
      return { p, y: cond(p, () => exp(x), () => log(x)) };
    });
    const s = new Session(g, { backend: counting });
    counting.reset();
    const a = s.run(y, { p: true, x: [0, 1] }).dataSync();
    expect(counting.calls.get('exp')).toBe(1);
    expect(counting.calls.get('log') ?? 0).toBe(0);
    expect(a[0]).toBeCloseTo(1, 6);
    expect(a[1]).toBeCloseTo(Math.E, 5);
    counting.reset();
    const b = s.run(y, [[p, false], ['x', [1, Math.E]]]).dataSync();
    expect(counting.calls.get('exp') ?? 0).toBe(0);
    expect(counting.calls.get('log')).toBe(1);
    expect(b[1]).toBeCloseTo(1, 5);
    s.close();
  });

  it('ops built outside the branch functions always run (the TF surprise)', () => {
    const g = new Graph();
    const y = g.asDefault(() => {
      const p = placeholder('bool', [], { name: 'p' });
      const x = placeholder('float32', [2], { name: 'x' });
      const e = exp(x); // built before cond: runs whatever p is
      return cond(p, () => e, () => zeros([2]));
    });
    const s = new Session(g, { backend: counting });
    counting.reset();
    expect(s.run(y, { p: false, x: [0, 0] }).arraySync()).toEqual([0, 0]);
    expect(counting.calls.get('exp')).toBe(1);
    s.close();
  });

  it('returns the branches\' structure; shapes that differ become unknown', () => {
    const g = new Graph();
    const { r, z } = g.asDefault(() => {
      const p = placeholder('bool', [1, 1], { name: 'p' });
      const x = placeholder('float32', [2], { name: 'x' });
      const r = cond(
        p,
        () => ({ a: x, b: [mul(x, 2), 1] }),
        () => ({ a: neg(x), b: [zerosLike(x), 2] }),
      );
      const z = cond(p, () => tensor([1, 2]), () => tensor([1, 2, 3]));
      return { r, z };
    });
    expect((z as SymbolicTensor).partialShape).toEqual([null]);
    const s = new Session(g);
    const out = s.run(r, { p: [[true]], x: [1, 2] });
    expect(out.a.arraySync()).toEqual([1, 2]);
    expect(out.b[0]!.arraySync()).toEqual([2, 4]);
    expect(out.b[1]!.item()).toBe(1);
    const out2 = s.run([r, z], { p: [[false]], x: [1, 2] });
    expect(out2[0].a.arraySync()).toEqual([-1, -2]);
    expect(out2[0].b[1]!.item()).toBe(2);
    expect(out2[1].arraySync()).toEqual([1, 2, 3]);
    s.close();
  });

  it('assignments inside a branch run only when it is taken', () => {
    const g = new Graph();
    const { p, v, c } = g.asDefault(() => {
      const p = placeholder('bool', [], { name: 'p' });
      const v = variable(0, { name: 'v' });
      const c = cond(
        p,
        () => {
          v.assign(1);
        },
        () => {
          v.assign(2);
        },
      );
      return { p, v, c };
    });
    const s = new Session(g);
    s.run(globalVariablesInitializer(g));
    expect(s.run(c!, [[p, true]])).toBeUndefined();
    expect(s.run(v).item()).toBe(1);
    s.run(c!, [[p, false]]);
    expect(s.run(v).item()).toBe(2);
    s.close();
  });

  it('gradients flow through the taken branch only', () => {
    const g = new Graph();
    const { dx } = g.asDefault(() => {
      const p = placeholder('bool', [], { name: 'p' });
      const x = placeholder('float32', [], { name: 'x' });
      const y = cond(p, () => mul(x, x), () => mul(x, 3));
      return { dx: gradients(y, [x])[0]! };
    });
    const s = new Session(g, { backend: counting });
    expect(s.run(dx, { p: true, x: 5 }).item()).toBe(10);
    expect(s.run(dx, { p: false, x: 5 }).item()).toBe(3);
    s.close();
  });

  it('seed 001: the gradient of trueRelu is 1 at [[5]] and 0 at [[-5]]', () => {
    const g = new Graph();
    const { r, d } = g.asDefault(() => {
      const x = placeholder('float64', [1, 1], { name: 'x' });
      const r = cond(greaterEqual(x, 0).all(), () => x, () => zeros([1, 1], 'float64'));
      return { r, d: gradients(r, [x])[0]! };
    });
    const s = new Session(g);
    const [r5, d5] = s.run([r, d], { x: [[5]] });
    const [rm5, dm5] = s.run([r, d], { x: [[-5]] });
    expect(r5.arraySync()).toEqual([[5]]);
    expect(d5.arraySync()).toEqual([[1]]);
    expect(rm5.arraySync()).toEqual([[0]]);
    expect(dm5.arraySync()).toEqual([[0]]);
    s.close();
  });

  it('gradients through nested conds and with respect to variables used in a branch', () => {
    const g = new Graph();
    const { dx, dw } = g.asDefault(() => {
      const p1 = placeholder('bool', [], { name: 'p1' });
      const p2 = placeholder('bool', [], { name: 'p2' });
      const x = placeholder('float32', [], { name: 'x' });
      const w = variable(2, { name: 'w' });
      const y = cond(
        p1,
        () => cond(p2, () => mul(mul(x, x), w), () => x),
        () => neg(mul(x, w)),
      );
      const [dx, dw] = gradients(y, [x, w]);
      return { dx: dx!, dw: dw! };
    });
    const s = new Session(g);
    s.run(globalVariablesInitializer(g));
    const at = (p1: boolean, p2: boolean) => s.run([dx, dw], { p1, p2, x: 3 }).map((t) => t.item());
    expect(at(true, true)).toEqual([12, 9]); // y = w x²: dx = 2wx, dw = x²
    expect(at(true, false)).toEqual([1, 0]); // y = x
    expect(at(false, true)).toEqual([-2, -3]); // y = -wx
    s.close();
  });

  it('eagerly (no graph) it just calls the chosen function', () => {
    expect(cond(scalar(true), () => 1, () => 2).item()).toBe(1);
    expect(cond(tensor([[false]]), () => 1, () => 2).item()).toBe(2);
    expect(cond(true, () => ({ k: tensor([3]) }), () => ({ k: tensor([4]) })).k.arraySync()).toEqual([3]);
    expect(() => cond(tensor([1, 2]).greater(0), () => 1, () => 2)).toThrowError(ShapeError);
  });

  it('branches that disagree, and bad predicates', () => {
    const g = new Graph();
    g.asDefault(() => {
      const p = placeholder('bool', [], { name: 'p' });
      const x = placeholder('float32', [2], { name: 'x' });
      expect(() => cond(p, () => x, () => [x, x] as unknown as Tensor)).toThrowError(GraphError);
      expect(() => cond(p, () => x, () => [x, x] as unknown as Tensor)).toThrowError(/true branch gives a tensor, the false branch an array of 2/);
      expect(() => cond<Record<string, Tensor>>(p, () => ({ a: x }), () => ({ b: x }))).toThrowError(/different structures/);
      expect(() => cond(p, () => [x, x], () => [x])).toThrowError(GraphError);
      expect(() => cond(p, () => x, () => tensor([1, 2], [2], 'int32'))).toThrowError(DTypeError);
      expect(() => cond(p, () => x, () => tensor([[1, 2]]))).toThrowError(ShapeError);
      expect(() => cond(x, () => x, () => x)).toThrowError(/pred must be a bool tensor/);
      expect(() => cond(less(x, 0), () => x, () => x)).toThrowError(/exactly one element/);
      expect(() => cond(p, () => x, () => 'text' as unknown as Tensor)).toThrowError(/returned string/);
    });
  });

  it('a tensor created inside a branch cannot be used outside it', () => {
    const g = new Graph();
    let inner: Tensor | undefined;
    g.asDefault(() => {
      const p = placeholder('bool', [], { name: 'p' });
      const x = placeholder('float32', [], { name: 'x' });
      cond(p, () => (inner = exp(x)), () => x);
      expect(() => add(inner!, 1)).toThrowError(/created inside the true branch of cond 'cond'/);
    });
    const s = new Session(g);
    expect(() => s.run(inner!)).toThrowError(GraphError);
    s.close();
  });
});

describe('whileLoop', () => {
  it('repeats the body while the condition holds', () => {
    const g = new Graph();
    const [i, y] = g.asDefault(() => {
      const x = placeholder('float32', [], { name: 'x' });
      return whileLoop((i, v) => less(v!, 100), (i, v) => [i!.add(1), v!.mul(2)], [scalar(0, 'int32'), x]);
    });
    const s = new Session(g);
    const [n, v] = s.run([i!, y!], { x: 3 });
    expect(n.item()).toBe(6); // 3·2⁶ = 192
    expect(v.item()).toBe(192);
    expect(s.run(y!, { x: 200 }).item()).toBe(200); // zero iterations
    s.close();
  });

  it('maximumIterations stops the loop', () => {
    const g = new Graph();
    const [y] = g.asDefault(() => {
      const x = placeholder('float32', [], { name: 'x' });
      return whileLoop(() => tensor(true), (v) => v!.add(1), [x], { maximumIterations: 7 });
    });
    const s = new Session(g);
    expect(s.run(y!, { x: 1 }).item()).toBe(8);
    s.close();
  });

  it('a cond inside the body: Collatz steps from 6', () => {
    const g = new Graph();
    const [steps] = g.asDefault(() => {
      const x = placeholder('float32', [], { name: 'x' });
      return whileLoop(
        (n, v) => notEqual(v!, 1),
        (n, v) => [n!.add(1), cond(equal(mod(v!, 2), 0), () => v!.div(2), () => v!.mul(3).add(1))],
        [scalar(0, 'int32'), x],
        { maximumIterations: 1000 },
      );
    });
    const s = new Session(g);
    expect(s.run(steps!, { x: 6 }).item()).toBe(8); // 6 3 10 5 16 8 4 2 1
    expect(s.run(steps!, { x: 7 }).item()).toBe(16);
    s.close();
  });

  it('gradients with maximumIterations: to the initial values and to tensors the body uses', () => {
    const g = new Graph();
    const { dx, dw, y } = g.asDefault(() => {
      const x = placeholder('float32', [], { name: 'x' });
      const w = placeholder('float32', [], { name: 'w' });
      const [, y] = whileLoop((i) => less(i!, 3), (i, v) => [i!.add(1), v!.mul(w)], [scalar(0, 'int32'), x], { maximumIterations: 10 });
      const [dx, dw] = gradients(y!, [x, w]);
      return { dx: dx!, dw: dw!, y: y! };
    });
    const s = new Session(g);
    // y = x·w³: dy/dx = w³, dy/dw = 3xw²
    const [yv, a, b] = s.run([y, dx, dw], { x: 2, w: 3 });
    expect(yv.item()).toBe(54);
    expect(a.item()).toBe(27);
    expect(b.item()).toBe(54);
    s.close();
  });

  it('gradients through a cond inside a loop body', () => {
    const g = new Graph();
    const dx = g.asDefault(() => {
      const x = placeholder('float32', [], { name: 'x' });
      const [, y] = whileLoop(
        (i) => less(i!, 5),
        (i, v) => [i!.add(1), cond(less(v!, 10), () => v!.mul(2), () => v!.add(1))],
        [scalar(0, 'int32'), x],
        { maximumIterations: 5 },
      );
      return gradients(y!, [x])[0]!;
    });
    const s = new Session(g);
    // from 3: 6, 12, 13, 14, 15 → dy/dx = 2·2·1·1·1
    expect(s.run(dx, { x: 3 }).item()).toBe(4);
    // from 0.5: 1, 2, 4, 8, 16 → 2⁵
    expect(s.run(dx, { x: 0.5 }).item()).toBe(32);
    s.close();
  });

  it('gradients need maximumIterations', () => {
    const g = new Graph();
    g.asDefault(() => {
      const x = placeholder('float32', [], { name: 'x' });
      const [y] = whileLoop((v) => less(v!, 10), (v) => v!.mul(2), [x]);
      expect(() => gradients(y!, [x])).toThrowError(/has no maximumIterations; gradients through a loop need it/);
    });
  });

  it('bad loops', () => {
    const g = new Graph();
    g.asDefault(() => {
      const x = placeholder('float32', [2], { name: 'x' });
      expect(() => whileLoop(() => tensor(true), (v) => v!.sum(), [x])).toThrowError(ShapeError);
      expect(() => whileLoop(() => tensor(true), (v) => v!.cast('int32'), [x])).toThrowError(DTypeError);
      expect(() => whileLoop(() => tensor(true), (v) => [v!, v!], [x])).toThrowError(/returned 2 values for 1 loop variables/);
      expect(() => whileLoop(() => x, (v) => v!, [x])).toThrowError(DTypeError);
      expect(() => whileLoop(() => less(x, 0), (v) => v!, [x])).toThrowError(ShapeError);
      expect(() => whileLoop(() => tensor(true), (v) => v!, [])).toThrowError(/non-empty/);
      expect(() => whileLoop(() => tensor(true), (v) => v!, [x], { maximumIterations: -1 })).toThrowError(/maximumIterations/);
      const [ok] = whileLoop(() => tensor(true), (v) => v!, [x], { shapeInvariants: [[null]], maximumIterations: 1 });
      expect((ok as SymbolicTensor).partialShape).toEqual([null]);
    });
  });

  it('eagerly (no graph) it is a plain loop', () => {
    const [i, v] = whileLoop((i) => less(i!, 4), (i, v) => [i!.add(1), v!.mul(3)], [scalar(0, 'int32'), scalar(1)]);
    expect(i!.item()).toBe(4);
    expect(v!.item()).toBe(81);
  });
});
