/**
 * Conformance cases for convolution and pooling (NHWC): `conv2d`, `conv2dBackpropInput`,
 * `conv2dBackpropFilter`, `conv2dTranspose`, `depthwiseConv2d` and its gradients, `maxPool`,
 * `maxPoolGrad`, `avgPool`, `avgPoolGrad`.
 *
 * Values are checked against naive float64 loops written here from the definitions (independent
 * of any backend and of core's geometry helper), against hand-computed results, through the
 * adjoint identities `<conv2d(x, f), dy> = <x, conv2dBackpropInput(dy, f)> =
 * <f, conv2dBackpropFilter(x, dy)>` (and likewise for depthwise and average pooling), and
 * through finite differences. Strides, dilations, VALID / SAME / explicit padding, odd sizes,
 * batch > 1, one and many channels, empty batches, float64, NaN and every kind of bad input are
 * covered.
 *
 * @module
 */
import type { DType } from '../../dtype.js';
import { DTypeError, ShapeError, ValueError } from '../../errors.js';
import {
  avgPool,
  avgPoolGrad,
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  conv2dTranspose,
  depthwiseConv2d,
  depthwiseConv2dBackpropFilter,
  depthwiseConv2dBackpropInput,
  maxPool,
  maxPoolGrad,
  type Conv2DOptions,
  type Padding,
  type PoolOptions,
  type Strides2D,
} from '../../ops/conv.js';
import { tensor } from '../../ops/creation.js';
import type { Tensor } from '../../tensor.js';
import type { CaseContext, Tolerance } from '../context.js';
import type { ConformanceCase } from '../index.js';

type S4 = readonly [number, number, number, number];

// ---- independent reference geometry --------------------------------------------------------

function pairOf(v: Strides2D | undefined, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  if (typeof v === 'number') return [v, v];
  return v.length === 4 ? [v[1], v[2]] : [v[0], v[1]];
}

/** Output size and leading padding along one axis, from TensorFlow's documented rules. */
function axisGeo(inSize: number, f: number, s: number, d: number, padding: Padding | undefined, axis: 0 | 1): [number, number] {
  const span = (f - 1) * d + 1;
  if (padding === undefined || padding === 'VALID') return [Math.floor((inSize - span) / s) + 1, 0];
  if (padding === 'SAME') {
    const out = Math.ceil(inSize / s);
    const total = Math.max(0, (out - 1) * s + span - inSize);
    return [out, Math.floor(total / 2)];
  }
  const pairs = padding.length === 4 ? padding.slice(1, 3) : padding;
  const [before, after] = pairs[axis]!;
  return [Math.floor((inSize + before + after - span) / s) + 1, before];
}

interface RefGeo {
  readonly oh: number;
  readonly ow: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  readonly pt: number;
  readonly pl: number;
}

function refGeo(x: S4, fh: number, fw: number, o: Conv2DOptions): RefGeo {
  const [sh, sw] = pairOf(o.strides, 1);
  const [dh, dw] = pairOf(o.dilations, 1);
  const [oh, pt] = axisGeo(x[1], fh, sh, dh, o.padding, 0);
  const [ow, pl] = axisGeo(x[2], fw, sw, dw, o.padding, 1);
  return { oh, ow, sh, sw, dh, dw, pt, pl };
}

function idx4(s: S4, a: number, b: number, c: number, d: number): number {
  return ((a * s[1] + b) * s[2] + c) * s[3] + d;
}

// ---- naive float64 references ----------------------------------------------------------------

/** `y[b,i,j,o] = sum_{fh,fw,c} x[b, i*sh-pt+fh*dh, j*sw-pl+fw*dw, c] * f[fh,fw,c,o]` (zero outside). */
function refConv2d(x: ArrayLike<number>, xs: S4, f: ArrayLike<number>, fs: S4, o: Conv2DOptions): { values: Float64Array; shape: S4 } {
  const g = refGeo(xs, fs[0], fs[1], o);
  const ys: S4 = [xs[0], g.oh, g.ow, fs[3]];
  const y = new Float64Array(xs[0] * g.oh * g.ow * fs[3]);
  for (let b = 0; b < xs[0]; b++)
    for (let i = 0; i < g.oh; i++)
      for (let j = 0; j < g.ow; j++)
        for (let oc = 0; oc < fs[3]; oc++) {
          let s = 0;
          for (let fh = 0; fh < fs[0]; fh++)
            for (let fw = 0; fw < fs[1]; fw++)
              for (let c = 0; c < xs[3]; c++) {
                const ih = i * g.sh - g.pt + fh * g.dh;
                const iw = j * g.sw - g.pl + fw * g.dw;
                if (ih < 0 || ih >= xs[1] || iw < 0 || iw >= xs[2]) continue;
                s += x[idx4(xs, b, ih, iw, c)]! * f[idx4(fs, fh, fw, c, oc)]!;
              }
          y[idx4(ys, b, i, j, oc)] = s;
        }
  return { values: y, shape: ys };
}

/** The input gradient by definition: every product of the forward sum sends `dy * f` back to x. */
function refConv2dBackpropInput(dy: ArrayLike<number>, f: ArrayLike<number>, fs: S4, xs: S4, o: Conv2DOptions): Float64Array {
  const g = refGeo(xs, fs[0], fs[1], o);
  const ys: S4 = [xs[0], g.oh, g.ow, fs[3]];
  const dx = new Float64Array(xs[0] * xs[1] * xs[2] * xs[3]);
  for (let b = 0; b < xs[0]; b++)
    for (let i = 0; i < g.oh; i++)
      for (let j = 0; j < g.ow; j++)
        for (let oc = 0; oc < fs[3]; oc++)
          for (let fh = 0; fh < fs[0]; fh++)
            for (let fw = 0; fw < fs[1]; fw++)
              for (let c = 0; c < xs[3]; c++) {
                const ih = i * g.sh - g.pt + fh * g.dh;
                const iw = j * g.sw - g.pl + fw * g.dw;
                if (ih < 0 || ih >= xs[1] || iw < 0 || iw >= xs[2]) continue;
                {
                  const k = idx4(xs, b, ih, iw, c);
                  dx[k] = dx[k]! + dy[idx4(ys, b, i, j, oc)]! * f[idx4(fs, fh, fw, c, oc)]!;
                }
              }
  return dx;
}

/** The filter gradient by definition. */
function refConv2dBackpropFilter(x: ArrayLike<number>, xs: S4, dy: ArrayLike<number>, fs: S4, o: Conv2DOptions): Float64Array {
  const g = refGeo(xs, fs[0], fs[1], o);
  const ys: S4 = [xs[0], g.oh, g.ow, fs[3]];
  const df = new Float64Array(fs[0] * fs[1] * fs[2] * fs[3]);
  for (let b = 0; b < xs[0]; b++)
    for (let i = 0; i < g.oh; i++)
      for (let j = 0; j < g.ow; j++)
        for (let oc = 0; oc < fs[3]; oc++)
          for (let fh = 0; fh < fs[0]; fh++)
            for (let fw = 0; fw < fs[1]; fw++)
              for (let c = 0; c < xs[3]; c++) {
                const ih = i * g.sh - g.pt + fh * g.dh;
                const iw = j * g.sw - g.pl + fw * g.dw;
                if (ih < 0 || ih >= xs[1] || iw < 0 || iw >= xs[2]) continue;
                {
                  const k = idx4(fs, fh, fw, c, oc);
                  df[k] = df[k]! + x[idx4(xs, b, ih, iw, c)]! * dy[idx4(ys, b, i, j, oc)]!;
                }
              }
  return df;
}

