/**
 * The CPU backend: buffers are typed arrays, kernels are WebAssembly SIMD (hot float32 kernels,
 * spread over worker threads) or TypeScript loops (everything else, and small tensors).
 *
 * Memory: where `SharedArrayBuffer` exists, tensors of 256 bytes or more live in one shared
 * WebAssembly memory (a heap with size-class free lists, shared by every CPU backend of the
 * process), as typed-array views, so WebAssembly kernels and worker threads read and write them
 * in place, and TypeScript kernels see ordinary typed arrays. Smaller tensors are plain typed
 * arrays. A WebAssembly memory never shrinks: freed blocks are reused, and `memory()` reports
 * them as `numBytesPooled`. Without shared memory every tensor is a plain typed array and
 * WebAssembly kernels copy their operands into the module's memory and back.
 *
 * @module
 */
import {
  makeTypedArray,
  sizeOf,
  BackendError,
  ValueError,
  type Backend,
  type BackendCapabilities,
  type BackendMemory,
  type BackendValues,
  type DataId,
  type DType,
  type Kernel,
  type OutputSpec,
  type Shape,
  type TypedArray,
} from '@tessera/core';
import type { CpuContext } from './context.js';
import { elementwiseKernels } from './kernels/elementwise.js';
import { reduceKernels } from './kernels/reduce.js';
import { linalgKernels } from './kernels/linalg.js';
import { convKernels } from './kernels/conv.js';
import { shapeKernels } from './kernels/shape.js';
import { fastKernels } from './fast/kernels.js';
import { acquireRuntime, defaultThreads, releaseRuntime, type WasmRuntime } from './wasm/runtime.js';

/**
 * Options of {@link createCpuBackend}.
 *
 * @example
 * ```ts
 * const backend = await createCpuBackend({ name: 'cpu', threads: 2 });
 * ```
 */
export interface CpuBackendOptions {
  /** The backend's name in error messages (default `'cpu'`). */
  readonly name?: string;
  /**
   * Threads for the WebAssembly kernels, the calling thread included (default: the number of
   * cores). `1` runs everything on the calling thread. Worker threads need `SharedArrayBuffer`
   * (in browsers, a cross-origin isolated page); without it the backend runs on one thread.
   */
  readonly threads?: number;
  /**
   * Use the WebAssembly SIMD kernels where they are faster (default true). `false` runs the
   * TypeScript kernels only.
   */
  readonly wasm?: boolean;
  /** Use relaxed-SIMD fused multiply-add where the engine has it (default true). */
  readonly relaxedSimd?: boolean;
}

/** Tensors at least this large live in the WebAssembly heap (when it is shared). */
const MIN_HEAP_BYTES = 256;

const ARRAY_TYPES: Record<DType, new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TypedArray> = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
};

class BufferHandle {
  constructor(
    public arr: TypedArray | null,
    /** Heap byte offset, or -1 for a plain typed array. */
    public off: number,
    /** The owning backend's epoch: a handle from another backend or from before `dispose()` never matches. */
    readonly epoch: number,
  ) {}
}

let nextEpoch = 1;

/**
 * Facts about a CPU backend's execution, as {@link CpuBackend.info} reports them.
 *
 * @example
 * ```ts
 * const { wasm, threads, relaxedSimd } = backend.info();
 * ```
 */
export interface CpuBackendInfo {
  /** Whether WebAssembly SIMD kernels are in use. */
  readonly wasm: boolean;
  /** Threads the WebAssembly kernels may use (the calling thread included). */
  readonly threads: number;
  /** Whether the fused multiply-add of relaxed SIMD is in use. */
  readonly relaxedSimd: boolean;
  /** Whether tensors live in a shared WebAssembly memory. */
  readonly sharedMemory: boolean;
  /** Bytes of the WebAssembly memory (shared by the process's CPU backends; it never shrinks). */
  readonly wasmMemoryBytes: number;
}

