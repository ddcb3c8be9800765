/**
 * Convolution and pooling kernels (NHWC). Geometry comes from core's `conv2dGeometry` /
 * `pool2dGeometry` and travels as uniforms, so one pipeline serves every shape.
 *
 * `conv2d` and its two gradients are implicit GEMMs on the shared tiled template: the A (or B)
 * operand reads input patches on the fly instead of materializing an im2col matrix. The filter
 * gradient, whose reduction runs over every output pixel, is split along K across workgroups
 * and the partial products are summed by a second pass. Depthwise convolutions and pooling are
 * direct kernels (one thread per output element; gradients gather instead of scattering, so no
 * atomics are needed and results are deterministic).
 *
 * @module
 */
import {
  conv2dGeometry,
  pool2dGeometry,
  type Attrs,
  type Conv2DGeometry,
  type Conv2DGeometryOptions,
  type Kernel,
  type PoolOptions,
} from '@tessera/core';
import type { GpuContext, GpuData } from '../backend.js';
import { dispatch1D, entry1D, WG, type UniformField } from '../program.js';
import { runGemm, TILE } from './gemm.js';

const GEOM_FIELDS = ['B', 'H', 'W', 'C', 'OH', 'OW', 'OC', 'FH', 'FW', 'SH', 'SW', 'DH', 'DW', 'PT', 'PL', 'CM'] as const;

function geomFields(): UniformField[] {
  return GEOM_FIELDS.map((name) => ({ name, type: 'i32' as const }));
}

function geomValues(g: Conv2DGeometry): number[] {
  const cm = g.inChannels === 0 ? 0 : g.outChannels / g.inChannels;
  return [
    g.batch,
    g.inHeight,
    g.inWidth,
    g.inChannels,
    g.outHeight,
    g.outWidth,
    g.outChannels,
    g.filterHeight,
    g.filterWidth,
    g.strideHeight,
    g.strideWidth,
    g.dilationHeight,
    g.dilationWidth,
    g.padTop,
    g.padLeft,
    cm,
  ];
}

/** Fills a buffer with zeros (outputs of empty reductions, e.g. a gradient over a size-0 batch). */
function zeroFill(ctx: GpuContext, op: string, out: GpuData): void {
  ctx.run({
    op,
    key: 'fill0:f32',
    build: () => ({
      inputs: [],
      outputs: ['f32'],
      uniforms: [{ name: 'n', type: 'u32' }],
      code: `${entry1D()}  if (i < u.n) { out0[i] = 0.0; }\n}`,
    }),
    inputs: [],
    outputs: [out],
    uniforms: [out.size],
    workgroups: dispatch1D(out.size, WG, ctx.limits.maxWorkgroupsPerDimension),
  });
}

function shapeAttr(attrs: Attrs, key: string): number[] {
  return attrs[key] as number[];
}

function conv2dKernel(ctx: GpuContext): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const x = inputs[0]!;
    const f = inputs[1]!;
    const out = ctx.alloc(outputs[0]!);
    if (out.size === 0) return out;
    const g = conv2dGeometry(x.shape, f.shape, attrs as Conv2DGeometryOptions, 'conv2d');
    const K = g.filterHeight * g.filterWidth * g.inChannels;
    if (K === 0) {
      zeroFill(ctx, 'conv2d', out);
      return out;
    }
    runGemm(ctx, {
      op: 'conv2d',
      key: 'conv2d:f32',
      type: 'f32',
      inputs: [ctx.data(x.dataId), ctx.data(f.dataId)],
      inputTypes: ['f32', 'f32'],
      output: out,
      fields: geomFields(),
      values: geomValues(g),
      // A(p, k): p = (b, oh, ow) output pixel, k = (fh, fw, c) filter row
      helpers: `
fn conv_patch(p: u32, k: u32) -> f32 {
  let pix = i32(p);
  let ow = pix % u.OW;
  let t = pix / u.OW;
  let oh = t % u.OH;
  let b = t / u.OH;
  let kk = i32(k);
  let c = kk % u.C;
  let t2 = kk / u.C;
  let fw = t2 % u.FW;
  let fh = t2 / u.FW;
  let ih = oh * u.SH - u.PT + fh * u.DH;
  let iw = ow * u.SW - u.PL + fw * u.DW;
  if (ih < 0 || ih >= u.H || iw < 0 || iw >= u.W) { return 0.0; }
  return in0[u32(((b * u.H + ih) * u.W + iw) * u.C + c)];
}`,
      readA: 'conv_patch(m, k)',
      readB: 'in1[k * u.N + n]',
      write: 'out0[m * u.N + n] = v;',
      M: g.batch * g.outHeight * g.outWidth,
      N: g.outChannels,
      K,
      batches: 1,
    });
    return out;
  };
}

