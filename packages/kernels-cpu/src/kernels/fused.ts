/**
 * TypeScript kernels for composite ops that the WebAssembly backend runs fused (`relu`,
 * `square`, `squaredDifference`, `softmax`, `logSoftmax`, and the optimizer updates
 * `sgdUpdate`, `momentumUpdate`, `adamUpdate`, `adamWUpdate`, `rmsPropUpdate`,
 * `centeredRmsPropUpdate`, `adagradUpdate`). Once a
 * backend registers a kernel under a composite's name the engine always calls it, so these cover
 * the cases the WebAssembly path leaves out (small tensors, float64, int32, other axes). Each one
 * rounds like the composition it replaces: float32 results are rounded after every step the
 * composition takes, so the numbers are the same as running the composition op by op.
 *
 * @module
 * @internal
 */
import { sizeOf, type Kernel, type TensorInfo, type TypedArray } from '@tessera/core';
import type { CpuContext } from '../context.js';
import { broadcastIndex, sameShape } from './broadcast.js';

const f = Math.fround;
const id = (x: number): number => x;

/** The rounding of a dtype's stores: float32 rounds, float64 keeps, int32 wraps. */
function rounder(dtype: string): (x: number) => number {
  return dtype === 'float32' ? f : dtype === 'int32' ? (x: number) => x | 0 : id;
}

