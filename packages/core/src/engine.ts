/**
 * The engine: the current backend, reference counts of backend buffers, memory scopes, op
 * dispatch, and the hooks through which autograd (tape recording) and graph mode plug in.
 *
 * @module
 */
import type { Attrs, Backend, BackendMemory, DataId, OutputSpec, TensorInfo } from './backend.js';
import { bytesPerElement, type DType, type TypedArray } from './dtype.js';
import { BackendError, DisposedError, TesseraError } from './errors.js';
import type { OpDef, TensorSpec } from './op.js';
import { formatShape, sizeOf, type Shape } from './shape.js';
import { Tensor, type TensorLike } from './tensor.js';
import type { GetVariableOptions, Variable, VariableOptions } from './variable.js';

/**
 * One executed op, as listeners see it: the op name, its inputs (variables appear as the
 * {@link Variable} objects themselves), outputs and attributes.
 *
 * @example
 * ```ts
 * const listener: OpListener = { recordOp: (r: OpRecord) => console.log(r.op) };
 * ```
 */
export interface OpRecord {
  /** The op name. */
  readonly op: string;
  /** The inputs, in the op definition's order. */
  readonly inputs: readonly Tensor[];
  /** The outputs. */
  readonly outputs: readonly Tensor[];
  /** The attributes. */
  readonly attrs: Attrs;
}

/**
 * Observes eager ops as they run. Autograd's tapes are listeners.
 *
 * @example
 * ```ts
 * const stop = addOpListener({ recordOp: (r) => console.log(r.op) });
 * exp(ones([2])); // logs 'exp'
 * stop();
 * ```
 */
export interface OpListener {
  /** Called after each op at the outermost recorded level. */
  recordOp(record: OpRecord): void;
  /**
   * Whether a composite op should be recorded as one unit (its inner ops unrecorded); when
   * false or absent, the inner ops are recorded instead.
   */
  recordsAsUnit?(op: string): boolean;
}

/**
 * Builds symbolic nodes instead of running ops. Graph mode installs one while a graph is the
 * default (see `@tessera/graph`).
 *
 * @example
 * ```ts
 * const restore = setGraphHook(myGraphBuilder);
 * try { build(); } finally { restore(); }
 * ```
 */
export interface GraphHook {
  /** Builds a node for `def` applied to `inputs`; returns its symbolic outputs. */
  buildOp(def: OpDef, inputs: readonly Tensor[], attrs: Attrs): Tensor[];
  /** Builds a constant node holding `values`. */
  constant(values: TypedArray, shape: Shape, dtype: DType): Tensor;
  /** {@link variable} inside a graph: creates a graph variable (its value lives in a session). */
  variable?(initial: TensorLike, options: VariableOptions): Variable;
  /** {@link getVariable} inside a graph: creates or reuses a graph variable (variable scopes). */
  getVariable?(name: string, options: GetVariableOptions): Variable;
  /**
   * Symbolic gradients of `ys` with respect to `xs` (`null` for an unconnected `x`), seeded with
   * `gradYs`. Autograd's `gradients()` and optimizers call it in graph mode.
   */
  gradients?(ys: readonly Tensor[], xs: readonly Tensor[], gradYs?: readonly (Tensor | null | undefined)[]): (Tensor | null)[];
  /**
   * One op that runs all of `deps` (for example the results of `variable.assign(...)`): an
   * optimizer's train op in graph mode.
   */
  group?(deps: readonly Tensor[], name?: string): Tensor;
  /** The graph's trainable variables (the default `varList` of optimizers in graph mode). */
  trainableVariables?(): Variable[];
}

/**
 * Engine-wide memory report, as {@link memory} returns it.
 *
 * @example
 * ```ts
 * const { numTensors, numBytes } = memory();
 * ```
 */
