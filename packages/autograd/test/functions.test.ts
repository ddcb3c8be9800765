import { beforeAll, describe, expect, it } from 'vitest';
import {
  DTypeError,
  exp,
  memory,
  scalar,
  setBackend,
  sigmoid,
  tanh,
  tensor,
  tidy,
  ValueError,
  variable,
  zeros,
  type Tensor,
} from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import {
  grad,
  gradientsFunction,
  implicitGradients,
  implicitValueAndGradients,
  valueAndGrad,
  valueAndGradientsFunction,
  valueAndVariableGradients,
} from '../src/index.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

const num = (t: Tensor | null): number => {
  if (t === null) throw new Error('expected a tensor, got null');
  return Number(t.dataSync()[0]);
};

describe('seed examples', () => {
  it('gradientsFunction((x, y) => x² + y³)(1, 2) → [2, 12]', () => {
    const g = gradientsFunction((x, y) => x.square().add(y!.pow(3)));
    const [dx, dy] = g(1, 2);
    expect(num(dx!)).toBeCloseTo(2, 6);
    expect(num(dy!)).toBeCloseTo(12, 5);
    expect(dx!.dtype).toBe('float32');
    expect(dx!.shape).toEqual([]);
  });

  it('gradientsFunction(x => x*x + 2x + 4)(2) → [6]; valueAndGradientsFunction → (12, [6])', () => {
    const f = (x: Tensor): Tensor => x.mul(x).add(x.mul(2)).add(4);
    const [dx] = gradientsFunction(f)(2);
    expect(num(dx!)).toBe(6);
    const [value, [dv]] = valueAndGradientsFunction(f)(2);
    expect(num(value)).toBe(12);
    expect(num(dv!)).toBe(6);
  });

  it('implicitGradients / implicitValueAndGradients with variables x, y', () => {
    const x = variable(1, { name: 'x' });
    const y = variable(1, { name: 'y' });
    const f = (a: Tensor): Tensor => x.add(a.mul(2).mul(x).mul(y));
    const pairs = implicitGradients(f)(5);
    expect(pairs).toHaveLength(2);
    expect(pairs[0]![1]).toBe(x);
    expect(pairs[1]![1]).toBe(y);
    expect(num(pairs[0]![0])).toBe(11);
    expect(num(pairs[1]![0])).toBe(10);
    const [value, pairs2] = implicitValueAndGradients(f)(5);
    expect(num(value)).toBe(11);
    expect(pairs2.map(([g, v]) => [num(g), v.name])).toEqual([
      [11, 'x'],
      [10, 'y'],
    ]);
    x.dispose();
    y.dispose();
  });

  it('relu1 written with a plain if: values and gradients through the branch that ran', () => {
    const relu1 = (x: Tensor): Tensor => {
      if (+x >= 0) return x;
      return zeros(x.shape);
    };
    expect(relu1(tensor([[-5]])).arraySync()).toEqual([[0]]);
    expect(relu1(tensor([[5]])).arraySync()).toEqual([[5]]);
    const [gPos] = gradientsFunction(relu1)([[5]]);
    expect(gPos!.arraySync()).toEqual([[1]]);
    // zeros(x.shape) does not depend on x: the gradient is null (TensorFlow's None) ...
    const [gNeg] = gradientsFunction(relu1)([[-5]]);
    expect(gNeg).toBeNull();
    // ... or zeros on request
    const [gNegZero] = gradientsFunction(relu1, { unconnectedGradients: 'zero' })([[-5]]);
    expect(gNegZero!.arraySync()).toEqual([[0]]);
  });

  it('second derivatives of tanh, exp and sigmoid match their closed forms', () => {
    const d2tanh = grad(grad((x) => tanh(x)));
    const d2exp = grad(grad((x) => exp(x)));
    const d2sig = grad(grad((x) => sigmoid(x)));
    for (const p of [-2, -0.5, 0, 0.3, 1.7]) {
      const t = Math.tanh(p);
      const s = 1 / (1 + Math.exp(-p));
      const x = tensor(p, undefined, 'float64');
      expect(num(d2tanh(x))).toBeCloseTo(-2 * t * (1 - t * t), 12);
      expect(num(d2exp(x))).toBeCloseTo(Math.exp(p), 12);
      expect(num(d2sig(x))).toBeCloseTo(s * (1 - s) * (1 - 2 * s), 12);
      x.dispose();
    }
    // third derivative of tanh: -2 (1 - t²)(1 - 3t²)
    const d3tanh = grad(grad(grad((x) => tanh(x))));
    const t = Math.tanh(0.4);
    expect(num(d3tanh(tensor(0.4, undefined, 'float64')))).toBeCloseTo(-2 * (1 - t * t) * (1 - 3 * t * t), 11);
  });
});

