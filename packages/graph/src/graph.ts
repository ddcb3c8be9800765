/**
 * The `Graph` class: nodes, contexts, name and variable scopes, variables, and the hook through
 * which core ops build nodes while a graph is the default.
 *
 * @module
 */
import {
  activeGraphHook,
  add,
  assertDType,
  cast,
  checkShape,
  DisposedError,
  DTypeError,
  formatShape,
  glorotUniformInitializer,
  isInitializer,
  setGraphHook,
  shapesEqual,
  ShapeError,
  sub,
  Tensor,
  tensor,
  ValueError,
  type Attrs,
  type DType,
  type GetVariableOptions,
  type GraphHook,
  type OpDef,
  type PartialShape,
  type Shape,
  type TensorLike,
  type TensorSpec,
  type TypedArray,
  type Variable,
  type VariableOptions,
} from '@tessera/core';
import { GraphError } from './errors.js';
import { Ctx, type CtxKind, type GraphNode, type NodeSpec } from './node.js';
import { GraphVariable, Operation, SymbolicTensor } from './symbolic.js';
import { graphGradients } from './gradients.js';
import { graphFromJSON, graphToJSON, type GraphJSON } from './serialize.js';

/** The graphs being built, innermost last. */
const graphStack: Graph[] = [];

/**
 * The graph being built (the innermost {@link Graph.asDefault}); throws a {@link GraphError}
 * naming `fn` when there is none.
 *
 * @example
 * ```ts
 * new Graph().asDefault(() => getDefaultGraph()); // that graph
 * ```
 */
export function getDefaultGraph(fn = 'getDefaultGraph'): Graph {
  const g = graphStack[graphStack.length - 1];
  if (g === undefined) {
    throw new GraphError(`${fn}: no graph is being built; call it inside graph.asDefault(() => ...)`);
  }
  return g;
}

/** The graph being built, if any. @internal */
export function currentGraph(): Graph | undefined {
  return graphStack[graphStack.length - 1];
}

/**
 * Options of {@link Graph.variableScope} / {@link variableScope}.
 *
 * @example
 * ```ts
 * const o: VariableScopeOptions = { reuse: true };
 * ```
 */
export interface VariableScopeOptions {
  /**
   * TensorFlow's `reuse`: `false` (default) creates variables with `getVariable` and fails if one
   * exists; `true` returns existing ones and fails if one is missing; `'auto'` does either. A
   * scope inside a reusing scope reuses too.
   */
  readonly reuse?: boolean | 'auto';
}

interface VarScope {
  readonly prefix: string;
  readonly reuse: boolean | 'auto';
}


const NAME_RE = /^[A-Za-z0-9_.\-][A-Za-z0-9_.\-/]*$/;

function checkName(name: unknown, fn: string, what = 'name'): string {
  if (typeof name !== 'string' || name.length === 0 || !NAME_RE.test(name) || name.endsWith('/')) {
    throw new ValueError(
      `${fn}: ${what} ${JSON.stringify(name)} is invalid; use letters, digits, '_', '.', '-' and '/' (not at the ends)`,
    );
  }
  return name;
}

function specOf(t: SymbolicTensor): TensorSpec {
  return { shape: t.partialShape, dtype: t.dtype };
}

/**
 * A dataflow graph, TensorFlow 1.x style. While `graph.asDefault(fn)` runs, every core op
 * builds a node of the graph instead of computing (eager tensors used there become constants),
 * `variable()` / `getVariable()` create graph variables, and {@link placeholder},
 * {@link cond}, {@link whileLoop}, {@link nameScope} and {@link variableScope} work. Shape and
 * dtype errors are raised when a node is built. A {@link Session} runs the graph on a backend.
 *
 * @example
 * ```ts
 * import { Graph, placeholder, Session } from '@tessera/graph';
 * import { matmul } from '@tessera/core';
 *
 * const g = new Graph();
 * const { x, y } = g.asDefault(() => {
 *   const x = placeholder('float32', [null, 2], { name: 'x' });
 *   return { x, y: matmul(x, [[1], [1]]) };
 * });
 * const s = new Session(g);
 * s.run(y, { x: [[1, 2], [3, 4]] }).arraySync(); // [[3], [7]]
 * ```
 */
export class Graph {
  /** Every node, in creation order. @internal */
  readonly nodes: GraphNode[] = [];
  /** Every context, in creation order. @internal */
  readonly ctxs: Ctx[] = [];
  /** The top-level context. @internal */
  readonly root: Ctx;
  /** Variables, in creation order. @internal */
  readonly variables: GraphVariable[] = [];
  /** Variables created by `getVariable`, by full name (for reuse). @internal */
  readonly variableStore: Map<string, GraphVariable> = new Map();
  /** The read tensors of each variable (gradients with respect to a variable sum over them). @internal */
  readonly readsOf: Map<GraphVariable, SymbolicTensor[]> = new Map();
  /** The hook core calls while this graph is the default. @internal */
  readonly hook: GraphHook;
  private readonly ctxStack: Ctx[] = [];
  private readonly nameStack: string[] = [];
  private readonly varScopes: VarScope[] = [];
  private readonly controlStack: SymbolicTensor[][] = [];
  private readonly usedNames: Map<string, number> = new Map();
  private readonly reserved: Set<string> = new Set();
  private readonly varNames: Set<string> = new Set();
  private readonly byName: Map<string, GraphNode> = new Map();
  private readonly eagerConsts: WeakMap<Tensor, SymbolicTensor> = new WeakMap();
  private nextCtxId = 0;