export interface MemoryInfo {
  /** Live tensor handles (including variables), on all backends. */
  readonly numTensors: number;
  /** Distinct live backend buffers referenced by tensors. */
  readonly numDataBuffers: number;
  /** Bytes of those buffers. */
  readonly numBytes: number;
  /** The current backend's own report, if a backend is set. */
  readonly backend?: BackendMemory;
}

interface Scope {
  readonly tracked: Tensor[];
}

interface BufferRecord {
  count: number;
  readonly dataId: DataId;
  readonly backend: Backend;
  readonly bytes: number;
}

/**
 * The engine's record of one live handle, stored on the tensor itself (no per-op map lookups).
 * It is also the finalization registry's held value, so it never references its tensor once
 * registered.
 * @internal
 */
export interface Held {
  /** The reference count of `dataId`'s buffer. */
  readonly rec: BufferRecord;
  released: boolean;
  /** Registered with the finalization registry (registration is deferred; see `adopt`). */
  registered: boolean;
  /** The handle, until it is registered. */
  tensor: Tensor | null;
}

/** Handles awaiting registration are registered at the latest when this many are pending. */
const MAX_PENDING = 4096;

/** @internal */
export class Engine {
  backend: Backend | null = null;
  /** Distinct live buffers referenced by handles. */
  numBuffers = 0;
  readonly scopes: Scope[] = [];
  listeners: OpListener[] = [];
  /** Installed graph hooks, innermost last; a `null` hook suspends graph building. */
  graphHooks: { readonly hook: GraphHook | null }[] = [];
  recordingPaused = 0;
  numTensors = 0;
  numBytes = 0;
  nextId = 0;
  checkLeaks = false;
  /** Handles created since the last registration pass (see `adopt`). */
  private pending: Held[] = [];
  private readonly flushPending = (): void => {
    const list = this.pending;
    this.pending = [];
    for (const h of list) {
      const t = h.tensor;
      h.tensor = null;
      if (t !== null && !h.released) {
        h.registered = true;
        this.finalizer.register(t, h, h);
      }
    }
  };
  private readonly finalizer: FinalizationRegistry<Held> = new FinalizationRegistry((h: Held) => {
    if (!h.released) {
      h.released = true;
      this.numTensors--;
      this.release(h.rec);
    }
  });

  requireBackend(fn: string): Backend {
    const b = this.backend;
    if (b === null) {
      throw new BackendError(
        `${fn}: no backend is set. Create one and set it first, for example ` +
          `\`import { createCpuBackend } from '@tessera/kernels-cpu'; setBackend(await createCpuBackend());\``,
      );
    }
    return b;
  }

  /**
   * The reference count of a buffer: a new record for a new buffer, or one more reference to
   * `shared` (the record of a live handle of the same buffer). Buffers are never looked up by
   * id: whoever wraps an existing buffer passes the record of a handle that holds it.
   */
  reference(dataId: DataId, backend: Backend, dtype: DType, size: number, shared: BufferRecord | null): BufferRecord {
    if (shared !== null) {
      shared.count++;
      return shared;
    }
    const bytes = size * bytesPerElement(dtype);
    this.numBuffers++;
    this.numBytes += bytes;
    return { count: 1, dataId, backend, bytes };
  }

  /** Drops one reference; the last one frees the backend buffer. */
  release(rec: BufferRecord): void {
    if (--rec.count === 0) {
      this.numBuffers--;
      this.numBytes -= rec.bytes;
      rec.backend.disposeData(rec.dataId);
    }
  }

  /**
   * Wraps a buffer in a new tensor handle, tracked by the innermost scope (unless `track` is
   * false). `shared` is the handle the buffer comes from when it is not a new buffer.
   */
  makeTensor(dataId: DataId, shape: Shape, dtype: DType, backend: Backend, track = true, shared: Tensor | null = null): Tensor {
    const t = new Tensor(dataId, shape, dtype, backend, this.nextId++);
    this.adopt(t, track, shared);
    return t;
  }

