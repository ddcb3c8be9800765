/**
 * Fused kernels for composite ops: `softmax` and `logSoftmax` along one axis in a single
 * dispatch (the composition takes five). The results follow the composition exactly: the
 * maximum is subtracted first, a row holding NaN or `+Infinity` gives NaN. Their gradients are
 * autograd's rules for `softmax` / `logSoftmax`, as with any backend.
 *
 * @module
 */
import type { Kernel, Shape } from '@tessera/core';
import type { GpuContext } from '../backend.js';
import { dispatch1D, entry1D, WG } from '../program.js';

/** Rows at most this long are done by one thread; longer rows by a workgroup. */
const SERIAL_MAX = 64;
const SWG = 64;

function around(shape: Shape, axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[axis]!, inner];
}

function softmaxKernel(ctx: GpuContext, log: boolean): Kernel {
  const op = log ? 'logSoftmax' : 'softmax';
  const result = log ? '(x - mx) - m_log(s)' : 'm_exp(x - mx) / s';
  return ({ inputs, attrs, outputs }) => {
    const X = inputs[0]!;
    const out = ctx.alloc(outputs[0]!);
    if (out.size === 0) return out;
    const [outer, len, inner] = around(X.shape, attrs['axis'] as number);
    const lines = outer * inner;
    const serial = len <= SERIAL_MAX;
    const uniforms = [
      { name: 'lines', type: 'u32' as const },
      { name: 'len', type: 'u32' as const },
      { name: 'inner', type: 'u32' as const },
    ];
    const code = serial
      ? [
          entry1D(),
          '  if (i >= u.lines) { return; }',
          '  let a = i / u.inner;',
          '  let base = a * u.len * u.inner + (i - a * u.inner);',
          '  var mx = -m_inf();',
          '  for (var r = 0u; r < u.len; r = r + 1u) { mx = m_max(mx, in0[base + r * u.inner]); }',
          '  var s = 0.0;',
          '  for (var r = 0u; r < u.len; r = r + 1u) { s = s + m_exp(in0[base + r * u.inner] - mx); }',
          `  for (var r = 0u; r < u.len; r = r + 1u) { let x = in0[base + r * u.inner]; out0[base + r * u.inner] = ${result}; }`,
          '}',
        ].join('\n')
      : `
var<workgroup> sh: array<f32, ${SWG}>;
@compute @workgroup_size(${SWG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= u.lines) { return; }
  let t = lid.x;
  let a = g / u.inner;
  let base = a * u.len * u.inner + (g - a * u.inner);
  var v = -m_inf();
  for (var r = t; r < u.len; r = r + ${SWG}u) { v = m_max(v, in0[base + r * u.inner]); }
  sh[t] = v;
  workgroupBarrier();
  for (var k = ${SWG / 2}u; k > 0u; k = k >> 1u) {
    if (t < k) { sh[t] = m_max(sh[t], sh[t + k]); }
    workgroupBarrier();
  }
  let mx = sh[0];
  workgroupBarrier();
  var e = 0.0;
  for (var r = t; r < u.len; r = r + ${SWG}u) { e = e + m_exp(in0[base + r * u.inner] - mx); }
  sh[t] = e;
  workgroupBarrier();
  for (var k = ${SWG / 2}u; k > 0u; k = k >> 1u) {
    if (t < k) { sh[t] = sh[t] + sh[t + k]; }
    workgroupBarrier();
  }
  let s = sh[0];
  for (var r = t; r < u.len; r = r + ${SWG}u) { let x = in0[base + r * u.inner]; out0[base + r * u.inner] = ${result}; }
}`;
    ctx.run({
      op,
      key: `${op}:f32:${serial ? 'serial' : 'tree'}`,
      build: () => ({ inputs: ['f32'], outputs: ['f32'], uniforms, code }),
      inputs: [ctx.data(X.dataId)],
      outputs: [out],
      uniforms: [lines, len, inner],
      workgroups: serial ? dispatch1D(lines, WG, ctx.limits.maxWorkgroupsPerDimension) : dispatch1D(lines, 1, ctx.limits.maxWorkgroupsPerDimension),
    });
    return out;
  };
}

/** Builds the fused nn kernels. @internal */
export function nnKernels(ctx: GpuContext): Record<string, Kernel> {
  return { softmax: softmaxKernel(ctx, false), logSoftmax: softmaxKernel(ctx, true) };
}
