/**
 * Elementwise kernels: unary math, binary arithmetic and comparisons with broadcasting,
 * `where` and `cast`. Each op is a WGSL expression per storage type; the template in
 * `common.ts` does the indexing. Float math goes through the NaN-safe `m_*` library.
 *
 * @module
 */
import { BackendError, type Kernel } from '@tessera/core';
import type { GpuContext } from '../backend.js';
import { wgslType, type WgslType } from '../program.js';
import { elementwise } from './common.js';

type Unary = (x: string, t: WgslType) => string | undefined;

const fOnly =
  (f: (x: string) => string): Unary =>
  (x, t) =>
    t === 'f32' ? f(x) : undefined;

const UNARY: Record<string, Unary> = {
  neg: (x, t) => (t === 'u32' ? undefined : `-${x}`),
  abs: (x, t) => (t === 'u32' ? undefined : `abs(${x})`),
  sign: (x, t) => (t === 'f32' ? `m_sign(${x})` : t === 'i32' ? `sign(${x})` : undefined),
  exp: fOnly((x) => `m_exp(${x})`),
  expm1: fOnly((x) => `m_expm1(${x})`),
  log: fOnly((x) => `m_log(${x})`),
  log1p: fOnly((x) => `m_log1p(${x})`),
  sqrt: fOnly((x) => `m_sqrt(${x})`),
  sin: fOnly((x) => `m_sin(${x})`),
  cos: fOnly((x) => `m_cos(${x})`),
  tan: fOnly((x) => `m_tan(${x})`),
  tanh: fOnly((x) => `m_tanh(${x})`),
  sigmoid: fOnly((x) => `m_sigmoid(${x})`),
  floor: (x, t) => (t === 'f32' ? `m_floor(${x})` : t === 'i32' ? x : undefined),
  ceil: (x, t) => (t === 'f32' ? `m_ceil(${x})` : t === 'i32' ? x : undefined),
  round: (x, t) => (t === 'f32' ? `m_round(${x})` : t === 'i32' ? x : undefined),
  logicalNot: (x, t) => (t === 'u32' ? `u32(${x} == 0u)` : undefined),
  isNaN: (x, t) => (t === 'f32' ? `u32(m_isnan(${x}))` : '0u'),
  isFinite: (x, t) => (t === 'f32' ? `u32(m_isfinite(${x}))` : '1u'),
};

type Binary = (a: string, b: string, t: WgslType) => string | undefined;

const arith =
  (f: string, i: string): Binary =>
  (a, b, t) =>
    t === 'f32' ? f.replace(/A/g, a).replace(/B/g, b) : t === 'i32' ? i.replace(/A/g, a).replace(/B/g, b) : undefined;

function compare(opSym: string): Binary {
  return (a, b, t) =>
    t === 'f32' ? `u32(!(m_isnan(${a}) || m_isnan(${b})) && ${a} ${opSym} ${b})` : `u32(${a} ${opSym} ${b})`;
}

const BINARY: Record<string, Binary> = {
  add: arith('A + B', 'A + B'),
  sub: arith('A - B', 'A - B'),
  mul: arith('A * B', 'A * B'),
  div: (a, b, t) => (t === 'f32' ? `${a} / ${b}` : undefined),
  floorDiv: arith('m_floordiv(A, B)', 'm_ifloordiv(A, B)'),
  mod: arith('m_floormod(A, B)', 'm_imod(A, B)'),
  pow: arith('m_pow(A, B)', 'm_ipow(A, B)'),
  maximum: arith('m_max(A, B)', 'max(A, B)'),
  minimum: arith('m_min(A, B)', 'min(A, B)'),
  atan2: (a, b, t) => (t === 'f32' ? `m_atan2(${a}, ${b})` : undefined),
  equal: compare('=='),
  notEqual: (a, b, t) => (t === 'f32' ? `u32(m_isnan(${a}) || m_isnan(${b}) || !(${a} == ${b}))` : `u32(${a} != ${b})`),
  less: compare('<'),
  lessEqual: compare('<='),
  greater: compare('>'),
  greaterEqual: compare('>='),
  logicalAnd: (a, b, t) => (t === 'u32' ? `u32(${a} != 0u && ${b} != 0u)` : undefined),
  logicalOr: (a, b, t) => (t === 'u32' ? `u32(${a} != 0u || ${b} != 0u)` : undefined),
};

