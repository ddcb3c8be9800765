/**
 * Control flow: `cond` and `whileLoop`. In a graph, the branch and loop functions are called
 * once, while building, and their ops become sub-graphs that a session runs only when taken.
 * Outside a graph they simply run eagerly.
 *
 * @module
 */
import {
  DTypeError,
  formatShape,
  identity,
  shapesEqual,
  ShapeError,
  sizeOf,
  Tensor,
  tensor,
  ValueError,
  type DType,
  type PartialShape,
  type TensorLike,
  type TensorSpec,
  type TypedArray,
} from '@tessera/core';
import { GraphError } from './errors.js';
import { currentGraph, type Graph } from './graph.js';
import type { Ctx, Structure } from './node.js';
import { GraphVariable, isGraphTensor, Operation, SymbolicTensor } from './symbolic.js';

/**
 * Options of {@link cond}.
 *
 * @example
 * ```ts
 * const o: CondOptions = { name: 'relu_cond' };
 * ```
 */
export interface CondOptions {
  /** The node name (default `'cond'`, made unique). */
  readonly name?: string;
}

/**
 * Options of {@link whileLoop}.
 *
 * @example
 * ```ts
 * const o: WhileLoopOptions = { maximumIterations: 100 };
 * ```
 */
export interface WhileLoopOptions {
  /**
   * Stop after this many iterations even if the condition still holds. Required for gradients
   * of the loop (the backward pass replays at most this many recorded iterations).
   */
  readonly maximumIterations?: number;
  /**
   * Shapes each loop variable may take (`null` for a dimension that may change between
   * iterations); by default a loop variable keeps the shape it enters with.
   */
  readonly shapeInvariants?: readonly PartialShape[];
  /** The node name (default `'while'`, made unique). */
  readonly name?: string;
}

// ---- structures of branch results ----------------------------------------------------------

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype;
}

function flatten(x: unknown, path: string, leaves: unknown[], fn: string, where: string): Structure {
  if (x instanceof Tensor) {
    leaves.push(x);
    return { t: 'tensor', op: x instanceof Operation };
  }
  if (typeof x === 'number' || typeof x === 'boolean' || ArrayBuffer.isView(x)) {
    leaves.push(x);
    return { t: 'tensor', op: false };
  }
  if (x === undefined || x === null) return { t: 'none' };
  if (Array.isArray(x)) {
    return { t: 'array', items: x.map((e, i) => flatten(e, `${path}[${i}]`, leaves, fn, where)) };
  }
  if (isPlainObject(x)) {
    const keys = Object.keys(x).sort();
    return { t: 'object', keys, items: keys.map((k) => flatten(x[k], `${path}.${k}`, leaves, fn, where)) };
  }
  throw new ValueError(
    `${fn}: ${where} returned ${typeof x} at ${path || 'the top level'}; return tensors, numbers, or arrays and plain objects of them`,
  );
}

function describe(s: Structure): string {
  switch (s.t) {
    case 'tensor':
      return s.op ? 'an operation' : 'a tensor';
    case 'none':
      return 'nothing';
    case 'array':
      return `an array of ${s.items.length}`;
    case 'object':
      return `an object with keys {${s.keys.join(', ')}}`;
  }
}

function sameStructure(a: Structure, b: Structure, path: string, fn: string): void {
  const fail = (): never => {
    throw new GraphError(
      `${fn}: the branches return different structures at ${path || 'the top level'}: ` +
        `the true branch gives ${describe(a)}, the false branch ${describe(b)}; both must return the same structure`,
    );
  };
  if (a.t !== b.t) fail();
  if (a.t === 'tensor' && b.t === 'tensor' && a.op !== b.op) fail();
  if (a.t === 'array' && b.t === 'array') {
    if (a.items.length !== b.items.length) fail();
    a.items.forEach((s, i) => sameStructure(s, b.items[i]!, `${path}[${i}]`, fn));
  }
  if (a.t === 'object' && b.t === 'object') {
    if (a.keys.join('\u0000') !== b.keys.join('\u0000')) fail();
    a.items.forEach((s, i) => sameStructure(s, b.items[i]!, `${path}.${a.keys[i]}`, fn));
  }
}

