/**
 * Initializers: objects that create the initial value of a variable for a shape and dtype.
 *
 * @module
 */
import type { DType } from './dtype.js';
import { DTypeError, ValueError } from './errors.js';
import { fill, randomNormal, randomUniform, truncatedNormal, zeros } from './ops/creation.js';
import type { Shape } from './shape.js';
import type { Tensor } from './tensor.js';

/**
 * Creates initial values. Pass one to {@link getVariable}.
 *
 * @example
 * ```ts
 * const init: Initializer = constantInitializer(0.1);
 * init.create([2, 2], 'float32');
 * ```
 */
export interface Initializer {
  /** Brand that tells initializers apart from initial values. */
  readonly isInitializer: true;
  /** A descriptive name, e.g. `truncatedNormal`. */
  readonly name: string;
  /** Creates a tensor of `shape` and `dtype`. */
  create(shape: Shape, dtype: DType): Tensor;
}

/**
 * Whether `x` is an {@link Initializer}.
 *
 * @example
 * ```ts
 * isInitializer(zerosInitializer()); // true
 * isInitializer(3); // false
 * ```
 */
export function isInitializer(x: unknown): x is Initializer {
  return typeof x === 'object' && x !== null && (x as { isInitializer?: unknown }).isInitializer === true;
}

function make(name: string, create: (shape: Shape, dtype: DType) => Tensor): Initializer {
  return { isInitializer: true, name, create };
}

/**
 * Options of the random initializers.
 *
 * @example
 * ```ts
 * const o: RandomInitializerOptions = { seed: 1 };
 * ```
 */
export interface RandomInitializerOptions {
  /** Seed; each `create` call with the same seed gives the same values. */
  readonly seed?: number;
}

/**
 * All zeros.
 *
 * @example
 * ```ts
 * getVariable('b', { shape: [10], initializer: zerosInitializer() });
 * ```
 */
export function zerosInitializer(): Initializer {
  return make('zeros', (s, d) => zeros(s, d));
}

/**
 * All ones.
 *
 * @example
 * ```ts
 * getVariable('gamma', { shape: [10], initializer: onesInitializer() });
 * ```
 */
export function onesInitializer(): Initializer {
  return make('ones', (s, d) => fill(s, 1, d));
}

/**
 * Every element equal to `value`.
 *
 * @example
 * ```ts
 * getVariable('b', { shape: [10], initializer: constantInitializer(0.1) });
 * ```
 */
export function constantInitializer(value: number): Initializer {
  if (typeof value !== 'number') throw new ValueError(`constantInitializer: value must be a number, got ${typeof value}`);
  return make('constant', (s, d) => fill(s, value, d));
}

/**
 * Normal samples (`mean` 0 and `stddev` 1 by default).
 *
 * @example
 * ```ts
 * randomNormalInitializer({ stddev: 0.01, seed: 1 });
 * ```
 */
export function randomNormalInitializer(options: { mean?: number; stddev?: number; seed?: number } = {}): Initializer {
  return make('randomNormal', (s, d) => randomNormal(s, { ...options, dtype: d }));
}

/**
 * Truncated normal samples (redrawn beyond two standard deviations); `mean` 0 and `stddev` 1 by
 * default, as TensorFlow 1.x's `truncated_normal_initializer`.
 *
 * @example
 * ```ts
 * getVariable('conv_w0', { shape: [5, 5, 3, 20], initializer: truncatedNormalInitializer() });
 * ```
 */
export function truncatedNormalInitializer(options: { mean?: number; stddev?: number; seed?: number } = {}): Initializer {
  return make('truncatedNormal', (s, d) => truncatedNormal(s, { ...options, dtype: d }));
}

/**
 * Uniform samples in `[minval, maxval)` (default `[0, 1)`).
 *
 * @example
 * ```ts
 * randomUniformInitializer({ minval: -0.05, maxval: 0.05 });
 * ```
 */
export function randomUniformInitializer(options: { minval?: number; maxval?: number; seed?: number } = {}): Initializer {
  return make('randomUniform', (s, d) => randomUniform(s, { ...options, dtype: d }));
}

/** Fan-in and fan-out of a weight shape (the last two dims times the receptive field). */
function fans(shape: Shape): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0]!, shape[0]!];
  let receptive = 1;
  for (let i = 0; i < shape.length - 2; i++) receptive *= shape[i]!;
  return [shape[shape.length - 2]! * receptive, shape[shape.length - 1]! * receptive];
}

/**
 * Glorot (Xavier) uniform: uniform in `±sqrt(6 / (fanIn + fanOut))`. The default initializer of
 * {@link getVariable}, as in TensorFlow.
 *
 * @example
 * ```ts
 * getVariable('w', { shape: [784, 256], initializer: glorotUniformInitializer({ seed: 0 }) });
 * ```
 */
export function glorotUniformInitializer(options: RandomInitializerOptions = {}): Initializer {
  return make('glorotUniform', (s, d) => {
    if (d !== 'float32' && d !== 'float64') {
      throw new DTypeError(`glorotUniformInitializer: dtype must be float32 or float64, got ${d}`);
    }
    const [fi, fo] = fans(s);
    const limit = Math.sqrt(6 / Math.max(1, fi + fo));
    return randomUniform(s, { minval: -limit, maxval: limit, dtype: d, ...options });
  });
}

/**
 * He normal: truncated normal with standard deviation `sqrt(2 / fanIn)` (corrected for the
 * truncation, as Keras' `he_normal`).
 *
 * @example
 * ```ts
 * getVariable('w', { shape: [3, 3, 32, 64], initializer: heNormalInitializer({ seed: 0 }) });
 * ```
 */
export function heNormalInitializer(options: RandomInitializerOptions = {}): Initializer {
  return make('heNormal', (s, d) => {
    const [fi] = fans(s);
    const stddev = Math.sqrt(2 / Math.max(1, fi)) / 0.8796256610342398;
    return truncatedNormal(s, { stddev, dtype: d, ...options });
  });
}
