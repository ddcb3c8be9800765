/**
 * Learning-rate schedules: functions of the training step. Each built-in schedule is a plain
 * function `(step: number) => number` (call it to plot or inspect a schedule) that also carries
 * `tensor(step)`, the same formula written with core ops, which optimizers use so that no value
 * is read back from the backend (and so that graph mode can build it into a train op), and a
 * `config` from which {@link scheduleFromConfig} rebuilds it (optimizer state saves it).
 *
 * An optimizer evaluates its schedule at the `globalStep` variable's value when `applyGradients`
 * / `minimize` get one, and at its own iteration count otherwise (see {@link Optimizer}); the
 * step is the count of updates made *before* the current one, so the first update uses step 0.
 *
 * @module
 */
import {
  add,
  cast,
  cos,
  div,
  floor,
  lessEqual,
  less,
  maximum,
  minimum,
  mul,
  pow,
  scalar,
  sub,
  Tensor,
  tidy,
  ValueError,
  where,
  type DType,
} from '@tessera/core';
import { checkLearningRate, describe } from './util.js';

/**
 * The serializable description of a built-in schedule, as its `config` property holds it and
 * {@link scheduleFromConfig} accepts it.
 *
 * @example
 * ```ts
 * const c: ScheduleConfig = { kind: 'cosineDecay', learningRate: 0.1, decaySteps: 1000, alpha: 0 };
 * ```
 */
export type ScheduleConfig =
  | {
      readonly kind: 'exponentialDecay';
      readonly learningRate: number;
      readonly decaySteps: number;
      readonly decayRate: number;
      readonly staircase: boolean;
    }
  | { readonly kind: 'piecewiseConstant'; readonly boundaries: readonly number[]; readonly values: readonly number[] }
  | { readonly kind: 'cosineDecay'; readonly learningRate: number; readonly decaySteps: number; readonly alpha: number }
  | { readonly kind: 'linearWarmup'; readonly warmupSteps: number; readonly target: number | ScheduleConfig };

/**
 * A learning-rate schedule: the learning rate as a function of the step. Any function
 * `(step: number) => number` is one; built-in schedules also carry `tensor` and `config`.
 *
 * A custom function without `tensor` still works in eager mode: the optimizer calls it with its
 * iteration count, or with the global step's value read from the backend (which needs a backend
 * with synchronous reads, such as the CPU backend). Its result must be a finite number >= 0.
 *
 * @example
 * ```ts
 * const halving: LearningRateSchedule = (step) => 0.1 * 0.5 ** Math.floor(step / 100);
 * const opt = new GradientDescentOptimizer(halving);
 * ```
 */
export interface LearningRateSchedule {
  /** The learning rate at `step` (a count of updates, from 0). */
  (step: number): number;
  /**
   * The same schedule written with core ops: the learning rate as a scalar tensor of `dtype`
   * (default float32) at the scalar `step` tensor (int32 or float).
   */
  readonly tensor?: (step: Tensor, dtype?: DType) => Tensor;
  /** The serializable description (built-in schedules). */
  readonly config?: ScheduleConfig;
}

/**
 * A built-in schedule: a {@link LearningRateSchedule} that always has `tensor` and `config`.
 *
 * @example
 * ```ts
 * const s: BuiltinSchedule = exponentialDecay(0.1, 1000, 0.96);
 * s(2000); // 0.1 * 0.96 ** 2
 * s.config.kind; // 'exponentialDecay'
 * ```
 */
export interface BuiltinSchedule extends LearningRateSchedule {
  /** The schedule with ops; see {@link LearningRateSchedule.tensor}. */
  readonly tensor: (step: Tensor, dtype?: DType) => Tensor;
  /** The serializable description. */
  readonly config: ScheduleConfig;
}

/**
 * A learning rate: a finite number > 0, or a schedule of the step.
 *
 * @example
 * ```ts
 * const a: LearningRate = 0.01;
 * const b: LearningRate = cosineDecay(0.1, 10_000);
 * ```
 */
export type LearningRate = number | LearningRateSchedule;

function checkStep(fn: string, step: unknown): number {
  if (typeof step !== 'number' || Number.isNaN(step) || step < 0) {
    throw new ValueError(`${fn}: step must be a number >= 0, got ${describe(step)}`);
  }
  return step;
}

function stepTensor(fn: string, step: unknown, dtype: DType): Tensor {
  if (!(step instanceof Tensor)) throw new ValueError(`${fn}.tensor: step must be a scalar tensor, got ${describe(step)}`);
  if (step.rank !== 0) throw new ValueError(`${fn}.tensor: step must be a scalar tensor, got ${describe(step)}`);
  return step.dtype === dtype ? step : cast(step, dtype);
}