/** The `dy` element that input pixel `p` meets through filter tap `(fh, fw)`, or 0 (WGSL). */
const DY_AT = `
fn dy_at(b: i32, ih: i32, iw: i32, fh: i32, fw: i32, ch: i32) -> f32 {
  let nh = ih + u.PT - fh * u.DH;
  let nw = iw + u.PL - fw * u.DW;
  if (nh < 0 || nw < 0 || nh % u.SH != 0 || nw % u.SW != 0) { return 0.0; }
  let oh = nh / u.SH;
  let ow = nw / u.SW;
  if (oh >= u.OH || ow >= u.OW) { return 0.0; }
  return in0[u32(((b * u.OH + oh) * u.OW + ow) * u.OC + ch)];
}`;

function conv2dBackpropInputKernel(ctx: GpuContext): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const dy = inputs[0]!;
    const f = inputs[1]!;
    const out = ctx.alloc(outputs[0]!);
    if (out.size === 0) return out;
    const g = conv2dGeometry(shapeAttr(attrs, 'inputShape'), f.shape, attrs as Conv2DGeometryOptions, 'conv2dBackpropInput');
    const K = g.filterHeight * g.filterWidth * g.outChannels;
    if (K === 0 || g.outHeight * g.outWidth === 0) {
      zeroFill(ctx, 'conv2dBackpropInput', out);
      return out;
    }
    runGemm(ctx, {
      op: 'conv2dBackpropInput',
      key: 'conv2dBackpropInput:f32',
      type: 'f32',
      inputs: [ctx.data(dy.dataId), ctx.data(f.dataId)],
      inputTypes: ['f32', 'f32'],
      output: out,
      fields: geomFields(),
      values: geomValues(g),
      // A(p, k): p = (b, ih, iw) input pixel, k = (fh, fw, oc); B(k, c) = filter[fh, fw, c, oc]
      helpers: `${DY_AT}
fn dy_patch(p: u32, k: u32) -> f32 {
  let pix = i32(p);
  let iw = pix % u.W;
  let t = pix / u.W;
  let ih = t % u.H;
  let b = t / u.H;
  let kk = i32(k);
  let oc = kk % u.OC;
  let t2 = kk / u.OC;
  let fw = t2 % u.FW;
  let fh = t2 / u.FW;
  return dy_at(b, ih, iw, fh, fw, oc);
}
fn filter_t(k: u32, c: u32) -> f32 {
  let kk = i32(k);
  let oc = kk % u.OC;
  let tap = kk / u.OC;
  return in1[u32((tap * u.C + i32(c)) * u.OC + oc)];
}`,
      readA: 'dy_patch(m, k)',
      readB: 'filter_t(k, n)',
      write: 'out0[m * u.N + n] = v;',
      M: g.batch * g.inHeight * g.inWidth,
      N: g.inChannels,
      K,
      batches: 1,
    });
    return out;
  };
}

