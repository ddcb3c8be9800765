/**
 * Op definitions. Every op is defined once: its name, its inputs, its shape and dtype rule, and
 * either a kernel name (primitive) or a composition of other ops (composite). The same
 * definition serves eager execution, tape recording and graph building.
 *
 * @module
 */
import type { Attrs, DataId, OutputSpec } from './backend.js';
import type { DType } from './dtype.js';
import { TesseraError } from './errors.js';
import type { PartialShape } from './shape.js';
import type { Tensor } from './tensor.js';

/**
 * The static description of a tensor an op produces or consumes: shape (dims may be `null`
 * while building a graph) and dtype.
 *
 * @example
 * ```ts
 * const spec: TensorSpec = { shape: [null, 10], dtype: 'float32' };
 * ```
 */
export interface TensorSpec {
  /** The shape, with `null` for dimensions unknown until run time. */
  readonly shape: PartialShape;
  /** The dtype. */
  readonly dtype: DType;
}

/**
 * A shape and dtype rule: validates inputs and attributes (throwing errors that name the op)
 * and returns one spec per output. It must accept unknown (`null`) dimensions.
 *
 * @example
 * ```ts
 * const infer: ShapeRule = ([x]) => [{ shape: x!.shape, dtype: x!.dtype }];
 * ```
 */
export type ShapeRule = (inputs: readonly TensorSpec[], attrs: Attrs) => TensorSpec[];

/**
 * A primitive op: each backend runs it with a kernel of the same name.
 *
 * @example
 * ```ts
 * const def = getOp('exp'); // def.kind === 'primitive'
 * ```
 */
export interface PrimitiveOpDef {
  /** The op (and kernel) name. */
  readonly name: string;
  /** Discriminator. */
  readonly kind: 'primitive';
  /** Input names, in order. */
  readonly inputs: readonly string[];
  /** The last input repeats: the op takes `inputs.length - 1` or more inputs (as `concat` does). */
  readonly variadic?: boolean;
  /** The shape and dtype rule. */
  readonly infer: ShapeRule;
  /**
   * Fills attributes that may hold unknown (`null`) dimensions from the inputs' shapes, for
   * example the batch size in `conv2dBackpropInput`'s `inputShape`, which a gradient built in a
   * graph with a `[null, ...]` placeholder cannot know. The engine calls it before the shape rule
   * and the kernel, so kernels always see concrete attributes; shape rules also call it (with
   * possibly unknown input dims) while a graph is built.
   */
  readonly resolveAttrs?: (inputs: readonly TensorSpec[], attrs: Attrs) => Attrs;
  /**
   * An implementation the engine uses when the backend has no kernel of this name, for ops that
   * need no computation (for example `reshape`, which shares its input's buffer).
   * @internal
   */
  readonly builtin?: (inputs: readonly DataId[], outputs: readonly OutputSpec[]) => readonly DataId[];
}

/**
 * A composite op: written with other ops. A backend may register a fused kernel under its name;
 * otherwise the composition runs.
 *
 * @example
 * ```ts
 * const def = getOp('softmax'); // def.kind === 'composite'
 * ```
 */
export interface CompositeOpDef {
  /** The op name. */
  readonly name: string;
  /** Discriminator. */
  readonly kind: 'composite';
  /** Input names, in order. */
  readonly inputs: readonly string[];
  /** The last input repeats: the op takes `inputs.length - 1` or more inputs. */
  readonly variadic?: boolean;
  /** The shape and dtype rule, used when a fused kernel runs and when building graphs. */
  readonly infer: ShapeRule;
  /** The composition. Must return tensors matching `infer`. */
  readonly compose: (inputs: readonly Tensor[], attrs: Attrs) => Tensor[];
}

/**
 * Any op definition.
 *
 * @example
 * ```ts
 * const defs: OpDef[] = listOps().map((o) => getOp(o.name)!);
 * ```
 */
export type OpDef = PrimitiveOpDef | CompositeOpDef;

const registry = new Map<string, OpDef>();

function register<D extends OpDef>(def: D): D {
  if (registry.has(def.name)) throw new TesseraError(`op ${def.name} is defined twice`);
  registry.set(def.name, def);
  return def;
}

/**
 * Defines a primitive op. Used by core's op modules; plugin authors do not need it.
 *
 * @example
 * ```ts
 * const expOp = definePrimitive({ name: 'exp', inputs: ['x'], infer: ([x]) => [x!] });
 * ```
 */
export function definePrimitive(def: Omit<PrimitiveOpDef, 'kind'>): PrimitiveOpDef {
  return register({ ...def, kind: 'primitive' });
}

/**
 * Defines a composite op.
 *
 * @example
 * ```ts
 * const squareOp = defineComposite({
 *   name: 'square', inputs: ['x'], infer: ([x]) => [x!], compose: ([x]) => [mul(x!, x!)],
 * });
 * ```
 */
export function defineComposite(def: Omit<CompositeOpDef, 'kind'>): CompositeOpDef {
  return register({ ...def, kind: 'composite' });
}

/**
 * Looks up an op definition by name.
 *
 * @example
 * ```ts
 * getOp('matmul')?.kind; // 'primitive'
 * ```
 */
export function getOp(name: string): OpDef | undefined {
  return registry.get(name);
}

/**
 * A summary of one op, as {@link listOps} returns it.
 *
 * @example
 * ```ts
 * const info: OpInfo = { name: 'add', kind: 'primitive', inputs: ['a', 'b'] };
 * ```
 */
export interface OpInfo {
  /** The op name (also the kernel name for primitives). */
  readonly name: string;
  /** `primitive` (a backend must implement it) or `composite` (runs as a composition). */
  readonly kind: 'primitive' | 'composite';
  /** Input names, in order. */
  readonly inputs: readonly string[];
}

/**
 * Every op core defines, sorted by name. The primitive ones are what a backend must implement
 * (except those the engine handles itself, such as `reshape`); composites may get fused kernels.
 *
 * @example
 * ```ts
 * const mustImplement = listOps().filter((o) => o.kind === 'primitive').map((o) => o.name);
 * ```
 */
export function listOps(): OpInfo[] {
  return [...registry.values()]
    .map((d) => ({ name: d.name, kind: d.kind, inputs: d.inputs }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The primitive ops a backend must provide kernels for (those the engine cannot run itself).
 *
 * @example
 * ```ts
 * const missing = requiredKernels().filter((k) => !(k in myBackend.kernels));
 * ```
 */
export function requiredKernels(): string[] {
  return [...registry.values()]
    .filter((d): d is PrimitiveOpDef => d.kind === 'primitive' && d.builtin === undefined)
    .map((d) => d.name)
    .sort();
}
