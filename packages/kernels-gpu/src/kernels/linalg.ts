/**
 * linalg kernels (added as core defines the ops).
 *
 * @module
 */
import type { Kernel } from '@tessera/core';
import type { GpuContext } from '../backend.js';

/** Builds the linalg kernels. @internal */
export function linalgKernels(ctx: GpuContext): Record<string, Kernel> {
  void ctx;
  return {};
}