  /**
   * Registers a freshly constructed handle (a tensor or a variable): of a new buffer, or of the
   * buffer of the live handle `shared`.
   */
  adopt(t: Tensor, track: boolean, shared: Tensor | null): void {
    const rec = this.reference(t.dataId, t.backend, t.dtype, sizeOf(t.shape), shared === null ? null : liveRecord(shared));
    this.numTensors++;
    const h: Held = { rec, released: false, registered: false, tensor: null };
    t.held = h;
    const scope = track ? this.scopes[this.scopes.length - 1] : undefined;
    // A handle tracked by a scope is held by it (it cannot be collected) and disposed when the
    // scope ends, so only handles outside every scope need the finalization backstop; see
    // `endScope` for those that outlive their scopes.
    if (scope !== undefined) scope.tracked.push(t);
    else this.registerLater(t, h);
  }

  /**
   * Registers a handle with the finalization registry, deferred: registering (and unregistering
   * on dispose) is the largest cost of a small op, and most handles are disposed before the
   * program yields. Finalizers only run in later tasks anyway, so handles are registered in a
   * microtask (or once MAX_PENDING wait), and a handle disposed before then is never registered.
   */
  private registerLater(t: Tensor, h: Held): void {
    h.tensor = t;
    if (this.pending.push(h) === 1) queueMicrotask(this.flushPending);
    else if (this.pending.length >= MAX_PENDING) this.flushPending();
  }

  /** Points a handle (a variable) at the buffer of the live handle `value`, releasing its old one. */
  swapData(t: Tensor, value: Tensor): void {
    const h = t.held;
    if (h === undefined || h.released) throw new DisposedError('assign: the variable has been disposed');
    const dataId = value.dataId;
    const rec = this.reference(dataId, t.backend, t.dtype, sizeOf(t.shape), liveRecord(value));
    h.released = true;
    h.tensor = null;
    if (h.registered) this.finalizer.unregister(h);
    const nh: Held = { rec, released: false, registered: true, tensor: null };
    t.held = nh;
    this.finalizer.register(t, nh, nh);
    t.dataId = dataId;
    this.release(h.rec);
  }

  disposeTensor(t: Tensor): void {
    const h = t.held;
    if (h === undefined || h.released) return;
    h.released = true;
    h.tensor = null;
    if (h.registered) this.finalizer.unregister(h);
    this.numTensors--;
    this.release(h.rec);
  }

  isDisposed(t: Tensor): boolean {
    const h = t.held;
    return h === undefined || h.released;
  }

  /** Writes host values to the current backend (or a graph constant while building a graph). */
  fromValues(values: TypedArray, shape: Shape, dtype: DType, fn: string): Tensor {
    const hook = this.graphHooks[this.graphHooks.length - 1]?.hook;
    if (hook !== undefined && hook !== null) return hook.constant(values, shape, dtype);
    const backend = this.requireBackend(fn);
    checkDTypeSupported(backend, dtype, fn);
    return this.makeTensor(backend.write(values, shape, dtype), shape, dtype, backend);
  }

  /** Runs `fn` inside a new scope; disposes what it created except `keepResult`'s tensors. */
  startScope(): Scope {
    const s: Scope = { tracked: [] };
    this.scopes.push(s);
    return s;
  }

  endScope(scope: Scope, result: unknown): void {
    const idx = this.scopes.lastIndexOf(scope);
    if (idx < 0) throw new TesseraError('scope ended twice');
    this.scopes.splice(idx, 1);
    const keep = new Set<Tensor>();
    collectTensors(result, keep);
    const parent = this.scopes[idx - 1];
    for (const t of scope.tracked) {
      if (keep.has(t) && parent !== undefined) parent.tracked.push(t);
      else if (keep.has(t) || t.kept) {
        // it outlives every scope: from now on only the finalization backstop can free it
        const h = t.held;
        if (h !== undefined && !h.released && !h.registered && h.tensor === null) this.registerLater(t, h);
      } else {
        this.disposeTensor(t);
      }
    }
  }

