/**
 * Reduction kernels: `sum`, `prod`, `max`, `min`, `any`, `all` over a sorted list of axes,
 * `argMax`/`argMin` and `cumsum` along one axis.
 *
 * Reductions over several axes first drop size-1 dimensions and merge neighbouring dimensions
 * that are both reduced or both kept. The input is then a sequence of rows (its last merged
 * dimension), read contiguously: when that dimension is reduced each row folds into one running
 * value; when it is kept, the row is combined elementwise into a contiguous output row.
 * `sum` and `prod` of floats accumulate in float64 and round once at the end.
 */
import type { Kernel, Shape, TypedArray } from '@tessera/core';
import type { CpuContext } from '../context.js';

/** How a multi-axis reduction walks its input. */
interface ReducePlan {
  /** Length of each contiguous input row. */
  readonly rowLen: number;
  /** Whether the row is reduced (folds into one value) or kept (maps onto an output row). */
  readonly rowReduced: boolean;
  /** Output offset of each row. */
  readonly rowOut: Int32Array;
}

const planCache = new Map<string, ReducePlan>();
const MAX_PLANS = 64;

/**
 * A reduction's shape with size-1 dims dropped and neighbouring dims of the same kind (reduced or
 * kept) merged: `dims[i]` is a size, `red[i]` whether it is reduced.
 * @internal
 */
export function mergeReduceDims(shape: Shape, axes: readonly number[]): { dims: number[]; red: boolean[] } {
  const dims: number[] = [];
  const red: boolean[] = [];
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === 1) continue;
    const r = axes.includes(i);
    const last = dims.length - 1;
    if (last >= 0 && red[last] === r) dims[last] = dims[last]! * d;
    else {
      dims.push(d);
      red.push(r);
    }
  }
  return { dims, red };
}

function makePlan(shape: Shape, axes: readonly number[]): ReducePlan {
  const key = `${shape.join(',')}|${axes.join(',')}`;
  const hit = planCache.get(key);
  if (hit !== undefined) return hit;
  const { dims, red } = mergeReduceDims(shape, axes);
  let plan: ReducePlan;
  if (dims.length === 0) {
    plan = { rowLen: 1, rowReduced: true, rowOut: new Int32Array(1) };
  } else {
    const nd = dims.length;
    const rowLen = dims[nd - 1]!;
    const rowReduced = red[nd - 1]!;
    // output strides of the outer (row-indexing) dims; kept dims only
    const outStride = new Array<number>(nd).fill(0);
    let acc = 1;
    for (let i = nd - 1; i >= 0; i--) {
      if (!red[i]) {
        outStride[i] = acc;
        acc *= dims[i]!;
      }
    }
    let rows = 1;
    for (let i = 0; i < nd - 1; i++) rows *= dims[i]!;
    const rowOut = new Int32Array(rows);
    const counter = new Array<number>(nd - 1).fill(0);
    let off = 0;
    for (let r = 0; r < rows; r++) {
      rowOut[r] = off;
      for (let d = nd - 2; d >= 0; d--) {
        counter[d]!++;
        off += outStride[d]!;
        if (counter[d]! < dims[d]!) break;
        off -= outStride[d]! * dims[d]!;
        counter[d] = 0;
      }
    }
    plan = { rowLen, rowReduced, rowOut };
  }
  if (planCache.size >= MAX_PLANS) planCache.delete(planCache.keys().next().value!);
  planCache.set(key, plan);
  return plan;
}

function sumInto(x: TypedArray, acc: Float64Array, p: ReducePlan): void {
  const L = p.rowLen;
  const rows = p.rowOut;
  const nr = rows.length;
  if (p.rowReduced) {
    for (let r = 0; r < nr; r++) {
      const base = r * L;
      let s = 0;
      for (let j = 0; j < L; j++) s += x[base + j]!;
      const o = rows[r]!;
      acc[o] = acc[o]! + s;
    }
  } else {
    for (let r = 0; r < nr; r++) {
      const base = r * L;
      const o = rows[r]!;
      for (let j = 0; j < L; j++) acc[o + j] = acc[o + j]! + x[base + j]!;
    }
  }
}

function prodInto(x: TypedArray, acc: Float64Array, p: ReducePlan): void {
  const L = p.rowLen;
  const rows = p.rowOut;
  const nr = rows.length;
  if (p.rowReduced) {
    for (let r = 0; r < nr; r++) {
      const base = r * L;
      let s = 1;
      for (let j = 0; j < L; j++) s *= x[base + j]!;
      const o = rows[r]!;
      acc[o] = acc[o]! * s;
    }
  } else {
    for (let r = 0; r < nr; r++) {
      const base = r * L;
      const o = rows[r]!;
      for (let j = 0; j < L; j++) acc[o + j] = acc[o + j]! * x[base + j]!;
    }
  }
}

