/// <reference types="@webgpu/types" />
/**
 * The WebGPU backend: storage in pooled GPU buffers, kernels as WGSL compute programs recorded
 * into one compute pass and submitted in batches, asynchronous reads through staging buffers.
 *
 * @module
 */
import {
  BackendError,
  sizeOf,
  type Backend,
  type BackendCapabilities,
  type BackendMemory,
  type BackendValues,
  type DataId,
  type DType,
  type Kernel,
  type OutputSpec,
  type Shape,
} from '@tessera/core';
import { acquireAdapter, BufferUsage, MAP_READ_MODE, requestDevice, SHADER_STAGE_COMPUTE, type GpuSelection } from './gpu.js';
import { adaptivePoolCap, BufferPool, sizeClass } from './pool.js';
import { assembleShader, uniformBytes, wgslType, type ProgramSpec } from './program.js';
import { elementwiseKernels } from './kernels/elementwise.js';
import { reduceKernels } from './kernels/reduce.js';
import { linalgKernels } from './kernels/linalg.js';
import { convKernels } from './kernels/conv.js';
import { shapeKernels } from './kernels/shape.js';
import { nnKernels } from './kernels/nn.js';
import { optimKernels } from './kernels/optim.js';

/**
 * Options of {@link createWebGpuBackend}: where the GPU comes from ({@link GpuSelection}) plus
 * tuning knobs.
 *
 * @example
 * ```ts
 * const options: WebGpuBackendOptions = { powerPreference: 'high-performance', batchSize: 32 };
 * const backend = await createWebGpuBackend(options);
 * ```
 */
export interface WebGpuBackendOptions extends GpuSelection {
  /** The backend's name in error messages (default `'webgpu'`). */
  readonly name?: string;
  /** Dispatches recorded before the batch is submitted (default 32). Reads submit at once. */
  readonly batchSize?: number;
  /**
   * Most bytes of idle buffers kept for reuse; beyond it they are destroyed, oldest first. By
   * default the cap follows the program: idle buffers are kept while the live and idle bytes
   * together stay within the most bytes that have been live at once (at least 256 MiB), so a
   * loop whose working set is 2 GiB reuses its buffers instead of creating new ones, and the
   * backend never holds much more than its peak working set ({@link WebGpuBackend.releasePooledBuffers}
   * gives the idle ones back). A number sets a fixed cap instead.
   */
  readonly maxPooledBytes?: number;
  /**
   * Values of tensors up to this many bytes stay cached on the host after an upload or a read,
   * so reading them again costs no GPU round trip (default 64 KiB; 0 turns the cache off).
   */
  readonly hostCacheBytes?: number;
}

/** A buffer the backend owns: the `DataId` of this backend. @internal */
export class GpuData {
  /** The host copy, when cached (see `hostCacheBytes`). */
  cache: BackendValues | null = null;
  /** Small int32 values written from the host, kept so index arguments can be range-checked. */
  hostInts: Int32Array | null = null;
  /**
   * The batch that last used the buffer in a dispatch. A buffer freed while that batch is open
   * can serve later dispatches of the same batch (they run after it, in order), but nothing
   * else before the batch is submitted.
   */
  batch = -1;
  constructor(
    readonly buffer: GPUBuffer,
    readonly size: number,
    readonly dtype: DType,
    /** Counted in `memory().numBuffers` (false for kernel temporaries). */
    readonly counted: boolean,
  ) {}
}

/**
 * One dispatch of a program, as kernels describe it.
 * @internal
 */
export interface Dispatch {
  /** The op the dispatch belongs to (named in error messages). */
  readonly op: string;
  /** The shader key: names everything that changes the generated WGSL. */
  readonly key: string;
  /** Builds the program (called once per key). */
  readonly build: () => ProgramSpec;
  readonly inputs: readonly GpuData[];
  readonly outputs: readonly GpuData[];
  /** Uniform values, in the order of the program's uniform fields. */
  readonly uniforms: readonly number[];
  /** Workgroup counts. */
  readonly workgroups: readonly [number, number, number];
}

/**
 * What kernel modules get from the backend.
 * @internal
 */
