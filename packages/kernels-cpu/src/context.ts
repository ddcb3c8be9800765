/**
 * Storage of the CPU backend and the helpers its kernels share.
 *
 * @module
 */
import { makeTypedArray, type DataId, type DType, type OutputSpec, type TypedArray } from '@tessera/core';
import type { WasmRuntime } from './wasm/runtime.js';

/**
 * What a CPU kernel module gets: buffer access and allocation.
 * @internal
 */
export interface CpuContext {
  /** The typed array behind a buffer (not a copy: never mutate an input). */
  get(dataId: DataId): TypedArray;
  /** Allocates an output buffer for a spec; returns its handle and its (zeroed) array. */
  alloc(spec: OutputSpec): [DataId, TypedArray];
  /** Stores an array the kernel built itself. */
  store(values: TypedArray): DataId;
  /** The WebAssembly runtime, or null where the kernels run in TypeScript only. */
  readonly rt: WasmRuntime | null;
  /** Threads a kernel may use (1: the calling thread only). */
  readonly threads: number;
  /** Byte offset of a buffer in the WebAssembly heap, or -1 when it lives outside it. */
  addr(dataId: DataId): number;
  /**
   * Allocates an output buffer without clearing it (its contents are unspecified); returns its
   * handle, its array and its heap byte offset (-1 when outside the heap, where it is zeroed).
   */
  allocRaw(spec: OutputSpec): [DataId, TypedArray, number];
  /** Frees a buffer the kernel allocated but does not return. */
  release(dataId: DataId): void;
}

/** Allocates a typed array of a dtype (re-exported for kernel modules). @internal */
export function typedArray(dtype: DType, n: number): TypedArray {
  return makeTypedArray(dtype, n);
}
