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
  pad,
  range,
  reshape,
  reverse,
  slice,
  sum,
  transpose,
  unsortedSegmentSum,
  where,
  TesseraError,
} from '@tessera/core';
import type { GradientRule } from '../registry.js';
import { expandReduced, reshapeTo, unbroadcast } from '../unbroadcast.js';
import { knownShape, noGradient, runNamed, type RuleTable } from './common.js';

function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

const stridedSliceRule: GradientRule = {
  grad: ([dy], s) => [
    () => {
      const shape = s.inputSpecs[0]!.shape;
      const begin = s.attrs['begin'] as readonly number[];
      const end = s.attrs['end'] as readonly (number | null)[];
      const strides = s.attrs['strides'] as readonly number[];
      if (strides.every((st) => st === 1)) {
        // a contiguous block: pad the gradient back to the input's shape
        const dims = knownShape(shape, 'stridedSlice');
        return pad(
          dy!,
          dims.map((d, i): [number, number] => {
            const b = begin[i]!;
            const e = end[i] ?? d;
            return [b, d - Math.max(e, b)];
          }),
        );
      }
      // general strides: slice the element indices the same way and scatter-add
      const dims = knownShape(shape, 'stridedSlice');
      const n = dims.reduce((a, b) => a * b, 1);
      const ids = runNamed('stridedSlice', [reshape(range(0, n, 1, 'int32'), dims)], s.attrs);
      return reshape(unsortedSegmentSum(reshape(dy!, [-1]), reshape(ids, [-1]), n), dims);
    },
  ],
};

const concatRule: GradientRule = {
  grad: ([dy], s) => {
    const axis = s.attrs['axis'] as number;
    let offset = 0;
    return s.inputSpecs.map((spec) => {
      const d = spec.shape[axis];
      if (d === null || d === undefined) {
        return () => {
          throw new TesseraError(`gradient of concat: the size of axis ${axis} of every input must be known`);
        };
      }
      const begin = spec.shape.map((_, i) => (i === axis ? offset : 0));
      const size = spec.shape.map((sz, i) => (i === axis ? d : (sz ?? -1)));
      offset += d;
      return () => slice(dy!, begin, size);
    });
  },
};

const padRule: GradientRule = {
  grad: ([dy], s) => [
    () => {
      const p = s.attrs['paddings'] as readonly (readonly [number, number])[];
      const shape = s.inputSpecs[0]!.shape;
      return slice(
        dy!,
        p.map((q) => q[0]),
        shape.map((d, i) => (d === null && p[i]![1] === 0 ? -1 : knownShape([d], 'pad')[0]!)),
      );
    },
  ],
};

const tileRule: GradientRule = {
  grad: ([dy], s) => [
    () => {
      const reps = s.attrs['reps'] as readonly number[];
      const dims = knownShape(s.inputSpecs[0]!.shape, 'tile');
      // [r0*d0, r1*d1, ...] -> [r0, d0, r1, d1, ...], summed over the repetition axes
      const split: number[] = [];
      dims.forEach((d, i) => split.push(reps[i]!, d));
      const axes = dims.map((_, i) => 2 * i);
      return reshape(sum(reshape(dy!, split), axes), dims);
    },
  ],
};

const gatherRule: GradientRule = {
  saveInputs: [1],
  grad: ([dy], s) => [
    () => {
      const axis = s.attrs['axis'] as number;
      const indices = s.input(1);
      const xShape = s.inputSpecs[0]!.shape;
      const n = xShape[axis];
      if (n === null || n === undefined) throw new TesseraError(`gradient of gather: the size of axis ${axis} must be known`);
      const q = indices.rank;
      if (axis === 0) return unsortedSegmentSum(dy!, indices, n);
      // move the index dimensions to the front, scatter-add, move the result axis back
      const r = dy!.rank;
      const perm: number[] = [];
      for (let i = axis; i < axis + q; i++) perm.push(i);
      for (let i = 0; i < axis; i++) perm.push(i);
      for (let i = axis + q; i < r; i++) perm.push(i);
      const seg = unsortedSegmentSum(transpose(dy!, perm), indices, n);
      const back: number[] = [];
      for (let i = 1; i <= axis; i++) back.push(i);
      back.push(0);
      for (let i = axis + 1; i < xShape.length; i++) back.push(i);
      return transpose(seg, back);
    },
    null,
  ],
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
  ];
}


