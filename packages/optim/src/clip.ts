/**
 * Gradient clipping, applied between `computeGradients` and `applyGradients`. Each function
 * takes either a list of gradients (`null` entries pass through unchanged) or a list of
 * `[gradient, variable]` pairs as `computeGradients` returns them, and returns the same
 * structure with new tensors the caller owns; the inputs are left untouched.
 *
 * Names: core's `clipByValue(tensor, min, max)` clips one tensor; this package's
 * {@link clipGradientsByValue} clips a list of gradients with it, so the two do not collide.
 * {@link clipByNorm} and {@link clipByGlobalNorm} follow TF 1.x `clip_by_norm` and
 * `clip_by_global_norm`.
 *
 * @module
 */
import {
  add,
  cast,
  clipByValue,
  DTypeError,
  isFloat,
  isVariable,
  maximum,
  minimum,
  mul,
  div,
  normalizeAxes,
  sqrt,
  sub,
  sum,
  Tensor,
  tidy,
  ValueError,
  zeros,
  identity,
  type DType,
  type Variable,
} from '@tessera/core';
import { describe } from './util.js';

/**
 * A `[gradient, variable]` pair; the gradient is `null` when the loss does not depend on the
 * variable.
 *
 * @example
 * ```ts
 * const pairs: GradientAndVariable[] = optimizer.computeGradients(loss);
 * ```
 */
export type GradientAndVariable = readonly [Tensor | null, Variable];

/**
 * What the clipping functions accept: gradients (possibly `null`) or `[gradient, variable]`
 * pairs.
 *
 * @example
 * ```ts
 * const a: GradientList = [g1, null, g3];
 * const b: GradientList = optimizer.computeGradients(loss);
 * ```
 */
export type GradientList = readonly (Tensor | null)[] | readonly GradientAndVariable[];

/**
 * What the clipping functions return for an input list `L`: `[gradient, variable]` pairs for
 * pairs, gradients (or `null`) for gradients.
 *
 * @example
 * ```ts
 * const clipped: ClippedGradients<GradientAndVariable[]> = clipGradientsByValue(pairs, -1, 1);
 * ```
 */
export type ClippedGradients<L extends GradientList> = L extends readonly GradientAndVariable[]
  ? Array<[Tensor | null, Variable]>
  : Array<Tensor | null>;

function isPair(x: unknown): x is GradientAndVariable {
  return Array.isArray(x) && x.length === 2 && isVariable(x[1]);
}

function gradientsOf(fn: string, list: GradientList): { grads: (Tensor | null)[]; vars: Variable[] | null } {
  if (!Array.isArray(list)) throw new ValueError(`${fn}: expected an array of gradients or [gradient, variable] pairs, got ${describe(list)}`);
  const pairs = list.length > 0 && list.every(isPair);
  const grads: (Tensor | null)[] = [];
  const vars: Variable[] = [];
  list.forEach((e: unknown, i) => {
    const g = pairs ? (e as GradientAndVariable)[0] : e;
    if (g !== null && !(g instanceof Tensor)) {
      throw new ValueError(`${fn}: entry ${i} must be a tensor or null${pairs ? ' (the gradient of a pair)' : ''}, got ${describe(g)}`);
    }
    if (g !== null && !isFloat(g.dtype)) throw new DTypeError(`${fn}: gradient ${i} has dtype ${g.dtype}; gradients are float32 or float64`);
    grads.push(g);
    if (pairs) vars.push((e as GradientAndVariable)[1]);
  });
  return { grads, vars: pairs ? vars : null };
}

function rebuild<L extends GradientList>(grads: (Tensor | null)[], vars: Variable[] | null): ClippedGradients<L> {
  if (vars === null) return grads as ClippedGradients<L>;
  return grads.map((g, i) => [g, vars[i]!] as [Tensor | null, Variable]) as ClippedGradients<L>;
}

function checkClipNorm(fn: string, clipNorm: unknown): number {
  if (typeof clipNorm !== 'number' || Number.isNaN(clipNorm) || clipNorm <= 0) {
    throw new ValueError(`${fn}: clipNorm must be a number > 0, got ${describe(clipNorm)}`);
  }
  return clipNorm;
}

/**
 * Clips every gradient elementwise to `[min, max]` (core's `clipByValue` on each; `null`
 * gradients pass through).
 *
 * @example
 * ```ts
 * const pairs = optimizer.computeGradients(loss);
 * const clipped = clipGradientsByValue(pairs, -1, 1);
 * optimizer.applyGradients(clipped);
 * dispose([pairs.map((p) => p[0]), clipped.map((p) => p[0])]);
 * ```
 */
export function clipGradientsByValue<L extends GradientList>(gradients: L, min: number, max: number): ClippedGradients<L> {
  const fn = 'clipGradientsByValue';
  if (typeof min !== 'number' || typeof max !== 'number' || Number.isNaN(min) || Number.isNaN(max) || !(min <= max)) {
    throw new ValueError(`${fn}: min and max must be numbers with min <= max, got min ${describe(min)} and max ${describe(max)}`);
  }
  const { grads, vars } = gradientsOf(fn, gradients);
  return rebuild<L>(
    grads.map((g) => (g === null ? null : clipByValue(g, min, max))),
    vars,
  );
}

