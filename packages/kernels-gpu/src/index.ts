/// <reference types="@webgpu/types" />
/**
 * `@tessera/kernels-gpu`: the WebGPU backend of Tessera. Every primitive op is a WGSL compute
 * shader; shapes travel as uniforms so one compiled pipeline serves every shape; dispatches
 * are batched into few submits; buffers come from a size-class pool. Reads are asynchronous.
 *
 * ```ts
 * import { setBackend, tensor } from '@tessera/core';
 * import { createWebGpuBackend } from '@tessera/kernels-gpu';
 *
 * setBackend(await createWebGpuBackend());
 * console.log(await tensor([1, 2, 3]).mul(2).data()); // Float32Array [2, 4, 6]
 * ```
 *
 * @packageDocumentation
 */
export {
  WebGpuBackend,
  createWebGpuBackend,
  type WebGpuBackendOptions,
  type CustomProgramCall,
  type CustomProgram,
  type WebGpuStats,
} from './backend.js';
export type { GpuSelection } from './gpu.js';
