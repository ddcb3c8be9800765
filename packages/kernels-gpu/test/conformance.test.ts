import { afterAll } from 'vitest';
import { describeBackendConformance } from '@tessera/core/testing';
import type { WebGpuBackend } from '../src/index.js';
import { createTestBackend } from './setup.js';

let backend: WebGpuBackend | undefined;

describeBackendConformance('webgpu', async () => (backend = await createTestBackend()));

afterAll(() => backend?.dispose());
