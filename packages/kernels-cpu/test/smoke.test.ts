import { describe, expect, it } from 'vitest';
import { add, exp, memory, setBackend, tensor, tidy, variable, getVariable, sum, reshape, relu, where, greaterEqual, zeros, scalar, truncatedNormalInitializer } from '@tessera/core';
import { createCpuBackend } from '../src/index.js';

describe('smoke', () => {
  it('runs', async () => {
    setBackend(await createCpuBackend());
    const x = tensor([[1, 2], [3, 4]]);
    const y = x.mul(x).add(x.mul(2)).add(4);
    expect(Array.from(y.dataSync())).toEqual([7, 12, 19, 28]);
    console.log(y.toString());
    console.log(add(tensor([[1], [2]]), tensor([10, 20])).toString());
    console.log(exp(x).toString(), relu(tensor([-1, 0, 2, NaN])).toString());
    const before = memory().numTensors;
    tidy(() => { x.add(1).mul(3); });
    expect(memory().numTensors).toBe(before);
    const v = variable(1, { name: 'x' });
    v.assign(3);
    expect(v.item()).toBe(3);
    const s = scalar(-5);
    expect(+s >= 0).toBe(false);
    console.log(reshape(tensor([1,2,3,4,5,6]), [2,-1]).toString(), v.toString());
    const k = getVariable('conv_w0', { shape: [5, 5, 3, 20], initializer: truncatedNormalInitializer() });
    expect(k.shape).toEqual([5,5,3,20]);
    console.log(where(greaterEqual(tensor([1,-1]), 0), tensor([1,2]), zeros([2])).toString());
  });
});
