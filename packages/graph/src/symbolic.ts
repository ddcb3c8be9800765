/**
 * Symbolic tensors, operations and graph variables: the handles that graph building returns.
 *
 * @module
 */
import {
  formatShape,
  sizeOf,
  Tensor,
  UnsupportedError,
  Variable,
  type Backend,
  type DType,
  type PartialShape,
  type Shape,
  type TensorLike,
} from '@tessera/core';
import type { Graph } from './graph.js';
import type { GraphNode } from './node.js';

/** The data id every symbolic tensor shares: symbolic tensors own no buffer. */
const SYMBOLIC_DATA: object = Object.freeze({ symbolic: true });

function noData(): never {
  throw new UnsupportedError(
    'the value of a symbolic tensor is not known while the graph is built; fetch it with session.run()',
  );
}

/** A stand-in backend for symbolic tensors: it stores nothing and runs nothing. */
const GRAPH_BACKEND: Backend = Object.freeze({
  specificationVersion: 1 as const,
  name: 'graph (symbolic)',
  capabilities: Object.freeze({ dtypes: ['float32', 'float64', 'int32', 'bool'] as const, syncRead: false }),
  kernels: Object.freeze({}),
  write: noData,
  read: noData,
  disposeData: () => undefined,
  memory: () => ({ numBuffers: 0, numBytes: 0 }),
  dispose: () => undefined,
});

let nextSymbolicId = -1;

/** @internal */
export function symbolicId(): number {
  return nextSymbolicId--;
}

/**
 * A tensor of a {@link Graph}: an output of a node. Its value is only known when a
 * {@link Session} runs the graph. It has a dtype and a shape in which unknown dimensions are
 * `null`: {@link SymbolicTensor.partialShape} has the precise type, and `shape` holds the same
 * array (typed `number[]` because it is inherited from `Tensor`, so check for `null` before
 * using a dimension of a graph tensor). `size` is `NaN` while a dimension is unknown.
 *
 * Using a symbolic tensor as a number, boolean or string (`if (x >= 0)`, `+x`, `` `${x}` ``)
 * throws an `UnsupportedError` telling you to use {@link cond} (and {@link whileLoop} for loops).
 *
 * @example
 * ```ts
 * const g = new Graph();
 * g.asDefault(() => {
 *   const x = placeholder('float32', [null, 3], { name: 'x' });
 *   const y = x.mul(2);
 *   y.partialShape; // [null, 3]
 *   y.name; // 'mul'
 * });
 * ```
 */
export class SymbolicTensor extends Tensor {
  /** The graph this tensor belongs to. */
  readonly graph: Graph;
  /** The node producing this tensor. @internal */
  readonly node: GraphNode;
  /** Which output of the node it is. */
  readonly index: number;

  /** @internal */
  constructor(graph: Graph, node: GraphNode, index: number, shape: PartialShape, dtype: DType) {
    super(SYMBOLIC_DATA, shape as Shape, dtype, GRAPH_BACKEND, symbolicId());
    this.graph = graph;
    this.node = node;
    this.index = index;
  }

  /** The name: the node's name, with `:i` for outputs after the first. */
  get name(): string {
    return this.index === 0 ? this.node.name : `${this.node.name}:${this.index}`;
  }

  /** The shape with `null` for dimensions unknown until the graph runs. */
  get partialShape(): PartialShape {
    return this.shape as PartialShape;
  }

  /** The name of the op (or kind of node) that produces this tensor, such as `'matmul'`. */
  get opType(): string {
    return this.node.op;
  }

  /** Always true. */
  override get isSymbolic(): boolean {
    return true;
  }

  /** Always false: symbolic tensors own no memory. */
  override get isDisposed(): boolean {
    return false;
  }

  /** The number of elements, or `NaN` while a dimension is unknown. */
  override get size(): number {
    return sizeOf(this.partialShape) ?? Number.NaN;
  }

  /** A description such as `SymbolicTensor('x', shape=[?,3], dtype=float32)`. */
  override toString(): string {
    return `SymbolicTensor('${this.name}', shape=${formatShape(this.partialShape)}, dtype=${this.dtype})`;
  }
}

/**
 * An operation of a {@link Graph} that has no value of its own: a train op, a
 * {@link group}, a variables initializer. Fetching it with `session.run` runs it and gives
 * `undefined`. It is typed as a tensor so that code written for eager mode (an optimizer's
 * `minimize`) can return it, but it cannot be used as an op input.
 *
 * @example
 * ```ts
 * const init = g.asDefault(() => globalVariablesInitializer());
 * session.run(init); // undefined
 * ```
 */
export class Operation extends SymbolicTensor {
  /** Always true. */
  get isOperation(): true {
    return true;
  }