/**
 * Rescales `t` so that its L2 norm (over `axes`, default all) is at most `clipNorm`, as TF 1.x
 * `clip_by_norm`: `t * clipNorm / max(norm(t), clipNorm)`. A tensor already within the bound is
 * returned unchanged in value.
 *
 * @example
 * ```ts
 * clipByNorm(tensor([3, 4]), 1); // [0.6, 0.8]
 * clipByNorm(tensor([[3, 4], [0, 0.5]]), 1, 1); // each row clipped separately
 * ```
 */
export function clipByNorm(t: Tensor, clipNorm: number, axes?: number | readonly number[]): Tensor {
  const fn = 'clipByNorm';
  if (!(t instanceof Tensor)) throw new ValueError(`${fn}: t must be a tensor, got ${describe(t)}`);
  if (!isFloat(t.dtype)) throw new DTypeError(`${fn}: t has dtype ${t.dtype}; expected float32 or float64`);
  checkClipNorm(fn, clipNorm);
  const ax = normalizeAxes(axes, t.rank, fn);
  return tidy(() => {
    const norm = sqrt(sum(mul(t, t), ax, true));
    return div(mul(t, clipNorm), maximum(norm, clipNorm));
  });
}

/**
 * Clips each gradient by its own L2 norm with {@link clipByNorm} (`null` gradients pass
 * through).
 *
 * @example
 * ```ts
 * const clipped = clipGradientsByNorm(optimizer.computeGradients(loss), 5);
 * ```
 */
export function clipGradientsByNorm<L extends GradientList>(gradients: L, clipNorm: number): ClippedGradients<L> {
  const fn = 'clipGradientsByNorm';
  checkClipNorm(fn, clipNorm);
  const { grads, vars } = gradientsOf(fn, gradients);
  return rebuild<L>(
    grads.map((g) => (g === null ? null : clipByNorm(g, clipNorm))),
    vars,
  );
}

function normDType(grads: readonly (Tensor | null)[]): DType {
  const first = grads.find((g): g is Tensor => g !== null);
  return first?.dtype ?? 'float32';
}

/**
 * The global L2 norm of a list of tensors, `sqrt(sum over tensors of sum(t²))`, as TF 1.x
 * `global_norm`; `null` entries are skipped. The result has the dtype of the first non-null
 * tensor (others are cast to it); with no tensors it is a float32 zero.
 *
 * @example
 * ```ts
 * globalNorm([tensor([3]), null, tensor([4])]); // 5
 * ```
 */
export function globalNorm(tensors: GradientList): Tensor {
  const { grads } = gradientsOf('globalNorm', tensors);
  const dt = normDType(grads);
  return tidy(() => {
    let total: Tensor | null = null;
    for (const g of grads) {
      if (g === null) continue;
      let s = sum(mul(g, g));
      if (s.dtype !== dt) s = cast(s, dt);
      total = total === null ? s : add(total, s);
    }
    return total === null ? zeros([], dt) : sqrt(total);
  });
}

/**
 * Options of {@link clipByGlobalNorm}.
 *
 * @example
 * ```ts
 * const o: ClipByGlobalNormOptions = { useNorm: precomputedNorm };
 * ```
 */
export interface ClipByGlobalNormOptions {
  /** A precomputed global norm to use instead of computing it (a scalar tensor). */
  readonly useNorm?: Tensor;
}

/**
 * Scales every gradient by `clipNorm / max(globalNorm, clipNorm)`, as TF 1.x
 * `clip_by_global_norm`, so that their global norm ({@link globalNorm}) is at most `clipNorm`
 * while their directions relative to each other are kept. Returns the clipped list (same
 * structure as the input, `null`s passed through) and the global norm before clipping (a new
 * tensor the caller owns, also when `useNorm` is given). If the
 * global norm is infinite or NaN, every clipped gradient is NaN, to signal the problem as TF
 * does.
 *
 * @example
 * ```ts
 * const pairs = optimizer.computeGradients(loss);
 * const [clipped, norm] = clipByGlobalNorm(pairs, 5);
 * optimizer.applyGradients(clipped);
 * dispose([pairs.map((p) => p[0]), clipped.map((p) => p[0]), norm]);
 * ```
 */
export function clipByGlobalNorm<L extends GradientList>(
  gradients: L,
  clipNorm: number,
  options: ClipByGlobalNormOptions = {},
): [ClippedGradients<L>, Tensor] {
  const fn = 'clipByGlobalNorm';
  checkClipNorm(fn, clipNorm);
  const { grads, vars } = gradientsOf(fn, gradients);
  const useNorm = options.useNorm;
  if (useNorm !== undefined && (!(useNorm instanceof Tensor) || useNorm.size !== 1 || !isFloat(useNorm.dtype))) {
    throw new ValueError(`${fn}: useNorm must be a float scalar tensor, got ${describe(useNorm)}`);
  }
  const norm = useNorm ?? globalNorm(grads);
  const clipped = tidy(() => {
    // clipNorm * min(1 / norm, 1 / clipNorm), plus (norm - norm) which is NaN for an infinite norm.
    const scale = add(mul(minimum(div(1, norm), 1 / clipNorm), clipNorm), sub(norm, norm));
    return grads.map((g) => (g === null ? null : mul(g, scale.dtype === g.dtype ? scale : cast(scale, g.dtype))));
  });
  return [rebuild<L>(clipped, vars), norm === useNorm ? identity(norm) : norm];
}
