/**
 * Reduction kernels: `sum`, `prod`, `max`, `min`, `any`, `all` over a sorted list of axes,
 * `argMax`/`argMin` along one axis, and `cumsum`.
 *
 * Multi-axis reductions first drop size-1 dimensions and merge neighbouring dimensions that are
 * both reduced or both kept, so the shader key depends only on how many kept and reduced
 * dimensions remain. Short reductions run one thread per output. A long reduction over
 * contiguous elements (the innermost dimensions) runs one workgroup per output with 16-byte
 * loads where the length allows, and is split across workgroups when there are few outputs;
 * one over a strided dimension runs one thread per output and chunk, so neighbouring threads
 * read neighbouring elements; other long ones one workgroup per output with a tree in
 * workgroup memory, split when there are few outputs. Split reductions leave partial results
 * that a second pass reduces.
 *
 * @module
 */
import { sizeOf, type DType, type Kernel, type Shape } from '@tessera/core';
import type { GpuContext, GpuData } from '../backend.js';
import { dispatch1D, entry1D, strides, wgslType, WG, type UniformField, type WgslType } from '../program.js';

interface Reducer {
  /** The identity, as a WGSL expression of the accumulator type. */
  readonly ident: (t: WgslType) => string;
  /** Combines two accumulator values. */
  readonly combine: (a: string, b: string, t: WgslType) => string;
}

const INT_MIN = 'bitcast<i32>(0x80000000u)';
const INT_MAX = '2147483647';

const REDUCERS: Record<string, Reducer> = {
  sum: { ident: (t) => (t === 'f32' ? '0.0' : '0'), combine: (a, b) => `(${a} + ${b})` },
  prod: { ident: (t) => (t === 'f32' ? '1.0' : '1'), combine: (a, b) => `(${a} * ${b})` },
  max: {
    ident: (t) => (t === 'f32' ? '-m_inf()' : INT_MIN),
    combine: (a, b, t) => (t === 'f32' ? `m_max(${a}, ${b})` : `max(${a}, ${b})`),
  },
  min: {
    ident: (t) => (t === 'f32' ? 'm_inf()' : INT_MAX),
    combine: (a, b, t) => (t === 'f32' ? `m_min(${a}, ${b})` : `min(${a}, ${b})`),
  },
  any: { ident: () => '0u', combine: (a, b) => `(${a} | ${b})` },
  all: { ident: () => '1u', combine: (a, b) => `(${a} & ${b})` },
};

/** A reduction after merging dims: kept and reduced dims with their input strides. */
interface Plan {
  readonly kept: number[];
  readonly keptIn: number[];
  readonly red: number[];
  readonly redIn: number[];
}

function plan(shape: Shape, axes: readonly number[]): Plan {
  const dims: number[] = [];
  const isRed: boolean[] = [];
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === 1) continue;
    const r = axes.includes(i);
    const last = dims.length - 1;
    if (last >= 0 && isRed[last] === r) dims[last] = dims[last]! * d;
    else {
      dims.push(d);
      isRed.push(r);
    }
  }
  const st = strides(dims);
  const p: Plan = { kept: [], keptIn: [], red: [], redIn: [] };
  dims.forEach((d, i) => {
    if (isRed[i]) {
      p.red.push(d);
      p.redIn.push(st[i]!);
    } else {
      p.kept.push(d);
      p.keptIn.push(st[i]!);
    }
  });
  return p;
}

/** WGSL of `fn <name>(i: u32) -> u32`: decodes `i` over `n` dims into an input offset. */
function offsetFn(name: string, prefix: string, n: number): string {
  const lines = [`fn ${name}(i: u32) -> u32 {`];
  if (n === 0) lines.push('  return 0u;');
  else {
    lines.push('  var rem = i;', '  var off = 0u;');
    for (let d = 0; d < n - 1; d++) {
      lines.push(`  { let c = rem / u.${prefix}o${d}; rem = rem - c * u.${prefix}o${d}; off = off + c * u.${prefix}i${d}; }`);
    }
    lines.push(`  return off + rem * u.${prefix}i${n - 1};`);
  }
  lines.push('}');
  return lines.join('\n');
}

