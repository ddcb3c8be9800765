import { beforeAll, describe, expect, it } from 'vitest';
import {
  DTypeError,
  exp,
  matmul,
  memory,
  ShapeError,
  setBackend,
  sigmoid,
  sin,
  sum,
  tanh,
  tensor,
  tidy,
  ValueError,
  variable,
  type Tensor,
} from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { GradientTape, gradientsFunction, grad } from '../src/index.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

const values = (t: Tensor | null): number[] => {
  if (t === null) throw new Error('expected a tensor, got null');
  return Array.from(t.dataSync());
};

describe('GradientTape', () => {
  it('computes gradients of watched tensors', () => {
    const x = tensor([1, 2, 3]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = sum(x.mul(x).mul(x));
    const dx = tape.gradient(y, x);
    expect(values(dx)).toEqual([3, 12, 27]);
    expect(tape.isRecording).toBe(false);
  });

  it('works with `using` and frees what it saved', () => {
    const x = tensor([0.5, -1]);
    const before = memory().numTensors;
    tidy(() => {
      using tape = new GradientTape({ persistent: true });
      tape.watch(x);
      const y = exp(x).mul(sin(x));
      tape.gradient(y, x);
      tape.gradient(y, [x]);
    });
    expect(memory().numTensors).toBe(before);
  });

  it('sums the gradients of several targets and accepts output gradients', () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape();
    tape.watch(x);
    const a = x.mul(3); // da/dx = 3
    const b = x.square(); // db/dx = 2x
    const [dx] = tape.gradient([a, b], [x], [tensor([1, 10]), tensor([2, 0.5])]);
    expect(values(dx!)).toEqual([3 * 1 + 2 * 1 * 2, 3 * 10 + 2 * 2 * 0.5]);
  });

  it('seeds a non-scalar target with ones', () => {
    const x = tensor([[1, 2], [3, 4]]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = matmul(x, tensor([[1], [-1]]));
    expect(values(tape.gradient(y, x))).toEqual([1, -1, 1, -1]);
  });

  it('gives null for an unconnected source, or zeros on request', () => {
    const x = tensor([1, 2]);
    const z = tensor([5]);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x, z);
    const y = x.mul(2);
    expect(tape.gradient(y, z)).toBeNull();
    expect(values(tape.gradient(y, [z], undefined, { unconnectedGradients: 'zero' })[0]!)).toEqual([0]);
    tape.dispose();
  });

  it('watches trainable variables it sees read, unless told not to', () => {
    const w = variable([1, 2], { name: 'w' });
    const frozen = variable([3, 4], { name: 'frozen', trainable: false });
    const tape = new GradientTape({ persistent: true });
    const y = sum(w.mul(frozen));
    expect(tape.watchedVariables()).toEqual([w]);
    expect(values(tape.gradient(y, w))).toEqual([3, 4]);
    expect(tape.gradient(y, frozen)).toBeNull();
    tape.dispose();

    const manual = new GradientTape({ watchAccessedVariables: false });
    const y2 = sum(w.mul(frozen));
    expect(manual.gradient(y2, w)).toBeNull();
    w.dispose();
    frozen.dispose();
  });

  it('uses the value a variable had when the op ran, even after assign', () => {
    const w = variable(3);
    const tape = new GradientTape();
    const y = w.mul(w).mul(w); // dy/dw = 3 w² = 27
    w.assign(100);
    expect(values(tape.gradient(y, w))).toEqual([27]);
    w.dispose();
  });

  it('a non-persistent tape computes once; a persistent one many times', () => {
    const x = tensor(2);
    const once = new GradientTape();
    once.watch(x);
    const y = x.square();
    once.gradient(y, x);
    expect(() => once.gradient(y, x)).toThrow(/only once/);

    const many = new GradientTape({ persistent: true });
    many.watch(x);
    const y2 = x.square();
    const z2 = y2.mul(y2);
    expect(values(many.gradient(y2, x))).toEqual([4]);
    expect(values(many.gradient(z2, x))).toEqual([4 * 8]);
    expect(values(many.gradient(z2, y2))).toEqual([8]);
    many.dispose();
    expect(() => many.gradient(z2, x)).toThrow(/disposed/);
  });

  it('nested tapes give higher-order gradients', () => {
    const x = tensor(0.7, undefined, 'float64');
    const outer = new GradientTape();
    outer.watch(x);
    const inner = new GradientTape();
    inner.watch(x);
    const y = tanh(x);
    const dy = inner.gradient(y, x)!;
    const d2y = outer.gradient(dy, x)!;
    const t = Math.tanh(0.7);
    expect(values(dy)[0]).toBeCloseTo(1 - t * t, 12);
    expect(values(d2y)[0]).toBeCloseTo(-2 * t * (1 - t * t), 12);
  });

  it('a persistent tape does not record its own gradient computation; an outer one does', () => {
    const x = tensor(1.5, undefined, 'float64');
    const outer = new GradientTape();
    outer.watch(x);
    const inner = new GradientTape({ persistent: true });
    inner.watch(x);
    const y = x.mul(x).mul(x);
    const dy = inner.gradient(y, x)!; // 3x²
    expect(inner.gradient(dy, x)).toBeNull(); // not recorded on inner
    expect(values(outer.gradient(dy, x))[0]).toBeCloseTo(6 * 1.5, 12);
    inner.dispose();
  });

  it('stopRecording hides ops from this tape', () => {
    const x = tensor(2);
    const tape = new GradientTape();
    tape.watch(x);
    const c = tape.stopRecording(() => x.mul(5));
    const y = c.mul(x);
    expect(values(tape.gradient(y, x))).toEqual([10]);
  });

  it('reset forgets what was recorded', () => {
    const x = tensor(2);
    const tape = new GradientTape();
    tape.watch(x);
    x.square();
    tape.reset();
    tape.watch(x);
    const y = x.mul(3);
    expect(values(tape.gradient(y, x))).toEqual([3]);
  });

  it('grad(grad(sigmoid)) leaves no tensors behind', () => {
    const before = memory().numTensors;
    tidy(() => {
      grad(grad((x) => sigmoid(x)))(0.3);
      gradientsFunction((a, b) => a.mul(b).exp().sum())([1, 2], [3, 4]);
    });
    expect(memory().numTensors).toBe(before);
    const d = grad(grad((x) => sigmoid(x)))(0.3);
    expect(memory().numTensors).toBe(before + 1);
    d.dispose();
  });

  it('rejects bad arguments with clear errors', () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y = x.square();
    expect(() => tape.watch(3 as unknown as Tensor)).toThrow(ValueError);
    expect(() => tape.watch(tensor([1], undefined, 'int32'))).toThrow(DTypeError);
    expect(() => tape.gradient(y, 'x' as unknown as Tensor)).toThrow(/sources must be a tensor/);
    expect(() => tape.gradient(y, [x, 1 as unknown as Tensor])).toThrow(/source 1 is a number/);
    expect(() => tape.gradient(7 as unknown as Tensor, x)).toThrow(/target must be a tensor/);
    expect(() => tape.gradient(y.greater(1), x)).toThrow(DTypeError);
    expect(() => tape.gradient(y, x, tensor([1, 2, 3]))).toThrow(ShapeError);
    expect(() => tape.gradient(y, x, tensor([1, 2, 3]))).toThrow(/output gradient 0 has shape \[3\].*target 0 has shape \[2\]/);
    expect(() => tape.gradient(y, x, [tensor([1, 2]), tensor([1, 2])])).toThrow(/2 output gradients for 1 targets/);
    expect(() => tape.gradient(y, x, tensor([1, 2], undefined, 'float64'))).toThrow(DTypeError);
    tape.dispose();
  });
});
