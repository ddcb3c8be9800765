/**
 * Neural-network ops and losses: `softmax`, `logSoftmax`, cross entropies, mean squared error,
 * `moments`, `batchNorm`, seeded `dropout`. All are composites of other ops, so a backend runs
 * them without extra kernels and may register fused kernels under their names (`softmax`,
 * `logSoftmax`, `softmaxCrossEntropy`, `sigmoidCrossEntropy`, `meanSquaredError`, `moments`,
 * `batchNorm`, `dropout`).
 *
 * Every op here takes float tensors (`float32` or `float64`) and throws a {@link DTypeError}
 * for others; plain numbers and arrays are converted to the dtype of the main tensor argument,
 * and a float32 tensor combined with a float64 one is promoted to float64. Paired inputs
 * (labels and logits, labels and predictions) must have equal shapes ({@link ShapeError}).
 *
 * Attributes a fused kernel receives (already validated and normalized):
 * - `softmax`, `logSoftmax`: `{axis}` (non-negative).
 * - `softmaxCrossEntropy`: inputs `[labels, logits]`, `{axis, reduction}`.
 * - `sigmoidCrossEntropy`: inputs `[labels, logits]`; `meanSquaredError`: inputs
 *   `[labels, predictions]`; both `{reduction}`.
 * - `moments`: `{axes, keepDims}` (axes non-negative, sorted, distinct); two outputs.
 * - `batchNorm`: inputs `[x, mean, variance, offset?, scale?]` with `{varianceEpsilon, hasOffset,
 *   hasScale}` saying which of the optional inputs are present (in that order).
 * - `dropout`: inputs `[x]`, `{rate, seed, noiseShape}` (`seed` and `noiseShape` may be `null`).
 *   A fused kernel must draw the mask with core's generator (see {@link dropout}) so that a seed
 *   gives the same mask on every backend.
 *
 * @module
 */
import type { Attrs } from '../backend.js';
import { isFloat, makeTypedArray, upcast, type DType } from '../dtype.js';
import { checkDTypeSupported, ENGINE, runOp } from '../engine.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { defineComposite, type CompositeOpDef, type TensorSpec } from '../op.js';
import { toTensor } from '../convert.js';
import { generatorFor } from '../random.js';
import {
  broadcastShapes,
  checkInteger,
  checkShape,
  formatShape,
  normalizeAxes,
  normalizeAxis,
  reducedShape,
  shapesEqual,
  sizeOf,
  type PartialShape,
} from '../shape.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { abs, add, cast, div, exp, identity, log, log1p, mul, neg, relu, rsqrt, squaredDifference, sub, where } from './elementwise.js';
import { max, mean, sum } from './reduce.js';
import { reshape } from './shape.js';

/**
 * How a loss reduces per-element (or per-example) losses: `'none'` keeps them, `'sum'` adds
 * them, `'mean'` (the default) averages them. The mean over zero elements (an empty batch) is
 * 0, as in TensorFlow's losses, so an empty batch does not turn a training loss into NaN.
 *
 * @example
 * ```ts
 * const r: Reduction = 'sum';
 * ```
 */
export type Reduction = 'none' | 'sum' | 'mean';

/**
 * Options of the loss functions.
 *
 * @example
 * ```ts
 * meanSquaredError(labels, predictions, { reduction: 'sum' });
 * ```
 */
export interface LossOptions {
  /** How to reduce the loss (default `'mean'`). */
  readonly reduction?: Reduction;
}

/**
 * Options of {@link softmaxCrossEntropy}.
 *
 * @example
 * ```ts
 * const o: SoftmaxCrossEntropyOptions = { axis: -1, reduction: 'none' };
 * ```
 */
export interface SoftmaxCrossEntropyOptions extends LossOptions {
  /** The class axis (default -1). */
  readonly axis?: number;
}

// ---- helpers ----------------------------------------------------------------------------

const REDUCTIONS: readonly Reduction[] = ['none', 'sum', 'mean'];

function checkReduction(r: unknown, fn: string): Reduction {
  if (r === undefined) return 'mean';
  if (!REDUCTIONS.includes(r as Reduction)) {
    throw new ValueError(`${fn}: reduction must be 'none', 'sum' or 'mean', got ${typeof r === 'string' ? `'${r}'` : String(r)}`);
  }
  return r as Reduction;
}

