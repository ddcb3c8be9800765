/**
 * The update rules of the built-in optimizers, each defined once as a composite op: the
 * composition is the TF 1.x formula written with core ops, so it runs on every backend, builds
 * graph nodes in graph mode, and a backend may register a fused kernel under the op's name (one
 * kernel per Adam step, say) that replaces it. Each op takes the variable's current value, its
 * slots, the gradient and scalar hyperparameter tensors, and returns the new values; it never
 * changes its inputs (the optimizer assigns the results).
 *
 * @module
 */
import {
  add,
  defineComposite,
  div,
  DTypeError,
  isFloat,
  mul,
  runOp,
  shapesEqual,
  ShapeError,
  sqrt,
  sub,
  formatShape,
  ValueError,
  type Attrs,
  type CompositeOpDef,
  type Tensor,
  type TensorLike,
  type TensorSpec,
} from '@tessera/core';
import { describe, toTensorForOptim } from './util.js';

/* ---- shape and dtype rule shared by every update op ------------------------------------------ */

function updateInfer(
  name: string,
  tensorInputs: readonly string[],
  scalarInputs: readonly string[],
  numOutputs: number,
): (inputs: readonly TensorSpec[]) => TensorSpec[] {
  return (inputs) => {
    const x = inputs[0]!;
    if (!isFloat(x.dtype)) {
      throw new DTypeError(`${name}: the variable has dtype ${x.dtype}; only float32 and float64 variables can be updated`);
    }
    for (let i = 1; i < inputs.length; i++) {
      const s = inputs[i]!;
      const argName = i < tensorInputs.length ? tensorInputs[i]! : scalarInputs[i - tensorInputs.length]!;
      if (s.dtype !== x.dtype) {
        throw new DTypeError(`${name}: ${argName} has dtype ${s.dtype}, the variable has ${x.dtype}; they must match`);
      }
      if (i < tensorInputs.length) {
        if (!shapesEqual(s.shape, x.shape, true)) {
          throw new ShapeError(
            `${name}: ${argName} has shape ${formatShape(s.shape)}, the variable has ${formatShape(x.shape)}; they must match`,
          );
        }
      } else if (s.shape.length !== 0) {
        throw new ShapeError(`${name}: ${argName} must be a scalar, got shape ${formatShape(s.shape)}`);
      }
    }
    const out: TensorSpec[] = [];
    for (let i = 0; i < numOutputs; i++) out.push({ shape: x.shape, dtype: x.dtype });
    return out;
  };
}

function num(attrs: Attrs, key: string): number {
  return attrs[key] as number;
}

function checkNumber(fn: string, what: string, v: unknown, lo: number, hi: number, loOpen = false, hiOpen = false): number {
  if (typeof v !== 'number' || Number.isNaN(v) || (loOpen ? v <= lo : v < lo) || (hiOpen ? v >= hi : v > hi)) {
    const range =
      hi >= Number.MAX_VALUE
        ? `a finite number ${loOpen ? '>' : '>='} ${lo}`
        : `a number in ${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}`;
    throw new ValueError(`${fn}: ${what} must be ${range}, got ${describe(v)}`);
  }
  return v;
}

/** Validates an optimizer hyperparameter: a number in a range. @internal */
export const checkHyperparameter: typeof checkNumber = checkNumber;

function tensorArgs(fn: string, names: readonly string[], values: readonly TensorLike[]): Tensor[] {
  const first = toTensorForOptim(values[0]!, fn, names[0]!);
  const out = [first];
  for (let i = 1; i < values.length; i++) out.push(toTensorForOptim(values[i]!, fn, names[i]!, first.dtype));
  return out;
}

/* ---- gradient descent --------------------------------------------------------------------------- */

const sgdUpdateOp: CompositeOpDef = defineComposite({
  name: 'sgdUpdate',
  inputs: ['variable', 'gradient', 'learningRate'],
  infer: updateInfer('sgdUpdate', ['variable', 'gradient'], ['learningRate'], 1),
  compose: ([x, g, lr]) => [sub(x!, mul(g!, lr!))],
});

