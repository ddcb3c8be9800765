import { afterAll } from 'vitest';
import { describeBackendConformance } from '@tessera/core/testing';
import { gradientConformanceCases } from '@tessera/autograd/testing';
import type { WebGpuBackend } from '../src/index.js';
import { createTestBackend } from './setup.js';

let backend: WebGpuBackend | undefined;

// The whole kit (every op family) plus the gradient checks of every differentiable op, on
// SwiftShader in Node. float64 cases are left out by the kit (the backend does not declare it).
describeBackendConformance('webgpu', async () => (backend = await createTestBackend()), {
  extraCases: gradientConformanceCases,
});

afterAll(() => backend?.dispose());