function conv2dBackpropFilterKernel(ctx: GpuContext): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const x = inputs[0]!;
    const dy = inputs[1]!;
    const spec = outputs[0]!;
    const out = ctx.alloc(spec);
    if (out.size === 0) return out;
    const g = conv2dGeometry(x.shape, shapeAttr(attrs, 'filterShape'), attrs as Conv2DGeometryOptions, 'conv2dBackpropFilter');
    const M = g.filterHeight * g.filterWidth * g.inChannels;
    const N = g.outChannels;
    const K = g.batch * g.outHeight * g.outWidth;
    if (K === 0) {
      zeroFill(ctx, 'conv2dBackpropFilter', out);
      return out;
    }
    // split K when the output has few tiles and the reduction is long
    const tiles = Math.ceil(M / TILE) * Math.ceil(N / TILE);
    const splits = tiles < 16 && K >= 4096 ? Math.min(64, Math.ceil(K / 2048), Math.ceil(64 / tiles)) : 1;
    const chunk = Math.ceil(K / splits);
    const target = splits === 1 ? out : ctx.temp(splits * M * N, 'float32');
    runGemm(ctx, {
      op: 'conv2dBackpropFilter',
      key: 'conv2dBackpropFilter:f32',
      type: 'f32',
      inputs: [ctx.data(x.dataId), ctx.data(dy.dataId)],
      inputTypes: ['f32', 'f32'],
      output: target,
      fields: [...geomFields(), { name: 'chunk', type: 'u32' }, { name: 'Ktot', type: 'u32' }],
      values: [...geomValues(g), chunk, K],
      // batch index = split; A(m, k): m = (fh, fw, c), k = (b, oh, ow) + split offset; B(k, oc) = dy
      helpers: `
fn x_patch(m: u32, k: u32) -> f32 {
  let mm = i32(m);
  let c = mm % u.C;
  let t = mm / u.C;
  let fw = t % u.FW;
  let fh = t / u.FW;
  let pix = i32(k);
  let ow = pix % u.OW;
  let t2 = pix / u.OW;
  let oh = t2 % u.OH;
  let b = t2 / u.OH;
  let ih = oh * u.SH - u.PT + fh * u.DH;
  let iw = ow * u.SW - u.PL + fw * u.DW;
  if (ih < 0 || ih >= u.H || iw < 0 || iw >= u.W) { return 0.0; }
  return in0[u32(((b * u.H + ih) * u.W + iw) * u.C + c)];
}
fn kk_of(batch: u32, k: u32) -> u32 { return batch * u.chunk + k; }`,
      readA: 'select(0.0, x_patch(m, kk_of(batch, k)), kk_of(batch, k) < u.Ktot)',
      readB: 'select(0.0, in1[min(kk_of(batch, k), u.Ktot - 1u) * u.N + n], kk_of(batch, k) < u.Ktot)',
      write: 'out0[(batch * u.M + m) * u.N + n] = v;',
      M,
      N,
      K: chunk,
      batches: splits,
    });
    if (splits > 1) {
      sumSplits(ctx, 'conv2dBackpropFilter', target, out, splits, M * N);
      ctx.releaseTemp(target);
    }
    return out;
  };
}

/** `out[i] = sum_s parts[s * n + i]`. */
function sumSplits(ctx: GpuContext, op: string, parts: GpuData, out: GpuData, splits: number, n: number): void {
  ctx.run({
    op,
    key: 'sumsplits:f32',
    build: () => ({
      inputs: ['f32'],
      outputs: ['f32'],
      uniforms: [
        { name: 'n', type: 'u32' },
        { name: 'S', type: 'u32' },
      ],
      code: [
        entry1D(),
        '  if (i >= u.n) { return; }',
        '  var acc = 0.0;',
        '  for (var s = 0u; s < u.S; s = s + 1u) { acc = acc + in0[s * u.n + i]; }',
        '  out0[i] = acc;',
        '}',
      ].join('\n'),
    }),
    inputs: [parts],
    outputs: [out],
    uniforms: [n, splits],
    workgroups: dispatch1D(n, WG, ctx.limits.maxWorkgroupsPerDimension),
  });
}

/** A direct kernel: one thread per output element, `body` computes `out0[i]` from `i`. */
function direct(
  ctx: GpuContext,
  op: string,
  key: string,
  ins: readonly GpuData[],
  out: GpuData,
  g: Conv2DGeometry,
  body: string,
  helpers = '',
): void {
  ctx.run({
    op,
    key,
    build: () => ({
      inputs: ins.map(() => 'f32' as const),
      outputs: ['f32'],
      uniforms: [{ name: 'n', type: 'u32' }, ...geomFields()],
      code: [helpers, entry1D(), '  if (i >= u.n) { return; }', body, '}'].join('\n'),
    }),
    inputs: ins,
    outputs: [out],
    uniforms: [out.size, ...geomValues(g)],
    workgroups: dispatch1D(out.size, WG, ctx.limits.maxWorkgroupsPerDimension),
  });
}

/** WGSL decoding output element `i` of an NHWC `[B, OH, OW, OC]` tensor. */
const DECODE_OUT = `
  let ii = i32(i);
  let oc = ii % u.OC;
  let t = ii / u.OC;
  let ow = t % u.OW;
  let t2 = t / u.OW;
  let oh = t2 % u.OH;
  let b = t2 / u.OH;`;

/** WGSL decoding element `i` of an NHWC `[B, H, W, C]` input-shaped tensor. */
const DECODE_IN = `
  let ii = i32(i);
  let c = ii % u.C;
  let t = ii / u.C;
  let iw = t % u.W;
  let t2 = t / u.W;
  let ih = t2 % u.H;
  let b = t2 / u.H;`;

