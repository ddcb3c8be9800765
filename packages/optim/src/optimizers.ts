/**
 * The built-in optimizers, with TF 1.x update formulas. Each update is one composite op (see
 * `update-ops.ts`), so a backend may run it as a fused kernel.
 *
 * @module
 */
import { cast, mul, ValueError, type DType, type Tensor, type Variable } from '@tessera/core';
import { Optimizer } from './optimizer.js';
import type { LearningRate } from './schedules.js';
import {
  adagradUpdate,
  adamUpdate,
  adamWUpdate,
  centeredRmsPropUpdate,
  checkHyperparameter,
  momentumUpdate,
  rmsPropUpdate,
  sgdUpdate,
} from './update-ops.js';
import { describe } from './util.js';

function asDType(t: Tensor, dtype: DType): Tensor {
  return t.dtype === dtype ? t : cast(t, dtype);
}

function bool(fn: string, what: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ValueError(`${fn}: ${what} must be a boolean, got ${describe(v)}`);
  return v;
}

/**
 * Plain gradient descent, as TF 1.x `GradientDescentOptimizer`:
 * `variable ← variable - learningRate * gradient`. No slots.
 *
 * @example
 * ```ts
 * const w = getVariable('w', { initializer: 3 });
 * const opt = new GradientDescentOptimizer(0.1);
 * opt.minimize(() => w.mul(5)).dispose(); // w: 3 - 0.1 * 5 = 2.5
 * ```
 */
export class GradientDescentOptimizer extends Optimizer {
  /** @param learningRate A finite number > 0 or a schedule. */
  constructor(learningRate: LearningRate) {
    super(learningRate, 'GradientDescentOptimizer');
  }

  protected override applyDense(gradient: Tensor, variable: Variable, _slots: Readonly<Record<string, Variable>>, lr: Tensor): Tensor {
    return variable.assign(sgdUpdate(variable, gradient, lr));
  }
}

/**
 * Options of {@link MomentumOptimizer}.
 *
 * @example
 * ```ts
 * const o: MomentumOptions = { useNesterov: true };
 * ```
 */
export interface MomentumOptions {
  /** Use Nesterov momentum (default false). */
  readonly useNesterov?: boolean;
}

/**
 * Gradient descent with momentum, as TF 1.x `MomentumOptimizer`. Slot `'momentum'` (the
 * accumulation, starting at 0):
 *
 * ```text
 * accum ← momentum * accum + gradient
 * variable ← variable - learningRate * accum                                      (default)
 * variable ← variable - (learningRate * gradient + learningRate * momentum * accum)   (useNesterov)
 * ```
 *
 * @example
 * ```ts
 * const opt = new MomentumOptimizer(0.01, 0.9, { useNesterov: true });
 * opt.minimize(loss).dispose();
 * opt.getSlot(w, 'momentum');
 * ```
 */
export class MomentumOptimizer extends Optimizer {
  private momentum: number;
  private useNesterov: boolean;

  /**
   * @param learningRate A finite number > 0 or a schedule.
   * @param momentum The momentum coefficient, a finite number >= 0.
   * @param options Nesterov momentum.
   */
  constructor(learningRate: LearningRate, momentum: number, options: MomentumOptions = {}) {
    super(learningRate, 'MomentumOptimizer');
    this.momentum = checkHyperparameter(this.name, 'momentum', momentum, 0, Number.MAX_VALUE);
    this.useNesterov = bool(this.name, 'useNesterov', options.useNesterov ?? false);
  }

  protected override slotInitialValues(): Record<string, number> {
    return { momentum: 0 };
  }

  protected override applyDense(gradient: Tensor, variable: Variable, slots: Readonly<Record<string, Variable>>, lr: Tensor): Tensor[] {
    const accum = slots['momentum']!;
    const [x, a] = momentumUpdate(variable, accum, gradient, lr, { momentum: this.momentum, useNesterov: this.useNesterov });
    return [variable.assign(x), accum.assign(a)];
  }

  protected override hyperparameters(): Record<string, number | boolean> {
    return { momentum: this.momentum, useNesterov: this.useNesterov };
  }

  protected override setHyperparameters(h: Readonly<Record<string, number | boolean>>): void {
    const momentum = checkHyperparameter(this.name, 'momentum', h['momentum'], 0, Number.MAX_VALUE);
    this.useNesterov = bool(this.name, 'useNesterov', h['useNesterov']);
    this.momentum = momentum;
  }
}

