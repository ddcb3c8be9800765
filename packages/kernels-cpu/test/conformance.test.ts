import { describeBackendConformance } from '@tessera/core/testing';
import { CpuBackend, createCpuBackend } from '../src/index.js';
import { acquireRuntime } from '../src/wasm/runtime.js';

// The WebAssembly kernels on the calling thread only, then spread over two threads.
describeBackendConformance('cpu (threads: 1)', () => createCpuBackend({ threads: 1 }));
describeBackendConformance('cpu (threads: 2)', () => createCpuBackend({ threads: 2 }));

// Without SharedArrayBuffer (a page that is not cross-origin isolated): tensors are plain typed
// arrays and matmul / conv2d copy their operands into the WebAssembly memory and back.
describeBackendConformance('cpu (no shared memory)', async () => new CpuBackend({ name: 'cpu-unshared' }, await acquireRuntime({ threads: 1, sharedMemory: false }), 1), {
  skip: (c) => !['matmul', 'conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter', 'conv2dTranspose'].includes(c.op),
});
