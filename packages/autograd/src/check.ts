/**
 * `checkGradients`: analytic gradients against central finite differences.
 *
 * @module
 */
import {
  formatShape,
  getBackend,
  isFloat,
  mul,
  sum,
  tensor,
  Tensor,
  tidy,
  ValueError,
  type DType,
  type TensorLike,
} from '@tessera/core';
import { GradientCheckError } from './errors.js';
import { checkTarget, describe, gradientsFunction, toArgTensor } from './functions.js';

/**
 * Options of {@link checkGradients}.
 *
 * @example
 * ```ts
 * await checkGradients(f, [x], { eps: 1e-5, rtol: 1e-4, throwOnFailure: false });
 * ```
 */
export interface CheckGradientsOptions {
  /**
   * The float dtype inputs are cast to: default `float64` when the backend supports it
   * (finite differences are then accurate), else `float32` (with looser default tolerances).
   */
  readonly dtype?: 'float32' | 'float64';
  /** Step of the central differences, relative to `max(1, |x|)` (default 1e-6 in float64, 1e-2 in float32). */
  readonly eps?: number;
  /** Relative tolerance (default 1e-5 in float64, 3e-2 in float32). */
  readonly rtol?: number;
  /** Absolute tolerance (default 1e-6 in float64, 3e-3 in float32). */
  readonly atol?: number;
  /** Throw a {@link GradientCheckError} on a mismatch (default true). */
  readonly throwOnFailure?: boolean;
  /** Seed of the random weights that project a non-scalar result to a scalar (default 1). */
  readonly seed?: number;
}

/**
 * The comparison for one input of {@link checkGradients}.
 *
 * @example
 * ```ts
 * const r = (await checkGradients(f, [x])).inputs[0]!;
 * r.analytic; r.numeric; r.maxError;
 * ```
 */
export interface InputGradientCheck {
  /** Position of the input. */
  readonly index: number;
  /** Its shape. */
  readonly shape: readonly number[];
  /** Whether it was checked (integer and bool inputs are not). */
  readonly checked: boolean;
  /** The analytic gradient of `sum(f(...) * weights)` (zeros when autograd returned `null`). */
  readonly analytic: Float64Array;
  /** The finite-difference gradient. */
  readonly numeric: Float64Array;
  /** Largest error relative to the tolerance (`<= 1` passes). */
  readonly maxError: number;
  /** Flat index of the element with the largest error (-1 when empty). */
  readonly worst: number;
}

/**
 * What {@link checkGradients} returns.
 *
 * @example
 * ```ts
 * const report = await checkGradients(f, [x], { throwOnFailure: false });
 * if (!report.ok) console.log(report.message);
 * ```
 */