function planUniforms(p: Plan, fields: UniformField[], values: number[]): void {
  const ko = strides(p.kept);
  const ro = strides(p.red);
  p.kept.forEach((_, d) => {
    if (d < p.kept.length - 1) {
      fields.push({ name: `ko${d}`, type: 'u32' });
      values.push(ko[d]!);
    }
    fields.push({ name: `ki${d}`, type: 'u32' });
    values.push(p.keptIn[d]!);
  });
  p.red.forEach((_, d) => {
    if (d < p.red.length - 1) {
      fields.push({ name: `ro${d}`, type: 'u32' });
      values.push(ro[d]!);
    }
    fields.push({ name: `ri${d}`, type: 'u32' });
    values.push(p.redIn[d]!);
  });
}

/** Below this many reduced elements per output, one thread reduces a whole output. */
const SERIAL_MAX = 64;
/** Threads of the workgroup-per-output kernel. */
const RWG = 64;

/**
 * Reduces `x` (viewed through `p`) into `out`. With `splits > 1`, each output is split into
 * that many chunks whose partial results land in `out` as `[outSize, splits]`.
 */
function reduceDispatch(
  ctx: GpuContext,
  op: string,
  r: Reducer,
  t: WgslType,
  x: GpuData,
  out: GpuData,
  p: Plan,
  outSize: number,
  splits: number,
): void {
  const R = sizeOf(p.red);
  const nk = p.kept.length;
  const nr = p.red.length;
  const fields: UniformField[] = [];
  const values: number[] = [];
  if (R <= SERIAL_MAX && splits === 1) {
    fields.push({ name: 'n', type: 'u32' }, { name: 'R', type: 'u32' });
    values.push(outSize, R);
    planUniforms(p, fields, values);
    const key = `reduce-serial:${op}:${t}:k${nk}r${nr}`;
    ctx.run({
      op,
      key,
      build: () => ({
        inputs: [t],
        outputs: [t],
        uniforms: fields,
        code: [
          offsetFn('base_of', 'k', nk),
          offsetFn('red_of', 'r', nr),
          entry1D(),
          '  if (i >= u.n) { return; }',
          '  let base = base_of(i);',
          `  var acc: ${t} = ${r.ident(t)};`,
          `  for (var j = 0u; j < u.R; j = j + 1u) { acc = ${r.combine('acc', 'in0[base + red_of(j)]', t)}; }`,
          '  out0[i] = acc;',
          '}',
        ].join('\n'),
      }),
      inputs: [x],
      outputs: [out],
      uniforms: values,
      workgroups: dispatch1D(outSize, WG, ctx.limits.maxWorkgroupsPerDimension),
    });
    return;
  }
  const groups = outSize * splits;
  const chunk = Math.ceil(R / splits);
  fields.push({ name: 'groups', type: 'u32' }, { name: 'S', type: 'u32' }, { name: 'R', type: 'u32' }, { name: 'chunk', type: 'u32' });
  values.push(groups, splits, R, chunk);
  planUniforms(p, fields, values);
  const key = `reduce-tree:${op}:${t}:k${nk}r${nr}`;
  const half = RWG / 2;
  ctx.run({
    op,
    key,
    build: () => ({
      inputs: [t],
      outputs: [t],
      uniforms: fields,
      code: [
        offsetFn('base_of', 'k', nk),
        offsetFn('red_of', 'r', nr),
        `var<workgroup> sh: array<${t}, ${RWG}>;`,
        `@compute @workgroup_size(${RWG})`,
        'fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {',
        '  let g = wid.x + wid.y * nwg.x;',
        '  if (g >= u.groups) { return; }',
        '  let tid = lid.x;',
        '  let o = g / u.S;',
        '  let s = g - o * u.S;',
        '  let base = base_of(o);',
        '  let start = s * u.chunk;',
        '  let end = min(u.R, start + u.chunk);',
        `  var acc: ${t} = ${r.ident(t)};`,
        `  for (var j = start + tid; j < end; j = j + ${RWG}u) { acc = ${r.combine('acc', 'in0[base + red_of(j)]', t)}; }`,
        '  sh[tid] = acc;',
        '  workgroupBarrier();',
        `  for (var k = ${half}u; k > 0u; k = k >> 1u) {`,
        `    if (tid < k) { sh[tid] = ${r.combine('sh[tid]', 'sh[tid + k]', t)}; }`,
        '    workgroupBarrier();',
        '  }',
        '  if (tid == 0u) { out0[g] = sh[0]; }',
        '}',
      ].join('\n'),
    }),
    inputs: [x],
    outputs: [out],
    uniforms: values,
    workgroups: dispatch1D(groups, 1, ctx.limits.maxWorkgroupsPerDimension),
  });
}

