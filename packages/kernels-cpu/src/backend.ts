/**
 * The CPU backend: buffers are typed arrays in a `Map`, kernels are loops over them.
 *
 * @module
 */
import {
  makeTypedArray,
  sizeOf,
  BackendError,
  type Backend,
  type BackendCapabilities,
  type BackendMemory,
  type BackendValues,
  type DataId,
  type DType,
  type Kernel,
  type Shape,
} from '@tessera/core';
import type { CpuContext } from './context.js';
import { elementwiseKernels } from './kernels/elementwise.js';
import { reduceKernels } from './kernels/reduce.js';
import { linalgKernels } from './kernels/linalg.js';
import { convKernels } from './kernels/conv.js';
import { shapeKernels } from './kernels/shape.js';

/**
 * Options of {@link createCpuBackend}.
 *
 * @example
 * ```ts
 * const backend = await createCpuBackend({ name: 'cpu' });
 * ```
 */
export interface CpuBackendOptions {
  /** The backend's name in error messages (default `'cpu'`). */
  readonly name?: string;
}

class BufferHandle {
  constructor(readonly id: number) {}
}

/**
 * The CPU backend. Create it with {@link createCpuBackend}.
 *
 * @example
 * ```ts
 * const cpu: CpuBackend = await createCpuBackend();
 * cpu.memory(); // { numBuffers: 0, numBytes: 0 }
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
  private readonly buffers = new Map<DataId, BackendValues>();
  private bytes = 0;
  private nextId = 0;

  /** @internal */
  constructor(options: CpuBackendOptions = {}) {
    this.name = options.name ?? 'cpu';
    const ctx: CpuContext = {
      get: (id) => this.get(id),
      alloc: (spec) => {
        const arr = makeTypedArray(spec.dtype, sizeOf(spec.shape));
        return [this.store(arr), arr];
      },
      store: (arr) => this.store(arr),
    };
    this.kernels = {
      ...elementwiseKernels(ctx),
      ...reduceKernels(ctx),
      ...linalgKernels(ctx),
      ...convKernels(ctx),
      ...shapeKernels(ctx),
    };
  }

  private store(values: BackendValues): DataId {
    const id = new BufferHandle(this.nextId++);
    this.buffers.set(id, values);
    this.bytes += values.byteLength;
    return id;
  }

  private get(id: DataId): BackendValues {
    const v = this.buffers.get(id);
    if (v === undefined) throw new BackendError(`${this.name}: unknown or freed buffer`);
    return v;
  }

  /** Stores `values` (kept by reference). */
  write(values: BackendValues, shape: Shape, dtype: DType): DataId {
    const n = sizeOf(shape);
    if (values.length !== n) throw new BackendError(`${this.name}.write: ${values.length} values for shape [${shape.join(',')}]`);
    const expected = makeTypedArray(dtype, 0).constructor;
    if (values.constructor !== expected) throw new BackendError(`${this.name}.write: wrong array type for dtype ${dtype}`);
    return this.store(values);
  }

  /** Reads a copy of a buffer. */
  read(dataId: DataId): Promise<BackendValues> {
    return Promise.resolve(this.readSync(dataId));
  }

  /** Reads a copy of a buffer synchronously. */
  readSync(dataId: DataId): BackendValues {
    return this.get(dataId).slice();
  }

  /** Frees a buffer. */
  disposeData(dataId: DataId): void {
    const v = this.buffers.get(dataId);
    if (v === undefined) return;
    this.bytes -= v.byteLength;
    this.buffers.delete(dataId);
  }

  /** Live buffers and bytes. */
  memory(): BackendMemory {
    return { numBuffers: this.buffers.size, numBytes: this.bytes };
  }

  /** Frees every buffer. */
  dispose(): void {
    this.buffers.clear();
    this.bytes = 0;
  }
}

/**
 * Creates a CPU backend. Async like every backend factory, so code written for it also works
 * with backends that need async setup.
 *
 * @example
 * ```ts
 * import { setBackend } from '@tessera/core';
 * import { createCpuBackend } from '@tessera/kernels-cpu';
 * setBackend(await createCpuBackend());
 * ```
 */
export async function createCpuBackend(options: CpuBackendOptions = {}): Promise<CpuBackend> {
  return new CpuBackend(options);
}