function depthwiseKernel(ctx: GpuContext): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const x = inputs[0]!;
    const f = inputs[1]!;
    const out = ctx.alloc(outputs[0]!);
    if (out.size === 0) return out;
    const g = conv2dGeometry(x.shape, f.shape, { ...(attrs as Conv2DGeometryOptions), depthwise: true }, 'depthwiseConv2d');
    direct(
      ctx,
      'depthwiseConv2d',
      'depthwiseConv2d:f32',
      [ctx.data(x.dataId), ctx.data(f.dataId)],
      out,
      g,
      `${DECODE_OUT}
  let c = oc / u.CM;
  var acc = 0.0;
  for (var fh = 0; fh < u.FH; fh = fh + 1) {
    let ih = oh * u.SH - u.PT + fh * u.DH;
    if (ih < 0 || ih >= u.H) { continue; }
    for (var fw = 0; fw < u.FW; fw = fw + 1) {
      let iw = ow * u.SW - u.PL + fw * u.DW;
      if (iw < 0 || iw >= u.W) { continue; }
      acc = acc + in0[u32(((b * u.H + ih) * u.W + iw) * u.C + c)] * in1[u32((fh * u.FW + fw) * u.OC + oc)];
    }
  }
  out0[i] = acc;`,
    );
    return out;
  };
}

function depthwiseBackpropInputKernel(ctx: GpuContext): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const dy = inputs[0]!;
    const f = inputs[1]!;
    const out = ctx.alloc(outputs[0]!);
    if (out.size === 0) return out;
    const g = conv2dGeometry(
      shapeAttr(attrs, 'inputShape'),
      f.shape,
      { ...(attrs as Conv2DGeometryOptions), depthwise: true },
      'depthwiseConv2dBackpropInput',
    );
    direct(
      ctx,
      'depthwiseConv2dBackpropInput',
      'depthwiseConv2dBackpropInput:f32',
      [ctx.data(dy.dataId), ctx.data(f.dataId)],
      out,
      g,
      `${DECODE_IN}
  var acc = 0.0;
  for (var fh = 0; fh < u.FH; fh = fh + 1) {
    for (var fw = 0; fw < u.FW; fw = fw + 1) {
      for (var m = 0; m < u.CM; m = m + 1) {
        let oc = c * u.CM + m;
        acc = acc + dy_at(b, ih, iw, fh, fw, oc) * in1[u32((fh * u.FW + fw) * u.OC + oc)];
      }
    }
  }
  out0[i] = acc;`,
      DY_AT,
    );
    return out;
  };
}

/** Threads per workgroup of the tree-reduced depthwise filter gradient. */
const DWG = 64;

function depthwiseBackpropFilterKernel(ctx: GpuContext): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const x = inputs[0]!;
    const dy = inputs[1]!;
    const out = ctx.alloc(outputs[0]!);
    if (out.size === 0) return out;
    const g = conv2dGeometry(
      x.shape,
      shapeAttr(attrs, 'filterShape'),
      { ...(attrs as Conv2DGeometryOptions), depthwise: true },
      'depthwiseConv2dBackpropFilter',
    );
    // one workgroup per filter element: threads stride over the (b, oh, ow) pixels, then a tree sum
    ctx.run({
      op: 'depthwiseConv2dBackpropFilter',
      key: 'depthwiseConv2dBackpropFilter:f32',
      build: () => ({
        inputs: ['f32', 'f32'],
        outputs: ['f32'],
        uniforms: [{ name: 'n', type: 'u32' }, ...geomFields()],
        code: `
var<workgroup> sh: array<f32, ${DWG}>;
@compute @workgroup_size(${DWG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let gi = wid.x + wid.y * nwg.x;
  if (gi >= u.n) { return; }
  let e = i32(gi);
  let oc = e % u.OC;
  let tap = e / u.OC;
  let fw = tap % u.FW;
  let fh = tap / u.FW;
  let c = oc / u.CM;
  let pixels = u.B * u.OH * u.OW;
  var acc = 0.0;
  for (var p = i32(lid.x); p < pixels; p = p + ${DWG}) {
    let ow = p % u.OW;
    let t = p / u.OW;
    let oh = t % u.OH;
    let b = t / u.OH;
    let ih = oh * u.SH - u.PT + fh * u.DH;
    let iw = ow * u.SW - u.PL + fw * u.DW;
    if (ih >= 0 && ih < u.H && iw >= 0 && iw < u.W) {
      acc = acc + in0[u32(((b * u.H + ih) * u.W + iw) * u.C + c)] * in1[u32(p * u.OC + oc)];
    }
  }
  sh[lid.x] = acc;
  workgroupBarrier();
  for (var k = ${DWG / 2}u; k > 0u; k = k >> 1u) {
    if (lid.x < k) { sh[lid.x] = sh[lid.x] + sh[lid.x + k]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { out0[gi] = sh[0]; }
}`,
      }),
      inputs: [ctx.data(x.dataId), ctx.data(dy.dataId)],
      outputs: [out],
      uniforms: [out.size, ...geomValues(g)],
      workgroups: dispatch1D(out.size, 1, ctx.limits.maxWorkgroupsPerDimension),
    });
    return out;
  };
}