/**
 * Options of {@link AdamOptimizer}.
 *
 * @example
 * ```ts
 * const o: AdamOptions = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
 * ```
 */
export interface AdamOptions {
  /** Decay of the first-moment estimate, in [0, 1) (default 0.9). */
  readonly beta1?: number;
  /** Decay of the second-moment estimate, in [0, 1) (default 0.999). */
  readonly beta2?: number;
  /** Added to the denominator, >= 0 (default 1e-8). */
  readonly epsilon?: number;
}

/**
 * Adam (Kingma and Ba), as TF 1.x `AdamOptimizer`. Slots `'m'` and `'v'` (starting at 0);
 * optimizer-wide `beta1Power` and `beta2Power`, which start at `beta1` and `beta2` and are
 * multiplied by them after every `applyGradients` call (so at the `t`-th call they are
 * `beta1^t` and `beta2^t`):
 *
 * ```text
 * lr_t ← learningRate * sqrt(1 - beta2^t) / (1 - beta1^t)
 * m ← beta1 * m + (1 - beta1) * gradient
 * v ← beta2 * v + (1 - beta2) * gradient²
 * variable ← variable - lr_t * m / (sqrt(v) + epsilon)
 * ```
 *
 * The powers are optimizer-wide, as in TF 1.x: every `applyGradients` call advances them, also
 * one that updates only some of the variables.
 *
 * @example
 * ```ts
 * const adam = new AdamOptimizer(0.001, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
 * adam.minimize(loss).dispose();
 * ```
 */
export class AdamOptimizer extends Optimizer {
  /** @internal */ protected beta1: number;
  /** @internal */ protected beta2: number;
  /** @internal */ protected epsilon: number;

  /**
   * @param learningRate A finite number > 0 or a schedule (default 0.001).
   * @param options `beta1`, `beta2`, `epsilon`.
   * @param name The optimizer's name (subclasses).
   */
  constructor(learningRate: LearningRate = 0.001, options: AdamOptions = {}, name = 'AdamOptimizer') {
    super(learningRate, name);
    this.beta1 = checkHyperparameter(this.name, 'beta1', options.beta1 ?? 0.9, 0, 1, false, true);
    this.beta2 = checkHyperparameter(this.name, 'beta2', options.beta2 ?? 0.999, 0, 1, false, true);
    this.epsilon = checkHyperparameter(this.name, 'epsilon', options.epsilon ?? 1e-8, 0, Number.MAX_VALUE);
  }

  protected override slotInitialValues(): Record<string, number> {
    return { m: 0, v: 0 };
  }

  protected override nonSlotInitialValues(): Record<string, number> {
    return { beta1Power: this.beta1, beta2Power: this.beta2 };
  }

  protected override applyDense(gradient: Tensor, variable: Variable, slots: Readonly<Record<string, Variable>>, lr: Tensor): Tensor[] {
    const m = slots['m']!;
    const v = slots['v']!;
    const b1p = asDType(this.getNonSlot('beta1Power'), variable.dtype);
    const b2p = asDType(this.getNonSlot('beta2Power'), variable.dtype);
    const [x1, m1, v1] = this.update(variable, m, v, gradient, lr, b1p, b2p);
    return [variable.assign(x1), m.assign(m1), v.assign(v1)];
  }

  /** The update op (AdamW overrides it). @internal */
  protected update(x: Tensor, m: Tensor, v: Tensor, g: Tensor, lr: Tensor, b1p: Tensor, b2p: Tensor): [Tensor, Tensor, Tensor] {
    return adamUpdate(x, m, v, g, lr, b1p, b2p, { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon });
  }

  protected override finishApply(): Tensor[] {
    const b1p = this.getNonSlot('beta1Power');
    const b2p = this.getNonSlot('beta2Power');
    return [b1p.assign(mul(b1p, this.beta1)), b2p.assign(mul(b2p, this.beta2))];
  }

