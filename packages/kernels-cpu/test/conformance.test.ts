import { describeBackendConformance } from '@tessera/core/testing';
import { createCpuBackend } from '../src/index.js';

describeBackendConformance('cpu', () => createCpuBackend());
