/**
 * Linear algebra kernels: `matmul` (batched, with broadcasting batch dimensions and optional
 * transposes) on the tiled GEMM template, and `fusedMatmul`, the same GEMM with a broadcast
 * bias and an activation applied in the epilogue (one dispatch).
 *
 * @module
 */
import type { Kernel } from '@tessera/core';
import type { GpuContext } from '../backend.js';
import { collapseBroadcast, strides, wgslType, type UniformField } from '../program.js';
import { runGemm } from './gemm.js';

/** The activation of `fusedMatmul` applied to `x` (a WGSL expression of type `t`). */
function activationExpr(activation: string, x: string, t: string): string {
  switch (activation) {
    case 'relu':
      return t === 'f32' ? `select(${x}, 0.0, ${x} <= 0.0 && !m_isnan(${x}))` : `max(${x}, 0)`;
    case 'sigmoid':
      return `m_sigmoid(${x})`;
    case 'tanh':
      return `m_tanh(${x})`;
    default:
      return x;
  }
}

/**
 * `matmul`, and `fusedMatmul` (the same GEMM with the bias added and the activation applied in
 * its epilogue, as each result is stored: one dispatch instead of three).
 */
function matmulKernel(ctx: GpuContext, fused: boolean): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const A = inputs[0]!;
    const B = inputs[1]!;
    const spec = outputs[0]!;
    const out = ctx.alloc(spec);
    if (out.size === 0) return out;
    const tA = attrs['transposeA'] === true;
    const tB = attrs['transposeB'] === true;
    const hasBias = fused && attrs['hasBias'] === true;
    const activation = fused ? String(attrs['activation'] ?? 'linear') : 'linear';
    const ra = A.shape.length;
    const r = spec.shape.length;
    const M = spec.shape[r - 2]!;
    const N = spec.shape[r - 1]!;
    const K = tA ? A.shape[ra - 2]! : A.shape[ra - 1]!;
    const t = wgslType(spec.dtype);
    // the bias, padded to the output's rank (it never has more dims than the output)
    const biasShape = hasBias ? [...new Array<number>(r - inputs[2]!.shape.length).fill(1), ...inputs[2]!.shape] : [];
    // batch dims: collapsed, with per-input matrix offsets (0 where an input broadcasts)
    const outBatch = spec.shape.slice(0, -2);
    const batchShapes = [A.shape.slice(0, -2), B.shape.slice(0, -2)];
    if (hasBias) batchShapes.push(biasShape.slice(0, -2));
    const { out: cb, ins } = collapseBroadcast(outBatch, batchShapes);
    const nb = cb.length;
    const batches = cb.reduce((p, d) => p * d, 1);
    const fields: UniformField[] = [
      { name: 'sam', type: 'u32' },
      { name: 'sak', type: 'u32' },
      { name: 'sbk', type: 'u32' },
      { name: 'sbn', type: 'u32' },
    ];
    const values = [tA ? 1 : K, tA ? M : 1, tB ? 1 : N, tB ? K : 1];
    const bm = hasBias ? biasShape[r - 2]! : 1;
    const bn = hasBias ? biasShape[r - 1]! : 1;
    if (hasBias) {
      // bias strides along m and n (0 where it broadcasts)
      fields.push({ name: 'scm', type: 'u32' }, { name: 'scn', type: 'u32' });
      values.push(bm === 1 ? 0 : bn, bn === 1 ? 0 : 1);
    }
    const ob = strides(cb);
    const sa = strides(ins[0]!);
    const sb = strides(ins[1]!);
    const sc = hasBias ? strides(ins[2]!) : [];
    for (let d = 0; d < nb; d++) {
      if (d < nb - 1) {
        fields.push({ name: `ob${d}`, type: 'u32' });
        values.push(ob[d]!);
      }
      fields.push({ name: `ba${d}`, type: 'u32' }, { name: `bb${d}`, type: 'u32' });
      values.push(ins[0]![d] === 1 ? 0 : sa[d]! * M * K, ins[1]![d] === 1 ? 0 : sb[d]! * K * N);
      if (hasBias) {
        fields.push({ name: `bc${d}`, type: 'u32' });
        values.push(ins[2]![d] === 1 ? 0 : sc[d]! * bm * bn);
      }
    }
    // offsets of the batch's matrices: x in a, y in b, z in the bias
    const vt = hasBias ? 'vec3<u32>' : 'vec2<u32>';
    const per = (d: number): string => (hasBias ? `vec3<u32>(u.ba${d}, u.bb${d}, u.bc${d})` : `vec2<u32>(u.ba${d}, u.bb${d})`);
    const offsets = [
      `fn batch_off(batch: u32) -> ${vt} {`,
      '  var rem = batch;',
      `  var off = ${vt}(0u);`,
      ...Array.from({ length: nb }, (_, d) =>
        d < nb - 1 ? `  { let c = rem / u.ob${d}; rem = rem - c * u.ob${d}; off = off + c * ${per(d)}; }` : `  off = off + rem * ${per(d)};`,
      ),
      '  return off;',
      '}',
    ].join('\n');
    const gpuInputs = [ctx.data(A.dataId), ctx.data(B.dataId)];
    if (hasBias) gpuInputs.push(ctx.data(inputs[2]!.dataId));
    const withBias = hasBias ? 'v + in2[batch_off(batch).z + m * u.scm + n * u.scn]' : 'v';
    // vec4 loads where the stored rows allow them: along the contiguous dimension when it is a
    // multiple of 4 (every matrix then starts on a multiple of 4 too), else scalar loads
    const idxA = 'batch_off(batch).x + m * u.sam + k * u.sak';
    const idxB = 'batch_off(batch).y + k * u.sbk + n * u.sbn';
    // (K = 0: empty inputs, whose 4-byte placeholder binding is too small for a vec4)
    const alongA = K === 0 ? null : tA ? (M % 4 === 0 ? 'm' : null) : K % 4 === 0 ? 'k' : null;
    const alongB = K === 0 ? null : tB ? (K % 4 === 0 ? 'k' : null) : N % 4 === 0 ? 'n' : null;
    const vec = `:va${alongA ?? '-'}:vb${alongB ?? '-'}`;
    runGemm(ctx, {
      op: fused ? 'fusedMatmul' : 'matmul',
      key: fused ? `fusedMatmul:${t}:b${nb}:${hasBias ? 'bias' : 'nobias'}:${activation}${vec}` : `matmul:${t}:b${nb}${vec}`,
      ...(alongA !== null ? { vecA: { along: alongA, index: idxA } } : {}),
      ...(alongB !== null ? { vecB: { along: alongB, index: idxB } } : {}),
      type: t,
      inputs: gpuInputs,
      inputTypes: hasBias ? [t, t, t] : [t, t],
      output: out,
      fields,
      values,
      helpers: offsets,
      readA: `in0[${idxA}]`,
      readB: `in1[${idxB}]`,
      write: fused
        ? `let z = ${withBias}; out0[(batch * u.M + m) * u.N + n] = ${activationExpr(activation, 'z', t)};`
        : 'out0[(batch * u.M + m) * u.N + n] = v;',
      M,
      N,
      K,
      batches,
    });
    return out;
  };
}

/** Builds the linear algebra kernels. @internal */
export function linalgKernels(ctx: GpuContext): Record<string, Kernel> {
  return { matmul: matmulKernel(ctx, false), fusedMatmul: matmulKernel(ctx, true) };
}
