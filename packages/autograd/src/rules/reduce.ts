/**
 * Gradient rules of the reductions and `cumsum`.
 *
 * @module
 */
import {
  cast,
  cumsum,
  div,
  equal,
  exp,
  mul,
  onesLike,
  prod,
  range,
  reshape,
  transpose,
  sub,
  sum,
  where,
  type Tensor,
} from '@tessera/core';
import type { GradientContext, GradientRule } from '../registry.js';
import { broadcastGradient, expandReduced } from '../unbroadcast.js';
import { noGradient, type RuleTable } from './common.js';

function axesOf(s: GradientContext): number[] {
  return s.attrs['axes'] as number[];
}

/** `dy` of a reduction, in the kept shape (broadcasts against the input). */
function keptDy(dy: Tensor, s: GradientContext): Tensor {
  return expandReduced(dy, s.inputSpecs[0]!.shape, axesOf(s), s.attrs['keepDims'] === true);
}

function keptY(s: GradientContext): Tensor {
  return expandReduced(s.output(0), s.inputSpecs[0]!.shape, axesOf(s), s.attrs['keepDims'] === true);
}

const sumRule: GradientRule = {
  grad: ([dy], s) => [() => broadcastGradient(keptDy(dy!, s), s.inputSpecs[0]!.shape, s.inputs[0])],
};

const meanRule: GradientRule = {
  grad: ([dy], s) => [
    () => {
      const shape = s.inputSpecs[0]!.shape;
      const axes = axesOf(s);
      let count = 1;
      let known = true;
      for (const a of axes) {
        const d = shape[a];
        if (d === null || d === undefined) known = false;
        else count *= d;
      }
      const g = broadcastGradient(keptDy(dy!, s), shape, s.inputs[0]);
      if (known) return div(g, count);
      // graph mode with unknown sizes: count with ops
      return div(g, sum(onesLike(s.inputs[0]!), axes, true));
    },
  ],
};

/** max/min: the gradient goes to the elements equal to the result, split evenly among ties. */
const extremumRule: GradientRule = {
  saveInputs: true,
  saveOutputs: true,
  grad: ([dy], s) => [
    () => {
      const x = s.input(0);
      const mask = cast(equal(x, keptY(s)), x.dtype);
      const count = sum(mask, axesOf(s), true);
      return mul(div(mask, count), keptDy(dy!, s));
    },
  ],
};

/** Groups of at most this many elements get the exactly-differentiable leave-one-out form. */
const LEAVE_ONE_OUT_MAX = 64;

/**
 * prod: d/dx_i = the product of the other elements of its group, computed without dividing by
 * zero. Groups of up to 64 elements form every leave-one-out product explicitly (a `[n, n]`
 * matrix per group with ones on the diagonal), which stays exact at every order of
 * differentiation, zeros included. Larger groups use `prod / x_i` where the group has no zero,
 * the product of the others at a group's single zero, and 0 where it has two or more zeros:
 * exact at first order; higher orders are exact except at inputs that are exactly zero.
 */
const prodRule: GradientRule = {
  saveInputs: true,
  grad: ([dy], s) => [
    () => {
      const x = s.input(0);
      const axes = axesOf(s);
      const shape = x.shape;
      const n = axes.reduce((a, ax) => a * shape[ax]!, 1);
      return mul(n <= LEAVE_ONE_OUT_MAX ? leaveOneOutProducts(x, axes) : productsOfOthers(x, axes), keptDy(dy!, s));
    },
  ],
};

function leaveOneOutProducts(x: Tensor, axes: readonly number[]): Tensor {
  const shape = x.shape;
  if (axes.length === 0) return onesLike(x);
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const n = axes.reduce((a, ax) => a * shape[ax]!, 1);
  const m = kept.reduce((a, ax) => a * shape[ax]!, 1);
  const grouped = reshape(transpose(x, perm), [m, 1, n]);
  const idx = range(0, n, 1, 'int32');
  const diagonal = equal(reshape(idx, [n, 1]), reshape(idx, [1, n]));
  const others = prod(where(diagonal, 1, grouped), 2); // [m, n]
  const back = reshape(others, perm.map((p) => shape[p]!));
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return transpose(back, inv);
}

function productsOfOthers(x: Tensor, axes: readonly number[]): Tensor {
  const isZero = equal(x, 0);
  const nonZero = where(isZero, 1, x);
  const prodNonZero = prod(nonZero, axes, true);
  const zeros = sum(cast(isZero, x.dtype), axes, true);
  const atZero = where(equal(zeros, 1), prodNonZero, 0);
  const elsewhere = where(equal(zeros, 0), div(prodNonZero, nonZero), 0);
  return where(isZero, atZero, elsewhere);
}

const logSumExpRule: GradientRule = {
  saveInputs: true,
  saveOutputs: true,
  grad: ([dy], s) => [() => mul(keptDy(dy!, s), exp(sub(s.input(0), keptY(s))))],
};

const cumsumRule: GradientRule = {
  grad: ([dy], s) => [
    () =>
      cumsum(dy!, s.attrs['axis'] as number, {
        exclusive: s.attrs['exclusive'] === true,
        reverse: s.attrs['reverse'] !== true,
      }),
  ],
};

/** Gradient rules of reductions. @internal */
export function reduceRules(): RuleTable {
  return [
    ['sum', sumRule],
    ['mean', meanRule],
    ['max', extremumRule],
    ['min', extremumRule],
    ['prod', prodRule],
    ['logSumExp', logSumExpRule],
    ['cumsum', cumsumRule],
    ['argMax', noGradient()],
    ['argMin', noGradient()],
    ['any', noGradient()],
    ['all', noGradient()],
  ];
}