/** Rebuilds a structure from its leaves. @internal */
export function unflatten(s: Structure, leaves: readonly Tensor[], pos: { i: number }): unknown {
  switch (s.t) {
    case 'tensor':
      return leaves[pos.i++];
    case 'none':
      return undefined;
    case 'array':
      return s.items.map((e) => unflatten(e, leaves, pos));
    case 'object': {
      const o: Record<string, unknown> = {};
      s.items.forEach((e, i) => {
        o[s.keys[i]!] = unflatten(e, leaves, pos);
      });
      return o;
    }
  }
}

function leafPaths(s: Structure, path: string, out: string[]): void {
  if (s.t === 'tensor') out.push(path || 'the result');
  else if (s.t === 'array') s.items.forEach((e, i) => leafPaths(e, `${path}[${i}]`, out));
  else if (s.t === 'object') s.items.forEach((e, i) => leafPaths(e, `${path}.${s.keys[i]}`, out));
}

/**
 * Makes `x` a tensor of `ctx` (the branch or loop context being closed): converts numbers,
 * and adds an identity node when `x` comes from outside or is a bound loop variable, so that
 * every output is produced inside the context.
 */
function ownOutput(g: Graph, ctx: Ctx, x: unknown, fn: string, what: string, dtype?: DType): SymbolicTensor {
  return g.withCtx(ctx, () => {
    if (x instanceof Operation) {
      if (x.graph !== g) throw new GraphError(`${fn}: ${what} belongs to another graph`);
      g.capture(x, ctx, fn);
      return x.node.ctx === ctx ? x : g.group([x]);
    }
    const t = x instanceof Tensor ? x : tensor(x as TensorLike, undefined, typeof x === 'number' ? dtype : undefined);
    let r = g.resolve(t, ctx, fn, what);
    if (r.node.ctx !== ctx || r.node.kind === 'loopVar') r = identity(r) as SymbolicTensor;
    return r;
  });
}

// ---- cond ------------------------------------------------------------------------------------

function predicateValue(pred: Tensor, fn: string): boolean {
  if (pred.dtype !== 'bool') {
    throw new DTypeError(`${fn}: pred must be a bool tensor, got ${pred.dtype}; compare first, e.g. greaterEqual(x, 0)`);
  }
  if (pred.size !== 1) {
    throw new ShapeError(`${fn}: pred must have exactly one element, got shape ${formatShape(pred.shape)}; reduce it with all() or any()`);
  }
  return pred.item() === true;
}

