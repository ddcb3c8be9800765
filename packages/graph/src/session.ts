/**
 * `Session`: runs a graph on a backend. A run executes only the nodes its fetches need, from a
 * plan cached per (fetches, feeds) signature; each node runs once; intermediate buffers are
 * freed after their last consumer; variables keep their values in the session between runs.
 *
 * @module
 */
import {
  BackendError,
  DisposedError,
  DTypeError,
  formatShape,
  getBackend,
  identity,
  add,
  keep,
  retain,
  runOp,
  scope,
  setBackend,
  setGraphHook,
  shapesEqual,
  ShapeError,
  tensor,
  tidy,
  ValueError,
  zerosLike,
  type Backend,
  type DType,
  Tensor,
  type NestedArray,
  type TypedArray,
} from '@tessera/core';
import { GraphError, MissingFeedError, SessionClosedError, UninitializedVariableError } from './errors.js';
import { Graph } from './graph.js';
import type { Ctx, GraphNode } from './node.js';
import { GraphVariable, Operation, SymbolicTensor } from './symbolic.js';

/**
 * What `session.run` accepts as fetches: a graph tensor or variable, an operation, a tensor
 * name, or arrays and plain objects of them.
 *
 * @example
 * ```ts
 * const f: Fetches = { loss, train: trainOp, grads: [dw, db] };
 * ```
 */
export type Fetches = Tensor | string | readonly Fetches[] | { readonly [key: string]: Fetches };

/**
 * The result of `session.run(fetches)`: the same structure, with each tensor replaced by an
 * eager tensor on the session's backend and each operation by `undefined`.
 *
 * @example
 * ```ts
 * const [, loss]: FetchResult<readonly [Operation, Tensor]> = session.run([train, lossT] as const, feeds);
 * ```
 */
export type FetchResult<F> = F extends Operation
  ? undefined
  : F extends Tensor
    ? Tensor
    : F extends string
      ? Tensor | undefined
      : F extends readonly unknown[]
        ? { -readonly [K in keyof F]: FetchResult<F[K]> }
        : F extends object
          ? { -readonly [K in keyof F]: FetchResult<F[K]> }
          : never;

/**
 * A value fed to a placeholder: an eager tensor (same dtype, on the session's backend), a
 * number or boolean, a nested array, or a typed array (of the placeholder's dtype; it is
 * reshaped to the placeholder's shape).
 *
 * @example
 * ```ts
 * const v: FeedValue = [[1, 2], [3, 4]];
 * ```
 */
export type FeedValue = Tensor | number | boolean | TypedArray | NestedArray;

/**
 * Feeds: a `Map` or an array of `[placeholder, value]` pairs, or an object keyed by
 * placeholder name. Keys may be any graph tensor (or its name): feeding a tensor replaces its
 * value and skips what computes it.
 *
 * @example
 * ```ts
 * const a: Feeds = { x: [[5]] };
 * const b: Feeds = [[x, [[5]]], [y, [[1]]]];
 * const c: Feeds = new Map([[x, [[5]]]]);
 * ```
 */
export type Feeds =
  | ReadonlyMap<Tensor | string, FeedValue>
  | readonly (readonly [Tensor | string, FeedValue])[]
  | { readonly [name: string]: FeedValue };

/**
 * Options of the {@link Session} constructor.
 *
 * @example
 * ```ts
 * const o: SessionOptions = { backend: await createCpuBackend() };
 * ```
 */
export interface SessionOptions {
  /** The backend to run on (default: the current backend, `getBackend()`). */
  readonly backend?: Backend;
}

/** The value bound to an operation's output. */
const NO_VALUE: unique symbol = Symbol('no value');
type Value = Tensor | typeof NO_VALUE;

/** An execution plan: the nodes to run in order, and what to free after each. */
interface Plan {
  readonly steps: readonly GraphNode[];
  readonly frees: readonly (readonly SymbolicTensor[])[];
}

class Env {
  readonly vals: Map<SymbolicTensor, Value> = new Map();
  readonly owned: Set<Tensor> = new Set();
  constructor(readonly parent: Env | null) {}

  lookup(t: SymbolicTensor): Value {
    for (let e: Env | null = this; e !== null; e = e.parent) {
      const v = e.vals.get(t);
      if (v !== undefined) return v;
    }
    throw new GraphError(`Session.run: internal error: no value for '${t.name}'`);
  }

