/**
 * WebAssembly fast paths of float32 elementwise ops (with the broadcasting patterns of neural
 * networks: equal shapes, a scalar, a broadcast row or column), reductions over leading or
 * trailing axes, softmax / log-softmax along the last axis, and the fused SGD and Adam updates.
 * Tensors smaller than {@link EW_MIN} elements, other dtypes and other layouts run the
 * TypeScript kernels (for the composites among them, the TypeScript versions in
 * `kernels/fused.ts`).
 *
 * @module
 * @internal
 */
import { sizeOf, type Kernel, type Shape, type TensorInfo } from '@tessera/core';
import type { CpuContext } from '../context.js';
import { BINARY_OPS, COMPARE_OPS, REDUCE_OPS, UNARY_OPS } from '../wasm/eltwise.js';
import type { WasmRuntime } from '../wasm/runtime.js';
import { withFallback, type Staging } from './staging.js';
import { mergeReduceDims } from '../kernels/reduce.js';

/** Elementwise ops on fewer elements than this run in TypeScript. */
export const EW_MIN = 1024;
/** Elementwise ops on at least this many elements use the worker threads. */
const EW_PARALLEL = 1 << 16;
/** Elements per chunk. */
const EW_CHUNK = 1 << 14;

/** A broadcast layout `out[r, c] = a[r * aRS + c * aCS] op b[r * bRS + c * bCS]`. */
interface Layout2D {
  rows: number;
  cols: number;
  aRS: number;
  aCS: number;
  bRS: number;
  bCS: number;
}

/** Strides of `shape` read at each dim of `out` (0 where broadcast). */
function broadcastStrides(shape: Shape, out: Shape): number[] {
  const r = out.length;
  const st = new Array<number>(r).fill(0);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = i + (r - shape.length);
    st[d] = shape[i] === 1 ? 0 : acc;
    acc *= shape[i]!;
  }
  return st;
}

/** Collapses a broadcast binary op to at most two dims with unit or zero inner strides, or null. */
function layout(a: Shape, b: Shape, out: Shape): Layout2D | null {
  const sa = broadcastStrides(a, out);
  const sb = broadcastStrides(b, out);
  const dims: number[] = [];
  const as: number[] = [];
  const bs: number[] = [];
  for (let d = 0; d < out.length; d++) {
    const n = out[d]!;
    if (n === 1) continue;
    const k = dims.length - 1;
    // merge with the previous dim when both operands stay contiguous across the boundary
    if (k >= 0 && as[k] === sa[d]! * n && bs[k] === sb[d]! * n) {
      dims[k] = dims[k]! * n;
      as[k] = sa[d]!;
      bs[k] = sb[d]!;
    } else {
      dims.push(n);
      as.push(sa[d]!);
      bs.push(sb[d]!);
    }
  }
  if (dims.length === 0) return { rows: 1, cols: 1, aRS: 0, aCS: 0, bRS: 0, bCS: 0 };
  if (dims.length > 2) return null;
  const k = dims.length - 1;
  if (as[k]! > 1 || bs[k]! > 1) return null;
  return dims.length === 1
    ? { rows: 1, cols: dims[0]!, aRS: 0, aCS: as[0]!, bRS: 0, bCS: bs[0]! }
    : { rows: dims[0]!, cols: dims[1]!, aRS: as[0]!, aCS: as[1]!, bRS: bs[0]!, bCS: bs[1]! };
}

/**
 * For `rows × cols` with one operand contiguous and the other a broadcast row, and short rows:
 * merges `m` rows into one by repeating the row `m` times in a staged block. Updates `lay` in
 * place; returns the new `[a, b]` offsets, or null when it does not apply.
 */
