/**
 * Shape ops: reshape, transpose, slicing, joining, padding, tiling, gathering, broadcasting.
 *
 * ## What a backend implements
 *
 * Nine primitives (plus `reshape`, which the engine runs itself by sharing the buffer). Their
 * attributes arrive validated and normalized, so kernels never re-check them:
 *
 * | kernel | inputs | attributes |
 * | --- | --- | --- |
 * | `transpose` | `x` | `perm`: a permutation of `0..rank-1`; output dim i is input dim `perm[i]` |
 * | `stridedSlice` | `x` | `begin`, `end`, `strides`: one entry per input dim (masks, negative indices and clamping already resolved). Output element `j` reads input index `begin[d] + j[d] * strides[d]` on every dim `d`; a kernel needs only `begin`, `strides` and the output shape (`end` is for the shape rule; it may be `null`: "through the end" for positive strides, "through index 0" for negative ones) |
 * | `concat` | `x0, x1, ...` (one or more, same dtype and rank, equal except on `axis`) | `axis` (non-negative) |
 * | `pad` | `x` | `paddings`: `[before, after]` per dim, non-negative; `constantValue`: a number already valid for the dtype |
 * | `tile` | `x` | `reps`: one non-negative integer per dim |
 * | `gather` | `x`, `indices` (int32) | `axis` (non-negative). Output shape `x.shape[:axis] + indices.shape + x.shape[axis+1:]`. Indices are not range-checked in core: the CPU kernel throws a {@link ValueError} naming the bad index; backends that cannot check cheaply (GPU) clamp to `[0, size-1]` |
 * | `broadcastTo` | `x` | `shape`: a concrete target compatible with `x` under NumPy rules |
 * | `reverse` | `x` | `axes`: sorted distinct non-negative axes |
 * | `unsortedSegmentSum` | `x` (numeric), `segmentIds` (int32, its shape a prefix of `x`'s) | `numSegments`. Output `[numSegments, ...x.shape[segmentIds.rank:]]`; ids outside `[0, numSegments)` are dropped |
 *
 * `slice` is `stridedSlice` with unit strides (there is no separate `slice` kernel).
 * `expandDims`, `squeeze` and `oneHot` are composites (the first two are reshapes); `stack`,
 * `unstack` and `split` are functions over `expandDims`, `concat` and `stridedSlice`.
 *
 * Notes for gradients: `gather` along axis 0 is undone by `unsortedSegmentSum` over the first
 * axis (`segmentIds = indices`, `numSegments = x.shape[0]`); a unit-stride `stridedSlice` is
 * undone by `pad`, any other by `unsortedSegmentSum` of the flattened gradient at flat indices.
 *
 * @module
 */
import { assertDType, upcast, type DType } from '../dtype.js';
import { ENGINE, runOp } from '../engine.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { defineComposite, definePrimitive } from '../op.js';
import { parseValues, toTensor } from '../convert.js';
import { checkInteger, checkShape, formatShape, normalizeAxes, normalizeAxis, sizeOf, type PartialShape, type Shape } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { cast, equal, identity, where } from './elementwise.js';
import { range, scalar } from './creation.js';

type Dim = number | null;

// ---- helpers ----------------------------------------------------------------------------

function isKnown(shape: PartialShape): shape is Shape {
  for (const d of shape) if (d === null) return false;
  return true;
}

function fmtList(xs: readonly unknown[]): string {
  return `[${xs.map((v) => (v === null ? 'null' : String(v))).join(',')}]`;
}

function intList(v: unknown, fn: string, what: string): number[] {
  if (!Array.isArray(v)) throw new ValueError(`${fn}: ${what} must be an array of integers, got ${String(v)}`);
  for (const e of v as unknown[]) {
    if (typeof e !== 'number' || !Number.isInteger(e)) {
      throw new ValueError(`${fn}: ${what} must be an array of integers, got ${fmtList(v as unknown[])}`);
    }
  }
  return [...(v as number[])];
}

/**
 * Converts an index argument to an int32 tensor: tensors must already be int32; plain arrays
 * and numbers must hold integers in the int32 range.
 */
function indexTensor(x: TensorLike, fn: string, arg: string): Tensor {
  if (x instanceof Tensor) {
    if (x.dtype !== 'int32') throw new DTypeError(`${fn}: ${arg} must be an int32 tensor, got ${x.dtype}`);
    return x;
  }
  if (x === undefined || x === null) throw new ValueError(`${fn}: argument ${arg} is ${String(x)}; expected int32 indices`);
  const p = parseValues(x, undefined, undefined, `${fn} (argument ${arg})`);
  if (p.dtype === 'bool') throw new DTypeError(`${fn}: ${arg} must be int32 indices, got booleans`);
  const v = new Int32Array(p.values.length);
  for (let i = 0; i < v.length; i++) {
    const e = p.values[i]!;
    if (!Number.isInteger(e) || e < -2147483648 || e > 2147483647) {
      throw new ValueError(`${fn}: ${arg} must hold integers (int32), got ${e} at flat position ${i}`);
    }
    v[i] = e;
  }
  return ENGINE.fromValues(v, p.shape, 'int32', fn);
}

/** Promotes tensors to one dtype (`upcast`: bool stays bool when all are bool). */
function promoteAll(ts: Tensor[]): Tensor[] {
  let dt: DType = ts[0]!.dtype;
  for (const t of ts) dt = upcast(dt, t.dtype);
  return ts.map((t) => (t.dtype === dt ? t : cast(t, dt)));
}

function countBits(mask: number, n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) if ((mask >> i) & 1) c++;
  return c;
}

// ---- reshape ----------------------------------------------------------------------------