/* int32 product wraps like int32 (Math.imul), which float64 products would not. */
function prodIntInto(x: TypedArray, acc: Int32Array, p: ReducePlan): void {
  const L = p.rowLen;
  const rows = p.rowOut;
  const nr = rows.length;
  if (p.rowReduced) {
    for (let r = 0; r < nr; r++) {
      const base = r * L;
      let s = 1;
      for (let j = 0; j < L; j++) s = Math.imul(s, x[base + j]!);
      const o = rows[r]!;
      acc[o] = Math.imul(acc[o]!, s);
    }
  } else {
    for (let r = 0; r < nr; r++) {
      const base = r * L;
      const o = rows[r]!;
      for (let j = 0; j < L; j++) acc[o + j] = Math.imul(acc[o + j]!, x[base + j]!);
    }
  }
}

/* max/min: once a NaN is seen it sticks (v > m is false for NaN m; v !== v catches a new NaN). */
function maxInto(x: TypedArray, o: TypedArray, p: ReducePlan): void {
  const L = p.rowLen;
  const rows = p.rowOut;
  const nr = rows.length;
  if (p.rowReduced) {
    for (let r = 0; r < nr; r++) {
      const base = r * L;
      const oi = rows[r]!;
      let m = o[oi]!;
      for (let j = 0; j < L; j++) {
        const v = x[base + j]!;
        if (v > m || v !== v) m = v;
      }
      o[oi] = m;
    }
  } else {
    for (let r = 0; r < nr; r++) {
      const base = r * L;
      const oi = rows[r]!;
      for (let j = 0; j < L; j++) {
        const v = x[base + j]!;
        if (v > o[oi + j]! || v !== v) o[oi + j] = v;
      }
    }
  }
}

function minInto(x: TypedArray, o: TypedArray, p: ReducePlan): void {
  const L = p.rowLen;
  const rows = p.rowOut;
  const nr = rows.length;
  if (p.rowReduced) {
    for (let r = 0; r < nr; r++) {
      const base = r * L;
      const oi = rows[r]!;
      let m = o[oi]!;
      for (let j = 0; j < L; j++) {
        const v = x[base + j]!;
        if (v < m || v !== v) m = v;
      }
      o[oi] = m;
    }
  } else {
    for (let r = 0; r < nr; r++) {
      const base = r * L;
      const oi = rows[r]!;
      for (let j = 0; j < L; j++) {
        const v = x[base + j]!;
        if (v < o[oi + j]! || v !== v) o[oi + j] = v;
      }
    }
  }
}

/* any: output starts at 0 and becomes 1; all: starts at 1 and becomes 0. */
function anyInto(x: TypedArray, o: TypedArray, p: ReducePlan): void {
  const L = p.rowLen;
  const rows = p.rowOut;
  const nr = rows.length;
  if (p.rowReduced) {
    for (let r = 0; r < nr; r++) {
      const base = r * L;
      const oi = rows[r]!;
      if (o[oi] !== 0) continue;
      for (let j = 0; j < L; j++) {
        if (x[base + j] !== 0) {
          o[oi] = 1;
          break;
        }
      }
    }
  } else {
    for (let r = 0; r < nr; r++) {
      const base = r * L;
      const oi = rows[r]!;
      for (let j = 0; j < L; j++) if (x[base + j] !== 0) o[oi + j] = 1;
    }
  }
}

function allInto(x: TypedArray, o: TypedArray, p: ReducePlan): void {
  const L = p.rowLen;
  const rows = p.rowOut;
  const nr = rows.length;
  if (p.rowReduced) {
    for (let r = 0; r < nr; r++) {
      const base = r * L;
      const oi = rows[r]!;
      if (o[oi] === 0) continue;
      for (let j = 0; j < L; j++) {
        if (x[base + j] === 0) {
          o[oi] = 0;
          break;
        }
      }
    }
  } else {
    for (let r = 0; r < nr; r++) {
      const base = r * L;
      const oi = rows[r]!;
      for (let j = 0; j < L; j++) if (x[base + j] === 0) o[oi + j] = 0;
    }
  }
}

/** Splits `shape` around `axis` into [outer, length, inner] (a scalar is [1, 1, 1]). */
function around(shape: Shape, axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape.length === 0 ? 1 : shape[axis]!, inner];
}

/* argMax/argMin along one axis; ties keep the first index, the first NaN wins. */
function argReduce(x: TypedArray, o: Int32Array, shape: Shape, axis: number, isMax: boolean): void {
  const [outer, len, inner] = around(shape, axis);
  if (outer * inner === 0 || len === 0) return;
  const best = new Float64Array(inner);
  for (let a = 0; a < outer; a++) {
    const xb = a * len * inner;
    const ob = a * inner;
    for (let j = 0; j < inner; j++) {
      best[j] = x[xb + j]!;
      o[ob + j] = 0;
    }
    for (let r = 1; r < len; r++) {
      const rb = xb + r * inner;
      if (isMax) {
        for (let j = 0; j < inner; j++) {
          const v = x[rb + j]!;
          const b = best[j]!;
          if (v > b || (v !== v && b === b)) {
            best[j] = v;
            o[ob + j] = r;
          }
        }
      } else {
        for (let j = 0; j < inner; j++) {
          const v = x[rb + j]!;
          const b = best[j]!;
          if (v < b || (v !== v && b === b)) {
            best[j] = v;
            o[ob + j] = r;
          }
        }
      }
    }
  }
}