/**
 * The CPU backend. Create it with {@link createCpuBackend}.
 *
 * @example
 * ```ts
 * const cpu: CpuBackend = await createCpuBackend();
 * cpu.memory(); // { numBuffers: 0, numBytes: 0, numBytesPooled: ... }
 * ```
 */
export class CpuBackend implements Backend {
  /** Implements backend specification version 1. */
  readonly specificationVersion = 1 as const;
  /** The backend name. */
  readonly name: string;
  /** float32, float64, int32 and bool, with synchronous reads. */
  readonly capabilities: BackendCapabilities = { dtypes: ['float32', 'float64', 'int32', 'bool'], syncRead: true };
  /** Kernels by op name. */
  readonly kernels: Readonly<Record<string, Kernel>>;
  /** Live buffers in the heap (freed by `dispose()`); plain arrays are only counted. */
  private readonly heapLive = new Set<BufferHandle>();
  private count = 0;
  private epoch = nextEpoch++;
  private bytes = 0;
  private rt: WasmRuntime | null;
  private threads: number;
  private holdsThreads: boolean;
  private readonly resident: boolean;

  /** @internal */
  constructor(options: CpuBackendOptions = {}, rt: WasmRuntime | null = null, threads = 1) {
    this.name = options.name ?? 'cpu';
    this.rt = rt;
    this.threads = rt === null ? 1 : Math.max(1, Math.min(threads, rt.threads));
    this.resident = rt !== null && rt.shared;
    this.holdsThreads = rt !== null && threads > 1;
    const self = this;
    const ctx: CpuContext = {
      get: (id) => this.get(id),
      alloc: (spec) => this.allocSpec(spec, true),
      store: (arr) => this.store(arr),
      get rt() {
        return self.rt;
      },
      get threads() {
        return self.threads;
      },
      addr: (id) => (id as BufferHandle).off,
      allocRaw: (spec) => {
        const [id, arr] = this.allocSpec(spec, false);
        return [id, arr, (id as BufferHandle).off];
      },
      release: (id) => this.disposeData(id),
    };
    const reference: Record<string, Kernel> = {
      ...elementwiseKernels(ctx),
      ...reduceKernels(ctx),
      ...linalgKernels(ctx),
      ...convKernels(ctx),
      ...shapeKernels(ctx),
    };
    this.kernels = rt === null ? reference : { ...reference, ...fastKernels(ctx, reference) };
  }

  /** Stores `values` (kept by reference when outside the heap). */
  private store(values: TypedArray): DataId {
    const h = new BufferHandle(values, -1, this.epoch);
    this.count++;
    this.bytes += values.byteLength;
    return h;
  }

