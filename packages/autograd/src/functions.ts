/**
 * The function-transforming gradient API (names mirror TensorFlow's eager API in camelCase,
 * plus JAX/tfjs-style `grad` and `valueAndGrad`).
 *
 * @module
 */
import {
  DTypeError,
  formatShape,
  isFloat,
  tensor,
  Tensor,
  tidy,
  ValueError,
  Variable,
  zeros,
  type TensorLike,
} from '@tessera/core';
import { backpropagate } from './backprop.js';
import { Tape } from './tape.js';

/**
 * Options of the gradient functions.
 *
 * @example
 * ```ts
 * gradientsFunction((x, y) => x.mul(2), { unconnectedGradients: 'zero' })(1, 2); // [2, 0]
 * ```
 */
export interface GradientOptions {
  /**
   * What an argument (or source) the result does not depend on gets: `'none'` gives `null`
   * (the default, as TensorFlow's `None`), `'zero'` gives zeros of its shape.
   */
  readonly unconnectedGradients?: 'none' | 'zero';
}

/** Converts an argument of a gradient function to a tensor. @internal */
export function toArgTensor(a: unknown, fn: string, index: number): Tensor {
  if (a instanceof Tensor) return a;
  if (typeof a === 'number' || typeof a === 'boolean' || Array.isArray(a) || (ArrayBuffer.isView(a) && !(a instanceof DataView))) {
    return tensor(a as TensorLike);
  }
  throw new ValueError(
    `${fn}: argument ${index} is ${describe(a)}; expected a tensor, a variable, a number or a (nested) array of numbers`,
  );
}

/** A short description of a value for error messages. @internal */
export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') return `an object (${(x as object).constructor?.name ?? 'Object'})`;
  return `a ${typeof x} (${String(x)})`;
}

/** Checks what a differentiated function returned. @internal */
export function checkTarget(value: unknown, fn: string): asserts value is Tensor {
  if (!(value instanceof Tensor)) {
    throw new ValueError(
      `${fn}: the function must return a tensor to differentiate, but it returned ${describe(value)}`,
    );
  }
  if (value.isDisposed) throw new ValueError(`${fn}: the function returned a disposed tensor`);
  if (!isFloat(value.dtype)) {
    throw new DTypeError(
      `${fn}: the function returned a ${value.dtype} tensor (shape ${formatShape(value.shape)}); only float32/float64 results can be differentiated (cast it first)`,
    );
  }
}

function checkFunction(f: unknown, fn: string): void {
  if (typeof f !== 'function') throw new ValueError(`${fn}: expected a function, got ${describe(f)}`);
}

/** Runs `f` on a fresh tape; releases the tape even when `f` throws. */
function withTape<T>(watchAccessed: boolean, body: (tape: Tape) => T): T {
  const tape = new Tape(watchAccessed);
  try {
    return body(tape);
  } finally {
    tape.release();
  }
}

function valueAndArgGradients(
  fn: string,
  f: (...args: Tensor[]) => Tensor,
  rawArgs: readonly unknown[],
  options: GradientOptions,
): [Tensor, (Tensor | null)[]] {
  return withTape(false, (tape) => {
    const args = rawArgs.map((a, i) => toArgTensor(a, fn, i));
    for (const a of args) if (isFloat(a.dtype)) tape.watch(a);
    let value: unknown;
    try {
      value = f(...args);
    } finally {
      tape.stop();
    }
    checkTarget(value, fn);
    const grads = backpropagate(tape.nodes, [value], undefined, args, {
      caller: fn,
      ...(options.unconnectedGradients !== undefined ? { unconnectedGradients: options.unconnectedGradients } : {}),
    });
    return [value, grads];
  });
}

