/**
 * `@tessera/kernels-cpu`: the CPU backend of Tessera. It implements every primitive op, runs the
 * hot float32 kernels (matmul, conv2d and its gradients, elementwise ops, reductions, softmax,
 * optimizer updates) in WebAssembly SIMD spread over worker threads, and reads synchronously.
 *
 * ```ts
 * import { setBackend, tensor } from '@tessera/core';
 * import { createCpuBackend } from '@tessera/kernels-cpu';
 * setBackend(await createCpuBackend());
 * tensor([1, 2, 3]).mul(2).dataSync(); // Float32Array [2, 4, 6]
 * ```
 *
 * @packageDocumentation
 */
export { CpuBackend, createCpuBackend, type CpuBackendInfo, type CpuBackendOptions } from './backend.js';