  /** Dispatches an op: graph hook, fused or primitive kernel, or composition; then listeners. */
  runOp(def: OpDef, inputs: readonly Tensor[], attrs: Attrs): Tensor[] {
    const hook = this.graphHooks[this.graphHooks.length - 1]?.hook;
    if (hook !== undefined && hook !== null) return hook.buildOp(def, inputs, attrs);
    let backend: Backend | null = null;
    for (let i = 0; i < inputs.length; i++) {
      const t = inputs[i]!;
      if (t.isSymbolic) {
        throw new TesseraError(
          `${def.name}: input ${def.inputs[i] ?? i} is a symbolic graph tensor, but no graph is being built; ` +
            `run it with a Session, or build this op inside graph.asDefault(...)`,
        );
      }
      if (this.isDisposed(t)) {
        throw new DisposedError(
          `${def.name}: input ${def.inputs[i] ?? i} (tensor of shape ${formatShape(t.shape)}) has been disposed`,
        );
      }
      if (backend === null) backend = t.backend;
      else if (t.backend !== backend) {
        throw new BackendError(
          `${def.name}: inputs live on different backends (${backend.name} and ${t.backend.name}); ` +
            `move one explicitly with toBackend(tensor, backend)`,
        );
      }
    }
    backend ??= this.requireBackend(def.name);
    let kernel = backend.kernels[def.name];
    // A fused kernel for a composite runs as one recorded op; when a listener (a tape) would
    // rather see the composite's inner ops (it has no gradient rule for the composite), run the
    // composition instead so that gradients still flow.
    if (
      kernel !== undefined &&
      def.kind === 'composite' &&
      this.recordingPaused === 0 &&
      this.listeners.some((l) => l.recordsAsUnit?.(def.name) !== true)
    ) {
      kernel = undefined;
    }
    let outputs: Tensor[];
    if (def.kind === 'primitive' || kernel !== undefined) {
      if (def.kind === 'primitive' && def.resolveAttrs !== undefined) attrs = def.resolveAttrs(inputs, attrs);
      const specs = def.infer(inputs, attrs);
      for (let i = 0; i < specs.length; i++) {
        concreteSpec(specs[i]!, def.name);
        checkDTypeSupported(backend, specs[i]!.dtype, def.name);
      }
      const outSpecs = specs as OutputSpec[];
      let ids: readonly DataId[];
      // tensors carry dataId, shape and dtype: kernels see them as TensorInfo without a copy
      const infos: readonly TensorInfo[] = inputs;
      if (kernel !== undefined) {
        const before = this.checkLeaks ? backend.memory().numBuffers : 0;
        const r = kernel({ inputs: infos, attrs, outputs: outSpecs });
        ids = isDataIdArray(r) ? r : [r];
        if (this.checkLeaks) this.checkKernelLeak(backend, def.name, before, ids, infos);
      } else if (def.kind === 'primitive' && def.builtin !== undefined) {
        ids = def.builtin(
          infos.map((i) => i.dataId),
          outSpecs,
        );
      } else {
        throw new BackendError(
          `${def.name}: backend '${backend.name}' has no kernel for primitive op '${def.name}'; ` +
            `a backend must implement every op in requiredKernels()`,
        );
      }
      if (ids.length !== outSpecs.length) {
        throw new BackendError(
          `${def.name}: backend '${backend.name}' returned ${ids.length} outputs, expected ${outSpecs.length}`,
        );
      }
      outputs = new Array<Tensor>(outSpecs.length);
      for (let i = 0; i < outSpecs.length; i++) {
        // a kernel returns new buffers or its inputs' (a reshape may return its input's buffer)
        const id = ids[i]!;
        let shared: Tensor | null = null;
        for (let j = 0; j < inputs.length && shared === null; j++) if (inputs[j]!.dataId === id) shared = inputs[j]!;
        for (let j = 0; j < i && shared === null; j++) if (outputs[j]!.dataId === id) shared = outputs[j]!;
        const s = outSpecs[i]!;
        outputs[i] = this.makeTensor(id, s.shape, s.dtype, backend, true, shared);
      }
    } else {
      def.infer(inputs, attrs);
      const unit = this.listeners.some((l) => l.recordsAsUnit?.(def.name) === true);
      if (unit) this.recordingPaused++;
      const scope = this.startScope();
      let result: Tensor[] = [];
      try {
        result = def.compose(inputs, attrs);
      } finally {
        this.endScope(scope, result);
        if (unit) this.recordingPaused--;
      }
      outputs = result;
      if (!unit) return outputs;
    }
    if (this.recordingPaused === 0 && this.listeners.length > 0) {
      const rec: OpRecord = { op: def.name, inputs, outputs, attrs };
      for (const l of this.listeners) l.recordOp(rec);
    }
    return outputs;
  }

