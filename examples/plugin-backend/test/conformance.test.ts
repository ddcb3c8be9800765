/**
 * The whole conformance kit of `@tessera/core/testing` (every op: values against float64
 * references, broadcasting, empty and size-1 dimensions, every declared dtype, NaN/Inf, bad
 * input, leaks), plus autograd's gradient cases (first and second order, against finite
 * differences), run on this backend.
 */
import { requiredKernels } from '@tessera/core';
import { describeBackendConformance } from '@tessera/core/testing';
import { gradientConformanceCases } from '@tessera/autograd/testing';
import { describe, expect, it } from 'vitest';
import { createLoopBackend, LoopBackend } from '../src/index.js';

describe('kernel table', () => {
  it('has a kernel for every primitive op core requires', () => {
    const backend = new LoopBackend();
    const missing = requiredKernels().filter((name) => backend.kernels[name] === undefined);
    expect(missing).toEqual([]);
  });
});

describeBackendConformance('loops', () => createLoopBackend(), { extraCases: gradientConformanceCases });