  protected override hyperparameters(): Record<string, number | boolean> {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  protected override setHyperparameters(h: Readonly<Record<string, number | boolean>>): void {
    const beta1 = checkHyperparameter(this.name, 'beta1', h['beta1'], 0, 1, false, true);
    const beta2 = checkHyperparameter(this.name, 'beta2', h['beta2'], 0, 1, false, true);
    const epsilon = checkHyperparameter(this.name, 'epsilon', h['epsilon'], 0, Number.MAX_VALUE);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
  }
}

/**
 * Options of {@link AdamWOptimizer}.
 *
 * @example
 * ```ts
 * const o: AdamWOptions = { weightDecay: 0.01, beta1: 0.9 };
 * ```
 */
export interface AdamWOptions extends AdamOptions {
  /** The decoupled weight-decay coefficient, >= 0 (default 0.01). */
  readonly weightDecay?: number;
}

/**
 * Adam with decoupled weight decay (AdamW, Loshchilov and Hutter), as {@link AdamOptimizer}
 * plus a decay of the variable itself that does not pass through the moment estimates:
 *
 * ```text
 * variable ← variable - learningRate * weightDecay * variable - lr_t * m / (sqrt(v) + epsilon)
 * ```
 *
 * with `m`, `v` and `lr_t` as in {@link AdamOptimizer} (the decay is applied first, to the
 * value before the step; `learningRate` is the schedule's value at the step, not `lr_t`).
 * Every variable passed to it decays; leave biases out of its `varList` (use a second optimizer
 * for them) if they should not.
 *
 * @example
 * ```ts
 * const opt = new AdamWOptimizer(0.001, { weightDecay: 0.01 });
 * opt.minimize(loss).dispose();
 * ```
 */
export class AdamWOptimizer extends AdamOptimizer {
  private weightDecay: number;

  /**
   * @param learningRate A finite number > 0 or a schedule (default 0.001).
   * @param options `weightDecay`, `beta1`, `beta2`, `epsilon`.
   */
  constructor(learningRate: LearningRate = 0.001, options: AdamWOptions = {}) {
    super(learningRate, options, 'AdamWOptimizer');
    this.weightDecay = checkHyperparameter(this.name, 'weightDecay', options.weightDecay ?? 0.01, 0, Number.MAX_VALUE);
  }

  /** @internal */
  protected override update(x: Tensor, m: Tensor, v: Tensor, g: Tensor, lr: Tensor, b1p: Tensor, b2p: Tensor): [Tensor, Tensor, Tensor] {
    return adamWUpdate(x, m, v, g, lr, b1p, b2p, {
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
    });
  }

  protected override hyperparameters(): Record<string, number | boolean> {
    return { ...super.hyperparameters(), weightDecay: this.weightDecay };
  }

  protected override setHyperparameters(h: Readonly<Record<string, number | boolean>>): void {
    const weightDecay = checkHyperparameter(this.name, 'weightDecay', h['weightDecay'], 0, Number.MAX_VALUE);
    super.setHyperparameters(h);
    this.weightDecay = weightDecay;
  }
}

/**
 * Options of {@link RMSPropOptimizer}.
 *
 * @example
 * ```ts
 * const o: RMSPropOptions = { decay: 0.9, momentum: 0.5, epsilon: 1e-10, centered: true };
 * ```
 */
export interface RMSPropOptions {
  /** Discount of the squared-gradient average, in [0, 1] (default 0.9). */
  readonly decay?: number;
  /** Momentum coefficient, >= 0 (default 0). */
  readonly momentum?: number;
  /** Added under the square root, >= 0 (default 1e-10). */
  readonly epsilon?: number;
  /** Normalize by the gradient's estimated variance instead of its second moment (default false). */
  readonly centered?: boolean;
}

/**
 * RMSProp, as TF 1.x `RMSPropOptimizer`. Slots `'rms'` (starting at **1**, as in TF 1.x),
 * `'momentum'` (starting at 0) and, when centered, `'mg'` (starting at 0):
 *
 * ```text
 * rms ← decay * rms + (1 - decay) * gradient²
 * mg  ← decay * mg + (1 - decay) * gradient                         (centered only)
 * denom = rms + epsilon            or, centered,   rms - mg² + epsilon
 * mom ← momentum * mom + learningRate * gradient / sqrt(denom)
 * variable ← variable - mom
 * ```
 *
 * @example
 * ```ts
 * const opt = new RMSPropOptimizer(0.01, { decay: 0.9, momentum: 0.9, centered: true });
 * opt.minimize(loss).dispose();
 * ```
 */
export class RMSPropOptimizer extends Optimizer {
  private decay: number;
  private momentum: number;
  private epsilon: number;
  private centered: boolean;

