/**
 * The context a conformance case runs in: random inputs, tensor creation and comparisons
 * against float64 reference values.
 *
 * @module
 */
import type { Backend } from '../backend.js';
import type { DType } from '../dtype.js';
import { ENGINE } from '../engine.js';
import { TesseraError } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { RandomGenerator } from '../random.js';
import { formatShape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';

/**
 * Expected result of a case: shape, dtype and values computed independently in float64.
 *
 * @example
 * ```ts
 * const e: Expected = { shape: [2], dtype: 'float32', values: [1, 2] };
 * ```
 */
export interface Expected {
  /** Expected shape. */
  readonly shape: readonly number[];
  /** Expected dtype. */
  readonly dtype: DType;
  /** Expected values, flat, row-major (booleans as 0/1). */
  readonly values: ArrayLike<number>;
}

/**
 * Tolerance of a comparison: `|actual - expected| <= atol + rtol * |expected|`.
 *
 * @example
 * ```ts
 * const t: Tolerance = { rtol: 1e-3, atol: 1e-4 };
 * ```
 */
export interface Tolerance {
  /** Relative tolerance. */
  readonly rtol?: number;
  /** Absolute tolerance. */
  readonly atol?: number;
}

/**
 * Options of {@link CaseContext.values}.
 *
 * @example
 * ```ts
 * ctx.values([3, 4], 'float32', { min: 0.1, max: 2 });
 * ```
 */
export interface ValuesOptions {
  /** Lower bound (default -2; int32: -5). */
  readonly min?: number;
  /** Upper bound (default 2; int32: 5). */
  readonly max?: number;
}

/**
 * Default tolerances per dtype: float32 results are compared at `rtol 2e-4`, `atol 1e-5`;
 * float64 at `1e-9`; int32 and bool exactly.
 *
 * @example
 * ```ts
 * defaultTolerance('float32'); // { rtol: 2e-4, atol: 1e-5 }
 * ```
 */
export function defaultTolerance(dtype: DType): Required<Tolerance> {
  if (dtype === 'float32') return { rtol: 2e-4, atol: 1e-5 };
  if (dtype === 'float64') return { rtol: 1e-9, atol: 1e-12 };
  return { rtol: 0, atol: 0 };
}

/** Rounds a float64 value to what a dtype stores. */
function roundTo(v: number, dtype: DType): number {
  if (dtype === 'float32') return Math.fround(v);
  if (dtype === 'int32') return Math.trunc(v) | 0;
  if (dtype === 'bool') return v !== 0 ? 1 : 0;
  return v;
}

/**
 * What a case gets to build inputs and check outputs.
 *
 * @example
 * ```ts
 * const c: ConformanceCase = {
 *   op: 'exp', name: 'matches Math.exp',
 *   run: async (ctx) => {
 *     const v = ctx.values([5], 'float32');
 *     await ctx.expectClose(exp(ctx.tensor(v, [5], 'float32')), { shape: [5], dtype: 'float32', values: v.map(Math.exp) });
 *   },
 * };
 * ```
 */
export class CaseContext {
  /** The backend under test. */
  readonly backend: Backend;
  /** A generator seeded per case, so failures reproduce. */
  readonly rng: RandomGenerator;

  /** @internal */
  constructor(backend: Backend, seed: number) {
    this.backend = backend;
    this.rng = new RandomGenerator(seed);
  }

  /** Random values, already rounded to what `dtype` stores (so references see the same inputs). */
  values(shape: readonly number[], dtype: DType, options: ValuesOptions = {}): Float64Array {
    const n = sizeOf(shape);
    const out = new Float64Array(n);
    const lo = options.min ?? (dtype === 'int32' ? -5 : -2);
    const hi = options.max ?? (dtype === 'int32' ? 5 : 2);
    for (let i = 0; i < n; i++) {
      if (dtype === 'bool') out[i] = this.rng.uniform() < 0.5 ? 1 : 0;
      else if (dtype === 'int32') out[i] = Math.floor(lo + (hi - lo + 1) * this.rng.uniform());
      else out[i] = roundTo(lo + (hi - lo) * this.rng.uniform(), dtype);
    }
    return out;
  }

  /** A tensor holding `values` (rounded to `dtype`). */
  tensor(values: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor {
    const arr = Array.from(values, (v) => roundTo(v, dtype));
    return dtype === 'bool' ? tensor(arr.map((v) => v !== 0), shape, 'bool') : tensor(arr, shape, dtype);
  }

  /** Random values and the tensor holding them. */
  random(shape: readonly number[], dtype: DType, options: ValuesOptions = {}): [Tensor, Float64Array] {
    const v = this.values(shape, dtype, options);
    return [this.tensor(v, shape, dtype), v];
  }

  /**
   * Checks shape, dtype and values of `actual` against `expected` (NaN must match NaN,
   * infinities must match exactly). Throws with the first mismatches.
   */
  async expectClose(actual: Tensor, expected: Expected, tolerance: Tolerance = {}): Promise<void> {
    const where = `shape ${formatShape(actual.shape)}, dtype ${actual.dtype}`;
    if (actual.dtype !== expected.dtype) throw new TesseraError(`dtype: got ${actual.dtype}, expected ${expected.dtype}`);
    if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i])) {
      throw new TesseraError(`shape: got ${formatShape(actual.shape)}, expected ${formatShape(expected.shape)}`);
    }
    const got = await actual.data();
    if (got.length !== expected.values.length) {
      throw new TesseraError(`got ${got.length} values, expected ${expected.values.length} (${where})`);
    }
    const def = defaultTolerance(expected.dtype);
    const rtol = tolerance.rtol ?? def.rtol;
    const atol = tolerance.atol ?? def.atol;
    const bad: string[] = [];
    for (let i = 0; i < got.length; i++) {
      const g = got[i]!;
      const e = roundTo(expected.values[i]!, expected.dtype === 'float32' ? 'float64' : expected.dtype);
      let ok: boolean;
      if (Number.isNaN(e)) ok = Number.isNaN(g);
      else if (!Number.isFinite(e)) ok = g === e;
      else ok = Math.abs(g - e) <= atol + rtol * Math.abs(e);
      if (!ok && bad.length < 5) bad.push(`[${i}] got ${g}, expected ${e}`);
    }
    if (bad.length > 0) throw new TesseraError(`values differ (${where}, rtol ${rtol}, atol ${atol}): ${bad.join('; ')}`);
  }

  /** Checks that `fn` throws an instance of `errorClass` whose message matches `pattern`. */
  expectThrows(fn: () => unknown, errorClass: new (...args: never[]) => Error, pattern?: RegExp): void {
    let thrown: unknown;
    try {
      fn();
    } catch (e) {
      thrown = e;
    }
    if (thrown === undefined) throw new TesseraError(`expected ${errorClass.name} to be thrown, nothing was thrown`);
    if (!(thrown instanceof errorClass)) {
      throw new TesseraError(`expected ${errorClass.name}, got ${String(thrown)}`);
    }
    if (pattern !== undefined && !pattern.test(thrown.message)) {
      throw new TesseraError(`error message ${JSON.stringify(thrown.message)} does not match ${String(pattern)}`);
    }
  }
}

/** @internal */
export function liveBuffers(): number {
  return ENGINE.numBuffers;
}