function tileRow(s: Staging, lay: Layout2D, a: number, b: number): [number, number] | null {
  if (lay.cols >= 64 || lay.rows < 2) return null;
  const aRow = lay.aRS === 0 && lay.aCS === 1 && lay.bRS === lay.cols && lay.bCS === 1;
  const bRow = lay.bRS === 0 && lay.bCS === 1 && lay.aRS === lay.cols && lay.aCS === 1;
  if (!aRow && !bRow) return null;
  let m = Math.floor(256 / lay.cols);
  while (m > 1 && lay.rows % m !== 0) m--;
  if (m < 2) return null;
  const src = aRow ? a : b;
  const tiled = s.temp(m * lay.cols * 4);
  if (tiled < 0) return null;
  const f = s.rt.f32;
  const row = f.subarray(src >> 2, (src >> 2) + lay.cols);
  for (let k = 0; k < m; k++) f.set(row, (tiled >> 2) + k * lay.cols);
  lay.rows /= m;
  lay.cols *= m;
  if (aRow) lay.bRS = lay.cols;
  else lay.aRS = lay.cols;
  return aRow ? [tiled, b] : [a, tiled];
}

function threadsFor(ctx: CpuContext, n: number): number {
  return n >= EW_PARALLEL ? ctx.threads : 1;
}

/**
 * Runs a two-operand kernel (`ew_binary`, `ew_compare`) over a 2-D layout, in chunks of about
 * EW_CHUNK elements: whole rows when rows are short, pieces of a row when they are long.
 */
function runPair(rt: WasmRuntime, fn: string, op: number, a: number, b: number, o: number, lay: Layout2D, threads: number): void {
  const cpc = lay.cols >= EW_CHUNK ? EW_CHUNK : lay.cols;
  const rpc = Math.max(1, Math.floor(EW_CHUNK / lay.cols));
  rt.args([op, a, b, o, lay.rows, lay.cols, lay.aRS, lay.aCS, lay.bRS, lay.bCS, rpc, cpc]);
  rt.run(fn, Math.ceil(lay.rows / rpc) * Math.ceil(lay.cols / cpc), threads);
}

/** Reads the float32 scalar of a tensor. */
function scalar(ctx: CpuContext, t: TensorInfo): number {
  return ctx.get(t.dataId)[0]!;
}