function valueAndImplicitGradients(
  fn: string,
  f: (...args: Tensor[]) => Tensor,
  rawArgs: readonly unknown[],
  varList: readonly Variable[] | undefined,
  requireVariables: boolean,
): [Tensor, Array<[Tensor | null, Variable]>] {
  return withTape(varList === undefined, (tape) => {
    if (varList !== undefined) for (const v of varList) tape.watch(v);
    const args = rawArgs.map((a, i) => toArgTensor(a, fn, i));
    let value: unknown;
    try {
      value = f(...args);
    } finally {
      tape.stop();
    }
    checkTarget(value, fn);
    tape.noteAccess(value);
    const vars = varList ?? tape.variables;
    if (requireVariables && vars.length === 0) {
      throw new ValueError(`${fn}: the function used no trainable variables, so there is nothing to differentiate`);
    }
    const grads = backpropagate(tape.nodes, [value], undefined, vars, { caller: fn });
    return [value, grads.map((g, i): [Tensor | null, Variable] => [g, vars[i]!])];
  });
}

/**
 * Returns a function computing the gradient of `f` with respect to each of its arguments, at
 * the given arguments. Arguments may be tensors, variables or plain numbers / arrays (converted
 * to float32 tensors). A non-scalar result is differentiated as if summed (an all-ones seed).
 * An argument the result does not depend on gets `null` (see {@link GradientOptions}); integer
 * and bool arguments always get `null`. Everything the computation created, except the
 * gradients, is freed.
 *
 * @example
 * ```ts
 * const g = gradientsFunction((x, y) => x.square().add(y.pow(3)));
 * g(1, 2); // [2, 12]
 * ```
 */
export function gradientsFunction(
  f: (...args: Tensor[]) => Tensor,
  options: GradientOptions = {},
): (...args: TensorLike[]) => (Tensor | null)[] {
  checkFunction(f, 'gradientsFunction');
  return (...args: TensorLike[]) => tidy(() => valueAndArgGradients('gradientsFunction', f, args, options)[1]);
}

/**
 * Like {@link gradientsFunction}, but the returned function also returns `f`'s value:
 * `[value, gradients]`.
 *
 * @example
 * ```ts
 * const vg = valueAndGradientsFunction((x) => x.mul(x).add(x.mul(2)).add(4));
 * const [value, [dx]] = vg(2); // 12, [6]
 * ```
 */
export function valueAndGradientsFunction(
  f: (...args: Tensor[]) => Tensor,
  options: GradientOptions = {},
): (...args: TensorLike[]) => [Tensor, (Tensor | null)[]] {
  checkFunction(f, 'valueAndGradientsFunction');
  return (...args: TensorLike[]) => tidy(() => valueAndArgGradients('valueAndGradientsFunction', f, args, options));
}

/**
 * Returns a function computing the gradients of `f` with respect to every trainable variable
 * `f` used, as `[gradient, variable]` pairs in first-use order (`null` for a variable used
 * without affecting the result). Throws a `ValueError` when `f` used no trainable variable.
 *
 * @example
 * ```ts
 * const x = variable(1, { name: 'x' });
 * const y = variable(1, { name: 'y' });
 * const g = implicitGradients((a) => x.add(a.mul(2).mul(x).mul(y)));
 * g(5); // [[11, x], [10, y]]
 * ```
 */
export function implicitGradients(f: (...args: Tensor[]) => Tensor): (...args: TensorLike[]) => Array<[Tensor | null, Variable]> {
  checkFunction(f, 'implicitGradients');
  return (...args: TensorLike[]) =>
    tidy(() => valueAndImplicitGradients('implicitGradients', f, args, undefined, true)[1]);
}

/**
 * Like {@link implicitGradients}, but also returns `f`'s value: `[value, pairs]`.
 *
 * @example
 * ```ts
 * const [value, pairs] = implicitValueAndGradients((a) => x.add(a.mul(2).mul(x).mul(y)))(5);
 * value; // 11
 * ```
 */
export function implicitValueAndGradients(
  f: (...args: Tensor[]) => Tensor,
): (...args: TensorLike[]) => [Tensor, Array<[Tensor | null, Variable]>] {
  checkFunction(f, 'implicitValueAndGradients');
  return (...args: TensorLike[]) =>
    tidy(() => valueAndImplicitGradients('implicitValueAndGradients', f, args, undefined, true));
}

