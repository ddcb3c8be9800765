/**
 * `customGradient` and `stopGradient`.
 *
 * @module
 */
import {
  activeGraphHook,
  defineComposite,
  getOp,
  identity,
  runOp,
  Tensor,
  ValueError,
  Variable,
  withoutRecording,
  type OpDef,
  type TensorLike,
} from '@tessera/core';
import { describe, toArgTensor } from './functions.js';

let customGradientDef: OpDef | undefined;

function customGradientOp(): OpDef {
  customGradientDef ??=
    getOp('customGradient') ??
    defineComposite({
      name: 'customGradient',
      inputs: ['xs'],
      variadic: true,
      infer: (_specs, attrs) => {
        const v = attrs['value'] as Tensor;
        return [{ shape: v.shape, dtype: v.dtype }];
      },
      // the value was computed already; a new handle when it is an input or a variable, so the
      // node's output is a tensor of its own
      compose: (inputs, attrs) => {
        const v = attrs['value'] as Tensor;
        return [inputs.includes(v) || v instanceof Variable ? identity(v) : v];
      },
    });
  return customGradientDef;
}

/**
 * The `stopGradient` op: an identity whose gradient is none. Defined when this module loads
 * (as core defines its ops), so graphs saved with it load again.
 */
const stopGradientDef: OpDef =
  getOp('stopGradient') ??
  defineComposite({
    name: 'stopGradient',
    inputs: ['x'],
    infer: ([x]) => [{ shape: x!.shape, dtype: x!.dtype }],
    compose: ([x]) => [identity(x!)],
  });

/**
 * Returns `x` unchanged, but blocks gradients: for differentiation, the result is a constant.
 * Works eagerly and in graph mode (it is an op, `stopGradient`, whose gradient is none).
 *
 * @example
 * ```ts
 * gradientsFunction((x) => x.mul(stopGradient(x)))(3); // [3], not [6]
 * ```
 */
export function stopGradient(x: TensorLike): Tensor {
  const t = toArgTensor(x, 'stopGradient', 0);
  return runOp(stopGradientDef, [t], {})[0]!;
}

/**
 * What the function given to {@link customGradient} returns: its value and a function from the
 * gradient of the value to the gradients of the inputs (one tensor, or one per input, `null`
 * for none).
 *
 * @example
 * ```ts
 * const r: CustomGradientResult = { value: y, gradFunc: (dy) => [dy.mul(2)] };
 * ```
 */
export interface CustomGradientResult {
  /** The function's value. */
  readonly value: Tensor;
  /** Maps the value's gradient to the inputs' gradients. */
  readonly gradFunc: (dy: Tensor) => Tensor | readonly (Tensor | null)[];
}

/**
 * Wraps `f` so that its gradient is computed by the `gradFunc` it returns instead of by
 * differentiating its ops (for numerical stability, speed, or gradient clipping). `f`'s own ops
 * are not recorded. Tensors `gradFunc` closes over must stay alive until the gradient is
 * computed (do not dispose them inside `f`). Higher-order gradients differentiate the ops
 * `gradFunc` runs on its inputs and `dy` (tensors `f` computed count as constants). In graph
 * mode the wrapped function builds its ops as usual and is differentiated through them.
 *
 * @example
 * ```ts
 * // log(1 + e^x) with a hand-written, stable gradient
 * const softplusStable = customGradient((x) => ({
 *   value: softplus(x),
 *   gradFunc: (dy) => [dy.mul(sigmoid(x))],
 * }));
 * grad((x) => softplusStable(x))(0); // 0.5
 * ```
 */
export function customGradient(
  f: (...args: Tensor[]) => CustomGradientResult,
): (...args: TensorLike[]) => Tensor {
  if (typeof f !== 'function') throw new ValueError(`customGradient: expected a function, got ${describe(f)}`);
  return (...rawArgs: TensorLike[]) => {
    const args = rawArgs.map((a, i) => toArgTensor(a, 'customGradient', i));
    if (activeGraphHook() !== undefined) {
      const r = f(...args);
      checkResult(r);
      return r.value;
    }
    const r = withoutRecording(() => f(...args));
    checkResult(r);
    // Recorded as one op, 'customGradient', whose rule calls gradFunc (see rules/custom.ts).
    return runOp(customGradientOp(), args, { value: r.value, gradFunc: r.gradFunc })[0]!;
  };
}

function checkResult(r: unknown): asserts r is CustomGradientResult {
  if (r === null || typeof r !== 'object' || !((r as CustomGradientResult).value instanceof Tensor)) {
    throw new ValueError(`customGradient: the function must return { value: Tensor, gradFunc }, got ${describe(r)}`);
  }
  if (typeof (r as CustomGradientResult).gradFunc !== 'function') {
    throw new ValueError('customGradient: the function must return { value, gradFunc }, and gradFunc must be a function');
  }
}