function checkOptions(o: unknown, fn: string): void {
  if (o !== undefined && (o === null || typeof o !== 'object')) {
    throw new ValueError(`${fn}: options must be an object, got ${o === null ? 'null' : typeof o}`);
  }
}

function floatDTypeError(fn: string, arg: string, dtype: DType): DTypeError {
  return new DTypeError(`${fn}: ${arg} has dtype ${dtype}; expected float32 or float64 (cast it first)`);
}

/** Converts the main tensor argument of an op and checks that it is a float tensor. */
function floatArg(x: TensorLike, fn: string, arg: string): Tensor {
  const t = toTensor(x, fn, arg);
  if (!isFloat(t.dtype)) throw floatDTypeError(fn, arg, t.dtype);
  return t;
}

/**
 * Converts the arguments of an op whose first named argument is the main one: the others take
 * its dtype when they are plain numbers; all must be floats; mixed float32/float64 promote.
 */
function floatArgs(fn: string, main: [string, TensorLike], others: readonly [string, TensorLike][]): Tensor[] {
  const m = floatArg(main[1], fn, main[0]);
  const ts = [m];
  let dt = m.dtype;
  for (const [name, v] of others) {
    const t = toTensor(v, fn, name, m.dtype);
    if (!isFloat(t.dtype)) throw floatDTypeError(fn, name, t.dtype);
    dt = upcast(dt, t.dtype);
    ts.push(t);
  }
  return ts.map((t) => (t.dtype === dt ? t : cast(t, dt)));
}

/** Infer-side check: every input is a float tensor of one dtype. */
function checkFloatSpecs(fn: string, names: readonly string[], specs: readonly TensorSpec[]): DType {
  const dt = specs[0]!.dtype;
  for (let i = 0; i < specs.length; i++) {
    const s = specs[i]!;
    if (!isFloat(s.dtype)) throw floatDTypeError(fn, names[i] ?? `input ${i}`, s.dtype);
    if (s.dtype !== dt) {
      throw new DTypeError(`${fn}: ${names[0]} has dtype ${dt} and ${names[i]} has ${s.dtype}; they must match`);
    }
  }
  return dt;
}

function checkSameShape(fn: string, aName: string, a: PartialShape, bName: string, b: PartialShape): void {
  if (!shapesEqual(a, b, true)) {
    throw new ShapeError(`${fn}: ${aName} has shape ${formatShape(a)} and ${bName} has shape ${formatShape(b)}; they must be equal`);
  }
}

function checkRankAtLeast1(fn: string, arg: string, shape: PartialShape): void {
  if (shape.length === 0) {
    throw new ShapeError(`${fn}: ${arg} must have rank >= 1 (the class axis), got a scalar of shape []`);
  }
}

function lossShape(shape: PartialShape, reduction: Reduction): PartialShape {
  return reduction === 'none' ? shape : [];
}

/** Reduces per-element losses; the mean over zero elements is 0. */
function reduceLoss(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return loss;
  const total = loss.rank === 0 ? loss : sum(loss);
  if (reduction === 'sum') return total;
  return div(total, Math.max(loss.size, 1));
}

// ---- softmax, logSoftmax -----------------------------------------------------------------

function softmaxInfer(name: string) {
  return ([x]: readonly TensorSpec[], attrs: Attrs): TensorSpec[] => {
    checkFloatSpecs(name, ['logits'], [x!]);
    checkRankAtLeast1(name, 'logits', x!.shape);
    normalizeAxis(attrs['axis'] as number, x!.shape.length, name);
    return [{ shape: x!.shape, dtype: x!.dtype }];
  };
}

const softmaxOp: CompositeOpDef = defineComposite({
  name: 'softmax',
  inputs: ['logits'],
  infer: softmaxInfer('softmax'),
  compose: ([x], attrs) => {
    if (x!.size === 0) return [identity(x!)];
    const axis = attrs['axis'] as number;
    // exact: softmax(x) = softmax(x - c) for any c; subtracting the max keeps exp() <= 1
    const e = exp(sub(x!, max(x!, axis, true)));
    return [div(e, sum(e, axis, true))];
  },
});

