/**
 * The gradient registry: one rule per op name. Rules are written with core ops, so the same
 * rule backpropagates an eager tape, builds gradient nodes in a graph, and can be
 * differentiated again.
 *
 * @module
 */
import { TesseraError, ValueError, type Attrs, type Tensor, type TensorSpec } from '@tessera/core';
import { builtinRules } from './rules/index.js';

/**
 * What a rule gets besides the output gradients: the tensors it asked to save, the shapes and
 * dtypes of every input and output (always known), and the op's attributes.
 *
 * @example
 * ```ts
 * const rule: GradientRule = {
 *   saveInputs: [1],
 *   grad: ([dy], saved) => [() => mul(dy!, saved.input(1)), null],
 * };
 * ```
 */
export interface GradientContext {
  /** The saved inputs, `undefined` where the rule did not ask to save one. */
  readonly inputs: readonly (Tensor | undefined)[];
  /** The saved outputs, `undefined` where the rule did not ask to save one. */
  readonly outputs: readonly (Tensor | undefined)[];
  /** Shape and dtype of each input (dims may be `null` while building a graph). */
  readonly inputSpecs: readonly TensorSpec[];
  /** Shape and dtype of each output. */
  readonly outputSpecs: readonly TensorSpec[];
  /** The op's (normalized) attributes. */
  readonly attrs: Attrs;
  /** The saved input `i`; throws a clear error when the rule did not declare it in `saveInputs`. */
  input(i: number): Tensor;
  /** The saved output `i`; throws a clear error when the rule did not declare it in `saveOutputs`. */
  output(i: number): Tensor;
}

/**
 * A lazily evaluated gradient for one input; `null` means the input gets no gradient (an integer
 * input, an index, or a non-differentiable op).
 *
 * @example
 * ```ts
 * const thunks: GradientThunk[] = [() => neg(dy), null];
 * ```
 */
export type GradientThunk = (() => Tensor) | null;

/**
 * A gradient rule for one op. `grad` receives one gradient per output (outputs nobody
 * differentiated get zeros) and returns one thunk per input; backprop calls only the thunks of
 * inputs that lead to the requested sources. Each thunk must return a tensor with its input's
 * shape and dtype. Write rules with core ops only (never read tensor values), so they work on
 * any backend, in graph mode, and for higher-order gradients.
 *
 * @example
 * ```ts
 * // d/dx sin(x) = cos(x)
 * const sinRule: GradientRule = {
 *   saveInputs: true,
 *   grad: ([dy], saved) => [() => mul(dy!, cos(saved.input(0)))],
 * };
 * ```
 */
export interface GradientRule {
  /** Inputs the rule reads: `true` for all, or their indices. Default: none. */
  readonly saveInputs?: boolean | readonly number[];
  /** Outputs the rule reads: `true` for all, or their indices. Default: none. */
  readonly saveOutputs?: boolean | readonly number[];
  /** One thunk (or `null`) per input. */
  grad(dys: readonly Tensor[], saved: GradientContext): GradientThunk[];
}

const registry: Map<string, GradientRule> = new Map(builtinRules());

function checkRule(rule: unknown, fn: string): asserts rule is GradientRule {
  if (rule === null || typeof rule !== 'object' || typeof (rule as GradientRule).grad !== 'function') {
    throw new ValueError(`${fn}: a rule must be an object with a grad(dys, saved) function`);
  }
}

/**
 * Registers (or replaces) the gradient rule of an op, for example a plugin's op. Returns a
 * function that restores the previous rule.
 *
 * @example
 * ```ts
 * const restore = registerGradient('myScale', {
 *   grad: ([dy], saved) => [() => mul(dy!, saved.attrs['factor'] as number)],
 * });
 * // ... later
 * restore();
 * ```
 */
export function registerGradient(opName: string, rule: GradientRule): () => void {
  if (typeof opName !== 'string' || opName.length === 0) {
    throw new ValueError('registerGradient: opName must be a non-empty string');
  }
  checkRule(rule, 'registerGradient');
  const previous = registry.get(opName);
  registry.set(opName, rule);
  return () => {
    if (registry.get(opName) !== rule) return;
    if (previous === undefined) registry.delete(opName);
    else registry.set(opName, previous);
  };
}

/**
 * The gradient rule of an op, or `undefined` if it has none.
 *
 * @example
 * ```ts
 * getGradient('exp') !== undefined; // true
 * ```
 */
export function getGradient(opName: string): GradientRule | undefined {
  return registry.get(opName);
}

/**
 * The names of all ops with a registered gradient rule, sorted.
 *
 * @example
 * ```ts
 * listGradients().includes('matmul'); // true
 * ```
 */
export function listGradients(): string[] {
  return [...registry.keys()].sort();
}

function savedIndices(spec: boolean | readonly number[] | undefined, n: number): boolean[] {
  const out = new Array<boolean>(n).fill(false);
  if (spec === true) out.fill(true);
  else if (Array.isArray(spec)) for (const i of spec as readonly number[]) if (i >= 0 && i < n) out[i] = true;
  return out;
}

/** Which inputs and outputs a rule saves, as flags. @internal */
export function savedFlags(rule: GradientRule, numInputs: number, numOutputs: number): { inputs: boolean[]; outputs: boolean[] } {
  return { inputs: savedIndices(rule.saveInputs, numInputs), outputs: savedIndices(rule.saveOutputs, numOutputs) };
}

/** Builds the context a rule receives. @internal */
export function makeContext(
  op: string,
  inputs: readonly (Tensor | undefined)[],
  outputs: readonly (Tensor | undefined)[],
  inputSpecs: readonly TensorSpec[],
  outputSpecs: readonly TensorSpec[],
  attrs: Attrs,
): GradientContext {
  return {
    inputs,
    outputs,
    inputSpecs,
    outputSpecs,
    attrs,
    input(i: number): Tensor {
      const t = inputs[i];
      if (t === undefined) {
        throw new TesseraError(`gradient of '${op}': the rule reads input ${i}, but does not list it in saveInputs`);
      }
      return t;
    },
    output(i: number): Tensor {
      const t = outputs[i];
      if (t === undefined) {
        throw new TesseraError(`gradient of '${op}': the rule reads output ${i}, but does not list it in saveOutputs`);
      }
      return t;
    },
  };
}
