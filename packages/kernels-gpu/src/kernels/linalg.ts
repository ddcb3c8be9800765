/**
 * Linear algebra kernels: `matmul` (batched, with broadcasting batch dimensions and optional
 * transposes) on the tiled GEMM template.
 *
 * @module
 */
import type { Kernel } from '@tessera/core';
import type { GpuContext } from '../backend.js';
import { collapseBroadcast, strides, wgslType, type UniformField } from '../program.js';
import { runGemm } from './gemm.js';

function matmulKernel(ctx: GpuContext): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const A = inputs[0]!;
    const B = inputs[1]!;
    const spec = outputs[0]!;
    const out = ctx.alloc(spec);
    if (out.size === 0) return out;
    const tA = attrs['transposeA'] === true;
    const tB = attrs['transposeB'] === true;
    const ra = A.shape.length;
    const M = spec.shape[spec.shape.length - 2]!;
    const N = spec.shape[spec.shape.length - 1]!;
    const K = tA ? A.shape[ra - 2]! : A.shape[ra - 1]!;
    const t = wgslType(spec.dtype);
    // batch dims: collapsed, with per-input matrix offsets (0 where an input broadcasts)
    const outBatch = spec.shape.slice(0, -2);
    const { out: cb, ins } = collapseBroadcast(outBatch, [A.shape.slice(0, -2), B.shape.slice(0, -2)]);
    const nb = cb.length;
    const batches = cb.reduce((p, d) => p * d, 1);
    const fields: UniformField[] = [
      { name: 'sam', type: 'u32' },
      { name: 'sak', type: 'u32' },
      { name: 'sbk', type: 'u32' },
      { name: 'sbn', type: 'u32' },
    ];
    const values = [tA ? 1 : K, tA ? M : 1, tB ? 1 : N, tB ? K : 1];
    const ob = strides(cb);
    const sa = strides(ins[0]!);
    const sb = strides(ins[1]!);
    for (let d = 0; d < nb; d++) {
      if (d < nb - 1) {
        fields.push({ name: `ob${d}`, type: 'u32' });
        values.push(ob[d]!);
      }
      fields.push({ name: `ba${d}`, type: 'u32' }, { name: `bb${d}`, type: 'u32' });
      values.push(ins[0]![d] === 1 ? 0 : sa[d]! * M * K, ins[1]![d] === 1 ? 0 : sb[d]! * K * N);
    }
    const offsets = [
      'fn batch_off(batch: u32) -> vec2<u32> {',
      '  var rem = batch;',
      '  var off = vec2<u32>(0u, 0u);',
      ...Array.from({ length: nb }, (_, d) =>
        d < nb - 1
          ? `  { let c = rem / u.ob${d}; rem = rem - c * u.ob${d}; off = off + c * vec2<u32>(u.ba${d}, u.bb${d}); }`
          : `  off = off + rem * vec2<u32>(u.ba${d}, u.bb${d});`,
      ),
      '  return off;',
      '}',
    ].join('\n');
    runGemm(ctx, {
      op: 'matmul',
      key: `matmul:${t}:b${nb}`,
      type: t,
      inputs: [ctx.data(A.dataId), ctx.data(B.dataId)],
      inputTypes: [t, t],
      output: out,
      fields,
      values,
      helpers: offsets,
      readA: 'in0[batch_off(batch).x + m * u.sam + k * u.sak]',
      readB: 'in1[batch_off(batch).y + k * u.sbk + n * u.sbn]',
      write: 'out0[(batch * u.M + m) * u.N + n] = v;',
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
  return { matmul: matmulKernel(ctx) };
}
