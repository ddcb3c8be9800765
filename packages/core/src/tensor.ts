/**
 * The `Tensor` class: an immutable handle to a backend buffer with a shape and dtype, plus
 * chainable methods for the common ops.
 *
 * @module
 */
import type { Backend, DataId } from './backend.js';
import type { DType, TypedArray } from './dtype.js';
import { BackendError, DisposedError, UnsupportedError, ValueError } from './errors.js';
import { ENGINE, type Held } from './engine.js';
import { formatTensor, toNested, type NestedArray } from './format.js';
import { sizeOf, formatShape, type Shape } from './shape.js';
import * as ew from './ops/elementwise.js';
import * as red from './ops/reduce.js';
import * as la from './ops/linalg.js';
import * as sh from './ops/shape.js';
import * as nn from './ops/nn.js';

/**
 * Anything an op accepts where a tensor is expected: a tensor, a number or boolean (a scalar),
 * a typed array, or a nested array of numbers or booleans.
 *
 * @example
 * ```ts
 * const a: TensorLike = [[1, 2], [3, 4]];
 * add(a, 1);
 * ```
 */
export type TensorLike = Tensor | number | boolean | TypedArray | NestedArray;

/**
 * An n-dimensional array of numbers or booleans living on a backend. Tensors are immutable:
 * every op returns a new tensor. Free them with {@link Tensor.dispose}, {@link tidy}, an async
 * scope or `using`; a tensor the program drops is also freed by the garbage collector.
 *
 * An eager tensor with exactly one element converts to a number, so `if (x >= 0)` works on
 * it; a larger tensor used as a number throws (its truth value would be ambiguous). Note that
 * JavaScript treats every object as truthy, so write `if (x.greater(0))`-style tests as
 * `if (x > 0)` or with `.item()`.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * const y = x.mul(x).add(x.mul(2)).add(4);
 * console.log(y.toString());
 * ```
 */
export class Tensor {
  /** A unique id, for display and debugging. */
  readonly id: number;
  /** The shape: one size per dimension (`[]` for a scalar). */
  readonly shape: Shape;
  /** The element type. */
  readonly dtype: DType;
  /** The backend buffer (swapped by `Variable.assign`). @internal */
  dataId: DataId;
  /** The backend holding the buffer. @internal */
  readonly backend: Backend;
  /** Set by {@link keep}: scopes do not dispose kept tensors. @internal */
  kept = false;
  /** The engine's record of this handle (reference count, disposal state). @internal */
  held: Held | undefined = undefined;

  /** @internal */
  constructor(dataId: DataId, shape: Shape, dtype: DType, backend: Backend, id: number) {
    this.dataId = dataId;
    this.shape = shape;
    this.dtype = dtype;
    this.backend = backend;
    this.id = id;
  }

  /** The number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** The number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }

  /** Whether this is a symbolic graph tensor (its value is only known when a session runs). */
  get isSymbolic(): boolean {
    return false;
  }

  /** Whether {@link Tensor.dispose} has been called (or the tensor was otherwise freed). */
  get isDisposed(): boolean {
    return ENGINE.isDisposed(this);
  }

  private checkReadable(fn: string): void {
    if (this.isSymbolic) {
      throw new UnsupportedError(
        `${fn}: the value of a symbolic tensor is not known while the graph is built; fetch it with session.run(), and use cond() / whileLoop() to branch or loop on it`,
      );
    }
    if (ENGINE.isDisposed(this)) {
      throw new DisposedError(`${fn}: the tensor (shape ${formatShape(this.shape)}) has been disposed`);
    }
  }

  /**
   * Reads the values as a flat typed array (a copy the caller owns).
   *
   * @example
   * ```ts
   * await tensor([1, 2]).data(); // Float32Array [1, 2]
   * ```
   */
  async data(): Promise<TypedArray> {
    this.checkReadable('data');
    return this.backend.read(this.dataId);
  }

  /**
   * Reads the values synchronously (backends with synchronous reads, such as the CPU backend).
   *
   * @example
   * ```ts
   * tensor([1, 2]).dataSync(); // Float32Array [1, 2]
   * ```
   */
  dataSync(): TypedArray {
    this.checkReadable('dataSync');
    const read = this.backend.readSync;
    if (!this.backend.capabilities.syncRead || read === undefined) {
      throw new BackendError(
        `dataSync: backend '${this.backend.name}' reads asynchronously; use \`await tensor.data()\` or \`await tensor.array()\``,
      );
    }
    return read.call(this.backend, this.dataId);
  }

  /**
   * Reads the values as nested arrays (numbers; booleans for bool tensors).
   *
   * @example
   * ```ts
   * await tensor([[1, 2]]).array(); // [[1, 2]]
   * ```
   */
  async array(): Promise<NestedArray | number | boolean> {
    return toNested(await this.data(), this.shape, this.dtype);
  }

  /**
   * Synchronous {@link Tensor.array}.
   *
   * @example
   * ```ts
   * scalar(3).arraySync(); // 3
   * ```
   */
  arraySync(): NestedArray | number | boolean {
    return toNested(this.dataSync(), this.shape, this.dtype);
  }

