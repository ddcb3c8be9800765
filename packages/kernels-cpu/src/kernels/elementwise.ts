/**
 * Elementwise kernels: unary math, binary arithmetic and comparisons with broadcasting,
 * `where`, `cast`. Each op has its own loop (no per-element callbacks), over the flat arrays
 * when shapes match, or through cached broadcast index maps otherwise.
 */
import type { Kernel, TypedArray } from '@tessera/core';
import type { CpuContext } from '../context.js';
import { broadcastIndex, sameShape } from './broadcast.js';

type U = (x: TypedArray, o: TypedArray, n: number) => void;

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 ? 2 * Math.round(v / 2) : r;
}

const unary: Record<string, U> = {
  neg: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = -x[i]!; },
  abs: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.abs(x[i]!); },
  sign: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.sign(x[i]!); },
  exp: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.exp(x[i]!); },
  expm1: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.expm1(x[i]!); },
  log: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.log(x[i]!); },
  log1p: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.log1p(x[i]!); },
  sqrt: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.sqrt(x[i]!); },
  sin: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.sin(x[i]!); },
  cos: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.cos(x[i]!); },
  tan: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.tan(x[i]!); },
  tanh: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.tanh(x[i]!); },
  sigmoid: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = 1 / (1 + Math.exp(-x[i]!)); },
  floor: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.floor(x[i]!); },
  ceil: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.ceil(x[i]!); },
  round: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = roundHalfEven(x[i]!); },
  logicalNot: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = x[i] === 0 ? 1 : 0; },
  isNaN: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = x[i] !== x[i] ? 1 : 0; },
  isFinite: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Number.isFinite(x[i]!) ? 1 : 0; },
};

type B = (a: TypedArray, b: TypedArray, o: TypedArray, n: number, ia: Int32Array | null, ib: Int32Array | null) => void;

function floorMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

/* Each entry: one loop for equal shapes, one through broadcast index maps. */
const binaryF: Record<string, B> = {
  add: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = a[i]! + b[i]!; else for (let i = 0; i < n; i++) o[i] = a[ia[i]!]! + b[ib[i]!]!; },
  sub: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = a[i]! - b[i]!; else for (let i = 0; i < n; i++) o[i] = a[ia[i]!]! - b[ib[i]!]!; },
  mul: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = a[i]! * b[i]!; else for (let i = 0; i < n; i++) o[i] = a[ia[i]!]! * b[ib[i]!]!; },
  div: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = a[i]! / b[i]!; else for (let i = 0; i < n; i++) o[i] = a[ia[i]!]! / b[ib[i]!]!; },
  floorDiv: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = Math.floor(a[i]! / b[i]!); else for (let i = 0; i < n; i++) o[i] = Math.floor(a[ia[i]!]! / b[ib[i]!]!); },
  mod: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = floorMod(a[i]!, b[i]!); else for (let i = 0; i < n; i++) o[i] = floorMod(a[ia[i]!]!, b[ib[i]!]!); },
  pow: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = Math.pow(a[i]!, b[i]!); else for (let i = 0; i < n; i++) o[i] = Math.pow(a[ia[i]!]!, b[ib[i]!]!); },
  maximum: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = Math.max(a[i]!, b[i]!); else for (let i = 0; i < n; i++) o[i] = Math.max(a[ia[i]!]!, b[ib[i]!]!); },
  minimum: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = Math.min(a[i]!, b[i]!); else for (let i = 0; i < n; i++) o[i] = Math.min(a[ia[i]!]!, b[ib[i]!]!); },
  atan2: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = Math.atan2(a[i]!, b[i]!); else for (let i = 0; i < n; i++) o[i] = Math.atan2(a[ia[i]!]!, b[ib[i]!]!); },
  equal: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = a[i] === b[i] ? 1 : 0; else for (let i = 0; i < n; i++) o[i] = a[ia[i]!] === b[ib[i]!] ? 1 : 0; },
  notEqual: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = a[i] !== b[i] ? 1 : 0; else for (let i = 0; i < n; i++) o[i] = a[ia[i]!] !== b[ib[i]!] ? 1 : 0; },
  less: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = a[i]! < b[i]! ? 1 : 0; else for (let i = 0; i < n; i++) o[i] = a[ia[i]!]! < b[ib[i]!]! ? 1 : 0; },
  lessEqual: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = a[i]! <= b[i]! ? 1 : 0; else for (let i = 0; i < n; i++) o[i] = a[ia[i]!]! <= b[ib[i]!]! ? 1 : 0; },
  greater: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = a[i]! > b[i]! ? 1 : 0; else for (let i = 0; i < n; i++) o[i] = a[ia[i]!]! > b[ib[i]!]! ? 1 : 0; },
  greaterEqual: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = a[i]! >= b[i]! ? 1 : 0; else for (let i = 0; i < n; i++) o[i] = a[ia[i]!]! >= b[ib[i]!]! ? 1 : 0; },
  logicalAnd: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = a[i]! !== 0 && b[i]! !== 0 ? 1 : 0; else for (let i = 0; i < n; i++) o[i] = a[ia[i]!]! !== 0 && b[ib[i]!]! !== 0 ? 1 : 0; },
  logicalOr: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = a[i]! !== 0 || b[i]! !== 0 ? 1 : 0; else for (let i = 0; i < n; i++) o[i] = a[ia[i]!]! !== 0 || b[ib[i]!]! !== 0 ? 1 : 0; },
};