  /**
   * @param learningRate A finite number > 0 or a schedule.
   * @param options `decay`, `momentum`, `epsilon`, `centered`.
   */
  constructor(learningRate: LearningRate, options: RMSPropOptions = {}) {
    super(learningRate, 'RMSPropOptimizer');
    this.decay = checkHyperparameter(this.name, 'decay', options.decay ?? 0.9, 0, 1);
    this.momentum = checkHyperparameter(this.name, 'momentum', options.momentum ?? 0, 0, Number.MAX_VALUE);
    this.epsilon = checkHyperparameter(this.name, 'epsilon', options.epsilon ?? 1e-10, 0, Number.MAX_VALUE);
    this.centered = bool(this.name, 'centered', options.centered ?? false);
  }

  protected override slotInitialValues(): Record<string, number> {
    return this.centered ? { rms: 1, momentum: 0, mg: 0 } : { rms: 1, momentum: 0 };
  }

  protected override applyDense(gradient: Tensor, variable: Variable, slots: Readonly<Record<string, Variable>>, lr: Tensor): Tensor[] {
    const rms = slots['rms']!;
    const mom = slots['momentum']!;
    const o = { decay: this.decay, momentum: this.momentum, epsilon: this.epsilon };
    if (this.centered) {
      const mg = slots['mg']!;
      const [x1, mg1, rms1, mom1] = centeredRmsPropUpdate(variable, mg, rms, mom, gradient, lr, o);
      return [variable.assign(x1), mg.assign(mg1), rms.assign(rms1), mom.assign(mom1)];
    }
    const [x1, rms1, mom1] = rmsPropUpdate(variable, rms, mom, gradient, lr, o);
    return [variable.assign(x1), rms.assign(rms1), mom.assign(mom1)];
  }

  protected override hyperparameters(): Record<string, number | boolean> {
    return { decay: this.decay, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }

  protected override setHyperparameters(h: Readonly<Record<string, number | boolean>>): void {
    const decay = checkHyperparameter(this.name, 'decay', h['decay'], 0, 1);
    const momentum = checkHyperparameter(this.name, 'momentum', h['momentum'], 0, Number.MAX_VALUE);
    const epsilon = checkHyperparameter(this.name, 'epsilon', h['epsilon'], 0, Number.MAX_VALUE);
    this.centered = bool(this.name, 'centered', h['centered']);
    this.decay = decay;
    this.momentum = momentum;
    this.epsilon = epsilon;
  }
}

/**
 * Options of {@link AdagradOptimizer}.
 *
 * @example
 * ```ts
 * const o: AdagradOptions = { initialAccumulatorValue: 0.1 };
 * ```
 */
export interface AdagradOptions {
  /** The value every accumulator starts at, a finite number > 0 (default 0.1). */
  readonly initialAccumulatorValue?: number;
}

/**
 * Adagrad, as TF 1.x `AdagradOptimizer`. Slot `'accumulator'`, starting at
 * `initialAccumulatorValue`:
 *
 * ```text
 * accumulator ← accumulator + gradient²
 * variable ← variable - learningRate * gradient / sqrt(accumulator)
 * ```
 *
 * @example
 * ```ts
 * const opt = new AdagradOptimizer(0.1, { initialAccumulatorValue: 0.1 });
 * opt.minimize(loss).dispose();
 * ```
 */
export class AdagradOptimizer extends Optimizer {
  private initialAccumulatorValue: number;

  /**
   * @param learningRate A finite number > 0 or a schedule.
   * @param options `initialAccumulatorValue`.
   */
  constructor(learningRate: LearningRate, options: AdagradOptions = {}) {
    super(learningRate, 'AdagradOptimizer');
    this.initialAccumulatorValue = checkHyperparameter(
      this.name,
      'initialAccumulatorValue',
      options.initialAccumulatorValue ?? 0.1,
      0,
      Number.MAX_VALUE,
      true,
    );
  }

  protected override slotInitialValues(): Record<string, number> {
    return { accumulator: this.initialAccumulatorValue };
  }

  protected override applyDense(gradient: Tensor, variable: Variable, slots: Readonly<Record<string, Variable>>, lr: Tensor): Tensor[] {
    const acc = slots['accumulator']!;
    const [x1, acc1] = adagradUpdate(variable, acc, gradient, lr);
    return [variable.assign(x1), acc.assign(acc1)];
  }

  protected override hyperparameters(): Record<string, number | boolean> {
    return { initialAccumulatorValue: this.initialAccumulatorValue };
  }

  protected override setHyperparameters(h: Readonly<Record<string, number | boolean>>): void {
    this.initialAccumulatorValue = checkHyperparameter(
      this.name,
      'initialAccumulatorValue',
      h['initialAccumulatorValue'],
      0,
      Number.MAX_VALUE,
      true,
    );
  }
}