  /**
   * The single value of a one-element tensor, as a number (or boolean for bool tensors).
   *
   * @example
   * ```ts
   * sum(tensor([1, 2])).item(); // 3
   * ```
   */
  item(): number | boolean {
    if (this.size !== 1) {
      throw new ValueError(`item: the tensor has ${this.size} elements (shape ${formatShape(this.shape)}); item() needs exactly one`);
    }
    const v = this.dataSync()[0]!;
    return this.dtype === 'bool' ? v !== 0 : v;
  }

  /**
   * Frees the tensor's backend memory (once no other handle shares it). Idempotent.
   *
   * @example
   * ```ts
   * const t = ones([1000]);
   * t.dispose();
   * ```
   */
  dispose(): void {
    ENGINE.disposeTensor(this);
  }

  /** Disposes the tensor at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * A readable printout like NumPy's, with shape and dtype.
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).toString();
   * // Tensor([[1, 2],
   * //         [3, 4]], shape=[2,2], dtype=float32)
   * ```
   */
  toString(): string {
    if (this.isSymbolic || ENGINE.isDisposed(this)) {
      return `Tensor(${this.isSymbolic ? 'symbolic' : 'disposed'}, shape=${formatShape(this.shape)}, dtype=${this.dtype})`;
    }
    if (!this.backend.capabilities.syncRead) {
      return `Tensor(<on ${this.backend.name}: await data()>, shape=${formatShape(this.shape)}, dtype=${this.dtype})`;
    }
    return formatTensor(this.dataSync(), this.shape, this.dtype);
  }

  /**
   * Converts a one-element eager tensor to a number (so comparisons such as `x >= 0` work);
   * throws for larger tensors, whose truth value is ambiguous, and for symbolic graph tensors,
   * whose value is not known while the graph is built (use `cond()` / `whileLoop()` there).
   */
  [Symbol.toPrimitive](hint: string): number | string {
    if (this.isSymbolic) {
      throw new UnsupportedError(
        `a symbolic tensor (shape ${formatShape(this.shape)}, dtype ${this.dtype}) was used as a number, boolean or string ` +
          `(as in \`if (x >= 0)\`, \`+x\` or \`\${x}\`), but its value is not known while the graph is being built. ` +
          `Use cond(pred, trueFn, falseFn) to choose between computations by a tensor's value, and whileLoop(condFn, bodyFn, loopVars) ` +
          `for loops; to see a value, fetch the tensor with session.run()`,
      );
    }
    if (hint === 'string') return this.toString();
    this.checkReadable('Tensor to number conversion');
    if (this.size !== 1) {
      throw new ValueError(
        `a tensor of shape ${formatShape(this.shape)} (${this.size} elements) cannot be used as a number or boolean: ` +
          `its truth value is ambiguous; reduce it first, e.g. with any(), all() or sum()`,
      );
    }
    return this.dataSync()[0]!;
  }

  // ---- chainable ops -------------------------------------------------------------------