/** Builds the elementwise fast kernels. */
export function elementwiseFastKernels(ctx: CpuContext, rt: WasmRuntime, reference: Record<string, Kernel>): Record<string, Kernel> {
  const kernels: Record<string, Kernel> = {};
  // without shared memory every operand would be copied in and out: the TypeScript loops win
  if (!rt.shared) return kernels;
  const f = Math.fround;

  // ---- binary ----------------------------------------------------------------------------------
  BINARY_OPS.forEach((name, op) => {
    const ref = reference[name]!;
    kernels[name] = (args) => {
      const out = args.outputs[0]!;
      const A = args.inputs[0]!;
      const B = args.inputs[1]!;
      const n = sizeOf(out.shape);
      const lay = out.dtype === 'float32' && n >= EW_MIN ? layout(A.shape, B.shape, out.shape) : null;
      if (lay === null) return ref(args);
      return withFallback(ctx, rt, args, ref, (s) => {
        let a = s.input(A);
        let b = s.input(B);
        const [id, o] = s.output(out);
        if (s.failed) return id;
        // short rows with a broadcast row operand (a bias over NHWC channels): tile the row so
        // each call covers at least 64 elements
        const t = tileRow(s, lay, a, b);
        if (t !== null) [a, b] = t;
        runPair(rt, 'ew_binary', op, a, b, o, lay, threadsFor(ctx, n));
        return id;
      });
    };
  });

  // ---- comparisons and where ---------------------------------------------------------------------
  COMPARE_OPS.forEach((name, op) => {
    const ref = reference[name]!;
    kernels[name] = (args) => {
      const out = args.outputs[0]!;
      const A = args.inputs[0]!;
      const B = args.inputs[1]!;
      const n = sizeOf(out.shape);
      const lay = A.dtype === 'float32' && n >= EW_MIN ? layout(A.shape, B.shape, out.shape) : null;
      if (lay === null) return ref(args);
      return withFallback(ctx, rt, args, ref, (s) => {
        const a = s.input(A);
        const b = s.input(B);
        const [id, o] = s.output(out);
        if (s.failed) return id;
        runPair(rt, 'ew_compare', op, a, b, o, lay, threadsFor(ctx, n));
        return id;
      });
    };
  });

  const whereRef = reference['where']!;
  kernels['where'] = (args) => {
    const [C, A, B] = args.inputs as [TensorInfo, TensorInfo, TensorInfo];
    const out = args.outputs[0]!;
    const n = sizeOf(out.shape);
    const fits = (t: TensorInfo): boolean => sizeOf(t.shape) === 1 || sizeOf(t.shape) === n;
    if (out.dtype !== 'float32' || n < EW_MIN || sizeOf(C.shape) !== n || !fits(A) || !fits(B)) return whereRef(args);
    return withFallback(ctx, rt, args, whereRef, (s) => {
      const c = s.input(C);
      const a = s.input(A);
      const b = s.input(B);
      const [id, o] = s.output(out);
      if (s.failed) return id;
      rt.args([c, a, b, o, n, EW_CHUNK, sizeOf(A.shape) === 1 && n > 1 ? 1 : 0, sizeOf(B.shape) === 1 && n > 1 ? 1 : 0]);
      rt.run('ew_where', Math.ceil(n / EW_CHUNK), threadsFor(ctx, n));
      return id;
    });
  };

  // ---- unary -------------------------------------------------------------------------------------
  UNARY_OPS.forEach((name, op) => {
    const ref = reference[name]!;
    kernels[name] = (args) => {
      const out = args.outputs[0]!;
      const n = sizeOf(out.shape);
      if (out.dtype !== 'float32' || n < EW_MIN) return ref(args);
      return withFallback(ctx, rt, args, ref, (s) => {
        const x = s.input(args.inputs[0]!);
        const [id, o] = s.output(out);
        if (s.failed) return id;
        rt.args([op, x, o, n, EW_CHUNK]);
        rt.run('ew_unary', Math.ceil(n / EW_CHUNK), threadsFor(ctx, n));
        return id;
      });
    };
  });

  // ---- reductions --------------------------------------------------------------------------------
  REDUCE_OPS.forEach((name, op) => {
    const ref = reference[name]!;
    kernels[name] = (args) => {
      const X = args.inputs[0]!;
      const out = args.outputs[0]!;
      const n = sizeOf(X.shape);
      if (out.dtype !== 'float32' || n < EW_MIN) return ref(args);
      const plan = split(X.shape, args.attrs['axes'] as number[]);
      if (plan === null) return ref(args);
      return withFallback(ctx, rt, args, ref, (s) => {
        const x = s.input(X);
        const [id, o] = s.output(out);
        if (s.failed) return id;
        const threads = threadsFor(ctx, n);
        if (plan.reduceInner) {
          const rpc = Math.max(1, Math.floor(EW_CHUNK / plan.cols));
          rt.args([op, x, o, plan.rows, plan.cols, rpc]);
          rt.run('ew_reduce_rows', Math.ceil(plan.rows / rpc), threads);
        } else {
          const cpc = Math.min(plan.cols, 1024);
          const chunks = Math.ceil(plan.cols / cpc);
          const stride = cpc * 8;
          const scratch = op === 0 ? rt.alloc(stride * Math.min(threads, rt.threads)) : 0;
          if (scratch < 0) {
            s.failed = true;
            return id;
          }
          rt.args([op, x, o, plan.rows, plan.cols, cpc, scratch, stride]);
          try {
            rt.run('ew_reduce_cols', chunks, chunks > 1 ? threads : 1);
          } finally {
            if (op === 0) rt.free(scratch);
          }
        }
        return id;
      });
    };
  });

  // ---- softmax -----------------------------------------------------------------------------------
  for (const [name, log] of [
    ['softmax', 0],
    ['logSoftmax', 1],
  ] as const) {
    const ref = reference[name]!;
    kernels[name] = (args) => {
      const X = args.inputs[0]!;
      const out = args.outputs[0]!;
      const n = sizeOf(X.shape);
      const axis = args.attrs['axis'] as number;
      if (out.dtype !== 'float32' || n < EW_MIN || axis !== X.shape.length - 1) return ref(args);
      return withFallback(ctx, rt, args, ref, (s) => {
        const x = s.input(X);
        const [id, o] = s.output(out);
        if (s.failed) return id;
        const cols = X.shape[axis]!;
        const rows = n / cols;
        const rpc = Math.max(1, Math.floor(EW_CHUNK / cols));
        rt.args([log, x, o, rows, cols, rpc]);
        rt.run('ew_softmax_rows', Math.ceil(rows / rpc), threadsFor(ctx, n));
        return id;
      });
    };
  }

  // ---- optimizer updates -------------------------------------------------------------------------
  const sgdRef = reference['sgdUpdate']!;
  kernels['sgdUpdate'] = (args) => {
    const [X, G, LR] = args.inputs as [TensorInfo, TensorInfo, TensorInfo];
    const out = args.outputs[0]!;
    const n = sizeOf(out.shape);
    if (out.dtype !== 'float32' || n < EW_MIN) return sgdRef(args);
    return withFallback(ctx, rt, args, sgdRef, (s) => {
      const x = s.input(X);
      const g = s.input(G);
      const [id, o] = s.output(out);
      if (s.failed) return id;
      // x - g * lr, rounded after each op like the composition
      const w = rt.args([x, g, o, n, EW_CHUNK, 0]);
      rt.f32[(w >> 2) + 5] = scalar(ctx, LR);
      rt.run('ew_axpy', Math.ceil(n / EW_CHUNK), threadsFor(ctx, n));
      return id;
    });
  };

  const adamRef = reference['adamUpdate']!;
  kernels['adamUpdate'] = (args) => {
    const [X, M, V, G, LR, B1P, B2P] = args.inputs as TensorInfo[] as [TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo];
    const n = sizeOf(X.shape);
    if (X.dtype !== 'float32' || n < EW_MIN) return adamRef(args);
    return withFallback(ctx, rt, args, adamRef, (s) => {
      const x = s.input(X);
      const m = s.input(M);
      const v = s.input(V);
      const g = s.input(G);
      const outs = args.outputs.map((spec) => s.output(spec));
      if (s.failed) return outs.map((p) => p[0]);
      // scalars rounded to float32 at each step, as the composition computes them
      const lr = scalar(ctx, LR);
      const alpha = f(f(lr * f(Math.sqrt(f(1 - scalar(ctx, B2P))))) / f(1 - scalar(ctx, B1P)));
      const c1 = f(1 - (args.attrs['beta1'] as number));
      const c2 = f(1 - (args.attrs['beta2'] as number));
      const eps = f(args.attrs['epsilon'] as number);
      const w = rt.args([x, m, v, g, outs[0]![1], outs[1]![1], outs[2]![1], n, EW_CHUNK, 0, 0, 0, 0]);
      const fv = rt.f32;
      fv[(w >> 2) + 9] = c1;
      fv[(w >> 2) + 10] = c2;
      fv[(w >> 2) + 11] = eps;
      fv[(w >> 2) + 12] = alpha;
      rt.run('ew_adam', Math.ceil(n / EW_CHUNK), threadsFor(ctx, n));
      return outs.map((p) => p[0]);
    });
  };

  return kernels;
}

/** Splits a reduction into rows × cols with the reduced part inner or outer, or null. */
function split(shape: Shape, axes: readonly number[]): { rows: number; cols: number; reduceInner: boolean } | null {
  const { dims, red } = mergeReduceDims(shape, axes);
  if (dims.length === 0) return null;
  if (dims.length === 1) return red[0] ? { rows: 1, cols: dims[0]!, reduceInner: true } : null;
  if (dims.length === 2) return red[1] ? { rows: dims[0]!, cols: dims[1]!, reduceInner: true } : { rows: dims[0]!, cols: dims[1]!, reduceInner: false };
  return null;
}