/** Builds a `cond` node in `g`. @internal */
export function buildCond(g: Graph, pred: TensorLike, trueFn: () => unknown, falseFn: () => unknown, options: CondOptions): unknown {
  return g.building(() => {
    const fn = 'cond';
    const ctx = g.current;
    const p = g.resolve(pred instanceof Tensor ? pred : tensor(pred), ctx, fn, 'pred');
    if (p.dtype !== 'bool') {
      throw new DTypeError(`${fn}: pred must be a bool tensor, got ${p.dtype}; compare first, e.g. greaterEqual(x, 0)`);
    }
    if (sizeOf(p.partialShape) !== 1) {
      throw new ShapeError(
        `${fn}: pred must have exactly one element, got shape ${formatShape(p.partialShape)}; reduce it with all() or any(), or reshape it`,
      );
    }
    const name = g.reserveName(options.name ?? 'cond');
    const tCtx = g.newCtx('branch', ctx, `the true branch of cond '${name}'`);
    const fCtx = g.newCtx('branch', ctx, `the false branch of cond '${name}'`);
    const run = (c: Ctx, branchFn: () => unknown, label: string): { s: Structure; leaves: unknown[] } => {
      const r = g.withCtx(c, () => g.withNamePrefix(`${name}/${label}`, branchFn));
      const leaves: unknown[] = [];
      const s = flatten(r, '', leaves, fn, `the ${label} branch`);
      return { s, leaves };
    };
    const t = run(tCtx, trueFn, 'true');
    const f = run(fCtx, falseFn, 'false');
    sameStructure(t.s, f.s, '', fn);
    const paths: string[] = [];
    leafPaths(t.s, '', paths);
    const specs: TensorSpec[] = [];
    const opLeaf: boolean[] = [];
    const tOut: SymbolicTensor[] = [];
    const fOut: SymbolicTensor[] = [];
    t.leaves.forEach((tl, i) => {
      const fl = f.leaves[i];
      const dt = tl instanceof Tensor ? tl.dtype : fl instanceof Tensor ? fl.dtype : undefined;
      const a = g.withNamePrefix(`${name}/true`, () => ownOutput(g, tCtx, tl, fn, `the true branch's ${paths[i]}`, dt));
      const b = g.withNamePrefix(`${name}/false`, () => ownOutput(g, fCtx, fl, fn, `the false branch's ${paths[i]}`, a.dtype));
      const isOp = a instanceof Operation;
      if (!isOp && a.dtype !== b.dtype) {
        throw new DTypeError(
          `${fn}: ${paths[i]} has dtype ${a.dtype} in the true branch and ${b.dtype} in the false branch; both branches must return the same dtypes (cast one)`,
        );
      }
      const sa = a.partialShape;
      const sb = b.partialShape;
      if (!isOp && sa.length !== sb.length) {
        throw new ShapeError(
          `${fn}: ${paths[i]} has shape ${formatShape(sa)} in the true branch and ${formatShape(sb)} in the false branch; ranks must agree`,
        );
      }
      specs.push({ shape: sa.map((d, k) => (d === sb[k] ? d : null)), dtype: a.dtype });
      opLeaf.push(isOp);
      tOut.push(a);
      fOut.push(b);
    });
    tCtx.outputs = tOut;
    fCtx.outputs = fOut;
    tCtx.closed = true;
    fCtx.closed = true;
    const captures: SymbolicTensor[] = [];
    const seen = new Set<SymbolicTensor>();
    for (const c of [...tCtx.captures, ...fCtx.captures]) {
      if (!seen.has(c)) {
        seen.add(c);
        captures.push(c);
      }
    }
    const none = specs.length === 0;
    const node = g.addNode(
      {
        kind: 'cond',
        name,
        rawName: true,
        inputs: [p, ...captures],
        ctx,
        cond: { trueCtx: tCtx, falseCtx: fCtx, structure: t.s },
      },
      none ? [{ shape: [], dtype: 'bool' }] : specs,
    );
    node.outputs = node.outputs.map((o, i) =>
      none || opLeaf[i] === true ? new Operation(g, node, i, o.partialShape, o.dtype) : o,
    );
    tCtx.owner = node;
    fCtx.owner = node;
    if (none) return node.outputs[0];
    return unflatten(t.s, node.outputs, { i: 0 });
  });
}

/**
 * Runs `trueFn` if `pred` is true, else `falseFn`; returns what the branch returns (a tensor,
 * or arrays / plain objects of tensors).
 *
 * In a graph, both functions are called once while building, each into its own sub-graph, and a
 * session runs only the taken branch. Both branches must return the same structure with the
 * same dtypes (a {@link GraphError} or `DTypeError` says where they differ); shapes may differ
 * (the result then has `null` there). Gradients flow through the branch that ran. Assignments
 * built inside a branch run only when that branch is taken.
 *
 * **Ops built outside the branch functions always run**: in
 * `const y = expensive(x); cond(p, () => y, () => zeros)`, `expensive` runs even when `p` is
 * false, because it was built before `cond`. Build such ops inside the branch function.
 *
 * `pred` is a bool tensor with one element (`greaterEqual(x, 0)` on a `[1, 1]` tensor works).
 * With a JavaScript boolean, or outside a graph with an eager tensor, `cond` just calls the
 * chosen function.
 *
 * @example
 * ```ts
 * const trueRelu = (x: Tensor) => cond(greaterEqual(x, 0).all(), () => x, () => zerosLike(x));
 * const g = new Graph();
 * const { x1, r1 } = g.asDefault(() => {
 *   const x1 = placeholder('float64', [1, 1], { name: 'x1' });
 *   return { x1, r1: trueRelu(x1) };
 * });
 * new Session(g).run(r1, { x1: [[-5]] }).arraySync(); // [[0]]
 * ```
 */
