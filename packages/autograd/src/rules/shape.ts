/**
 * Gradient rules of the shape ops.
 *
 * @module
 */
import {
  gather,
  greaterEqual,
  less,
  logicalAnd,
  reshape,
  reverse,
  transpose,
  where,
} from '@tessera/core';
import type { GradientRule } from '../registry.js';
import { expandReduced, reshapeTo, unbroadcast } from '../unbroadcast.js';
import { noGradient, type RuleTable } from './common.js';
import { shapeDependentGradientRule, shapedGradient } from './shaped.js';

function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

const stridedSliceRule: GradientRule = {
  grad: ([dy], s) => [() => shapedGradient('stridedSlice', dy!, [s.inputSpecs[0]!.shape], () => [s.inputs[0]], s.attrs)],
};

const concatRule: GradientRule = {
  grad: ([dy], s) => {
    const shapes = s.inputSpecs.map((spec) => spec.shape);
    const axis = s.attrs['axis'] as number;
    return shapes.map((_, index) => () => shapedGradient('concat', dy!, shapes, () => s.inputs, { axis, index }));
  },
};

const padRule: GradientRule = {
  grad: ([dy], s) => [() => shapedGradient('pad', dy!, [s.inputSpecs[0]!.shape], () => [s.inputs[0]], s.attrs)],
};

const tileRule: GradientRule = {
  grad: ([dy], s) => [() => shapedGradient('tile', dy!, [s.inputSpecs[0]!.shape], () => [s.inputs[0]], s.attrs)],
};

const gatherRule: GradientRule = {
  saveInputs: [1],
  grad: ([dy], s) => [() => shapedGradient('gather', dy!, [s.inputSpecs[0]!.shape], () => [s.inputs[0], s.input(1)], s.attrs), null],
};

const unsortedSegmentSumRule: GradientRule = {
  saveInputs: [1],
  grad: ([dy], s) => [
    () => {
      const ids = s.input(1);
      const n = s.attrs['numSegments'] as number;
      // ids outside [0, numSegments) were dropped: they get no gradient
      const valid = logicalAnd(greaterEqual(ids, 0), less(ids, n));
      const safe = where(valid, ids, 0);
      const g = gather(dy!, safe, 0);
      const extra = g.rank - ids.rank;
      const mask = extra > 0 ? reshape(valid, [...ids.shape, ...new Array<number>(extra).fill(1)]) : valid;
      return where(mask, g, 0);
    },
    null,
  ],
};

/** Gradient rules of shape ops. @internal */
export function shapeRules(): RuleTable {
  return [
    ['reshape', { grad: ([dy], s) => [() => reshapeTo(dy!, s.inputSpecs[0]!.shape)] }],
    ['transpose', { grad: ([dy], s) => [() => transpose(dy!, inversePerm(s.attrs['perm'] as number[]))] }],
    [
      'expandDims',
      { grad: ([dy], s) => [() => reshapeTo(dy!, s.inputSpecs[0]!.shape)] },
    ],
    [
      'squeeze',
      { grad: ([dy], s) => [() => expandReduced(dy!, s.inputSpecs[0]!.shape, s.attrs['axes'] as number[], false)] },
    ],
    ['stridedSlice', stridedSliceRule],
    ['concat', concatRule],
    ['pad', padRule],
    ['tile', tileRule],
    ['gather', gatherRule],
    ['unsortedSegmentSum', unsortedSegmentSumRule],
    ['broadcastTo', { grad: ([dy], s) => [() => unbroadcast(dy!, s.inputSpecs[0]!.shape)] }],
    ['reverse', { grad: ([dy], s) => [() => reverse(dy!, s.attrs['axes'] as number[])] }],
    ['oneHot', noGradient()],
    ['shapeDependentGradient', shapeDependentGradientRule],
  ];
}


