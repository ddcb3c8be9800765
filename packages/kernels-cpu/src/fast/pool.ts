/**
 * Fast paths for depthwise convolution and average pooling, over the TypeScript reference kernels.
 *
 * @module
 * @internal
 */
import type { Kernel } from '@tessera/core';
import type { CpuContext } from '../context.js';
import type { WasmRuntime } from '../wasm/runtime.js';

/** Builds the pooling and depthwise fast kernels; `reference` holds the kernels they fall back to. */
export function poolFastKernels(_ctx: CpuContext, _rt: WasmRuntime, _reference: Record<string, Kernel>): Record<string, Kernel> {
  return {};
}
