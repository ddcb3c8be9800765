/**
 * Shape kernels: transpose, stridedSlice, concat, pad, tile, gather, broadcastTo, reverse,
 * unsortedSegmentSum. Attributes arrive normalized by core (see `@tessera/core`'s shape ops).
 *
 * Most of them are one routine, {@link stridedCopy}: the output is walked in row-major order
 * while the input offset advances by a per-dimension step (a slice stride, a permuted stride,
 * a negated stride for reverse, 0 for a broadcast dimension). Before walking, dimensions of
 * size 1 are dropped and neighbours that stay contiguous are merged, so the inner loop is as
 * long as possible; unit-step rows are copied with `TypedArray.set`.
 */
import { ValueError, sizeOf, stridesOf, type Kernel, type Shape, type TypedArray } from '@tessera/core';
import type { CpuContext } from '../context.js';

/** Rows at least this long are copied with `set(subarray)` rather than an element loop. */
const SET_MIN = 32;
/** Tile edge of the blocked 2-D transpose. */
const BLOCK = 32;

/**
 * Writes `out[j] = src[start + sum_d j_d * steps[d]]` for every multi-index `j` of `shape`
 * (row-major), into `out` from `outOffset`.
 * @internal
 */
export function stridedCopy(
  src: TypedArray,
  out: TypedArray,
  outOffset: number,
  shape: readonly number[],
  start: number,
  steps: readonly number[],
): void {
  // canonicalize: drop size-1 dims, merge dims whose steps chain (step[d] = step[d+1] * size[d+1])
  const sz: number[] = [];
  const st: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 0) return;
    if (n === 1) continue;
    const k = sz.length - 1;
    if (k >= 0 && st[k] === steps[d]! * n) {
      sz[k] = sz[k]! * n;
      st[k] = steps[d]!;
    } else {
      sz.push(n);
      st.push(steps[d]!);
    }
  }
  const r = sz.length;
  if (r === 0) {
    out[outOffset] = src[start]!;
    return;
  }
  const inner = sz[r - 1]!;
  const step = st[r - 1]!;
  const outer = r === 1 ? 1 : sizeOf(sz.slice(0, r - 1));
  const counter = new Int32Array(r);
  let off = start;
  let o = outOffset;
  for (let row = 0; row < outer; row++) {
    if (step === 1) {
      if (inner >= SET_MIN) out.set(src.subarray(off, off + inner), o);
      else for (let j = 0; j < inner; j++) out[o + j] = src[off + j]!;
    } else if (step === 0) {
      out.fill(src[off]!, o, o + inner);
    } else {
      for (let j = 0, k = off; j < inner; j++, k += step) out[o + j] = src[k]!;
    }
    o += inner;
    for (let d = r - 2; d >= 0; d--) {
      off += st[d]!;
      if (++counter[d]! < sz[d]!) break;
      off -= st[d]! * sz[d]!;
      counter[d] = 0;
    }
  }
}

/** `out[b, j, i] = src[b, i, j]` for `batch` matrices of `rows x cols`, in cache-sized tiles. */
function batchTranspose2d(src: TypedArray, out: TypedArray, batch: number, rows: number, cols: number): void {
  const m = rows * cols;
  for (let b = 0; b < batch; b++) {
    const base = b * m;
    for (let i0 = 0; i0 < rows; i0 += BLOCK) {
      const i1 = Math.min(i0 + BLOCK, rows);
      for (let j0 = 0; j0 < cols; j0 += BLOCK) {
        const j1 = Math.min(j0 + BLOCK, cols);
        for (let i = i0; i < i1; i++) {
          const s = base + i * cols;
          for (let j = j0; j < j1; j++) out[base + j * rows + i] = src[s + j]!;
        }
      }
    }
  }
}

