/**
 * shape kernels (added as core defines the ops).
 *
 * @module
 */
import type { Kernel } from '@tessera/core';
import type { GpuContext } from '../backend.js';

/** Builds the shape kernels. @internal */
export function shapeKernels(ctx: GpuContext): Record<string, Kernel> {
  void ctx;
  return {};
}
