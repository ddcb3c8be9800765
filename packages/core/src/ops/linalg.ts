/**
 * Linear algebra: batched `matmul` with broadcast batch dimensions, `dot`, `outerProduct`.
 *
 * `matmul` is a primitive; its kernel receives `{transposeA, transposeB}` (booleans) and inputs
 * of one numeric dtype with rank >= 2. `dot` and `outerProduct` are composites written with
 * `matmul`, `mul` and `reshape`. `fusedMatmul` (matmul, then a broadcast bias, then an
 * activation) is a composite that backends may replace with one fused kernel.
 *
 * Dtype rules: inputs are promoted like binary arithmetic (`int32` with `float32` gives
 * `float32`, ...); bool inputs are rejected by `matmul` and `dot` (cast them first).
 *
 * @module
 */
import type { Attrs } from '../backend.js';
import { resultDType, type DType } from '../dtype.js';
import { runOp } from '../engine.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { defineComposite, definePrimitive, type TensorSpec } from '../op.js';
import { toTensor } from '../convert.js';
import { broadcastShapes, formatShape, type PartialShape } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { scalar } from './creation.js';
import { add, cast, mul, relu, sigmoid, tanh } from './elementwise.js';
import { reshape } from './shape.js';

/**
 * Options of {@link matmul}.
 *
 * @example
 * ```ts
 * const o: MatmulOptions = { transposeB: true };
 * ```
 */
export interface MatmulOptions {
  /** Use the transpose of the last two dimensions of `a`. */
  readonly transposeA?: boolean;
  /** Use the transpose of the last two dimensions of `b`. */
  readonly transposeB?: boolean;
}

/** Names a dimension for messages: the first of two is "first" in a matrix, else "second-to-last". */
function dimName(rank: number, last: boolean): string {
  if (last) return 'last';
  return rank === 2 ? 'first' : 'second-to-last';
}

/** Broadcasts batch shapes, with a message that shows the whole operands. */
function broadcastBatch(fn: string, a: PartialShape, b: PartialShape): (number | null)[] {
  const aBatch = a.slice(0, -2);
  const bBatch = b.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const out: (number | null)[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i - (rank - aBatch.length) >= 0 ? aBatch[i - (rank - aBatch.length)]! : 1;
    const db = i - (rank - bBatch.length) >= 0 ? bBatch[i - (rank - bBatch.length)]! : 1;
    if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else if (da === null) out.push(db);
    else if (db === null) out.push(da);
    else if (da === db) out.push(da);
    else {
      throw new ShapeError(
        `${fn}: batch dimensions ${formatShape(aBatch)} and ${formatShape(bBatch)} cannot be broadcast together ` +
          `(a is ${formatShape(a)}, b is ${formatShape(b)}; each batch dimension must match or be 1)`,
      );
    }
  }
  return out;
}

/** The matmul shape rule, shared by the op definition and the public function. */
function matmulSpec(fn: string, a: TensorSpec, b: TensorSpec, transposeA: boolean, transposeB: boolean): TensorSpec {
  for (const [name, s] of [['a', a], ['b', b]] as const) {
    if (s.shape.length < 2) {
      throw new ShapeError(
        `${fn}: ${name} has rank ${s.shape.length} (shape ${formatShape(s.shape)}); matmul needs rank >= 2 for both inputs ` +
          `([..., M, K] and [..., K, N]). For vectors use dot(), or reshape to a matrix`,
      );
    }
  }
  if (a.dtype !== b.dtype) {
    throw new DTypeError(`${fn}: a and b have dtypes ${a.dtype} and ${b.dtype}; the kernel needs them equal`);
  }
  if (a.dtype === 'bool') throw new DTypeError(`${fn}: bool tensors are not supported; cast them to a numeric dtype first`);
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const ka = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (ka !== null && kb !== null && ka !== kb) {
    const flags = [transposeA ? 'transposeA' : '', transposeB ? 'transposeB' : ''].filter((f) => f !== '').join(' and ');
    throw new ShapeError(
      `${fn}: inner dimensions differ: a is ${formatShape(a.shape)}, b is ${formatShape(b.shape)}` +
        (flags !== '' ? ` with ${flags}` : '') +
        ` (a's ${dimName(ra, !transposeA)} must equal b's ${dimName(rb, transposeB)})`,
    );
  }
  return { shape: [...broadcastBatch(fn, a.shape, b.shape), m, n], dtype: a.dtype };
}