/* Integer variants where JavaScript's double arithmetic would differ from int32 semantics. */
const binaryI: Record<string, B> = {
  mul: (a, b, o, n, ia, ib) => { if (ia === null || ib === null) for (let i = 0; i < n; i++) o[i] = Math.imul(a[i]!, b[i]!); else for (let i = 0; i < n; i++) o[i] = Math.imul(a[ia[i]!]!, b[ib[i]!]!); },
  floorDiv: (a, b, o, n, ia, ib) => {
    for (let i = 0; i < n; i++) {
      const y = ib === null ? b[i]! : b[ib[i]!]!;
      o[i] = y === 0 ? 0 : Math.floor((ia === null ? a[i]! : a[ia[i]!]!) / y);
    }
  },
  mod: (a, b, o, n, ia, ib) => {
    for (let i = 0; i < n; i++) {
      const y = ib === null ? b[i]! : b[ib[i]!]!;
      o[i] = y === 0 ? 0 : floorMod(ia === null ? a[i]! : a[ia[i]!]!, y);
    }
  },
};

/** Builds the elementwise kernels over a CPU context. @internal */
export function elementwiseKernels(ctx: CpuContext): Record<string, Kernel> {
  const kernels: Record<string, Kernel> = {};
  for (const [name, f] of Object.entries(unary)) {
    kernels[name] = ({ inputs, outputs }) => {
      const x = ctx.get(inputs[0]!.dataId);
      const [id, o] = ctx.alloc(outputs[0]!);
      f(x, o, o.length);
      return id;
    };
  }
  for (const [name, f] of Object.entries(binaryF)) {
    kernels[name] = ({ inputs, outputs }) => {
      const A = inputs[0]!;
      const Bi = inputs[1]!;
      const out = outputs[0]!;
      const a = ctx.get(A.dataId);
      const b = ctx.get(Bi.dataId);
      const [id, o] = ctx.alloc(out);
      const g = A.dtype === 'int32' ? (binaryI[name] ?? f) : f;
      if (sameShape(A.shape, out.shape) && sameShape(Bi.shape, out.shape)) g(a, b, o, o.length, null, null);
      else g(a, b, o, o.length, broadcastIndex(A.shape, out.shape), broadcastIndex(Bi.shape, out.shape));
      return id;
    };
  }
  kernels['where'] = ({ inputs, outputs }) => {
    const [C, A, Bi] = inputs as [(typeof inputs)[0], (typeof inputs)[0], (typeof inputs)[0]];
    const out = outputs[0]!;
    const c = ctx.get(C.dataId);
    const a = ctx.get(A.dataId);
    const b = ctx.get(Bi.dataId);
    const [id, o] = ctx.alloc(out);
    const n = o.length;
    if (sameShape(C.shape, out.shape) && sameShape(A.shape, out.shape) && sameShape(Bi.shape, out.shape)) {
      for (let i = 0; i < n; i++) o[i] = c[i] !== 0 ? a[i]! : b[i]!;
    } else {
      const ic = broadcastIndex(C.shape, out.shape);
      const ia = broadcastIndex(A.shape, out.shape);
      const ib = broadcastIndex(Bi.shape, out.shape);
      for (let i = 0; i < n; i++) o[i] = c[ic[i]!] !== 0 ? a[ia[i]!]! : b[ib[i]!]!;
    }
    return id;
  };
  kernels['cast'] = ({ inputs, outputs }) => {
    const x = ctx.get(inputs[0]!.dataId);
    const out = outputs[0]!;
    const [id, o] = ctx.alloc(out);
    const n = o.length;
    if (out.dtype === 'bool') {
      for (let i = 0; i < n; i++) o[i] = x[i] !== 0 ? 1 : 0;
    } else {
      // Int32Array stores truncate toward zero (NaN becomes 0); float stores round.
      o.set(x);
    }
    return id;
  };
  return kernels;
}