export function cond<T>(pred: TensorLike, trueFn: () => T, falseFn: () => T, options: CondOptions = {}): CondResult<T> {
  if (typeof trueFn !== 'function' || typeof falseFn !== 'function') {
    throw new ValueError('cond: trueFn and falseFn must be functions');
  }
  if (typeof pred === 'boolean') return toTensors(pred ? trueFn() : falseFn()) as CondResult<T>;
  const g = currentGraph() ?? (isGraphTensor(pred) ? pred.graph : undefined);
  if (g === undefined) {
    const p = pred instanceof Tensor ? pred : tensor(pred);
    return toTensors(predicateValue(p, 'cond') ? trueFn() : falseFn()) as CondResult<T>;
  }
  return buildCond(g, pred, trueFn, falseFn, options) as CondResult<T>;
}

/** Converts the number / boolean / typed-array leaves of a branch result to tensors. */
function toTensors(x: unknown): unknown {
  if (x instanceof Tensor) return x;
  if (typeof x === 'number' || typeof x === 'boolean' || ArrayBuffer.isView(x)) return tensor(x as TensorLike);
  if (Array.isArray(x)) return x.map(toTensors);
  if (isPlainObject(x)) {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(x)) o[k] = toTensors(x[k]);
    return o;
  }
  return x;
}

/**
 * What {@link cond} returns for branches returning `T`: tensors (numbers and booleans become
 * tensors), in `T`'s arrays and objects; an {@link Operation} in a graph (`undefined` eagerly)
 * when the branches return nothing.
 *
 * @example
 * ```ts
 * type R = CondResult<{ a: Tensor; b: number }>; // { a: Tensor; b: Tensor }
 * ```
 */
export type CondResult<T> = [T] extends [void | undefined]
  ? Operation | undefined
  : T extends Tensor | number | boolean | TypedArray
    ? T extends Operation
      ? Operation
      : Tensor
    : T extends readonly unknown[]
      ? { -readonly [K in keyof T]: CondResult<T[K]> }
      : T extends object
        ? { -readonly [K in keyof T]: CondResult<T[K]> }
        : T;

// ---- whileLoop -------------------------------------------------------------------------------

function bodyResults(r: unknown, n: number, fn: string): unknown[] {
  if (Array.isArray(r)) {
    if (r.length !== n) {
      throw new GraphError(`${fn}: the body returned ${r.length} values for ${n} loop variables; return one value per loop variable`);
    }
    return r;
  }
  if (n === 1) return [r];
  throw new GraphError(`${fn}: the body must return an array of ${n} values (one per loop variable)`);
}

function eagerWhile(
  condFn: (...vars: Tensor[]) => TensorLike,
  bodyFn: (...vars: Tensor[]) => unknown,
  loopVars: readonly Tensor[],
  max: number | undefined,
): Tensor[] {
  const fn = 'whileLoop';
  const initial = new Set(loopVars);
  let vars = [...loopVars];
  for (let i = 0; max === undefined || i < max; i++) {
    const c = condFn(...vars);
    const ct = c instanceof Tensor ? c : tensor(c);
    const go = predicateValue(ct, `${fn} (condition)`);
    if (ct !== c) ct.dispose();
    if (!go) break;
    const next = bodyResults(bodyFn(...vars), vars.length, fn).map((v, k) => {
      const t = v instanceof Tensor ? v : tensor(v as TensorLike, undefined, vars[k]!.dtype);
      if (t.dtype !== vars[k]!.dtype) {
        throw new DTypeError(`${fn}: loop variable ${k} has dtype ${vars[k]!.dtype}, but the body returns ${t.dtype}`);
      }
      return t;
    });
    const keepSet = new Set(next);
    for (const v of vars) if (!initial.has(v) && !keepSet.has(v)) v.dispose();
    vars = next;
  }
  return vars;
}