const reshapeOp = definePrimitive({
  name: 'reshape',
  inputs: ['x'],
  infer: ([x], attrs) => {
    const shape = attrs['shape'] as readonly number[];
    const size = sizeOf(x!.shape);
    const out: Dim[] = [...shape];
    const inferAt = shape.indexOf(-1);
    if (inferAt >= 0) {
      let known = 1;
      for (let i = 0; i < shape.length; i++) if (i !== inferAt) known *= shape[i]!;
      out[inferAt] = size === null || known === 0 ? null : size / known;
    } else if (size !== null && sizeOf(shape) !== size) {
      throw new ShapeError(
        `reshape: cannot reshape a tensor of shape ${formatShape(x!.shape)} (${size} elements) to ${formatShape(shape)} (${sizeOf(shape)} elements)`,
      );
    }
    return [{ shape: out, dtype: x!.dtype }];
  },
  builtin: (ids) => ids,
});

/**
 * Gives `x` a new shape with the same number of elements (no copy). One dimension may be `-1`:
 * it is inferred from the others.
 *
 * @example
 * ```ts
 * reshape(range(6), [2, 3]);
 * reshape(range(6), [-1, 2]); // shape [3, 2]
 * ```
 */
export function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  const t = toTensor(x, 'reshape', 'x');
  if (!Array.isArray(shape)) throw new ValueError(`reshape: shape must be an array, got ${String(shape)}`);
  let infer = -1;
  let known = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === -1) {
      if (infer >= 0) throw new ValueError(`reshape: shape ${formatShape(shape)} has more than one -1`);
      infer = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new ValueError(`reshape: shape ${formatShape(shape)} is invalid: dimensions must be non-negative integers or one -1`);
    } else known *= d;
  }
  const size = sizeOf(t.shape as PartialShape);
  if (size === null) {
    // a graph tensor with unknown dims: the shape rule resolves -1 when the graph runs
    return runOp(reshapeOp, [t], { shape: [...shape] })[0]!;
  }
  const out = [...shape];
  if (infer >= 0) {
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(`reshape: cannot reshape a tensor of shape ${formatShape(t.shape)} (${size} elements) to ${formatShape(shape)}`);
    }
    out[infer] = size / known;
  } else if (known !== size) {
    throw new ShapeError(
      `reshape: cannot reshape a tensor of shape ${formatShape(t.shape)} (${size} elements) to ${formatShape(shape)} (${sizeOf(shape)} elements)`,
    );
  }
  return runOp(reshapeOp, [t], { shape: out })[0]!;
}

/** Reshape without validation, for internal uses whose target shape is known to be right. */
function aliasAs(t: Tensor, shape: readonly number[]): Tensor {
  return runOp(reshapeOp, [t], { shape: [...shape] })[0]!;
}

// ---- transpose --------------------------------------------------------------------------

function checkPerm(perm: unknown, rank: number, fn: string): number[] {
  const p = intList(perm, fn, 'perm');
  const seen = new Array<boolean>(rank).fill(false);
  let ok = p.length === rank;
  if (ok) {
    for (const v of p) {
      if (v < 0 || v >= rank || seen[v]) {
        ok = false;
        break;
      }
      seen[v] = true;
    }
  }
  if (!ok) {
    throw new ValueError(
      `${fn}: perm ${fmtList(p)} is not a permutation of 0..${rank - 1} (x has rank ${rank}; perm must list each axis exactly once)`,
    );
  }
  return p;
}

const transposeOp = definePrimitive({
  name: 'transpose',
  inputs: ['x'],
  infer: ([x], attrs) => {
    const perm = checkPerm(attrs['perm'], x!.shape.length, 'transpose');
    return [{ shape: perm.map((p) => x!.shape[p]!), dtype: x!.dtype }];
  },
});

/**
 * Permutes dimensions; by default reverses them. Output dimension `i` is input dimension
 * `perm[i]`.
 *
 * @example
 * ```ts
 * transpose(zeros([2, 3])).shape; // [3, 2]
 * transpose(zeros([2, 3, 4]), [0, 2, 1]).shape; // [2, 4, 3]
 * ```
 */
export function transpose(x: TensorLike, perm?: readonly number[]): Tensor {
  const t = toTensor(x, 'transpose', 'x');
  const r = t.rank;
  const p = perm === undefined ? Array.from({ length: r }, (_, i) => r - 1 - i) : checkPerm(perm, r, 'transpose');
  return runOp(transposeOp, [t], { perm: p })[0]!;
}

// ---- expandDims, squeeze ----------------------------------------------------------------

const expandDimsOp = defineComposite({
  name: 'expandDims',
  inputs: ['x'],
  infer: ([x], attrs) => {
    const axis = attrs['axis'] as number;
    const s: Dim[] = [...x!.shape];
    s.splice(axis, 0, 1);
    return [{ shape: s, dtype: x!.dtype }];
  },
  compose: ([x], attrs) => {
    const s = [...x!.shape];
    s.splice(attrs['axis'] as number, 0, 1);
    return [aliasAs(x!, s)];
  },
});

/**
 * Inserts a size-1 dimension at `axis` (default 0; negative counts from the end of the result,
 * so `-1` appends). A composite of `reshape` (no copy).
 *
 * @example
 * ```ts
 * expandDims(zeros([3]), 1).shape; // [3, 1]
 * expandDims(zeros([3]), -1).shape; // [3, 1]
 * ```
 */
export function expandDims(x: TensorLike, axis = 0): Tensor {
  const t = toTensor(x, 'expandDims', 'x');
  const a = normalizeAxis(axis, t.rank + 1, 'expandDims');
  return runOp(expandDimsOp, [t], { axis: a })[0]!;
}

const squeezeOp = defineComposite({
  name: 'squeeze',
  inputs: ['x'],
  infer: ([x], attrs) => {
    const axes = attrs['axes'] as readonly number[];
    for (const a of axes) {
      const d = x!.shape[a];
      if (d !== 1 && d !== null) {
        throw new ValueError(`squeeze: cannot squeeze axis ${a} of shape ${formatShape(x!.shape)}: its size is ${String(d)}, not 1`);
      }
    }
    return [{ shape: x!.shape.filter((_, i) => !axes.includes(i)), dtype: x!.dtype }];
  },
  compose: ([x], attrs) => {
    const axes = attrs['axes'] as readonly number[];
    return [aliasAs(x!, x!.shape.filter((_, i) => !axes.includes(i)))];
  },
});