function checkPositiveInteger(fn: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ValueError(`${fn}: ${what} must be an integer > 0, got ${describe(v)}`);
  }
  return v;
}

function make(
  fn: string,
  f: (step: number) => number,
  t: (step: Tensor, dtype: DType) => Tensor,
  config: ScheduleConfig,
): BuiltinSchedule {
  const schedule = (step: number): number => f(checkStep(fn, step));
  return Object.assign(schedule, {
    tensor: (step: Tensor, dtype: DType = 'float32'): Tensor => tidy(() => t(stepTensor(fn, step, dtype), dtype)),
    config,
  });
}

/**
 * Exponential decay, as TF 1.x `exponential_decay`:
 * `learningRate * decayRate ^ (step / decaySteps)`, with the exponent floored when `staircase`
 * is set (the rate then drops every `decaySteps` steps).
 *
 * @example
 * ```ts
 * const s = exponentialDecay(0.1, 100, 0.5, { staircase: true });
 * s(0); // 0.1
 * s(150); // 0.05
 * new GradientDescentOptimizer(s);
 * ```
 */
export function exponentialDecay(
  learningRate: number,
  decaySteps: number,
  decayRate: number,
  options: { readonly staircase?: boolean } = {},
): BuiltinSchedule {
  const fn = 'exponentialDecay';
  checkLearningRate(fn, learningRate);
  checkPositiveInteger(fn, 'decaySteps', decaySteps);
  if (typeof decayRate !== 'number' || !Number.isFinite(decayRate) || !(decayRate > 0)) {
    throw new ValueError(`${fn}: decayRate must be a finite number > 0, got ${describe(decayRate)}`);
  }
  const staircase = options.staircase === true;
  return make(
    fn,
    (step) => {
      const p = step / decaySteps;
      return learningRate * Math.pow(decayRate, staircase ? Math.floor(p) : p);
    },
    (step) => {
      let p = div(step, decaySteps);
      if (staircase) p = floor(p);
      return mul(pow(scalar(decayRate, step.dtype), p), learningRate);
    },
    { kind: fn, learningRate, decaySteps, decayRate, staircase },
  );
}

/**
 * A piecewise-constant rate, as TF 1.x `piecewise_constant`: `values[0]` while
 * `step <= boundaries[0]`, `values[i]` while `boundaries[i-1] < step <= boundaries[i]`, and the
 * last value after the last boundary. `boundaries` must increase strictly and `values` must have
 * one more entry, each a finite number > 0.
 *
 * @example
 * ```ts
 * const s = piecewiseConstant([100, 200], [0.1, 0.01, 0.001]);
 * s(100); // 0.1
 * s(101); // 0.01
 * s(500); // 0.001
 * ```
 */
export function piecewiseConstant(boundaries: readonly number[], values: readonly number[]): BuiltinSchedule {
  const fn = 'piecewiseConstant';
  if (!Array.isArray(boundaries) || !Array.isArray(values)) {
    throw new ValueError(`${fn}: boundaries and values must be arrays of numbers`);
  }
  if (values.length !== boundaries.length + 1) {
    throw new ValueError(
      `${fn}: values must have one more entry than boundaries, got ${values.length} values for ${boundaries.length} boundaries`,
    );
  }
  boundaries.forEach((b, i) => {
    if (typeof b !== 'number' || !Number.isFinite(b)) throw new ValueError(`${fn}: boundaries[${i}] must be a finite number, got ${describe(b)}`);
    if (i > 0 && !(b > boundaries[i - 1]!)) {
      throw new ValueError(`${fn}: boundaries must increase strictly, got [${boundaries.join(', ')}]`);
    }
  });
  values.forEach((v, i) => checkLearningRate(fn, v, `values[${i}]`));
  const bs = [...boundaries];
  const vs = [...values];
  return make(
    fn,
    (step) => {
      for (let i = 0; i < bs.length; i++) if (step <= bs[i]!) return vs[i]!;
      return vs[vs.length - 1]!;
    },
    (step, dtype) => {
      let out = scalar(vs[vs.length - 1]!, dtype);
      for (let i = bs.length - 1; i >= 0; i--) out = where(lessEqual(step, bs[i]!), scalar(vs[i]!, dtype), out);
      return out;
    },
    { kind: fn, boundaries: bs, values: vs },
  );
}

/**
 * Cosine decay, as TF 1.x `cosine_decay`: with `s = min(step, decaySteps)`,
 * `learningRate * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decaySteps)) + alpha)`; it falls from
 * `learningRate` to `alpha * learningRate` over `decaySteps` steps and stays there.
 * `alpha` is in [0, 1] (default 0).
 *
 * @example
 * ```ts
 * const s = cosineDecay(0.1, 1000, { alpha: 0.01 });
 * s(0); // 0.1
 * s(500); // ≈ 0.0505
 * s(5000); // 0.001
 * ```
 */