/** WGSL: the flat x index of the maximum of output `(b, oh, ow, c)`'s window (first max, first NaN). */
const ARGMAX = `
fn window_argmax(b: i32, oh: i32, ow: i32, c: i32) -> i32 {
  var best = 0.0;
  var arg = -1;
  for (var fh = 0; fh < u.FH; fh = fh + 1) {
    let ih = oh * u.SH - u.PT + fh;
    if (ih < 0 || ih >= u.H) { continue; }
    for (var fw = 0; fw < u.FW; fw = fw + 1) {
      let iw = ow * u.SW - u.PL + fw;
      if (iw < 0 || iw >= u.W) { continue; }
      let at = ((b * u.H + ih) * u.W + iw) * u.C + c;
      let v = in0[u32(at)];
      if (arg < 0 || (!m_isnan(best) && (v > best || m_isnan(v)))) { best = v; arg = at; }
    }
  }
  return arg;
}`;

function poolGeom(attrs: Attrs, shape: readonly number[], fn: string): Conv2DGeometry {
  return pool2dGeometry(shape, attrs as unknown as PoolOptions, fn);
}

function maxPoolKernel(ctx: GpuContext): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const x = inputs[0]!;
    const out = ctx.alloc(outputs[0]!);
    if (out.size === 0) return out;
    const g = poolGeom(attrs, x.shape, 'maxPool');
    direct(ctx, 'maxPool', 'maxPool:f32', [ctx.data(x.dataId)], out, g, `${DECODE_OUT}
  let a = window_argmax(b, oh, ow, oc);
  out0[i] = select(0.0, in0[u32(max(a, 0))], a >= 0);`, ARGMAX);
    return out;
  };
}

function maxPoolGradKernel(ctx: GpuContext): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const dy = inputs[0]!;
    const x = inputs[1]!;
    const out = ctx.alloc(outputs[0]!);
    if (out.size === 0) return out;
    const g = poolGeom(attrs, x.shape, 'maxPoolGrad');
    if (g.outHeight * g.outWidth === 0) {
      zeroFill(ctx, 'maxPoolGrad', out);
      return out;
    }
    // pass 1: the argmax of every window; pass 2: each input element gathers the dy of the windows it won
    const args = ctx.temp(g.batch * g.outHeight * g.outWidth * g.outChannels, 'int32');
    ctx.run({
      op: 'maxPoolGrad',
      key: 'maxPoolArgmax:f32',
      build: () => ({
        inputs: ['f32'],
        outputs: ['i32'],
        uniforms: [{ name: 'n', type: 'u32' }, ...geomFields()],
        code: [ARGMAX, entry1D(), '  if (i >= u.n) { return; }', DECODE_OUT, '  out0[i] = window_argmax(b, oh, ow, oc);', '}'].join('\n'),
      }),
      inputs: [ctx.data(x.dataId)],
      outputs: [args],
      uniforms: [args.size, ...geomValues(g)],
      workgroups: dispatch1D(args.size, WG, ctx.limits.maxWorkgroupsPerDimension),
    });
    ctx.run({
      op: 'maxPoolGrad',
      key: 'maxPoolGrad:f32',
      build: () => ({
        inputs: ['f32', 'i32'],
        outputs: ['f32'],
        uniforms: [{ name: 'n', type: 'u32' }, ...geomFields()],
        code: [
          entry1D(),
          '  if (i >= u.n) { return; }',
          DECODE_IN,
          '  var acc = 0.0;',
          '  for (var fh = 0; fh < u.FH; fh = fh + 1) {',
          '    let nh = ih + u.PT - fh;',
          '    if (nh < 0 || nh % u.SH != 0 || nh / u.SH >= u.OH) { continue; }',
          '    for (var fw = 0; fw < u.FW; fw = fw + 1) {',
          '      let nw = iw + u.PL - fw;',
          '      if (nw < 0 || nw % u.SW != 0 || nw / u.SW >= u.OW) { continue; }',
          '      let o = ((b * u.OH + nh / u.SH) * u.OW + nw / u.SW) * u.C + c;',
          '      if (in1[u32(o)] == ii) { acc = acc + in0[u32(o)]; }',
          '    }',
          '  }',
          '  out0[i] = acc;',
          '}',
        ].join('\n'),
      }),
      inputs: [ctx.data(dy.dataId), args],
      outputs: [out],
      uniforms: [out.size, ...geomValues(g)],
      workgroups: dispatch1D(out.size, WG, ctx.limits.maxWorkgroupsPerDimension),
    });
    ctx.releaseTemp(args);
    return out;
  };
}