/**
 * Removes size-1 dimensions: those listed in `axis` (each must have size 1), or all of them.
 * A composite of `reshape` (no copy).
 *
 * @example
 * ```ts
 * squeeze(zeros([1, 3, 1])).shape; // [3]
 * squeeze(zeros([1, 3, 1]), -1).shape; // [1, 3]
 * ```
 */
export function squeeze(x: TensorLike, axis?: number | readonly number[]): Tensor {
  const t = toTensor(x, 'squeeze', 'x');
  const shape = t.shape as PartialShape;
  let axes: number[];
  if (axis === undefined) {
    axes = [];
    for (let i = 0; i < shape.length; i++) if (shape[i] === 1) axes.push(i);
  } else {
    axes = normalizeAxes(axis, t.rank, 'squeeze');
    for (const a of axes) {
      const d = shape[a];
      if (d !== 1 && d !== null) {
        throw new ValueError(`squeeze: cannot squeeze axis ${a} of shape ${formatShape(shape)}: its size is ${String(d)}, not 1`);
      }
    }
  }
  return runOp(squeezeOp, [t], { axes })[0]!;
}

/**
 * Drops the size-1 dims `drop` (axes of `t`) then inserts size-1 dims at `insert` (positions in
 * the result, ascending). One aliasing reshape when the shape is known; composites otherwise.
 */
function regroupDims(t: Tensor, drop: readonly number[], insert: readonly number[]): Tensor {
  if (drop.length === 0 && insert.length === 0) return t;
  const shape = t.shape as PartialShape;
  if (isKnown(shape)) {
    const s = shape.filter((_, i) => !drop.includes(i));
    for (const p of insert) s.splice(p, 0, 1);
    return aliasAs(t, s);
  }
  let y = drop.length > 0 ? runOp(squeezeOp, [t], { axes: [...drop] })[0]! : t;
  for (const p of insert) y = runOp(expandDimsOp, [y], { axis: p })[0]!;
  return y;
}

// ---- stridedSlice (the slicing primitive) -----------------------------------------------

const stridedSliceOp = definePrimitive({
  name: 'stridedSlice',
  inputs: ['x'],
  infer: ([x], attrs) => {
    const begin = attrs['begin'] as readonly number[];
    const end = attrs['end'] as readonly (number | null)[];
    const strides = attrs['strides'] as readonly number[];
    const shape = x!.shape;
    if (begin.length !== shape.length || end.length !== shape.length || strides.length !== shape.length) {
      throw new ValueError(
        `stridedSlice: begin ${fmtList(begin)}, end ${fmtList(end)} and strides ${fmtList(strides)} must have one entry per dimension of x ${formatShape(shape)}`,
      );
    }
    const out: Dim[] = [];
    for (let i = 0; i < shape.length; i++) {
      const d = shape[i]!;
      const b = begin[i]!;
      const s = strides[i]!;
      let e = end[i]!;
      if (!Number.isInteger(s) || s === 0) throw new ValueError(`stridedSlice: strides[${i}] must be a non-zero integer, got ${s}`);
      if (s > 0) {
        if (e === null) {
          if (d === null) {
            out.push(null);
            continue;
          }
          e = d;
        }
        if (d !== null && e > d) {
          throw new ValueError(`stridedSlice: end ${e} is past dimension ${i} of x ${formatShape(shape)} (valid: 0 to ${d})`);
        }
        const n = Math.max(0, Math.ceil((e - b) / s));
        if (n > 0 && b < 0) throw new ValueError(`stridedSlice: begin ${b} of dimension ${i} is negative`);
        out.push(n);
      } else {
        if (e === null) e = -1;
        const n = Math.max(0, Math.ceil((e - b) / s));
        if (n > 0 && (e < -1 || (d !== null && b > d - 1))) {
          throw new ValueError(
            `stridedSlice: begin ${b} / end ${e} of dimension ${i} are out of range for x ${formatShape(shape)} (valid: -1 to ${d === null ? '?' : d - 1})`,
          );
        }
        out.push(n);
      }
    }
    return [{ shape: out, dtype: x!.dtype }];
  },
});

interface DimSlice {
  readonly begin: number;
  readonly end: number | null;
  readonly stride: number;
}

function isWholeDim(ds: DimSlice, d: Dim): boolean {
  return ds.stride === 1 && ds.begin === 0 && (ds.end === null || ds.end === d);
}

/** Runs the primitive (or an identity when every dim is taken whole), then regroups dims. */
function runSlice(t: Tensor, dims: readonly DimSlice[], drop: readonly number[], insert: readonly number[]): Tensor {
  const shape = t.shape as PartialShape;
  let whole = true;
  for (let i = 0; i < dims.length; i++) if (!isWholeDim(dims[i]!, shape[i]!)) whole = false;
  if (whole) {
    if (drop.length === 0 && insert.length === 0) return identity(t);
    return regroupDims(t, drop, insert);
  }
  const y = runOp(stridedSliceOp, [t], {
    begin: dims.map((d) => d.begin),
    end: dims.map((d) => d.end),
    strides: dims.map((d) => d.stride),
  })[0]!;
  return regroupDims(y, drop, insert);
}

/**
 * Extracts a block starting at `begin` of size `size` (`-1` means "to the end"). A number for
 * `begin` or `size` applies to the first dimension; missing trailing entries mean "from 0" and
 * "to the end". Out-of-range `begin` or `size` throws a {@link ValueError}.
 *
 * @example
 * ```ts
 * slice(tensor([[1, 2, 3], [4, 5, 6]]), [0, 1], [2, 2]); // [[2, 3], [5, 6]]
 * slice(tensor([[1, 2, 3], [4, 5, 6]]), 1); // [[4, 5, 6]]
 * ```
 */