/* Cumulative sum along one axis, accumulating in float64. */
function cumsumAlong(x: TypedArray, o: TypedArray, shape: Shape, axis: number, exclusive: boolean, reverse: boolean): void {
  const [outer, len, inner] = around(shape, axis);
  if (outer * len * inner === 0) return;
  const run = new Float64Array(inner);
  const start = reverse ? len - 1 : 0;
  const step = reverse ? -1 : 1;
  for (let a = 0; a < outer; a++) {
    const base = a * len * inner;
    run.fill(0);
    for (let c = 0, r = start; c < len; c++, r += step) {
      const rb = base + r * inner;
      if (exclusive) {
        for (let j = 0; j < inner; j++) {
          const v = x[rb + j]!;
          o[rb + j] = run[j]!;
          run[j] = run[j]! + v;
        }
      } else {
        for (let j = 0; j < inner; j++) {
          run[j] = run[j]! + x[rb + j]!;
          o[rb + j] = run[j]!;
        }
      }
    }
  }
}

/** Builds the reduce kernels over a CPU context. @internal */
export function reduceKernels(ctx: CpuContext): Record<string, Kernel> {
  const kernels: Record<string, Kernel> = {};

  kernels['sum'] = ({ inputs, attrs, outputs }) => {
    const X = inputs[0]!;
    const x = ctx.get(X.dataId);
    const [id, o] = ctx.alloc(outputs[0]!);
    if (x.length > 0) {
      const p = makePlan(X.shape, attrs['axes'] as number[]);
      if (o instanceof Float64Array) sumInto(x, o, p);
      else {
        // float32 and int32: accumulate in float64, round (or wrap) once
        const acc = new Float64Array(o.length);
        sumInto(x, acc, p);
        o.set(acc);
      }
    }
    return id;
  };

  kernels['prod'] = ({ inputs, attrs, outputs }) => {
    const X = inputs[0]!;
    const x = ctx.get(X.dataId);
    const [id, o] = ctx.alloc(outputs[0]!);
    o.fill(1);
    if (x.length > 0) {
      const p = makePlan(X.shape, attrs['axes'] as number[]);
      if (o instanceof Int32Array) prodIntInto(x, o, p);
      else if (o instanceof Float64Array) prodInto(x, o, p);
      else {
        const acc = new Float64Array(o.length).fill(1);
        prodInto(x, acc, p);
        o.set(acc);
      }
    }
    return id;
  };

  const ordered = (isMax: boolean): Kernel => ({ inputs, attrs, outputs }) => {
    const X = inputs[0]!;
    const x = ctx.get(X.dataId);
    const [id, o] = ctx.alloc(outputs[0]!);
    const isInt = o instanceof Int32Array;
    o.fill(isMax ? (isInt ? -2147483648 : -Infinity) : isInt ? 2147483647 : Infinity);
    if (x.length > 0) {
      const p = makePlan(X.shape, attrs['axes'] as number[]);
      if (isMax) maxInto(x, o, p);
      else minInto(x, o, p);
    }
    return id;
  };
  kernels['max'] = ordered(true);
  kernels['min'] = ordered(false);

  kernels['any'] = ({ inputs, attrs, outputs }) => {
    const X = inputs[0]!;
    const x = ctx.get(X.dataId);
    const [id, o] = ctx.alloc(outputs[0]!);
    if (x.length > 0) anyInto(x, o, makePlan(X.shape, attrs['axes'] as number[]));
    return id;
  };

  kernels['all'] = ({ inputs, attrs, outputs }) => {
    const X = inputs[0]!;
    const x = ctx.get(X.dataId);
    const [id, o] = ctx.alloc(outputs[0]!);
    o.fill(1);
    if (x.length > 0) allInto(x, o, makePlan(X.shape, attrs['axes'] as number[]));
    return id;
  };

  const arg = (isMax: boolean): Kernel => ({ inputs, attrs, outputs }) => {
    const X = inputs[0]!;
    const [id, o] = ctx.alloc(outputs[0]!);
    argReduce(ctx.get(X.dataId), o as Int32Array, X.shape, attrs['axis'] as number, isMax);
    return id;
  };
  kernels['argMax'] = arg(true);
  kernels['argMin'] = arg(false);

  kernels['cumsum'] = ({ inputs, attrs, outputs }) => {
    const X = inputs[0]!;
    const [id, o] = ctx.alloc(outputs[0]!);
    cumsumAlong(ctx.get(X.dataId), o, X.shape, attrs['axis'] as number, attrs['exclusive'] === true, attrs['reverse'] === true);
    return id;
  };

  return kernels;
}