/**
 * Repeats `bodyFn` while `condFn` holds: `vars = bodyFn(...vars)` starting from `loopVars`, and
 * returns the final loop variables. `condFn` returns a bool tensor with one element; `bodyFn`
 * returns one value per loop variable (an array; a single value when there is one), each with
 * its variable's dtype and shape (unless `shapeInvariants` relaxes it).
 *
 * In a graph, both functions are called once while building; a session runs the loop. Gradients
 * flow to the initial loop variables and to the tensors the body uses from outside, when
 * `maximumIterations` is given. A variable read inside the loop must not also be assigned there
 * (pass its value as a loop variable instead). Outside a graph it runs as a plain loop.
 *
 * @example
 * ```ts
 * // x doubled until it exceeds 100
 * const g = new Graph();
 * const [i, y] = g.asDefault(() => {
 *   const x = placeholder('float32', [], { name: 'x' });
 *   return whileLoop((i, v) => less(v, 100), (i, v) => [i.add(1), v.mul(2)], [scalar(0, 'int32'), x], { maximumIterations: 50 });
 * });
 * new Session(g).run([i, y], { x: 3 }); // [6, 192]
 * ```
 */
export function whileLoop(
  condFn: (...vars: Tensor[]) => TensorLike,
  bodyFn: (...vars: Tensor[]) => TensorLike | readonly TensorLike[],
  loopVars: readonly TensorLike[],
  options: WhileLoopOptions = {},
): Tensor[] {
  const fn = 'whileLoop';
  if (typeof condFn !== 'function' || typeof bodyFn !== 'function') {
    throw new ValueError(`${fn}: condFn and bodyFn must be functions`);
  }
  if (!Array.isArray(loopVars) || loopVars.length === 0) {
    throw new ValueError(`${fn}: loopVars must be a non-empty array of tensors`);
  }
  const max = options.maximumIterations;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 0)) {
    throw new ValueError(`${fn}: maximumIterations must be a non-negative integer, got ${String(max)}`);
  }
  const inv = options.shapeInvariants;
  if (inv !== undefined && (!Array.isArray(inv) || inv.length !== loopVars.length)) {
    throw new ValueError(`${fn}: shapeInvariants must have one shape per loop variable (${loopVars.length})`);
  }
  const g = currentGraph() ?? (loopVars.find((v) => isGraphTensor(v)) as SymbolicTensor | GraphVariable | undefined)?.graph;
  if (g === undefined) {
    return eagerWhile(condFn, bodyFn, loopVars.map((v) => (v instanceof Tensor ? v : tensor(v))), max);
  }
  return g.building(() => buildWhile(g, condFn, bodyFn, loopVars, options));
}