const logSoftmaxOp: CompositeOpDef = defineComposite({
  name: 'logSoftmax',
  inputs: ['logits'],
  infer: softmaxInfer('logSoftmax'),
  compose: ([x], attrs) => {
    if (x!.size === 0) return [identity(x!)];
    const axis = attrs['axis'] as number;
    const shifted = sub(x!, max(x!, axis, true));
    return [sub(shifted, log(sum(exp(shifted), axis, true)))];
  },
});

function runSoftmax(def: CompositeOpDef, logits: TensorLike, axis: number): Tensor {
  const x = floatArg(logits, def.name, 'logits');
  checkRankAtLeast1(def.name, 'logits', x.shape);
  return runOp(def, [x], { axis: normalizeAxis(axis, x.rank, def.name) })[0]!;
}

/**
 * `exp(x) / sum(exp(x))` along `axis` (default -1), computed stably: the maximum along `axis` is
 * subtracted first (which does not change the result), so large logits do not overflow. A row
 * holding NaN or `+Infinity` gives NaN.
 *
 * @example
 * ```ts
 * softmax(tensor([0, 0])); // [0.5, 0.5]
 * softmax(tensor([[1, 2], [3, 4]]), 0); // along the columns
 * ```
 */
export function softmax(logits: TensorLike, axis = -1): Tensor {
  return runSoftmax(softmaxOp, logits, axis);
}

/**
 * `log(softmax(x))` along `axis` (default -1), computed stably as
 * `x - max(x) - log(sum(exp(x - max(x))))`, so it stays finite where `log(softmax(x))` would
 * give `-Infinity`.
 *
 * @example
 * ```ts
 * logSoftmax(tensor([0, 0])); // [-0.6931, -0.6931]
 * logSoftmax(tensor([0, 1e4])); // [-10000, 0]
 * ```
 */
export function logSoftmax(logits: TensorLike, axis = -1): Tensor {
  return runSoftmax(logSoftmaxOp, logits, axis);
}

// ---- losses ------------------------------------------------------------------------------

const softmaxCrossEntropyOp: CompositeOpDef = defineComposite({
  name: 'softmaxCrossEntropy',
  inputs: ['labels', 'logits'],
  infer: ([labels, logits], attrs) => {
    const fn = 'softmaxCrossEntropy';
    const dtype = checkFloatSpecs(fn, ['labels', 'logits'], [labels!, logits!]);
    checkSameShape(fn, 'labels', labels!.shape, 'logits', logits!.shape);
    checkRankAtLeast1(fn, 'logits', logits!.shape);
    const axis = normalizeAxis(attrs['axis'] as number, logits!.shape.length, fn);
    const reduction = checkReduction(attrs['reduction'], fn);
    return [{ shape: lossShape(reducedShape(logits!.shape, [axis], false), reduction), dtype }];
  },
  compose: ([labels, logits], attrs) => {
    const axis = attrs['axis'] as number;
    const perExample = neg(sum(mul(labels!, logSoftmax(logits!, axis)), axis));
    return [reduceLoss(perExample, attrs['reduction'] as Reduction)];
  },
});

/**
 * Cross entropy between `labels` (probabilities, e.g. one-hot) and the softmax of `logits`:
 * `-sum(labels * logSoftmax(logits), axis)` per example, then reduced (`'mean'` by default:
 * the average over examples, 0 for an empty batch). `labels` and `logits` must have the same
 * shape and float dtypes. Stable for large logits (see {@link logSoftmax}).
 *
 * @example
 * ```ts
 * softmaxCrossEntropy(tensor([[0, 1]]), tensor([[0, 0]])); // log(2)
 * softmaxCrossEntropy(labels, logits, { reduction: 'none' }); // one loss per example
 * ```
 */
export function softmaxCrossEntropy(labels: TensorLike, logits: TensorLike, options?: SoftmaxCrossEntropyOptions): Tensor {
  const fn = 'softmaxCrossEntropy';
  checkOptions(options, fn);
  const reduction = checkReduction(options?.reduction, fn);
  const [lg, lb] = floatArgs(fn, ['logits', logits], [['labels', labels]]);
  checkSameShape(fn, 'labels', lb!.shape, 'logits', lg!.shape);
  checkRankAtLeast1(fn, 'logits', lg!.shape);
  const axis = normalizeAxis(options?.axis ?? -1, lg!.rank, fn);
  return runOp(softmaxCrossEntropyOp, [lb!, lg!], { axis, reduction })[0]!;
}