  tensor(t: SymbolicTensor): Tensor {
    const v = this.lookup(t);
    if (v === NO_VALUE) throw new GraphError(`Session.run: '${t.name}' is an operation and has no value`);
    return v;
  }

  set(t: SymbolicTensor, v: Value, owned: boolean): void {
    this.vals.set(t, v);
    if (owned && v !== NO_VALUE) this.owned.add(v);
  }

  free(t: SymbolicTensor): void {
    const v = this.vals.get(t);
    if (v === undefined) return;
    this.vals.delete(t);
    if (v !== NO_VALUE && this.owned.delete(v)) v.dispose();
  }

  /** Takes `t`'s value out for the caller: the handle itself if this env owns it, else a new one. */
  take(t: SymbolicTensor): Value {
    const v = this.lookup(t);
    if (v === NO_VALUE) return v;
    if (this.vals.get(t) === v && this.owned.delete(v)) {
      this.vals.delete(t);
      return v;
    }
    return identity(v);
  }

  disposeAll(): void {
    for (const v of this.owned) v.dispose();
    this.owned.clear();
    this.vals.clear();
  }
}

interface RunState {
  readonly session: Session;
  readonly loopStacks: Map<GraphNode, Tensor[][]>;
}

type Exec<T> = Generator<Tensor, T, boolean>;

/** Builds the plan that computes `targets` (and runs `targetNodes`) in `scope`. */
function buildPlan(
  scopeCtx: Ctx,
  targets: readonly SymbolicTensor[],
  targetNodes: readonly GraphNode[],
  fed: ReadonlySet<SymbolicTensor>,
  isRoot: boolean,
): Plan {
  const inScope = (n: GraphNode): boolean => n.ctx === scopeCtx || scopeCtx.remat.includes(n.ctx);
  const needed = new Set<GraphNode>();
  const stack: GraphNode[] = [];
  const push = (n: GraphNode): void => {
    if (!needed.has(n) && inScope(n)) {
      needed.add(n);
      stack.push(n);
    }
  };
  const pushT = (t: SymbolicTensor): void => {
    if (!fed.has(t)) push(t.node);
  };
  for (const t of targets) pushT(t);
  for (const n of targetNodes) push(n);
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.kind === 'placeholder' && n.inputs.length === 0) {
      const t = n.outputs[0]!;
      if (isRoot) {
        throw new MissingFeedError(
          `Session.run: placeholder '${t.name}' (${t.dtype} ${formatShape(t.partialShape)}) is needed but was not fed; ` +
            `pass it in feeds, e.g. session.run(fetches, { '${t.name}': value })`,
          t.name,
        );
      }
      throw new GraphError(`Session.run: internal error: placeholder '${t.name}' inside a sub-graph`);
    }
    if (n.kind === 'loopVar') continue;
    for (const t of n.inputs) pushT(t);
    for (const t of n.control) pushT(t);
  }
  const steps = [...needed].filter((n) => n.kind !== 'loopVar').sort((a, b) => a.id - b.id);
  const lastUse = new Map<SymbolicTensor, number>();
  steps.forEach((n, i) => {
    for (const t of n.inputs) lastUse.set(t, i);
  });
  for (const t of targets) lastUse.set(t, Number.POSITIVE_INFINITY);
  const frees: SymbolicTensor[][] = steps.map(() => []);
  steps.forEach((n, i) => {
    for (const o of n.outputs) if (!lastUse.has(o)) frees[i]!.push(o);
  });
  for (const [t, i] of lastUse) if (Number.isFinite(i)) frees[i]!.push(t);
  return { steps, frees };
}

/** Nodes of a sub-context that run even when nothing uses their value (assignments). */
function statefulNodes(ctx: Ctx): GraphNode[] {
  return ctx.nodes.filter((n) => n.kind === 'assign' || n.kind === 'group');
}

function subPlan(ctx: Ctx): Plan {
  if (ctx.plan === undefined) ctx.plan = buildPlan(ctx, ctx.outputs, statefulNodes(ctx), new Set(), false);
  return ctx.plan as Plan;
}

function readScalarSync(t: Tensor): boolean {
  if (!t.backend.capabilities.syncRead || t.backend.readSync === undefined) {
    throw new BackendError(
      `Session.run: backend '${t.backend.name}' reads asynchronously, and this run must read a cond / whileLoop predicate; use await session.runAsync(...)`,
    );
  }
  return t.dataSync()[0] !== 0;
}

