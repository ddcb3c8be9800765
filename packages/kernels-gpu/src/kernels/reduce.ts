/**
 * reduce kernels (added as core defines the ops).
 *
 * @module
 */
import type { Kernel } from '@tessera/core';
import type { GpuContext } from '../backend.js';

/** Builds the reduce kernels. @internal */
export function reduceKernels(ctx: GpuContext): Record<string, Kernel> {
  void ctx;
  return {};
}
