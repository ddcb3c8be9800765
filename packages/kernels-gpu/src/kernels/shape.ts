/**
 * Shape kernels: transpose, stridedSlice, tile, broadcastTo and reverse (all one strided-copy
 * program), concat, pad, gather and unsortedSegmentSum. Attributes arrive normalized by core.
 *
 * @module
 */
import { sizeOf, ValueError, type Kernel, type Shape, type TensorInfo } from '@tessera/core';
import type { GpuContext, GpuData } from '../backend.js';
import { dispatch1D, entry1D, strides, wgslType, WG, type UniformField } from '../program.js';

/**
 * Records `out[j] = x[start + sum_d j_d * steps[d]]` over `shape` (row-major). Size-1 dims are
 * dropped and dims whose steps chain are merged first, so the key is usually a low rank.
 */
function stridedCopy(ctx: GpuContext, op: string, x: GpuData, out: GpuData, shape: readonly number[], start: number, steps: readonly number[]): void {
  const sz: number[] = [];
  const st: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) continue;
    const k = sz.length - 1;
    if (k >= 0 && st[k] === steps[d]! * n) {
      sz[k] = sz[k]! * n;
      st[k] = steps[d]!;
    } else {
      sz.push(n);
      st.push(steps[d]!);
    }
  }
  const n = out.size;
  const r = sz.length;
  const os = strides(sz);
  const fields: UniformField[] = [
    { name: 'n', type: 'u32' },
    { name: 'start', type: 'i32' },
  ];
  const values = [n, start];
  for (let d = 0; d < r - 1; d++) {
    fields.push({ name: `os${d}`, type: 'u32' });
    values.push(os[d]!);
  }
  for (let d = 0; d < r; d++) {
    fields.push({ name: `st${d}`, type: 'i32' });
    values.push(st[d]!);
  }
  const t = wgslType(out.dtype);
  ctx.run({
    op,
    key: `strided:${t}:r${r}`,
    build: () => {
      const lines = [entry1D(), '  if (i >= u.n) { return; }', '  var rem = i;', '  var off = u.start;'];
      for (let d = 0; d < r - 1; d++) {
        lines.push(`  { let c = rem / u.os${d}; rem = rem - c * u.os${d}; off = off + i32(c) * u.st${d}; }`);
      }
      if (r > 0) lines.push(`  off = off + i32(rem) * u.st${r - 1};`);
      lines.push('  out0[i] = in0[u32(off)];', '}');
      return { inputs: [t], outputs: [t], uniforms: fields, code: lines.join('\n') };
    },
    inputs: [x],
    outputs: [out],
    uniforms: values,
    workgroups: dispatch1D(n, WG, ctx.limits.maxWorkgroupsPerDimension),
  });
}

function formatIndex(flat: number, shape: Shape): string {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return `[${idx.join(',')}]`;
}

/** The host values of small int32 tensors written from the host (kept for index checks). */
function hostValues(d: GpuData): Int32Array | null {
  return d.hostInts;
}

function gatherKernel(ctx: GpuContext): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const X = inputs[0]!;
    const I = inputs[1]!;
    const axis = attrs['axis'] as number;
    const len = X.shape[axis]!;
    const idx = ctx.data(I.dataId);
    // indices written from the host are checked here, as on the CPU; indices computed on the GPU
    // cannot be checked without a round trip and are clamped into range by the shader
    const host = hostValues(idx);
    if (host !== null) {
      for (let j = 0; j < host.length; j++) {
        const v = host[j]!;
        if (v < 0 || v >= len) {
          throw new ValueError(
            `gather: indices${formatIndex(j, I.shape)} = ${v} is out of range for axis ${axis} of x [${X.shape.join(',')}] ` +
              `(valid: 0 to ${len - 1})`,
          );
        }
      }
    }
    const out = ctx.alloc(outputs[0]!);
    const n = out.size;
    if (n === 0) return out;
    const m = sizeOf(I.shape);
    const inner = sizeOf(X.shape.slice(axis + 1));
    const t = wgslType(X.dtype);
    ctx.run({
      op: 'gather',
      key: `gather:${t}`,
      build: () => ({
        inputs: [t, 'i32'],
        outputs: [t],
        uniforms: [
          { name: 'n', type: 'u32' },
          { name: 'm', type: 'u32' },
          { name: 'inner', type: 'u32' },
          { name: 'len', type: 'u32' },
        ],
        code: [
          entry1D(),
          '  if (i >= u.n) { return; }',
          '  let k = i % u.inner;',
          '  let q = i / u.inner;',
          '  let j = q % u.m;',
          '  let a = q / u.m;',
          '  let ix = u32(clamp(in1[j], 0, i32(u.len) - 1));',
          '  out0[i] = in0[(a * u.len + ix) * u.inner + k];',
          '}',
        ].join('\n'),
      }),
      inputs: [ctx.data(X.dataId), idx],
      outputs: [out],
      uniforms: [n, m, inner, len],
      workgroups: dispatch1D(n, WG, ctx.limits.maxWorkgroupsPerDimension),
    });
    return out;
  };
}

