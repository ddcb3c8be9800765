import { beforeAll, describe, expect, it } from 'vitest';
import { cos, gather, memory, mul, setBackend, sin, tensor, ValueError } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { checkGradients, GradientCheckError, grad, registerGradient } from '../src/index.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

describe('checkGradients', () => {
  it('passes for correct rules, in float64 by default', async () => {
    const inputs = [tensor([1, 2]), tensor([0.5, -1])];
    const before = memory().numTensors;
    const report = await checkGradients((a, b) => sin(a.mul(b!)), inputs);
    expect(report.ok).toBe(true);
    expect(report.dtype).toBe('float64');
    expect(report.inputs).toHaveLength(2);
    // d/da sum(w sin(ab)) = w b cos(ab)
    const w = report.weights[1]!;
    expect(report.inputs[0]!.analytic[1]).toBeCloseTo(w * -1 * Math.cos(-2), 10);
    expect(report.inputs[0]!.numeric[1]).toBeCloseTo(w * -1 * Math.cos(-2), 7);
    expect(memory().numTensors).toBe(before);
  });

  it('checks second-order gradients through a nested gradient', async () => {
    const report = await checkGradients((x) => grad((u) => sin(u).mul(u))(x), [tensor([0.3, 1.1, -2])]);
    expect(report.ok).toBe(true);
  });

  it('finds a wrong rule and names the input and element', async () => {
    const restore = registerGradient('cos', { saveInputs: true, grad: ([dy], s) => [() => mul(dy!, sin(s.input(0)))] }); // sign error
    try {
      await expect(checkGradients((x) => cos(x), [tensor([0.5, 1])])).rejects.toThrow(GradientCheckError);
      await expect(checkGradients((x) => cos(x), [tensor([0.5, 1])])).rejects.toThrow(
        /input 0 \(shape \[2\]\) element \d \(value [\d.]+\): analytic gradient [-\d.e]+, finite differences [-\d.e]+/,
      );
      const report = await checkGradients((x) => cos(x), [tensor([0.5, 1])], { throwOnFailure: false });
      expect(report.ok).toBe(false);
      expect(report.maxError).toBeGreaterThan(1);
      expect(report.message).toMatch(/disagree/);
    } finally {
      restore();
    }
  });

  it('runs in float32 on request, with looser tolerances', async () => {
    const report = await checkGradients((x) => x.exp().mul(x), [tensor([0.2, -0.7])], { dtype: 'float32' });
    expect(report.ok).toBe(true);
    expect(report.dtype).toBe('float32');
  });

  it('leaves integer inputs unchecked', async () => {
    const report = await checkGradients((x, i) => gather(x, i!).square(), [tensor([1, 2, 3]), tensor([2, 0], undefined, 'int32')]);
    expect(report.inputs[1]!.checked).toBe(false);
    const [w0, w1] = report.weights;
    const a = report.inputs[0]!.analytic;
    expect(a[0]).toBeCloseTo(2 * w1!, 12);
    expect(a[1]).toBe(0);
    expect(a[2]).toBeCloseTo(6 * w0!, 12);
  });

  it('rejects bad arguments', async () => {
    await expect(checkGradients(5 as never, [])).rejects.toThrow(ValueError);
    await expect(checkGradients((x) => 3 as never, [tensor([1])])).rejects.toThrow(/must return a tensor/);
    await expect(checkGradients((x) => x, [tensor([1])], { eps: 0 })).rejects.toThrow(/eps must be positive/);
  });
});