describe('valueAndVariableGradients', () => {
  it('uses the trainable variables f read, in first-use order', () => {
    const a = variable(2, { name: 'a' });
    const b = variable(3, { name: 'b' });
    const frozen = variable(4, { name: 'frozen', trainable: false });
    const { value, grads } = valueAndVariableGradients(() => b.mul(b).add(a.mul(frozen)));
    expect(num(value)).toBe(9 + 8);
    expect(grads.map(([, v]) => v)).toEqual([b, a]);
    expect(num(grads[0]![0])).toBe(6);
    expect(num(grads[1]![0])).toBe(4);
    for (const v of [a, b, frozen]) v.dispose();
  });

  it('with a varList: exactly those, in that order, null when unconnected', () => {
    const a = variable(2, { name: 'a' });
    const b = variable(3, { name: 'b' });
    const c = variable(5, { name: 'c' });
    const frozen = variable(4, { name: 'frozen', trainable: false });
    const { grads } = valueAndVariableGradients(() => a.mul(frozen).mul(b), [frozen, c, a]);
    expect(grads.map(([, v]) => v)).toEqual([frozen, c, a]);
    expect(num(grads[0]![0])).toBe(6);
    expect(grads[1]![0]).toBeNull();
    expect(num(grads[2]![0])).toBe(12);
    for (const v of [a, b, c, frozen]) v.dispose();
  });

  it('non-scalar results get an all-ones seed', () => {
    const w = variable([1, 2, 3]);
    const { value, grads } = valueAndVariableGradients(() => w.mul(w));
    expect(Array.from(value.dataSync())).toEqual([1, 4, 9]);
    expect(Array.from(grads[0]![0]!.dataSync())).toEqual([2, 4, 6]);
    w.dispose();
  });

  it('rejects non-tensor and non-float results and bad varLists', () => {
    const w = variable(1);
    expect(() => valueAndVariableGradients(() => 3 as unknown as Tensor)).toThrow(ValueError);
    expect(() => valueAndVariableGradients(() => 3 as unknown as Tensor)).toThrow(/must return a tensor.*number/);
    expect(() => valueAndVariableGradients(() => w.greater(0))).toThrow(DTypeError);
    expect(() => valueAndVariableGradients(() => w.mul(2), [w.mul(1) as never])).toThrow(/not a Variable/);
    const iv = variable(1, { dtype: 'int32' });
    expect(() => valueAndVariableGradients(() => w.mul(2), [iv])).toThrow(DTypeError);
    w.dispose();
    iv.dispose();
  });

  it('frees everything but the value and the gradients', () => {
    const w = variable([1, 2, 3]);
    const before = memory().numTensors;
    tidy(() => {
      valueAndVariableGradients(() => w.mul(w).exp().mul(w));
    });
    expect(memory().numTensors).toBe(before);
    const r = valueAndVariableGradients(() => w.mul(w).exp().mul(w).tanh());
    expect(memory().numTensors).toBe(before + 2);
    r.value.dispose();
    r.grads[0]![0]!.dispose();
    expect(memory().numTensors).toBe(before);
    w.dispose();
  });
});

describe('memory over a training loop', () => {
  it('100 gradient steps leave the tensor count unchanged', () => {
    const w = variable([[0.1, -0.2], [0.3, 0.05]], { name: 'w' });
    const b = variable([0, 0], { name: 'b' });
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    const y = tensor([[1, 0], [0, 1], [1, 1]]);
    const loss = (): Tensor => x.matmul(w).add(b).sigmoid().sub(y).square().mean();
    const before = memory().numTensors;
    let first = 0;
    let last = 0;
    for (let step = 0; step < 100; step++) {
      tidy(() => {
        const { value, grads } = valueAndVariableGradients(loss);
        if (step === 0) first = num(value);
        last = num(value);
        for (const [g, v] of grads) v.assignSub(g!.mul(0.5));
      });
      expect(memory().numTensors).toBe(before);
    }
    expect(last).toBeLessThan(first);
    for (const t of [w, b, x, y]) t.dispose();
  });

  it('implicitGradients throws when f used no trainable variable', () => {
    expect(() => implicitGradients((a) => a.mul(2))(1)).toThrow(/used no trainable variables/);
  });
});

describe('grad and valueAndGrad', () => {
  it('grad(f)(x) and valueAndGrad', () => {
    expect(num(grad((x) => x.square())(3))).toBe(6);
    const { value, grad: g } = valueAndGrad((x) => x.mul(x).mul(x))(2);
    expect(num(value)).toBe(8);
    expect(num(g)).toBe(12);
    // unconnected: zeros, so grad composes
    expect(num(grad(() => scalar(3))(1))).toBe(0);
    expect(num(grad(grad((x) => x.mul(2)))(1))).toBe(0);
  });
});