function pairLossOp(name: string, second: string, elementwise: (labels: Tensor, x: Tensor) => Tensor): CompositeOpDef {
  return defineComposite({
    name,
    inputs: ['labels', second],
    infer: ([labels, x], attrs) => {
      const dtype = checkFloatSpecs(name, ['labels', second], [labels!, x!]);
      checkSameShape(name, 'labels', labels!.shape, second, x!.shape);
      return [{ shape: lossShape(x!.shape, checkReduction(attrs['reduction'], name)), dtype }];
    },
    compose: ([labels, x], attrs) => [reduceLoss(elementwise(labels!, x!), attrs['reduction'] as Reduction)],
  });
}

// max(x, 0) - x * z + log(1 + exp(-|x|)): equal to -z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x)),
// and exp() only ever sees non-positive arguments
const sigmoidCrossEntropyOp = pairLossOp('sigmoidCrossEntropy', 'logits', (z, x) =>
  add(sub(relu(x), mul(x, z)), log1p(exp(neg(abs(x))))),
);

const meanSquaredErrorOp = pairLossOp('meanSquaredError', 'predictions', (labels, p) => squaredDifference(p, labels));

function runPairLoss(def: CompositeOpDef, second: string, labels: TensorLike, x: TensorLike, options: LossOptions | undefined): Tensor {
  const fn = def.name;
  checkOptions(options, fn);
  const reduction = checkReduction(options?.reduction, fn);
  const [tx, tl] = floatArgs(fn, [second, x], [['labels', labels]]);
  checkSameShape(fn, 'labels', tl!.shape, second, tx!.shape);
  return runOp(def, [tl!, tx!], { reduction })[0]!;
}

/**
 * Elementwise logistic cross entropy of `labels` in [0, 1] and `logits`, computed stably as
 * `max(x, 0) - x * z + log(1 + exp(-|x|))`, then reduced (`'mean'` by default: the average over
 * all elements, 0 when there are none). `labels` and `logits` must have the same shape.
 *
 * @example
 * ```ts
 * sigmoidCrossEntropy(tensor([1]), tensor([0])); // log(2)
 * sigmoidCrossEntropy(tensor([[1, 0]]), tensor([[3, -2]]), { reduction: 'none' });
 * ```
 */
export function sigmoidCrossEntropy(labels: TensorLike, logits: TensorLike, options?: LossOptions): Tensor {
  return runPairLoss(sigmoidCrossEntropyOp, 'logits', labels, logits, options);
}

/**
 * `(labels - predictions)²`, reduced (`'mean'` by default: the average over all elements, 0
 * when there are none). `labels` and `predictions` must have the same shape.
 *
 * @example
 * ```ts
 * meanSquaredError(tensor([1, 2]), tensor([1, 4])); // 2
 * meanSquaredError(tensor([1, 2]), tensor([1, 4]), { reduction: 'sum' }); // 4
 * ```
 */
export function meanSquaredError(labels: TensorLike, predictions: TensorLike, options?: LossOptions): Tensor {
  return runPairLoss(meanSquaredErrorOp, 'predictions', labels, predictions, options);
}

// ---- moments, batchNorm ------------------------------------------------------------------

const momentsOp: CompositeOpDef = defineComposite({
  name: 'moments',
  inputs: ['x'],
  infer: ([x], attrs) => {
    const dtype = checkFloatSpecs('moments', ['x'], [x!]);
    const shape = reducedShape(x!.shape, attrs['axes'] as number[], attrs['keepDims'] === true);
    return [
      { shape, dtype },
      { shape, dtype },
    ];
  },
  compose: ([x], attrs) => {
    const axes = attrs['axes'] as number[];
    const keepDims = attrs['keepDims'] === true;
    const m = mean(x!, axes, true);
    // the mean of squared deviations: no cancellation, unlike E[x²] - E[x]²
    const variance = mean(squaredDifference(x!, m), axes, keepDims);
    return [keepDims ? m : reshape(m, reducedShape(x!.shape, axes, false) as number[]), variance];
  },
});

