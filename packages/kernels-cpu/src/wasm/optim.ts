/**
 * WebAssembly kernels for the fused optimizer updates other than SGD and Adam (float32).
 *
 * @module
 * @internal
 */
import type { ModuleBuilder } from './emitter.js';

/** The worker-callable functions this file emits, in the order they are emitted. */
export const OPTIM_EXPORTS: readonly string[] = [];

/** Emits the optimizer-update kernels. */
export function emitOptimizers(_mb: ModuleBuilder, _fma: boolean): void {}
