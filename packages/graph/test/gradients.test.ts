import { beforeAll, describe, expect, it } from 'vitest';
import { add, exp, matmul, mean, mul, setBackend, sin, square, sum, tensor, variable, DTypeError, ShapeError } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { sgdUpdate } from '@tessera/optim';
import { gradients as autogradGradients } from '@tessera/autograd';
import {
  controlDependencies,
  globalVariablesInitializer,
  gradients,
  Graph,
  GraphError,
  placeholder,
  Session,
} from '../src/index.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

describe('gradients(ys, xs, gradYs)', () => {
  it('seed: d/dx (x² + 2x + 4) at 2 is 6; d/dx, d/dy of x² + y³ at (1, 2) are 2 and 12', () => {
    const g = new Graph();
    const { dx, d2 } = g.asDefault(() => {
      const x = placeholder('float32', [], { name: 'x' });
      const y = placeholder('float32', [], { name: 'y' });
      const f = add(add(mul(x, x), mul(x, 2)), 4);
      const dx = gradients(f, [x])[0]!;
      const d2 = gradients(add(square(x), y.pow(3)), [x, y]);
      return { dx, d2 };
    });
    const s = new Session(g);
    expect(s.run(dx, { x: 2 }).item()).toBe(6);
    expect(s.run(d2 as [typeof dx, typeof dx], { x: 1, y: 2 }).map((t) => t.item())).toEqual([2, 12]);
    s.close();
  });

  it("autograd's gradients() builds the same nodes through the graph hook", () => {
    const g = new Graph();
    const { a, b } = g.asDefault(() => {
      const x = placeholder('float32', [2], { name: 'x' });
      const y = sum(mul(exp(x), x));
      return { a: gradients(y, [x])[0]!, b: autogradGradients(y, [x])[0]! };
    });
    const s = new Session(g);
    const [va, vb] = s.run([a, b], { x: [0, 1] });
    // d/dx (x eˣ) = (1 + x) eˣ
    expect(va.dataSync()[1]).toBeCloseTo(2 * Math.E, 5);
    expect(vb.arraySync()).toEqual(va.arraySync());
    s.close();
  });

  it('gradYs seeds the output gradient; several ys are summed', () => {
    const g = new Graph();
    const { seeded, both } = g.asDefault(() => {
      const x = placeholder('float32', [3], { name: 'x' });
      const gy = placeholder('float32', [3], { name: 'gy' });
      const y = mul(x, x);
      const seeded = gradients(y, [x], gy)[0]!;
      const both = gradients([y, sin(x)], [x], [null, tensor([1, 1, 1])])[0]!;
      return { seeded, both };
    });
    const s = new Session(g);
    // d(x²)/dx · gy = 2x·gy
    expect(s.run(seeded, { x: [1, 2, 3], gy: [1, 10, 100] }).arraySync()).toEqual([2, 40, 600]);
    const b = s.run(both, { x: [0, 1, 2] }).dataSync();
    [0, 1, 2].forEach((v, i) => expect(b[i]!).toBeCloseTo(2 * v + Math.cos(v), 5));
    s.close();
  });

  it('unconnected xs get null (or zeros on request)', () => {
    const g = new Graph();
    g.asDefault(() => {
      const x = placeholder('float32', [2], { name: 'x' });
      const z = placeholder('float32', [2], { name: 'z' });
      const w = variable(tensor([1, 2]), { name: 'w' });
      const y = sum(exp(x));
      const [dx, dz, dw] = gradients(y, [x, z, w]);
      expect(dx).not.toBeNull();
      expect(dz).toBeNull();
      expect(dw).toBeNull();
      const [, zz, zw] = gradients(y, [x, z, w], undefined, { unconnectedGradients: 'zero' });
      expect(zz!.shape).toEqual([2]);
      expect(zw!.shape).toEqual([2]);
    });
  });

  it('with respect to a variable read several times: the gradients add up', () => {
    const g = new Graph();
    const { dw } = g.asDefault(() => {
      const x = placeholder('float32', [1, 2], { name: 'x' });
      const w = variable(tensor([[1], [2]]), { name: 'w' });
      const a = matmul(x, w);
      w.assign(tensor([[3], [4]])); // a later read sees a new value
      const b = matmul(x, w);
      return { dw: gradients(add(a, b), [w])[0]! };
    });
    const s = new Session(g);
    s.run(globalVariablesInitializer(g));
    // d(x·w + x·w')/dw summed over both reads = 2xᵀ
    expect(s.run(dw, { x: [[5, 7]] }).arraySync()).toEqual([[10], [14]]);
    s.close();
  });

  it('composite ops without a rule are differentiated through their composition', () => {
    const g = new Graph();
    const { d } = g.asDefault(() => {
      const x = placeholder('float32', [2], { name: 'x' });
      const gr = placeholder('float32', [2], { name: 'g' });
      const y = sum(sgdUpdate(x, gr, 0.5)); // x - 0.5·g
      return { d: gradients(y, [x, gr]) };
    });
    const s = new Session(g);
    const [dx, dg] = s.run(d as [never, never], { x: [1, 2], g: [3, 4] });
    expect((dx as unknown as { arraySync(): unknown }).arraySync()).toEqual([1, 1]);
    expect((dg as unknown as { arraySync(): unknown }).arraySync()).toEqual([-0.5, -0.5]);
    s.close();
  });

  it('works with an unknown batch dimension', () => {
    const g = new Graph();
    const dw = g.asDefault(() => {
      const x = placeholder('float32', [null, 2], { name: 'x' });
      const w = variable(tensor([[1], [1]]), { name: 'w' });
      return gradients(mean(square(matmul(x, w))), [w])[0]!;
    });
    const s = new Session(g);
    s.run(globalVariablesInitializer(g));
    // (2/N)·Σ (x_i·w) x_i
    expect(s.run(dw, { x: [[1, 2], [3, 4]] }).arraySync()).toEqual([[24], [34]]);
    expect(s.run(dw, { x: [[1, 2]] }).arraySync()).toEqual([[6], [12]]);
    s.close();
  });

  it('bad arguments', () => {
    const eager = tensor([1, 2]);
    const g = new Graph();
    g.asDefault(() => {
      const x = placeholder('float32', [2], { name: 'x' });
      const y = mul(x, 2);
      expect(() => gradients(y, [x], tensor([1, 2, 3]))).toThrowError(ShapeError);
      expect(() => gradients(y, [x], [tensor([1, 2]), tensor([1, 2])])).toThrowError(/gradYs/);
      expect(() => gradients(y.cast('int32'), [x])).toThrowError(DTypeError);
      expect(() => gradients(y, [eager])).toThrowError(/eager tensor/);
    });
    expect(() => gradients(tensor([1]), [tensor([1])])).toThrowError(GraphError);
  });
});

describe('controlDependencies', () => {
  it('orders ops after their dependencies', () => {
    const g = new Graph();
    const { v, after } = g.asDefault(() => {
      const v = variable(1, { name: 'v' });
      const inc = v.assignAdd(1);
      const after = controlDependencies([inc], () => mul(v, 10));
      return { v, after };
    });
    const s = new Session(g);
    s.run(globalVariablesInitializer(g));
    expect(s.run(after).item()).toBe(20);
    expect(s.run(v).item()).toBe(2);
    s.close();
  });
});
