/**
 * conv kernels (added as core defines the ops).
 *
 * @module
 */
import type { Kernel } from '@tessera/core';
import type { GpuContext } from '../backend.js';

/** Builds the conv kernels. @internal */
export function convKernels(ctx: GpuContext): Record<string, Kernel> {
  void ctx;
  return {};
}