  /**
   * Creates an empty graph.
   *
   * @example
   * ```ts
   * const g = new Graph();
   * ```
   */
  constructor() {
    this.root = this.newCtx('root', null, 'the graph');
    const hook: GraphHook & { trainableVariables(): Variable[] } = {
      trainableVariables: () => this.trainableVariables(),
      buildOp: (def, inputs, attrs) => this.buildOp(def, inputs, attrs),
      constant: (values, shape, dtype) => this.constant(values, shape, dtype),
      variable: (initial, options) => this.newVariable(initial, options, 'variable'),
      getVariable: (name, options) => this.getVariable(name, options),
      gradients: (ys, xs, gradYs) => graphGradients(this, ys, xs, gradYs, {}, 'gradients'),
      group: (deps, name) => this.group(deps, name === undefined ? {} : { name }),
    };
    this.hook = hook;
  }

  // ---- building ---------------------------------------------------------------------------

  /**
   * Runs `fn` with this graph as the default: core ops build nodes here instead of computing.
   * Returns what `fn` returns. `fn` must be synchronous. Graphs nest (the innermost is the
   * default).
   *
   * @example
   * ```ts
   * const g = new Graph();
   * const y = g.asDefault(() => placeholder('float32', [2], { name: 'x' }).mul(2));
   * ```
   */
  asDefault<T>(fn: () => T): T {
    if (typeof fn !== 'function') throw new ValueError('asDefault: expected a function');
    graphStack.push(this);
    const restore = setGraphHook(this.hook);
    try {
      const r = fn();
      if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') {
        throw new GraphError('asDefault: the function returned a Promise; build graphs with synchronous code');
      }
      return r;
    } finally {
      restore();
      const i = graphStack.lastIndexOf(this);
      if (i >= 0) graphStack.splice(i, 1);
    }
  }

  /** Runs `fn` while this graph is being built (entering it if it is not the default). @internal */
  building<T>(fn: () => T): T {
    if (activeGraphHook() === this.hook && graphStack[graphStack.length - 1] === this) return fn();
    return this.asDefault(fn);
  }

  /** The context nodes are added to now. @internal */
  get current(): Ctx {
    return this.ctxStack[this.ctxStack.length - 1] ?? this.root;
  }

  /** Runs `fn` with `ctx` as the current context. @internal */
  withCtx<T>(ctx: Ctx, fn: () => T): T {
    this.ctxStack.push(ctx);
    try {
      return fn();
    } finally {
      this.ctxStack.pop();
    }
  }

  /** @internal */
  newCtx(kind: CtxKind, parent: Ctx | null, label: string): Ctx {
    const c = new Ctx(this.nextCtxId++, kind, parent, label);
    this.ctxs.push(c);
    return c;
  }

  /** The prefix of node names in the current name scope (`'a/b/'`). @internal */
  get namePrefix(): string {
    return this.nameStack.length === 0 ? '' : `${this.nameStack.join('/')}/`;
  }

  /** A graph-unique node name (`base`, else `base_1`, `base_2`, ...). @internal */
  uniqueName(base: string): string {
    if (!this.byName.has(base) && !this.reserved.has(base)) return base;
    let n = this.usedNames.get(base) ?? 0;
    let name: string;
    do {
      n++;
      name = `${base}_${n}`;
    } while (this.byName.has(name) || this.reserved.has(name));
    this.usedNames.set(base, n);
    return name;
  }

  /** Reserves a unique name for a node built later (control flow names its branches first). @internal */
  reserveName(base: string): string {
    const name = this.uniqueName(this.namePrefix + base);
    this.reserved.add(name);
    return name;
  }

  /** Runs `fn` with node names prefixed by `fullName/` (an already prefixed name). @internal */
  withNamePrefix<T>(fullName: string, fn: () => T): T {
    const saved = this.nameStack.splice(0, this.nameStack.length, fullName);
    try {
      return fn();
    } finally {
      this.nameStack.splice(0, this.nameStack.length, ...saved);
    }
  }

  /** Adds a node and creates its outputs. @internal */
  addNode(spec: NodeSpec, outSpecs: readonly TensorSpec[], outClass: typeof SymbolicTensor = SymbolicTensor): GraphNode {
    const ctx = spec.ctx ?? this.current;
    if (ctx.closed) {
      throw new GraphError(`cannot add '${spec.name}' to ${ctx.label}, which is already complete`);
    }
    let control = spec.control ?? [];
    if (this.controlStack.length > 0 && (spec.kind === 'op' || spec.kind === 'assign' || spec.kind === 'group')) {
      const extra: SymbolicTensor[] = [];
      for (const deps of this.controlStack) for (const d of deps) extra.push(this.capture(d, ctx, spec.name));
      control = [...control, ...extra];
    }
    let name: string;
    if (spec.rawName === true && this.reserved.has(spec.name)) {
      this.reserved.delete(spec.name);
      name = spec.name;
    } else name = this.uniqueName(spec.rawName === true ? spec.name : this.namePrefix + spec.name);
    const node: GraphNode = {
      id: this.nodes.length,
      name,
      kind: spec.kind,
      op: spec.op ?? spec.kind,
      def: spec.def,
      inputs: spec.inputs ?? [],
      control,
      attrs: spec.attrs ?? {},
      ctx,
      outputs: [],
      ...(spec.values !== undefined ? { values: spec.values } : {}),
      ...(spec.eager !== undefined ? { eager: spec.eager } : {}),
      ...(spec.variable !== undefined ? { variable: spec.variable } : {}),
      ...(spec.cond !== undefined ? { cond: spec.cond } : {}),
      ...(spec.loop !== undefined ? { loop: spec.loop } : {}),
      ...(spec.whileGrad !== undefined ? { whileGrad: spec.whileGrad } : {}),
    };
    node.outputs = outSpecs.map((s, i) => new outClass(this, node, i, s.shape, s.dtype));
    this.nodes.push(node);
    ctx.nodes.push(node);
    this.byName.set(name, node);
    return node;
  }

  /** Core's hook: builds a node for an op. @internal */
  buildOp(def: OpDef, inputs: readonly Tensor[], attrs: Attrs): Tensor[] {
    const ctx = this.current;
    const ins = inputs.map((t, i) => this.resolve(t, ctx, def.name, def.inputs[i] ?? `input ${i}`));
    const specs = def.infer(ins.map(specOf), attrs);
    for (const s of specs) {
      for (const d of s.shape) {
        if (d !== null && (!Number.isInteger(d) || d < 0)) {
          throw new ShapeError(`${def.name}: the shape rule produced an invalid shape ${formatShape(s.shape)}`);
        }
      }
    }
    const node = this.addNode({ kind: 'op', name: def.name, op: def.name, def, inputs: ins, attrs, ctx }, specs);
    return node.outputs;
  }

  /** Core's hook: builds a constant. @internal */
  constant(values: TypedArray, shape: Shape, dtype: DType): Tensor {
    return this.addNode({ kind: 'const', name: 'Const', values }, [{ shape: [...shape], dtype }]).outputs[0]!;
  }

  /**
   * Turns an op input into a tensor of this graph visible from `ctx`: graph variables become
   * reads, eager tensors constants; tensors of other graphs or of finished branches are rejected.
   * @internal
   */
  resolve(t: Tensor, ctx: Ctx, fn: string, arg: string): SymbolicTensor {
    if (t instanceof GraphVariable) {
      if (t.graph !== this) throw this.foreignError(fn, arg, t.name);
      if (t.assignNode !== undefined) return this.capture(t.assignNode.outputs[0]!, ctx, fn);
      return this.readVariable(t, ctx, fn);
    }
    if (t instanceof Operation) {
      if (t.graph !== this) throw this.foreignError(fn, arg, t.name);
      throw new GraphError(
        `${fn}: ${arg} is the operation '${t.name}', which has no value (it only runs); ` +
          `to order ops after it, use controlDependencies([op], fn)`,
      );
    }
    if (t instanceof SymbolicTensor) {
      if (t.graph !== this) throw this.foreignError(fn, arg, t.name);
      return this.capture(t, ctx, fn);
    }
    if (!(t instanceof Tensor)) throw new ValueError(`${fn}: ${arg} is not a tensor`);
    if (t.isSymbolic) throw new GraphError(`${fn}: ${arg} is a symbolic tensor that belongs to no Tessera graph`);
    return this.eagerConstant(t, fn, arg);
  }

  /** Like {@link Graph.resolve}, but operations are accepted (as control dependencies). @internal */
  resolveControl(t: Tensor, ctx: Ctx, fn: string, arg: string): SymbolicTensor {
    if (t instanceof Operation) {
      if (t.graph !== this) throw this.foreignError(fn, arg, t.name);
      return this.capture(t, ctx, fn);
    }
    return this.resolve(t, ctx, fn, arg);
  }

  private foreignError(fn: string, arg: string, name: string): GraphError {
    return new GraphError(
      `${fn}: ${arg} ('${name}') belongs to another graph; tensors of two graphs cannot be mixed in one op ` +
        `(build each graph inside its own asDefault(), and pass values between graphs through session.run and feeds)`,
    );
  }

  /** Makes `t` visible from `ctx`, recording captures on the way. @internal */
  capture(t: SymbolicTensor, ctx: Ctx, fn: string): SymbolicTensor {
    const home = t.node.ctx;
    const path: Ctx[] = [];
    for (let level: Ctx | null = ctx; level !== null; level = level.parent) {
      if (home === level || level.remat.includes(home)) {
        for (const c of path) c.addCapture(t);
        return t;
      }
      path.push(level);
    }
    throw new GraphError(
      `${fn}: tensor '${t.name}' was created inside ${home.label} and cannot be used outside it; ` +
        `return it from the branch or loop function and use the returned tensor`,
    );
  }

  private eagerConstant(t: Tensor, fn: string, arg: string): SymbolicTensor {
    const cached = this.eagerConsts.get(t);
    if (cached !== undefined) return this.capture(cached, this.current, fn);
    if (t.isDisposed) throw new DisposedError(`${fn}: ${arg} (an eager tensor used in a graph) has been disposed`);
    const out = this.withCtx(this.root, () => {
      if (t.backend.capabilities.syncRead) {
        return this.addNode({ kind: 'const', name: 'Const', values: t.dataSync() }, [{ shape: [...t.shape], dtype: t.dtype }]).outputs[0]!;
      }
      return this.addNode({ kind: 'const', name: 'Const', eager: t }, [{ shape: [...t.shape], dtype: t.dtype }]).outputs[0]!;
    });
    this.eagerConsts.set(t, out);
    return this.capture(out, this.current, fn);
  }

  /** A read of `v` visible from `ctx`, reused until `v` is assigned. @internal */
  readVariable(v: GraphVariable, ctx: Ctx, fn: string): SymbolicTensor {
    let level: Ctx = this.root;
    const below: Ctx[] = [];
    for (let c: Ctx | null = ctx; c !== null; c = c.parent) {
      if (c.assigned.has(v) || c.parent === null) {
        level = c;
        break;
      }
      below.push(c);
    }
    for (const c of below) if (c.kind === 'loopBody' || c.kind === 'loopCond') c.hoisted.add(v);
    let r = level.readCache.get(v);
    if (r === undefined) {
      r = this.addNode(
        { kind: 'read', name: `${v.name}/read`, rawName: true, variable: v, ctx: level },
        [{ shape: v.shape, dtype: v.dtype }],
      ).outputs[0]!;
      level.readCache.set(v, r);
      let reads = this.readsOf.get(v);
      if (reads === undefined) this.readsOf.set(v, (reads = []));
      reads.push(r);
    }
    return this.capture(r, ctx, fn);
  }

  /** Builds `v = value`. @internal */
  buildAssign(v: GraphVariable, value: TensorLike, fn: string): GraphVariable {
    return this.building(() => {
      const ctx = this.current;
      for (let c: Ctx | null = ctx; c !== null; c = c.parent) {
        if (c.hoisted.has(v)) {
          throw new GraphError(
            `${fn}: variable '${v.name}' is read inside this whileLoop before it is assigned there; ` +
              `pass its value as a loop variable instead (or assign it before reading it in the loop)`,
          );
        }
      }
      const t = value instanceof Tensor ? value : tensor(value, undefined, v.dtype);
      const val = this.resolve(t, ctx, fn, 'value');
      if (val.dtype !== v.dtype) {
        throw new DTypeError(`${fn}: variable '${v.name}' has dtype ${v.dtype}, the value has ${val.dtype}; cast the value first`);
      }
      if (!shapesEqual(val.partialShape, v.shape, true)) {
        throw new ShapeError(
          `${fn}: variable '${v.name}' has shape ${formatShape(v.shape)}, the value has ${formatShape(val.partialShape)}; they must match`,
        );
      }
      const node = this.addNode(
        { kind: 'assign', name: `${v.name}/${fn}`, rawName: true, inputs: [val], variable: v, ctx },
        [{ shape: v.shape, dtype: v.dtype }],
      );
      ctx.assigned.add(v);
      for (let c: Ctx | null = ctx; c !== null; c = c.parent) c.readCache.delete(v);
      return GraphVariable.assignResult(v, node);
    });
  }

  /** Builds `v = v ± delta`. @internal */
  buildUpdate(v: GraphVariable, delta: TensorLike, fn: 'assignAdd' | 'assignSub'): GraphVariable {
    return this.building(() => {
      const next = fn === 'assignAdd' ? add(v, delta) : sub(v, delta);
      return this.buildAssign(v, next.dtype === v.dtype ? next : cast(next, v.dtype), fn);
    });
  }

  // ---- variables --------------------------------------------------------------------------

  /** Creates a graph variable from an initial value (core's `variable()` in a graph). @internal */
  newVariable(initial: TensorLike, options: VariableOptions, fn: string, exactName?: string): GraphVariable {
    if (options.dtype !== undefined) assertDType(options.dtype, fn);
    return this.building(() =>
      this.withCtx(this.root, () => {
        let t = initial instanceof Tensor ? initial : tensor(initial, undefined, options.dtype);
        if (options.dtype !== undefined && t.dtype !== options.dtype) t = cast(t, options.dtype);
        const init = this.resolve(t, this.root, fn, 'initial value');
        const shape = init.partialShape;
        if (shape.some((d) => d === null)) {
          throw new ShapeError(`${fn}: the initial value has shape ${formatShape(shape)}; a variable's shape must be fully known`);
        }
        let name: string;
        if (exactName !== undefined) name = exactName;
        else {
          const base = this.namePrefix + checkName(options.name ?? 'Variable', fn);
          name = base;
          for (let i = 1; this.varNames.has(name); i++) name = `${base}_${i}`;
        }
        return this.createVariable(init, name, options.trainable ?? true);
      }),
    );
  }

  private createVariable(init: SymbolicTensor, name: string, trainable: boolean): GraphVariable {
    const v = new GraphVariable(this, init, name, trainable);
    this.varNames.add(name);
    v.node = this.addNode({ kind: 'variable', name, rawName: true, variable: v, ctx: this.root }, []);
    const assign = this.addNode(
      { kind: 'assign', name: `${name}/initial_assign`, rawName: true, inputs: [init], variable: v, ctx: this.root },
      [{ shape: v.shape, dtype: v.dtype }],
    );
    v.initializer = this.addNode(
      { kind: 'group', name: `${name}/initializer`, rawName: true, control: [assign.outputs[0]!], ctx: this.root },
      [{ shape: [], dtype: 'bool' }],
      Operation,
    ).outputs[0] as Operation;
    this.variables.push(v);
    return v;
  }

  /** Core's `getVariable()` in a graph: variable-scope reuse semantics. @internal */
  getVariable(name: string, options: GetVariableOptions): GraphVariable {
    const fn = `getVariable('${name}')`;
    checkName(name, fn);
    const scope = this.varScopes[this.varScopes.length - 1] ?? { prefix: '', reuse: false };
    const full = this.namePrefix + name;
    const { shape, dtype, initializer, trainable } = options;
    if (shape !== undefined) checkShape(shape, fn);
    if (dtype !== undefined) assertDType(dtype, fn);
    const existing = this.variableStore.get(full);
    if (existing !== undefined) {
      if (scope.reuse === false) {
        throw new GraphError(
          `${fn}: variable '${full}' already exists; to share it, get it inside ` +
            `variableScope('${scope.prefix.replace(/\/$/, '') || '<scope>'}', { reuse: true }, ...) (or reuse: 'auto')`,
        );
      }
      if (shape !== undefined && !shapesEqual(shape, existing.shape)) {
        throw new ShapeError(`${fn}: variable '${full}' has shape ${formatShape(existing.shape)}, not ${formatShape(shape)}`);
      }
      if (dtype !== undefined && dtype !== existing.dtype) {
        throw new DTypeError(`${fn}: variable '${full}' has dtype ${existing.dtype}, not ${dtype}`);
      }
      return existing;
    }
    if (scope.reuse === true) {
      throw new GraphError(
        `${fn}: variable '${full}' does not exist, and the variable scope reuses variables; ` +
          `create it first, or open the scope with reuse: 'auto'`,
      );
    }
    const v = this.building(() =>
      this.withCtx(this.root, () => {
        const init = initializer ?? glorotUniformInitializer();
        let value: Tensor;
        if (isInitializer(init)) {
          if (shape === undefined) {
            throw new ValueError(`${fn}: a shape is required when the initializer is an initializer object`);
          }
          value = init.create(shape, dtype ?? 'float32');
        } else {
          let t = init instanceof Tensor ? init : tensor(init, undefined, typeof init === 'number' || Array.isArray(init) ? (dtype ?? 'float32') : dtype);
          if (dtype !== undefined && t.dtype !== dtype) t = cast(t, dtype);
          value = t;
          const vs = value instanceof SymbolicTensor ? value.partialShape : value.shape;
          if (shape !== undefined && !shapesEqual(shape, vs)) {
            throw new ShapeError(`${fn}: shape ${formatShape(shape)} does not match the initial value's shape ${formatShape(vs)}`);
          }
        }
        return this.newVariable(value, { trainable: trainable ?? true }, fn, full);
      }),
    );
    this.variableStore.set(full, v);
    return v;
  }

  /**
   * Creates a graph variable in this graph (what core's `variable()` does inside
   * `asDefault`). The name is prefixed by the current name scope and made unique.
   *
   * @example
   * ```ts
   * const w = g.variable(zeros([3]), { name: 'w' });
   * ```
   */
  variable(initial: TensorLike, options: VariableOptions = {}): GraphVariable {
    return this.newVariable(initial, options, 'variable');
  }

  // ---- scopes -----------------------------------------------------------------------------

  /**
   * Runs `fn` with `name` prefixed to the names of the nodes and variables it creates
   * (`'first_part/w'`). Scopes nest. Returns what `fn` returns.
   *
   * @example
   * ```ts
   * const w = g.asDefault(() => g.nameScope('first_part', () => variable(1, { name: 'w' })));
   * w.name; // 'first_part/w'
   * ```
   */
  nameScope<T>(name: string, fn: () => T): T {
    checkName(name, 'nameScope');
    if (typeof fn !== 'function') throw new ValueError('nameScope: expected a function');
    this.nameStack.push(name);
    try {
      return fn();
    } finally {
      this.nameStack.pop();
    }
  }

  /**
   * Runs `fn` in a variable scope: `getVariable(name)` inside creates or reuses
   * `'<scope>/<name>'` following `options.reuse` (TensorFlow's `get_variable` semantics), and the
   * scope also prefixes node names like {@link Graph.nameScope}.
   *
   * @example
   * ```ts
   * g.asDefault(() => {
   *   const a = g.variableScope('layer', {}, () => getVariable('w', { shape: [2], initializer: zerosInitializer() }));
   *   const b = g.variableScope('layer', { reuse: true }, () => getVariable('w'));
   *   a === b; // true
   * });
   * ```
   */
  variableScope<T>(name: string, options: VariableScopeOptions, fn: () => T): T {
    checkName(name, 'variableScope');
    if (typeof fn !== 'function') throw new ValueError('variableScope: expected a function');
    const reuse = options.reuse ?? false;
    if (reuse !== true && reuse !== false && reuse !== 'auto') {
      throw new ValueError(`variableScope: reuse must be true, false or 'auto', got ${String(reuse)}`);
    }
    const parent = this.varScopes[this.varScopes.length - 1] ?? { prefix: '', reuse: false };
    const effective = parent.reuse === true ? true : reuse === false ? parent.reuse : reuse;
    this.varScopes.push({ prefix: `${parent.prefix}${name}/`, reuse: effective });
    this.nameStack.push(name);
    try {
      return fn();
    } finally {
      this.nameStack.pop();
      this.varScopes.pop();
    }
  }

  /**
   * Runs `fn` so that the ops it builds run only after `deps` (tensors or operations).
   *
   * @example
   * ```ts
   * const inc = g.asDefault(() => g.controlDependencies([trainStep], () => step.assignAdd(1)));
   * ```
   */
  controlDependencies<T>(deps: readonly Tensor[], fn: () => T): T {
    if (!Array.isArray(deps)) throw new ValueError('controlDependencies: deps must be an array of tensors or operations');
    const ctx = this.current;
    const resolved = deps.map((d, i) => this.resolveControl(d, ctx, 'controlDependencies', `deps[${i}]`));
    this.controlStack.push(resolved);
    try {
      return fn();
    } finally {
      this.controlStack.pop();
    }
  }

  /**
   * An operation that runs all of `deps` (tensors, assignment results, operations); fetching it
   * gives `undefined`. Optimizers return one as their train op in graph mode.
   *
   * @example
   * ```ts
   * const step = g.asDefault(() => g.group([w.assignSub(dw), b.assignSub(db)], { name: 'train' }));
   * ```
   */
  group(deps: readonly Tensor[], options: { readonly name?: string } = {}): Operation {
    if (!Array.isArray(deps)) throw new ValueError('group: deps must be an array of tensors or operations');
    const name = options.name === undefined ? 'group' : checkName(options.name, 'group');
    return this.building(() => {
      const ctx = this.current;
      const control = deps.map((d, i) => this.resolveControl(d, ctx, 'group', `deps[${i}]`));
      return this.addNode({ kind: 'group', name, control, ctx }, [{ shape: [], dtype: 'bool' }], Operation).outputs[0] as Operation;
    });
  }

  // ---- placeholders -----------------------------------------------------------------------

  /**
   * Creates a placeholder: a tensor whose value a run must feed. See {@link placeholder}.
   *
   * @example
   * ```ts
   * const x = g.placeholder('float32', [null, 784], { name: 'x' });
   * ```
   */
  placeholder(dtype: DType, shape: PartialShape, options: { readonly name?: string } = {}): SymbolicTensor {
    assertDType(dtype, 'placeholder');
    checkShape(shape, 'placeholder', true);
    const name = checkName(options.name ?? 'Placeholder', 'placeholder');
    return this.withCtx(this.root, () =>
      this.addNode({ kind: 'placeholder', name, attrs: { dtype, shape: [...shape] } }, [{ shape: [...shape], dtype }]).outputs[0]!,
    );
  }

  /**
   * A placeholder that takes `defaultValue` when a run does not feed it. See
   * {@link placeholderWithDefault}.
   *
   * @example
   * ```ts
   * const rate = g.asDefault(() => g.placeholderWithDefault(0.5, [], { name: 'rate' }));
   * ```
   */
  placeholderWithDefault(defaultValue: TensorLike, shape?: PartialShape, options: { readonly name?: string } = {}): SymbolicTensor {
    const name = checkName(options.name ?? 'PlaceholderWithDefault', 'placeholderWithDefault');
    return this.building(() =>
      this.withCtx(this.root, () => {
        const t = defaultValue instanceof Tensor ? defaultValue : tensor(defaultValue);
        const def = this.resolve(t, this.root, 'placeholderWithDefault', 'defaultValue');
        let s: PartialShape = def.partialShape;
        if (shape !== undefined) {
          checkShape(shape, 'placeholderWithDefault', true);
          if (!shapesEqual(shape, def.partialShape, true)) {
            throw new ShapeError(
              `placeholderWithDefault: the default value has shape ${formatShape(def.partialShape)}, which does not fit shape ${formatShape(shape)}`,
            );
          }
          s = [...shape];
        }
        return this.addNode(
          { kind: 'placeholder', name, inputs: [def], attrs: { dtype: def.dtype, shape: [...s] } },
          [{ shape: [...s], dtype: def.dtype }],
        ).outputs[0]!;
      }),
    );
  }

  // ---- queries ----------------------------------------------------------------------------

  /**
   * The tensor, operation or variable named `name` (`'x'`, `'first_part/w'`, `'split:1'`), or
   * `undefined`. Variables are found by their name; other nodes by node name.
   *
   * @example
   * ```ts
   * const loaded = Graph.fromJSON(json);
   * const x = loaded.get('x');
   * ```
   */
  get(name: string): SymbolicTensor | GraphVariable | undefined {
    if (typeof name !== 'string') return undefined;
    const v = this.variables.find((x) => x.name === name);
    if (v !== undefined) return v;
    let node = this.byName.get(name);
    let index = 0;
    if (node === undefined) {
      const m = /^(.*):(\d+)$/.exec(name);
      if (m === null) return undefined;
      node = this.byName.get(m[1]!);
      index = Number(m[2]);
    }
    if (node === undefined) return undefined;
    if (node.kind === 'variable') return node.variable;
    return node.outputs[index];
  }

  /**
   * The graph's placeholders, in creation order.
   *
   * @example
   * ```ts
   * g.placeholders().map((p) => p.name); // ['x', 'y']
   * ```
   */
  placeholders(): SymbolicTensor[] {
    return this.nodes.filter((n) => n.kind === 'placeholder').map((n) => n.outputs[0]!);
  }

  /**
   * Every variable of the graph, in creation order.
   *
   * @example
   * ```ts
   * g.globalVariables().map((v) => v.name);
   * ```
   */
  globalVariables(): GraphVariable[] {
    return [...this.variables];
  }

  /**
   * The trainable variables of the graph, in creation order: what optimizers use by default and
   * what a split model filters by name.
   *
   * @example
   * ```ts
   * const first = g.trainableVariables().filter((v) => v.name.startsWith('first_part/'));
   * ```
   */
  trainableVariables(): GraphVariable[] {
    return this.variables.filter((v) => v.trainable);
  }

  /**
   * An operation that initializes `vars` (default: every variable of the graph so far).
   *
   * @example
   * ```ts
   * const init = g.variablesInitializer();
   * session.run(init);
   * ```
   */
  variablesInitializer(vars: readonly Variable[] = this.variables): Operation {
    const ops = vars.map((v, i) => {
      if (!(v instanceof GraphVariable) || v.graph !== this) {
        throw new GraphError(`variablesInitializer: vars[${i}] is not a variable of this graph`);
      }
      return v.variable.initializer;
    });
    return this.withCtx(this.root, () => this.group(ops, { name: 'init' }));
  }

  /**
   * The number of nodes.
   *
   * @example
   * ```ts
   * new Graph().numNodes; // 0
   * ```
   */
  get numNodes(): number {
    return this.nodes.length;
  }

  // ---- JSON -------------------------------------------------------------------------------

  /**
   * A JSON-compatible description of the graph: every node, constant values (base64),
   * variables with their initial values, control flow. {@link Graph.fromJSON} loads it back.
   * Throws a {@link GraphError} if a constant holds an eager tensor that cannot be read
   * synchronously.
   *
   * @example
   * ```ts
   * const text = JSON.stringify(g.toJSON());
   * const copy = Graph.fromJSON(JSON.parse(text));
   * ```
   */
  toJSON(): GraphJSON {
    return graphToJSON(this);
  }

  /**
   * Loads a graph saved with {@link Graph.toJSON}. Validates everything and throws a
   * {@link GraphError} for malformed or hostile input: unknown ops, dangling inputs, cycles,
   * absurd shapes, constants whose data do not match their shape, ...
   *
   * @example
   * ```ts
   * const g2 = Graph.fromJSON(JSON.parse(text));
   * const y = g2.get('y')!;
   * ```
   */
  static fromJSON(json: unknown): Graph {
    return graphFromJSON(json, new Graph());
  }
}

