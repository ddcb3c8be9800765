import type { Kernel } from '@tessera/core';
import type { CpuContext } from '../context.js';

/** Builds the reduce kernels over a CPU context. @internal */
export function reduceKernels(ctx: CpuContext): Record<string, Kernel> {
  void ctx;
  return {};
}