function driveSync<T>(gen: Exec<T>): T {
  let r = gen.next();
  while (r.done !== true) r = gen.next(readScalarSync(r.value));
  return r.value;
}

async function driveAsync<T>(gen: Exec<T>): Promise<T> {
  let r = gen.next();
  while (r.done !== true) {
    const v = await r.value.data();
    r = gen.next(v[0] !== 0);
  }
  return r.value;
}

function tryGetBackend(): Backend | null {
  try {
    return getBackend();
  } catch {
    return null;
  }
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype;
}

type Leaf = { readonly kind: 'tensor'; readonly t: SymbolicTensor } | { readonly kind: 'var'; readonly v: GraphVariable };

/**
 * Runs a {@link Graph} on a backend. Variables get their values in the session (each session
 * has its own), so run the initializer first. `run` is synchronous on backends with synchronous
 * reads (the CPU backend); `runAsync` works on every backend.
 *
 * @example
 * ```ts
 * const s = new Session(g, { backend: await createCpuBackend() });
 * s.run(globalVariablesInitializer(g));
 * const [, lossValue] = s.run([trainOp, loss], { x: xs, y: ys });
 * s.close();
 * ```
 */
export class Session {
  /** The graph this session runs. */
  readonly graph: Graph;
  /** The backend it runs on. */
  readonly backend: Backend;
  private readonly consts: Map<GraphNode, Tensor> = new Map();
  private readonly vars: Map<GraphVariable, Tensor> = new Map();
  private readonly plans: Map<string, { plan: Plan; leaves: readonly Leaf[] }> = new Map();
  private isClosed = false;

  /**
   * Creates a session for `graph` on `options.backend` (default: the current backend).
   *
   * @example
   * ```ts
   * const s = new Session(g); // uses getBackend()
   * ```
   */
  constructor(graph: Graph, options: SessionOptions = {}) {
    if (!(graph instanceof Graph)) {
      throw new ValueError('Session: expected a Graph');
    }
    this.graph = graph;
    const b = options.backend ?? tryGetBackend();
    if (b === null) {
      throw new BackendError(
        'Session: no backend is set; pass { backend } or call setBackend(await createCpuBackend()) first',
      );
    }
    this.backend = b;
  }

  /** Whether {@link Session.close} has been called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Runs the nodes that `fetches` need, with `feeds` as placeholder values, and returns the
   * fetched values in the structure of `fetches`: each tensor as an eager tensor on the
   * session's backend (the caller owns it: dispose it), each operation as `undefined`. A fetched
   * variable gives its value at the end of the run.
   *
   * @example
   * ```ts
   * const [r1, r2] = s.run([result1, result2], { x1: [[5]], x2: [[-5]] });
   * r1.arraySync(); // [[5]]
   * ```
   */
  run<const F extends Fetches>(fetches: F, feeds?: Feeds): FetchResult<F> {
    const job = this.prepare(fetches, feeds);
    return this.within(() => tidy(() => job.finish(driveSync(this.execRoot(job))))) as FetchResult<F>;
  }

  /**
   * {@link Session.run} for every backend, including those that read asynchronously (WebGPU):
   * `cond` and `whileLoop` predicates are awaited. While it runs, the session's backend is the
   * current backend.
   *
   * @example
   * ```ts
   * const loss = await s.runAsync(lossT, { x: batch });
   * ```
   */
  runAsync<const F extends Fetches>(fetches: F, feeds?: Feeds): Promise<FetchResult<F>> {
    return this.runAsyncImpl(fetches, feeds) as Promise<never>;
  }

  private async runAsyncImpl(fetches: Fetches, feeds: Feeds | undefined): Promise<unknown> {
    const job = this.prepare(fetches, feeds);
    const prevBackend = tryGetBackend();
    setBackend(this.backend);
    const restore = setGraphHook(null);
    try {
      return await scope(async () => job.finish(await driveAsync(this.execRoot(job))));
    } finally {
      restore();
      if (prevBackend !== null) setBackend(prevBackend);
    }
  }

