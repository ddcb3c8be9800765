/**
 * Elementwise ops: unary math and activations, binary arithmetic and comparisons with
 * broadcasting, `where`, `clipByValue` and `cast`.
 *
 * Dtype rules: binary arithmetic promotes its inputs (`bool < int32 < float32 < float64`, bool
 * arithmetic counts as int32); plain numbers are weakly typed (see {@link upcast}). Ops that only
 * make sense on reals (`exp`, `log`, `sin`, `sigmoid`, `div`, `atan2`, ...) compute int32 and
 * bool inputs as float32. Comparisons return bool. Logical ops take bool only.
 *
 * @module
 */
import type { Attrs } from '../backend.js';
import { assertDType, isFloat, resultDType, upcast, type DType } from '../dtype.js';
import { runOp } from '../engine.js';
import { DTypeError, ValueError } from '../errors.js';
import { defineComposite, definePrimitive, type PrimitiveOpDef, type CompositeOpDef, type TensorSpec } from '../op.js';
import { toTensor, checkDTypeIn } from '../convert.js';
import { broadcastShapes, formatShape } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { zerosLike } from './creation.js';

// ---- unary ------------------------------------------------------------------------------

type UnaryKind = 'float' | 'numeric' | 'bool' | 'predicate' | 'rounding';

function unaryPrimitive(name: string, kind: UnaryKind): PrimitiveOpDef {
  return definePrimitive({
    name,
    inputs: ['x'],
    infer: ([x]) => {
      const dt = x!.dtype;
      if (kind === 'float' && !isFloat(dt)) throw new DTypeError(`${name}: expects a float tensor, got ${dt}`);
      if ((kind === 'numeric' || kind === 'rounding') && dt === 'bool') throw new DTypeError(`${name}: expects a numeric tensor, got bool`);
      if (kind === 'bool' && dt !== 'bool') throw new DTypeError(`${name}: expects a bool tensor, got ${dt}`);
      return [{ shape: x!.shape, dtype: kind === 'predicate' ? 'bool' : dt }];
    },
  });
}

/** Identity: a new handle sharing its input's buffer. */
const identityOp = definePrimitive({
  name: 'identity',
  inputs: ['x'],
  infer: ([x]) => [{ shape: x!.shape, dtype: x!.dtype }],
  builtin: (ids) => ids,
});

const negOp = unaryPrimitive('neg', 'numeric');
const absOp = unaryPrimitive('abs', 'numeric');
const signOp = unaryPrimitive('sign', 'numeric');
const expOp = unaryPrimitive('exp', 'float');
const expm1Op = unaryPrimitive('expm1', 'float');
const logOp = unaryPrimitive('log', 'float');
const log1pOp = unaryPrimitive('log1p', 'float');
const sqrtOp = unaryPrimitive('sqrt', 'float');
const sinOp = unaryPrimitive('sin', 'float');
const cosOp = unaryPrimitive('cos', 'float');
const tanOp = unaryPrimitive('tan', 'float');
const tanhOp = unaryPrimitive('tanh', 'float');
const sigmoidOp = unaryPrimitive('sigmoid', 'float');
const floorOp = unaryPrimitive('floor', 'rounding');
const ceilOp = unaryPrimitive('ceil', 'rounding');
const roundOp = unaryPrimitive('round', 'rounding');
const logicalNotOp = unaryPrimitive('logicalNot', 'bool');
const isNaNOp = unaryPrimitive('isNaN', 'predicate');
const isFiniteOp = unaryPrimitive('isFinite', 'predicate');

const castOp = definePrimitive({
  name: 'cast',
  inputs: ['x'],
  infer: ([x], attrs) => [{ shape: x!.shape, dtype: attrs['dtype'] as DType }],
});

function arg(x: TensorLike, fn: string, name = 'x'): Tensor {
  return toTensor(x, fn, name);
}

function run1(def: PrimitiveOpDef | CompositeOpDef, x: Tensor, attrs: Attrs = {}): Tensor {
  return runOp(def, [x], attrs)[0]!;
}

function toFloat(x: Tensor): Tensor {
  return isFloat(x.dtype) ? x : cast(x, 'float32');
}