// ---- functions on the default graph ---------------------------------------------------------

/**
 * Creates a placeholder in the graph being built: a tensor of `dtype` and `shape` (`null` for
 * dimensions known only when fed, as in `[null, 784]`) whose value each run must feed.
 *
 * @example
 * ```ts
 * const g = new Graph();
 * const x = g.asDefault(() => placeholder('float64', [1, 1], { name: 'x1' }));
 * new Session(g).run(x, { x1: [[5]] });
 * ```
 */
export function placeholder(dtype: DType, shape: PartialShape, options: { readonly name?: string } = {}): SymbolicTensor {
  return getDefaultGraph('placeholder').placeholder(dtype, shape, options);
}

/**
 * A placeholder that takes `defaultValue` unless a run feeds it (TF's
 * `placeholder_with_default`). `shape` may relax the default's shape with `null` dims.
 *
 * @example
 * ```ts
 * const keep = g.asDefault(() => placeholderWithDefault(1, [], { name: 'keep' }));
 * ```
 */
export function placeholderWithDefault(defaultValue: TensorLike, shape?: PartialShape, options: { readonly name?: string } = {}): SymbolicTensor {
  return getDefaultGraph('placeholderWithDefault').placeholderWithDefault(defaultValue, shape, options);
}

/**
 * Prefixes the names of the nodes and variables built by `fn` with `name/`. See
 * {@link Graph.nameScope}.
 *
 * @example
 * ```ts
 * g.asDefault(() => {
 *   nameScope('second_part', () => getVariable('w', { shape: [3, 4], initializer: zerosInitializer() }));
 * });
 * g.trainableVariables()[0]!.name; // 'second_part/w'
 * ```
 */