  /** A description such as `Operation('train')`. */
  override toString(): string {
    return `Operation('${this.name}')`;
  }
}

/**
 * A variable of a {@link Graph}, created by core's `variable()` / `getVariable()` while the
 * graph is being built (or by {@link Graph.variable}). Its value lives in each
 * {@link Session} that runs the graph: a session initializes it when it runs
 * {@link globalVariablesInitializer} (or {@link GraphVariable.initializer}), and reading it
 * before then throws {@link UninitializedVariableError}.
 *
 * Used as an op input, it reads the variable's value at that point of the program (as in eager
 * mode: a read built after an `assign` of the same variable runs after it). `assign`,
 * `assignAdd` and `assignSub` build an assignment and return a handle to the assigned value:
 * fetch it (or pass it to {@link group}) to run the assignment. Fetching the variable itself
 * gives its value at the end of the run.
 *
 * @example
 * ```ts
 * const g = new Graph();
 * const { w, step } = g.asDefault(() => {
 *   const w = nameScope('first_part', () => getVariable('w', { initializer: 3 }));
 *   return { w, step: w.assignSub(1) };
 * });
 * w.name; // 'first_part/w'
 * const s = new Session(g);
 * s.run(globalVariablesInitializer(g));
 * s.run(step).dataSync(); // [2]
 * ```
 */
export class GraphVariable extends Variable {
  /** The graph this variable belongs to. */
  readonly graph: Graph;
  /** The node standing for the variable. @internal */
  node!: GraphNode;
  /** The symbolic tensor the initializer assigns. */
  initialValue!: SymbolicTensor;
  /** The operation that sets the variable to its initial value. */
  initializer!: Operation;
  /** Set on the handles `assign` returns: the assignment node. @internal */
  readonly assignNode: GraphNode | undefined;
  /** Set on the handles `assign` returns: the variable assigned. @internal */
  readonly base: GraphVariable | undefined;

  /** @internal */
  constructor(graph: Graph, initialValue: SymbolicTensor, name: string, trainable: boolean) {
    super(initialValue, { name, trainable });
    this.graph = graph;
    this.initialValue = initialValue;
    this.assignNode = undefined;
    this.base = undefined;
  }

  /** Always true. */
  override get isSymbolic(): boolean {
    return true;
  }

  /** Always false: a graph variable's values live in sessions. */
  override get isDisposed(): boolean {
    return false;
  }

  /** The shape (always fully known for variables). */
  get partialShape(): PartialShape {
    return this.shape;
  }

  /** The variable this handle refers to (itself, or the variable an `assign` result assigned). */
  get variable(): GraphVariable {
    return this.base ?? this;
  }

  /**
   * Builds an assignment of `value` (same dtype and shape) to the variable and returns a
   * handle to the assigned value; run it by fetching it or through {@link group} / a train op.
   *
   * @example
   * ```ts
   * const reset = g.asDefault(() => w.assign(zeros([3])));
   * session.run(reset);
   * ```
   */
  override assign(value: TensorLike): this {
    return this.graph.buildAssign(this.variable, value, 'assign') as this;
  }

  /**
   * Builds `variable = variable + delta`; returns a handle to the new value.
   *
   * @example
   * ```ts
   * const inc = g.asDefault(() => step.assignAdd(1));
   * ```
   */
  override assignAdd(delta: TensorLike): this {
    return this.graph.buildUpdate(this.variable, delta, 'assignAdd') as this;
  }

  /**
   * Builds `variable = variable - delta`; returns a handle to the new value.
   *
   * @example
   * ```ts
   * const step = g.asDefault(() => w.assignSub(grad.mul(0.1)));
   * ```
   */
  override assignSub(delta: TensorLike): this {
    return this.graph.buildUpdate(this.variable, delta, 'assignSub') as this;
  }

  /** A description such as `GraphVariable('first_part/w', shape=[3,2], dtype=float32)`. */
  override toString(): string {
    if (this.base !== undefined) return `GraphVariable('${this.base.name}' after assignment)`;
    return `GraphVariable('${this.name}', shape=${formatShape(this.shape)}, dtype=${this.dtype})`;
  }

  /** Makes the handle `assign` returns: the same variable, standing for the assigned value. @internal */
  static assignResult(v: GraphVariable, node: GraphNode): GraphVariable {
    const view = Object.create(v) as GraphVariable;
    Object.defineProperty(view, 'assignNode', { value: node, enumerable: false });
    Object.defineProperty(view, 'base', { value: v, enumerable: false });
    return view;
  }
}

/** Whether `t` is a tensor of some graph (a symbolic tensor or a graph variable). @internal */
export function isGraphTensor(t: unknown): t is SymbolicTensor | GraphVariable {
  return t instanceof SymbolicTensor || t instanceof GraphVariable;
}