export interface GradientCheckReport {
  /** Whether every element of every input is within tolerance. */
  readonly ok: boolean;
  /** Largest error relative to the tolerance over all inputs (`<= 1` passes). */
  readonly maxError: number;
  /** The dtype the check ran in. */
  readonly dtype: 'float32' | 'float64';
  /** Per-input details. */
  readonly inputs: readonly InputGradientCheck[];
  /** A one-line summary (names the worst element on failure). */
  readonly message: string;
  /**
   * The fixed random weights `w` (flat, in the result's shape): the gradients compared are those
   * of `sum(f(...inputs) * w)`.
   */
  readonly weights: Float64Array;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function makeInput(values: Float64Array, shape: readonly number[], dtype: DType): Tensor {
  return dtype === 'float64' ? tensor(Float64Array.from(values), shape) : tensor(Float32Array.from(values), shape);
}

/**
 * Checks the gradients autograd computes for `f` at `inputs` against central finite
 * differences. Float inputs are cast to float64 (when the backend supports it) and each element
 * is perturbed in turn. A non-scalar result is projected to a scalar with fixed random weights,
 * so every output element is checked. Throws a {@link GradientCheckError} naming the worst
 * element when they disagree (unless `throwOnFailure` is false); returns a report either way.
 * Pick inputs away from kinks (`relu` at 0, ties of `max`).
 *
 * For second-order checks, let `f` compute a gradient itself:
 * `checkGradients((x) => sum(grad((u) => tanh(u))(x)), [x])`.
 *
 * @example
 * ```ts
 * const report = await checkGradients((a, b) => a.mul(b).sin(), [tensor([1, 2]), tensor([0.5, -1])]);
 * report.ok; // true
 * ```
 */
export async function checkGradients(
  f: (...args: Tensor[]) => Tensor,
  inputs: readonly TensorLike[],
  options: CheckGradientsOptions = {},
): Promise<GradientCheckReport> {
  const fn = 'checkGradients';
  if (typeof f !== 'function') throw new ValueError(`${fn}: expected a function, got ${describe(f)}`);
  if (!Array.isArray(inputs)) throw new ValueError(`${fn}: inputs must be an array, got ${describe(inputs)}`);
  const dtype = options.dtype ?? (getBackend().capabilities.dtypes.includes('float64') ? 'float64' : 'float32');
  if (dtype !== 'float32' && dtype !== 'float64') throw new ValueError(`${fn}: dtype must be float32 or float64, got ${String(dtype)}`);
  const f64 = dtype === 'float64';
  const eps = options.eps ?? (f64 ? 1e-6 : 1e-2);
  const rtol = options.rtol ?? (f64 ? 1e-5 : 3e-2);
  const atol = options.atol ?? (f64 ? 1e-6 : 3e-3);
  if (!(eps > 0)) throw new ValueError(`${fn}: eps must be positive, got ${eps}`);

  const owned: Tensor[] = [];
  try {
    // The inputs, in the check's dtype, and their values on the host.
    const xs: Tensor[] = [];
    const hostValues: (Float64Array | null)[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const t = toArgTensor(inputs[i], fn, i);
      if (t !== inputs[i]) owned.push(t);
      if (isFloat(t.dtype)) {
        const v = Float64Array.from(await t.data());
        const x = makeInput(v, t.shape, dtype);
        owned.push(x);
        xs.push(x);
        hostValues.push(v);
      } else {
        xs.push(t);
        hostValues.push(null);
      }
    }
    // Fixed random weights project the result to a scalar.
    const probe = tidy(() => {
      const y = f(...xs);
      checkTarget(y, fn);
      return { shape: [...y.shape], dtype: y.dtype };
    });
    const rand = rng(options.seed ?? 1);
    const wv = new Float64Array(probe.shape.reduce((a, b) => a * b, 1));
    for (let k = 0; k < wv.length; k++) wv[k] = 0.5 + rand() * (rand() < 0.5 ? -1 : 1);
    const w = makeInput(wv, probe.shape, probe.dtype === 'float64' ? 'float64' : 'float32');
    owned.push(w);
    const scalarF = (...args: Tensor[]): Tensor => {
      const y = f(...args);
      checkTarget(y, fn);
      return sum(mul(y, w));
    };
    const evalAt = async (args: Tensor[]): Promise<number> => {
      const s = tidy(() => scalarF(...args));
      const v = (await s.data())[0]!;
      s.dispose();
      return v;
    };

    const analyticTensors = gradientsFunction(scalarF)(...xs);
    const analytic: Float64Array[] = [];
    for (let i = 0; i < xs.length; i++) {
      const g = analyticTensors[i];
      analytic.push(g === null || g === undefined ? new Float64Array(xs[i]!.size) : Float64Array.from(await g.data()));
      g?.dispose();
    }

    const results: InputGradientCheck[] = [];
    let maxError = 0;
    let worstText = '';
    for (let i = 0; i < xs.length; i++) {
      const v = hostValues[i] ?? null;
      const shape = [...xs[i]!.shape];
      if (v === null) {
        results.push({ index: i, shape, checked: false, analytic: analytic[i]!, numeric: new Float64Array(0), maxError: 0, worst: -1 });
        continue;
      }
      const numeric = new Float64Array(v.length);
      let inputMax = 0;
      let worst = -1;
      for (let j = 0; j < v.length; j++) {
        const h = eps * Math.max(1, Math.abs(v[j]!));
        const pert = Float64Array.from(v);
        pert[j] = v[j]! + h;
        const plus = makeInput(pert, shape, dtype);
        pert[j] = v[j]! - h;
        const minus = makeInput(pert, shape, dtype);
        // the actual step after rounding to the dtype
        const step = f64 ? 2 * h : Math.fround(v[j]! + h) - Math.fround(v[j]! - h);
        const args1 = xs.slice();
        args1[i] = plus;
        const args2 = xs.slice();
        args2[i] = minus;
        let fp: number;
        let fm: number;
        try {
          fp = await evalAt(args1);
          fm = await evalAt(args2);
        } finally {
          plus.dispose();
          minus.dispose();
        }
        const n = (fp - fm) / step;
        numeric[j] = n;
        const a = analytic[i]![j]!;
        let err: number;
        if (Number.isNaN(a) || Number.isNaN(n)) err = Number.isNaN(a) && Number.isNaN(n) ? 0 : Infinity;
        else err = Math.abs(a - n) / (atol + rtol * Math.abs(n));
        if (err > inputMax || worst < 0) {
          inputMax = Math.max(inputMax, err);
          worst = j;
        }
        if (err > maxError) {
          maxError = err;
          worstText =
            `input ${i} (shape ${formatShape(shape)}) element ${j} (value ${v[j]}): analytic gradient ${a}, ` +
            `finite differences ${n} (rtol ${rtol}, atol ${atol}, eps ${eps}, ${dtype})`;
        }
      }
      results.push({ index: i, shape, checked: true, analytic: analytic[i]!, numeric, maxError: inputMax, worst });
    }
    const ok = maxError <= 1;
    const message = ok
      ? `checkGradients: all gradients match finite differences (largest error ${maxError.toPrecision(3)} of tolerance, ${dtype})`
      : `checkGradients: gradients disagree with finite differences at ${worstText}`;
    const report: GradientCheckReport = { ok, maxError, dtype, inputs: results, message, weights: wv };
    if (!ok && options.throwOnFailure !== false) throw new GradientCheckError(message, report);
    return report;
  } finally {
    for (const t of owned) t.dispose();
  }
}
