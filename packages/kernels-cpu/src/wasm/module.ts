/**
 * Assembles the kernel module from the kernel emitters. The bytes are built at run time (once
 * per feature set) from the TypeScript source of the kernels.
 *
 * @module
 * @internal
 */
import { ModuleBuilder } from './emitter.js';
import { emitGemm } from './gemm.js';
import { emitElementwise } from './eltwise.js';
import { emitPooling, POOL_EXPORTS } from './pool.js';
import { emitOptimizers, OPTIM_EXPORTS } from './optim.js';

/** Options of {@link buildKernelModule}. */
export interface ModuleOptions {
  /** Import a shared memory. */
  readonly shared: boolean;
  /** Use relaxed-SIMD fused multiply-add. */
  readonly relaxed: boolean;
  /** Maximum pages of the imported memory. */
  readonly maxPages: number;
}

/**
 * Names of the functions a worker can run, in a fixed order (a call names its function by its
 * index here). Every one has the signature `(args, chunk, tid)`.
 */
export const KERNEL_EXPORTS: readonly string[] = [
  'gemm_chunk',
  'gemm_packB_chunk',
  'ew_binary',
  'ew_unary',
  'ew_reduce_rows',
  'ew_softmax_rows',
  'ew_adam',
  'gemm_reduce_partials',
  'ew_compare',
  'ew_where',
  'ew_axpy',
  'ew_reduce_cols',
  'ew_maxpool',
  ...POOL_EXPORTS,
  ...OPTIM_EXPORTS,
];

/** Builds the kernel module's bytes. */
export function buildKernelModule(o: ModuleOptions): Uint8Array {
  const mb = new ModuleBuilder({ initial: 64, maximum: o.maxPages, shared: o.shared });
  emitGemm(mb, o.relaxed);
  emitElementwise(mb, o.relaxed);
  emitPooling(mb, o.relaxed);
  emitOptimizers(mb, o.relaxed);
  return mb.build();
}