/** Depthwise: output channel `c * M + m` is input channel `c` convolved with `f[:, :, c, m]`. */
function refDepthwise(
  x: ArrayLike<number>,
  xs: S4,
  f: ArrayLike<number>,
  fs: S4,
  o: Conv2DOptions,
  mode: 'forward' | 'input' | 'filter',
  dy?: ArrayLike<number>,
): { values: Float64Array; shape: S4 } {
  const g = refGeo(xs, fs[0], fs[1], o);
  const M = fs[3];
  const ys: S4 = [xs[0], g.oh, g.ow, xs[3] * M];
  const y = new Float64Array(ys[0] * ys[1] * ys[2] * ys[3]);
  const dx = new Float64Array(xs[0] * xs[1] * xs[2] * xs[3]);
  const df = new Float64Array(fs[0] * fs[1] * fs[2] * fs[3]);
  for (let b = 0; b < xs[0]; b++)
    for (let i = 0; i < g.oh; i++)
      for (let j = 0; j < g.ow; j++)
        for (let c = 0; c < xs[3]; c++)
          for (let m = 0; m < M; m++)
            for (let fh = 0; fh < fs[0]; fh++)
              for (let fw = 0; fw < fs[1]; fw++) {
                const ih = i * g.sh - g.pt + fh * g.dh;
                const iw = j * g.sw - g.pl + fw * g.dw;
                if (ih < 0 || ih >= xs[1] || iw < 0 || iw >= xs[2]) continue;
                const xi = idx4(xs, b, ih, iw, c);
                const fi = idx4(fs, fh, fw, c, m);
                const yi = idx4(ys, b, i, j, c * M + m);
                if (mode === 'forward') y[yi] = y[yi]! + x[xi]! * f[fi]!;
                else if (mode === 'input') dx[xi] = dx[xi]! + dy![yi]! * f[fi]!;
                else df[fi] = df[fi]! + x[xi]! * dy![yi]!;
              }
  if (mode === 'forward') return { values: y, shape: ys };
  if (mode === 'input') return { values: dx, shape: xs };
  return { values: df, shape: fs };
}

/** Pool windows by definition: for each output, the flat indices of the real input elements in row-major window order. */
function refPoolWindows(xs: S4, o: PoolOptions): { shape: S4; windows: number[][] } {
  const [fh, fw] = pairOf(o.filterSize, 1);
  const strides = o.strides ?? o.filterSize;
  const g = refGeo(xs, fh, fw, { strides, padding: o.padding ?? 'VALID' });
  const ys: S4 = [xs[0], g.oh, g.ow, xs[3]];
  const windows: number[][] = [];
  for (let b = 0; b < xs[0]; b++)
    for (let i = 0; i < g.oh; i++)
      for (let j = 0; j < g.ow; j++)
        for (let c = 0; c < xs[3]; c++) {
          const w: number[] = [];
          for (let a = 0; a < fh; a++)
            for (let e = 0; e < fw; e++) {
              const ih = i * g.sh - g.pt + a;
              const iw = j * g.sw - g.pl + e;
              if (ih >= 0 && ih < xs[1] && iw >= 0 && iw < xs[2]) w.push(idx4(xs, b, ih, iw, c));
            }
          windows.push(w);
        }
  return { shape: ys, windows };
}

/** The index of the first maximum (NaN counts as the maximum). */
function firstMax(x: ArrayLike<number>, w: readonly number[]): number {
  let best = w[0]!;
  for (const k of w) {
    const v = x[k]!;
    const m = x[best]!;
    if (v > m || (Number.isNaN(v) && !Number.isNaN(m))) best = k;
  }
  return best;
}

function refMaxPool(x: ArrayLike<number>, xs: S4, o: PoolOptions): { values: Float64Array; shape: S4 } {
  const { shape, windows } = refPoolWindows(xs, o);
  return { values: Float64Array.from(windows, (w) => x[firstMax(x, w)]!), shape };
}

function refMaxPoolGrad(dy: ArrayLike<number>, x: ArrayLike<number>, xs: S4, o: PoolOptions): Float64Array {
  const { windows } = refPoolWindows(xs, o);
  const dx = new Float64Array(x.length);
  windows.forEach((w, k) => {
    const m = firstMax(x, w);
    dx[m] = dx[m]! + dy[k]!;
  });
  return dx;
}

function refAvgPool(x: ArrayLike<number>, xs: S4, o: PoolOptions): { values: Float64Array; shape: S4 } {
  const { shape, windows } = refPoolWindows(xs, o);
  return { values: Float64Array.from(windows, (w) => w.reduce((s, k) => s + x[k]!, 0) / w.length), shape };
}

function refAvgPoolGrad(dy: ArrayLike<number>, xs: S4, o: PoolOptions): Float64Array {
  const { windows } = refPoolWindows(xs, o);
  const dx = new Float64Array(xs[0] * xs[1] * xs[2] * xs[3]);
  windows.forEach((w, k) => {
    for (const i of w) dx[i] = dx[i]! + dy[k]! / w.length;
  });
  return dx;
}

// ---- helpers ---------------------------------------------------------------------------------

/** Float32 sums of many products get a little absolute slack (backends may accumulate in float32). */
function tol(dtype: DType): Tolerance {
  return dtype === 'float32' ? { rtol: 2e-4, atol: 2e-4 } : {};
}