export function nameScope<T>(name: string, fn: () => T): T {
  return getDefaultGraph('nameScope').nameScope(name, fn);
}

/**
 * Runs `fn` in a variable scope with TensorFlow `get_variable` reuse semantics. Call it as
 * `variableScope(name, fn)` or `variableScope(name, { reuse }, fn)`. See
 * {@link Graph.variableScope}.
 *
 * @example
 * ```ts
 * g.asDefault(() => {
 *   const dense = (x: Tensor) => matmul(x, getVariable('w', { shape: [2, 2] }));
 *   variableScope('layer', () => dense(x1));
 *   variableScope('layer', { reuse: true }, () => dense(x2)); // same weights
 * });
 * ```
 */
export function variableScope<T>(name: string, optionsOrFn: VariableScopeOptions | (() => T), fn?: () => T): T {
  const g = getDefaultGraph('variableScope');
  if (typeof optionsOrFn === 'function') return g.variableScope(name, {}, optionsOrFn);
  if (fn === undefined) throw new ValueError('variableScope: expected a function');
  return g.variableScope(name, optionsOrFn, fn);
}

/**
 * Runs `fn` so that every op it builds runs after `deps` (tensors or operations) in a session.
 *
 * @example
 * ```ts
 * g.asDefault(() => controlDependencies([update], () => step.assignAdd(1)));
 * ```
 */
