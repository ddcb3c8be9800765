import { beforeAll, describe, expect, it } from 'vitest';
import { greaterEqual, setBackend, mul, variable, zeros, UnsupportedError, type Tensor } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { Graph, placeholder, cond, Session } from '../src/index.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

describe('seed 001: relu in a graph', () => {
  const trueRelu = (x: Tensor): Tensor => {
    const c = greaterEqual(x, 0);
    const z = zeros([...x.shape], 'float64');
    return cond(c.all(), () => x, () => z);
  };

  it('trueRelu with cond on [1,1] placeholders gives [[5]] and [[0]]', () => {
    const g2 = new Graph();
    const { x1, x2, result1, result2 } = g2.asDefault(() => {
      const x1 = placeholder('float64', [1, 1]);
      const x2 = placeholder('float64', [1, 1]);
      return { x1, x2, result1: trueRelu(x1), result2: trueRelu(x2) };
    });
    const sess = new Session(g2);
    const [r1, r2] = sess.run([result1, result2], new Map([[x1, [[5.0]]], [x2, [[-5.0]]]]));
    expect(r1.arraySync()).toEqual([[5]]);
    expect(Math.abs((r2.arraySync() as number[][])[0]![0]!)).toBe(0);
    expect(r1.dtype).toBe('float64');
    sess.close();
  });

  it('x2 * relu(x2) with a plain if throws the helpful error while building', () => {
    const relu = (x: Tensor): Tensor => {
      // @ts-expect-error -- comparing a tensor with a number, as the seed does
      if (x >= 0) return x;
      return zeros([...x.shape], 'float64');
    };
    const g = new Graph();
    expect(() =>
      g.asDefault(() => {
        const x2 = placeholder('float64', [1, 1]);
        return mul(x2, relu(x2));
      }),
    ).toThrowError(UnsupportedError);
    const helpful = /not known while the graph is being built.*Use cond\(pred, trueFn, falseFn\).*whileLoop\(/s;
    expect(() => g.asDefault(() => relu(placeholder('float64', [1, 1])))).toThrowError(helpful);
    // the other ways of using a value: +x, `${x}`, a variable in a comparison
    g.asDefault(() => {
      const x = placeholder('float64', [1, 1]);
      expect(() => +x).toThrowError(helpful);
      expect(() => `${x}`).toThrowError(helpful);
      const w = variable(1, { name: 'w' });
      // @ts-expect-error -- comparing a variable with a number
      expect(() => w > 0).toThrowError(helpful);
      expect(x.toString()).toMatch(/SymbolicTensor\('Placeholder_\d+', shape=\[1,1\], dtype=float64\)/);
    });
  });
});