function concatKernel(ctx: GpuContext): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const spec = outputs[0]!;
    const out = ctx.alloc(spec);
    if (out.size === 0) return out;
    const axis = attrs['axis'] as number;
    const rowLen = sizeOf(spec.shape.slice(axis));
    const t = wgslType(spec.dtype);
    let col = 0;
    for (const x of inputs) {
      const chunk = sizeOf(x.shape.slice(axis));
      const n = sizeOf(x.shape);
      if (n > 0) {
        ctx.run({
          op: 'concat',
          key: `concat:${t}`,
          build: () => ({
            inputs: [t],
            outputs: [t],
            uniforms: [
              { name: 'n', type: 'u32' },
              { name: 'chunk', type: 'u32' },
              { name: 'rowLen', type: 'u32' },
              { name: 'col', type: 'u32' },
            ],
            code: [
              entry1D(),
              '  if (i >= u.n) { return; }',
              '  let o = i / u.chunk;',
              '  out0[o * u.rowLen + u.col + (i - o * u.chunk)] = in0[i];',
              '}',
            ].join('\n'),
          }),
          inputs: [ctx.data(x.dataId)],
          outputs: [out],
          uniforms: [n, chunk, rowLen, col],
          workgroups: dispatch1D(n, WG, ctx.limits.maxWorkgroupsPerDimension),
        });
      }
      col += chunk;
    }
    return out;
  };
}

function padKernel(ctx: GpuContext): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const X = inputs[0]!;
    const spec = outputs[0]!;
    const out = ctx.alloc(spec);
    const n = out.size;
    if (n === 0) return out;
    const paddings = attrs['paddings'] as [number, number][];
    const cv = attrs['constantValue'] as number;
    const t = wgslType(spec.dtype);
    const r = spec.shape.length;
    const os = strides(spec.shape);
    const is = strides(X.shape);
    const empty = sizeOf(X.shape) === 0;
    const fields: UniformField[] = [
      { name: 'n', type: 'u32' },
      { name: 'cv', type: t },
    ];
    const values: number[] = [n, t === 'u32' ? (cv !== 0 ? 1 : 0) : cv];
    for (let d = 0; d < r; d++) {
      if (d < r - 1) {
        fields.push({ name: `os${d}`, type: 'u32' });
        values.push(os[d]!);
      }
      fields.push({ name: `is${d}`, type: 'u32' }, { name: `lo${d}`, type: 'i32' }, { name: `len${d}`, type: 'i32' });
      values.push(is[d]!, paddings[d]![0], X.shape[d]!);
    }
    ctx.run({
      op: 'pad',
      key: `pad:${t}:r${r}${empty ? ':empty' : ''}`,
      build: () => {
        const lines = [entry1D(), '  if (i >= u.n) { return; }'];
        if (empty) lines.push('  out0[i] = u.cv;');
        else {
          lines.push('  var rem = i;', '  var off = 0u;', '  var inside = true;');
          for (let d = 0; d < r; d++) {
            const c = d < r - 1 ? `rem / u.os${d}` : 'rem';
            lines.push(`  { let c = ${c};${d < r - 1 ? ` rem = rem - c * u.os${d};` : ''}`);
            lines.push(`    let ci = i32(c) - u.lo${d};`);
            lines.push(`    if (ci < 0 || ci >= u.len${d}) { inside = false; } else { off = off + u32(ci) * u.is${d}; } }`);
          }
          lines.push('  if (inside) { out0[i] = in0[off]; } else { out0[i] = u.cv; }');
        }
        lines.push('}');
        return { inputs: [t], outputs: [t], uniforms: fields, code: lines.join('\n') };
      },
      inputs: [ctx.data(X.dataId)],
      outputs: [out],
      uniforms: values,
      workgroups: dispatch1D(n, WG, ctx.limits.maxWorkgroupsPerDimension),
    });
    return out;
  };
}