export function slice(x: TensorLike, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
  const t = toTensor(x, 'slice', 'x');
  const shape = t.shape as PartialShape;
  const r = shape.length;
  const b = typeof begin === 'number' ? [begin] : intList(begin, 'slice', 'begin');
  if (typeof begin === 'number' && !Number.isInteger(begin)) throw new ValueError(`slice: begin must be an integer, got ${begin}`);
  const sz = size === undefined ? [] : typeof size === 'number' ? [size] : intList(size, 'slice', 'size');
  if (typeof size === 'number' && !Number.isInteger(size)) throw new ValueError(`slice: size must be an integer, got ${size}`);
  if (b.length > r || sz.length > r) {
    throw new ValueError(
      `slice: begin ${fmtList(b)} and size ${fmtList(sz)} have more entries than x ${formatShape(shape)} has dimensions (${r})`,
    );
  }
  const dims: DimSlice[] = [];
  for (let i = 0; i < r; i++) {
    const d = shape[i]!;
    const bi = b[i] ?? 0;
    const si = sz[i] ?? -1;
    if (bi < 0 || (d !== null && bi > d)) {
      throw new ValueError(
        `slice: begin[${i}] = ${bi} is out of range for dimension ${i} of x ${formatShape(shape)} (valid: 0 to ${d === null ? '?' : d})`,
      );
    }
    if (si < -1 || (d !== null && si > d - bi)) {
      throw new ValueError(
        `slice: size[${i}] = ${si} is out of range for dimension ${i} of x ${formatShape(shape)} with begin ${bi} ` +
          `(valid: -1 or 0 to ${d === null ? '?' : d - bi})`,
      );
    }
    dims.push({ begin: bi, end: si === -1 ? d : bi + si, stride: 1 });
  }
  return runSlice(t, dims, [], []);
}

/**
 * Options of {@link stridedSlice}: bit masks as in TensorFlow's `strided_slice`.
 *
 * @example
 * ```ts
 * const o: StridedSliceOptions = { beginMask: 1, shrinkAxisMask: 2 };
 * ```
 */
export interface StridedSliceOptions {
  /** Bit i set: ignore `begin[i]` and start at the beginning (or end, for negative strides). */
  readonly beginMask?: number;
  /** Bit i set: ignore `end[i]` and run to the end (or beginning). */
  readonly endMask?: number;
  /** Bit i set: insert a new size-1 dimension at position i. */
  readonly newAxisMask?: number;
  /** Bit i set: take only index `begin[i]` and drop dimension i. */
  readonly shrinkAxisMask?: number;
}

function maskOption(v: unknown, name: string): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
    throw new ValueError(`stridedSlice: ${name} must be a non-negative integer bit mask, got ${String(v)}`);
  }
  return v;
}

/**
 * Python-style `x[begin:end:strides]` on every dimension, with TensorFlow's masks. Entry `i`
 * of the spec applies to the next dimension of `x` (entries with a `newAxisMask` bit insert a
 * dimension instead); dimensions after the spec are taken whole. Indices may be negative
 * (counting from the end) and are clamped like Python's, except that a shrunk index must exist.
 *
 * @example
 * ```ts
 * stridedSlice(range(10), [1], [8], [3]); // [1, 4, 7]
 * stridedSlice(range(5), [-1], [0], [-1], { endMask: 1 }); // [4, 3, 2, 1, 0]
 * stridedSlice(zeros([3, 4]), [1, 0], [2, 4], [1, 1], { shrinkAxisMask: 1 }).shape; // [4]
 * ```
 */
export function stridedSlice(
  x: TensorLike,
  begin: readonly number[],
  end: readonly number[],
  strides?: readonly number[],
  options: StridedSliceOptions = {},
): Tensor {
  const fn = 'stridedSlice';
  const t = toTensor(x, fn, 'x');
  const shape = t.shape as PartialShape;
  const r = shape.length;
  const b = intList(begin, fn, 'begin');
  const e = intList(end, fn, 'end');
  const st = strides === undefined ? b.map(() => 1) : intList(strides, fn, 'strides');
  const m = b.length;
  if (e.length !== m || st.length !== m) {
    throw new ValueError(`${fn}: begin ${fmtList(b)}, end ${fmtList(e)} and strides ${fmtList(st)} must have the same length`);
  }
  const beginMask = maskOption(options.beginMask, 'beginMask');
  const endMask = maskOption(options.endMask, 'endMask');
  const newAxisMask = maskOption(options.newAxisMask, 'newAxisMask');
  const shrinkMask = maskOption(options.shrinkAxisMask, 'shrinkAxisMask');
  const consumed = m - countBits(newAxisMask, m);
  if (consumed > r) {
    throw new ValueError(`${fn}: the spec indexes ${consumed} dimensions, but x ${formatShape(shape)} has only ${r}`);
  }
  const dims: DimSlice[] = [];
  const drop: number[] = [];
  const insert: number[] = [];
  let outPos = 0;
  for (let i = 0; i < m; i++) {
    const bit = 1 << i;
    if (newAxisMask & bit) {
      insert.push(outPos++);
      continue;
    }
    const k = dims.length; // the input dimension this entry slices
    const d = shape[k]!;
    if (shrinkMask & bit) {
      let idx = b[i]!;
      if (d === null) {
        if (idx < 0) throw new ValueError(`${fn}: dimension ${k} of x ${formatShape(shape)} is unknown, so its index must be non-negative, got ${idx}`);
      } else {
        if (idx < -d || idx >= d) {
          throw new ValueError(
            `${fn}: index ${idx} (shrinkAxisMask) is out of range for dimension ${k} of x ${formatShape(shape)} (valid: ${-d} to ${d - 1})`,
          );
        }
        if (idx < 0) idx += d;
      }
      dims.push({ begin: idx, end: idx + 1, stride: 1 });
      drop.push(k);
      continue;
    }
    const s = st[i]!;
    if (s === 0) throw new ValueError(`${fn}: strides[${i}] is 0; strides must be non-zero`);
    let bi: number;
    let ei: number | null;
    if (d === null) {
      if ((!(beginMask & bit) && b[i]! < 0) || (!(endMask & bit) && e[i]! < 0) || (s < 0 && beginMask & bit)) {
        throw new ValueError(
          `${fn}: dimension ${k} of x ${formatShape(shape)} is unknown, so entry ${i} needs non-negative begin and end ` +
            `(and an explicit begin for a negative stride)`,
        );
      }
      bi = beginMask & bit ? 0 : b[i]!;
      ei = endMask & bit ? null : e[i]!;
    } else if (s > 0) {
      bi = beginMask & bit ? 0 : Math.min(Math.max(b[i]! < 0 ? b[i]! + d : b[i]!, 0), d);
      ei = endMask & bit ? d : Math.min(Math.max(e[i]! < 0 ? e[i]! + d : e[i]!, 0), d);
    } else {
      bi = beginMask & bit ? d - 1 : Math.min(Math.max(b[i]! < 0 ? b[i]! + d : b[i]!, -1), d - 1);
      ei = endMask & bit ? -1 : Math.min(Math.max(e[i]! < 0 ? e[i]! + d : e[i]!, -1), d - 1);
    }
    dims.push({ begin: bi, end: ei, stride: s });
    outPos++;
  }
  for (let k = dims.length; k < r; k++) dims.push({ begin: 0, end: shape[k]!, stride: 1 });
  return runSlice(t, dims, drop, insert);
}