/** Threads of the contiguous-row kernel: `ROW_WG_SMALL` for rows under `ROW_WG_SMALL_MAX` units. */
const ROW_WG = 256;
const ROW_WG_SMALL = 64;
const ROW_WG_SMALL_MAX = 1024;
/** Loads each thread of a split contiguous reduction aims at, and the workgroups worth splitting for. */
const ROW_LOADS_PER_THREAD = 8;
const ROW_TARGET_GROUPS = 2048;
/** Threads the strided (column) reduction aims at, and the least rows each one reduces. */
const COL_TARGET_THREADS = 131072;
const COL_MIN_ROWS = 16;

/** Combines `a` and `b` of a vector accumulator lane by lane (the reducers are scalar). */
function combineVec(r: Reducer, a: string, b: string, t: WgslType): string {
  return `vec4<${t}>(${[0, 1, 2, 3].map((j) => r.combine(`${a}[${j}]`, `${b}[${j}]`, t)).join(', ')})`;
}

/**
 * Reduces each of `rows` contiguous rows of `R` elements (row `o` starts at element `o * R`):
 * 16-byte loads when `R` is a multiple of 4, 256 threads per row (64 for short rows), four
 * independent accumulators per thread so several loads are in flight, then a tree in
 * workgroup memory. Long rows with few outputs are split across workgroups whose partial
 * results a second pass reduces the same way.
 */
function rowReduce(ctx: GpuContext, op: string, r: Reducer, t: WgslType, dtype: DType, x: GpuData, out: GpuData, rows: number, R: number): void {
  const V = R % 4 === 0 ? 4 : 1;
  const units = R / V;
  const wg = units >= ROW_WG_SMALL_MAX ? ROW_WG : ROW_WG_SMALL;
  const S = Math.max(1, Math.min(Math.ceil(units / (wg * ROW_LOADS_PER_THREAD)), Math.ceil(ROW_TARGET_GROUPS / rows)));
  const target = S === 1 ? out : ctx.temp(rows * S, dtype);
  const groups = rows * S;
  const chunk = Math.ceil(units / S);
  const vt = V === 4 ? `vec4<${t}>` : t;
  const id = V === 4 ? `${vt}(${r.ident(t)})` : r.ident(t);
  const comb = (a: string, b: string): string => (V === 4 ? combineVec(r, a, b, t) : r.combine(a, b, t));
  const lanes = V === 4 ? [1, 2, 3].reduce((acc, j) => r.combine(acc, `a[${j}]`, t), 'a[0]') : 'a';
  ctx.run({
    op,
    key: `reduce-row:${op}:${t}:v${V}:w${wg}`,
    build: () => ({
      inputs: [vt as WgslType | `vec4<${WgslType}>`],
      outputs: [t],
      uniforms: [
        { name: 'groups', type: 'u32' },
        { name: 'S', type: 'u32' },
        { name: 'units', type: 'u32' },
        { name: 'chunk', type: 'u32' },
      ],
      code: [
        `var<workgroup> sh: array<${t}, ${wg}>;`,
        `@compute @workgroup_size(${wg})`,
        'fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {',
        '  let g = wid.x + wid.y * nwg.x;',
        '  if (g >= u.groups) { return; }',
        '  let tid = lid.x;',
        '  let o = g / u.S;',
        '  let s = g - o * u.S;',
        '  let base = o * u.units;',
        '  let end = base + min(u.units, (s + 1u) * u.chunk);',
        '  var j = base + s * u.chunk + tid;',
        `  var a0: ${vt} = ${id};`,
        `  var a1: ${vt} = ${id};`,
        `  var a2: ${vt} = ${id};`,
        `  var a3: ${vt} = ${id};`,
        `  for (; j + ${3 * wg}u < end; j = j + ${4 * wg}u) {`,
        `    let x0 = in0[j]; let x1 = in0[j + ${wg}u]; let x2 = in0[j + ${2 * wg}u]; let x3 = in0[j + ${3 * wg}u];`,
        `    a0 = ${comb('a0', 'x0')}; a1 = ${comb('a1', 'x1')}; a2 = ${comb('a2', 'x2')}; a3 = ${comb('a3', 'x3')};`,
        '  }',
        `  for (; j < end; j = j + ${wg}u) { a0 = ${comb('a0', 'in0[j]')}; }`,
        `  let a = ${comb(comb('a0', 'a1'), comb('a2', 'a3'))};`,
        `  sh[tid] = ${lanes};`,
        '  workgroupBarrier();',
        `  for (var k = ${wg / 2}u; k > 0u; k = k >> 1u) {`,
        `    if (tid < k) { sh[tid] = ${r.combine('sh[tid]', 'sh[tid + k]', t)}; }`,
        '    workgroupBarrier();',
        '  }',
        '  if (tid == 0u) { out0[g] = sh[0]; }',
        '}',
      ].join('\n'),
    }),
    inputs: [x],
    outputs: [target],
    uniforms: [groups, S, units, chunk],
    workgroups: dispatch1D(groups, 1, ctx.limits.maxWorkgroupsPerDimension),
  });
  if (S === 1) return;
  finishSplits(ctx, op, r, t, dtype, target, out, rows, S);
  ctx.releaseTemp(target);
}