/**
 * The value of `f()` and its gradients with respect to variables, for optimizers. Without
 * `varList`, the variables are the trainable ones `f` used, in first-use order; with a
 * `varList`, exactly those variables in that order (trainable or not). A variable the value does
 * not depend on gets `null`. Any float result is accepted (non-scalar results get an all-ones
 * seed). Throws a `ValueError` when `f` returns a non-tensor and a `DTypeError` for a non-float
 * result.
 *
 * @example
 * ```ts
 * const w = variable(3, { name: 'w' });
 * const { value, grads } = valueAndVariableGradients(() => w.mul(5));
 * // value: 15, grads: [[5, w]]
 * ```
 */
export function valueAndVariableGradients(
  f: () => Tensor,
  varList?: readonly Variable[],
): { value: Tensor; grads: Array<[Tensor | null, Variable]> } {
  const fn = 'valueAndVariableGradients';
  checkFunction(f, fn);
  if (varList !== undefined) {
    if (!Array.isArray(varList)) throw new ValueError(`${fn}: varList must be an array of variables, got ${describe(varList)}`);
    varList.forEach((v, i) => {
      if (!(v instanceof Variable)) throw new ValueError(`${fn}: varList[${i}] is ${describe(v)}, not a Variable`);
      if (v.isDisposed) throw new ValueError(`${fn}: varList[${i}] (variable '${v.name}') has been disposed`);
      if (!isFloat(v.dtype)) {
        throw new DTypeError(`${fn}: varList[${i}] (variable '${v.name}') has dtype ${v.dtype}; only float variables have gradients`);
      }
    });
  }
  return tidy(() => {
    const [value, grads] = valueAndImplicitGradients(fn, () => f(), [], varList, false);
    return { value, grads };
  });
}

/**
 * The derivative of a single-argument function, JAX/tfjs style: `grad(f)(x)` is the gradient
 * of `f` at `x`, with `x`'s shape. An optional `dy` seeds a non-scalar result. Unlike
 * {@link gradientsFunction}, an unconnected argument gets zeros (not `null`), so `grad`
 * composes: `grad(grad(f))` is the second derivative.
 *
 * @example
 * ```ts
 * const d2tanh = grad(grad((x) => tanh(x)));
 * d2tanh(0.5); // -2 tanh(0.5) (1 - tanh(0.5)^2)
 * ```
 */
export function grad(f: (x: Tensor) => Tensor): (x: TensorLike, dy?: Tensor) => Tensor {
  checkFunction(f, 'grad');
  return (x: TensorLike, dy?: Tensor) => tidy(() => singleArg('grad', f, x, dy)[1]);
}

/**
 * Like {@link grad}, but returns both `f(x)` and the gradient.
 *
 * @example
 * ```ts
 * const { value, grad: dx } = valueAndGrad((x) => x.square())(3); // 9, 6
 * ```
 */
export function valueAndGrad(f: (x: Tensor) => Tensor): (x: TensorLike, dy?: Tensor) => { value: Tensor; grad: Tensor } {
  checkFunction(f, 'valueAndGrad');
  return (x: TensorLike, dy?: Tensor) =>
    tidy(() => {
      const [value, g] = singleArg('valueAndGrad', f, x, dy);
      return { value, grad: g };
    });
}

function singleArg(fn: string, f: (x: Tensor) => Tensor, rawX: unknown, dy: Tensor | undefined): [Tensor, Tensor] {
  return withTape(false, (tape) => {
    const x = toArgTensor(rawX, fn, 0);
    if (!isFloat(x.dtype)) {
      throw new DTypeError(`${fn}: the argument has dtype ${x.dtype}; only float arguments can be differentiated`);
    }
    tape.watch(x);
    let value: unknown;
    try {
      value = f(x);
    } finally {
      tape.stop();
    }
    checkTarget(value, fn);
    if (dy !== undefined && !(dy instanceof Tensor)) throw new ValueError(`${fn}: dy must be a tensor, got ${describe(dy)}`);
    const [g] = backpropagate(tape.nodes, [value], [dy], [x], { caller: fn });
    return [value, g ?? zeros(x.shape, x.dtype)];
  });
}
