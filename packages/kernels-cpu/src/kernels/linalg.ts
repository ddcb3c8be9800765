import type { Kernel } from '@tessera/core';
import type { CpuContext } from '../context.js';

/** Builds the linalg kernels over a CPU context. @internal */
export function linalgKernels(ctx: CpuContext): Record<string, Kernel> {
  void ctx;
  return {};
}