function toNumeric(x: Tensor): Tensor {
  return x.dtype === 'bool' ? cast(x, 'int32') : x;
}

/**
 * A new tensor handle with the same values (no copy: tensors are immutable).
 *
 * @example
 * ```ts
 * const y = identity(x);
 * ```
 */
export function identity(x: TensorLike): Tensor {
  return run1(identityOp, arg(x, 'identity'));
}

/**
 * Converts to another dtype. Float to int truncates toward zero; anything to bool is `x != 0`.
 *
 * @example
 * ```ts
 * cast(tensor([1.7, -1.7]), 'int32'); // [1, -1]
 * cast(tensor([0, 2]), 'bool'); // [false, true]
 * ```
 */
export function cast(x: TensorLike, dtype: DType): Tensor {
  const t = arg(x, 'cast');
  assertDType(dtype, 'cast');
  if (t.dtype === dtype) return identity(t);
  return run1(castOp, t, { dtype });
}

/**
 * `-x`, elementwise.
 *
 * @example
 * ```ts
 * neg(tensor([1, -2])); // [-1, 2]
 * ```
 */
export function neg(x: TensorLike): Tensor {
  return run1(negOp, toNumeric(arg(x, 'neg')));
}
/**
 * `|x|`, elementwise.
 *
 * @example
 * ```ts
 * abs(tensor([-1, 2])); // [1, 2]
 * ```
 */
export function abs(x: TensorLike): Tensor {
  return run1(absOp, toNumeric(arg(x, 'abs')));
}
/**
 * The sign of each element: -1, 0 or 1 (NaN stays NaN).
 *
 * @example
 * ```ts
 * sign(tensor([-3, 0, 2])); // [-1, 0, 1]
 * ```
 */
export function sign(x: TensorLike): Tensor {
  return run1(signOp, toNumeric(arg(x, 'sign')));
}
/**
 * `e^x`, elementwise.
 *
 * @example
 * ```ts
 * exp(tensor([0, 1])); // [1, 2.7182817]
 * ```
 */
export function exp(x: TensorLike): Tensor {
  return run1(expOp, toFloat(arg(x, 'exp')));
}
/**
 * `e^x - 1`, accurate near zero.
 *
 * @example
 * ```ts
 * expm1(tensor([1e-10])); // [1e-10]
 * ```
 */
export function expm1(x: TensorLike): Tensor {
  return run1(expm1Op, toFloat(arg(x, 'expm1')));
}
/**
 * Natural logarithm (`log(0) = -Infinity`, negative inputs give NaN).
 *
 * @example
 * ```ts
 * log(tensor([1, Math.E])); // [0, 1]
 * ```
 */
export function log(x: TensorLike): Tensor {
  return run1(logOp, toFloat(arg(x, 'log')));
}
/**
 * `log(1 + x)`, accurate near zero.
 *
 * @example
 * ```ts
 * log1p(tensor([1e-10])); // [1e-10]
 * ```
 */
export function log1p(x: TensorLike): Tensor {
  return run1(log1pOp, toFloat(arg(x, 'log1p')));
}
/**
 * Square root.
 *
 * @example
 * ```ts
 * sqrt(tensor([4, 9])); // [2, 3]
 * ```
 */
export function sqrt(x: TensorLike): Tensor {
  return run1(sqrtOp, toFloat(arg(x, 'sqrt')));
}
/**
 * Sine (radians).
 *
 * @example
 * ```ts
 * sin(tensor([0, Math.PI / 2])); // [0, 1]
 * ```
 */
export function sin(x: TensorLike): Tensor {
  return run1(sinOp, toFloat(arg(x, 'sin')));
}
/**
 * Cosine (radians).
 *
 * @example
 * ```ts
 * cos(tensor([0])); // [1]
 * ```
 */
export function cos(x: TensorLike): Tensor {
  return run1(cosOp, toFloat(arg(x, 'cos')));
}
/**
 * Tangent (radians).
 *
 * @example
 * ```ts
 * tan(tensor([0])); // [0]
 * ```
 */
export function tan(x: TensorLike): Tensor {
  return run1(tanOp, toFloat(arg(x, 'tan')));
}
/**
 * Hyperbolic tangent.
 *
 * @example
 * ```ts
 * tanh(tensor([0])); // [0]
 * ```
 */
