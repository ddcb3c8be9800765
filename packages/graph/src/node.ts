/**
 * Graph internals: nodes and the contexts (the graph's top level, `cond` branches, loop bodies)
 * they belong to.
 *
 * @module
 * @internal
 */
import type { Attrs, OpDef, Tensor, TypedArray } from '@tessera/core';
import type { GraphVariable, SymbolicTensor } from './symbolic.js';

/**
 * The kinds of node:
 * - `op`: a core op (primitive or composite), run with `runOp`;
 * - `const`: a constant; `placeholder`: fed by the caller (or its default input);
 * - `variable`: a variable itself (fetching it gives its value at the end of the run);
 * - `read` / `assign`: reading / assigning a variable at that point of the program;
 * - `group`: runs its control inputs, no value;
 * - `cond`, `while`, `whileGrad`: control flow, owning sub-contexts;
 * - `loopVar`: a value bound by the owner of its context (loop variables, gradients in loops).
 *
 * @internal
 */
export type NodeKind =
  | 'op'
  | 'const'
  | 'placeholder'
  | 'variable'
  | 'read'
  | 'assign'
  | 'group'
  | 'cond'
  | 'while'
  | 'whileGrad'
  | 'loopVar';

/** How the values a `cond` branch or loop body returns are arranged. @internal */
export type Structure =
  | { readonly t: 'tensor'; readonly op: boolean }
  | { readonly t: 'array'; readonly items: readonly Structure[] }
  | { readonly t: 'object'; readonly keys: readonly string[]; readonly items: readonly Structure[] }
  | { readonly t: 'none' };

/** Extra data of control-flow nodes. @internal */
export interface CondData {
  readonly trueCtx: Ctx;
  readonly falseCtx: Ctx;
  readonly structure: Structure;
}

/** @internal */
export interface LoopData {
  readonly condCtx: Ctx;
  readonly bodyCtx: Ctx;
  readonly numVars: number;
  readonly maximumIterations: number | undefined;
  /** Whether runs keep each iteration's loop variables (set once a gradient of the loop exists). */
  record: boolean;
}

/** @internal */
export interface WhileGradData {
  /** The forward `while` node. */
  readonly forward: GraphNode;
  /** The per-iteration gradient context. */
  readonly ctx: Ctx;
  /** Indices (into the loop variables) of the float loop variables, whose gradients flow. */
  readonly floatVars: readonly number[];
  /** The forward body's captures that get gradients (float ones). */
  readonly captures: readonly SymbolicTensor[];
}

/** A node of a graph. @internal */
export interface GraphNode {
  /** Creation order, unique in the graph: a valid execution order. */
  readonly id: number;
  readonly name: string;
  readonly kind: NodeKind;
  /** The op name for `op` nodes, else the kind. */
  readonly op: string;
  readonly def: OpDef | undefined;
  readonly inputs: readonly SymbolicTensor[];
  /** Nodes (by one of their outputs) that must run before this one; values unused. */
  readonly control: readonly SymbolicTensor[];
  readonly attrs: Attrs;
  readonly ctx: Ctx;
  outputs: SymbolicTensor[];
  /** `const`: the values (or an eager tensor whose backend cannot be read synchronously). */
  readonly values?: TypedArray;
  readonly eager?: Tensor;
  /** `variable`, `read`, `assign`: the variable. */
  readonly variable?: GraphVariable;
  readonly cond?: CondData;
  readonly loop?: LoopData;
  readonly whileGrad?: WhileGradData;
}

/** The kinds of context. @internal */
export type CtxKind = 'root' | 'branch' | 'loopCond' | 'loopBody' | 'whileGrad';

/** A context: the graph's top level or a sub-graph that a control-flow node runs. @internal */
export class Ctx {
  readonly id: number;
  readonly kind: CtxKind;
  readonly parent: Ctx | null;
  /** A short description for messages. */
  readonly label: string;
  /** Its nodes, in creation order. */
  readonly nodes: GraphNode[] = [];
  /** Tensors of enclosing contexts that its nodes use (the owner's inputs). */
  readonly captures: SymbolicTensor[] = [];
  readonly captureSet: Set<SymbolicTensor> = new Set();
  /** Contexts whose nodes this one may recompute (gradients of control flow). */
  readonly remat: Ctx[] = [];
  /** The values it returns to its owner. */
  outputs: SymbolicTensor[] = [];
  /** Values the owner binds before running it (loop variables, gradients). */
  loopVars: SymbolicTensor[] = [];
  owner: GraphNode | null = null;
  closed = false;
  /** Variable reads built here, reused until the variable is assigned. */
  readonly readCache: Map<GraphVariable, SymbolicTensor> = new Map();
  /** Variables assigned in this context. */
  readonly assigned: Set<GraphVariable> = new Set();
  /** Variables whose reads were built outside this loop context (they must not be assigned in it). */
  readonly hoisted: Set<GraphVariable> = new Set();
  /** Execution plan, built on first run. */
  plan: unknown = undefined;

  constructor(id: number, kind: CtxKind, parent: Ctx | null, label: string) {
    this.id = id;
    this.kind = kind;
    this.parent = parent;
    this.label = label;
  }

  addCapture(t: SymbolicTensor): void {
    if (this.captureSet.has(t)) return;
    this.captureSet.add(t);
    this.captures.push(t);
  }

  /** Whether `other` is this context or one of its ancestors. */
  within(other: Ctx): boolean {
    for (let c: Ctx | null = this; c !== null; c = c.parent) if (c === other) return true;
    return false;
  }
}

/** What {@link Graph.addNode} needs to create a node. @internal */
export interface NodeSpec {
  readonly kind: NodeKind;
  readonly name: string;
  readonly op?: string;
  readonly def?: OpDef;
  readonly inputs?: readonly SymbolicTensor[];
  readonly control?: readonly SymbolicTensor[];
  readonly attrs?: Attrs;
  readonly ctx?: Ctx;
  readonly values?: TypedArray;
  readonly eager?: Tensor;
  readonly variable?: GraphVariable;
  readonly cond?: CondData;
  readonly loop?: LoopData;
  readonly whileGrad?: WhileGradData;
  /** Keep the name as given (no scope prefix). */
  readonly rawName?: boolean;
}