export interface GpuContext {
  /** The backend data of a tensor. */
  data(id: DataId): GpuData;
  /**
   * A fresh output buffer (not initialised: a kernel must write every element, and only with
   * dispatches: it may be a buffer that an earlier dispatch of the open batch still reads).
   */
  alloc(spec: OutputSpec): GpuData;
  /** A scratch buffer that is not counted as live, for kernels that need intermediates. */
  temp(size: number, dtype: DType): GpuData;
  /** Releases a scratch buffer once the work recorded so far is submitted. */
  releaseTemp(d: GpuData): void;
  /** Records a dispatch. */
  run(d: Dispatch): void;
  /** Device limits kernels plan with. */
  readonly limits: GpuLimits;
}

/** @internal */
export interface GpuLimits {
  readonly maxWorkgroupsPerDimension: number;
  readonly maxWorkgroupStorageBytes: number;
  readonly maxInvocationsPerWorkgroup: number;
  readonly maxStorageBindingBytes: number;
  readonly maxStorageBuffers: number;
}

interface Compiled {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  readonly spec: ProgramSpec;
  readonly uniformBytes: number;
}

interface BatchEntry {
  readonly op: string;
  readonly key: string;
}

const UNIFORM_ALIGN = 256;
/** int32 tensors up to this many elements keep their host values for index checks. */
const HOST_INTS_MAX = 16384;
const UNIFORM_ARENA_BYTES = 64 * 1024;
const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
const STAGING_USAGE = BufferUsage.MAP_READ | BufferUsage.COPY_DST;
const UNIFORM_USAGE = BufferUsage.UNIFORM | BufferUsage.COPY_DST;

function describeError(e: GPUError): string {
  return e.message.trim().replace(/\s+\n/g, '\n');
}

/**
 * The WebGPU backend. Create it with {@link createWebGpuBackend} and pass it to `setBackend`.
 *
 * Storage: float32 as `f32`, int32 as `i32`, and bool emulated as one `u32` (0 or 1) per
 * element. float64 is not supported (creating a float64 tensor on this backend throws a
 * `BackendError`; cast to float32 first). Reads are asynchronous only (`await t.data()`).
 *
 * @example
 * ```ts
 * import { setBackend, tensor } from '@tessera/core';
 * import { createWebGpuBackend } from '@tessera/kernels-gpu';
 * const gpu: WebGpuBackend = await createWebGpuBackend();
 * setBackend(gpu);
 * console.log(await tensor([1, 2, 3]).mul(2).data()); // Float32Array [2, 4, 6]
 * ```
 */
export class WebGpuBackend implements Backend {
  /** Implements backend specification version 1. */
  readonly specificationVersion = 1 as const;
  /** The backend name. */
  readonly name: string;
  /** float32, int32 and bool (stored as u32); asynchronous reads only. */
  readonly capabilities: BackendCapabilities = { dtypes: ['float32', 'int32', 'bool'], syncRead: false };
  /** Kernels by op name. */
  readonly kernels: Readonly<Record<string, Kernel>>;
  /** The GPU device the backend runs on. */
  readonly device: GPUDevice;
  /** The adapter, when known (null for a device the caller passed without its adapter). */
  readonly adapter: GPUAdapter | null;

  private readonly ownsDevice: boolean;
  /**
   * The `GPU` object the adapter came from (`navigator.gpu`, or the `webgpu` package's
   * instance in Node, which must stay alive as long as its devices); null when unknown.
   */
  readonly gpu: GPU | null;
  private readonly pool: BufferPool;
  private readonly pipelines = new Map<string, Compiled>();
  private readonly batchSize: number;
  private readonly hostCacheBytes: number;
  private readonly limits: GpuLimits;
  private live = new Set<GpuData>();
  private liveBytes = 0;
  /** The most bytes live at once (sets the adaptive pool cap). */
  private peakLiveBytes = 0;
  private failure: BackendError | null = null;
  private disposed = false;
  private readonly pendingChecks = new Set<Promise<void>>();

  // the open batch
  private batchId = 0;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private batchEntries: BatchEntry[] = [];
  /**
   * Storage buffers freed while the open batch used them, by size: later dispatches of the
   * batch may write them (they run after every earlier dispatch), host uploads and other
   * batches may not; at the submit they go to the pool.
   */
  private batchFree = new Map<number, GPUBuffer[]>();
  private pendingFreeBytes = 0;
  private uniformBuffer: GPUBuffer | null = null;
  private readonly uniformArena = new ArrayBuffer(UNIFORM_ARENA_BYTES);
  private readonly uniformI32 = new Int32Array(this.uniformArena);
  private readonly uniformU32 = new Uint32Array(this.uniformArena);
  private readonly uniformF32 = new Float32Array(this.uniformArena);
  private uniformUsed = 0;