// ---- concat, stack, unstack, split ------------------------------------------------------

const concatOp = definePrimitive({
  name: 'concat',
  inputs: ['xs'],
  variadic: true,
  infer: (xs, attrs) => {
    const axis = attrs['axis'] as number;
    if (xs.length === 0) throw new ValueError('concat: needs at least one tensor');
    const first = xs[0]!;
    const r = first.shape.length;
    const shapes = (): string => xs.map((x) => formatShape(x.shape)).join(', ');
    for (const x of xs) {
      if (x.dtype !== first.dtype) {
        throw new DTypeError(`concat: inputs have dtypes ${xs.map((t) => t.dtype).join(', ')}; the kernel needs them equal`);
      }
      if (x.shape.length !== r) throw new ShapeError(`concat: inputs have different ranks: ${shapes()}`);
    }
    if (r === 0) throw new ValueError(`concat: cannot concatenate scalars (shapes ${shapes()}); use stack`);
    if (!Number.isInteger(axis) || axis < 0 || axis >= r) {
      throw new ValueError(`concat: axis ${axis} is out of range for tensors of rank ${r} (valid: ${-r} to ${r - 1})`);
    }
    const out: Dim[] = [...first.shape];
    let sum: Dim = 0;
    for (const x of xs) {
      for (let i = 0; i < r; i++) {
        if (i === axis) continue;
        const d = x.shape[i]!;
        const o = out[i]!;
        if (o === null) out[i] = d;
        else if (d !== null && d !== o) {
          throw new ShapeError(
            `concat: shapes ${shapes()} differ in dimension ${i} (${o} vs ${d}); they must agree on every dimension except axis ${axis}`,
          );
        }
      }
      const d = x.shape[axis]!;
      sum = sum === null || d === null ? null : sum + d;
    }
    out[axis] = sum;
    return [{ shape: out, dtype: first.dtype }];
  },
});

function tensorList(xs: readonly TensorLike[], fn: string): Tensor[] {
  if (!Array.isArray(xs)) throw new ValueError(`${fn}: expects an array of tensors, got ${String(xs)}`);
  if (xs.length === 0) throw new ValueError(`${fn}: needs at least one tensor, got an empty list`);
  const ts: Tensor[] = [];
  let like: DType | undefined;
  for (const x of xs) if (x instanceof Tensor) like ??= x.dtype;
  for (let i = 0; i < xs.length; i++) ts.push(toTensor(xs[i]!, fn, `xs[${i}]`, like));
  return promoteAll(ts);
}

/**
 * Joins tensors along an existing axis (negative counts from the end). All inputs must have
 * the same rank and agree on every other dimension; dtypes are promoted to a common one
 * (`bool < int32 < float32 < float64`).
 *
 * @example
 * ```ts
 * concat([zeros([2, 1]), ones([2, 2])], 1).shape; // [2, 3]
 * concat([tensor([1]), tensor([2, 3])]); // [1, 2, 3]
 * ```
 */
export function concat(xs: readonly TensorLike[], axis = 0): Tensor {
  const ts = tensorList(xs, 'concat');
  const r = ts[0]!.rank;
  const shapes = ts.map((t) => formatShape(t.shape)).join(', ');
  for (const t of ts) if (t.rank !== r) throw new ShapeError(`concat: inputs have different ranks: ${shapes}`);
  if (r === 0) throw new ValueError(`concat: cannot concatenate scalars (shapes ${shapes}); use stack`);
  const a = normalizeAxis(axis, r, 'concat');
  return runOp(concatOp, ts, { axis: a })[0]!;
}

/**
 * Joins same-shaped tensors along a new axis (`axis` in `-(rank+1)..rank`). Dtypes are promoted
 * as in {@link concat}.
 *
 * @example
 * ```ts
 * stack([tensor([1, 2]), tensor([3, 4])]); // [[1, 2], [3, 4]]
 * stack([tensor([1, 2]), tensor([3, 4])], 1); // [[1, 3], [2, 4]]
 * ```
 */
export function stack(xs: readonly TensorLike[], axis = 0): Tensor {
  const ts = tensorList(xs, 'stack');
  const s0 = ts[0]!.shape as PartialShape;
  for (const t of ts) {
    const s = t.shape as PartialShape;
    let ok = s.length === s0.length;
    for (let i = 0; ok && i < s.length; i++) if (s[i] !== s0[i] && s[i] !== null && s0[i] !== null) ok = false;
    if (!ok) {
      throw new ShapeError(`stack: all tensors must have the same shape, got ${ts.map((u) => formatShape(u.shape)).join(', ')}`);
    }
  }
  const a = normalizeAxis(axis, s0.length + 1, 'stack');
  const parts = ts.map((t) => runOp(expandDimsOp, [t], { axis: a })[0]!);
  return runOp(concatOp, parts, { axis: a })[0]!;
}