function segmentSumKernel(ctx: GpuContext): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const X = inputs[0]!;
    const ids = inputs[1]!;
    const out = ctx.alloc(outputs[0]!);
    const n = out.size;
    if (n === 0) return out;
    const numSegments = attrs['numSegments'] as number;
    const inner = sizeOf(X.shape.slice(ids.shape.length));
    const count = sizeOf(ids.shape);
    const t = wgslType(X.dtype);
    // one thread per output element gathers the rows of its segment: deterministic, no atomics
    ctx.run({
      op: 'unsortedSegmentSum',
      key: `segsum:${t}`,
      build: () => ({
        inputs: [t, 'i32'],
        outputs: [t],
        uniforms: [
          { name: 'n', type: 'u32' },
          { name: 'inner', type: 'u32' },
          { name: 'count', type: 'u32' },
        ],
        code: [
          entry1D(),
          '  if (i >= u.n) { return; }',
          '  let s = i32(i / u.inner);',
          '  let k = i % u.inner;',
          `  var acc: ${t} = ${t === 'f32' ? '0.0' : '0'};`,
          '  for (var j = 0u; j < u.count; j = j + 1u) {',
          '    if (in1[j] == s) { acc = acc + in0[j * u.inner + k]; }',
          '  }',
          '  out0[i] = acc;',
          '}',
        ].join('\n'),
      }),
      inputs: [ctx.data(X.dataId), ctx.data(ids.dataId)],
      outputs: [out],
      uniforms: [numSegments * inner, inner, count],
      workgroups: dispatch1D(n, WG, ctx.limits.maxWorkgroupsPerDimension),
    });
    return out;
  };
}

function strided(ctx: GpuContext, op: string, plan: (x: TensorInfo, attrs: Readonly<Record<string, unknown>>, outShape: Shape) => { shape: number[]; start: number; steps: number[] }): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const X = inputs[0]!;
    const out = ctx.alloc(outputs[0]!);
    if (out.size === 0) return out;
    const p = plan(X, attrs, outputs[0]!.shape);
    stridedCopy(ctx, op, ctx.data(X.dataId), out, p.shape, p.start, p.steps);
    return out;
  };
}

/** Builds the shape kernels. @internal */
export function shapeKernels(ctx: GpuContext): Record<string, Kernel> {
  return {
    transpose: strided(ctx, 'transpose', (x, attrs) => {
      const perm = attrs['perm'] as number[];
      const is = strides(x.shape);
      return { shape: perm.map((p) => x.shape[p]!), start: 0, steps: perm.map((p) => is[p]!) };
    }),
    stridedSlice: strided(ctx, 'stridedSlice', (x, attrs, outShape) => {
      const begin = attrs['begin'] as number[];
      const st = attrs['strides'] as number[];
      const is = strides(x.shape);
      let start = 0;
      const steps: number[] = [];
      for (let d = 0; d < x.shape.length; d++) {
        start += begin[d]! * is[d]!;
        steps.push(st[d]! * is[d]!);
      }
      return { shape: [...outShape], start, steps };
    }),
    tile: strided(ctx, 'tile', (x, attrs) => {
      const reps = attrs['reps'] as number[];
      const is = strides(x.shape);
      const shape: number[] = [];
      const steps: number[] = [];
      for (let d = 0; d < x.shape.length; d++) {
        shape.push(reps[d]!, x.shape[d]!);
        steps.push(0, is[d]!);
      }
      return { shape, start: 0, steps };
    }),
    broadcastTo: strided(ctx, 'broadcastTo', (x, _attrs, outShape) => {
      const rank = outShape.length;
      const off = rank - x.shape.length;
      const is = strides(x.shape);
      const steps = new Array<number>(rank).fill(0);
      for (let d = 0; d < x.shape.length; d++) if (x.shape[d] !== 1) steps[d + off] = is[d]!;
      return { shape: [...outShape], start: 0, steps };
    }),
    reverse: strided(ctx, 'reverse', (x, attrs) => {
      const axes = attrs['axes'] as number[];
      const is = strides(x.shape);
      let start = 0;
      const steps = is.slice();
      for (const a of axes) {
        start += (x.shape[a]! - 1) * is[a]!;
        steps[a] = -is[a]!;
      }
      return { shape: [...x.shape], start, steps };
    }),
    concat: concatKernel(ctx),
    pad: padKernel(ctx),
    gather: gatherKernel(ctx),
    unsortedSegmentSum: segmentSumKernel(ctx),
  };
}
