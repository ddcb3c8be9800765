/**
 * Gradient rules of the neural-network composites (softmax, losses, moments, batchNorm), so
 * they are recorded as one node each (saving memory) and differentiate in closed form.
 *
 * @module
 */
import {
  broadcastTo,
  maximum,
  onesLike,
  div,
  exp,
  expandDims,
  logSoftmax,
  mul,
  neg,
  rsqrt,
  sigmoid,
  softmax,
  sub,
  sum,
  add,
  type PartialShape,
  type Tensor,
  type TensorSpec,
} from '@tessera/core';
import type { GradientContext, GradientRule } from '../registry.js';
import { broadcastGradient, expandReduced, unbroadcast } from '../unbroadcast.js';
import { knownShape, type RuleTable } from './common.js';

const softmaxRule: GradientRule = {
  saveOutputs: true,
  grad: ([dy], s) => [
    () => {
      const y = s.output(0);
      const axis = s.attrs['axis'] as number;
      return mul(y, sub(dy!, sum(mul(dy!, y), axis, true)));
    },
  ],
};

const logSoftmaxRule: GradientRule = {
  saveOutputs: true,
  grad: ([dy], s) => [
    () => {
      const axis = s.attrs['axis'] as number;
      return sub(dy!, mul(exp(s.output(0)), sum(dy!, axis, true)));
    },
  ],
};

/** The loss gradient `dy` spread over the per-element (or per-example) losses of `shape`. */
function perElement(dy: Tensor, shape: PartialShape, s: GradientContext, like: () => Tensor): Tensor {
  const reduction = s.attrs['reduction'] as string;
  if (reduction === 'none') return dy;
  if (shape.some((d) => d === null)) {
    // shape known only at run time (a graph with a [null, ...] placeholder): spread dy over a
    // tensor of ones shaped like the per-element losses, and count them at run time
    const ones = onesLike(like());
    const g = mul(ones, dy);
    return reduction === 'sum' ? g : div(g, maximum(sum(ones), 1));
  }
  const dims = shape as number[];
  const g = broadcastTo(dy, dims);
  if (reduction === 'sum') return g;
  const n = dims.reduce((a, b) => a * b, 1);
  return div(g, Math.max(n, 1));
}

const softmaxCrossEntropyRule: GradientRule = {
  saveInputs: true,
  grad: ([dy], s) => {
    const axis = s.attrs['axis'] as number;
    const logitsShape = s.inputSpecs[1]!.shape;
    const perExampleShape = logitsShape.filter((_, i) => i !== axis);
    const dPer = (): Tensor => expandDims(perElement(dy!, perExampleShape, s, () => sum(s.input(1), axis)), axis);
    return [
      () => mul(dPer(), neg(logSoftmax(s.input(1), axis))),
      () => {
        const labels = s.input(0);
        const p = softmax(s.input(1), axis);
        return mul(dPer(), sub(mul(p, sum(labels, axis, true)), labels));
      },
    ];
  },
};

const sigmoidCrossEntropyRule: GradientRule = {
  saveInputs: true,
  grad: ([dy], s) => {
    const shape = s.inputSpecs[1]!.shape;
    return [
      () => mul(perElement(dy!, shape, s, () => s.input(1)), neg(s.input(1))),
      () => mul(perElement(dy!, shape, s, () => s.input(1)), sub(sigmoid(s.input(1)), s.input(0))),
    ];
  },
};

const meanSquaredErrorRule: GradientRule = {
  saveInputs: true,
  grad: ([dy], s) => {
    const shape = s.inputSpecs[1]!.shape;
    const diff = (): Tensor => sub(s.input(1), s.input(0));
    return [
      () => mul(perElement(dy!, shape, s, () => s.input(1)), mul(diff(), -2)),
      () => mul(perElement(dy!, shape, s, () => s.input(1)), mul(diff(), 2)),
    ];
  },
};

/** moments: mean m and variance v = mean((x - m)²) over `axes`. */
const momentsRule: GradientRule = {
  saveInputs: true,
  saveOutputs: [0],
  grad: ([dm, dv], s) => [
    () => {
      const x = s.input(0);
      const shape = s.inputSpecs[0]!.shape as PartialShape;
      const axes = s.attrs['axes'] as number[];
      const keep = s.attrs['keepDims'] === true;
      const n = axes.reduce((a, ax) => a * knownShape([shape[ax]!], 'moments')[0]!, 1);
      const m = expandReduced(s.output(0), shape, axes, keep);
      const gm = broadcastGradient(expandReduced(dm!, shape, axes, keep), shape, x);
      const gv = mul(expandReduced(dv!, shape, axes, keep), mul(sub(x, m), 2));
      return div(add(gm, gv), Math.max(n, 1));
    },
  ],
};

/** batchNorm: y = (x - mean) * rsqrt(variance + eps) * scale + offset, all broadcasting. */
const batchNormRule: GradientRule = {
  saveInputs: true,
  grad: ([dy], s) => {
    const hasOffset = s.attrs['hasOffset'] === true;
    const hasScale = s.attrs['hasScale'] === true;
    const eps = s.attrs['varianceEpsilon'] as number;
    const specs: readonly TensorSpec[] = s.inputSpecs;
    const scaleIndex = hasOffset ? 4 : 3;
    const inv = (): Tensor => rsqrt(add(s.input(2), eps));
    const scaled = (): Tensor => (hasScale ? mul(inv(), s.input(scaleIndex)) : inv());
    const centered = (): Tensor => sub(s.input(0), s.input(1));
    const g = dy!;
    const thunks = [
      () => unbroadcast(mul(g, scaled()), specs[0]!.shape),
      () => unbroadcast(neg(mul(g, scaled())), specs[1]!.shape),
      () => {
        const i = inv();
        let t = mul(mul(g, centered()), mul(mul(i, mul(i, i)), -0.5));
        if (hasScale) t = mul(t, s.input(scaleIndex));
        return unbroadcast(t, specs[2]!.shape);
      },
    ];
    if (hasOffset) thunks.push(() => unbroadcast(g, specs[3]!.shape));
    if (hasScale) thunks.push(() => unbroadcast(mul(g, mul(centered(), inv())), specs[scaleIndex]!.shape));
    return thunks;
  },
};

/** Gradient rules of nn composites. @internal */
export function nnRules(): RuleTable {
  return [
    ['softmax', softmaxRule],
    ['logSoftmax', logSoftmaxRule],
    ['softmaxCrossEntropy', softmaxCrossEntropyRule],
    ['sigmoidCrossEntropy', sigmoidCrossEntropyRule],
    ['meanSquaredError', meanSquaredErrorRule],
    ['moments', momentsRule],
    ['batchNorm', batchNormRule],
  ];
}
