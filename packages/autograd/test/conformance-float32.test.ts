import type { Backend } from '@tessera/core';
import { describeBackendConformance } from '@tessera/core/testing';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { gradientConformanceCases } from '../src/testing/index.js';

/**
 * The CPU backend declaring only float32, int32 and bool: the gradient cases then run in
 * float32 with looser tolerances, as they would on a GPU backend without float64.
 */
async function createFloat32OnlyBackend(): Promise<Backend> {
  const inner = await createCpuBackend();
  return {
    specificationVersion: 1,
    name: 'cpu-float32-only',
    capabilities: { ...inner.capabilities, dtypes: ['float32', 'int32', 'bool'] },
    kernels: inner.kernels,
    write: (values, shape, dtype) => inner.write(values, shape, dtype),
    read: (id) => inner.read(id),
    readSync: (id) => inner.readSync!(id),
    disposeData: (id) => inner.disposeData(id),
    memory: () => inner.memory(),
    dispose: () => inner.dispose(),
  };
}

const mine = new Set(gradientConformanceCases);

describeBackendConformance('cpu, float32 only (gradients)', createFloat32OnlyBackend, {
  extraCases: gradientConformanceCases,
  skip: (c) => !mine.has(c),
});