  /**
   * Frees everything the session holds (variable values, constants, plans). Idempotent; using
   * the session afterwards throws {@link SessionClosedError}.
   *
   * @example
   * ```ts
   * s.close();
   * ```
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const t of this.consts.values()) t.dispose();
    for (const t of this.vars.values()) t.dispose();
    this.consts.clear();
    this.vars.clear();
    this.plans.clear();
  }

  /** Closes the session at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.close();
  }

  // ---- internals --------------------------------------------------------------------------

  private checkOpen(fn: string): void {
    if (this.isClosed) throw new SessionClosedError(`${fn}: the session is closed`);
  }

  private within<T>(fn: () => T): T {
    const prevBackend = tryGetBackend();
    setBackend(this.backend);
    const restore = setGraphHook(null);
    try {
      return fn();
    } finally {
      restore();
      if (prevBackend !== null) setBackend(prevBackend);
    }
  }

  private prepare(fetches: Fetches, feeds: Feeds | undefined): RunJob {
    const fn = 'Session.run';
    this.checkOpen(fn);
    const leaves: Leaf[] = [];
    const shape = this.flattenFetches(fetches, leaves, '', fn);
    const feedPairs = this.parseFeeds(feeds, fn);
    const fed = new Set(feedPairs.map(([t]) => t));
    const key =
      leaves.map((l) => (l.kind === 'var' ? `v${l.v.node.id}` : `${l.t.node.id}:${l.t.index}`)).join(',') +
      '|' +
      [...fed].map((t) => `${t.node.id}:${t.index}`).sort().join(',');
    let cached = this.plans.get(key);
    if (cached === undefined) {
      const targets = leaves.flatMap((l) => (l.kind === 'tensor' ? [l.t] : []));
      cached = { plan: buildPlan(this.graph.root, targets, [], fed, true), leaves };
      this.plans.set(key, cached);
    }
    return new RunJob(this, cached.plan, leaves, feedPairs, shape);
  }

  private flattenFetches(f: unknown, leaves: Leaf[], path: string, fn: string): unknown {
    const where = path === '' ? 'the fetch' : `fetch ${path}`;
    if (typeof f === 'string') {
      const t = this.graph.get(f);
      if (t === undefined) throw new GraphError(`${fn}: ${where}: the graph has no tensor or variable named '${f}'`);
      return this.flattenFetches(t, leaves, path, fn);
    }
    if (f instanceof GraphVariable) {
      if (f.graph !== this.graph) throw new GraphError(`${fn}: ${where} ('${f.name}') is a variable of another graph`);
      if (f.assignNode !== undefined) leaves.push({ kind: 'tensor', t: f.assignNode.outputs[0]! });
      else leaves.push({ kind: 'var', v: f });
      return { leaf: leaves.length - 1 };
    }
    if (f instanceof SymbolicTensor) {
      if (f.graph !== this.graph) throw new GraphError(`${fn}: ${where} ('${f.name}') is a tensor of another graph; run it with a session of its own graph`);
      if (f.node.ctx !== this.graph.root) {
        throw new GraphError(`${fn}: ${where} ('${f.name}') was created inside ${f.node.ctx.label} and cannot be fetched; return it from the branch`);
      }
      leaves.push({ kind: 'tensor', t: f });
      return { leaf: leaves.length - 1, op: f instanceof Operation };
    }
    if (f instanceof Tensor) {
      throw new GraphError(`${fn}: ${where} is an eager tensor, not a tensor of this graph; fetch graph tensors only`);
    }
    if (Array.isArray(f)) return f.map((e, i) => this.flattenFetches(e, leaves, `${path}[${i}]`, fn));
    if (isPlainObject(f)) {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(f)) o[k] = this.flattenFetches(f[k], leaves, path === '' ? k : `${path}.${k}`, fn);
      return { obj: o };
    }
    throw new ValueError(
      `${fn}: ${where} is ${f === null ? 'null' : typeof f}; fetch graph tensors, operations, names, or arrays / objects of them`,
    );
  }

  private parseFeeds(feeds: Feeds | undefined, fn: string): [SymbolicTensor, unknown][] {
    if (feeds === undefined || feeds === null) return [];
    let entries: [unknown, unknown][];
    if (feeds instanceof Map) entries = [...feeds.entries()];
    else if (Array.isArray(feeds)) {
      entries = feeds.map((p, i) => {
        if (!Array.isArray(p) || p.length !== 2) throw new ValueError(`${fn}: feeds[${i}] must be a [placeholder, value] pair`);
        return [p[0], p[1]];
      });
    } else if (isPlainObject(feeds)) entries = Object.entries(feeds);
    else throw new ValueError(`${fn}: feeds must be a Map, an array of [placeholder, value] pairs, or an object keyed by placeholder name`);
    const out: [SymbolicTensor, unknown][] = [];
    const seen = new Set<SymbolicTensor>();
    for (const [k, v] of entries) {
      let t: unknown = k;
      if (typeof k === 'string') {
        t = this.graph.get(k);
        if (t === undefined) {
          const names = this.graph.placeholders().map((p) => p.name);
          throw new GraphError(
            `${fn}: feeds name '${k}', but the graph has no tensor of that name (placeholders: ${names.length > 0 ? names.join(', ') : 'none'})`,
          );
        }
      }
      if (t instanceof GraphVariable) {
        throw new GraphError(`${fn}: cannot feed variable '${t.name}'; feed a placeholder, or assign the variable`);
      }
      if (t instanceof Operation) throw new GraphError(`${fn}: cannot feed operation '${t.name}'`);
      if (!(t instanceof SymbolicTensor)) {
        throw new GraphError(`${fn}: a feeds key is ${t instanceof Tensor ? 'an eager tensor' : typeof t}; use placeholders (or their names)`);
      }
      if (t.graph !== this.graph) throw new GraphError(`${fn}: feeds placeholder '${t.name}' of another graph`);
      if (t.node.ctx !== this.graph.root) throw new GraphError(`${fn}: cannot feed '${t.name}', which is inside ${t.node.ctx.label}`);
      if (seen.has(t)) throw new ValueError(`${fn}: '${t.name}' is fed twice`);
      seen.add(t);
      out.push([t, v]);
    }
    return out;
  }

  /** Converts a feed value to an eager tensor checked against `t`. */
  private feedTensor(t: SymbolicTensor, value: unknown, fn: string): { tensor: Tensor; owned: boolean } {
    const what = `the value fed to '${t.name}'`;
    const want = t.partialShape;
    const checkShapeOf = (shape: readonly number[]): void => {
      if (shape.length !== want.length || !shapesEqual(shape, want, true)) {
        throw new ShapeError(`${fn}: ${what} has shape ${formatShape(shape)}, but '${t.name}' has shape ${formatShape(want)}`);
      }
    };
    if (value instanceof Tensor) {
      if (value.isSymbolic) throw new GraphError(`${fn}: ${what} is a symbolic tensor; feed values (eager tensors, numbers, arrays)`);
      if (value.isDisposed) throw new DisposedError(`${fn}: ${what} has been disposed`);
      if (value.dtype !== t.dtype) throw new DTypeError(`${fn}: ${what} has dtype ${value.dtype}, but '${t.name}' has dtype ${t.dtype}`);
      if (value.backend !== this.backend) {
        throw new BackendError(
          `${fn}: ${what} lives on backend '${value.backend.name}', but the session runs on '${this.backend.name}'; move it with toBackend()`,
        );
      }
      checkShapeOf(value.shape);
      return { tensor: value, owned: false };
    }
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      const dt: DType | undefined =
        value instanceof Float32Array ? 'float32' : value instanceof Float64Array ? 'float64' : value instanceof Int32Array ? 'int32' : value instanceof Uint8Array ? 'bool' : undefined;
      if (dt !== t.dtype) {
        throw new DTypeError(
          `${fn}: ${what} is a ${value.constructor.name}, but '${t.name}' has dtype ${t.dtype} (feed a ${typedArrayName(t.dtype)} or a nested array)`,
        );
      }
      const n = (value as TypedArray).length;
      const unknown = want.filter((d) => d === null).length;
      const known = want.reduce<number>((a, d) => a * (d ?? 1), 1);
      let shape: number[];
      if (unknown === 0) shape = want as number[];
      else if (unknown === 1 && known > 0 && n % known === 0) shape = want.map((d) => d ?? n / known);
      else {
        throw new ShapeError(`${fn}: cannot infer the shape of a flat typed array fed to '${t.name}' (shape ${formatShape(want)}); feed a tensor or a nested array`);
      }
      if (shape.reduce((a, d) => a * d, 1) !== n) {
        throw new ShapeError(`${fn}: ${what} has ${n} elements, but '${t.name}' has shape ${formatShape(want)}`);
      }
      return { tensor: tensor(value as TypedArray, shape, t.dtype), owned: true };
    }
    if (typeof value === 'number' || typeof value === 'boolean' || Array.isArray(value)) {
      const { shape, flat, kind } = parseNested(value, fn, what);
      checkShapeOf(shape);
      if (t.dtype === 'bool' && kind === 'number') throw new DTypeError(`${fn}: ${what} holds numbers, but '${t.name}' is bool; feed booleans`);
      if (t.dtype !== 'bool' && kind === 'boolean') throw new DTypeError(`${fn}: ${what} holds booleans, but '${t.name}' has dtype ${t.dtype}`);
      if (t.dtype === 'int32') {
        for (const x of flat) {
          if (typeof x !== 'number' || !Number.isInteger(x) || x < -2147483648 || x > 2147483647) {
            throw new DTypeError(`${fn}: ${what} holds ${String(x)}, which is not an int32, but '${t.name}' has dtype int32`);
          }
        }
      }
      return { tensor: tensor(flat as number[], shape, t.dtype), owned: true };
    }
    throw new ValueError(
      `${fn}: ${what} is ${value === null ? 'null' : typeof value}; feed a tensor, a number, a boolean, a nested array or a typed array`,
    );
  }

  /** The session's tensor for a constant node (created once). */
  private constantValue(n: GraphNode): Tensor {
    let t = this.consts.get(n);
    if (t !== undefined) return t;
    const o = n.outputs[0]!;
    if (n.values !== undefined) t = keep(tensor(n.values, o.partialShape as number[], o.dtype));
    else {
      const e = n.eager!;
      if (e.isDisposed) throw new DisposedError(`Session.run: the eager tensor behind constant '${n.name}' has been disposed`);
      if (e.backend === this.backend) t = retain(e);
      else if (e.backend.capabilities.syncRead) t = keep(tensor(e.dataSync(), e.shape, e.dtype));
      else {
        throw new BackendError(
          `Session.run: constant '${n.name}' holds a tensor of backend '${e.backend.name}', which cannot be read synchronously; create it from host values`,
        );
      }
    }
    this.consts.set(n, t);
    return t;
  }

  /** The current value of a variable. */
  private readVariable(v: GraphVariable): Tensor {
    const t = this.vars.get(v);
    if (t === undefined) {
      throw new UninitializedVariableError(
        `Session.run: variable '${v.name}' is not initialized in this session; run globalVariablesInitializer() (or the variable's initializer) first`,
        v.name,
      );
    }
    return t;
  }

  /** Sets a variable's value. */
  private writeVariable(v: GraphVariable, value: Tensor): void {
    if (!shapesEqual(value.shape, v.shape)) {
      throw new ShapeError(`assign: variable '${v.name}' has shape ${formatShape(v.shape)}, the value has ${formatShape(value.shape)}`);
    }
    const old = this.vars.get(v);
    this.vars.set(v, retain(value));
    old?.dispose();
  }

  /** Runs a root plan: binds feeds, runs the steps, collects the fetches. */
  private *execRoot(job: RunJob): Exec<Value[]> {
    const rs: RunState = { session: this, loopStacks: new Map() };
    const env = new Env(null);
    try {
      for (const [t, v] of job.feeds) {
        const f = this.feedTensor(t, v, 'Session.run');
        env.set(t, f.tensor, f.owned);
      }
      yield* this.execSteps(job.plan, env, rs);
      const given = new Map<SymbolicTensor, Value>();
      return job.leaves.map((l) => {
        if (l.kind === 'var') return identity(this.readVariable(l.v));
        if (l.t instanceof Operation) return NO_VALUE;
        const prev = given.get(l.t);
        if (prev !== undefined) return prev === NO_VALUE ? prev : identity(prev);
        const v = env.take(l.t);
        given.set(l.t, v);
        return v;
      });
    } finally {
      env.disposeAll();
      for (const stack of rs.loopStacks.values()) for (const it of stack) for (const t of it) t.dispose();
    }
  }

  private *execSteps(plan: Plan, env: Env, rs: RunState): Exec<void> {
    for (let i = 0; i < plan.steps.length; i++) {
      yield* this.execNode(plan.steps[i]!, env, rs);
      for (const t of plan.frees[i]!) env.free(t);
    }
  }

  private *execCtx(ctx: Ctx, parent: Env, rs: RunState, bindings: readonly (readonly [SymbolicTensor, Tensor])[]): Exec<Value[]> {
    const plan = subPlan(ctx);
    const env = new Env(parent);
    try {
      for (const [t, v] of bindings) env.set(t, v, false);
      yield* this.execSteps(plan, env, rs);
      return ctx.outputs.map((t) => env.take(t));
    } finally {
      env.disposeAll();
    }
  }

  private *execNode(n: GraphNode, env: Env, rs: RunState): Exec<void> {
    switch (n.kind) {
      case 'op': {
        const ins = n.inputs.map((t) => env.tensor(t));
        const outs = runOp(n.def!, ins, n.attrs);
        if (outs.length !== n.outputs.length) {
          throw new GraphError(`Session.run: op '${n.name}' returned ${outs.length} outputs, expected ${n.outputs.length}`);
        }
        const used = new Set<Tensor>(ins);
        n.outputs.forEach((o, k) => {
          let v = outs[k]!;
          if (used.has(v)) v = identity(v);
          used.add(v);
          checkRuntimeShape(o, v);
          env.set(o, v, true);
        });
        return;
      }
      case 'const':
        env.set(n.outputs[0]!, this.constantValue(n), false);
        return;
      case 'placeholder': {
        const v = env.tensor(n.inputs[0]!);
        checkRuntimeShape(n.outputs[0]!, v);
        env.set(n.outputs[0]!, identity(v), true);
        return;
      }
      case 'read':
        env.set(n.outputs[0]!, identity(this.readVariable(n.variable!)), true);
        return;
      case 'variable':
        return;
      case 'assign': {
        const v = env.tensor(n.inputs[0]!);
        this.writeVariable(n.variable!, v);
        env.set(n.outputs[0]!, identity(v), true);
        return;
      }
      case 'group':
        env.set(n.outputs[0]!, NO_VALUE, false);
        return;
      case 'cond': {
        const data = n.cond!;
        const taken: boolean = yield env.tensor(n.inputs[0]!);
        const outs = yield* this.execCtx(taken ? data.trueCtx : data.falseCtx, env, rs, []);
        n.outputs.forEach((o, k) => {
          const v = outs[k];
          if (o instanceof Operation || v === undefined || v === NO_VALUE) {
            if (v !== undefined && v !== NO_VALUE) v.dispose();
            env.set(o, NO_VALUE, false);
          } else env.set(o, v, true);
        });
        return;
      }
      case 'while':
        yield* this.execWhile(n, env, rs);
        return;
      case 'whileGrad':
        yield* this.execWhileGrad(n, env, rs);
        return;
      case 'loopVar':
        throw new GraphError(`Session.run: internal error: loop variable '${n.name}' is not bound`);
    }
  }

  private *execWhile(n: GraphNode, env: Env, rs: RunState): Exec<void> {
    const loop = n.loop!;
    const { condCtx, bodyCtx, numVars, maximumIterations: max } = loop;
    let vars: Tensor[] = n.inputs.slice(0, numVars).map((t) => identity(env.tensor(t)));
    const stack: Tensor[][] = [];
    try {
      for (let it = 0; max === undefined || it < max; it++) {
        const [p] = yield* this.execCtx(condCtx, env, rs, condCtx.loopVars.map((t, k) => [t, vars[k]!] as const));
        const pt = p as Tensor;
        let go: boolean;
        try {
          go = yield pt;
        } finally {
          pt.dispose();
        }
        if (!go) break;
        const next = (yield* this.execCtx(bodyCtx, env, rs, bodyCtx.loopVars.map((t, k) => [t, vars[k]!] as const))) as Tensor[];
        next.forEach((v, k) => checkRuntimeShape(bodyCtx.loopVars[k]!, v));
        if (loop.record) stack.push(vars);
        else for (const v of vars) v.dispose();
        vars = next;
      }
    } catch (e) {
      for (const v of vars) v.dispose();
      for (const s of stack) for (const v of s) v.dispose();
      throw e;
    }
    if (loop.record) {
      const old = rs.loopStacks.get(n);
      if (old !== undefined) for (const s of old) for (const v of s) v.dispose();
      rs.loopStacks.set(n, stack);
    }
    n.outputs.forEach((o, k) => env.set(o, vars[k]!, true));
  }

  private *execWhileGrad(n: GraphNode, env: Env, rs: RunState): Exec<void> {
    const data = n.whileGrad!;
    const fwd = data.forward;
    const body = fwd.loop!.bodyCtx;
    const numVars = fwd.loop!.numVars;
    const nf = data.floatVars.length;
    const stack = rs.loopStacks.get(fwd);
    if (stack === undefined) throw new GraphError(`Session.run: internal error: whileLoop '${fwd.name}' did not record its iterations`);
    let dv: Tensor[] = n.inputs.slice(numVars, numVars + nf).map((t) => identity(env.tensor(t)));
    const acc: (Tensor | null)[] = data.captures.map(() => null);
    try {
      for (let i = stack.length - 1; i >= 0; i--) {
        const it = stack[i]!;
        const bindings = [
          ...body.loopVars.map((t, k) => [t, it[k]!] as const),
          ...data.ctx.loopVars.map((t, j) => [t, dv[j]!] as const),
        ];
        const outs = (yield* this.execCtx(data.ctx, env, rs, bindings)) as Tensor[];
        for (const v of dv) v.dispose();
        dv = outs.slice(0, nf);
        outs.slice(nf).forEach((g, j) => {
          const a = acc[j];
          if (a === null || a === undefined) acc[j] = g;
          else {
            acc[j] = add(a, g);
            a.dispose();
            g.dispose();
          }
        });
      }
    } catch (e) {
      for (const v of dv) v.dispose();
      for (const a of acc) a?.dispose();
      throw e;
    }
    n.outputs.forEach((o, k) => {
      if (k < nf) env.set(o, dv[k]!, true);
      else {
        const j = k - nf;
        env.set(o, acc[j] ?? zerosLike(env.tensor(data.captures[j]!)), true);
      }
    });
  }
}