const matmulOp = definePrimitive({
  name: 'matmul',
  inputs: ['a', 'b'],
  infer: ([a, b], attrs) => [matmulSpec('matmul', a!, b!, attrs['transposeA'] === true, attrs['transposeB'] === true)],
});

function checkOptionBool(v: unknown, fn: string, name: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new ValueError(`${fn}: ${name} must be a boolean, got ${String(v)}`);
  return v;
}

/** Converts both operands and promotes them to one numeric dtype (bool is rejected). */
function numericPair(a: TensorLike, b: TensorLike, fn: string, allowBool: boolean): [Tensor, Tensor] {
  let ta = toTensor(a, fn, 'a');
  let tb = toTensor(b, fn, 'b');
  if (!allowBool && (ta.dtype === 'bool' || tb.dtype === 'bool')) {
    throw new DTypeError(
      `${fn}: bool tensors are not supported (a is ${ta.dtype}, b is ${tb.dtype}); cast them to a numeric dtype first`,
    );
  }
  const dt: DType = resultDType([ta.dtype, tb.dtype]);
  if (ta.dtype !== dt) ta = cast(ta, dt);
  if (tb.dtype !== dt) tb = cast(tb, dt);
  return [ta, tb];
}

function parseMatmulOptions(options: MatmulOptions | undefined, fn: string): Attrs {
  const o: MatmulOptions = options ?? {};
  if (typeof o !== 'object' || o === null) throw new ValueError(`${fn}: options must be an object, got ${String(o)}`);
  for (const k of Object.keys(o)) {
    if (k !== 'transposeA' && k !== 'transposeB') {
      throw new ValueError(`${fn}: unknown option '${k}' (valid: transposeA, transposeB)`);
    }
  }
  return {
    transposeA: checkOptionBool(o.transposeA, fn, 'transposeA'),
    transposeB: checkOptionBool(o.transposeB, fn, 'transposeB'),
  };
}

/**
 * Matrix product of the last two dimensions: `a` is `[..., M, K]` and `b` is `[..., K, N]`
 * (after the optional transposes), the result `[..., M, N]`. Leading (batch) dimensions
 * broadcast. Inputs are promoted like binary arithmetic; bool is rejected. Rank-1 inputs are
 * not accepted: use {@link dot} or reshape.
 *
 * @example
 * ```ts
 * matmul(ones([2, 3]), ones([3, 4])).shape; // [2, 4]
 * matmul(ones([5, 2, 3]), ones([3, 4])).shape; // [5, 2, 4]
 * matmul(ones([3, 2]), ones([3, 4]), { transposeA: true }).shape; // [2, 4]
 * ```
 */
export function matmul(a: TensorLike, b: TensorLike, options?: MatmulOptions): Tensor {
  const attrs = parseMatmulOptions(options, 'matmul');
  const ta0 = toTensor(a, 'matmul', 'a');
  const tb0 = toTensor(b, 'matmul', 'b');
  // check shapes before any cast, so errors come before work
  matmulSpec('matmul', { shape: ta0.shape, dtype: 'float32' }, { shape: tb0.shape, dtype: 'float32' }, attrs['transposeA'] === true, attrs['transposeB'] === true);
  const [ta, tb] = numericPair(ta0, tb0, 'matmul', false);
  return runOp(matmulOp, [ta, tb], attrs)[0]!;
}