function dotArrays(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function expectNear(what: string, got: number, want: number, rtol: number): void {
  if (!(Math.abs(got - want) <= rtol * Math.max(1, Math.abs(want)))) {
    throw new Error(`${what}: got ${got}, expected ${want} (rtol ${rtol})`);
  }
}

function size(s: readonly number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

// ---- conv2d configurations -------------------------------------------------------------------

interface ConvConfig {
  readonly name: string;
  readonly x: S4;
  readonly f: S4;
  readonly opts: Conv2DOptions;
}

const convConfigs: readonly ConvConfig[] = [
  { name: '3x3 VALID stride 1, one channel', x: [1, 5, 5, 1], f: [3, 3, 1, 1], opts: {} },
  { name: 'batch 2, 3 -> 4 channels, SAME', x: [2, 6, 7, 3], f: [3, 3, 3, 4], opts: { padding: 'SAME' } },
  { name: 'strides [1,2,2,1] VALID, 5x5 filter', x: [2, 9, 9, 3], f: [5, 5, 3, 5], opts: { strides: [1, 2, 2, 1], padding: 'VALID' } },
  { name: 'strides [2,3] SAME, odd sizes, 2x3 filter', x: [1, 7, 8, 2], f: [2, 3, 2, 3], opts: { strides: [2, 3], padding: 'SAME' } },
  { name: 'dilations 2 VALID', x: [1, 7, 7, 2], f: [3, 3, 2, 2], opts: { dilations: 2 } },
  { name: 'dilations [1,1,2,1] SAME', x: [2, 6, 5, 1], f: [3, 2, 1, 3], opts: { dilations: [1, 1, 2, 1], padding: 'SAME' } },
  { name: 'explicit padding [[1,2],[0,1]]', x: [1, 5, 4, 2], f: [3, 3, 2, 2], opts: { padding: [[1, 2], [0, 1]] } },
  {
    name: 'four-pair explicit padding with stride 2',
    x: [1, 6, 6, 1],
    f: [2, 2, 1, 2],
    opts: { strides: 2, padding: [[0, 0], [2, 1], [1, 0], [0, 0]] },
  },
  { name: '1x1 filter, stride 2', x: [2, 4, 5, 5], f: [1, 1, 5, 3], opts: { strides: 2 } },
  { name: 'filter as large as the input', x: [1, 3, 3, 2], f: [3, 3, 2, 4], opts: { padding: 'VALID' } },
  { name: 'even filter, SAME, stride 2 (asymmetric padding)', x: [1, 8, 7, 2], f: [4, 4, 2, 2], opts: { strides: 2, padding: 'SAME' } },
  { name: 'channels not multiples of 4 (7 -> 9), SAME', x: [2, 5, 6, 7], f: [3, 3, 7, 9], opts: { padding: 'SAME' } },
  { name: 'stride larger than the filter', x: [1, 9, 10, 2], f: [2, 2, 2, 3], opts: { strides: [3, 4] } },
  { name: 'first MNIST layer shape: 28x28, 5x5, 1 -> 4 channels, SAME', x: [2, 28, 28, 1], f: [5, 5, 1, 4], opts: { padding: 'SAME' } },
  { name: 'deeper layer shape: 5x5, 8 -> 16 channels, SAME', x: [2, 10, 10, 8], f: [5, 5, 8, 16], opts: { padding: 'SAME' } },
];

function convConfigCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const cfg of convConfigs) {
    for (const dtype of ['float32', 'float64'] as const) {
      // float64 for a subset keeps the suite quick while covering the dtype.
      if (dtype === 'float64' && !/SAME|dilations|explicit/.test(cfg.name)) continue;
      const tag = `${dtype} ${cfg.name}`;
      out.push({
        op: 'conv2d',
        name: tag,
        dtypes: [dtype],
        run: async (ctx) => {
          const [x, xv] = ctx.random(cfg.x, dtype);
          const [f, fv] = ctx.random(cfg.f, dtype);
          const ref = refConv2d(xv, cfg.x, fv, cfg.f, cfg.opts);
          await ctx.expectClose(conv2d(x, f, cfg.opts), { shape: ref.shape, dtype, values: ref.values }, tol(dtype));
        },
      });
      out.push({
        op: 'conv2dBackpropInput',
        name: tag,
        dtypes: [dtype],
        run: async (ctx) => {
          const g = refGeo(cfg.x, cfg.f[0], cfg.f[1], cfg.opts);
          const ys: S4 = [cfg.x[0], g.oh, g.ow, cfg.f[3]];
          const [dy, dyv] = ctx.random(ys, dtype);
          const [f, fv] = ctx.random(cfg.f, dtype);
          const want = refConv2dBackpropInput(dyv, fv, cfg.f, cfg.x, cfg.opts);
          await ctx.expectClose(conv2dBackpropInput(dy, f, cfg.x, cfg.opts), { shape: cfg.x, dtype, values: want }, tol(dtype));
        },
      });
      out.push({
        op: 'conv2dBackpropFilter',
        name: tag,
        dtypes: [dtype],
        run: async (ctx) => {
          const g = refGeo(cfg.x, cfg.f[0], cfg.f[1], cfg.opts);
          const ys: S4 = [cfg.x[0], g.oh, g.ow, cfg.f[3]];
          const [x, xv] = ctx.random(cfg.x, dtype);
          const [dy, dyv] = ctx.random(ys, dtype);
          const want = refConv2dBackpropFilter(xv, cfg.x, dyv, cfg.f, cfg.opts);
          await ctx.expectClose(conv2dBackpropFilter(x, dy, cfg.f, cfg.opts), { shape: cfg.f, dtype, values: want }, tol(dtype));
        },
      });
      const mult = (cfg.f[3] % 2) + 1;
      const dfs: S4 = [cfg.f[0], cfg.f[1], cfg.x[3], mult];
      out.push({
        op: 'depthwiseConv2d',
        name: `${tag}, multiplier ${mult}`,
        dtypes: [dtype],
        run: async (ctx) => {
          const [x, xv] = ctx.random(cfg.x, dtype);
          const [f, fv] = ctx.random(dfs, dtype);
          const ref = refDepthwise(xv, cfg.x, fv, dfs, cfg.opts, 'forward');
          await ctx.expectClose(depthwiseConv2d(x, f, cfg.opts), { shape: ref.shape, dtype, values: ref.values }, tol(dtype));
        },
      });
      out.push({
        op: 'depthwiseConv2dBackpropInput',
        name: `${tag}, multiplier ${mult}`,
        dtypes: [dtype],
        run: async (ctx) => {
          const g = refGeo(cfg.x, cfg.f[0], cfg.f[1], cfg.opts);
          const [dy, dyv] = ctx.random([cfg.x[0], g.oh, g.ow, cfg.x[3] * mult], dtype);
          const [f, fv] = ctx.random(dfs, dtype);
          const ref = refDepthwise(new Float64Array(size(cfg.x)), cfg.x, fv, dfs, cfg.opts, 'input', dyv);
          await ctx.expectClose(depthwiseConv2dBackpropInput(dy, f, cfg.x, cfg.opts), { shape: cfg.x, dtype, values: ref.values }, tol(dtype));
        },
      });
      out.push({
        op: 'depthwiseConv2dBackpropFilter',
        name: `${tag}, multiplier ${mult}`,
        dtypes: [dtype],
        run: async (ctx) => {
          const g = refGeo(cfg.x, cfg.f[0], cfg.f[1], cfg.opts);
          const [x, xv] = ctx.random(cfg.x, dtype);
          const [dy, dyv] = ctx.random([cfg.x[0], g.oh, g.ow, cfg.x[3] * mult], dtype);
          const ref = refDepthwise(xv, cfg.x, new Float64Array(size(dfs)), dfs, cfg.opts, 'filter', dyv);
          await ctx.expectClose(depthwiseConv2dBackpropFilter(x, dy, dfs, cfg.opts), { shape: dfs, dtype, values: ref.values }, tol(dtype));
        },
      });
    }
    // The adjoint identity ties the three ops together independently of the references.
    out.push({
      op: 'conv2dBackpropInput',
      name: `adjoint identity with conv2d and conv2dBackpropFilter: ${cfg.name}`,
      dtypes: ['float64'],
      run: async (ctx) => {
        const g = refGeo(cfg.x, cfg.f[0], cfg.f[1], cfg.opts);
        const ys: S4 = [cfg.x[0], g.oh, g.ow, cfg.f[3]];
        const [x, xv] = ctx.random(cfg.x, 'float64');
        const [f, fv] = ctx.random(cfg.f, 'float64');
        const [dy, dyv] = ctx.random(ys, 'float64');
        const lhs = dotArrays(await conv2d(x, f, cfg.opts).data(), dyv);
        const viaInput = dotArrays(xv, await conv2dBackpropInput(dy, f, cfg.x, cfg.opts).data());
        const viaFilter = dotArrays(fv, await conv2dBackpropFilter(x, dy, cfg.f, cfg.opts).data());
        expectNear('<x, conv2dBackpropInput(dy, f)> vs <conv2d(x, f), dy>', viaInput, lhs, 1e-10);
        expectNear('<f, conv2dBackpropFilter(x, dy)> vs <conv2d(x, f), dy>', viaFilter, lhs, 1e-10);
      },
    });
  }
  return out;
}

// ---- hand-computed and special conv2d cases ------------------------------------------------

function convSpecialCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  out.push({
    op: 'conv2d',
    name: 'hand-computed: ones 4x4 with ones 3x3, SAME',
    run: async (ctx) => {
      const y = conv2d(tensor(new Float32Array(16).fill(1), [1, 4, 4, 1]), tensor(new Float32Array(9).fill(1), [3, 3, 1, 1]), {
        padding: 'SAME',
      });
      await ctx.expectClose(y, { shape: [1, 4, 4, 1], dtype: 'float32', values: [4, 6, 6, 4, 6, 9, 9, 6, 6, 9, 9, 6, 4, 6, 6, 4] });
    },
  });
  out.push({
    op: 'conv2d',
    name: 'hand-computed: difference filter [[1,0],[0,-1]] on 1..9',
    run: async (ctx) => {
      const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
      const f = tensor([1, 0, 0, -1], [2, 2, 1, 1]);
      await ctx.expectClose(conv2d(x, f), { shape: [1, 2, 2, 1], dtype: 'float32', values: [-4, -4, -4, -4] });
    },
  });
  out.push({
    op: 'conv2d',
    name: 'hand-computed: channels are summed and output channels are separate',
    run: async (ctx) => {
      // x has channels (1, 10) at every pixel; filter 1x1 maps to (c0 + c1, c0 - c1, 2 * c1)
      const x = tensor([1, 10, 1, 10, 1, 10, 1, 10], [1, 2, 2, 2]);
      const f = tensor([1, 1, 0, 1, -1, 2], [1, 1, 2, 3]);
      await ctx.expectClose(conv2d(x, f), { shape: [1, 2, 2, 3], dtype: 'float32', values: [11, -9, 20, 11, -9, 20, 11, -9, 20, 11, -9, 20] });
    },
  });
  out.push({
    op: 'conv2d',
    name: 'the seed example shape: [2,28,28,3] * [5,5,3,20], strides [1,2,2,1] VALID -> [2,12,12,20]',
    run: async (ctx) => {
      const [x, xv] = ctx.random([2, 28, 28, 3], 'float32');
      const [f, fv] = ctx.random([5, 5, 3, 20], 'float32', { min: -0.5, max: 0.5 });
      const opts: Conv2DOptions = { strides: [1, 2, 2, 1], padding: 'VALID' };
      const ref = refConv2d(xv, [2, 28, 28, 3], fv, [5, 5, 3, 20], opts);
      await ctx.expectClose(conv2d(x, f, opts), { shape: [2, 12, 12, 20], dtype: 'float32', values: ref.values }, tol('float32'));
    },
  });
  out.push({
    op: 'conv2d',
    name: 'empty batch and zero output channels',
    run: async (ctx) => {
      const x0 = ctx.tensor([], [0, 5, 5, 2], 'float32');
      const [f] = ctx.random([3, 3, 2, 4], 'float32');
      await ctx.expectClose(conv2d(x0, f, { padding: 'SAME', strides: 2 }), { shape: [0, 3, 3, 4], dtype: 'float32', values: [] });
      const [x] = ctx.random([1, 5, 5, 2], 'float32');
      const f0 = ctx.tensor([], [3, 3, 2, 0], 'float32');
      await ctx.expectClose(conv2d(x, f0), { shape: [1, 3, 3, 0], dtype: 'float32', values: [] });
    },
  });
  out.push({
    op: 'conv2d',
    name: 'NaN reaches exactly the outputs whose window covers it',
    run: async (ctx) => {
      const x = tensor([NaN, 1, 1, 1, 1, 1, 1, 1, 1], [1, 3, 3, 1]);
      const f = tensor([1, 1, 1, 1], [2, 2, 1, 1]);
      await ctx.expectClose(conv2d(x, f), { shape: [1, 2, 2, 1], dtype: 'float32', values: [NaN, 4, 4, 4] });
      const xc = tensor([1, 1, 1, 1, NaN, 1, 1, 1, 1], [1, 3, 3, 1]);
      await ctx.expectClose(conv2d(xc, f), { shape: [1, 2, 2, 1], dtype: 'float32', values: [NaN, NaN, NaN, NaN] });
    },
  });
  out.push({
    op: 'conv2dBackpropInput',
    name: 'empty batch gives an empty gradient; backpropFilter of an empty batch is zero',
    run: async (ctx) => {
      const [f] = ctx.random([3, 3, 2, 4], 'float32');
      const dy0 = ctx.tensor([], [0, 3, 3, 4], 'float32');
      await ctx.expectClose(conv2dBackpropInput(dy0, f, [0, 5, 5, 2]), { shape: [0, 5, 5, 2], dtype: 'float32', values: [] });
      const x0 = ctx.tensor([], [0, 5, 5, 2], 'float32');
      await ctx.expectClose(conv2dBackpropFilter(x0, dy0, [3, 3, 2, 4]), {
        shape: [3, 3, 2, 4],
        dtype: 'float32',
        values: new Float64Array(72),
      });
    },
  });
  out.push({
    op: 'conv2dBackpropInput',
    name: 'finite differences of <conv2d(x, f), dy> in x (float64)',
    dtypes: ['float64'],
    run: async (ctx) => {
      await finiteDifferences(ctx, 'x');
    },
  });
  out.push({
    op: 'conv2dBackpropFilter',
    name: 'finite differences of <conv2d(x, f), dy> in the filter (float64)',
    dtypes: ['float64'],
    run: async (ctx) => {
      await finiteDifferences(ctx, 'filter');
    },
  });
  out.push({
    op: 'depthwiseConv2dBackpropInput',
    name: 'adjoint identity with depthwiseConv2d and depthwiseConv2dBackpropFilter',
    dtypes: ['float64'],
    run: async (ctx) => {
      const xs: S4 = [2, 6, 5, 3];
      const fs: S4 = [3, 2, 3, 2];
      const opts: Conv2DOptions = { strides: [2, 1], padding: 'SAME' };
      const g = refGeo(xs, fs[0], fs[1], opts);
      const [x, xv] = ctx.random(xs, 'float64');
      const [f, fv] = ctx.random(fs, 'float64');
      const [dy, dyv] = ctx.random([2, g.oh, g.ow, 6], 'float64');
      const lhs = dotArrays(await depthwiseConv2d(x, f, opts).data(), dyv);
      expectNear('<x, depthwiseConv2dBackpropInput>', dotArrays(xv, await depthwiseConv2dBackpropInput(dy, f, xs, opts).data()), lhs, 1e-10);
      expectNear('<f, depthwiseConv2dBackpropFilter>', dotArrays(fv, await depthwiseConv2dBackpropFilter(x, dy, fs, opts).data()), lhs, 1e-10);
    },
  });
  out.push({
    op: 'depthwiseConv2d',
    name: 'hand-computed: channels stay separate, multiplier 2',
    run: async (ctx) => {
      // x channels (1, 10); filter 1x1: channel 0 -> (2, 3), channel 1 -> (-1, 1)
      const x = tensor([1, 10, 2, 20], [1, 1, 2, 2]);
      const f = tensor([2, 3, -1, 1], [1, 1, 2, 2]);
      await ctx.expectClose(depthwiseConv2d(x, f), { shape: [1, 1, 2, 4], dtype: 'float32', values: [2, 3, -10, 10, 4, 6, -20, 20] });
    },
  });
  out.push({
    op: 'depthwiseConv2d',
    name: 'empty batch',
    run: async (ctx) => {
      const [f] = ctx.random([2, 2, 3, 2], 'float32');
      await ctx.expectClose(depthwiseConv2d(ctx.tensor([], [0, 4, 4, 3], 'float32'), f), { shape: [0, 3, 3, 6], dtype: 'float32', values: [] });
    },
  });
  return out;
}