/** Throws when a run produced a value whose shape contradicts the graph's static shape. */
function checkRuntimeShape(t: SymbolicTensor, v: Tensor): void {
  const want = t.partialShape;
  if (v.shape.length !== want.length || !shapesEqual(v.shape, want, true)) {
    throw new ShapeError(`Session.run: '${t.name}' has shape ${formatShape(v.shape)} at run time, but its graph shape is ${formatShape(want)}`);
  }
}

function typedArrayName(dt: DType): string {
  return dt === 'float32' ? 'Float32Array' : dt === 'float64' ? 'Float64Array' : dt === 'int32' ? 'Int32Array' : 'Uint8Array';
}

function parseNested(value: unknown, fn: string, what: string): { shape: number[]; flat: (number | boolean)[]; kind: 'number' | 'boolean' | 'empty' } {
  const shape: number[] = [];
  let level: unknown = value;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  const flat: (number | boolean)[] = [];
  let kind: 'number' | 'boolean' | 'empty' = 'empty';
  const walk = (v: unknown, dim: number, path: string): void => {
    if (dim === shape.length) {
      const k = typeof v;
      if (k !== 'number' && k !== 'boolean') {
        throw new ValueError(`${fn}: ${what}: element ${path || '(top)'} is ${Array.isArray(v) ? 'an array (the array is ragged)' : v === null ? 'null' : k}; expected numbers or booleans`);
      }
      if (kind === 'empty') kind = k as 'number' | 'boolean';
      else if (kind !== k) throw new ValueError(`${fn}: ${what}: element ${path} is a ${k}, but earlier elements are ${kind}s`);
      flat.push(v as number | boolean);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new ValueError(`${fn}: ${what} is a ragged nested array at ${path || '(top)'}: every row must have the same length`);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], dim + 1, `${path}[${i}]`);
  };
  walk(value, 0, '');
  return { shape, flat, kind };
}

/** One prepared run. */
class RunJob {
  constructor(
    readonly session: Session,
    readonly plan: Plan,
    readonly leaves: readonly Leaf[],
    readonly feeds: readonly (readonly [SymbolicTensor, unknown])[],
    readonly shape: unknown,
  ) {}

  /** Puts the fetched values into the fetch structure. */
  finish(values: readonly Value[]): unknown {
    const build = (s: unknown): unknown => {
      if (Array.isArray(s)) return s.map(build);
      const o = s as { leaf?: number; obj?: Record<string, unknown> };
      if (o.obj !== undefined) {
        const r: Record<string, unknown> = {};
        for (const k of Object.keys(o.obj)) r[k] = build(o.obj[k]);
        return r;
      }
      const v = values[o.leaf!];
      return v === NO_VALUE ? undefined : v;
    };
    return build(this.shape);
  }
}

