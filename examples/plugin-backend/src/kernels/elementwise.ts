/**
 * Elementwise kernels: unary math, binary ops with broadcasting, `where` and `cast`.
 *
 * Core has already checked dtypes and computed the output shape (broadcast) and dtype, and it
 * hands both inputs of a binary op over in the same dtype. Kernels only compute.
 *
 * For clarity each op is one small per-element function driven by a shared loop. A backend
 * that needs speed writes one loop per op (or a WebAssembly/GPU kernel) instead.
 *
 * @module
 */
import type { Kernel, KernelArgs } from '@tessera/core';
import { alloc, broadcastOffsets, sameShape, type Buffers } from './util.js';

type Unary = (x: number) => number;
type Binary = (a: number, b: number) => number;

/** Rounds half to even, as TensorFlow and NumPy do (`round(2.5) = 2`). */
function roundHalfToEven(x: number): number {
  const r = Math.round(x);
  return x - Math.floor(x) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Floored modulo: the result has the sign of `b` (Python's `%`). */
function floorMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

const UNARY: Record<string, Unary> = {
  neg: (x) => -x,
  abs: Math.abs,
  sign: Math.sign,
  exp: Math.exp,
  expm1: Math.expm1,
  log: Math.log,
  log1p: Math.log1p,
  sqrt: Math.sqrt,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfToEven,
  logicalNot: (x) => (x === 0 ? 1 : 0),
  isNaN: (x) => (x !== x ? 1 : 0),
  isFinite: (x) => (Number.isFinite(x) ? 1 : 0),
};

const BINARY: Record<string, Binary> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  floorDiv: (a, b) => Math.floor(a / b),
  mod: floorMod,
  pow: Math.pow,
  maximum: Math.max,
  minimum: Math.min,
  atan2: Math.atan2,
  equal: (a, b) => (a === b ? 1 : 0),
  notEqual: (a, b) => (a !== b ? 1 : 0),
  less: (a, b) => (a < b ? 1 : 0),
  lessEqual: (a, b) => (a <= b ? 1 : 0),
  greater: (a, b) => (a > b ? 1 : 0),
  greaterEqual: (a, b) => (a >= b ? 1 : 0),
  logicalAnd: (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  logicalOr: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
};

/**
 * int32 arithmetic must wrap and never divide by zero: a product of two int32 values can
 * exceed 2^53 in doubles, so it uses `Math.imul`; integer division and modulo by zero give 0.
 */
const INT32_BINARY: Record<string, Binary> = {
  mul: Math.imul,
  floorDiv: (a, b) => (b === 0 ? 0 : Math.floor(a / b)),
  mod: (a, b) => (b === 0 ? 0 : floorMod(a, b)),
};

function unaryKernel(buffers: Buffers, f: Unary): Kernel {
  return ({ inputs, outputs }: KernelArgs) => {
    const x = buffers.get(inputs[0]!.dataId);
    const out = alloc(outputs[0]!);
    for (let i = 0; i < out.length; i++) out[i] = f(x[i]!);
    return buffers.put(out);
  };
}

function binaryKernel(buffers: Buffers, name: string, f: Binary): Kernel {
  return ({ inputs, outputs }: KernelArgs) => {
    const [A, B] = [inputs[0]!, inputs[1]!];
    const spec = outputs[0]!;
    const g = A.dtype === 'int32' ? (INT32_BINARY[name] ?? f) : f;
    const a = buffers.get(A.dataId);
    const b = buffers.get(B.dataId);
    const out = alloc(spec);
    if (sameShape(A.shape, spec.shape) && sameShape(B.shape, spec.shape)) {
      for (let i = 0; i < out.length; i++) out[i] = g(a[i]!, b[i]!);
    } else {
      const ia = broadcastOffsets(A.shape, spec.shape);
      const ib = broadcastOffsets(B.shape, spec.shape);
      for (let i = 0; i < out.length; i++) out[i] = g(a[ia[i]!]!, b[ib[i]!]!);
    }
    // Storing into the output's typed array does the rounding: a Float32Array rounds to
    // float32, an Int32Array wraps to int32, a Uint8Array holds the 0/1 of comparisons.
    return buffers.put(out);
  };
}

/** Unary and binary kernels, `where` and `cast`. */
export function elementwiseKernels(buffers: Buffers): Record<string, Kernel> {
  const kernels: Record<string, Kernel> = {};
  for (const [name, f] of Object.entries(UNARY)) kernels[name] = unaryKernel(buffers, f);
  for (const [name, f] of Object.entries(BINARY)) kernels[name] = binaryKernel(buffers, name, f);

  kernels['where'] = ({ inputs, outputs }) => {
    const spec = outputs[0]!;
    const [C, A, B] = [inputs[0]!, inputs[1]!, inputs[2]!];
    const c = buffers.get(C.dataId);
    const a = buffers.get(A.dataId);
    const b = buffers.get(B.dataId);
    const ic = broadcastOffsets(C.shape, spec.shape);
    const ia = broadcastOffsets(A.shape, spec.shape);
    const ib = broadcastOffsets(B.shape, spec.shape);
    const out = alloc(spec);
    for (let i = 0; i < out.length; i++) out[i] = c[ic[i]!] !== 0 ? a[ia[i]!]! : b[ib[i]!]!;
    return buffers.put(out);
  };

  kernels['cast'] = ({ inputs, outputs }) => {
    const x = buffers.get(inputs[0]!.dataId);
    const spec = outputs[0]!;
    const out = alloc(spec);
    if (spec.dtype === 'bool') {
      for (let i = 0; i < out.length; i++) out[i] = x[i] !== 0 ? 1 : 0; // NaN is true, as in TensorFlow
    } else {
      // The typed array store converts: float to int32 truncates toward zero, float64 to
      // float32 rounds to nearest.
      for (let i = 0; i < out.length; i++) out[i] = x[i]!;
    }
    return buffers.put(out);
  };
  return kernels;
}