/**
 * One gradient-descent step, as TF 1.x `ApplyGradientDescent`: returns
 * `variable - gradient * learningRate`. The op is named `sgdUpdate`; a backend may register a
 * fused kernel under that name.
 *
 * @example
 * ```ts
 * const next = sgdUpdate(tensor([1, 2]), tensor([10, 10]), 0.1); // [0, 1]
 * ```
 */
export function sgdUpdate(variable: TensorLike, gradient: TensorLike, learningRate: TensorLike): Tensor {
  return runOp(sgdUpdateOp, tensorArgs('sgdUpdate', sgdUpdateOp.inputs, [variable, gradient, learningRate]))[0]!;
}

/* ---- momentum ----------------------------------------------------------------------------------- */

/**
 * Options of {@link momentumUpdate}.
 *
 * @example
 * ```ts
 * const o: MomentumUpdateOptions = { momentum: 0.9, useNesterov: true };
 * ```
 */
export interface MomentumUpdateOptions {
  /** The momentum coefficient, at least 0. */
  readonly momentum: number;
  /** Use Nesterov momentum (default false). */
  readonly useNesterov?: boolean;
}

const momentumUpdateOp: CompositeOpDef = defineComposite({
  name: 'momentumUpdate',
  inputs: ['variable', 'accumulation', 'gradient', 'learningRate'],
  infer: updateInfer('momentumUpdate', ['variable', 'accumulation', 'gradient'], ['learningRate'], 2),
  compose: ([x, accum, g, lr], attrs) => {
    const momentum = num(attrs, 'momentum');
    const accum1 = add(mul(accum!, momentum), g!);
    const step = attrs['useNesterov'] === true ? add(mul(g!, lr!), mul(mul(accum1, momentum), lr!)) : mul(accum1, lr!);
    return [sub(x!, step), accum1];
  },
});

/**
 * One momentum step, as TF 1.x `ApplyMomentum`:
 * `accumulation' = accumulation * momentum + gradient`, then
 * `variable' = variable - learningRate * accumulation'`, or with Nesterov momentum
 * `variable' = variable - (gradient * learningRate + accumulation' * momentum * learningRate)`.
 * Returns `[variable', accumulation']`. Op name `momentumUpdate`.
 *
 * @example
 * ```ts
 * const [x, accum] = momentumUpdate(tensor([1]), tensor([0.5]), tensor([1]), 0.1, { momentum: 0.9 });
 * // accum = [1.45], x = [0.855]
 * ```
 */
export function momentumUpdate(
  variable: TensorLike,
  accumulation: TensorLike,
  gradient: TensorLike,
  learningRate: TensorLike,
  options: MomentumUpdateOptions,
): [Tensor, Tensor] {
  const momentum = checkNumber('momentumUpdate', 'momentum', options?.momentum, 0, Number.MAX_VALUE);
  const ins = tensorArgs('momentumUpdate', momentumUpdateOp.inputs, [variable, accumulation, gradient, learningRate]);
  const [x, a] = runOp(momentumUpdateOp, ins, { momentum, useNesterov: options.useNesterov === true });
  return [x!, a!];
}

/* ---- Adam / AdamW ------------------------------------------------------------------------------- */

/**
 * Options of {@link adamUpdate} and {@link adamWUpdate}.
 *
 * @example
 * ```ts
 * const o: AdamUpdateOptions = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
 * ```
 */
export interface AdamUpdateOptions {
  /** Decay of the first moment, in [0, 1). */
  readonly beta1: number;
  /** Decay of the second moment, in [0, 1). */
  readonly beta2: number;
  /** Added to the denominator, at least 0. */
  readonly epsilon: number;
}

function adamCompose(inputs: readonly Tensor[], attrs: Attrs, weightDecay: boolean): Tensor[] {
  const [x0, m, v, g, lr, b1p, b2p] = inputs as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
  const beta1 = num(attrs, 'beta1');
  const beta2 = num(attrs, 'beta2');
  const epsilon = num(attrs, 'epsilon');
  // Decoupled weight decay first (AdamW), on the value before the Adam step.
  const x = weightDecay ? sub(x0, mul(x0, mul(lr, num(attrs, 'weightDecay')))) : x0;
  const alpha = div(mul(lr, sqrt(sub(1, b2p))), sub(1, b1p));
  const m1 = add(m, mul(sub(g, m), 1 - beta1));
  const v1 = add(v, mul(sub(mul(g, g), v), 1 - beta2));
  const x1 = sub(x, div(mul(m1, alpha), add(sqrt(v1), epsilon)));
  return [x1, m1, v1];
}

