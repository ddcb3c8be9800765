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
type Mode = 's' | 'c' | 'b'; // same shape, constant (one element), broadcast

/**
 * Runs an elementwise program: output element `i` is `expr(v0, v1, ...)` where `vk` is input
 * `k`'s element that broadcasting maps to `i`. Shapes are collapsed first, so the shader key
 * depends only on the collapsed rank and on which inputs broadcast.
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
  const modes: Mode[] = ins.map((s) => {
    const sz = sizeOf(s);
    return sz === n ? 's' : sz === 1 ? 'c' : 'b';
  });
  const bcast = modes.includes('b');
  const r = cs.length;
  const uniforms: number[] = [n];
  const fields: UniformField[] = [{ name: 'n', type: 'u32' }];
  if (bcast) {
    const os = strides(cs);
    for (let d = 0; d < r - 1; d++) {
      fields.push({ name: `os${d}`, type: 'u32' });
      uniforms.push(os[d]!);
    }
    ins.forEach((s, k) => {
      if (modes[k] !== 'b') return;
      const st = strides(s);
      for (let d = 0; d < r; d++) {
        fields.push({ name: `s${k}_${d}`, type: 'u32' });
        uniforms.push(s[d] === 1 ? 0 : st[d]!);
      }
    });
  }
  const inTypes = inputs.map((t) => wgslType(t.dtype));
  const outType = wgslType(out.dtype);
  const key = `${keyBase}|${inTypes.join(',')}>${outType}|${modes.join('')}${bcast ? `|r${r}` : ''}`;
  const build = () => {
    const lines: string[] = [entry1D(), '  if (i >= u.n) { return; }'];
    if (bcast) {
      lines.push('  var rem = i;');
      for (let d = 0; d < r - 1; d++) lines.push(`  let c${d} = rem / u.os${d}; rem = rem - c${d} * u.os${d};`);
      lines.push(`  let c${r - 1} = rem;`);
    }
    const names = inputs.map((_, k) => {
      let idx: string;
      if (modes[k] === 's') idx = 'i';
      else if (modes[k] === 'c') idx = '0u';
      else idx = Array.from({ length: r }, (_, d) => `c${d} * u.s${k}_${d}`).join(' + ');
      lines.push(`  let v${k} = in${k}[${idx}];`);
      return `v${k}`;
    });
    lines.push(`  out0[i] = ${expr(names)};`);
    lines.push('}');
    return { inputs: inTypes, outputs: [outType], uniforms: fields, code: lines.join('\n') };
  };
  ctx.run({
    op,
    key,
    build,
    inputs: inputs.map((t) => ctx.data(t.dataId)),
    outputs: [o],
    uniforms,
    workgroups: dispatch1D(n, WG, ctx.limits.maxWorkgroupsPerDimension),
  });
  return o;
}

/** Zero of a WGSL type, as a literal. @internal */
export function zeroOf(t: WgslType): string {
  return t === 'f32' ? '0.0' : t === 'i32' ? '0' : '0u';
}