function transposeInto(src: TypedArray, out: TypedArray, shape: Shape, perm: readonly number[]): void {
  if (out.length === 0) return;
  // drop size-1 dims, then merge input dims that stay adjacent and in order in perm
  const keep: number[] = [];
  for (let d = 0; d < shape.length; d++) if (shape[d] !== 1) keep.push(d);
  const p = perm.filter((d) => shape[d] !== 1).map((d) => keep.indexOf(d));
  const s = keep.map((d) => shape[d]!);
  const groups: number[][] = []; // in output order, each a run of consecutive input dims
  for (const d of p) {
    const g = groups[groups.length - 1];
    if (g !== undefined && g[g.length - 1] === d - 1) g.push(d);
    else groups.push([d]);
  }
  const order = groups.map((g) => g[0]!).sort((a, b) => a - b);
  const gSize = groups.map((g) => g.reduce((acc, d) => acc * s[d]!, 1));
  // the merged input shape, and the merged perm
  const inShape = order.map((first) => gSize[groups.findIndex((g) => g[0] === first)]!);
  const mp = groups.map((g) => order.indexOf(g[0]!));
  const r = mp.length;
  if (r <= 1 || mp.every((v, i) => v === i)) {
    out.set(src);
    return;
  }
  if (mp[r - 1] === r - 2 && mp[r - 2] === r - 1 && mp.slice(0, r - 2).every((v, i) => v === i)) {
    const batch = r === 2 ? 1 : sizeOf(inShape.slice(0, r - 2));
    batchTranspose2d(src, out, batch, inShape[r - 2]!, inShape[r - 1]!);
    return;
  }
  const inStrides = stridesOf(inShape);
  stridedCopy(
    src,
    out,
    0,
    mp.map((d) => inShape[d]!),
    0,
    mp.map((d) => inStrides[d]!),
  );
}

function formatIndex(flat: number, shape: Shape): string {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return `[${idx.join(',')}]`;
}

