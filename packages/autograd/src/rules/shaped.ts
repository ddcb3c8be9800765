/**
 * Gradients that need an input's concrete shape (slicing, padding, tiling, gathering,
 * concatenation). Eagerly, and in graphs whose shapes are known, a rule computes them directly.
 * While building a graph with unknown dimensions (a `[null, 784]` placeholder), the rule emits
 * one `shapeDependentGradient` node instead: it holds the same computation and runs it when the
 * session runs, with the concrete shapes of its reference inputs.
 *
 * Every computation here is linear in the incoming gradient, so the node's own gradient (second
 * order) is its adjoint, which is the forward op again.
 *
 * @module
 */
import {
  concat,
  defineComposite,
  gather,
  getOp,
  pad,
  range,
  reshape,
  runOp,
  slice,
  sum,
  tile,
  transpose,
  unsortedSegmentSum,
  zerosLike,
  TesseraError,
  type Attrs,
  type OpDef,
  type PartialShape,
  type Tensor,
} from '@tessera/core';
import type { GradientRule } from '../registry.js';
import { runNamed } from './common.js';

/** One kind of shape-dependent gradient. */
interface ShapedKind {
  /** Which reference input's shape the gradient has. */
  target(a: Attrs): number;
  /** Whether the gradient can be computed from these (partly known) reference shapes. */
  ready(shapes: readonly PartialShape[], a: Attrs): boolean;
  /**
   * The gradient, given the incoming gradient, the reference inputs' shapes (known where
   * `ready` needs them) and the references it reads values from (gather's indices).
   */
  compute(dy: Tensor, shapes: readonly PartialShape[], refs: readonly (Tensor | undefined)[], a: Attrs): Tensor;
  /** The adjoint of `compute` in `dy` (its gradient with respect to `dy`). */
  adjoint(ddx: Tensor, refs: readonly Tensor[], a: Attrs): Tensor;
}

/** Whether every dimension is known. */
function isKnown(shape: PartialShape): boolean {
  return shape.every((d) => d !== null);
}

/** The input-gradient of `stridedSlice` for an input of shape `dims`. @internal */
export function stridedSliceBackward(dy: Tensor, dims: readonly number[], a: Attrs): Tensor {
  const begin = a['begin'] as readonly number[];
  const end = a['end'] as readonly (number | null)[];
  const strides = a['strides'] as readonly number[];
  if (strides.every((st) => st === 1)) {
    // a contiguous block: pad the gradient back to the input's shape
    return pad(
      dy,
      dims.map((d, i): [number, number] => {
        const b = begin[i]!;
        const e = end[i] ?? d;
        return [b, d - Math.max(e, b)];
      }),
    );
  }
  // general strides: slice the element indices the same way and scatter-add
  const n = dims.reduce((x, y) => x * y, 1);
  const ids = runNamed('stridedSlice', [reshape(range(0, n, 1, 'int32'), [...dims])], a);
  return reshape(unsortedSegmentSum(reshape(dy, [-1]), reshape(ids, [-1]), n), [...dims]);
}

/** The input-gradient of `tile` for an input of shape `dims`. @internal */
export function tileBackward(dy: Tensor, dims: readonly number[], reps: readonly number[]): Tensor {
  // [r0*d0, r1*d1, ...] -> [r0, d0, r1, d1, ...], summed over the repetition axes
  const split: number[] = [];
  dims.forEach((d, i) => split.push(reps[i]!, d));
  const axes = dims.map((_, i) => 2 * i);
  return reshape(sum(reshape(dy, split), axes), [...dims]);
}

/** The gradient of `gather` for its input, whose axis `axis` has `n` entries. @internal */
export function gatherBackward(dy: Tensor, indices: Tensor, n: number, axis: number, rank: number): Tensor {
  if (axis === 0) return unsortedSegmentSum(dy, indices, n);
  // move the index dimensions to the front, scatter-add, move the result axis back
  const q = indices.rank;
  const r = dy.rank;
  const perm: number[] = [];
  for (let i = axis; i < axis + q; i++) perm.push(i);
  for (let i = 0; i < axis; i++) perm.push(i);
  for (let i = axis + q; i < r; i++) perm.push(i);
  const seg = unsortedSegmentSum(transpose(dy, perm), indices, n);
  const back: number[] = [];
  for (let i = 1; i <= axis; i++) back.push(i);
  back.push(0);
  for (let i = axis + 1; i < rank; i++) back.push(i);
  return transpose(seg, back);
}

/** The part of a `concat` gradient that belongs to input `index` (the inputs' sizes along `axis` known). @internal */
export function concatPartBackward(dy: Tensor, shapes: readonly PartialShape[], axis: number, index: number): Tensor {
  let offset = 0;
  for (let i = 0; i < index; i++) offset += shapes[i]![axis]!;
  const own = shapes[index]!;
  return slice(
    dy,
    own.map((_, i) => (i === axis ? offset : 0)),
    own.map((d) => d ?? -1),
  );
}