/**
 * Splits a tensor into the slices along `axis`, removing that axis.
 *
 * @example
 * ```ts
 * unstack(tensor([[1, 2], [3, 4]])); // [tensor([1, 2]), tensor([3, 4])]
 * unstack(tensor([[1, 2], [3, 4]]), 1); // [tensor([1, 3]), tensor([2, 4])]
 * ```
 */
export function unstack(x: TensorLike, axis = 0): Tensor[] {
  const t = toTensor(x, 'unstack', 'x');
  const shape = t.shape as PartialShape;
  if (shape.length === 0) throw new ValueError('unstack: cannot unstack a scalar (rank 0)');
  const a = normalizeAxis(axis, shape.length, 'unstack');
  const n = shape[a];
  if (n === null || n === undefined) throw new ValueError(`unstack: dimension ${a} of x ${formatShape(shape)} must be known`);
  const out: Tensor[] = [];
  for (let i = 0; i < n; i++) {
    const dims = shape.map((d, k): DimSlice => (k === a ? { begin: i, end: i + 1, stride: 1 } : { begin: 0, end: d, stride: 1 }));
    out.push(runSlice(t, dims, [a], []));
  }
  return out;
}

/**
 * Splits a tensor along `axis` into `n` equal parts, or into parts of the given sizes
 * (one size may be `-1`: the rest).
 *
 * @example
 * ```ts
 * split(range(6), 3); // three tensors of 2
 * split(range(6), [1, -1]); // sizes 1 and 5
 * ```
 */
export function split(x: TensorLike, numOrSizeSplits: number | readonly number[], axis = 0): Tensor[] {
  const t = toTensor(x, 'split', 'x');
  const shape = t.shape as PartialShape;
  if (shape.length === 0) throw new ValueError('split: cannot split a scalar (rank 0)');
  const a = normalizeAxis(axis, shape.length, 'split');
  const n = shape[a];
  if (n === null || n === undefined) throw new ValueError(`split: dimension ${a} of x ${formatShape(shape)} must be known`);
  let sizes: number[];
  if (typeof numOrSizeSplits === 'number') {
    checkInteger(numOrSizeSplits, 'split', 'the number of splits', 1);
    if (n % numOrSizeSplits !== 0) {
      throw new ValueError(
        `split: dimension ${a} of x ${formatShape(shape)} has size ${n}, which does not divide into ${numOrSizeSplits} equal parts`,
      );
    }
    sizes = new Array<number>(numOrSizeSplits).fill(n / numOrSizeSplits);
  } else {
    sizes = intList(numOrSizeSplits, 'split', 'sizes');
    const free = sizes.indexOf(-1);
    if (sizes.some((s, i) => s < -1 || (s === -1 && i !== free))) {
      throw new ValueError(`split: sizes ${fmtList(sizes)} must be non-negative integers, with at most one -1`);
    }
    const known = sizes.reduce((acc, s) => (s === -1 ? acc : acc + s), 0);
    if (free >= 0) {
      if (known > n) throw new ValueError(`split: sizes ${fmtList(sizes)} add up to more than dimension ${a}'s size ${n}`);
      sizes[free] = n - known;
    } else if (known !== n) {
      throw new ValueError(`split: sizes ${fmtList(sizes)} add up to ${known}, but dimension ${a} of x ${formatShape(shape)} has size ${n}`);
    }
  }
  const out: Tensor[] = [];
  let off = 0;
  for (const s of sizes) {
    const dims = shape.map((d, k): DimSlice => (k === a ? { begin: off, end: off + s, stride: 1 } : { begin: 0, end: d, stride: 1 }));
    out.push(runSlice(t, dims, [], []));
    off += s;
  }
  return out;
}

// ---- pad, tile --------------------------------------------------------------------------

const padOp = definePrimitive({
  name: 'pad',
  inputs: ['x'],
  infer: ([x], attrs) => {
    const p = attrs['paddings'] as readonly (readonly [number, number])[];
    if (p.length !== x!.shape.length) {
      throw new ValueError(`pad: paddings has ${p.length} entries, but x ${formatShape(x!.shape)} has rank ${x!.shape.length}`);
    }
    return [{ shape: x!.shape.map((d, i) => (d === null ? null : d + p[i]![0] + p[i]![1])), dtype: x!.dtype }];
  },
});

/**
 * Pads with a constant. `paddings[i] = [before, after]` for dimension i (non-negative
 * integers, one pair per dimension). The constant must be valid for the dtype (an integer for
 * int32, 0/1 or a boolean for bool).
 *
 * @example
 * ```ts
 * pad(tensor([1, 2]), [[1, 2]]); // [0, 1, 2, 0, 0]
 * pad(tensor([[1]]), [[0, 1], [1, 0]], 9); // [[9, 1], [9, 9]]
 * ```
 */
export function pad(x: TensorLike, paddings: readonly (readonly [number, number])[], constantValue: number | boolean = 0): Tensor {
  const t = toTensor(x, 'pad', 'x');
  if (!Array.isArray(paddings) || paddings.length !== t.rank) {
    throw new ValueError(
      `pad: paddings must be an array of ${t.rank} [before, after] pairs (one per dimension of x ${formatShape(t.shape)}), got ${JSON.stringify(paddings)}`,
    );
  }
  const p: [number, number][] = [];
  for (let i = 0; i < paddings.length; i++) {
    const pr = paddings[i] as unknown;
    if (!Array.isArray(pr) || pr.length !== 2 || !pr.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0)) {
      throw new ValueError(`pad: paddings[${i}] must be a pair of non-negative integers [before, after], got ${JSON.stringify(pr)}`);
    }
    p.push([pr[0] as number, pr[1] as number]);
  }
  let cv = typeof constantValue === 'boolean' ? (constantValue ? 1 : 0) : constantValue;
  if (typeof cv !== 'number') throw new ValueError(`pad: constantValue must be a number, got ${typeof cv}`);
  if (t.dtype === 'int32' && (!Number.isInteger(cv) || cv < -2147483648 || cv > 2147483647)) {
    throw new ValueError(`pad: constantValue ${cv} is not an int32 value (x is int32)`);
  }
  if (t.dtype === 'bool' && cv !== 0 && cv !== 1) throw new ValueError(`pad: constantValue ${cv} is not a bool value (x is bool; use 0, 1, false or true)`);
  if (t.dtype === 'float32') cv = Math.fround(cv);
  return runOp(padOp, [t], { paddings: p, constantValue: cv })[0]!;
}

