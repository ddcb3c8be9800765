import type { Kernel } from '@tessera/core';
import type { CpuContext } from '../context.js';

/** Builds the conv kernels over a CPU context. @internal */
export function convKernels(ctx: CpuContext): Record<string, Kernel> {
  void ctx;
  return {};
}