/** Reduces partial results stored as `[rows, S]` into `out`. */
function finishSplits(ctx: GpuContext, op: string, r: Reducer, t: WgslType, dtype: DType, parts: GpuData, out: GpuData, rows: number, S: number): void {
  if (S > SERIAL_MAX) rowReduce(ctx, op, r, t, dtype, parts, out, rows, S);
  else {
    const p2: Plan = rows === 1 ? { kept: [], keptIn: [], red: [S], redIn: [1] } : { kept: [rows], keptIn: [S], red: [S], redIn: [1] };
    reduceDispatch(ctx, op, r, t, parts, out, p2, rows, 1);
  }
}

/**
 * Reduces along one strided dimension with the innermost kept dimension contiguous (say, the
 * sum over axis 0 of a matrix): one thread per output and chunk of the reduced dimension, so
 * neighbouring threads read neighbouring elements; chunks are added up by a second pass.
 */
function colReduce(ctx: GpuContext, op: string, r: Reducer, t: WgslType, dtype: DType, x: GpuData, out: GpuData, p: Plan, outSize: number): void {
  const R = p.red[0]!;
  const S = Math.max(1, Math.min(Math.ceil(R / COL_MIN_ROWS), Math.ceil(COL_TARGET_THREADS / outSize)));
  const chunk = Math.ceil(R / S);
  const target = S === 1 ? out : ctx.temp(outSize * S, dtype);
  const fields: UniformField[] = [
    { name: 'n', type: 'u32' },
    { name: 'outs', type: 'u32' },
    { name: 'S', type: 'u32' },
    { name: 'R', type: 'u32' },
    { name: 'chunk', type: 'u32' },
  ];
  const values = [outSize * S, outSize, S, R, chunk];
  planUniforms(p, fields, values);
  const nk = p.kept.length;
  ctx.run({
    op,
    key: `reduce-col:${op}:${t}:k${nk}`,
    build: () => ({
      inputs: [t],
      outputs: [t],
      uniforms: fields,
      code: [
        offsetFn('base_of', 'k', nk),
        entry1D(),
        '  if (i >= u.n) { return; }',
        '  let s = i / u.outs;',
        '  let o = i - s * u.outs;',
        '  let base = base_of(o);',
        '  let start = s * u.chunk;',
        '  let end = min(u.R, start + u.chunk);',
        `  var acc: ${t} = ${r.ident(t)};`,
        `  for (var j = start; j < end; j = j + 1u) { acc = ${r.combine('acc', 'in0[base + j * u.ri0]', t)}; }`,
        '  out0[o * u.S + s] = acc;',
        '}',
      ].join('\n'),
    }),
    inputs: [x],
    outputs: [target],
    uniforms: values,
    workgroups: dispatch1D(outSize * S, WG, ctx.limits.maxWorkgroupsPerDimension),
  });
  if (S === 1) return;
  finishSplits(ctx, op, r, t, dtype, target, out, outSize, S);
  ctx.releaseTemp(target);
}