function avgPoolKernel(ctx: GpuContext): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const x = inputs[0]!;
    const out = ctx.alloc(outputs[0]!);
    if (out.size === 0) return out;
    const g = poolGeom(attrs, x.shape, 'avgPool');
    direct(ctx, 'avgPool', 'avgPool:f32', [ctx.data(x.dataId)], out, g, `${DECODE_OUT}
  let ih0 = oh * u.SH - u.PT;
  let iw0 = ow * u.SW - u.PL;
  let h0 = max(ih0, 0);
  let h1 = min(ih0 + u.FH, u.H);
  let w0 = max(iw0, 0);
  let w1 = min(iw0 + u.FW, u.W);
  var acc = 0.0;
  for (var ih = h0; ih < h1; ih = ih + 1) {
    for (var iw = w0; iw < w1; iw = iw + 1) { acc = acc + in0[u32(((b * u.H + ih) * u.W + iw) * u.C + oc)]; }
  }
  out0[i] = acc / f32(max((h1 - h0) * (w1 - w0), 1));`);
    return out;
  };
}

function avgPoolGradKernel(ctx: GpuContext): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const dy = inputs[0]!;
    const out = ctx.alloc(outputs[0]!);
    if (out.size === 0) return out;
    const g = poolGeom(attrs, shapeAttr(attrs, 'inputShape'), 'avgPoolGrad');
    direct(ctx, 'avgPoolGrad', 'avgPoolGrad:f32', [ctx.data(dy.dataId)], out, g, `${DECODE_IN}
  var acc = 0.0;
  for (var fh = 0; fh < u.FH; fh = fh + 1) {
    let nh = ih + u.PT - fh;
    if (nh < 0 || nh % u.SH != 0 || nh / u.SH >= u.OH) { continue; }
    let oh = nh / u.SH;
    for (var fw = 0; fw < u.FW; fw = fw + 1) {
      let nw = iw + u.PL - fw;
      if (nw < 0 || nw % u.SW != 0 || nw / u.SW >= u.OW) { continue; }
      let ow = nw / u.SW;
      let ih0 = oh * u.SH - u.PT;
      let iw0 = ow * u.SW - u.PL;
      let count = (min(ih0 + u.FH, u.H) - max(ih0, 0)) * (min(iw0 + u.FW, u.W) - max(iw0, 0));
      acc = acc + in0[u32(((b * u.OH + oh) * u.OW + ow) * u.C + c)] / f32(count);
    }
  }
  out0[i] = acc;`);
    return out;
  };
}

/** Builds the convolution and pooling kernels. @internal */
export function convKernels(ctx: GpuContext): Record<string, Kernel> {
  return {
    conv2d: conv2dKernel(ctx),
    conv2dBackpropInput: conv2dBackpropInputKernel(ctx),
    conv2dBackpropFilter: conv2dBackpropFilterKernel(ctx),
    depthwiseConv2d: depthwiseKernel(ctx),
    depthwiseConv2dBackpropInput: depthwiseBackpropInputKernel(ctx),
    depthwiseConv2dBackpropFilter: depthwiseBackpropFilterKernel(ctx),
    maxPool: maxPoolKernel(ctx),
    maxPoolGrad: maxPoolGradKernel(ctx),
    avgPool: avgPoolKernel(ctx),
    avgPoolGrad: avgPoolGradKernel(ctx),
  };
}
