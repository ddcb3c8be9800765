/**
 * Shared code generation for kernels: the n-ary elementwise template with broadcasting, and
 * small helpers.
 *
 * @module
 */
import { sizeOf, type OutputSpec, type TensorInfo } from '@tessera/core';
import type { GpuContext, GpuData } from '../backend.js';
import { collapseBroadcast, dispatch1D, entry1D, strides, wgslType, WG, type UniformField, type WgslType } from '../program.js';

/** How an elementwise input is indexed. @internal */
type Mode = 's' | 'c' | 'b' | 'v'; // same shape, constant (one element), broadcast, broadcast but whole along the last dim

/**
 * Runs an elementwise program: output element `i` is `expr(v0, v1, ...)` where `vk` is input
 * `k`'s element that broadcasting maps to `i`. Shapes are collapsed first, so the shader key
 * depends only on the collapsed rank and on which inputs broadcast.
 *
 * Each thread computes four consecutive outputs with 16-byte loads and stores (`vec4`) when it
 * can: always without broadcasting (the last vector reads and writes the padding that every
 * buffer has up to a multiple of 16 bytes), and with broadcasting when the collapsed last
 * dimension is a multiple of 4 (an input then either spans it, read as vectors, or is constant
 * along it, read once and splat). Otherwise one output per thread.
 * @internal
 */
export function elementwise(
  ctx: GpuContext,
  op: string,
  keyBase: string,
  inputs: readonly TensorInfo[],
  out: OutputSpec,
  expr: (v: readonly string[]) => string,
): GpuData {
  const o = ctx.alloc(out);
  const n = o.size;
  if (n === 0) return o;
  const { out: cs, ins } = collapseBroadcast(out.shape, inputs.map((t) => t.shape));
  const r = cs.length;
  const bcast = ins.some((s) => {
    const sz = sizeOf(s);
    return sz !== n && sz !== 1;
  });
  const vec = !bcast || cs[r - 1]! % 4 === 0;
  const modes: Mode[] = ins.map((s) => {
    const sz = sizeOf(s);
    if (sz === n) return 's';
    if (sz === 1) return 'c';
    return vec && s[r - 1] !== 1 ? 'v' : 'b';
  });
  const W = vec ? 4 : 1;
  const threads = Math.ceil(n / W);
  const uniforms: number[] = [threads];
  const fields: UniformField[] = [{ name: 'n', type: 'u32' }];
  if (bcast) {
    const os = strides(cs);
    for (let d = 0; d < r - 1; d++) {
      fields.push({ name: `os${d}`, type: 'u32' });
      uniforms.push(os[d]!);
    }
    ins.forEach((s, k) => {
      if (modes[k] !== 'b' && modes[k] !== 'v') return;
      const st = strides(s);
      for (let d = 0; d < r; d++) {
        fields.push({ name: `s${k}_${d}`, type: 'u32' });
        uniforms.push(s[d] === 1 ? 0 : st[d]!);
      }
    });
  }
  const inTypes = inputs.map((t) => wgslType(t.dtype));
  const outType = wgslType(out.dtype);
  const key = `${keyBase}|${inTypes.join(',')}>${outType}|${modes.join('')}${bcast ? `|r${r}` : ''}${vec ? '|v4' : ''}`;
  const build = () => {
    const lines: string[] = [entry1D(), '  if (i >= u.n) { return; }'];
    if (bcast) {
      lines.push(`  var rem = ${vec ? 'i * 4u' : 'i'};`);
      for (let d = 0; d < r - 1; d++) lines.push(`  let c${d} = rem / u.os${d}; rem = rem - c${d} * u.os${d};`);
      lines.push(`  let c${r - 1} = rem;`);
    }
    const vecIn = modes.map((m) => vec && (m === 's' || m === 'v'));
    inputs.forEach((_, k) => {
      let idx: string;
      if (modes[k] === 's') idx = 'i';
      else if (modes[k] === 'c') idx = '0u';
      else {
        idx = Array.from({ length: r }, (_, d) => `c${d} * u.s${k}_${d}`).join(' + ');
        if (modes[k] === 'v') idx = `(${idx}) / 4u`;
      }
      lines.push(`  let v${k} = in${k}[${idx}];`);
    });
    if (!vec) lines.push(`  out0[i] = ${expr(inputs.map((_, k) => `v${k}`))};`);
    else {
      const lanes = [0, 1, 2, 3].map((j) => expr(inputs.map((_, k) => (vecIn[k] ? `v${k}[${j}]` : `v${k}`))));
      lines.push(`  out0[i] = vec4<${outType}>(\n    ${lanes.join(',\n    ')});`);
    }
    lines.push('}');
    return {
      inputs: inTypes.map((t, k) => (vecIn[k] ? (`vec4<${t}>` as const) : t)),
      outputs: [vec ? (`vec4<${outType}>` as const) : outType],
      uniforms: fields,
      code: lines.join('\n'),
    };
  };
  ctx.run({
    op,
    key,
    build,
    inputs: inputs.map((t) => ctx.data(t.dataId)),
    outputs: [o],
    uniforms,
    workgroups: dispatch1D(threads, WG, ctx.limits.maxWorkgroupsPerDimension),
  });
  return o;
}

/** Zero of a WGSL type, as a literal. @internal */
export function zeroOf(t: WgslType): string {
  return t === 'f32' ? '0.0' : t === 'i32' ? '0' : '0u';
}