function reduceKernel(ctx: GpuContext, op: string): Kernel {
  const r = REDUCERS[op]!;
  return ({ inputs, attrs, outputs }) => {
    const X = inputs[0]!;
    const out = ctx.alloc(outputs[0]!);
    const outSize = out.size;
    if (outSize === 0) return out;
    const t = wgslType(X.dtype);
    const x = ctx.data(X.dataId);
    const p = plan(X.shape, attrs['axes'] as number[]);
    const R = sizeOf(p.red);
    if (R > SERIAL_MAX && p.red.length === 1) {
      // one reduced dimension: contiguous rows, or a strided dimension with contiguous outputs
      if (p.redIn[0] === 1) rowReduce(ctx, op, r, t, X.dtype, x, out, outSize, R);
      else colReduce(ctx, op, r, t, X.dtype, x, out, p, outSize);
      return out;
    }
    // split long reductions with few outputs across workgroups, then reduce the partials
    const splits = outSize < 256 && R >= 16 * RWG ? Math.min(1024, Math.ceil(R / (16 * RWG))) : 1;
    if (splits === 1) {
      reduceDispatch(ctx, op, r, t, x, out, p, outSize, 1);
      return out;
    }
    const partial = ctx.temp(outSize * splits, X.dtype);
    reduceDispatch(ctx, op, r, t, x, partial, p, outSize, splits);
    finishSplits(ctx, op, r, t, X.dtype, partial, out, outSize, splits);
    ctx.releaseTemp(partial);
    return out;
  };
}

/** [outer, length, inner] around an axis (a scalar is [1, 1, 1]). */
function around(shape: Shape, axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape.length === 0 ? 1 : shape[axis]!, inner];
}

function argKernel(ctx: GpuContext, isMax: boolean): Kernel {
  const op = isMax ? 'argMax' : 'argMin';
  const cmp = isMax ? '>' : '<';
  return ({ inputs, attrs, outputs }) => {
    const X = inputs[0]!;
    const out = ctx.alloc(outputs[0]!);
    const n = out.size;
    if (n === 0) return out;
    const t = wgslType(X.dtype);
    const [, len, inner] = around(X.shape, attrs['axis'] as number);
    // better(v, i, bv, bi): candidate (v, i) beats the best so far; NaN wins, ties keep the lower index
    const nanCheck = t === 'f32';
    const better = [
      `fn better(v: ${t}, i: u32, bv: ${t}, bi: u32) -> bool {`,
      ...(nanCheck
        ? ['  if (m_isnan(bv)) { return m_isnan(v) && i < bi; }', '  if (m_isnan(v)) { return true; }']
        : []),
      `  return v ${cmp} bv || (v == bv && i < bi);`,
      '}',
    ].join('\n');
    const serial = len <= SERIAL_MAX;
    const key = `${op}:${t}:${serial ? 'serial' : 'tree'}`;
    const values = [n, len, inner];
    const fields: UniformField[] = [
      { name: 'n', type: 'u32' },
      { name: 'len', type: 'u32' },
      { name: 'inner', type: 'u32' },
    ];
    const code = serial
      ? [
          better,
          entry1D(),
          '  if (i >= u.n) { return; }',
          '  let a = i / u.inner;',
          '  let j = i - a * u.inner;',
          '  let base = a * u.len * u.inner + j;',
          '  var bv = in0[base];',
          '  var bi = 0u;',
          '  for (var r = 1u; r < u.len; r = r + 1u) {',
          '    let v = in0[base + r * u.inner];',
          '    if (better(v, r, bv, bi)) { bv = v; bi = r; }',
          '  }',
          '  out0[i] = i32(bi);',
          '}',
        ]
      : [
          better,
          `var<workgroup> shv: array<${t}, ${RWG}>;`,
          `var<workgroup> shi: array<u32, ${RWG}>;`,
          `@compute @workgroup_size(${RWG})`,
          'fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {',
          '  let g = wid.x + wid.y * nwg.x;',
          '  if (g >= u.n) { return; }',
          '  let tid = lid.x;',
          '  let a = g / u.inner;',
          '  let j = g - a * u.inner;',
          '  let base = a * u.len * u.inner + j;',
          '  var bv = in0[base];',
          '  var bi = 0u;',
          `  for (var r = tid; r < u.len; r = r + ${RWG}u) {`,
          '    let v = in0[base + r * u.inner];',
          '    if (r == tid || better(v, r, bv, bi)) { bv = v; bi = r; }',
          '  }',
          '  shv[tid] = bv;',
          '  shi[tid] = select(bi, 0xffffffffu, tid >= u.len);',
          '  workgroupBarrier();',
          `  for (var k = ${RWG / 2}u; k > 0u; k = k >> 1u) {`,
          '    if (tid < k && shi[tid + k] != 0xffffffffu && (shi[tid] == 0xffffffffu || better(shv[tid + k], shi[tid + k], shv[tid], shi[tid]))) {',
          '      shv[tid] = shv[tid + k];',
          '      shi[tid] = shi[tid + k];',
          '    }',
          '    workgroupBarrier();',
          '  }',
          '  if (tid == 0u) { out0[g] = i32(shi[0]); }',
          '}',
        ];
    ctx.run({
      op,
      key,
      build: () => ({ inputs: [t], outputs: ['i32'], uniforms: fields, code: code.join('\n') }),
      inputs: [ctx.data(X.dataId)],
      outputs: [out],
      uniforms: values,
      workgroups: serial ? dispatch1D(n, WG, ctx.limits.maxWorkgroupsPerDimension) : dispatch1D(n, 1, ctx.limits.maxWorkgroupsPerDimension),
    });
    return out;
  };
}