const tileOp = definePrimitive({
  name: 'tile',
  inputs: ['x'],
  infer: ([x], attrs) => {
    const reps = attrs['reps'] as readonly number[];
    if (reps.length !== x!.shape.length) {
      throw new ValueError(`tile: reps ${fmtList(reps)} must have one entry per dimension of x ${formatShape(x!.shape)}`);
    }
    return [{ shape: x!.shape.map((d, i) => (reps[i] === 0 ? 0 : d === null ? null : d * reps[i]!)), dtype: x!.dtype }];
  },
});

/**
 * Repeats the tensor `reps[i]` times along dimension i (`reps` has one non-negative integer per
 * dimension).
 *
 * @example
 * ```ts
 * tile(tensor([1, 2]), [2]); // [1, 2, 1, 2]
 * tile(tensor([[1], [2]]), [1, 3]); // [[1, 1, 1], [2, 2, 2]]
 * ```
 */
export function tile(x: TensorLike, reps: readonly number[]): Tensor {
  const t = toTensor(x, 'tile', 'x');
  const rp = intList(reps, 'tile', 'reps');
  if (rp.length !== t.rank || rp.some((v) => v < 0)) {
    throw new ValueError(
      `tile: reps ${fmtList(rp)} must have one non-negative integer per dimension of x ${formatShape(t.shape)} (rank ${t.rank})`,
    );
  }
  return runOp(tileOp, [t], { reps: rp })[0]!;
}

// ---- gather, oneHot ---------------------------------------------------------------------

const gatherOp = definePrimitive({
  name: 'gather',
  inputs: ['x', 'indices'],
  infer: ([x, idx], attrs) => {
    const axis = attrs['axis'] as number;
    if (idx!.dtype !== 'int32') throw new DTypeError(`gather: indices must be int32, got ${idx!.dtype}`);
    const r = x!.shape.length;
    if (!Number.isInteger(axis) || axis < 0 || axis >= r) {
      throw new ValueError(`gather: axis ${axis} is out of range for x ${formatShape(x!.shape)} (valid: ${-r} to ${r - 1})`);
    }
    return [{ shape: [...x!.shape.slice(0, axis), ...idx!.shape, ...x!.shape.slice(axis + 1)], dtype: x!.dtype }];
  },
});

/**
 * Picks slices along `axis` at the given int32 indices (an int32 tensor, or integers). The
 * result has shape `x.shape[:axis] + indices.shape + x.shape[axis+1:]`. An index outside
 * `[0, x.shape[axis])` throws a {@link ValueError} on the CPU backend; backends that cannot
 * check cheaply (WebGPU) clamp it instead, so do not rely on either behaviour.
 *
 * @example
 * ```ts
 * gather(tensor([10, 20, 30]), tensor([2, 0], undefined, 'int32')); // [30, 10]
 * gather(tensor([[1, 2], [3, 4]]), [1, 1], 1); // [[2, 2], [4, 4]]
 * ```
 */
export function gather(x: TensorLike, indices: TensorLike, axis = 0): Tensor {
  const t = toTensor(x, 'gather', 'x');
  const idx = indexTensor(indices, 'gather', 'indices');
  if (t.rank === 0) throw new ValueError('gather: x must have rank at least 1, got a scalar');
  const a = normalizeAxis(axis, t.rank, 'gather');
  return runOp(gatherOp, [t, idx], { axis: a })[0]!;
}

/**
 * Options of {@link oneHot}.
 *
 * @example
 * ```ts
 * const o: OneHotOptions = { onValue: 1, offValue: 0, dtype: 'float32' };
 * ```
 */
export interface OneHotOptions {
  /** Value at the hot index (default 1). */
  readonly onValue?: number;
  /** Value elsewhere (default 0). */
  readonly offValue?: number;
  /** Result dtype (default float32). */
  readonly dtype?: DType;
}

const oneHotOp = defineComposite({
  name: 'oneHot',
  inputs: ['indices'],
  infer: ([idx], attrs) => {
    if (idx!.dtype !== 'int32') throw new DTypeError(`oneHot: indices must be int32, got ${idx!.dtype}`);
    return [{ shape: [...idx!.shape, attrs['depth'] as number], dtype: attrs['dtype'] as DType }];
  },
  compose: ([idx], attrs) => {
    const depth = attrs['depth'] as number;
    const dtype = attrs['dtype'] as DType;
    const col = aliasAs(idx!, [...idx!.shape, 1]);
    const hot = equal(col, range(0, depth, 1, 'int32'));
    return [where(hot, scalar(attrs['onValue'] as number, dtype), scalar(attrs['offValue'] as number, dtype))];
  },
});

/**
 * One-hot encodes int32 indices into a new last dimension of size `depth`; out-of-range
 * (including negative) indices give all-`offValue` rows. A composite (no kernel).
 *
 * @example
 * ```ts
 * oneHot(tensor([0, 2], undefined, 'int32'), 3); // [[1, 0, 0], [0, 0, 1]]
 * oneHot([1], 2, { onValue: 5, offValue: -1, dtype: 'int32' }); // [[-1, 5]]
 * ```
 */