function buildWhile(
  g: Graph,
  condFn: (...vars: Tensor[]) => TensorLike,
  bodyFn: (...vars: Tensor[]) => unknown,
  loopVars: readonly TensorLike[],
  options: WhileLoopOptions,
): Tensor[] {
  const fn = 'whileLoop';
  const ctx = g.current;
  const init = loopVars.map((v, i) => {
    if (v instanceof Operation) throw new GraphError(`${fn}: loopVars[${i}] is an operation; loop variables must be tensors`);
    return g.resolve(v instanceof Tensor ? v : tensor(v), ctx, fn, `loopVars[${i}]`);
  });
  const shapes: PartialShape[] = init.map((t, i) => {
    const s = options.shapeInvariants?.[i];
    if (s === undefined) return t.partialShape;
    if (!Array.isArray(s) || s.length !== t.partialShape.length || !shapesEqual(s, t.partialShape, true)) {
      throw new ShapeError(
        `${fn}: shapeInvariants[${i}] ${Array.isArray(s) ? formatShape(s) : String(s)} does not fit loop variable ${i}'s shape ${formatShape(t.partialShape)}`,
      );
    }
    return [...s];
  });
  const name = g.reserveName(options.name ?? 'while');
  const cCtx = g.newCtx('loopCond', ctx, `the condition of whileLoop '${name}'`);
  const bCtx = g.newCtx('loopBody', ctx, `the body of whileLoop '${name}'`);
  const bind = (c: Ctx, label: string): SymbolicTensor[] =>
    init.map(
      (t, i) =>
        g.withCtx(c, () =>
          g.withNamePrefix(`${name}/${label}`, () =>
            g.addNode({ kind: 'loopVar', name: `var_${i}`, ctx: c }, [{ shape: shapes[i]!, dtype: t.dtype }]).outputs[0]!,
          ),
        ),
    );
  cCtx.loopVars = bind(cCtx, 'cond');
  const predRaw = g.withCtx(cCtx, () => g.withNamePrefix(`${name}/cond`, () => condFn(...cCtx.loopVars)));
  const pred = g.withNamePrefix(`${name}/cond`, () => ownOutput(g, cCtx, predRaw, fn, 'the condition'));
  if (pred.dtype !== 'bool') {
    throw new DTypeError(`${fn}: the condition must return a bool tensor, got ${pred.dtype}; compare first, e.g. less(i, 10)`);
  }
  if (sizeOf(pred.partialShape) !== 1) {
    throw new ShapeError(`${fn}: the condition must return one element, got shape ${formatShape(pred.partialShape)}; reduce it with all() or any()`);
  }
  cCtx.outputs = [pred];
  cCtx.closed = true;
  bCtx.loopVars = bind(bCtx, 'body');
  const raw = g.withCtx(bCtx, () => g.withNamePrefix(`${name}/body`, () => bodyFn(...bCtx.loopVars)));
  const results = bodyResults(raw, init.length, fn);
  bCtx.outputs = results.map((r, i) => {
    if (r instanceof Operation) throw new GraphError(`${fn}: the body returned an operation for loop variable ${i}; return tensors`);
    const o = g.withNamePrefix(`${name}/body`, () => ownOutput(g, bCtx, r, fn, `the body's result ${i}`, init[i]!.dtype));
    if (o.dtype !== init[i]!.dtype) {
      throw new DTypeError(`${fn}: loop variable ${i} has dtype ${init[i]!.dtype}, but the body returns ${o.dtype}; cast it`);
    }
    if (o.partialShape.length !== shapes[i]!.length || !shapesEqual(o.partialShape, shapes[i]!, true) || !fits(o.partialShape, shapes[i]!)) {
      throw new ShapeError(
        `${fn}: loop variable ${i} enters the loop with shape ${formatShape(shapes[i]!)}, but the body returns shape ${formatShape(o.partialShape)}; ` +
          `pass shapeInvariants (with null for dimensions that change) to allow it`,
      );
    }
    return o;
  });
  bCtx.closed = true;
  const captures: SymbolicTensor[] = [];
  const seen = new Set<SymbolicTensor>();
  for (const c of [...cCtx.captures, ...bCtx.captures]) {
    if (!seen.has(c)) {
      seen.add(c);
      captures.push(c);
    }
  }
  const node = g.addNode(
    {
      kind: 'while',
      name,
      rawName: true,
      inputs: [...init, ...captures],
      ctx,
      loop: { condCtx: cCtx, bodyCtx: bCtx, numVars: init.length, maximumIterations: options.maximumIterations, record: false },
    },
    init.map((t, i) => ({ shape: shapes[i]!, dtype: t.dtype })),
  );
  cCtx.owner = node;
  bCtx.owner = node;
  return node.outputs;
}

/** Whether `actual` fits `invariant` (a known invariant dimension must match exactly). */
function fits(actual: PartialShape, invariant: PartialShape): boolean {
  return invariant.every((d, i) => d === null || actual[i] === d);
}