export function tanh(x: TensorLike): Tensor {
  return run1(tanhOp, toFloat(arg(x, 'tanh')));
}
/**
 * The logistic function `1 / (1 + e^-x)`.
 *
 * @example
 * ```ts
 * sigmoid(tensor([0])); // [0.5]
 * ```
 */
export function sigmoid(x: TensorLike): Tensor {
  return run1(sigmoidOp, toFloat(arg(x, 'sigmoid')));
}
/**
 * Rounds down. Integer tensors are returned unchanged.
 *
 * @example
 * ```ts
 * floor(tensor([1.5, -1.5])); // [1, -2]
 * ```
 */
export function floor(x: TensorLike): Tensor {
  const t = toNumeric(arg(x, 'floor'));
  return t.dtype === 'int32' ? identity(t) : run1(floorOp, t);
}
/**
 * Rounds up. Integer tensors are returned unchanged.
 *
 * @example
 * ```ts
 * ceil(tensor([1.5, -1.5])); // [2, -1]
 * ```
 */
export function ceil(x: TensorLike): Tensor {
  const t = toNumeric(arg(x, 'ceil'));
  return t.dtype === 'int32' ? identity(t) : run1(ceilOp, t);
}
/**
 * Rounds to the nearest integer, halves to even (as TensorFlow and NumPy do).
 *
 * @example
 * ```ts
 * round(tensor([0.5, 1.5, 2.4])); // [0, 2, 2]
 * ```
 */
export function round(x: TensorLike): Tensor {
  const t = toNumeric(arg(x, 'round'));
  return t.dtype === 'int32' ? identity(t) : run1(roundOp, t);
}
/**
 * Logical not of a bool tensor.
 *
 * @example
 * ```ts
 * logicalNot(tensor([true, false])); // [false, true]
 * ```
 */
export function logicalNot(x: TensorLike): Tensor {
  const t = arg(x, 'logicalNot');
  checkDTypeIn(t, ['bool'], 'logicalNot', 'x');
  return run1(logicalNotOp, t);
}
/**
 * Whether each element is NaN (always false for integer tensors).
 *
 * @example
 * ```ts
 * isNaN(tensor([NaN, 1])); // [true, false]
 * ```
 */
export function isNaN(x: TensorLike): Tensor {
  return run1(isNaNOp, arg(x, 'isNaN'));
}
/**
 * Whether each element is finite (not NaN or ±Infinity).
 *
 * @example
 * ```ts
 * isFinite(tensor([Infinity, 1])); // [false, true]
 * ```
 */
export function isFinite(x: TensorLike): Tensor {
  return run1(isFiniteOp, arg(x, 'isFinite'));
}

function unaryComposite(name: string, compose: (x: Tensor, attrs: Attrs) => Tensor): CompositeOpDef {
  return defineComposite({
    name,
    inputs: ['x'],
    infer: ([x]) => [{ shape: x!.shape, dtype: x!.dtype }],
    compose: ([x], attrs) => [compose(x!, attrs)],
  });
}

const squareOp = unaryComposite('square', (x) => mul(x, x));
const reciprocalOp = unaryComposite('reciprocal', (x) => div(1, x));
const rsqrtOp = unaryComposite('rsqrt', (x) => div(1, sqrt(x)));
const reluOp = unaryComposite('relu', (x) => where(lessEqual(x, 0), zerosLike(x), x));
const relu6Op = unaryComposite('relu6', (x) => minimum(relu(x), 6));
const eluOp = unaryComposite('elu', (x, a) => where(greater(x, 0), x, mul(expm1(x), a['alpha'] as number)));
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const seluOp = unaryComposite('selu', (x) => mul(where(greater(x, 0), x, mul(expm1(x), SELU_ALPHA)), SELU_SCALE));
const leakyReluOp = unaryComposite('leakyRelu', (x, a) => where(greater(x, 0), x, mul(x, a['alpha'] as number)));
const softplusOp = unaryComposite('softplus', (x) => add(log1p(exp(neg(abs(x)))), relu(x)));