  private checkKernelLeak(
    backend: Backend,
    op: string,
    before: number,
    ids: readonly DataId[],
    inputs: readonly TensorInfo[],
  ): void {
    const fresh = new Set(ids.filter((id) => !inputs.some((i) => i.dataId === id)));
    const after = backend.memory().numBuffers;
    if (after !== before + fresh.size) {
      throw new BackendError(
        `${op}: backend '${backend.name}' leaked buffers: ${after - before} new buffers for ${fresh.size} new outputs`,
      );
    }
  }
}

/** The buffer record of a live handle. */
function liveRecord(t: Tensor): BufferRecord {
  const h = t.held;
  if (h === undefined || h.released) throw new DisposedError(`the tensor (shape ${formatShape(t.shape)}) has been disposed`);
  return h.rec;
}

function isDataIdArray(x: DataId | readonly DataId[]): x is readonly DataId[] {
  return Array.isArray(x);
}

function concreteSpec(s: TensorSpec, fn: string): OutputSpec {
  for (const d of s.shape) {
    if (d === null) throw new TesseraError(`${fn}: output shape ${formatShape(s.shape)} is not fully known`);
  }
  return s as OutputSpec;
}

/** @internal */
export function checkDTypeSupported(backend: Backend, dtype: DType, fn: string): void {
  if (!backend.capabilities.dtypes.includes(dtype)) {
    throw new BackendError(
      `${fn}: backend '${backend.name}' does not support dtype ${dtype} (it supports ${backend.capabilities.dtypes.join(', ')})`,
    );
  }
}

/** Collects every tensor reachable in `x` (tensors, arrays, plain objects, Maps). @internal */
export function collectTensors(x: unknown, out: Set<Tensor>): void {
  if (x instanceof Tensor) out.add(x);
  else if (Array.isArray(x)) for (const e of x) collectTensors(e, out);
  else if (x instanceof Map) for (const e of x.values()) collectTensors(e, out);
  else if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    for (const e of Object.values(x)) collectTensors(e, out);
  }
}

/** The engine instance. @internal */
export const ENGINE: Engine = new Engine();

/**
 * Sets the backend that new tensors are created on and that ops with no tensor inputs use.
 *
 * @example
 * ```ts
 * import { createCpuBackend } from '@tessera/kernels-cpu';
 * setBackend(await createCpuBackend());
 * ```
 */
export function setBackend(backend: Backend): void {
  if (backend === null || typeof backend !== 'object' || backend.specificationVersion !== 1) {
    throw new BackendError(
      `setBackend: expected a backend implementing specification version 1, got ${String(
        (backend as { specificationVersion?: unknown } | null)?.specificationVersion,
      )}`,
    );
  }
  ENGINE.backend = backend;
}

/**
 * The current backend. Throws a {@link BackendError} when none is set.
 *
 * @example
 * ```ts
 * getBackend().name; // 'cpu'
 * ```
 */
export function getBackend(): Backend {
  return ENGINE.requireBackend('getBackend');
}