function dotSpec(a: TensorSpec, b: TensorSpec): TensorSpec {
  const ra = a.shape.length;
  const rb = b.shape.length;
  for (const [name, r, s] of [['a', ra, a.shape], ['b', rb, b.shape]] as const) {
    if (r !== 1 && r !== 2) {
      throw new ShapeError(
        `dot: ${name} has rank ${r} (shape ${formatShape(s)}); dot takes vectors and matrices (rank 1 or 2). ` +
          `For batches use matmul`,
      );
    }
  }
  if (a.dtype !== b.dtype) throw new DTypeError(`dot: a and b have dtypes ${a.dtype} and ${b.dtype}; they must match`);
  if (a.dtype === 'bool') throw new DTypeError('dot: bool tensors are not supported; cast them to a numeric dtype first');
  const k1 = a.shape[ra - 1]!;
  const k2 = b.shape[0]!;
  if (k1 !== null && k2 !== null && k1 !== k2) {
    throw new ShapeError(
      `dot: inner dimensions differ: a is ${formatShape(a.shape)}, b is ${formatShape(b.shape)} (a's last must equal b's first)`,
    );
  }
  const shape: (number | null)[] = [];
  if (ra === 2) shape.push(a.shape[0]!);
  if (rb === 2) shape.push(b.shape[1]!);
  return { shape, dtype: a.dtype };
}

const dotOp = defineComposite({
  name: 'dot',
  inputs: ['a', 'b'],
  infer: ([a, b]) => [dotSpec(a!, b!)],
  compose: ([a, b]) => {
    const ra = a!.rank;
    const rb = b!.rank;
    const am = ra === 1 ? reshape(a!, [1, -1]) : a!;
    const bm = rb === 1 ? reshape(b!, [-1, 1]) : b!;
    const p = runOp(matmulOp, [am, bm], { transposeA: false, transposeB: false })[0]!;
    if (ra === 2 && rb === 2) return [p];
    return [reshape(p, ra === 1 && rb === 1 ? [] : [-1])];
  },
});

/**
 * Dot product of two vectors (a scalar), or the matrix-vector (`[M]`), vector-matrix (`[N]`)
 * or matrix-matrix (`[M, N]`) product of rank 1 and 2 inputs. Inputs are promoted like binary
 * arithmetic; bool is rejected. For batched products use {@link matmul}.
 *
 * @example
 * ```ts
 * dot(tensor([1, 2]), tensor([3, 4])); // 11
 * dot(tensor([[1, 2], [3, 4]]), tensor([1, 1])); // [3, 7]
 * ```
 */
export function dot(a: TensorLike, b: TensorLike): Tensor {
  const ta0 = toTensor(a, 'dot', 'a');
  const tb0 = toTensor(b, 'dot', 'b');
  dotSpec({ shape: ta0.shape, dtype: 'float32' }, { shape: tb0.shape, dtype: 'float32' });
  const [ta, tb] = numericPair(ta0, tb0, 'dot', false);
  return runOp(dotOp, [ta, tb])[0]!;
}

const outerProductOp = defineComposite({
  name: 'outerProduct',
  inputs: ['a', 'b'],
  infer: ([a, b]) => {
    for (const [name, s] of [['a', a!], ['b', b!]] as const) {
      if (s.shape.length !== 1) {
        throw new ShapeError(`outerProduct: ${name} has rank ${s.shape.length} (shape ${formatShape(s.shape)}); it must be a vector (rank 1)`);
      }
    }
    if (a!.dtype !== b!.dtype) throw new DTypeError(`outerProduct: a and b have dtypes ${a!.dtype} and ${b!.dtype}; they must match`);
    if (a!.dtype === 'bool') throw new DTypeError('outerProduct: bool tensors must be cast first');
    return [{ shape: [a!.shape[0]!, b!.shape[0]!], dtype: a!.dtype }];
  },
  compose: ([a, b]) => [mul(reshape(a!, [-1, 1]), reshape(b!, [1, -1]))],
});

/**
 * Outer product of two vectors: `out[i][j] = a[i] * b[j]`, shape `[a.length, b.length]`.
 * Inputs are promoted like binary arithmetic (bool counts as int32).
 *
 * @example
 * ```ts
 * outerProduct(tensor([1, 2]), tensor([3, 4])); // [[3, 4], [6, 8]]
 * ```
 */