/**
 * `x * x`.
 *
 * @example
 * ```ts
 * square(tensor([2, -3])); // [4, 9]
 * ```
 */
export function square(x: TensorLike): Tensor {
  return run1(squareOp, toNumeric(arg(x, 'square')));
}
/**
 * `1 / x` (computed in float for integer inputs).
 *
 * @example
 * ```ts
 * reciprocal(tensor([2, 4])); // [0.5, 0.25]
 * ```
 */
export function reciprocal(x: TensorLike): Tensor {
  return run1(reciprocalOp, toFloat(arg(x, 'reciprocal')));
}
/**
 * `1 / sqrt(x)`.
 *
 * @example
 * ```ts
 * rsqrt(tensor([4])); // [0.5]
 * ```
 */
export function rsqrt(x: TensorLike): Tensor {
  return run1(rsqrtOp, toFloat(arg(x, 'rsqrt')));
}
/**
 * `max(x, 0)`. NaN stays NaN.
 *
 * @example
 * ```ts
 * relu(tensor([-1, 2])); // [0, 2]
 * ```
 */
export function relu(x: TensorLike): Tensor {
  return run1(reluOp, toNumeric(arg(x, 'relu')));
}
/**
 * `min(max(x, 0), 6)`.
 *
 * @example
 * ```ts
 * relu6(tensor([-1, 3, 8])); // [0, 3, 6]
 * ```
 */
export function relu6(x: TensorLike): Tensor {
  return run1(relu6Op, toNumeric(arg(x, 'relu6')));
}
/**
 * Exponential linear unit: `x` for `x > 0`, else `alpha * (e^x - 1)`.
 *
 * @example
 * ```ts
 * elu(tensor([-1, 2])); // [-0.632, 2]
 * ```
 */
export function elu(x: TensorLike, alpha = 1): Tensor {
  checkFinite(alpha, 'elu', 'alpha');
  return run1(eluOp, toFloat(arg(x, 'elu')), { alpha });
}
/**
 * Scaled exponential linear unit with the constants of Klambauer et al. (2017).
 *
 * @example
 * ```ts
 * selu(tensor([1])); // [1.0507]
 * ```
 */
export function selu(x: TensorLike): Tensor {
  return run1(seluOp, toFloat(arg(x, 'selu')));
}
/**
 * `x` for `x > 0`, else `alpha * x` (default alpha 0.2).
 *
 * @example
 * ```ts
 * leakyRelu(tensor([-1, 2]), 0.1); // [-0.1, 2]
 * ```
 */
export function leakyRelu(x: TensorLike, alpha = 0.2): Tensor {
  checkFinite(alpha, 'leakyRelu', 'alpha');
  return run1(leakyReluOp, toFloat(arg(x, 'leakyRelu')), { alpha });
}
/**
 * `log(1 + e^x)`, computed stably for large `|x|`.
 *
 * @example
 * ```ts
 * softplus(tensor([0])); // [0.6931]
 * ```
 */
export function softplus(x: TensorLike): Tensor {
  return run1(softplusOp, toFloat(arg(x, 'softplus')));
}

function checkFinite(v: unknown, fn: string, name: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValueError(`${fn}: ${name} must be a finite number, got ${String(v)}`);
}

// ---- binary -----------------------------------------------------------------------------

type BinaryKind = 'numeric' | 'float' | 'compare' | 'logical' | 'integerOrFloat';

function binaryInfer(name: string, kind: BinaryKind) {
  return ([a, b]: readonly TensorSpec[]): TensorSpec[] => {
    if (a!.dtype !== b!.dtype) {
      throw new DTypeError(`${name}: inputs have dtypes ${a!.dtype} and ${b!.dtype}; the kernel needs them equal`);
    }
    // equal known shapes (the common case) need no broadcasting pass or new array
    const shape = sameKnownShape(a!.shape, b!.shape) ? a!.shape : broadcastShapes(name, a!.shape, b!.shape);
    if (kind === 'logical' && a!.dtype !== 'bool') throw new DTypeError(`${name}: expects bool tensors, got ${a!.dtype}`);
    if ((kind === 'numeric' || kind === 'integerOrFloat') && a!.dtype === 'bool') {
      throw new DTypeError(`${name}: expects numeric tensors, got bool`);
    }
    if (kind === 'float' && !isFloat(a!.dtype)) throw new DTypeError(`${name}: expects float tensors, got ${a!.dtype}`);
    return [{ shape, dtype: kind === 'compare' ? 'bool' : a!.dtype }];
  };
}

