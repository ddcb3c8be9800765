/**
 * The kernel-backend interface (specification version 1). A backend is storage (write, read,
 * optional synchronous read, dispose, memory report) plus kernels keyed by op name plus a
 * capability manifest. See the plugin author's guide and {@link listOps} for the primitive
 * set a backend must implement.
 *
 * @module
 */
import type { DType, TypedArray } from './dtype.js';
import type { Shape } from './shape.js';

/**
 * An opaque handle to a backend buffer. The engine counts references to it and calls
 * {@link Backend.disposeData} when the last tensor using it is gone.
 *
 * @example
 * ```ts
 * const id: DataId = backend.write(new Float32Array([1, 2]), [2], 'float32');
 * ```
 */
export type DataId = object;

/**
 * What a kernel sees of each input: its buffer, shape and dtype.
 *
 * @example
 * ```ts
 * const info: TensorInfo = { dataId, shape: [2, 3], dtype: 'float32' };
 * ```
 */
export interface TensorInfo {
  /** The backend buffer. */
  readonly dataId: DataId;
  /** The concrete shape. */
  readonly shape: Shape;
  /** The element type. */
  readonly dtype: DType;
}

/**
 * The shape and dtype of a kernel output, computed by the op's shape rule before the kernel
 * runs, so kernels never infer shapes themselves.
 *
 * @example
 * ```ts
 * const out: OutputSpec = { shape: [2, 2], dtype: 'float32' };
 * ```
 */
export interface OutputSpec {
  /** The concrete output shape. */
  readonly shape: Shape;
  /** The output dtype. */
  readonly dtype: DType;
}

/**
 * Attribute values an op carries besides its tensor inputs (axes, strides, flags, ...).
 *
 * @example
 * ```ts
 * const attrs: Attrs = { axes: [0], keepDims: false };
 * ```
 */
export type Attrs = Readonly<Record<string, unknown>>;

/**
 * The arguments a kernel is called with.
 *
 * @example
 * ```ts
 * const neg: Kernel = ({ inputs, outputs }) => { ... };
 * ```
 */
export interface KernelArgs {
  /** The op's tensor inputs, in the order the op definition lists them. */
  readonly inputs: readonly TensorInfo[];
  /** The op's attributes, already validated and normalized by core. */
  readonly attrs: Attrs;
  /** Shapes and dtypes of the outputs the kernel must produce. */
  readonly outputs: readonly OutputSpec[];
}

/**
 * A kernel: computes an op's outputs on one backend and returns a new buffer per output.
 * Kernels must not keep references to their inputs' buffers beyond the call.
 *
 * @example
 * ```ts
 * const add: Kernel = ({ inputs, outputs }) => backend.write(compute(inputs), outputs[0]!.shape, outputs[0]!.dtype);
 * ```
 */
export type Kernel = (args: KernelArgs) => DataId | readonly DataId[];

/**
 * What a backend can do. Core uses it to reject unsupported dtypes early and to decide
 * whether synchronous reads are allowed.
 *
 * @example
 * ```ts
 * const caps: BackendCapabilities = { dtypes: ['float32', 'int32', 'bool'], syncRead: false };
 * ```
 */
export interface BackendCapabilities {
  /** Dtypes the backend stores and computes. Creating a tensor of another dtype throws. */
  readonly dtypes: readonly DType[];
  /** Whether {@link Backend.readSync} is implemented. */
  readonly syncRead: boolean;
}

/**
 * A backend's memory report.
 *
 * @example
 * ```ts
 * const m: BackendMemory = backend.memory(); // { numBuffers: 3, numBytes: 48 }
 * ```
 */
export interface BackendMemory {
  /** Live buffers (allocated and not yet disposed). */
  readonly numBuffers: number;
  /** Bytes held by live buffers. */
  readonly numBytes: number;
  /** Bytes held in a reuse pool, if the backend pools buffers. */
  readonly numBytesPooled?: number;
}

/**
 * The values a backend stores and returns: one typed array per tensor, of the dtype's type
 * (`Float32Array`, `Float64Array`, `Int32Array`, `Uint8Array` for bool).
 *
 * @example
 * ```ts
 * const v: BackendValues = new Int32Array([1, 2, 3]);
 * ```
 */
export type BackendValues = TypedArray;

/**
 * A kernel backend (specification version 1). Create one with an async factory
 * (for example `createCpuBackend()`), then pass it to {@link setBackend}.
 *
 * Memory rules: the engine owns reference counting. `write` may keep the array it is given
 * (the engine never mutates it afterwards); `read`/`readSync` return an array the caller owns;
 * `disposeData` is called exactly once per buffer.
 *
 * @example
 * ```ts
 * const backend: Backend = await createCpuBackend();
 * setBackend(backend);
 * ```
 */
export interface Backend {
  /** The interface version this backend implements. */
  readonly specificationVersion: 1;
  /** A short name, used in error messages (`'cpu'`, `'webgpu'`). */
  readonly name: string;
  /** What the backend supports. */
  readonly capabilities: BackendCapabilities;
  /**
   * Kernels by op name: every primitive op (see {@link listOps}) and, optionally, fused kernels
   * for composite ops, which then run instead of the composition.
   */
  readonly kernels: Readonly<Record<string, Kernel | undefined>>;
  /** Stores values (length = size of `shape`) and returns a handle to them. */
  write(values: BackendValues, shape: Shape, dtype: DType): DataId;
  /** Reads a buffer's values. */
  read(dataId: DataId): Promise<BackendValues>;
  /** Reads a buffer's values synchronously (only when `capabilities.syncRead`). */
  readSync?(dataId: DataId): BackendValues;
  /** Frees a buffer. */
  disposeData(dataId: DataId): void;
  /** Reports live buffers and bytes. */
  memory(): BackendMemory;
  /** Frees everything the backend holds. */
  dispose(): void;
}
