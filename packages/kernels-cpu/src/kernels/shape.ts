import type { Kernel } from '@tessera/core';
import type { CpuContext } from '../context.js';

/** Builds the shape kernels over a CPU context. @internal */
export function shapeKernels(ctx: CpuContext): Record<string, Kernel> {
  void ctx;
  return {};
}