const ADAM_TENSORS = ['variable', 'm', 'v', 'gradient'] as const;
const ADAM_SCALARS = ['learningRate', 'beta1Power', 'beta2Power'] as const;

const adamUpdateOp: CompositeOpDef = defineComposite({
  name: 'adamUpdate',
  inputs: [...ADAM_TENSORS, ...ADAM_SCALARS],
  infer: updateInfer('adamUpdate', ADAM_TENSORS, ADAM_SCALARS, 3),
  compose: (inputs, attrs) => adamCompose(inputs, attrs, false),
});

const adamWUpdateOp: CompositeOpDef = defineComposite({
  name: 'adamWUpdate',
  inputs: [...ADAM_TENSORS, ...ADAM_SCALARS],
  infer: updateInfer('adamWUpdate', ADAM_TENSORS, ADAM_SCALARS, 3),
  compose: (inputs, attrs) => adamCompose(inputs, attrs, true),
});

function adamAttrs(fn: string, o: AdamUpdateOptions): { beta1: number; beta2: number; epsilon: number } {
  return {
    beta1: checkNumber(fn, 'beta1', o?.beta1, 0, 1, false, true),
    beta2: checkNumber(fn, 'beta2', o?.beta2, 0, 1, false, true),
    epsilon: checkNumber(fn, 'epsilon', o?.epsilon, 0, Number.MAX_VALUE),
  };
}

/**
 * One Adam step, as TF 1.x `ApplyAdam`, where `beta1Power = beta1^t` and `beta2Power = beta2^t`
 * at step `t` (1-based):
 *
 * ```text
 * alpha = learningRate * sqrt(1 - beta2Power) / (1 - beta1Power)
 * m'    = m + (gradient - m) * (1 - beta1)          (= beta1 m + (1 - beta1) g)
 * v'    = v + (gradient² - v) * (1 - beta2)         (= beta2 v + (1 - beta2) g²)
 * x'    = x - alpha * m' / (sqrt(v') + epsilon)
 * ```
 *
 * Returns `[x', m', v']`. Op name `adamUpdate`; a backend may register a fused kernel under it.
 *
 * @example
 * ```ts
 * const [x, m, v] = adamUpdate(tensor([1]), zeros([1]), zeros([1]), tensor([0.5]), 0.1, 0.9, 0.999,
 *   { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
 * ```
 */
export function adamUpdate(
  variable: TensorLike,
  m: TensorLike,
  v: TensorLike,
  gradient: TensorLike,
  learningRate: TensorLike,
  beta1Power: TensorLike,
  beta2Power: TensorLike,
  options: AdamUpdateOptions,
): [Tensor, Tensor, Tensor] {
  const attrs = adamAttrs('adamUpdate', options);
  const ins = tensorArgs('adamUpdate', adamUpdateOp.inputs, [variable, m, v, gradient, learningRate, beta1Power, beta2Power]);
  const [a, b, c] = runOp(adamUpdateOp, ins, attrs);
  return [a!, b!, c!];
}

/**
 * Options of {@link adamWUpdate}.
 *
 * @example
 * ```ts
 * const o: AdamWUpdateOptions = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 };
 * ```
 */
export interface AdamWUpdateOptions extends AdamUpdateOptions {
  /** The decoupled weight-decay coefficient, at least 0 (multiplied by the learning rate). */
  readonly weightDecay: number;
}

/**
 * One AdamW step (Adam with decoupled weight decay, Loshchilov and Hutter): the variable first
 * decays, `x_d = x - x * (learningRate * weightDecay)`, then takes the {@link adamUpdate} step
 * from `x_d`:
 *
 * ```text
 * x' = x - learningRate * weightDecay * x - alpha * m' / (sqrt(v') + epsilon)
 * ```
 *
 * with `alpha`, `m'` and `v'` as in {@link adamUpdate}. The decay does not pass through the
 * moments. Returns `[x', m', v']`. Op name `adamWUpdate`.
 *
 * @example
 * ```ts
 * const [x, m, v] = adamWUpdate(tensor([1]), zeros([1]), zeros([1]), tensor([0.5]), 0.1, 0.9, 0.999,
 *   { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 });
 * ```
 */