export function outerProduct(a: TensorLike, b: TensorLike): Tensor {
  const ta0 = toTensor(a, 'outerProduct', 'a');
  const tb0 = toTensor(b, 'outerProduct', 'b');
  for (const [name, t] of [['a', ta0], ['b', tb0]] as const) {
    if (t.rank !== 1) {
      throw new ShapeError(`outerProduct: ${name} has rank ${t.rank} (shape ${formatShape(t.shape)}); it must be a vector (rank 1)`);
    }
  }
  const [ta, tb] = numericPair(ta0, tb0, 'outerProduct', true);
  return runOp(outerProductOp, [ta, tb])[0]!;
}

/**
 * The activation {@link fusedMatmul} applies last: `linear` (none), `relu`, `sigmoid` or `tanh`.
 *
 * @example
 * ```ts
 * const act: FusedActivation = 'relu';
 * ```
 */
export type FusedActivation = 'linear' | 'relu' | 'sigmoid' | 'tanh';

/** The activations fusedMatmul applies after the bias. */
const FUSED_ACTIVATIONS: readonly FusedActivation[] = ['linear', 'relu', 'sigmoid', 'tanh'];

/**
 * Options of {@link fusedMatmul}.
 *
 * @example
 * ```ts
 * const o: FusedMatmulOptions = { transposeB: true, bias: tensor([1, 2]), activation: 'relu' };
 * ```
 */
export interface FusedMatmulOptions extends MatmulOptions {
  /** Added to the product; must broadcast to the product's shape `[..., M, N]` without growing it. */
  readonly bias?: TensorLike;
  /** Applied last (default `linear`: none). */
  readonly activation?: FusedActivation;
}

/**
 * Shape rule of `fusedMatmul`: the matmul rule, then the bias must broadcast to the product
 * without growing it, and sigmoid/tanh need a float dtype.
 */
function fusedMatmulSpec(a: TensorSpec, b: TensorSpec, bias: TensorSpec, attrs: Attrs): TensorSpec {
  const out = matmulSpec('fusedMatmul', a, b, attrs['transposeA'] === true, attrs['transposeB'] === true);
  if (bias.dtype !== out.dtype) {
    throw new DTypeError(`fusedMatmul: bias has dtype ${bias.dtype}, the product ${out.dtype}; the kernel needs them equal`);
  }
  const act = attrs['activation'];
  if (typeof act !== 'string' || !(FUSED_ACTIVATIONS as readonly string[]).includes(act)) {
    throw new ValueError(`fusedMatmul: unknown activation '${String(act)}' (valid: ${FUSED_ACTIVATIONS.join(', ')})`);
  }
  if ((act === 'sigmoid' || act === 'tanh') && out.dtype !== 'float32' && out.dtype !== 'float64') {
    throw new DTypeError(`fusedMatmul: activation '${act}' needs float inputs, got ${out.dtype}; cast a and b to float32 first`);
  }
  let grown = bias.shape.length > out.shape.length;
  if (!grown) {
    const bs = broadcastShapes('fusedMatmul', out.shape, bias.shape);
    for (let i = 0; i < bs.length; i++) {
      const o = out.shape[i]!;
      if (o !== null && bs[i] !== null && bs[i] !== o) grown = true;
    }
  }
  if (grown) {
    throw new ShapeError(
      `fusedMatmul: bias of shape ${formatShape(bias.shape)} does not broadcast to the product's shape ${formatShape(out.shape)} ` +
        `(a is ${formatShape(a.shape)}, b is ${formatShape(b.shape)}; the bias may not add or grow dimensions)`,
    );
  }
  return out;
}

/**
 * `fusedMatmul`: inputs `a`, `b`, `bias` and attributes `{transposeA, transposeB, activation,
 * hasBias}`. The bias is always an input, so the op has a fixed input count (graphs and
 * serialization rely on that): without a bias the public function passes a scalar zero and
 * `hasBias: false`, which lets a fused kernel skip reading it and the gradient skip computing it.
 */
const fusedMatmulOp = defineComposite({
  name: 'fusedMatmul',
  inputs: ['a', 'b', 'bias'],
  infer: ([a, b, bias], attrs) => [fusedMatmulSpec(a!, b!, bias!, attrs)],
  compose: ([a, b, bias], attrs) => {
    let y = runOp(matmulOp, [a!, b!], { transposeA: attrs['transposeA'] === true, transposeB: attrs['transposeB'] === true })[0]!;
    if (attrs['hasBias'] === true) y = add(y, bias!);
    switch (attrs['activation']) {
      case 'relu':
        return [relu(y)];
      case 'sigmoid':
        return [sigmoid(y)];
      case 'tanh':
        return [tanh(y)];
      default:
        return [y];
    }
  },
});

