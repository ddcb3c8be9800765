/**
 * The backend object: storage (a `Map` from handles to typed arrays), the kernel table and the
 * capability manifest. Everything here uses `@tessera/core`'s public API only.
 *
 * @module
 */
import {
  BackendError,
  makeTypedArray,
  sizeOf,
  type Backend,
  type BackendCapabilities,
  type BackendMemory,
  type BackendValues,
  type DataId,
  type DType,
  type Kernel,
  type Shape,
} from '@tessera/core';
import { elementwiseKernels } from './kernels/elementwise.js';
import { convKernels } from './kernels/conv.js';
import { fusedKernels } from './kernels/fused.js';
import { matmulKernels } from './kernels/matmul.js';
import { reduceKernels } from './kernels/reduce.js';
import { shapeKernels } from './kernels/shape.js';
import type { Buffers } from './kernels/util.js';

/**
 * Options of {@link createLoopBackend}.
 *
 * @example
 * ```ts
 * const backend = await createLoopBackend({ name: 'loops', fused: false });
 * const withMine = await createLoopBackend({ extraKernels: (buffers) => ({ myOp: myKernel(buffers) }) });
 * ```
 */
export interface LoopBackendOptions {
  /** The name used in error messages (default `'loops'`). */
  readonly name?: string;
  /**
   * Register the fused kernels for composite ops (`softmax`, `relu`; default true). Without
   * them, core runs those ops as their compositions; results are the same.
   */
  readonly fused?: boolean;
  /**
   * More kernels, built over the backend's storage: fused kernels for your own composite ops (or
   * for other packages' composites, such as `@tessera/optim`'s `sgdUpdate`). They are added
   * after the built-in ones and replace a built-in kernel of the same name.
   */
  readonly extraKernels?: (buffers: Buffers) => Record<string, Kernel>;
}

/** An opaque buffer handle. Core only compares handles by identity. */
class Handle {
  constructor(readonly id: number) {}
}

/**
 * A backend whose kernels are straightforward loops over typed arrays. It stores float32,
 * float64, int32 and bool (as `Uint8Array`) and reads synchronously.
 *
 * @example
 * ```ts
 * import { setBackend, tensor } from '@tessera/core';
 * setBackend(await createLoopBackend());
 * tensor([1, 2, 3]).mul(2).dataSync(); // Float32Array [2, 4, 6]
 * ```
 */
export class LoopBackend implements Backend {
  /** The backend interface version this class implements. */
  readonly specificationVersion = 1 as const;
  /** The name in error messages. */
  readonly name: string;
  /** Four dtypes, synchronous reads. */
  readonly capabilities: BackendCapabilities = { dtypes: ['float32', 'float64', 'int32', 'bool'], syncRead: true };
  /** Every primitive kernel (and fused composites unless disabled). */
  readonly kernels: Readonly<Record<string, Kernel>>;

  private readonly buffers = new Map<DataId, BackendValues>();
  private bytes = 0;
  private nextId = 0;

  constructor(options: LoopBackendOptions = {}) {
    this.name = options.name ?? 'loops';
    // Kernels see storage through this small interface: read an input, store an output.
    const buffers: Buffers = {
      get: (id) => this.get(id),
      put: (values) => this.store(values),
    };
    this.kernels = {
      ...elementwiseKernels(buffers),
      ...reduceKernels(buffers),
      ...matmulKernels(buffers),
      ...convKernels(buffers),
      ...shapeKernels(buffers),
      ...(options.fused === false ? {} : fusedKernels(buffers)),
      ...(options.extraKernels?.(buffers) ?? {}),
    };
  }

  /** Stores values and returns a new handle. The array is kept as is (core never mutates it). */
  write(values: BackendValues, shape: Shape, dtype: DType): DataId {
    const expected = makeTypedArray(dtype, 0).constructor;
    if (values.constructor !== expected) {
      throw new BackendError(`${this.name}.write: a ${values.constructor.name} cannot hold dtype ${dtype}`);
    }
    if (values.length !== sizeOf(shape)) {
      throw new BackendError(`${this.name}.write: ${values.length} values do not fill shape [${shape.join(',')}]`);
    }
    return this.store(values);
  }

  /** Reads a copy of a buffer (the caller owns it). */
  read(dataId: DataId): Promise<BackendValues> {
    return Promise.resolve(this.readSync(dataId));
  }

  /** Reads a copy of a buffer synchronously. */
  readSync(dataId: DataId): BackendValues {
    return this.get(dataId).slice();
  }

  /** Frees a buffer. Core calls it exactly once per buffer, when no tensor uses it any more. */
  disposeData(dataId: DataId): void {
    const values = this.buffers.get(dataId);
    if (values === undefined) return;
    this.buffers.delete(dataId);
    this.bytes -= values.byteLength;
  }

  /** Live buffers and bytes; the conformance kit uses it to find leaks. */
  memory(): BackendMemory {
    return { numBuffers: this.buffers.size, numBytes: this.bytes };
  }

  /** Frees everything. */
  dispose(): void {
    this.buffers.clear();
    this.bytes = 0;
  }

  private store(values: BackendValues): DataId {
    const id = new Handle(this.nextId++);
    this.buffers.set(id, values);
    this.bytes += values.byteLength;
    return id;
  }

  private get(dataId: DataId): BackendValues {
    const values = this.buffers.get(dataId);
    if (values === undefined) throw new BackendError(`${this.name}: unknown or freed buffer`);
    return values;
  }
}

/**
 * Creates the backend. Async, like every backend factory, so callers need not know whether a
 * backend needs asynchronous setup (a GPU adapter, a WebAssembly module).
 *
 * @example
 * ```ts
 * import { setBackend } from '@tessera/core';
 * import { createLoopBackend } from '@tessera-example/plugin-backend';
 * setBackend(await createLoopBackend());
 * ```
 */
export async function createLoopBackend(options: LoopBackendOptions = {}): Promise<LoopBackend> {
  return new LoopBackend(options);
}