/**
 * Fused kernels for elementwise composites that have gradient rules (so a tape that records
 * them as one op can still differentiate them). Each gives the composition's results,
 * NaN included.
 */
const FUSED_UNARY: Record<string, Unary> = {
  relu: (x, t) => (t === 'f32' ? `select(${x}, 0.0, ${x} <= 0.0 && !m_isnan(${x}))` : t === 'i32' ? `max(${x}, 0)` : undefined),
  relu6: (x, t) =>
    t === 'f32' ? `m_min(select(${x}, 0.0, ${x} <= 0.0 && !m_isnan(${x})), 6.0)` : t === 'i32' ? `min(max(${x}, 0), 6)` : undefined,
  square: (x, t) => (t === 'u32' ? undefined : `${x} * ${x}`),
  reciprocal: fOnly((x) => `1.0 / ${x}`),
  rsqrt: fOnly((x) => `1.0 / m_sqrt(${x})`),
  selu: fOnly((x) => `select(m_expm1(${x}) * 1.6732632423543772, ${x}, ${x} > 0.0) * 1.0507009873554805`),
  softplus: fOnly((x) => `m_log1p(m_exp(-abs(${x}))) + select(${x}, 0.0, ${x} <= 0.0 && !m_isnan(${x}))`),
};

function castExpr(x: string, from: WgslType, to: WgslType): string {
  if (from === to) return x;
  if (to === 'u32') return from === 'f32' ? `u32(m_isnan(${x}) || ${x} != 0.0)` : `u32(${x} != 0)`;
  if (to === 'f32') return `f32(${x})`;
  // to i32
  return from === 'f32' ? `m_f32_to_i32(${x})` : `i32(${x})`;
}

function unsupported(op: string, t: WgslType): never {
  throw new BackendError(`${op}: the webgpu backend has no kernel for ${t} inputs`);
}

/** Builds the elementwise kernels. @internal */
export function elementwiseKernels(ctx: GpuContext): Record<string, Kernel> {
  const kernels: Record<string, Kernel> = {};
  for (const [name, f] of Object.entries(UNARY)) {
    kernels[name] = ({ inputs, outputs }) => {
      const t = wgslType(inputs[0]!.dtype);
      const probe = f('x', t);
      if (probe === undefined) unsupported(name, t);
      return elementwise(ctx, name, `un:${name}`, inputs, outputs[0]!, ([x]) => f(x!, t)!);
    };
  }
  for (const [name, f] of Object.entries(BINARY)) {
    kernels[name] = ({ inputs, outputs }) => {
      const t = wgslType(inputs[0]!.dtype);
      if (f('a', 'b', t) === undefined) unsupported(name, t);
      return elementwise(ctx, name, `bin:${name}`, inputs, outputs[0]!, ([a, b]) => f(a!, b!, t)!);
    };
  }
  for (const [name, f] of Object.entries(FUSED_UNARY)) {
    kernels[name] = ({ inputs, outputs }) => {
      const t = wgslType(inputs[0]!.dtype);
      if (f('x', t) === undefined) unsupported(name, t);
      return elementwise(ctx, name, `fused:${name}`, inputs, outputs[0]!, ([x]) => f(x!, t)!);
    };
  }
  kernels['squaredDifference'] = ({ inputs, outputs }) => {
    const t = wgslType(inputs[0]!.dtype);
    if (t === 'u32') unsupported('squaredDifference', t);
    return elementwise(ctx, 'squaredDifference', 'fused:squaredDifference', inputs, outputs[0]!, ([a, b]) => `(${a} - ${b}) * (${a} - ${b})`);
  };
  kernels['where'] = ({ inputs, outputs }) =>
    elementwise(ctx, 'where', 'where', inputs, outputs[0]!, ([c, a, b]) => `select(${b}, ${a}, ${c} != 0u)`);
  kernels['cast'] = ({ inputs, outputs }) => {
    const from = wgslType(inputs[0]!.dtype);
    const to = wgslType(outputs[0]!.dtype);
    return elementwise(ctx, 'cast', 'cast', inputs, outputs[0]!, ([x]) => castExpr(x!, from, to));
  };
  return kernels;
}