/** Builds the fused-composite kernels in TypeScript. @internal */
export function fusedReferenceKernels(ctx: CpuContext): Record<string, Kernel> {
  const kernels: Record<string, Kernel> = {};

  kernels['relu'] = ({ inputs, outputs }) => {
    const x = ctx.get(inputs[0]!.dataId);
    const [out, o] = ctx.alloc(outputs[0]!);
    // where(x <= 0, 0, x): NaN stays, -0 becomes 0
    for (let i = 0; i < o.length; i++) {
      const v = x[i]!;
      o[i] = v <= 0 ? 0 : v;
    }
    return out;
  };

  kernels['square'] = ({ inputs, outputs }) => {
    const x = ctx.get(inputs[0]!.dataId);
    const [out, o] = ctx.alloc(outputs[0]!);
    if (o instanceof Int32Array) for (let i = 0; i < o.length; i++) o[i] = Math.imul(x[i]!, x[i]!);
    else for (let i = 0; i < o.length; i++) o[i] = x[i]! * x[i]!;
    return out;
  };

  kernels['squaredDifference'] = ({ inputs, outputs }) => {
    const [A, B] = inputs as [TensorInfo, TensorInfo];
    const spec = outputs[0]!;
    const a = ctx.get(A.dataId);
    const b = ctx.get(B.dataId);
    const [out, o] = ctx.alloc(spec);
    const n = o.length;
    const r = rounder(spec.dtype);
    const same = sameShape(A.shape, spec.shape) && sameShape(B.shape, spec.shape);
    const ia = same ? null : broadcastIndex(A.shape, spec.shape);
    const ib = same ? null : broadcastIndex(B.shape, spec.shape);
    const isInt = o instanceof Int32Array;
    for (let i = 0; i < n; i++) {
      const d = r(a[ia === null ? i : ia[i]!]! - b[ib === null ? i : ib[i]!]!);
      o[i] = isInt ? Math.imul(d, d) : d * d;
    }
    return out;
  };

  const softmaxLike = (log: boolean): Kernel => ({ inputs, attrs, outputs }) => {
    const X = inputs[0]!;
    const spec = outputs[0]!;
    const x = ctx.get(X.dataId);
    const [out, o] = ctx.alloc(spec);
    const n = o.length;
    if (n === 0) return out;
    const r = rounder(spec.dtype);
    const axis = attrs['axis'] as number;
    const len = X.shape[axis]!;
    const inner = sizeOf(X.shape.slice(axis + 1));
    const outer = n / (len * inner);
    for (let a = 0; a < outer; a++) {
      for (let j = 0; j < inner; j++) {
        const base = a * len * inner + j;
        // max (a NaN sticks), as the max kernel
        let m = -Infinity;
        for (let k = 0; k < len; k++) {
          const v = x[base + k * inner]!;
          if (v > m || v !== v) m = v;
        }
        let s = 0;
        for (let k = 0; k < len; k++) {
          const e = r(Math.exp(r(x[base + k * inner]! - m)));
          if (!log) o[base + k * inner] = e;
          s += e;
        }
        const sum = r(s);
        if (log) {
          const ls = r(Math.log(sum));
          for (let k = 0; k < len; k++) o[base + k * inner] = r(r(x[base + k * inner]! - m) - ls);
        } else {
          for (let k = 0; k < len; k++) o[base + k * inner] = o[base + k * inner]! / sum;
        }
      }
    }
    return out;
  };
  kernels['softmax'] = softmaxLike(false);
  kernels['logSoftmax'] = softmaxLike(true);

  kernels['sgdUpdate'] = ({ inputs, outputs }) => {
    const [X, G, LR] = inputs as [TensorInfo, TensorInfo, TensorInfo];
    const spec = outputs[0]!;
    const x = ctx.get(X.dataId);
    const g = ctx.get(G.dataId);
    const lr = ctx.get(LR.dataId)[0]!;
    const [out, o] = ctx.alloc(spec);
    const r = rounder(spec.dtype);
    for (let i = 0; i < o.length; i++) o[i] = x[i]! - r(g[i]! * lr);
    return out;
  };

  kernels['adamUpdate'] = ({ inputs, attrs, outputs }) => {
    const [X, M, V, G, LR, B1P, B2P] = inputs as TensorInfo[] as [TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo];
    const x = ctx.get(X.dataId);
    const m = ctx.get(M.dataId);
    const v = ctx.get(V.dataId);
    const g = ctx.get(G.dataId);
    const r = rounder(X.dtype);
    const lr = ctx.get(LR.dataId)[0]!;
    const b1p = ctx.get(B1P.dataId)[0]!;
    const b2p = ctx.get(B2P.dataId)[0]!;
    const c1 = r(1 - (attrs['beta1'] as number));
    const c2 = r(1 - (attrs['beta2'] as number));
    const eps = r(attrs['epsilon'] as number);
    const alpha = r(r(lr * r(Math.sqrt(r(1 - b2p)))) / r(1 - b1p));
    const outs = outputs.map((s) => ctx.alloc(s));
    const [ox, om, ov] = outs.map((p) => p[1]) as [TypedArray, TypedArray, TypedArray];
    for (let i = 0; i < ox.length; i++) {
      const gi = g[i]!;
      const m1 = r(m[i]! + r(r(gi - m[i]!) * c1));
      const v1 = r(v[i]! + r(r(r(gi * gi) - v[i]!) * c2));
      om[i] = m1;
      ov[i] = v1;
      ox[i] = x[i]! - r(r(m1 * alpha) / r(r(Math.sqrt(v1)) + eps));
    }
    return outs.map((p) => p[0]);
  };

  // The updates below follow @tessera/optim's compositions op for op: `r` rounds (float32) after
  // each op in the order the composition runs them, and a scalar hyperparameter is rounded to
  // the variable's dtype first, as the composition's `mul(t, number)` converts it.

  kernels['momentumUpdate'] = ({ inputs, attrs, outputs }) => {
    const [X, A, G, LR] = inputs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
    const x = ctx.get(X.dataId);
    const a = ctx.get(A.dataId);
    const g = ctx.get(G.dataId);
    const r = rounder(X.dtype);
    const lr = ctx.get(LR.dataId)[0]!;
    const mu = r(attrs['momentum'] as number);
    const outs = outputs.map((s) => ctx.alloc(s));
    const [ox, oa] = outs.map((p) => p[1]) as [TypedArray, TypedArray];
    const n = ox.length;
    if (attrs['useNesterov'] === true) {
      // x - (g lr + (a' mu) lr)
      for (let i = 0; i < n; i++) {
        const gi = g[i]!;
        const a1 = r(r(a[i]! * mu) + gi);
        oa[i] = a1;
        ox[i] = x[i]! - r(r(gi * lr) + r(r(a1 * mu) * lr));
      }
    } else {
      for (let i = 0; i < n; i++) {
        const a1 = r(r(a[i]! * mu) + g[i]!);
        oa[i] = a1;
        ox[i] = x[i]! - r(a1 * lr);
      }
    }
    return outs.map((p) => p[0]);
  };

  kernels['adamWUpdate'] = ({ inputs, attrs, outputs }) => {
    const [X, M, V, G, LR, B1P, B2P] = inputs as TensorInfo[] as [TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo];
    const x = ctx.get(X.dataId);
    const m = ctx.get(M.dataId);
    const v = ctx.get(V.dataId);
    const g = ctx.get(G.dataId);
    const r = rounder(X.dtype);
    const lr = ctx.get(LR.dataId)[0]!;
    const b1p = ctx.get(B1P.dataId)[0]!;
    const b2p = ctx.get(B2P.dataId)[0]!;
    const c1 = r(1 - (attrs['beta1'] as number));
    const c2 = r(1 - (attrs['beta2'] as number));
    const eps = r(attrs['epsilon'] as number);
    const decay = r(lr * r(attrs['weightDecay'] as number));
    const alpha = r(r(lr * r(Math.sqrt(r(1 - b2p)))) / r(1 - b1p));
    const outs = outputs.map((s) => ctx.alloc(s));
    const [ox, om, ov] = outs.map((p) => p[1]) as [TypedArray, TypedArray, TypedArray];
    for (let i = 0; i < ox.length; i++) {
      const gi = g[i]!;
      const xd = r(x[i]! - r(x[i]! * decay));
      const m1 = r(m[i]! + r(r(gi - m[i]!) * c1));
      const v1 = r(v[i]! + r(r(r(gi * gi) - v[i]!) * c2));
      om[i] = m1;
      ov[i] = v1;
      ox[i] = xd - r(r(m1 * alpha) / r(r(Math.sqrt(v1)) + eps));
    }
    return outs.map((p) => p[0]);
  };

  kernels['rmsPropUpdate'] = ({ inputs, attrs, outputs }) => {
    const [X, MS, MOM, G, LR] = inputs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo];
    const x = ctx.get(X.dataId);
    const ms = ctx.get(MS.dataId);
    const mom = ctx.get(MOM.dataId);
    const g = ctx.get(G.dataId);
    const r = rounder(X.dtype);
    const lr = ctx.get(LR.dataId)[0]!;
    const keep = r(1 - (attrs['decay'] as number));
    const mu = r(attrs['momentum'] as number);
    const eps = r(attrs['epsilon'] as number);
    const outs = outputs.map((s) => ctx.alloc(s));
    const [ox, oms, omom] = outs.map((p) => p[1]) as [TypedArray, TypedArray, TypedArray];
    for (let i = 0; i < ox.length; i++) {
      const gi = g[i]!;
      const ms1 = r(ms[i]! + r(r(r(gi * gi) - ms[i]!) * keep));
      const mom1 = r(r(mom[i]! * mu) + r(r(gi * lr) / r(Math.sqrt(r(ms1 + eps)))));
      oms[i] = ms1;
      omom[i] = mom1;
      ox[i] = x[i]! - mom1;
    }
    return outs.map((p) => p[0]);
  };

  kernels['centeredRmsPropUpdate'] = ({ inputs, attrs, outputs }) => {
    const [X, MG, MS, MOM, G, LR] = inputs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo];
    const x = ctx.get(X.dataId);
    const mg = ctx.get(MG.dataId);
    const ms = ctx.get(MS.dataId);
    const mom = ctx.get(MOM.dataId);
    const g = ctx.get(G.dataId);
    const r = rounder(X.dtype);
    const lr = ctx.get(LR.dataId)[0]!;
    const keep = r(1 - (attrs['decay'] as number));
    const mu = r(attrs['momentum'] as number);
    const eps = r(attrs['epsilon'] as number);
    const outs = outputs.map((s) => ctx.alloc(s));
    const [ox, omg, oms, omom] = outs.map((p) => p[1]) as [TypedArray, TypedArray, TypedArray, TypedArray];
    for (let i = 0; i < ox.length; i++) {
      const gi = g[i]!;
      const ms1 = r(ms[i]! + r(r(r(gi * gi) - ms[i]!) * keep));
      const mg1 = r(mg[i]! + r(r(gi - mg[i]!) * keep));
      const denom = r(r(ms1 - r(mg1 * mg1)) + eps);
      const mom1 = r(r(mom[i]! * mu) + r(r(gi * lr) / r(Math.sqrt(denom))));
      omg[i] = mg1;
      oms[i] = ms1;
      omom[i] = mom1;
      ox[i] = x[i]! - mom1;
    }
    return outs.map((p) => p[0]);
  };

  kernels['adagradUpdate'] = ({ inputs, outputs }) => {
    const [X, A, G, LR] = inputs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
    const x = ctx.get(X.dataId);
    const a = ctx.get(A.dataId);
    const g = ctx.get(G.dataId);
    const r = rounder(X.dtype);
    const lr = ctx.get(LR.dataId)[0]!;
    const outs = outputs.map((s) => ctx.alloc(s));
    const [ox, oa] = outs.map((p) => p[1]) as [TypedArray, TypedArray];
    for (let i = 0; i < ox.length; i++) {
      const gi = g[i]!;
      const a1 = r(a[i]! + r(gi * gi));
      oa[i] = a1;
      ox[i] = x[i]! - r(r(gi * lr) / r(Math.sqrt(a1)));
    }
    return outs.map((p) => p[0]);
  };

  return kernels;
}
