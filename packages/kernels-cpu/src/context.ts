/**
 * Storage of the CPU backend and the helpers its kernels share.
 *
 * @module
 */
import { makeTypedArray, type DataId, type DType, type OutputSpec, type TypedArray } from '@tessera/core';

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
}

/** Allocates a typed array of a dtype (re-exported for kernel modules). @internal */
export function typedArray(dtype: DType, n: number): TypedArray {
  return makeTypedArray(dtype, n);
}