export function cosineDecay(learningRate: number, decaySteps: number, options: { readonly alpha?: number } = {}): BuiltinSchedule {
  const fn = 'cosineDecay';
  checkLearningRate(fn, learningRate);
  checkPositiveInteger(fn, 'decaySteps', decaySteps);
  const alpha = options.alpha ?? 0;
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1)) {
    throw new ValueError(`${fn}: alpha must be a number in [0, 1], got ${describe(alpha)}`);
  }
  return make(
    fn,
    (step) => {
      const s = Math.min(step, decaySteps);
      const c = 0.5 * (1 + Math.cos((Math.PI * s) / decaySteps));
      return learningRate * ((1 - alpha) * c + alpha);
    },
    (step) => {
      const s = minimum(step, decaySteps);
      const c = mul(add(cos(div(mul(s, Math.PI), decaySteps)), 1), 0.5);
      return mul(add(mul(c, 1 - alpha), alpha), learningRate);
    },
    { kind: fn, learningRate, decaySteps, alpha },
  );
}

/**
 * Linear warmup before another schedule (or a constant rate). With `r0` the target's rate at
 * its step 0: during the first `warmupSteps` steps the rate is `r0 * (step + 1) / warmupSteps`
 * (it reaches `r0` on the last warmup step and is never 0); afterwards it is
 * `target(step - warmupSteps)`, so the target schedule starts at its own step 0 when warmup ends.
 *
 * The result has `tensor` and `config` when the target is a number or a built-in schedule.
 *
 * @example
 * ```ts
 * const s = linearWarmup(100, cosineDecay(0.1, 1000));
 * s(0); // 0.001
 * s(99); // 0.1
 * s(100); // 0.1, then cosine decay over the next 1000 steps
 * const constant = linearWarmup(10, 0.01);
 * ```
 */
export function linearWarmup(warmupSteps: number, target: LearningRate): LearningRateSchedule {
  const fn = 'linearWarmup';
  checkPositiveInteger(fn, 'warmupSteps', warmupSteps);
  let targetFn: (step: number) => number;
  let targetTensor: ((step: Tensor, dtype: DType) => Tensor) | undefined;
  let targetConfig: number | ScheduleConfig | undefined;
  if (typeof target === 'number') {
    checkLearningRate(fn, target, 'target learning rate');
    targetFn = () => target;
    targetTensor = (_s, dtype) => scalar(target, dtype);
    targetConfig = target;
  } else if (typeof target === 'function') {
    targetFn = target;
    const t = target.tensor;
    targetTensor = t === undefined ? undefined : (s, dtype) => t(s, dtype);
    targetConfig = target.config;
  } else {
    throw new ValueError(`${fn}: target must be a learning rate (number) or a schedule, got ${describe(target)}`);
  }
  const r0 = targetFn(0);
  const schedule = (step: number): number => {
    checkStep(fn, step);
    return step < warmupSteps ? (r0 * (step + 1)) / warmupSteps : targetFn(step - warmupSteps);
  };
  if (targetTensor === undefined || targetConfig === undefined) return schedule;
  const tt = targetTensor;
  return Object.assign(schedule, {
    tensor: (step: Tensor, dtype: DType = 'float32'): Tensor =>
      tidy(() => {
        const s = stepTensor(fn, step, dtype);
        const warm = div(mul(add(s, 1), r0), warmupSteps);
        const after = tt(maximum(sub(s, warmupSteps), 0), dtype);
        return where(less(s, warmupSteps), warm, after);
      }),
    config: { kind: fn, warmupSteps, target: targetConfig } as const,
  });
}

/**
 * Rebuilds a built-in schedule from its `config` (as saved in optimizer state).
 *
 * @example
 * ```ts
 * const s = scheduleFromConfig(exponentialDecay(0.1, 100, 0.9).config);
 * s(100); // 0.09
 * ```
 */
export function scheduleFromConfig(config: ScheduleConfig): LearningRateSchedule {
  const c = config as ScheduleConfig | null | undefined;
  switch (c?.kind) {
    case 'exponentialDecay':
      return exponentialDecay(c.learningRate, c.decaySteps, c.decayRate, { staircase: c.staircase });
    case 'piecewiseConstant':
      return piecewiseConstant(c.boundaries, c.values);
    case 'cosineDecay':
      return cosineDecay(c.learningRate, c.decaySteps, { alpha: c.alpha });
    case 'linearWarmup':
      return linearWarmup(c.warmupSteps, typeof c.target === 'number' ? c.target : scheduleFromConfig(c.target));
    default:
      throw new ValueError(
        `scheduleFromConfig: unknown schedule config ${JSON.stringify(c)}; expected kind exponentialDecay, piecewiseConstant, cosineDecay or linearWarmup`,
      );
  }
}