export function oneHot(indices: TensorLike, depth: number, options: OneHotOptions = {}): Tensor {
  const idx = indexTensor(indices, 'oneHot', 'indices');
  checkInteger(depth, 'oneHot', 'depth', 0);
  const dtype = options.dtype ?? 'float32';
  assertDType(dtype, 'oneHot');
  const onValue = options.onValue ?? 1;
  const offValue = options.offValue ?? 0;
  for (const [n, v] of [['onValue', onValue], ['offValue', offValue]] as const) {
    if (typeof v !== 'number') throw new ValueError(`oneHot: ${n} must be a number, got ${typeof v}`);
    if (dtype === 'int32' && !Number.isInteger(v)) throw new ValueError(`oneHot: ${n} ${v} is not an integer (dtype is int32)`);
  }
  return runOp(oneHotOp, [idx], { depth, onValue, offValue, dtype })[0]!;
}

// ---- broadcastTo, reverse ---------------------------------------------------------------

function checkBroadcastTo(from: PartialShape, to: PartialShape, fn: string): void {
  let ok = from.length <= to.length;
  for (let i = 0; ok && i < from.length; i++) {
    const d = from[from.length - 1 - i]!;
    const t = to[to.length - 1 - i]!;
    if (d !== 1 && d !== null && t !== null && d !== t) ok = false;
  }
  if (!ok) {
    throw new ShapeError(
      `${fn}: cannot broadcast shape ${formatShape(from)} to ${formatShape(to)} ` +
        `(aligned on the right, each dimension of x must equal the target's or be 1, and x's rank must not exceed the target's)`,
    );
  }
}

const broadcastToOp = definePrimitive({
  name: 'broadcastTo',
  inputs: ['x'],
  infer: ([x], attrs) => {
    const shape = attrs['shape'] as readonly number[];
    checkBroadcastTo(x!.shape, shape, 'broadcastTo');
    return [{ shape: [...shape], dtype: x!.dtype }];
  },
});

/**
 * Broadcasts `x` to `shape` (NumPy rules: aligned on the right, each dimension of `x` equals
 * the target's or is 1). When nothing is repeated this is a reshape (no copy).
 *
 * @example
 * ```ts
 * broadcastTo(tensor([1, 2]), [2, 2]); // [[1, 2], [1, 2]]
 * ```
 */
export function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  const t = toTensor(x, 'broadcastTo', 'x');
  checkShape(shape, 'broadcastTo');
  const target = [...shape];
  checkBroadcastTo(t.shape, target, 'broadcastTo');
  const size = sizeOf(t.shape as PartialShape);
  if (size !== null && size === sizeOf(target)) return aliasAs(t, target);
  return runOp(broadcastToOp, [t], { shape: target })[0]!;
}

const reverseOp = definePrimitive({
  name: 'reverse',
  inputs: ['x'],
  infer: ([x], attrs) => {
    const axes = attrs['axes'] as readonly number[];
    for (const a of axes) {
      if (!Number.isInteger(a) || a < 0 || a >= x!.shape.length) {
        throw new ValueError(`reverse: axis ${a} is out of range for x ${formatShape(x!.shape)}`);
      }
    }
    return [{ shape: x!.shape, dtype: x!.dtype }];
  },
});

/**
 * Reverses the order of elements along the given axes (all axes by default; negative axes
 * count from the end).
 *
 * @example
 * ```ts
 * reverse(tensor([1, 2, 3])); // [3, 2, 1]
 * reverse(tensor([[1, 2], [3, 4]]), -1); // [[2, 1], [4, 3]]
 * ```
 */
export function reverse(x: TensorLike, axis?: number | readonly number[]): Tensor {
  const t = toTensor(x, 'reverse', 'x');
  const axes = normalizeAxes(axis, t.rank, 'reverse');
  return runOp(reverseOp, [t], { axes })[0]!;
}

// ---- unsortedSegmentSum -----------------------------------------------------------------

const unsortedSegmentSumOp = definePrimitive({
  name: 'unsortedSegmentSum',
  inputs: ['x', 'segmentIds'],
  infer: ([x, ids], attrs) => {
    const n = attrs['numSegments'] as number;
    if (ids!.dtype !== 'int32') throw new DTypeError(`unsortedSegmentSum: segmentIds must be int32, got ${ids!.dtype}`);
    if (x!.dtype === 'bool') throw new DTypeError('unsortedSegmentSum: x must be numeric, got bool');
    const xs = x!.shape;
    const is = ids!.shape;
    let ok = is.length <= xs.length;
    for (let i = 0; ok && i < is.length; i++) if (is[i] !== xs[i] && is[i] !== null && xs[i] !== null) ok = false;
    if (!ok) {
      throw new ShapeError(
        `unsortedSegmentSum: segmentIds shape ${formatShape(is)} must be a prefix of x's shape ${formatShape(xs)}`,
      );
    }
    return [{ shape: [n, ...xs.slice(is.length)], dtype: x!.dtype }];
  },
});

/**
 * Sums slices of `x` into `numSegments` rows by int32 segment id (ids outside
 * `[0, numSegments)` are dropped). `segmentIds`' shape must be a prefix of `x`'s; the result has
 * shape `[numSegments, ...x.shape[segmentIds.rank:]]`. Bool `x` is summed as int32. The
 * gradient of {@link gather}.
 *
 * @example
 * ```ts
 * unsortedSegmentSum(tensor([1, 2, 3]), tensor([0, 1, 0], undefined, 'int32'), 2); // [4, 2]
 * unsortedSegmentSum(tensor([[1, 2], [3, 4]]), [1, 1], 2); // [[0, 0], [4, 6]]
 * ```
 */
export function unsortedSegmentSum(x: TensorLike, segmentIds: TensorLike, numSegments: number): Tensor {
  let t = toTensor(x, 'unsortedSegmentSum', 'x');
  const ids = indexTensor(segmentIds, 'unsortedSegmentSum', 'segmentIds');
  checkInteger(numSegments, 'unsortedSegmentSum', 'numSegments', 0);
  if (t.dtype === 'bool') t = cast(t, 'int32');
  return runOp(unsortedSegmentSumOp, [t, ids], { numSegments })[0]!;
}
