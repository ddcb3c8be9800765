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
  isFloat,
  runOp,
  Tensor,
  ValueError,
  Variable,
  withoutRecording,
  zeros,
  type OpDef,
  type TensorLike,
} from '@tessera/core';
import { describe, toArgTensor } from './functions.js';
import type { GradientRule, GradientThunk } from './registry.js';
import { recordCustomNode } from './tape.js';

let stopGradientDef: OpDef | undefined;

function stopGradientOp(): OpDef {
  stopGradientDef ??=
    getOp('stopGradient') ??
    defineComposite({
      name: 'stopGradient',
      inputs: ['x'],
      infer: ([x]) => [{ shape: x!.shape, dtype: x!.dtype }],
      compose: ([x]) => [identity(x!)],
    });
  return stopGradientDef;
}

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
  return runOp(stopGradientOp(), [t], {})[0]!;
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
    const { value, gradFunc } = r;
    const out = args.includes(value) || value instanceof Variable ? withoutRecording(() => identity(value)) : value;
    const rule: GradientRule = {
      grad: ([dy]) => {
        let cache: readonly (Tensor | null)[] | undefined;
        const all = (): readonly (Tensor | null)[] => {
          if (cache !== undefined) return cache;
          const g = gradFunc(dy!);
          const list = g instanceof Tensor ? [g] : Array.isArray(g) ? g : null;
          if (list === null || list.length !== args.length) {
            throw new ValueError(
              `customGradient: gradFunc must return ${args.length === 1 ? 'a tensor or ' : ''}an array of ${args.length} gradients (one per input), got ${describe(g)}`,
            );
          }
          list.forEach((t, i) => {
            if (t !== null && !(t instanceof Tensor)) {
              throw new ValueError(`customGradient: gradFunc's gradient ${i} is ${describe(t)}, not a tensor or null`);
            }
          });
          cache = list as readonly (Tensor | null)[];
          return cache;
        };
        return args.map((a, i): GradientThunk => {
          if (!isFloat(a.dtype)) return null;
          return () => {
            const g = all()[i];
            if (g === null || g === undefined) return zeros(a.shape, a.dtype);
            return g;
          };
        });
      },
    };
    recordCustomNode('customGradient', args, [out], rule);
    return out;
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