  private allocSpec(spec: OutputSpec, zero: boolean): [DataId, TypedArray] {
    const n = sizeOf(spec.shape);
    const ctor = ARRAY_TYPES[spec.dtype];
    const bytes = n * (ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    if (this.resident && bytes >= MIN_HEAP_BYTES) {
      const rt = this.rt!;
      const off = rt.alloc(bytes);
      if (off >= 0) {
        const arr = new ctor(rt.buffer, off, n);
        if (zero && !rt.lastFresh) arr.fill(0);
        const h = new BufferHandle(arr, off, this.epoch);
        this.heapLive.add(h);
        this.count++;
        this.bytes += bytes;
        return [h, arr];
      }
    }
    const arr = makeTypedArray(spec.dtype, n);
    return [this.store(arr), arr];
  }

  private get(id: DataId): TypedArray {
    const h = id as BufferHandle;
    const v = h.arr;
    if (v === null || v === undefined || h.epoch !== this.epoch) throw new BackendError(`${this.name}: unknown or freed buffer`);
    return v;
  }

  /** Stores values: copied into the WebAssembly heap when large enough, else kept by reference. */
  write(values: BackendValues, shape: Shape, dtype: DType): DataId {
    const n = sizeOf(shape);
    if (values.length !== n) throw new BackendError(`${this.name}.write: ${values.length} values for shape [${shape.join(',')}]`);
    if (values.constructor !== ARRAY_TYPES[dtype]) throw new BackendError(`${this.name}.write: wrong array type for dtype ${dtype}`);
    if (this.resident && values.byteLength >= MIN_HEAP_BYTES) {
      const [id, arr] = this.allocSpec({ shape, dtype }, false);
      arr.set(values);
      return id;
    }
    return this.store(values);
  }

  /** Reads a copy of a buffer. */
  read(dataId: DataId): Promise<BackendValues> {
    return Promise.resolve(this.readSync(dataId));
  }

  /** Reads a copy of a buffer synchronously (an ordinary typed array, never a view of the heap). */
  readSync(dataId: DataId): BackendValues {
    return this.get(dataId).slice();
  }

  /** Frees a buffer. */
  disposeData(dataId: DataId): void {
    const h = dataId as BufferHandle;
    const v = h.arr;
    if (v === null || v === undefined || h.epoch !== this.epoch) return;
    this.bytes -= v.byteLength;
    this.count--;
    h.arr = null;
    if (h.off >= 0) {
      this.heapLive.delete(h);
      this.rt?.free(h.off);
    }
  }

  /**
   * Live buffers and bytes of this backend. `numBytesPooled` is the WebAssembly memory that
   * holds no live tensor (free heap blocks and never-used space; shared by the process's CPU
   * backends, and never returned to the system).
   */
  memory(): BackendMemory {
    const rt = this.rt;
    if (rt === null || !this.resident) return { numBuffers: this.count, numBytes: this.bytes };
    return { numBuffers: this.count, numBytes: this.bytes, numBytesPooled: Math.max(0, rt.memoryBytes - rt.heap.used) };
  }

  /** How this backend executes. */
  info(): CpuBackendInfo {
    const rt = this.rt;
    return {
      wasm: rt !== null,
      threads: this.threads,
      relaxedSimd: rt?.features.relaxedSimd ?? false,
      sharedMemory: rt?.shared ?? false,
      wasmMemoryBytes: rt?.memoryBytes ?? 0,
    };
  }

  /**
   * Frees every buffer and stops this backend's hold on the worker threads (the last CPU backend
   * to let go terminates them). The backend stays usable, on the calling thread only.
   */
  dispose(): void {
    for (const h of this.heapLive) {
      this.rt?.free(h.off);
      h.arr = null;
    }
    this.heapLive.clear();
    this.count = 0;
    this.bytes = 0;
    this.epoch = nextEpoch++;
    if (this.rt !== null && this.holdsThreads) releaseRuntime(this.rt);
    this.holdsThreads = false;
    this.threads = 1;
  }
}

/**
 * Creates a CPU backend. Async because it compiles the WebAssembly kernels and starts worker
 * threads the first time.
 *
 * @example
 * ```ts
 * import { setBackend } from '@tessera/core';
 * import { createCpuBackend } from '@tessera/kernels-cpu';
 * setBackend(await createCpuBackend());
 * setBackend(await createCpuBackend({ threads: 1 })); // no worker threads
 * ```
 */
export async function createCpuBackend(options: CpuBackendOptions = {}): Promise<CpuBackend> {
  const t = options.threads;
  if (t !== undefined && (!Number.isInteger(t) || t < 1)) {
    throw new ValueError(`createCpuBackend: threads must be a positive integer, got ${String(t)}`);
  }
  if (options.wasm === false) return new CpuBackend(options, null, 1);
  const threads = t ?? (await defaultThreads());
  const rt = await acquireRuntime({ threads, ...(options.relaxedSimd !== undefined ? { relaxedSimd: options.relaxedSimd } : {}) });
  if (rt !== null && threads <= 1) releaseRuntime(rt);
  return new CpuBackend(options, rt, threads);
}