/**
 * Mean and population variance (divided by the count, not count - 1) over `axes` (all axes by
 * default). The variance is the mean of squared deviations from the mean, which stays accurate
 * when the mean is large compared with the spread. Reducing over zero elements gives NaN.
 *
 * @example
 * ```ts
 * const { mean, variance } = moments(tensor([1, 2, 3, 4]), 0); // 2.5, 1.25
 * const perChannel = moments(images, [0, 1, 2]); // NHWC batch statistics
 * ```
 */
export function moments(x: TensorLike, axes?: number | readonly number[], keepDims = false): { mean: Tensor; variance: Tensor } {
  const t = floatArg(x, 'moments', 'x');
  const ax = normalizeAxes(axes, t.rank, 'moments');
  if (typeof keepDims !== 'boolean') throw new ValueError(`moments: keepDims must be a boolean, got ${String(keepDims)}`);
  const [m, v] = runOp(momentsOp, [t], { axes: ax, keepDims });
  return { mean: m!, variance: v! };
}

const BN_NAMES = ['x', 'mean', 'variance', 'offset', 'scale'] as const;

function batchNormNames(attrs: Attrs): string[] {
  const names: string[] = ['x', 'mean', 'variance'];
  if (attrs['hasOffset'] === true) names.push('offset');
  if (attrs['hasScale'] === true) names.push('scale');
  return names;
}

const batchNormOp: CompositeOpDef = defineComposite({
  name: 'batchNorm',
  inputs: [...BN_NAMES],
  infer: (specs, attrs) => {
    const names = batchNormNames(attrs);
    if (specs.length !== names.length) {
      throw new ValueError(`batchNorm: expected ${names.length} inputs (${names.join(', ')}), got ${specs.length}`);
    }
    const dtype = checkFloatSpecs('batchNorm', names, specs);
    return [{ shape: broadcastShapes('batchNorm', ...specs.map((s) => s.shape)), dtype }];
  },
  compose: (inputs, attrs) => {
    const [x, m, variance] = inputs as [Tensor, Tensor, Tensor];
    let i = 3;
    const offset = attrs['hasOffset'] === true ? inputs[i++]! : undefined;
    const scale = attrs['hasScale'] === true ? inputs[i++]! : undefined;
    let inv = rsqrt(add(variance, attrs['varianceEpsilon'] as number));
    if (scale !== undefined) inv = mul(inv, scale);
    const y = mul(sub(x, m), inv);
    return [offset !== undefined ? add(y, offset) : y];
  },
});

/**
 * Batch normalization: `(x - mean) / sqrt(variance + varianceEpsilon) * scale + offset`, with
 * every argument broadcasting against `x` (typically per-channel vectors for an NHWC `x`, or the
 * keepDims output of {@link moments}). `offset` and `scale` may be left out (`undefined`).
 * The result has the broadcast shape of all arguments.
 *
 * @example
 * ```ts
 * const { mean, variance } = moments(x, [0, 1, 2]);
 * batchNorm(x, mean, variance, beta, gamma, 1e-3);
 * batchNorm(x, mean, variance); // no offset, no scale
 * ```
 */
export function batchNorm(
  x: TensorLike,
  mean: TensorLike,
  variance: TensorLike,
  offset?: TensorLike,
  scale?: TensorLike,
  varianceEpsilon = 1e-3,
): Tensor {
  const fn = 'batchNorm';
  if (typeof varianceEpsilon !== 'number' || !Number.isFinite(varianceEpsilon) || varianceEpsilon < 0) {
    throw new ValueError(`batchNorm: varianceEpsilon must be a finite number >= 0, got ${String(varianceEpsilon)}`);
  }
  const others: [string, TensorLike][] = [
    ['mean', mean],
    ['variance', variance],
  ];
  if (offset !== undefined && offset !== null) others.push(['offset', offset]);
  if (scale !== undefined && scale !== null) others.push(['scale', scale]);
  const inputs = floatArgs(fn, ['x', x], others);
  const attrs = { varianceEpsilon, hasOffset: offset !== undefined && offset !== null, hasScale: scale !== undefined && scale !== null };
  return runOp(batchNormOp, inputs, attrs)[0]!;
}

