/**
 * `gradients()`: symbolic gradients while a graph is being built.
 *
 * @module
 */
import { activeGraphHook, Tensor, UnsupportedError, ValueError } from '@tessera/core';
import { describe } from './functions.js';

function tensorList(x: unknown, what: string): Tensor[] {
  const list = x instanceof Tensor ? [x] : Array.isArray(x) ? (x as unknown[]) : null;
  if (list === null) throw new ValueError(`gradients: ${what} must be a tensor or an array of tensors, got ${describe(x)}`);
  list.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ValueError(`gradients: ${what}[${i}] is ${describe(t)}, not a tensor`);
  });
  return list as Tensor[];
}

/**
 * Builds the gradients of `ys` (summed) with respect to each of `xs` as graph nodes, TF1's
 * `tf.gradients`: call it inside `graph.asDefault(...)`; the same gradient rules as the eager
 * tape build the nodes. `gradYs` seeds each `y` (default: ones). Returns one symbolic tensor per
 * `x`, or `null` for an `x` no `y` depends on. Eagerly (no graph being built) it throws; use
 * {@link GradientTape} or {@link gradientsFunction} there.
 *
 * @example
 * ```ts
 * graph.asDefault(() => {
 *   const x = placeholder('float32', [null, 3]);
 *   const loss = sum(square(x.matmul(w)));
 *   const [dw] = gradients(loss, [w]);
 * });
 * ```
 */
export function gradients(
  ys: Tensor | readonly Tensor[],
  xs: Tensor | readonly Tensor[],
  gradYs?: Tensor | readonly (Tensor | null | undefined)[],
): (Tensor | null)[] {
  const yl = tensorList(ys, 'ys');
  const xl = tensorList(xs, 'xs');
  let gl: (Tensor | null | undefined)[] | undefined;
  if (gradYs !== undefined) {
    gl = gradYs instanceof Tensor ? [gradYs] : Array.isArray(gradYs) ? [...(gradYs as (Tensor | null | undefined)[])] : undefined;
    if (gl === undefined) throw new ValueError(`gradients: gradYs must be a tensor or an array, got ${describe(gradYs)}`);
    if (gl.length !== yl.length) throw new ValueError(`gradients: got ${gl.length} gradYs for ${yl.length} ys; give one per y`);
  }
  const hook = activeGraphHook();
  if (hook === undefined) {
    throw new UnsupportedError(
      'gradients: builds symbolic gradients while a graph is being built (inside graph.asDefault(...)); ' +
        'for eager tensors use GradientTape, gradientsFunction or grad',
    );
  }
  if (hook.gradients === undefined) {
    throw new UnsupportedError('gradients: the active graph builder does not support symbolic gradients');
  }
  return hook.gradients(yl, xl, gl);
}