export function adamWUpdate(
  variable: TensorLike,
  m: TensorLike,
  v: TensorLike,
  gradient: TensorLike,
  learningRate: TensorLike,
  beta1Power: TensorLike,
  beta2Power: TensorLike,
  options: AdamWUpdateOptions,
): [Tensor, Tensor, Tensor] {
  const attrs = {
    ...adamAttrs('adamWUpdate', options),
    weightDecay: checkNumber('adamWUpdate', 'weightDecay', options?.weightDecay, 0, Number.MAX_VALUE),
  };
  const ins = tensorArgs('adamWUpdate', adamWUpdateOp.inputs, [variable, m, v, gradient, learningRate, beta1Power, beta2Power]);
  const [a, b, c] = runOp(adamWUpdateOp, ins, attrs);
  return [a!, b!, c!];
}

/* ---- RMSProp ------------------------------------------------------------------------------------ */

/**
 * Options of {@link rmsPropUpdate} and {@link centeredRmsPropUpdate}.
 *
 * @example
 * ```ts
 * const o: RMSPropUpdateOptions = { decay: 0.9, momentum: 0, epsilon: 1e-10 };
 * ```
 */
export interface RMSPropUpdateOptions {
  /** Discount of the squared-gradient average, in [0, 1]. */
  readonly decay: number;
  /** Momentum coefficient, at least 0. */
  readonly momentum: number;
  /** Added under the square root, at least 0. */
  readonly epsilon: number;
}

const rmsPropUpdateOp: CompositeOpDef = defineComposite({
  name: 'rmsPropUpdate',
  inputs: ['variable', 'ms', 'mom', 'gradient', 'learningRate'],
  infer: updateInfer('rmsPropUpdate', ['variable', 'ms', 'mom', 'gradient'], ['learningRate'], 3),
  compose: ([x, ms, mom, g, lr], attrs) => {
    const ms1 = add(ms!, mul(sub(mul(g!, g!), ms!), 1 - num(attrs, 'decay')));
    const mom1 = add(mul(mom!, num(attrs, 'momentum')), div(mul(g!, lr!), sqrt(add(ms1, num(attrs, 'epsilon')))));
    return [sub(x!, mom1), ms1, mom1];
  },
});

const centeredRmsPropUpdateOp: CompositeOpDef = defineComposite({
  name: 'centeredRmsPropUpdate',
  inputs: ['variable', 'mg', 'ms', 'mom', 'gradient', 'learningRate'],
  infer: updateInfer('centeredRmsPropUpdate', ['variable', 'mg', 'ms', 'mom', 'gradient'], ['learningRate'], 4),
  compose: ([x, mg, ms, mom, g, lr], attrs) => {
    const keep = 1 - num(attrs, 'decay');
    const ms1 = add(ms!, mul(sub(mul(g!, g!), ms!), keep));
    const mg1 = add(mg!, mul(sub(g!, mg!), keep));
    const denom = add(sub(ms1, mul(mg1, mg1)), num(attrs, 'epsilon'));
    const mom1 = add(mul(mom!, num(attrs, 'momentum')), div(mul(g!, lr!), sqrt(denom)));
    return [sub(x!, mom1), mg1, ms1, mom1];
  },
});

function rmsAttrs(fn: string, o: RMSPropUpdateOptions): { decay: number; momentum: number; epsilon: number } {
  return {
    decay: checkNumber(fn, 'decay', o?.decay, 0, 1),
    momentum: checkNumber(fn, 'momentum', o?.momentum, 0, Number.MAX_VALUE),
    epsilon: checkNumber(fn, 'epsilon', o?.epsilon, 0, Number.MAX_VALUE),
  };
}