  /** {@link add} */
  add(b: TensorLike): Tensor { return ew.add(this, b); }
  /** {@link sub} */
  sub(b: TensorLike): Tensor { return ew.sub(this, b); }
  /** {@link mul} */
  mul(b: TensorLike): Tensor { return ew.mul(this, b); }
  /** {@link div} */
  div(b: TensorLike): Tensor { return ew.div(this, b); }
  /** {@link floorDiv} */
  floorDiv(b: TensorLike): Tensor { return ew.floorDiv(this, b); }
  /** {@link mod} */
  mod(b: TensorLike): Tensor { return ew.mod(this, b); }
  /** {@link pow} */
  pow(b: TensorLike): Tensor { return ew.pow(this, b); }
  /** {@link maximum} */
  maximum(b: TensorLike): Tensor { return ew.maximum(this, b); }
  /** {@link minimum} */
  minimum(b: TensorLike): Tensor { return ew.minimum(this, b); }
  /** {@link squaredDifference} */
  squaredDifference(b: TensorLike): Tensor { return ew.squaredDifference(this, b); }
  /** {@link equal} */
  equal(b: TensorLike): Tensor { return ew.equal(this, b); }
  /** {@link notEqual} */
  notEqual(b: TensorLike): Tensor { return ew.notEqual(this, b); }
  /** {@link less} */
  less(b: TensorLike): Tensor { return ew.less(this, b); }
  /** {@link lessEqual} */
  lessEqual(b: TensorLike): Tensor { return ew.lessEqual(this, b); }
  /** {@link greater} */
  greater(b: TensorLike): Tensor { return ew.greater(this, b); }
  /** {@link greaterEqual} */
  greaterEqual(b: TensorLike): Tensor { return ew.greaterEqual(this, b); }
  /** {@link logicalAnd} */
  logicalAnd(b: TensorLike): Tensor { return ew.logicalAnd(this, b); }
  /** {@link logicalOr} */
  logicalOr(b: TensorLike): Tensor { return ew.logicalOr(this, b); }
  /** {@link neg} */
  neg(): Tensor { return ew.neg(this); }
  /** {@link abs} */
  abs(): Tensor { return ew.abs(this); }
  /** {@link sign} */
  sign(): Tensor { return ew.sign(this); }
  /** {@link exp} */
  exp(): Tensor { return ew.exp(this); }
  /** {@link expm1} */
  expm1(): Tensor { return ew.expm1(this); }
  /** {@link log} */
  log(): Tensor { return ew.log(this); }
  /** {@link log1p} */
  log1p(): Tensor { return ew.log1p(this); }
  /** {@link sqrt} */
  sqrt(): Tensor { return ew.sqrt(this); }
  /** {@link rsqrt} */
  rsqrt(): Tensor { return ew.rsqrt(this); }
  /** {@link square} */
  square(): Tensor { return ew.square(this); }
  /** {@link reciprocal} */
  reciprocal(): Tensor { return ew.reciprocal(this); }
  /** {@link sin} */
  sin(): Tensor { return ew.sin(this); }
  /** {@link cos} */
  cos(): Tensor { return ew.cos(this); }
  /** {@link tan} */
  tan(): Tensor { return ew.tan(this); }
  /** {@link tanh} */
  tanh(): Tensor { return ew.tanh(this); }
  /** {@link sigmoid} */
  sigmoid(): Tensor { return ew.sigmoid(this); }
  /** {@link relu} */
  relu(): Tensor { return ew.relu(this); }
  /** {@link floor} */
  floor(): Tensor { return ew.floor(this); }
  /** {@link ceil} */
  ceil(): Tensor { return ew.ceil(this); }
  /** {@link round} */
  round(): Tensor { return ew.round(this); }
  /** {@link logicalNot} */
  logicalNot(): Tensor { return ew.logicalNot(this); }
  /** {@link cast} */
  cast(dtype: DType): Tensor { return ew.cast(this, dtype); }
  /** {@link clipByValue} */
  clipByValue(min: number, max: number): Tensor { return ew.clipByValue(this, min, max); }
  /** {@link sum} */
  sum(axis?: number | number[], keepDims?: boolean): Tensor { return red.sum(this, axis, keepDims); }
  /** {@link mean} */
  mean(axis?: number | number[], keepDims?: boolean): Tensor { return red.mean(this, axis, keepDims); }
  /** {@link max} */
  max(axis?: number | number[], keepDims?: boolean): Tensor { return red.max(this, axis, keepDims); }
  /** {@link min} */
  min(axis?: number | number[], keepDims?: boolean): Tensor { return red.min(this, axis, keepDims); }
  /** {@link prod} */
  prod(axis?: number | number[], keepDims?: boolean): Tensor { return red.prod(this, axis, keepDims); }
  /** {@link argMax} */
  argMax(axis?: number): Tensor { return red.argMax(this, axis); }
  /** {@link argMin} */
  argMin(axis?: number): Tensor { return red.argMin(this, axis); }
  /** {@link logSumExp} */
  logSumExp(axis?: number | number[], keepDims?: boolean): Tensor { return red.logSumExp(this, axis, keepDims); }
  /** {@link any} */
  any(axis?: number | number[], keepDims?: boolean): Tensor { return red.any(this, axis, keepDims); }
  /** {@link all} */
  all(axis?: number | number[], keepDims?: boolean): Tensor { return red.all(this, axis, keepDims); }
  /** {@link matmul} */
  matmul(b: TensorLike, options?: la.MatmulOptions): Tensor { return la.matmul(this, b, options); }
  /** {@link reshape} */
  reshape(shape: readonly number[]): Tensor { return sh.reshape(this, shape); }
  /** {@link flatten} */
  flatten(): Tensor { return sh.reshape(this, [-1]); }
  /** {@link transpose} */
  transpose(perm?: readonly number[]): Tensor { return sh.transpose(this, perm); }
  /** {@link expandDims} */
  expandDims(axis?: number): Tensor { return sh.expandDims(this, axis); }
  /** {@link squeeze} */
  squeeze(axis?: number | number[]): Tensor { return sh.squeeze(this, axis); }
  /** {@link slice} */
  slice(begin: number | readonly number[], size?: number | readonly number[]): Tensor { return sh.slice(this, begin, size); }
  /** {@link gather} */
  gather(indices: TensorLike, axis?: number): Tensor { return sh.gather(this, indices, axis); }
  /** {@link tile} */
  tile(reps: readonly number[]): Tensor { return sh.tile(this, reps); }
  /** {@link broadcastTo} */
  broadcastTo(shape: readonly number[]): Tensor { return sh.broadcastTo(this, shape); }
  /** {@link reverse} */
  reverse(axis?: number | number[]): Tensor { return sh.reverse(this, axis); }
  /** {@link softmax} */
  softmax(axis?: number): Tensor { return nn.softmax(this, axis); }
  /** {@link logSoftmax} */
  logSoftmax(axis?: number): Tensor { return nn.logSoftmax(this, axis); }
}