async function finiteDifferences(ctx: CaseContext, wrt: 'x' | 'filter'): Promise<void> {
  const xs: S4 = [1, 4, 5, 2];
  const fs: S4 = [3, 2, 2, 3];
  const opts: Conv2DOptions = { strides: [1, 2], padding: 'SAME' };
  const g = refGeo(xs, fs[0], fs[1], opts);
  const xv = ctx.values(xs, 'float64');
  const fv = ctx.values(fs, 'float64');
  const [dy, dyv] = ctx.random([1, g.oh, g.ow, 3], 'float64');
  const loss = async (xa: Float64Array, fa: Float64Array): Promise<number> =>
    dotArrays(await conv2d(tensor(xa, xs, 'float64'), tensor(fa, fs, 'float64'), opts).data(), dyv);
  const grad =
    wrt === 'x'
      ? await conv2dBackpropInput(dy, tensor(fv, fs, 'float64'), xs, opts).data()
      : await conv2dBackpropFilter(tensor(xv, xs, 'float64'), dy, fs, opts).data();
  const n = wrt === 'x' ? xv.length : fv.length;
  const h = 1e-3;
  for (let t = 0; t < 6; t++) {
    const i = Math.floor(ctx.rng.uniform() * n);
    const plusX = Float64Array.from(xv);
    const minusX = Float64Array.from(xv);
    const plusF = Float64Array.from(fv);
    const minusF = Float64Array.from(fv);
    if (wrt === 'x') {
      plusX[i] = xv[i]! + h;
      minusX[i] = xv[i]! - h;
    } else {
      plusF[i] = fv[i]! + h;
      minusF[i] = fv[i]! - h;
    }
    const fd = ((await loss(plusX, plusF)) - (await loss(minusX, minusF))) / (2 * h);
    expectNear(`d<conv2d(x, f), dy>/d${wrt}[${i}]`, grad[i]!, fd, 1e-6);
  }
}

// ---- conv2dTranspose -----------------------------------------------------------------------

function transposeCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  out.push({
    op: 'conv2dTranspose',
    name: 'hand-computed: ones 2x2, ones 2x2 filter, stride 2 tiles a 4x4 of ones',
    run: async (ctx) => {
      const y = conv2dTranspose(tensor([1, 1, 1, 1], [1, 2, 2, 1]), tensor([1, 1, 1, 1], [2, 2, 1, 1]), [1, 4, 4, 1], { strides: 2 });
      await ctx.expectClose(y, { shape: [1, 4, 4, 1], dtype: 'float32', values: new Float64Array(16).fill(1) });
    },
  });
  out.push({
    op: 'conv2dTranspose',
    name: 'hand-computed: [[1,2],[3,4]] with [[1,2],[3,4]], stride 1 VALID -> 3x3',
    run: async (ctx) => {
      const y = conv2dTranspose(tensor([1, 2, 3, 4], [1, 2, 2, 1]), tensor([1, 2, 3, 4], [2, 2, 1, 1]), [1, 3, 3, 1]);
      await ctx.expectClose(y, { shape: [1, 3, 3, 1], dtype: 'float32', values: [1, 4, 4, 6, 20, 16, 9, 24, 16] });
    },
  });
  const configs: { name: string; out: S4; f: S4; opts: Conv2DOptions; dtype: DType }[] = [
    { name: 'stride 2 SAME, 3 -> 2 channels, batch 2', out: [2, 7, 6, 2], f: [3, 3, 2, 3], opts: { strides: 2, padding: 'SAME' }, dtype: 'float32' },
    { name: 'stride [1,2,2,1] VALID, upsampling 5x5 -> 13x13', out: [1, 13, 13, 1], f: [5, 5, 1, 4], opts: { strides: [1, 2, 2, 1] }, dtype: 'float32' },
    { name: 'explicit padding, float64', out: [1, 6, 5, 3], f: [3, 2, 3, 2], opts: { padding: [[1, 1], [0, 1]] }, dtype: 'float64' },
  ];
  for (const c of configs) {
    out.push({
      op: 'conv2dTranspose',
      name: `${c.dtype} ${c.name}`,
      dtypes: [c.dtype],
      run: async (ctx) => {
        const g = refGeo(c.out, c.f[0], c.f[1], c.opts);
        const [x, xv] = ctx.random([c.out[0], g.oh, g.ow, c.f[3]], c.dtype);
        const [f, fv] = ctx.random(c.f, c.dtype);
        const want = refConv2dBackpropInput(xv, fv, c.f, c.out, c.opts);
        await ctx.expectClose(conv2dTranspose(x, f, c.out, c.opts), { shape: c.out, dtype: c.dtype, values: want }, tol(c.dtype));
      },
    });
  }
  out.push({
    op: 'conv2dTranspose',
    name: 'bad input',
    run: (ctx) => {
      const x = ctx.tensor(new Float64Array(4), [1, 2, 2, 1], 'float32');
      const f = ctx.tensor(new Float64Array(4), [2, 2, 1, 1], 'float32');
      ctx.expectThrows(() => conv2dTranspose(x, f, [1, 6, 6, 1], { strides: 2 }), ShapeError, /conv2dTranspose: x is \[1,2,2,1\].*\[1,3,3,1\]/);
      ctx.expectThrows(() => conv2dTranspose(x, f, [1, 4, 4, 2], { strides: 2 }), ShapeError, /conv2dTranspose.*channels/);
      ctx.expectThrows(() => conv2dTranspose(x, f, [1, 4, 4], { strides: 2 }), ValueError, /conv2dTranspose: outputShape/);
      ctx.expectThrows(
        () => conv2dTranspose(x, f, [1, 4, 4, 1], { strides: 2, dilations: 2 } as Conv2DOptions),
        ValueError,
        /conv2dTranspose: unknown option 'dilations'/,
      );
    },
  });
  return out;
}

// ---- pooling -----------------------------------------------------------------------------

interface PoolConfig {
  readonly name: string;
  readonly x: S4;
  readonly opts: PoolOptions;
}

const poolConfigs: readonly PoolConfig[] = [
  { name: '2x2 window, default stride, VALID', x: [1, 4, 4, 1], opts: { filterSize: 2 } },
  { name: '3x3 window, stride 2, SAME, batch 2, 3 channels', x: [2, 5, 7, 3], opts: { filterSize: 3, strides: 2, padding: 'SAME' } },
  { name: 'overlapping [2,3] window, stride 1', x: [1, 6, 5, 2], opts: { filterSize: [2, 3], strides: [1, 1] } },
  {
    name: '[1,3,3,1] window, strides [1,2,1,1], explicit padding',
    x: [2, 5, 5, 2],
    opts: { filterSize: [1, 3, 3, 1], strides: [1, 2, 1, 1], padding: [[1, 1], [2, 0]] },
  },
  { name: 'non-overlapping 3x3 SAME on 7x6', x: [1, 7, 6, 4], opts: { filterSize: 3, strides: 3, padding: 'SAME' } },
  { name: 'stride larger than the window', x: [1, 7, 8, 1], opts: { filterSize: 2, strides: 3 } },
];

function poolCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const cfg of poolConfigs) {
    for (const dtype of ['float32', 'float64'] as const) {
      if (dtype === 'float64' && !/SAME|explicit/.test(cfg.name)) continue;
      const tag = `${dtype} ${cfg.name}`;
      const ys = refPoolWindows(cfg.x, cfg.opts).shape;
      out.push({
        op: 'maxPool',
        name: tag,
        dtypes: [dtype],
        run: async (ctx) => {
          const [x, xv] = ctx.random(cfg.x, dtype);
          const ref = refMaxPool(xv, cfg.x, cfg.opts);
          await ctx.expectClose(maxPool(x, cfg.opts), { shape: ref.shape, dtype, values: ref.values });
        },
      });
      out.push({
        op: 'maxPoolGrad',
        name: tag,
        dtypes: [dtype],
        run: async (ctx) => {
          const [x, xv] = ctx.random(cfg.x, dtype);
          const [dy, dyv] = ctx.random(ys, dtype);
          const want = refMaxPoolGrad(dyv, xv, cfg.x, cfg.opts);
          await ctx.expectClose(maxPoolGrad(dy, x, cfg.opts), { shape: cfg.x, dtype, values: want }, tol(dtype));
        },
      });
      out.push({
        op: 'avgPool',
        name: tag,
        dtypes: [dtype],
        run: async (ctx) => {
          const [x, xv] = ctx.random(cfg.x, dtype);
          const ref = refAvgPool(xv, cfg.x, cfg.opts);
          await ctx.expectClose(avgPool(x, cfg.opts), { shape: ref.shape, dtype, values: ref.values }, tol(dtype));
        },
      });
      out.push({
        op: 'avgPoolGrad',
        name: tag,
        dtypes: [dtype],
        run: async (ctx) => {
          const [dy, dyv] = ctx.random(ys, dtype);
          const want = refAvgPoolGrad(dyv, cfg.x, cfg.opts);
          await ctx.expectClose(avgPoolGrad(dy, cfg.x, cfg.opts), { shape: cfg.x, dtype, values: want }, tol(dtype));
        },
      });
    }
    out.push({
      op: 'avgPoolGrad',
      name: `adjoint identity <avgPool(x), dy> = <x, avgPoolGrad(dy)>: ${cfg.name}`,
      dtypes: ['float64'],
      run: async (ctx) => {
        const ys = refPoolWindows(cfg.x, cfg.opts).shape;
        const [x, xv] = ctx.random(cfg.x, 'float64');
        const [dy, dyv] = ctx.random(ys, 'float64');
        const lhs = dotArrays(await avgPool(x, cfg.opts).data(), dyv);
        expectNear('<x, avgPoolGrad(dy)>', dotArrays(xv, await avgPoolGrad(dy, cfg.x, cfg.opts).data()), lhs, 1e-10);
      },
    });
  }
  out.push({
    op: 'maxPool',
    name: 'hand-computed: 0..15 with 2x2 windows',
    run: async (ctx) => {
      const x = tensor(Float32Array.from({ length: 16 }, (_, i) => i), [1, 4, 4, 1]);
      await ctx.expectClose(maxPool(x, { filterSize: 2 }), { shape: [1, 2, 2, 1], dtype: 'float32', values: [5, 7, 13, 15] });
    },
  });
  out.push({
    op: 'maxPool',
    name: 'padded positions never win: negative inputs with SAME padding',
    run: async (ctx) => {
      const x = tensor(Float32Array.from({ length: 16 }, (_, i) => -(i + 1)), [1, 4, 4, 1]);
      // SAME, window 3, stride 2 on 4: output 2, padding 0 above and 1 below
      await ctx.expectClose(maxPool(x, { filterSize: 3, strides: 2, padding: 'SAME' }), {
        shape: [1, 2, 2, 1],
        dtype: 'float32',
        values: [-1, -3, -9, -11],
      });
      await ctx.expectClose(maxPool(x, { filterSize: 2, strides: 1, padding: [[1, 1], [1, 1]] }), {
        shape: [1, 5, 5, 1],
        dtype: 'float32',
        values: [-1, -1, -2, -3, -4, -1, -1, -2, -3, -4, -5, -5, -6, -7, -8, -9, -9, -10, -11, -12, -13, -13, -14, -15, -16],
      });
    },
  });
  out.push({
    op: 'maxPool',
    name: 'NaN propagates, -Infinity and Infinity are ordinary values',
    run: async (ctx) => {
      const x = tensor([1, NaN, 3, 4, -Infinity, -Infinity, -Infinity, -Infinity, 5, Infinity, 2, 2], [1, 3, 4, 1]);
      await ctx.expectClose(maxPool(x, { filterSize: [1, 2] }), {
        shape: [1, 3, 2, 1],
        dtype: 'float32',
        values: [NaN, 4, -Infinity, -Infinity, Infinity, 2],
      });
    },
  });
  out.push({
    op: 'maxPoolGrad',
    name: 'ties go to the first maximum in row-major window order; overlapping windows add up',
    run: async (ctx) => {
      const x = tensor([1, 1, 1, 1], [1, 2, 2, 1]);
      await ctx.expectClose(maxPoolGrad(tensor([5], [1, 1, 1, 1]), x, { filterSize: 2 }), {
        shape: [1, 2, 2, 1],
        dtype: 'float32',
        values: [5, 0, 0, 0],
      });
      const x2 = tensor([1, 3, 2, 3], [1, 1, 4, 1]);
      await ctx.expectClose(maxPoolGrad(tensor([10, 20, 40], [1, 1, 3, 1]), x2, { filterSize: [1, 2], strides: 1 }), {
        shape: [1, 1, 4, 1],
        dtype: 'float32',
        values: [0, 30, 0, 40],
      });
      const xi = tensor([-Infinity, -Infinity, -Infinity, -Infinity], [1, 2, 2, 1]);
      await ctx.expectClose(maxPoolGrad(tensor([2], [1, 1, 1, 1]), xi, { filterSize: 2, padding: 'SAME' }), {
        shape: [1, 2, 2, 1],
        dtype: 'float32',
        values: [2, 0, 0, 0],
      });
    },
  });
  out.push({
    op: 'maxPoolGrad',
    name: 'finite differences of <maxPool(x), dy> (float64, distinct values)',
    dtypes: ['float64'],
    run: async (ctx) => {
      const xs: S4 = [1, 5, 6, 2];
      const opts: PoolOptions = { filterSize: 3, strides: 2, padding: 'SAME' };
      const ys = refPoolWindows(xs, opts).shape;
      const xv = ctx.values(xs, 'float64');
      const [dy, dyv] = ctx.random(ys, 'float64');
      const grad = await maxPoolGrad(dy, tensor(xv, xs, 'float64'), opts).data();
      const h = 1e-6;
      for (let i = 0; i < xv.length; i += 3) {
        const p = Float64Array.from(xv);
        const m = Float64Array.from(xv);
        p[i] = xv[i]! + h;
        m[i] = xv[i]! - h;
        const lp = dotArrays(await maxPool(tensor(p, xs, 'float64'), opts).data(), dyv);
        const lm = dotArrays(await maxPool(tensor(m, xs, 'float64'), opts).data(), dyv);
        expectNear(`d<maxPool(x), dy>/dx[${i}]`, grad[i]!, (lp - lm) / (2 * h), 1e-6);
      }
    },
  });
  out.push({
    op: 'avgPool',
    name: 'hand-computed: padding is excluded from the average (SAME 2x2 on 1..9)',
    run: async (ctx) => {
      const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
      await ctx.expectClose(avgPool(x, { filterSize: 2, strides: 1, padding: 'SAME' }), {
        shape: [1, 3, 3, 1],
        dtype: 'float32',
        values: [3, 4, 4.5, 6, 7, 7.5, 7.5, 8.5, 9],
      });
    },
  });
  out.push({
    op: 'avgPoolGrad',
    name: 'hand-computed: each dy spreads over the real elements of its window',
    run: async (ctx) => {
      // SAME 2x2 stride 2 on 3x3: windows cover 4, 2, 2 and 1 real elements
      const dy = tensor([4, 8, 6, 5], [1, 2, 2, 1]);
      await ctx.expectClose(avgPoolGrad(dy, [1, 3, 3, 1], { filterSize: 2, padding: 'SAME' }), {
        shape: [1, 3, 3, 1],
        dtype: 'float32',
        values: [1, 1, 4, 1, 1, 4, 3, 3, 5],
      });
    },
  });
  for (const [op, fn] of [
    ['maxPool', (x: Tensor) => maxPool(x, { filterSize: 2, padding: 'SAME' })],
    ['avgPool', (x: Tensor) => avgPool(x, { filterSize: 2, padding: 'SAME' })],
  ] as const) {
    out.push({
      op,
      name: 'empty batch',
      run: async (ctx) => {
        await ctx.expectClose(fn(ctx.tensor([], [0, 5, 5, 3], 'float32')), { shape: [0, 3, 3, 3], dtype: 'float32', values: [] });
      },
    });
  }
  out.push({
    op: 'maxPoolGrad',
    name: 'empty batch',
    run: async (ctx) => {
      const x = ctx.tensor([], [0, 4, 4, 2], 'float32');
      const dy = ctx.tensor([], [0, 2, 2, 2], 'float32');
      await ctx.expectClose(maxPoolGrad(dy, x, { filterSize: 2 }), { shape: [0, 4, 4, 2], dtype: 'float32', values: [] });
      await ctx.expectClose(avgPoolGrad(dy, [0, 4, 4, 2], { filterSize: 2 }), { shape: [0, 4, 4, 2], dtype: 'float32', values: [] });
    },
  });
  return out;
}

