/**
 * Building blocks of the gradient conformance cases.
 *
 * @module
 */
import type { CaseContext, ConformanceCase } from '@tessera/core/testing';
import { mul, sum, tensor, type Tensor } from '@tessera/core';
import { checkGradients } from '../check.js';
import { gradientsFunction } from '../functions.js';

/**
 * One input of a gradient case: random float values in `[min, max]` kept at least `margin`
 * away from each `avoid` point (kinks), or fixed `values`, or an integer/bool tensor.
 *
 * @example
 * ```ts
 * const s: GradInputSpec = { shape: [2, 3], min: 0.2, max: 2 };
 * ```
 */
export interface GradInputSpec {
  /** Shape of the input. */
  readonly shape: readonly number[];
  /** Lower bound of random values (default -2). */
  readonly min?: number;
  /** Upper bound of random values (default 2). */
  readonly max?: number;
  /** Points (kinks) the values stay away from. */
  readonly avoid?: readonly number[];
  /** Distance kept from `avoid` points (default 0.15). */
  readonly margin?: number;
  /** Fixed values instead of random ones. */
  readonly values?: readonly number[];
  /** A non-float input (not checked; its gradient must be `null`). */
  readonly dtype?: 'int32' | 'bool';
}

/**
 * A gradient case: an op under test, its inputs and a function of them built with the op.
 *
 * @example
 * ```ts
 * const c: GradCase = { op: 'exp', name: 'exp', inputs: [{ shape: [3] }], f: (x) => exp(x) };
 * ```
 */
export interface GradCase {
  /** The op whose rule is checked (groups the case under that op). */
  readonly op: string;
  /** A short description of the variant. */
  readonly name: string;
  /** The inputs. */
  readonly inputs: readonly GradInputSpec[];
  /** The function to differentiate. */
  readonly f: (...xs: Tensor[]) => Tensor;
  /** Also check second-order gradients (default true). */
  readonly secondOrder?: boolean;
  /** Finite-difference step (default: checkGradients' default). */
  readonly eps?: number;
  /** Dtypes the backend must declare for the case to run (default: none beyond float32). */
  readonly dtypes?: readonly ('float32' | 'float64' | 'int32' | 'bool')[];
  /** Relative tolerance in float64 / float32 (default: checkGradients' defaults). */
  readonly rtol?: readonly [number, number];
}

function inputValues(ctx: CaseContext, spec: GradInputSpec): number[] {
  if (spec.values !== undefined) return [...spec.values];
  const n = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.dtype === 'int32' || spec.dtype === 'bool') {
    return Array.from(ctx.values(spec.shape, spec.dtype, { min: spec.min ?? 0, max: spec.max ?? 2 }));
  }
  const lo = spec.min ?? -2;
  const hi = spec.max ?? 2;
  const margin = spec.margin ?? 0.15;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let v = lo + (hi - lo) * ctx.rng.uniform();
    for (let tries = 0; tries < 100 && (spec.avoid ?? []).some((p) => Math.abs(v - p) < margin); tries++) {
      v = lo + (hi - lo) * ctx.rng.uniform();
    }
    out.push(v);
  }
  return out;
}

function makeInputs(ctx: CaseContext, specs: readonly GradInputSpec[], floatDType: 'float32' | 'float64'): Tensor[] {
  return specs.map((s) => ctx.tensor(inputValues(ctx, s), s.shape, s.dtype ?? floatDType));
}

/** The float dtype gradient cases run in on this backend. */
function floatDTypeOf(ctx: CaseContext): 'float32' | 'float64' {
  return ctx.backend.capabilities.dtypes.includes('float64') ? 'float64' : 'float32';
}

/**
 * A scalar function of the first-order gradients of `f` (weighted sums), whose gradient
 * therefore involves second derivatives of `f`.
 */
function secondOrderOf(f: (...xs: Tensor[]) => Tensor, weights: readonly number[]): (...xs: Tensor[]) => Tensor {
  return (...xs: Tensor[]) => {
    const inner = gradientsFunction((...args: Tensor[]) => {
      const y = f(...args);
      // a fixed, non-uniform projection so every output element matters
      const n = y.size;
      const w = tensor(Array.from({ length: n }, (_, k) => weights[k % weights.length]!), y.shape, y.dtype);
      return sum(mul(y, w));
    });
    const grads = inner(...xs);
    let total: Tensor | null = null;
    grads.forEach((g, i) => {
      if (g === null) return;
      const n = g.size;
      const w = tensor(Array.from({ length: n }, (_, k) => weights[(k + i + 1) % weights.length]!), g.shape, g.dtype);
      const term = sum(mul(g, w));
      total = total === null ? term : total.add(term);
    });
    // all gradients null (a linear op): the second derivative is zero
    return total ?? sum(mul(xs.find((x) => x.dtype === 'float32' || x.dtype === 'float64')!, 0));
  };
}

const WEIGHTS = [0.7, -1.3, 0.4, 1.1, -0.6, 0.9, -1.7, 0.3];

/** Turns gradient cases into conformance cases (first and second order). @internal */
export function toConformanceCases(cases: readonly GradCase[]): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const c of cases) {
    const dtypes = c.dtypes !== undefined ? { dtypes: c.dtypes } : {};
    out.push({
      op: c.op,
      name: `gradient: ${c.name} (first order, finite differences)`,
      ...dtypes,
      run: async (ctx) => {
        const dt = floatDTypeOf(ctx);
        const xs = makeInputs(ctx, c.inputs, dt);
        await checkGradients(c.f, xs, {
          dtype: dt,
          ...(c.eps !== undefined ? { eps: c.eps } : {}),
          ...(c.rtol !== undefined ? { rtol: dt === 'float64' ? c.rtol[0] : c.rtol[1] } : {}),
        });
      },
    });
    if (c.secondOrder === false) continue;
    out.push({
      op: c.op,
      name: `gradient: ${c.name} (second order, finite differences)`,
      ...dtypes,
      run: async (ctx) => {
        const dt = floatDTypeOf(ctx);
        const xs = makeInputs(ctx, c.inputs, dt);
        await checkGradients(secondOrderOf(c.f, WEIGHTS), xs, {
          dtype: dt,
          ...(c.eps !== undefined ? { eps: c.eps } : {}),
          ...(dt === 'float32' ? { rtol: 6e-2, atol: 1e-2 } : c.rtol !== undefined ? { rtol: c.rtol[0] } : {}),
        });
      },
    });
  }
  return out;
}