// ---- dropout -----------------------------------------------------------------------------

/**
 * Options of {@link dropout}.
 *
 * @example
 * ```ts
 * const o: DropoutOptions = { seed: 1 };
 * ```
 */
export interface DropoutOptions {
  /** Seed of the mask; without one the global generator ({@link setRandomSeed}) is used. */
  readonly seed?: number;
  /** Shape of the keep/drop mask, broadcast against `x` (default: `x`'s shape). */
  readonly noiseShape?: readonly number[];
}

function checkNoiseShape(noise: PartialShape, x: PartialShape): void {
  let ok: boolean;
  try {
    ok = noise.length <= x.length && shapesEqual(broadcastShapes('dropout', x, noise), x, true);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new ShapeError(
      `dropout: noiseShape ${formatShape(noise)} does not broadcast to x's shape ${formatShape(x)} ` +
        `(aligned on the right, each dimension must equal x's or be 1)`,
    );
  }
}

const dropoutOp: CompositeOpDef = defineComposite({
  name: 'dropout',
  inputs: ['x'],
  infer: ([x], attrs) => {
    const dtype = checkFloatSpecs('dropout', ['x'], [x!]);
    const noise = attrs['noiseShape'] as number[] | null;
    if (noise !== null) checkNoiseShape(noise, x!.shape);
    return [{ shape: x!.shape, dtype }];
  },
  compose: ([x], attrs) => {
    const rate = attrs['rate'] as number;
    const seed = attrs['seed'] as number | null;
    const shape = (attrs['noiseShape'] as number[] | null) ?? x!.shape;
    const rng = generatorFor(seed ?? undefined);
    const n = sizeOf(shape);
    const keep = makeTypedArray('bool', n);
    for (let i = 0; i < n; i++) keep[i] = rng.uniform() >= rate ? 1 : 0;
    // written to x's backend (which need not be the current one)
    checkDTypeSupported(x!.backend, 'bool', 'dropout');
    const mask = ENGINE.makeTensor(x!.backend.write(keep, [...shape], 'bool'), [...shape], 'bool', x!.backend);
    // where() rather than a 0/scale multiplier, so dropped elements are 0 even when x is Inf or NaN
    return [where(mask, mul(x!, 1 / (1 - rate)), 0)];
  },
});

/**
 * Zeroes each element with probability `rate` and scales the rest by `1 / (1 - rate)`, so the
 * expected value is unchanged. `rate` must be in [0, 1); with rate 0, `x`'s values are returned
 * unchanged.
 *
 * The mask is drawn on the host with core's generator, so a seed gives the same mask on every
 * backend: mask element `i` (row-major over `noiseShape`) is kept when the `i`-th
 * `uniform()` draw of `generatorFor(seed)` is `>= rate`. Without a seed, the global generator is
 * used (see {@link setRandomSeed}); with one, every call with that seed drops the same elements.
 * With `noiseShape`, one draw decides a whole broadcast slice: `noiseShape: [batch, 1, 1, channels]`
 * on an NHWC tensor drops whole channels.
 *
 * @example
 * ```ts
 * dropout(ones([4]), 0.5, { seed: 0 }); // e.g. [2, 0, 2, 2]
 * dropout(images, 0.2, { noiseShape: [images.shape[0]!, 1, 1, images.shape[3]!] });
 * ```
 */
export function dropout(x: TensorLike, rate: number, options?: DropoutOptions): Tensor {
  const fn = 'dropout';
  checkOptions(options, fn);
  const t = floatArg(x, fn, 'x');
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
    throw new ValueError(`dropout: rate must be a number in [0, 1), got ${String(rate)}`);
  }
  const seed = options?.seed;
  if (seed !== undefined) checkInteger(seed, fn, 'seed');
  const noise = options?.noiseShape;
  if (noise !== undefined) {
    checkShape(noise, fn);
    checkNoiseShape(noise, t.shape);
  }
  if (rate === 0) return identity(t);
  return runOp(dropoutOp, [t], { rate, seed: seed ?? null, noiseShape: noise !== undefined ? [...noise] : null })[0]!;
}