/**
 * Matrix product, plus a bias, then an activation, as one op:
 * `activation(matmul(a, b, {transposeA, transposeB}) + bias)`. Shapes and dtype promotion
 * follow {@link matmul}; the optional `bias` is promoted with them and must broadcast to the
 * product's shape `[..., M, N]` without growing it (typically `[N]` or `[M, N]`). `activation`
 * is `linear` (the default), `relu`, `sigmoid` or `tanh`; with `sigmoid` and `tanh`, int32
 * inputs are computed in float32 (as {@link sigmoid} does). An unknown activation is a
 * `ValueError`. Backends may run it as one fused kernel (the WebGPU backend does); otherwise it runs
 * as its composition, and under a gradient tape it is recorded as one op.
 *
 * Without a bias, a scalar zero is passed as the op's `bias` input (with the attribute
 * `hasBias: false`); like any number argument, it is created on the current backend.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * const w = tensor([[1, -1], [1, -1]]);
 * fusedMatmul(x, w, { bias: tensor([0.5, 10]), activation: 'relu' }); // [[3.5, 7], [7.5, 3]]
 * ```
 */
export function fusedMatmul(a: TensorLike, b: TensorLike, options?: FusedMatmulOptions): Tensor {
  const fn = 'fusedMatmul';
  const o: FusedMatmulOptions = options ?? {};
  if (typeof o !== 'object' || o === null) throw new ValueError(`${fn}: options must be an object, got ${String(o)}`);
  for (const k of Object.keys(o)) {
    if (k !== 'transposeA' && k !== 'transposeB' && k !== 'bias' && k !== 'activation') {
      throw new ValueError(`${fn}: unknown option '${k}' (valid: transposeA, transposeB, bias, activation)`);
    }
  }
  const activation = o.activation ?? 'linear';
  if (typeof activation !== 'string' || !(FUSED_ACTIVATIONS as readonly string[]).includes(activation)) {
    throw new ValueError(`${fn}: unknown activation '${String(activation)}' (valid: ${FUSED_ACTIVATIONS.join(', ')})`);
  }
  const attrs: Attrs = {
    transposeA: checkOptionBool(o.transposeA, fn, 'transposeA'),
    transposeB: checkOptionBool(o.transposeB, fn, 'transposeB'),
    activation,
    hasBias: o.bias !== undefined,
  };
  const ta0 = toTensor(a, fn, 'a');
  const tb0 = toTensor(b, fn, 'b');
  const hasBias = o.bias !== undefined;
  const tbias0 = hasBias ? toTensor(o.bias!, fn, 'bias') : null;
  if (tbias0 !== null && tbias0.dtype === 'bool') {
    throw new DTypeError(`${fn}: bias is a bool tensor; cast it to a numeric dtype first`);
  }
  // check shapes before any cast, so errors come before work
  const f32: DType = 'float32';
  fusedMatmulSpec(
    { shape: ta0.shape, dtype: f32 },
    { shape: tb0.shape, dtype: f32 },
    { shape: tbias0 === null ? [] : tbias0.shape, dtype: f32 },
    { ...attrs, activation: 'linear' },
  );
  let [ta, tb] = numericPair(ta0, tb0, fn, false);
  let dt: DType = ta.dtype;
  if (tbias0 !== null) dt = resultDType([dt, tbias0.dtype]);
  if ((activation === 'sigmoid' || activation === 'tanh') && dt === 'int32') dt = 'float32';
  if (ta.dtype !== dt) ta = cast(ta, dt);
  if (tb.dtype !== dt) tb = cast(tb, dt);
  let tbias = tbias0 ?? scalar(0, dt);
  if (tbias.dtype !== dt) tbias = cast(tbias, dt);
  return runOp(fusedMatmulOp, [ta, tb, tbias], attrs)[0]!;
}
