/**
 * `@tessera/core`: tensors, dtypes, broadcasting, the op set, variables, initializers, memory
 * scopes and the pluggable kernel-backend interface.
 *
 * Core runs no math itself: pick a backend and set it first.
 *
 * ```ts
 * import { setBackend, tensor } from '@tessera/core';
 * import { createCpuBackend } from '@tessera/kernels-cpu';
 *
 * setBackend(await createCpuBackend());
 * const x = tensor([[1, 2], [3, 4]]);
 * console.log(x.matmul(x).toString());
 * ```
 *
 * @packageDocumentation
 */
export * from './errors.js';
export * from './dtype.js';
export * from './shape.js';
export type * from './backend.js';
export * from './op.js';
export {
  setBackend,
  getBackend,
  addOpListener,
  withoutRecording,
  setGraphHook,
  activeGraphHook,
  runOp,
  setKernelLeakCheck,
  memory,
  toBackend,
  type OpRecord,
  type OpListener,
  type GraphHook,
  type MemoryInfo,
} from './engine.js';
export { Tensor, type TensorLike } from './tensor.js';
export type { NestedArray } from './format.js';
export * from './memory.js';
export * from './random.js';
export * from './variable.js';
export * from './initializers.js';
export * from './ops/creation.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export * from './ops/linalg.js';
export * from './ops/conv.js';
export * from './ops/shape.js';
export * from './ops/nn.js';
export * from './io/safetensors.js';