function sameKnownShape(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  if (a === b) return a.every((d) => d !== null);
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] || a[i] === null) return false;
  return true;
}

function binaryPrimitive(name: string, kind: BinaryKind): PrimitiveOpDef {
  return definePrimitive({ name, inputs: ['a', 'b'], infer: binaryInfer(name, kind) });
}

const addOp = binaryPrimitive('add', 'numeric');
const subOp = binaryPrimitive('sub', 'numeric');
const mulOp = binaryPrimitive('mul', 'numeric');
const divOp = binaryPrimitive('div', 'float');
const floorDivOp = binaryPrimitive('floorDiv', 'numeric');
const modOp = binaryPrimitive('mod', 'numeric');
const powOp = binaryPrimitive('pow', 'numeric');
const maximumOp = binaryPrimitive('maximum', 'numeric');
const minimumOp = binaryPrimitive('minimum', 'numeric');
const atan2Op = binaryPrimitive('atan2', 'float');
const equalOp = binaryPrimitive('equal', 'compare');
const notEqualOp = binaryPrimitive('notEqual', 'compare');
const lessOp = binaryPrimitive('less', 'compare');
const lessEqualOp = binaryPrimitive('lessEqual', 'compare');
const greaterOp = binaryPrimitive('greater', 'compare');
const greaterEqualOp = binaryPrimitive('greaterEqual', 'compare');
const logicalAndOp = binaryPrimitive('logicalAnd', 'logical');
const logicalOrOp = binaryPrimitive('logicalOr', 'logical');

/** Converts two binary-op arguments to tensors of one dtype, with weak typing of numbers. @internal */
export function binaryArgs(a: TensorLike, b: TensorLike, fn: string, kind: BinaryKind): [Tensor, Tensor] {
  let ta: Tensor;
  let tb: Tensor;
  if (a instanceof Tensor) {
    ta = a;
    tb = toTensor(b, fn, 'b', a.dtype);
  } else if (b instanceof Tensor) {
    tb = b;
    ta = toTensor(a, fn, 'a', b.dtype);
  } else {
    ta = toTensor(a, fn, 'a');
    tb = toTensor(b, fn, 'b');
  }
  let dt: DType;
  if (kind === 'logical') {
    if (ta.dtype !== 'bool' || tb.dtype !== 'bool') {
      throw new DTypeError(`${fn}: expects bool tensors, got ${ta.dtype} and ${tb.dtype}`);
    }
    dt = 'bool';
  } else if (kind === 'compare') {
    dt = upcast(ta.dtype, tb.dtype);
  } else {
    dt = ta.dtype === tb.dtype && ta.dtype !== 'bool' ? ta.dtype : resultDType([ta.dtype, tb.dtype]);
    if (kind === 'float' && !isFloat(dt)) dt = 'float32';
  }
  if (ta.dtype !== dt) ta = cast(ta, dt);
  if (tb.dtype !== dt) tb = cast(tb, dt);
  return [ta, tb];
}

function run2(def: PrimitiveOpDef | CompositeOpDef, a: TensorLike, b: TensorLike, kind: BinaryKind): Tensor {
  const [ta, tb] = binaryArgs(a, b, def.name, kind);
  return runOp(def, [ta, tb])[0]!;
}

/**
 * `a + b`, elementwise with broadcasting.
 *
 * @example
 * ```ts
 * add(tensor([[1], [2]]), tensor([10, 20])); // [[11, 21], [12, 22]]
 * add(tensor([1, 2]), 1); // [2, 3]
 * ```
 */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return run2(addOp, a, b, 'numeric');
}
/**
 * `a - b`, elementwise with broadcasting.
 *
 * @example
 * ```ts
 * sub(tensor([3, 4]), 1); // [2, 3]
 * ```
 */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return run2(subOp, a, b, 'numeric');
}
/**
 * `a * b`, elementwise with broadcasting.
 *
 * @example
 * ```ts
 * mul(tensor([1, 2]), tensor([3, 4])); // [3, 8]
 * ```
 */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return run2(mulOp, a, b, 'numeric');
}
/**
 * `a / b` (true division: integer inputs give float32).
 *
 * @example
 * ```ts
 * div(tensor([1, 3]), 2); // [0.5, 1.5]
 * ```
 */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return run2(divOp, a, b, 'float');
}
/**
 * `floor(a / b)`; integer inputs stay integers (division by zero gives 0 for int32).
 *
 * @example
 * ```ts
 * floorDiv(tensor([7, -7], undefined, 'int32'), 2); // [3, -4]
 * ```
 */