export function controlDependencies<T>(deps: readonly Tensor[], fn: () => T): T {
  return getDefaultGraph('controlDependencies').controlDependencies(deps, fn);
}

/**
 * An operation that runs all of `deps` (for example several `assign` results). See
 * {@link Graph.group}.
 *
 * @example
 * ```ts
 * const train = g.asDefault(() => group([w.assignSub(dw), b.assignSub(db)]));
 * ```
 */
export function group(deps: readonly Tensor[], options: { readonly name?: string } = {}): Operation {
  return getDefaultGraph('group').group(deps, options);
}

function graphArg(graph: Graph | undefined, fn: string): Graph {
  if (graph === undefined) return getDefaultGraph(fn);
  if (!(graph instanceof Graph)) throw new ValueError(`${fn}: expected a Graph`);
  return graph;
}

/**
 * The trainable variables of `graph` (default: the graph being built).
 *
 * @example
 * ```ts
 * const firstPartVars = trainableVariables(g).filter((v) => v.name.startsWith('first_part/'));
 * ```
 */
export function trainableVariables(graph?: Graph): GraphVariable[] {
  return graphArg(graph, 'trainableVariables').trainableVariables();
}

/**
 * Every variable of `graph` (default: the graph being built).
 *
 * @example
 * ```ts
 * globalVariables(g).length;
 * ```
 */
export function globalVariables(graph?: Graph): GraphVariable[] {
  return graphArg(graph, 'globalVariables').globalVariables();
}

/**
 * The operation that initializes every variable of `graph` (default: the graph being built)
 * that exists when it is called: call it after building the model and its train ops
 * (optimizers create slot variables), then run it once per session.
 *
 * @example
 * ```ts
 * const init = g.asDefault(() => globalVariablesInitializer());
 * session.run(init);
 * ```
 */
export function globalVariablesInitializer(graph?: Graph): Operation {
  return graphArg(graph, 'globalVariablesInitializer').variablesInitializer();
}