/** Builds the shape kernels over a CPU context. @internal */
export function shapeKernels(ctx: CpuContext): Record<string, Kernel> {
  return {
    transpose: ({ inputs, attrs, outputs }) => {
      const x = inputs[0]!;
      const [id, out] = ctx.alloc(outputs[0]!);
      transposeInto(ctx.get(x.dataId), out, x.shape, attrs['perm'] as number[]);
      return id;
    },

    stridedSlice: ({ inputs, attrs, outputs }) => {
      const x = inputs[0]!;
      const spec = outputs[0]!;
      const [id, out] = ctx.alloc(spec);
      if (out.length === 0) return id;
      const begin = attrs['begin'] as number[];
      const strides = attrs['strides'] as number[];
      const inStrides = stridesOf(x.shape);
      let start = 0;
      const steps = new Array<number>(x.shape.length);
      for (let d = 0; d < x.shape.length; d++) {
        start += begin[d]! * inStrides[d]!;
        steps[d] = strides[d]! * inStrides[d]!;
      }
      stridedCopy(ctx.get(x.dataId), out, 0, spec.shape, start, steps);
      return id;
    },

    concat: ({ inputs, attrs, outputs }) => {
      const spec = outputs[0]!;
      const axis = attrs['axis'] as number;
      const [id, out] = ctx.alloc(spec);
      if (out.length === 0) return id;
      const outer = sizeOf(spec.shape.slice(0, axis));
      const rowLen = sizeOf(spec.shape.slice(axis));
      let col = 0;
      for (const x of inputs) {
        const chunk = sizeOf(x.shape.slice(axis));
        if (chunk > 0) {
          const src = ctx.get(x.dataId);
          for (let o = 0; o < outer; o++) {
            const s = o * chunk;
            const d = o * rowLen + col;
            if (chunk >= SET_MIN) out.set(src.subarray(s, s + chunk), d);
            else for (let j = 0; j < chunk; j++) out[d + j] = src[s + j]!;
          }
        }
        col += chunk;
      }
      return id;
    },

    pad: ({ inputs, attrs, outputs }) => {
      const x = inputs[0]!;
      const spec = outputs[0]!;
      const paddings = attrs['paddings'] as [number, number][];
      const cv = attrs['constantValue'] as number;
      const [id, out] = ctx.alloc(spec);
      if (cv !== 0) out.fill(cv);
      const n = sizeOf(x.shape);
      if (n === 0) return id;
      const outStrides = stridesOf(spec.shape);
      let start = 0;
      for (let d = 0; d < spec.shape.length; d++) start += paddings[d]![0] * outStrides[d]!;
      // scatter: walk the input, writing at the output offsets (the inverse of a strided copy)
      const src = ctx.get(x.dataId);
      const r = x.shape.length;
      if (r === 0) {
        out[0] = src[0]!;
        return id;
      }
      const inner = x.shape[r - 1]!;
      const outer = n / inner;
      const counter = new Int32Array(r);
      let o = start;
      for (let row = 0; row < outer; row++) {
        const s = row * inner;
        if (inner >= SET_MIN) out.set(src.subarray(s, s + inner), o);
        else for (let j = 0; j < inner; j++) out[o + j] = src[s + j]!;
        for (let d = r - 2; d >= 0; d--) {
          o += outStrides[d]!;
          if (++counter[d]! < x.shape[d]!) break;
          o -= outStrides[d]! * x.shape[d]!;
          counter[d] = 0;
        }
      }
      return id;
    },

    tile: ({ inputs, attrs, outputs }) => {
      const x = inputs[0]!;
      const spec = outputs[0]!;
      const reps = attrs['reps'] as number[];
      const [id, out] = ctx.alloc(spec);
      if (out.length === 0) return id;
      // view the output as [reps0, x0, reps1, x1, ...] and read x with step 0 on the rep dims
      const src = ctx.get(x.dataId);
      const inStrides = stridesOf(x.shape);
      const shape: number[] = [];
      const steps: number[] = [];
      for (let d = 0; d < x.shape.length; d++) {
        shape.push(reps[d]!, x.shape[d]!);
        steps.push(0, inStrides[d]!);
      }
      stridedCopy(src, out, 0, shape, 0, steps);
      return id;
    },

    gather: ({ inputs, attrs, outputs }) => {
      const x = inputs[0]!;
      const ind = inputs[1]!;
      const axis = attrs['axis'] as number;
      const idx = ctx.get(ind.dataId);
      const n = x.shape[axis]!;
      const m = idx.length;
      for (let j = 0; j < m; j++) {
        const v = idx[j]!;
        if (v < 0 || v >= n) {
          throw new ValueError(
            `gather: indices${formatIndex(j, ind.shape)} = ${v} is out of range for axis ${axis} of x [${x.shape.join(',')}] ` +
              `(valid: 0 to ${n - 1})`,
          );
        }
      }
      const [id, out] = ctx.alloc(outputs[0]!);
      if (out.length === 0) return id;
      const src = ctx.get(x.dataId);
      const outer = sizeOf(x.shape.slice(0, axis));
      const inner = sizeOf(x.shape.slice(axis + 1));
      let o = 0;
      for (let a = 0; a < outer; a++) {
        const base = a * n * inner;
        for (let j = 0; j < m; j++) {
          const s = base + idx[j]! * inner;
          if (inner >= SET_MIN) out.set(src.subarray(s, s + inner), o);
          else for (let k = 0; k < inner; k++) out[o + k] = src[s + k]!;
          o += inner;
        }
      }
      return id;
    },

    broadcastTo: ({ inputs, outputs }) => {
      const x = inputs[0]!;
      const spec = outputs[0]!;
      const [id, out] = ctx.alloc(spec);
      if (out.length === 0) return id;
      const rank = spec.shape.length;
      const off = rank - x.shape.length;
      const inStrides = stridesOf(x.shape);
      const steps = new Array<number>(rank).fill(0);
      for (let d = 0; d < x.shape.length; d++) if (x.shape[d] !== 1) steps[d + off] = inStrides[d]!;
      stridedCopy(ctx.get(x.dataId), out, 0, spec.shape, 0, steps);
      return id;
    },

    reverse: ({ inputs, attrs, outputs }) => {
      const x = inputs[0]!;
      const axes = attrs['axes'] as number[];
      const [id, out] = ctx.alloc(outputs[0]!);
      if (out.length === 0) return id;
      const inStrides = stridesOf(x.shape);
      let start = 0;
      const steps = inStrides.slice();
      for (const a of axes) {
        start += (x.shape[a]! - 1) * inStrides[a]!;
        steps[a] = -inStrides[a]!;
      }
      stridedCopy(ctx.get(x.dataId), out, 0, x.shape, start, steps);
      return id;
    },

    unsortedSegmentSum: ({ inputs, attrs, outputs }) => {
      const x = inputs[0]!;
      const ids = inputs[1]!;
      const numSegments = attrs['numSegments'] as number;
      const [id, out] = ctx.alloc(outputs[0]!);
      const seg = ctx.get(ids.dataId);
      const src = ctx.get(x.dataId);
      const inner = sizeOf(x.shape.slice(ids.shape.length));
      if (inner === 0) return id;
      for (let i = 0; i < seg.length; i++) {
        const s = seg[i]!;
        if (s < 0 || s >= numSegments) continue;
        const o = s * inner;
        const b = i * inner;
        for (let k = 0; k < inner; k++) out[o + k] = out[o + k]! + src[b + k]!;
      }
      return id;
    },
  };
}
