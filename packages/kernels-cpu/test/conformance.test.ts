import { describeBackendConformance } from '@tessera/core/testing';
import { createCpuBackend } from '../src/index.js';

// The WebAssembly kernels on the calling thread only, then spread over two threads.
describeBackendConformance('cpu (threads: 1)', () => createCpuBackend({ threads: 1 }));
describeBackendConformance('cpu (threads: 2)', () => createCpuBackend({ threads: 2 }));
