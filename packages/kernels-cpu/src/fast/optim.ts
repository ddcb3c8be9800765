/**
 * Fast paths for the fused momentum, RMSProp and Adagrad updates.
 *
 * @module
 * @internal
 */
import type { Kernel } from '@tessera/core';
import type { CpuContext } from '../context.js';
import type { WasmRuntime } from '../wasm/runtime.js';

/** Builds the optimizer-update fast kernels; `reference` holds the kernels they fall back to. */
export function optimFastKernels(_ctx: CpuContext, _rt: WasmRuntime, _reference: Record<string, Kernel>): Record<string, Kernel> {
  return {};
}