export function floorDiv(a: TensorLike, b: TensorLike): Tensor {
  return run2(floorDivOp, a, b, 'numeric');
}
/**
 * Floored modulo: the result has the sign of `b` (Python's `%`, TensorFlow's `floormod`).
 *
 * @example
 * ```ts
 * mod(tensor([5, -5]), 3); // [2, 1]
 * ```
 */
export function mod(a: TensorLike, b: TensorLike): Tensor {
  return run2(modOp, a, b, 'numeric');
}
/**
 * `a ** b`, elementwise with broadcasting.
 *
 * @example
 * ```ts
 * pow(tensor([2, 3]), 2); // [4, 9]
 * ```
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return run2(powOp, a, b, 'numeric');
}
/**
 * Elementwise maximum (NaN if either is NaN).
 *
 * @example
 * ```ts
 * maximum(tensor([1, 5]), 3); // [3, 5]
 * ```
 */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return run2(maximumOp, a, b, 'numeric');
}
/**
 * Elementwise minimum (NaN if either is NaN).
 *
 * @example
 * ```ts
 * minimum(tensor([1, 5]), 3); // [1, 3]
 * ```
 */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return run2(minimumOp, a, b, 'numeric');
}
/**
 * The angle of the point `(b, a)`: `atan(a / b)` with the quadrant taken into account.
 *
 * @example
 * ```ts
 * atan2(tensor([1]), tensor([-1])); // [2.3562]
 * ```
 */
export function atan2(a: TensorLike, b: TensorLike): Tensor {
  return run2(atan2Op, a, b, 'float');
}

const squaredDifferenceOp = defineComposite({
  name: 'squaredDifference',
  inputs: ['a', 'b'],
  infer: binaryInfer('squaredDifference', 'numeric'),
  compose: ([a, b]) => {
    const d = sub(a!, b!);
    return [mul(d, d)];
  },
});

/**
 * `(a - b)²`, elementwise with broadcasting.
 *
 * @example
 * ```ts
 * squaredDifference(tensor([1, 4]), 2); // [1, 4]
 * ```
 */
export function squaredDifference(a: TensorLike, b: TensorLike): Tensor {
  return run2(squaredDifferenceOp, a, b, 'numeric');
}
/**
 * `a == b` as a bool tensor.
 *
 * @example
 * ```ts
 * equal(tensor([1, 2]), 2); // [false, true]
 * ```
 */
export function equal(a: TensorLike, b: TensorLike): Tensor {
  return run2(equalOp, a, b, 'compare');
}
/**
 * `a != b` as a bool tensor.
 *
 * @example
 * ```ts
 * notEqual(tensor([1, 2]), 2); // [true, false]
 * ```
 */
export function notEqual(a: TensorLike, b: TensorLike): Tensor {
  return run2(notEqualOp, a, b, 'compare');
}
/**
 * `a < b` as a bool tensor.
 *
 * @example
 * ```ts
 * less(tensor([1, 2]), 2); // [true, false]
 * ```
 */
export function less(a: TensorLike, b: TensorLike): Tensor {
  return run2(lessOp, a, b, 'compare');
}
/**
 * `a <= b` as a bool tensor.
 *
 * @example
 * ```ts
 * lessEqual(tensor([1, 2]), 2); // [true, true]
 * ```
 */
export function lessEqual(a: TensorLike, b: TensorLike): Tensor {
  return run2(lessEqualOp, a, b, 'compare');
}
/**
 * `a > b` as a bool tensor.
 *
 * @example
 * ```ts
 * greater(tensor([1, 3]), 2); // [false, true]
 * ```
 */
