import { describeBackendConformance } from '@tessera/core/testing';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { gradientConformanceCases } from '../src/testing/index.js';

const mine = new Set(gradientConformanceCases);

// Only the gradient cases: core's own cases run in kernels-cpu's suite.
describeBackendConformance('cpu (gradients)', () => createCpuBackend(), {
  extraCases: gradientConformanceCases,
  skip: (c) => !mine.has(c),
});