const allKnown = (shapes: readonly PartialShape[]): boolean => shapes.every(isKnown);
const known = (shape: PartialShape | undefined): number[] => shape as number[];

const KINDS: Readonly<Record<string, ShapedKind>> = {
  stridedSlice: {
    target: () => 0,
    ready: allKnown,
    compute: (dy, [x], _refs, a) => stridedSliceBackward(dy, known(x), a),
    adjoint: (ddx, _refs, a) => runNamed('stridedSlice', [ddx], a),
  },
  pad: {
    target: () => 0,
    // an unknown dimension is fine where nothing is padded after it (the slice runs to the end)
    ready: ([x], a) => x!.every((d, i) => d !== null || (a['paddings'] as [number, number][])[i]![1] === 0),
    compute: (dy, [x], _refs, a) => {
      const p = a['paddings'] as readonly (readonly [number, number])[];
      return slice(
        dy,
        p.map((q) => q[0]),
        x!.map((d) => d ?? -1),
      );
    },
    adjoint: (ddx, _refs, a) => pad(ddx, a['paddings'] as [number, number][]),
  },
  tile: {
    target: () => 0,
    ready: allKnown,
    compute: (dy, [x], _refs, a) => tileBackward(dy, known(x), a['reps'] as number[]),
    adjoint: (ddx, _refs, a) => tile(ddx, a['reps'] as number[]),
  },
  gather: {
    target: () => 0,
    ready: ([x], a) => x![a['axis'] as number] !== null,
    compute: (dy, [x], [, indices], a) => {
      const axis = a['axis'] as number;
      return gatherBackward(dy, indices!, x![axis]!, axis, x!.length);
    },
    adjoint: (ddx, [, indices], a) => gather(ddx, indices!, a['axis'] as number),
  },
  concat: {
    target: (a) => a['index'] as number,
    ready: (shapes, a) => shapes.every((x) => x[a['axis'] as number] !== null),
    compute: (dy, shapes, _refs, a) => concatPartBackward(dy, shapes, a['axis'] as number, a['index'] as number),
    adjoint: (ddx, refs, a) => {
      const index = a['index'] as number;
      return concat(
        refs.map((r, i) => (i === index ? ddx : zerosLike(r))),
        a['axis'] as number,
      );
    },
  },
};

function kindOf(a: Attrs): [ShapedKind, Attrs] {
  const name = a['of'] as string;
  const k = KINDS[name];
  if (k === undefined) throw new TesseraError(`shapeDependentGradient: unknown kind '${name}'`);
  return [k, a['attrs'] as Attrs];
}

/**
 * The op: inputs `[dy, ...refs]`, attributes `{ of, attrs }` (the kind and the forward op's
 * attributes). Defined when this module loads, so graphs saved with it load again.
 */
const shapeDependentGradientOp: OpDef =
  getOp('shapeDependentGradient') ??
  defineComposite({
    name: 'shapeDependentGradient',
    inputs: ['dy', 'refs'],
    variadic: true,
    infer: (specs, attrs) => {
      const [k, a] = kindOf(attrs);
      const ref = specs[1 + k.target(a)];
      if (ref === undefined) throw new TesseraError('shapeDependentGradient: missing reference input');
      return [{ shape: ref.shape, dtype: specs[0]!.dtype }];
    },
    compose: ([dy, ...refs], attrs) => {
      const [k, a] = kindOf(attrs);
      return [k.compute(dy!, refs.map((r) => r.shape), refs, a)];
    },
  });

/**
 * The gradient of kind `of` for `dy`, where `shapes` are the reference inputs' shapes: computed
 * now when they are known (`refs` are read only for values, such as gather's indices), else as a
 * `shapeDependentGradient` node over `refs()` (the graph's inputs) that computes it when the
 * graph runs. @internal
 */
export function shapedGradient(of: string, dy: Tensor, shapes: readonly PartialShape[], refs: () => readonly (Tensor | undefined)[], attrs: Attrs): Tensor {
  const k = KINDS[of]!;
  if (k.ready(shapes, attrs)) return k.compute(dy, shapes, refs(), attrs);
  const rs = refs();
  if (rs.some((r) => r === undefined)) throw new TesseraError(`gradient of ${of}: input shapes ${shapes.map((x) => `[${x.map((d) => d ?? '?').join(',')}]`).join(', ')} are not known and the inputs were not kept`);
  return runOp(shapeDependentGradientOp, [dy, ...(rs as Tensor[])], { of, attrs })[0]!;
}

/** The rule of `shapeDependentGradient`: the adjoint for `dy`, nothing for the references. @internal */
export const shapeDependentGradientRule: GradientRule = {
  saveInputs: true,
  grad: ([ddx], s) => [
    () => {
      const [k, a] = kindOf(s.attrs);
      return k.adjoint(ddx!, s.inputs.slice(1) as Tensor[], a);
    },
    ...s.inputSpecs.slice(1).map(() => null),
  ],
};
