/**
 * Operands of a fast kernel in the WebAssembly heap, and the fallback to the reference kernel
 * when a fast path cannot run.
 *
 * @module
 * @internal
 */
import type { DataId, Kernel, KernelArgs, OutputSpec, TensorInfo, TypedArray } from '@tessera/core';
import type { CpuContext } from '../context.js';
import type { WasmRuntime } from '../wasm/runtime.js';

/**
 * Operands in the heap for one fast call: inputs outside it (small tensors, or every tensor
 * without shared memory) are copied in, and an output outside it is computed in a temporary
 * block and copied out by {@link Staging.finish}.
 * @internal
 */
export class Staging {
  private readonly temps: number[] = [];
  private readonly outCopies: { off: number; arr: TypedArray }[] = [];
  failed = false;

  constructor(
    private readonly ctx: CpuContext,
    readonly rt: WasmRuntime,
  ) {}

  /** Heap offset of an input, copying it in if needed (-1 and `failed` when out of memory). */
  input(info: TensorInfo): number {
    const off = this.ctx.addr(info.dataId);
    if (off >= 0) return off;
    const arr = this.ctx.get(info.dataId);
    const o = this.rt.alloc(Math.max(arr.byteLength, 16));
    if (o < 0) {
      this.failed = true;
      return -1;
    }
    this.temps.push(o);
    new Uint8Array(this.rt.buffer, o, arr.byteLength).set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    return o;
  }

  /** A temporary heap block freed by {@link Staging.finish} (-1 when out of memory). */
  temp(bytes: number): number {
    const o = this.rt.alloc(Math.max(bytes, 16));
    if (o >= 0) this.temps.push(o);
    return o;
  }

  /** Allocates the output (uninitialized); returns its id and heap offset. */
  output(spec: OutputSpec): [DataId, number] {
    const [id, arr, off] = this.ctx.allocRaw(spec);
    if (off >= 0) return [id, off];
    const o = this.rt.alloc(Math.max(arr.byteLength, 16));
    if (o < 0) {
      this.failed = true;
      return [id, -1];
    }
    this.temps.push(o);
    this.outCopies.push({ off: o, arr });
    return [id, o];
  }

  /** Copies staged outputs back and frees temporaries. */
  finish(): void {
    if (!this.failed) {
      for (const oc of this.outCopies) {
        const a = oc.arr;
        new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(new Uint8Array(this.rt.buffer, oc.off, a.byteLength));
      }
    }
    for (const t of this.temps) this.rt.free(t);
    this.temps.length = 0;
  }
}

/**
 * Runs `fast` with staging; when it cannot run (returns null, or the heap is exhausted), frees
 * what it allocated and runs the reference kernel instead.
 * @internal
 */
export function withFallback(
  ctx: CpuContext,
  rt: WasmRuntime,
  args: KernelArgs,
  ref: Kernel,
  fast: (s: Staging) => DataId | readonly DataId[] | null,
): DataId | readonly DataId[] {
  const s = new Staging(ctx, rt);
  let id: DataId | readonly DataId[] | null = null;
  try {
    id = fast(s);
  } finally {
    s.finish();
  }
  if (id === null || s.failed) {
    if (id !== null) for (const d of Array.isArray(id) ? (id as readonly DataId[]) : [id as DataId]) ctx.release(d);
    return ref(args);
  }
  return id;
}