/**
 * One RMSProp step, as TF 1.x `ApplyRMSProp`:
 *
 * ```text
 * ms'  = ms + (gradient² - ms) * (1 - decay)        (= decay ms + (1 - decay) g²)
 * mom' = mom * momentum + learningRate * gradient / sqrt(ms' + epsilon)
 * x'   = x - mom'
 * ```
 *
 * Returns `[x', ms', mom']`. Op name `rmsPropUpdate`.
 *
 * @example
 * ```ts
 * const [x, ms, mom] = rmsPropUpdate(tensor([1]), ones([1]), zeros([1]), tensor([2]), 0.01,
 *   { decay: 0.9, momentum: 0, epsilon: 1e-10 });
 * ```
 */
export function rmsPropUpdate(
  variable: TensorLike,
  ms: TensorLike,
  mom: TensorLike,
  gradient: TensorLike,
  learningRate: TensorLike,
  options: RMSPropUpdateOptions,
): [Tensor, Tensor, Tensor] {
  const attrs = rmsAttrs('rmsPropUpdate', options);
  const ins = tensorArgs('rmsPropUpdate', rmsPropUpdateOp.inputs, [variable, ms, mom, gradient, learningRate]);
  const [a, b, c] = runOp(rmsPropUpdateOp, ins, attrs);
  return [a!, b!, c!];
}

/**
 * One centered RMSProp step, as TF 1.x `ApplyCenteredRMSProp`: the gradient is normalized by
 * an estimate of its variance rather than its second moment.
 *
 * ```text
 * mg'  = mg + (gradient - mg) * (1 - decay)         (= decay mg + (1 - decay) g)
 * ms'  = ms + (gradient² - ms) * (1 - decay)
 * mom' = mom * momentum + learningRate * gradient / sqrt(ms' - mg'² + epsilon)
 * x'   = x - mom'
 * ```
 *
 * Returns `[x', mg', ms', mom']`. Op name `centeredRmsPropUpdate`.
 *
 * @example
 * ```ts
 * const [x, mg, ms, mom] = centeredRmsPropUpdate(tensor([1]), zeros([1]), ones([1]), zeros([1]),
 *   tensor([2]), 0.01, { decay: 0.9, momentum: 0, epsilon: 1e-10 });
 * ```
 */
export function centeredRmsPropUpdate(
  variable: TensorLike,
  mg: TensorLike,
  ms: TensorLike,
  mom: TensorLike,
  gradient: TensorLike,
  learningRate: TensorLike,
  options: RMSPropUpdateOptions,
): [Tensor, Tensor, Tensor, Tensor] {
  const attrs = rmsAttrs('centeredRmsPropUpdate', options);
  const ins = tensorArgs('centeredRmsPropUpdate', centeredRmsPropUpdateOp.inputs, [variable, mg, ms, mom, gradient, learningRate]);
  const [a, b, c, d] = runOp(centeredRmsPropUpdateOp, ins, attrs);
  return [a!, b!, c!, d!];
}

/* ---- Adagrad ------------------------------------------------------------------------------------ */

const adagradUpdateOp: CompositeOpDef = defineComposite({
  name: 'adagradUpdate',
  inputs: ['variable', 'accumulator', 'gradient', 'learningRate'],
  infer: updateInfer('adagradUpdate', ['variable', 'accumulator', 'gradient'], ['learningRate'], 2),
  compose: ([x, accum, g, lr]) => {
    const accum1 = add(accum!, mul(g!, g!));
    return [sub(x!, div(mul(g!, lr!), sqrt(accum1))), accum1];
  },
});

/**
 * One Adagrad step, as TF 1.x `ApplyAdagrad`:
 * `accumulator' = accumulator + gradient²`, `x' = x - learningRate * gradient / sqrt(accumulator')`.
 * Returns `[x', accumulator']`. Op name `adagradUpdate`.
 *
 * @example
 * ```ts
 * const [x, acc] = adagradUpdate(tensor([1]), fill([1], 0.1), tensor([0.3]), 0.5); // acc = [0.19]
 * ```
 */
export function adagradUpdate(
  variable: TensorLike,
  accumulator: TensorLike,
  gradient: TensorLike,
  learningRate: TensorLike,
): [Tensor, Tensor] {
  const ins = tensorArgs('adagradUpdate', adagradUpdateOp.inputs, [variable, accumulator, gradient, learningRate]);
  const [a, b] = runOp(adagradUpdateOp, ins);
  return [a!, b!];
}