function cumsumKernel(ctx: GpuContext): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const X = inputs[0]!;
    const out = ctx.alloc(outputs[0]!);
    if (out.size === 0) return out;
    const t = wgslType(X.dtype);
    const [outer, len, inner] = around(X.shape, attrs['axis'] as number);
    const exclusive = attrs['exclusive'] === true;
    const reverse = attrs['reverse'] === true;
    const lines = outer * inner;
    const zero = t === 'f32' ? '0.0' : '0';
    const key = `cumsum:${t}:${exclusive ? 'x' : 'i'}${reverse ? 'r' : 'f'}`;
    ctx.run({
      op: 'cumsum',
      key,
      build: () => ({
        inputs: [t],
        outputs: [t],
        uniforms: [
          { name: 'n', type: 'u32' },
          { name: 'len', type: 'u32' },
          { name: 'inner', type: 'u32' },
        ],
        code: [
          entry1D(),
          '  if (i >= u.n) { return; }',
          '  let a = i / u.inner;',
          '  let j = i - a * u.inner;',
          '  let base = a * u.len * u.inner + j;',
          `  var run: ${t} = ${zero};`,
          '  for (var c = 0u; c < u.len; c = c + 1u) {',
          `    let r = ${reverse ? 'u.len - 1u - c' : 'c'};`,
          '    let at = base + r * u.inner;',
          exclusive ? '    let v = in0[at]; out0[at] = run; run = run + v;' : '    run = run + in0[at]; out0[at] = run;',
          '  }',
          '}',
        ].join('\n'),
      }),
      inputs: [ctx.data(X.dataId)],
      outputs: [out],
      uniforms: [lines, len, inner],
      workgroups: dispatch1D(lines, WG, ctx.limits.maxWorkgroupsPerDimension),
    });
    return out;
  };
}

/** Builds the reduction kernels. @internal */
export function reduceKernels(ctx: GpuContext): Record<string, Kernel> {
  const kernels: Record<string, Kernel> = {};
  for (const op of Object.keys(REDUCERS)) kernels[op] = reduceKernel(ctx, op);
  kernels['argMax'] = argKernel(ctx, true);
  kernels['argMin'] = argKernel(ctx, false);
  kernels['cumsum'] = cumsumKernel(ctx);
  return kernels;
}