export function greater(a: TensorLike, b: TensorLike): Tensor {
  return run2(greaterOp, a, b, 'compare');
}
/**
 * `a >= b` as a bool tensor.
 *
 * @example
 * ```ts
 * greaterEqual(tensor([[5]]), 0); // [[true]]
 * ```
 */
export function greaterEqual(a: TensorLike, b: TensorLike): Tensor {
  return run2(greaterEqualOp, a, b, 'compare');
}
/**
 * Logical and of bool tensors.
 *
 * @example
 * ```ts
 * logicalAnd(tensor([true, true]), tensor([true, false])); // [true, false]
 * ```
 */
export function logicalAnd(a: TensorLike, b: TensorLike): Tensor {
  return run2(logicalAndOp, a, b, 'logical');
}
/**
 * Logical or of bool tensors.
 *
 * @example
 * ```ts
 * logicalOr(tensor([false, true]), false); // [false, true]
 * ```
 */
export function logicalOr(a: TensorLike, b: TensorLike): Tensor {
  return run2(logicalOrOp, a, b, 'logical');
}

// ---- where, clip ------------------------------------------------------------------------

const whereOp = definePrimitive({
  name: 'where',
  inputs: ['condition', 'a', 'b'],
  infer: ([c, a, b]) => {
    if (c!.dtype !== 'bool') throw new DTypeError(`where: condition must be bool, got ${c!.dtype}`);
    if (a!.dtype !== b!.dtype) throw new DTypeError(`where: a and b have dtypes ${a!.dtype} and ${b!.dtype}; they must match`);
    return [{ shape: broadcastShapes('where', c!.shape, a!.shape, b!.shape), dtype: a!.dtype }];
  },
});

/**
 * Picks `a` where `condition` is true and `b` elsewhere; all three broadcast together.
 *
 * @example
 * ```ts
 * where(tensor([true, false]), tensor([1, 2]), tensor([10, 20])); // [1, 20]
 * ```
 */
export function where(condition: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const c = toTensor(condition, 'where', 'condition');
  if (c.dtype !== 'bool') throw new DTypeError(`where: condition must be a bool tensor, got ${c.dtype}`);
  const [ta, tb] = binaryArgs(a, b, 'where', 'compare');
  return runOp(whereOp, [c, ta, tb])[0]!;
}

const clipOp = defineComposite({
  name: 'clipByValue',
  inputs: ['x', 'min', 'max'],
  infer: ([x, lo, hi]) => {
    for (const [n, s] of [['min', lo!], ['max', hi!]] as const) {
      if (s.dtype !== x!.dtype) throw new DTypeError(`clipByValue: ${n} has dtype ${s.dtype}, x has ${x!.dtype}`);
    }
    return [{ shape: broadcastShapes('clipByValue', x!.shape, lo!.shape, hi!.shape), dtype: x!.dtype }];
  },
  compose: ([x, lo, hi]) => [minimum(maximum(x!, lo!), hi!)],
});

/**
 * Clamps each element to `[min, max]`.
 *
 * @example
 * ```ts
 * clipByValue(tensor([-2, 0.5, 3]), 0, 1); // [0, 0.5, 1]
 * ```
 */
export function clipByValue(x: TensorLike, min: TensorLike, max: TensorLike): Tensor {
  if (typeof min === 'number' && typeof max === 'number' && !(min <= max)) {
    throw new ValueError(`clipByValue: min (${min}) must be <= max (${max})`);
  }
  const t = toNumeric(arg(x, 'clipByValue'));
  const lo = toTensor(min, 'clipByValue', 'min', t.dtype);
  const hi = toTensor(max, 'clipByValue', 'max', t.dtype);
  if (lo.dtype !== t.dtype || hi.dtype !== t.dtype) {
    throw new DTypeError(
      `clipByValue: min, max and x must share a dtype, got ${lo.dtype}, ${hi.dtype} and ${t.dtype} ` +
        `(shapes ${formatShape(lo.shape)}, ${formatShape(hi.shape)}, ${formatShape(t.shape)})`,
    );
  }
  return runOp(clipOp, [t, lo, hi])[0]!;
}
