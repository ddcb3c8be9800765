import { memory, setBackend } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainLinear } from '../src/linear-model.js';

describe('main example: linear model', () => {
  beforeAll(async () => {
    setBackend(await createCpuBackend());
  });

  it('loss falls and the true weights are recovered', () => {
    const before = memory().numTensors;
    const { losses, w, b } = trainLinear(150);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! / 100);
    for (let i = 1; i < losses.length; i++) expect(losses[i]!).toBeLessThanOrEqual(losses[i - 1]! * 1.0001);
    expect(w[0]!).toBeCloseTo(2, 1);
    expect(w[1]!).toBeCloseTo(-3, 1);
    expect(w[2]!).toBeCloseTo(0.5, 1);
    expect(b).toBeCloseTo(1, 1);
    expect(memory().numTensors).toBe(before);
  });

  it('is deterministic for a seed', () => {
    expect(trainLinear(5).losses).toEqual(trainLinear(5).losses);
  });
});