/**
 * Registers a listener that sees every eager op; returns a function that removes it.
 * Autograd's tapes use this hook.
 *
 * @example
 * ```ts
 * const stop = addOpListener({ recordOp: (r) => console.log(r.op) });
 * stop();
 * ```
 */
export function addOpListener(listener: OpListener): () => void {
  ENGINE.listeners = [...ENGINE.listeners, listener];
  return () => {
    ENGINE.listeners = ENGINE.listeners.filter((l) => l !== listener);
  };
}

/**
 * Runs `fn` with op recording paused: listeners (tapes) do not see its ops.
 *
 * @example
 * ```ts
 * const y = withoutRecording(() => exp(x)); // not on any tape
 * ```
 */
export function withoutRecording<T>(fn: () => T): T {
  ENGINE.recordingPaused++;
  try {
    return fn();
  } finally {
    ENGINE.recordingPaused--;
  }
}

/**
 * Installs a graph hook: until the returned function is called, ops build symbolic nodes.
 * `null` suspends the hooks installed before it (ops run eagerly again; a graph session runs
 * its kernels this way). Used by `@tessera/graph`.
 *
 * @example
 * ```ts
 * const restore = setGraphHook(builder);
 * try { buildModel(); } finally { restore(); }
 * ```
 */
export function setGraphHook(hook: GraphHook | null): () => void {
  const entry = { hook };
  ENGINE.graphHooks.push(entry);
  return () => {
    const i = ENGINE.graphHooks.lastIndexOf(entry);
    if (i >= 0) ENGINE.graphHooks.splice(i, 1);
  };
}

/**
 * The graph hook in effect, if a graph is being built.
 *
 * @example
 * ```ts
 * if (activeGraphHook() !== undefined) console.log('building a graph');
 * ```
 */
export function activeGraphHook(): GraphHook | undefined {
  return ENGINE.graphHooks[ENGINE.graphHooks.length - 1]?.hook ?? undefined;
}

/**
 * Runs an op by definition: the single entry point of every op (used by core's op functions,
 * by autograd and by graph sessions).
 *
 * @example
 * ```ts
 * const [y] = runOp(getOp('exp')!, [x], {});
 * ```
 */
export function runOp(def: OpDef, inputs: readonly Tensor[], attrs: Attrs = {}): Tensor[] {
  return ENGINE.runOp(def, inputs, attrs);
}

/**
 * Turns on a check after every kernel that the backend allocated exactly one buffer per new
 * output (the conformance kit enables it). Returns the previous setting.
 *
 * @example
 * ```ts
 * setKernelLeakCheck(true);
 * ```
 */
export function setKernelLeakCheck(on: boolean): boolean {
  const prev = ENGINE.checkLeaks;
  ENGINE.checkLeaks = on;
  return prev;
}

/**
 * Reports live tensors and bytes.
 *
 * @example
 * ```ts
 * const before = memory().numTensors;
 * tidy(() => ones([3]).add(1));
 * memory().numTensors === before; // true
 * ```
 */
export function memory(): MemoryInfo {
  const b = ENGINE.backend;
  return {
    numTensors: ENGINE.numTensors,
    numDataBuffers: ENGINE.numBuffers,
    numBytes: ENGINE.numBytes,
    ...(b !== null ? { backend: b.memory() } : {}),
  };
}

/**
 * Copies a tensor to another backend explicitly (tensors never move silently).
 *
 * @example
 * ```ts
 * const onGpu = await toBackend(cpuTensor, gpuBackend);
 * ```
 */
export async function toBackend(t: Tensor, backend: Backend): Promise<Tensor> {
  if (ENGINE.isDisposed(t)) throw new DisposedError('toBackend: the tensor has been disposed');
  const values = await t.backend.read(t.dataId);
  checkDTypeSupported(backend, t.dtype, 'toBackend');
  return ENGINE.makeTensor(backend.write(values, t.shape, t.dtype), t.shape, t.dtype, backend);
}

/** @internal */
export function sizeOfShape(shape: Shape): number {
  return sizeOf(shape);
}
