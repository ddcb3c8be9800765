/**
 * `@tessera-example/plugin-backend`: a complete minimal third-party backend for Tessera. Every
 * primitive op is a plain loop over typed arrays; it depends on nothing but `@tessera/core`'s
 * public API and passes the whole conformance kit.
 *
 * ```ts
 * import { setBackend, tensor } from '@tessera/core';
 * import { createLoopBackend } from '@tessera-example/plugin-backend';
 *
 * setBackend(await createLoopBackend());
 * tensor([[1, 2], [3, 4]]).matmul([[1], [1]]).dataSync(); // Float32Array [3, 7]
 * ```
 *
 * @packageDocumentation
 */
export { LoopBackend, createLoopBackend, type LoopBackendOptions } from './backend.js';
export { alloc, broadcastOffsets, type Buffers } from './kernels/util.js';