  private dispatchCount = 0;
  private submitCount = 0;
  /** The op whose kernel is running (named in allocation errors). */
  private currentOp = '';

  /** @internal */
  constructor(
    gpu: GPU | null,
    device: GPUDevice,
    adapter: GPUAdapter | null,
    ownsDevice: boolean,
    options: WebGpuBackendOptions = {},
  ) {
    this.name = options.name ?? 'webgpu';
    this.gpu = gpu;
    this.device = device;
    this.adapter = adapter;
    this.ownsDevice = ownsDevice;
    this.batchSize = Math.max(1, options.batchSize ?? 32);
    this.hostCacheBytes = options.hostCacheBytes ?? 64 * 1024;
    const fixedCap = options.maxPooledBytes;
    this.pool = new BufferPool(
      device,
      fixedCap !== undefined
        ? () => fixedCap
        : () => adaptivePoolCap(this.liveBytes, this.peakLiveBytes),
    );
    const l = device.limits;
    this.limits = {
      maxWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxWorkgroupStorageBytes: l.maxComputeWorkgroupStorageSize,
      maxInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxStorageBindingBytes: Math.min(l.maxStorageBufferBindingSize, l.maxBufferSize),
      maxStorageBuffers: l.maxStorageBuffersPerShaderStage,
    };
    device.lost.then(
      (info) => {
        if (this.disposed) return;
        this.fail(new BackendError(`${this.name}: the GPU device was lost (${info.reason}): ${info.message}. Create a new backend.`));
      },
      () => undefined,
    );
    device.addEventListener('uncapturederror', (ev) => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      this.fail(new BackendError(`${this.name}: uncaught WebGPU error: ${describeError(err)}`));
    });
    const ctx: GpuContext = {
      data: (id) => this.data(id),
      alloc: (spec) => this.allocData(sizeOf(spec.shape), spec.dtype, true, this.currentOp, true),
      temp: (size, dtype) => this.allocData(size, dtype, false, this.currentOp, true),
      releaseTemp: (d) => this.release(d),
      run: (d) => this.run(d),
      limits: this.limits,
    };
    const kernels: Record<string, Kernel> = {
      ...elementwiseKernels(ctx),
      ...reduceKernels(ctx),
      ...linalgKernels(ctx),
      ...convKernels(ctx),
      ...shapeKernels(ctx),
      ...nnKernels(ctx),
      ...optimKernels(ctx),
    };
    for (const [name, k] of Object.entries(kernels)) {
      kernels[name] = (args) => {
        this.checkUsable(name);
        this.currentOp = name;
        return k(args);
      };
    }
    this.kernels = kernels;
  }

  // ---- errors --------------------------------------------------------------------------

  private fail(err: BackendError): void {
    // a follow-up error ("... is invalid due to a previous error") gives way to its cause
    const weak = (e: BackendError): boolean => e.message.includes('due to a previous error');
    if (this.failure === null || (weak(this.failure) && !weak(err))) this.failure = err;
  }

  private checkUsable(fn: string): void {
    if (this.disposed) throw new BackendError(`${fn}: backend '${this.name}' has been disposed`);
    if (this.failure !== null) {
      throw new BackendError(`${fn}: backend '${this.name}' is unusable after an earlier GPU error: ${this.failure.message}`);
    }
  }

  private track(p: Promise<void>): void {
    const q = p.finally(() => this.pendingChecks.delete(q));
    this.pendingChecks.add(q);
  }

  /** Waits until every pending error check has settled; throws the first failure. */
  private async settle(fn: string): Promise<void> {
    while (this.pendingChecks.size > 0) await Promise.all([...this.pendingChecks]);
    if (this.failure !== null) throw new BackendError(`${fn}: ${this.failure.message}`);
  }

  // ---- storage -------------------------------------------------------------------------

  private data(id: DataId): GpuData {
    if (!(id instanceof GpuData) || (id.counted && !this.live.has(id))) {
      throw new BackendError(`${this.name}: unknown or freed buffer (a tensor of another backend, or one already disposed)`);
    }
    return id;
  }

  /**
   * A storage buffer for `size` elements. `forDispatch`: only dispatches will write it, so a
   * buffer freed earlier in the open batch may serve (a host upload must not get one: it would
   * land before the batch's earlier dispatches have read the old contents).
   */
  private allocData(size: number, dtype: DType, counted: boolean, fn: string, forDispatch: boolean): GpuData {
    wgslType(dtype);
    const bytes = size * 4;
    if (bytes > this.limits.maxStorageBindingBytes) {
      throw new BackendError(
        `${fn}: a ${dtype} tensor of ${size} elements needs ${bytes} bytes, more than this GPU allows in one buffer ` +
          `(${this.limits.maxStorageBindingBytes} bytes)`,
      );
    }
    const cls = sizeClass(bytes);
    let buffer = forDispatch ? this.batchFree.get(cls)?.pop() : undefined;
    const fromBatch = buffer !== undefined;
    if (buffer !== undefined) this.pendingFreeBytes -= buffer.size;
    else buffer = this.pool.acquire(cls, STORAGE_USAGE, 'tessera-tensor');
    const d = new GpuData(buffer, size, dtype, counted);
    // a buffer from the open batch stays tied to it (freed again without a dispatch, e.g. an
    // empty output, it must not reach the pool before the batch is submitted)
    if (fromBatch) d.batch = this.batchId;
    if (counted) {
      this.live.add(d);
      this.liveBytes += buffer.size;
      if (this.liveBytes > this.peakLiveBytes) this.peakLiveBytes = this.liveBytes;
    }
    return d;
  }

  private release(d: GpuData): void {
    if (this.encoder !== null && d.batch === this.batchId) {
      let list = this.batchFree.get(d.buffer.size);
      if (list === undefined) this.batchFree.set(d.buffer.size, (list = []));
      list.push(d.buffer);
      this.pendingFreeBytes += d.buffer.size;
    } else {
      this.pool.release(d.buffer);
    }
  }

  /** Stores values on the GPU (bool is widened to one u32 per element). */
  write(values: BackendValues, shape: Shape, dtype: DType): DataId {
    this.checkUsable('write');
    this.currentOp = 'write';
    if (dtype === 'float64') {
      throw new BackendError(`write: backend '${this.name}' does not support float64; cast to float32 first`);
    }
    const n = sizeOf(shape);
    if (values.length !== n) throw new BackendError(`write: ${values.length} values for shape [${shape.join(',')}]`);
    const d = this.allocData(n, dtype, true, 'write', false);
    if (n > 0) {
      let upload: Float32Array | Int32Array | Uint32Array;
      if (dtype === 'bool') upload = Uint32Array.from(values as Uint8Array);
      else if (dtype === 'int32') upload = values instanceof Int32Array ? values : Int32Array.from(values);
      else upload = values instanceof Float32Array ? values : Float32Array.from(values);
      this.device.queue.writeBuffer(d.buffer, 0, upload.buffer, upload.byteOffset, upload.byteLength);
    }
    if (values.byteLength <= this.hostCacheBytes) d.cache = values;
    if (values instanceof Int32Array && n <= HOST_INTS_MAX) d.hostInts = values;
    return d;
  }

  /** Reads a buffer's values: submits pending work, copies to a staging buffer and maps it. */
  async read(dataId: DataId): Promise<BackendValues> {
    this.checkUsable('read');
    const d = this.data(dataId);
    if (d.cache !== null) return d.cache.slice();
    const n = d.size;
    if (n === 0) return makeHost(d.dtype, new ArrayBuffer(0));
    const bytes = n * 4;
    const staging = this.pool.acquire(sizeClass(bytes), STAGING_USAGE, 'tessera-staging');
    if (this.encoder !== null) {
      // one submit: the pending dispatches, then the copy
      this.submitBatch((enc) => enc.copyBufferToBuffer(d.buffer, 0, staging, 0, bytes));
    } else {
      const enc = this.device.createCommandEncoder({ label: 'tessera-read' });
      enc.copyBufferToBuffer(d.buffer, 0, staging, 0, bytes);
      this.device.queue.submit([enc.finish()]);
      this.submitCount++;
    }
    let copy: ArrayBuffer;
    try {
      await staging.mapAsync(MAP_READ_MODE, 0, bytes);
      copy = staging.getMappedRange(0, bytes).slice(0);
      staging.unmap();
    } catch (e) {
      await this.settle('read');
      throw new BackendError(`read: mapping the staging buffer failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.pool.release(staging);
    await this.settle('read');
    const out = makeHost(d.dtype, copy);
    if (out.byteLength <= this.hostCacheBytes && this.live.has(d)) d.cache = out.slice();
    return out;
  }

  /** Frees a buffer (it returns to the pool once the work using it has been submitted). */
  disposeData(dataId: DataId): void {
    if (!(dataId instanceof GpuData) || !this.live.delete(dataId)) return;
    this.liveBytes -= dataId.buffer.size;
    dataId.cache = null;
    dataId.hostInts = null;
    if (this.disposed) return;
    this.release(dataId);
  }

  /**
   * Live tensor buffers and their bytes (as allocated: sizes are rounded up to a size class and
   * bool takes 4 bytes per element), and the bytes of idle buffers kept for reuse.
   */
  memory(): BackendMemory {
    return { numBuffers: this.live.size, numBytes: this.liveBytes, numBytesPooled: this.pool.pooledBytes + this.pendingFreeBytes };
  }

  /**
   * Destroys the idle buffers kept for reuse (after submitting recorded work), giving their
   * memory back to the GPU, and starts the adaptive pool cap afresh from what is live now: for
   * example after a phase that needed far more memory than what follows.
   *
   * @example
   * ```ts
   * backend.releasePooledBuffers();
   * console.log(backend.memory().numBytesPooled); // 0
   * ```
   */
  releasePooledBuffers(): void {
    this.flush();
    this.pool.clear();
    this.peakLiveBytes = this.liveBytes;
  }

  /**
   * Counters for diagnostics and tests: dispatches recorded, command buffers submitted,
   * compiled pipelines (one per shader key), and GPU buffers created by the pool.
   *
   * @example
   * ```ts
   * const before = backend.stats().pipelines;
   * add(tensor([[1, 2]]), tensor([3, 4])); // a new shape of the same rank compiles nothing new
   * ```
   */
  stats(): WebGpuStats {
    return {
      dispatches: this.dispatchCount,
      submits: this.submitCount,
      pipelines: this.pipelines.size,
      buffersCreated: this.pool.created,
    };
  }

  /**
   * Submits recorded work now (kernels batch their dispatches; reads flush by themselves).
   *
   * @example
   * ```ts
   * backend.flush();
   * ```
   */
  flush(): void {
    this.submitBatch();
  }

  /** Ends the open batch (running `extra` on its encoder after the pass) and submits it. */
  private submitBatch(extra?: (encoder: GPUCommandEncoder) => void): void {
    if (this.encoder === null || this.pass === null) return;
    const encoder = this.encoder;
    const entries = this.batchEntries;
    this.pass.end();
    this.encoder = null;
    this.pass = null;
    this.batchEntries = [];
    if (extra !== undefined) extra(encoder);
    const cb = encoder.finish();
    if (this.uniformBuffer !== null && this.uniformUsed > 0) {
      this.device.queue.writeBuffer(this.uniformBuffer, 0, this.uniformArena, 0, this.uniformUsed);
    }
    this.device.queue.submit([cb]);
    this.submitCount++;
    this.popScopes(entries);
    if (this.uniformBuffer !== null) this.pool.release(this.uniformBuffer);
    this.uniformBuffer = null;
    this.uniformUsed = 0;
    const freed = this.batchFree;
    this.batchFree = new Map();
    this.pendingFreeBytes = 0;
    for (const list of freed.values()) for (const b of list) this.pool.release(b);
  }

  /**
   * Waits until the GPU has finished all work submitted so far (recorded work is submitted
   * first). Throws if the GPU reported an error for it.
   *
   * @example
   * ```ts
   * await backend.sync(); // e.g. before stopping a benchmark timer
   * ```
   */
  async sync(): Promise<void> {
    this.checkUsable('sync');
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.settle('sync');
  }

  private popScopes(entries: readonly BatchEntry[]): void {
    const device = this.device;
    const validation = device.popErrorScope();
    const internal = device.popErrorScope();
    const oom = device.popErrorScope();
    const culprit = (msg: string): string => {
      const hit = entries.find((e) => msg.includes(e.key));
      if (hit !== undefined) return `${hit.op} (shader '${hit.key}')`;
      const ops = [...new Set(entries.map((e) => `${e.op} (shader '${e.key}')`))];
      return `one of ${ops.join(', ')}`;
    };
    this.track(
      Promise.all([validation, internal, oom]).then(([v, i, o]) => {
        if (o !== null) {
          this.fail(new BackendError(`${culprit(o.message)}: the GPU ran out of memory: ${describeError(o)}`));
        }
        for (const e of [v, i]) {
          if (e !== null) this.fail(new BackendError(`${culprit(e.message)}: WebGPU error: ${describeError(e)}`));
        }
      }),
    );
  }

  // ---- programs ------------------------------------------------------------------------

  private compile(key: string, op: string, spec: ProgramSpec): Compiled {
    const device = this.device;
    const code = assembleShader(spec);
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code, label: key });
    const entries: GPUBindGroupLayoutEntry[] = [
      { binding: 0, visibility: SHADER_STAGE_COMPUTE, buffer: { type: 'uniform' } },
    ];
    let b = 1;
    for (let i = 0; i < spec.inputs.length; i++) {
      entries.push({ binding: b++, visibility: SHADER_STAGE_COMPUTE, buffer: { type: 'read-only-storage' } });
    }
    for (let i = 0; i < spec.outputs.length; i++) {
      entries.push({ binding: b++, visibility: SHADER_STAGE_COMPUTE, buffer: { type: 'storage' } });
    }
    const layout = device.createBindGroupLayout({ entries, label: key });
    const pipeline = device.createComputePipeline({
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout], label: key }),
      compute: { module, entryPoint: 'main' },
      label: key,
    });
    this.track(
      device.popErrorScope().then(async (err) => {
        if (err === null) return;
        let detail = describeError(err);
        try {
          const info = await module.getCompilationInfo();
          const msgs = info.messages.filter((m) => m.type === 'error').map((m) => `line ${m.lineNum}: ${m.message}`);
          if (msgs.length > 0) detail = msgs.join('; ');
        } catch {
          // keep the validation message
        }
        this.fail(new BackendError(`${op}: the WGSL program '${key}' failed to compile: ${detail}`));
      }),
    );
    const compiled: Compiled = { pipeline, layout, spec, uniformBytes: uniformBytes(spec.uniforms.length) };
    this.pipelines.set(key, compiled);
    return compiled;
  }

  private run(d: Dispatch): void {
    this.checkUsable(d.op);
    const compiled = this.pipelines.get(d.key) ?? this.compile(d.key, d.op, d.build());
    const spec = compiled.spec;
    if (d.inputs.length !== spec.inputs.length || d.outputs.length !== spec.outputs.length || d.uniforms.length !== spec.uniforms.length) {
      throw new BackendError(
        `${d.op}: program '${d.key}' takes ${spec.inputs.length} inputs, ${spec.outputs.length} outputs and ` +
          `${spec.uniforms.length} uniforms; got ${d.inputs.length}, ${d.outputs.length} and ${d.uniforms.length}`,
      );
    }
    const [x, y, z] = d.workgroups;
    const maxDim = this.limits.maxWorkgroupsPerDimension;
    if (x > maxDim || y > maxDim || z > maxDim) {
      throw new BackendError(`${d.op}: program '${d.key}' needs ${x}x${y}x${z} workgroups; this GPU allows ${maxDim} per dimension`);
    }
    if (this.uniformUsed + compiled.uniformBytes > UNIFORM_ARENA_BYTES) this.flush();
    if (this.encoder === null) this.openBatch();
    const offset = this.uniformUsed;
    const base = offset / 4;
    for (let i = 0; i < spec.uniforms.length; i++) {
      const t = spec.uniforms[i]!.type;
      const v = d.uniforms[i]!;
      if (t === 'f32') this.uniformF32[base + i] = v;
      else if (t === 'i32') this.uniformI32[base + i] = v;
      else this.uniformU32[base + i] = v;
    }
    this.uniformUsed += Math.ceil(compiled.uniformBytes / UNIFORM_ALIGN) * UNIFORM_ALIGN;
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: this.uniformBuffer!, offset, size: compiled.uniformBytes } },
    ];
    let b = 1;
    for (let k = 0; k < d.inputs.length; k++) {
      const g = d.inputs[k]!;
      g.batch = this.batchId;
      entries.push({ binding: b++, resource: { buffer: g.buffer, offset: 0, size: bindSize(g, spec.inputs[k]!) } });
    }
    for (let k = 0; k < d.outputs.length; k++) {
      const g = d.outputs[k]!;
      g.batch = this.batchId;
      g.cache = null;
      entries.push({ binding: b++, resource: { buffer: g.buffer, offset: 0, size: bindSize(g, spec.outputs[k]!) } });
    }
    const bindGroup = this.device.createBindGroup({ layout: compiled.layout, entries, label: d.key });
    const pass = this.pass!;
    pass.setPipeline(compiled.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.batchEntries.push({ op: d.op, key: d.key });
    this.dispatchCount++;
    if (this.batchEntries.length >= this.batchSize) this.flush();
  }

  private openBatch(): void {
    this.batchId++;
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('internal');
    this.device.pushErrorScope('validation');
    this.encoder = this.device.createCommandEncoder({ label: `tessera-batch-${this.batchId}` });
    this.pass = this.encoder.beginComputePass({ label: `tessera-batch-${this.batchId}` });
    this.uniformBuffer = this.pool.acquire(UNIFORM_ARENA_BYTES, UNIFORM_USAGE, 'tessera-uniforms');
    this.uniformUsed = 0;
  }

  /**
   * Runs a custom WGSL program on tensors of this backend: an extension point for kernels
   * Tessera does not ship. The program binds the uniform struct `u` at binding 0, then
   * `in0...` (read-only storage) and `out0...` (read-write storage); bool is stored as `u32`.
   * Returns the data ids of new output buffers, to wrap with `runOp`-free helpers or read
   * directly with {@link WebGpuBackend.read}.
   *
   * @example
   * ```ts
   * const [id] = backend.runProgram({
   *   op: 'double', key: 'custom:double',
   *   program: {
   *     inputs: ['f32'], outputs: ['f32'], uniforms: [{ name: 'n', type: 'u32' }],
   *     code: `@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
   *       if (g.x < u.n) { out0[g.x] = 2.0 * in0[g.x]; } }`,
   *   },
   *   inputs: [x.dataId], outputs: [{ shape: [4], dtype: 'float32' }], uniforms: [4], workgroups: [1, 1, 1],
   * });
   * const values = await backend.read(id!); // then backend.disposeData(id!)
   * ```
   */
  runProgram(call: CustomProgramCall): DataId[] {
    this.checkUsable(call.op);
    const p = call.program;
    if (p.inputs.length !== call.inputs.length || p.outputs.length !== call.outputs.length || p.uniforms.length !== call.uniforms.length) {
      throw new BackendError(
        `${call.op}: program '${call.key}' declares ${p.inputs.length} inputs, ${p.outputs.length} outputs and ` +
          `${p.uniforms.length} uniforms; the call passes ${call.inputs.length}, ${call.outputs.length} and ${call.uniforms.length}`,
      );
    }
    const ins = call.inputs.map((id) => this.data(id));
    const outs = call.outputs.map((s) => this.allocData(sizeOf(s.shape), s.dtype, true, call.op, true));
    this.run({
      op: call.op,
      key: call.key,
      build: () => call.program,
      inputs: ins,
      outputs: outs,
      uniforms: call.uniforms,
      workgroups: call.workgroups,
    });
    return outs;
  }

  /**
   * Frees everything: live and pooled buffers, compiled pipelines, and the device when the
   * backend created it. Tensors of this backend are unusable afterwards.
   *
   * @example
   * ```ts
   * backend.dispose();
   * ```
   */
  dispose(): void {
    if (this.disposed) return;
    try {
      this.flush();
    } catch {
      // disposing anyway
    }
    this.disposed = true;
    for (const list of this.batchFree.values()) for (const b of list) b.destroy();
    this.batchFree.clear();
    this.pendingFreeBytes = 0;
    for (const d of this.live) d.buffer.destroy();
    this.live.clear();
    this.liveBytes = 0;
    this.pool.clear();
    this.pipelines.clear();
    if (this.ownsDevice) this.device.destroy();
  }
}

/**
 * Counters returned by {@link WebGpuBackend.stats}.
 *
 * @example
 * ```ts
 * const { dispatches, submits, pipelines } = backend.stats();
 * ```
 */
export interface WebGpuStats {
  /** Compute dispatches recorded since the backend was created. */
  readonly dispatches: number;
  /** Command buffers submitted (batches and reads). */
  readonly submits: number;
  /** Compiled pipelines (one per shader key). */
  readonly pipelines: number;
  /** GPU buffers the pool has created (reuse keeps this low). */
  readonly buffersCreated: number;
}

/**
 * A custom program run by {@link WebGpuBackend.runProgram}.
 *
 * @example
 * ```ts
 * const call: CustomProgramCall = { op: 'noop', key: 'custom:noop', program, inputs: [], outputs: [], uniforms: [], workgroups: [1, 1, 1] };
 * ```
 */
export interface CustomProgramCall {
  /** A name for error messages. */
  readonly op: string;
  /** A unique key per distinct WGSL source (the compiled pipeline is cached under it). */
  readonly key: string;
  /** The program: bindings, uniform fields and the WGSL code with `fn main`. */
  readonly program: CustomProgram;
  /** Input buffers (data ids of this backend). */
  readonly inputs: readonly DataId[];
  /** Shapes and dtypes of the outputs to allocate. */
  readonly outputs: readonly OutputSpec[];
  /** Uniform values in field order. */
  readonly uniforms: readonly number[];
  /** Workgroup counts. */
  readonly workgroups: readonly [number, number, number];
}

/**
 * The WGSL program of a {@link CustomProgramCall}: element types of its inputs and outputs
 * (`'f32'`, `'i32'`, `'u32'`), its uniform fields (32-bit scalars, read as `u.<name>`) and the
 * code after the generated declarations, which must define `@compute fn main`.
 *
 * @example
 * ```ts
 * const p: CustomProgram = { inputs: ['f32'], outputs: ['f32'], uniforms: [{ name: 'n', type: 'u32' }], code: '...' };
 * ```
 */
export interface CustomProgram {
  /** Element types of `in0`, `in1`, ... */
  readonly inputs: readonly ('f32' | 'i32' | 'u32')[];
  /** Element types of `out0`, ... */
  readonly outputs: readonly ('f32' | 'i32' | 'u32')[];
  /** Uniform fields. */
  readonly uniforms: readonly { readonly name: string; readonly type: 'f32' | 'i32' | 'u32' }[];
  /** WGSL code defining `fn main` (the math helpers `m_*` are available). */
  readonly code: string;
}

/** Bytes bound for a buffer: its elements, or for a vector binding, rounded up to 16 bytes. */
function bindSize(g: GpuData, type: string): number {
  return type.startsWith('vec4') ? Math.max(16, Math.ceil(g.size / 4) * 16) : Math.max(4, g.size * 4);
}

function makeHost(dtype: DType, bytes: ArrayBuffer): BackendValues {
  if (dtype === 'float32') return new Float32Array(bytes);
  if (dtype === 'int32') return new Int32Array(bytes);
  const u = new Uint32Array(bytes);
  const out = new Uint8Array(u.length);
  for (let i = 0; i < u.length; i++) out[i] = u[i] !== 0 ? 1 : 0;
  return out;
}

/**
 * Creates a WebGPU backend. In browsers it uses `navigator.gpu`; in Node, the `gpu` you pass
 * or the optional peer dependency `webgpu` (Dawn), loaded on demand. Throws a `BackendError`
 * that says what to install or pass when no adapter is found.
 *
 * @example
 * ```ts
 * import { setBackend, tensor } from '@tessera/core';
 * import { createWebGpuBackend } from '@tessera/kernels-gpu';
 *
 * setBackend(await createWebGpuBackend({ powerPreference: 'high-performance' }));
 * console.log(await tensor([[1, 2], [3, 4]]).matmul([[1], [1]]).array()); // [[3], [7]]
 * ```
 */
export async function createWebGpuBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  const { gpu, adapter, device } = await acquireAdapter(options);
  if (device !== null) return new WebGpuBackend(gpu, device, adapter, false, options);
  const dev = await requestDevice(adapter!);
  return new WebGpuBackend(gpu, dev, adapter, true, options);
}