// ---- bad input ---------------------------------------------------------------------------

function errorCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  out.push({
    op: 'conv2d',
    name: 'bad ranks and channel counts are ShapeErrors naming both shapes',
    run: (ctx) => {
      const z = (s: number[]): Tensor => ctx.tensor(new Float64Array(size(s)), s, 'float32');
      ctx.expectThrows(() => conv2d(z([28, 28, 3]), z([5, 5, 3, 20])), ShapeError, /conv2d: x must be rank 4.*got rank 3.*\[28,28,3\]/);
      ctx.expectThrows(() => conv2d(z([1, 28, 28, 3]), z([5, 5, 3])), ShapeError, /conv2d: filter must be rank 4.*\[5,5,3\]/);
      ctx.expectThrows(
        () => conv2d(z([1, 5, 5, 3]), z([3, 3, 4, 2])),
        ShapeError,
        /^conv2d: input has 3 channels but filter expects 4: x is \[1,5,5,3\], filter is \[3,3,4,2\]$/,
      );
      ctx.expectThrows(() => conv2d(z([1, 3, 3, 1]), z([5, 5, 1, 1])), ShapeError, /conv2d: output height would be -1.*x is \[1,3,3,1\], filter is \[5,5,1,1\]/);
      ctx.expectThrows(() => conv2d(z([1, 7, 3, 1]), z([3, 3, 1, 1]), { dilations: [1, 2] }), ShapeError, /conv2d: output width would be -1.*dilated/);
      ctx.expectThrows(() => conv2d(z([1, 3, 3, 1]), z([0, 3, 1, 1])), ShapeError, /conv2d: the filter height and width must be at least 1/);
    },
  });
  out.push({
    op: 'conv2d',
    name: 'dtypes other than float32 / float64, and mixed dtypes, are DTypeErrors',
    dtypes: ['int32', 'float64'],
    run: (ctx) => {
      const xi = ctx.tensor(new Float64Array(25), [1, 5, 5, 1], 'int32');
      const f = ctx.tensor(new Float64Array(9), [3, 3, 1, 1], 'float32');
      const f64 = ctx.tensor(new Float64Array(9), [3, 3, 1, 1], 'float64');
      const x = ctx.tensor(new Float64Array(25), [1, 5, 5, 1], 'float32');
      ctx.expectThrows(() => conv2d(xi, f), DTypeError, /conv2d: x has dtype int32; expected float32 or float64/);
      ctx.expectThrows(() => conv2d(x, f64), DTypeError, /conv2d: x is float32 but filter is float64/);
      ctx.expectThrows(() => depthwiseConv2d(xi, f), DTypeError, /depthwiseConv2d: x has dtype int32/);
      ctx.expectThrows(() => maxPool(xi, { filterSize: 2 }), DTypeError, /maxPool: x has dtype int32/);
      ctx.expectThrows(() => avgPool(xi, { filterSize: 2 }), DTypeError, /avgPool: x has dtype int32/);
    },
  });
  out.push({
    op: 'conv2d',
    name: 'bool inputs are DTypeErrors',
    dtypes: ['bool'],
    run: (ctx) => {
      const xb = ctx.tensor(new Float64Array(25), [1, 5, 5, 1], 'bool');
      const f = ctx.tensor(new Float64Array(9), [3, 3, 1, 1], 'float32');
      ctx.expectThrows(() => conv2d(xb, f), DTypeError, /conv2d: x has dtype bool/);
    },
  });
  out.push({
    op: 'conv2d',
    name: 'bad strides, dilations and padding are ValueErrors',
    run: (ctx) => {
      const x = ctx.tensor(new Float64Array(50), [1, 5, 5, 2], 'float32');
      const f = ctx.tensor(new Float64Array(36), [3, 3, 2, 2], 'float32');
      const bad = (o: unknown, re: RegExp): void => ctx.expectThrows(() => conv2d(x, f, o as Conv2DOptions), ValueError, re);
      bad({ strides: 0 }, /conv2d: strides must be a positive integer, \[h, w\] or \[1, h, w, 1\], got 0/);
      bad({ strides: 1.5 }, /conv2d: strides must be/);
      bad({ strides: [1, 2, 3] }, /conv2d: strides must be/);
      bad({ strides: [2, 2, 2, 2] }, /conv2d: strides \[2,2,2,2\] would move along the batch or channel dimension/);
      bad({ dilations: [1, -1] }, /conv2d: dilations must be/);
      bad({ strides: 2, dilations: 2 }, /conv2d: strides \[2,2\] and dilations \[2,2\] are both > 1/);
      bad({ strides: [1, 2], dilations: [2, 1] }, /both > 1/);
      bad({ padding: 'FULL' }, /conv2d: padding must be 'VALID', 'SAME'/);
      bad({ padding: [[1, 1]] }, /conv2d: padding must be/);
      bad({ padding: [[1, -1], [0, 0]] }, /conv2d: padding must be/);
      bad({ padding: [[0.5, 1], [0, 0]] }, /conv2d: padding must be/);
      bad({ padding: [[1, 0], [1, 1], [1, 1], [0, 0]] }, /conv2d: padding .* pads the batch or channel dimension/);
      bad({ padding: [[0, 0], [1, 1], [1, 1], [0, 2]] }, /pads the batch or channel dimension/);
      bad({ stride: 2 }, /conv2d: unknown option 'stride' \(valid options: strides, padding, dilations\)/);
      bad(5, /conv2d: options must be an object/);
      ctx.expectThrows(() => maxPool(x, { filterSize: 2, dilations: 2 } as PoolOptions), ValueError, /maxPool: unknown option 'dilations'/);
    },
  });
  out.push({
    op: 'conv2dBackpropInput',
    name: 'shapes that do not match the forward conv are ShapeErrors; bad inputShape is a ValueError',
    run: (ctx) => {
      const z = (s: number[]): Tensor => ctx.tensor(new Float64Array(size(s)), s, 'float32');
      const f = z([3, 3, 2, 4]);
      ctx.expectThrows(
        () => conv2dBackpropInput(z([1, 3, 3, 4]), f, [1, 6, 6, 2]),
        ShapeError,
        /conv2dBackpropInput: dy is \[1,3,3,4\] but conv2d of an input \[1,6,6,2\] with filter \[3,3,2,4\] \(strides \[1,1\], padding VALID\) gives \[1,4,4,4\]/,
      );
      ctx.expectThrows(() => conv2dBackpropInput(z([2, 4, 4, 4]), f, [1, 6, 6, 2]), ShapeError, /dy is \[2,4,4,4\]/);
      ctx.expectThrows(() => conv2dBackpropInput(z([1, 4, 4, 4]), f, [1, 6, 6, 3]), ShapeError, /input has 3 channels but filter expects 2/);
      ctx.expectThrows(() => conv2dBackpropInput(z([1, 4, 4, 4]), f, [1, 6, 6]), ValueError, /conv2dBackpropInput: inputShape must be an array of 4/);
      ctx.expectThrows(() => conv2dBackpropInput(z([1, 4, 4, 4]), f, [1, 6, -6, 2]), ValueError, /inputShape/);
      ctx.expectThrows(() => conv2dBackpropInput(z([4, 4, 4]), f, [1, 6, 6, 2]), ShapeError, /conv2dBackpropInput: dy must be rank 4/);
    },
  });
  out.push({
    op: 'conv2dBackpropFilter',
    name: 'shapes that do not match the forward conv are ShapeErrors',
    run: (ctx) => {
      const z = (s: number[]): Tensor => ctx.tensor(new Float64Array(size(s)), s, 'float32');
      const x = z([1, 6, 6, 2]);
      ctx.expectThrows(
        () => conv2dBackpropFilter(x, z([1, 4, 4, 3]), [3, 3, 2, 4]),
        ShapeError,
        /conv2dBackpropFilter: dy is \[1,4,4,3\] but conv2d of x \[1,6,6,2\] with a filter \[3,3,2,4\].*gives \[1,4,4,4\]/,
      );
      ctx.expectThrows(() => conv2dBackpropFilter(x, z([1, 4, 4, 4]), [3, 3, 5, 4]), ShapeError, /input has 2 channels but filter expects 5/);
      ctx.expectThrows(() => conv2dBackpropFilter(x, z([1, 4, 4, 4]), [3, 3, 2]), ValueError, /filterShape must be an array of 4/);
      const xi = ctx.tensor(new Float64Array(72), [1, 6, 6, 2], 'int32');
      ctx.expectThrows(() => conv2dBackpropFilter(xi, z([1, 4, 4, 4]), [3, 3, 2, 4]), DTypeError, /conv2dBackpropFilter: x has dtype int32/);
    },
  });
  out.push({
    op: 'depthwiseConv2d',
    name: 'bad input',
    run: (ctx) => {
      const z = (s: number[]): Tensor => ctx.tensor(new Float64Array(size(s)), s, 'float32');
      ctx.expectThrows(() => depthwiseConv2d(z([1, 5, 5, 3]), z([3, 3, 2, 1])), ShapeError, /depthwiseConv2d: input has 3 channels but filter expects 2/);
      ctx.expectThrows(() => depthwiseConv2d(z([5, 5, 3]), z([3, 3, 3, 1])), ShapeError, /depthwiseConv2d: x must be rank 4/);
      ctx.expectThrows(() => depthwiseConv2d(z([1, 5, 5, 3]), z([3, 3, 3, 1]), { strides: 2, dilations: 2 }), ValueError, /both > 1/);
      ctx.expectThrows(
        () => depthwiseConv2dBackpropInput(z([1, 3, 3, 4]), z([3, 3, 3, 1]), [1, 5, 5, 3]),
        ShapeError,
        /depthwiseConv2dBackpropInput: dy is \[1,3,3,4\] but depthwiseConv2d .* gives \[1,3,3,3\]/,
      );
      ctx.expectThrows(
        () => depthwiseConv2dBackpropFilter(z([1, 5, 5, 3]), z([1, 3, 3, 3]), [3, 3, 3, 2]),
        ShapeError,
        /depthwiseConv2dBackpropFilter: dy is \[1,3,3,3\].*gives \[1,3,3,6\]/,
      );
    },
  });
  out.push({
    op: 'maxPool',
    name: 'bad input',
    run: (ctx) => {
      const z = (s: number[]): Tensor => ctx.tensor(new Float64Array(size(s)), s, 'float32');
      const x = z([1, 4, 4, 2]);
      ctx.expectThrows(() => maxPool(z([4, 4, 2]), { filterSize: 2 }), ShapeError, /maxPool: x must be rank 4/);
      ctx.expectThrows(() => maxPool(x, {} as PoolOptions), ValueError, /maxPool: options.filterSize is required/);
      ctx.expectThrows(() => maxPool(x, { filterSize: 0 }), ValueError, /maxPool: filterSize must be/);
      ctx.expectThrows(() => maxPool(x, { filterSize: [2, 2, 2, 2] }), ValueError, /maxPool: filterSize .* batch or channel/);
      ctx.expectThrows(() => maxPool(x, { filterSize: 5 }), ShapeError, /maxPool: output height would be 0.*window/);
      ctx.expectThrows(() => maxPool(x, { filterSize: 2, padding: [[2, 0], [0, 0]] }), ValueError, /maxPool: explicit padding 2\+0 along height is not smaller than the window height 2/);
      ctx.expectThrows(() => avgPool(x, { filterSize: 2, padding: [[0, 0], [0, 3]] }), ValueError, /avgPool: explicit padding 0\+3 along width/);
      ctx.expectThrows(() => avgPool(x, { filterSize: 2, padding: 'same-ish' as Padding }), ValueError, /avgPool: padding must be/);
    },
  });
  out.push({
    op: 'maxPoolGrad',
    name: 'bad input',
    run: (ctx) => {
      const z = (s: number[], dt: DType = 'float32'): Tensor => ctx.tensor(new Float64Array(size(s)), s, dt);
      const x = z([1, 4, 4, 2]);
      ctx.expectThrows(
        () => maxPoolGrad(z([1, 3, 3, 2]), x, { filterSize: 2 }),
        ShapeError,
        /maxPoolGrad: dy is \[1,3,3,2\] but maxPool of x \[1,4,4,2\] \(filterSize \[2,2\], strides \[2,2\], padding VALID\) gives \[1,2,2,2\]/,
      );
      ctx.expectThrows(
        () => avgPoolGrad(z([1, 3, 3, 2]), [1, 4, 4, 2], { filterSize: 2 }),
        ShapeError,
        /avgPoolGrad: dy is \[1,3,3,2\] but avgPool of an input \[1,4,4,2\].*gives \[1,2,2,2\]/,
      );
      ctx.expectThrows(() => avgPoolGrad(z([1, 2, 2, 2]), [1, 4, 4], { filterSize: 2 }), ValueError, /avgPoolGrad: inputShape must be/);
    },
  });
  return out;
}

/** Conformance cases for conv ops. */
export const convCases: readonly ConformanceCase[] = [
  ...convConfigCases(),
  ...convSpecialCases(),
  ...transposeCases(),
  ...poolCases(),
  ...errorCases(),
];
