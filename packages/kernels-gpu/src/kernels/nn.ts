/**
 * nn kernels (added as core defines the ops).
 *
 * @module
 */
import type { Kernel } from '@tessera/core';
import type { GpuContext } from '../backend.js';

/** Builds the nn kernels. @internal */
export function nnKernels(ctx: GpuContext): Record<string, Kernel> {
  void ctx;
  return {};
}
