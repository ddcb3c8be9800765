/**
 * The WebAssembly depthwise-convolution and average-pooling kernels (forward and gradients)
 * against float64 reference loops and the TypeScript reference kernels: random shapes with odd
 * sizes, channel counts that are not multiples of the SIMD width, channel multipliers 1 to 3,
 * strides 1 and 2, dilations, SAME / VALID / explicit padding, batches of 1 and more, on one
 * thread, two threads, and a runtime without shared memory (operands copied into the heap).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  avgPool,
  avgPoolGrad,
  conv2dGeometry,
  depthwiseConv2d,
  depthwiseConv2dBackpropFilter,
  depthwiseConv2dBackpropInput,
  pool2dGeometry,
  scope,
  setBackend,
  tensor,
  type Conv2DGeometry,
  type Conv2DOptions,
  type PoolOptions,
  type Tensor,
} from '@tessera/core';
import { CpuBackend, createCpuBackend } from '../src/index.js';
import { acquireRuntime, releaseRuntime, type WasmRuntime } from '../src/wasm/runtime.js';
import { filterColumns, inputTaps, outputTaps } from '../src/fast/pool.js';
import { rng, values } from './random.js';

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Checks |got - want| <= 4e-6 * scale + 1e-7 per element, where scale is the sum of |terms|. */
function expectNear(got: ArrayLike<number>, want: Float64Array, scale: Float64Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    if (!(err <= 4e-6 * scale[i]! + 1e-7)) {
      throw new Error(`${what}: element ${i}: got ${got[i]}, want ${want[i]} (sum of |terms| ${scale[i]})`);
    }
  }
}

// ---- float64 references ----------------------------------------------------------------------

/** Calls `visit(xIndex, fIndex, yIndex)` for every (input, filter, output) triple of a depthwise conv. */
function forEachTap(g: Conv2DGeometry, visit: (xi: number, fi: number, yi: number) => void): void {
  const { batch, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: OC, filterHeight: FH, filterWidth: FW } = g;
  const M = OC / C;
  for (let b = 0; b < batch; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let fh = 0; fh < FH; fh++) {
          const ih = oh * g.strideHeight - g.padTop + fh * g.dilationHeight;
          if (ih < 0 || ih >= H) continue;
          for (let fw = 0; fw < FW; fw++) {
            const iw = ow * g.strideWidth - g.padLeft + fw * g.dilationWidth;
            if (iw < 0 || iw >= W) continue;
            for (let c = 0; c < C; c++)
              for (let m = 0; m < M; m++) {
                const q = c * M + m;
                visit(((b * H + ih) * W + iw) * C + c, (fh * FW + fw) * OC + q, ((b * OH + oh) * OW + ow) * OC + q);
              }
          }
        }
}

interface Ref {
  y: [Float64Array, Float64Array];
  dx: [Float64Array, Float64Array];
  dw: [Float64Array, Float64Array];
}

function refDepthwise(x: Float32Array, w: Float32Array, dy: Float32Array, g: Conv2DGeometry): Ref {
  const y = new Float64Array(dy.length);
  const ym = new Float64Array(dy.length);
  const dx = new Float64Array(x.length);
  const dxm = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const dwm = new Float64Array(w.length);
  forEachTap(g, (xi, fi, yi) => {
    const p = x[xi]! * w[fi]!;
    y[yi] = y[yi]! + p;
    ym[yi] = ym[yi]! + Math.abs(p);
    const d = dy[yi]! * w[fi]!;
    dx[xi] = dx[xi]! + d;
    dxm[xi] = dxm[xi]! + Math.abs(d);
    const e = dy[yi]! * x[xi]!;
    dw[fi] = dw[fi]! + e;
    dwm[fi] = dwm[fi]! + Math.abs(e);
  });
  return { y: [y, ym], dx: [dx, dxm], dw: [dw, dwm] };
}

/** avgPool and its gradient in float64 (the mean over each window's in-bounds cells). */
function refAvgPool(x: Float32Array, dy: Float32Array, g: Conv2DGeometry): { y: [Float64Array, Float64Array]; dx: [Float64Array, Float64Array] } {
  const { batch, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW } = g;
  const y = new Float64Array(dy.length);
  const ym = new Float64Array(dy.length);
  const dx = new Float64Array(x.length);
  const dxm = new Float64Array(x.length);
  for (let b = 0; b < batch; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const cells: number[] = [];
        for (let fh = 0; fh < FH; fh++) {
          const ih = oh * g.strideHeight - g.padTop + fh;
          if (ih < 0 || ih >= H) continue;
          for (let fw = 0; fw < FW; fw++) {
            const iw = ow * g.strideWidth - g.padLeft + fw;
            if (iw >= 0 && iw < W) cells.push((b * H + ih) * W + iw);
          }
        }
        for (let c = 0; c < C; c++) {
          const yi = ((b * OH + oh) * OW + ow) * C + c;
          for (const cell of cells) {
            const xi = cell * C + c;
            y[yi] = y[yi]! + x[xi]! / cells.length;
            ym[yi] = ym[yi]! + Math.abs(x[xi]!) / cells.length;
            dx[xi] = dx[xi]! + dy[yi]! / cells.length;
            dxm[xi] = dxm[xi]! + Math.abs(dy[yi]!) / cells.length;
          }
        }
      }
  return { y: [y, ym], dx: [dx, dxm] };
}

// ---- backends ----------------------------------------------------------------------------------

let rt: WasmRuntime;
let unshared: WasmRuntime | null;
const backends: Record<string, CpuBackend> = {};
/** Names of the kernel functions run on the calling thread's runtime (shared memory). */
const ran: string[] = [];

beforeAll(async () => {
  rt = (await acquireRuntime({ threads: 2 }))!;
  backends['threads 1'] = await createCpuBackend({ threads: 1 });
  backends['threads 2'] = await createCpuBackend({ threads: 2 });
  backends['typescript'] = await createCpuBackend({ wasm: false });
  unshared = await acquireRuntime({ threads: 1, sharedMemory: false });
  if (unshared !== null) backends['unshared memory'] = new CpuBackend({}, unshared, 1);
  const run = rt.run.bind(rt);
  rt.run = (name: string, chunks: number, threads: number): void => {
    ran.push(name);
    run(name, chunks, threads);
  };
});

afterAll(() => {
  releaseRuntime(rt);
  if (unshared !== null) releaseRuntime(unshared);
  for (const b of Object.values(backends)) b.dispose();
});

const FAST = ['threads 1', 'threads 2', 'unshared memory'];

/** Runs `fn` on a backend inside a scope; returns its result's values. */
async function on(name: string, fn: () => Tensor): Promise<Float32Array> {
  setBackend(backends[name]!);
  return scope(async () => (await fn().data()) as Float32Array);
}

/** The kernel functions `fn` ran on the shared-memory runtime. */
async function kernelsRun(name: string, fn: () => Tensor): Promise<string[]> {
  ran.length = 0;
  await on(name, fn);
  return [...new Set(ran)];
}

// ---- cases -------------------------------------------------------------------------------------

interface DwCase {
  readonly x: readonly number[];
  readonly f: readonly number[];
  readonly opts: Conv2DOptions;
}

/** Fixed cases: channel tails (K mod 16, K mod 4), multipliers, strides, dilations, paddings, batches. */
const DW_CASES: readonly DwCase[] = [
  { x: [1, 16, 16, 16], f: [3, 3, 16, 1], opts: { padding: 'SAME' } },
  { x: [2, 17, 15, 8], f: [3, 3, 8, 1], opts: { padding: 'SAME' } },
  { x: [2, 17, 15, 7], f: [3, 3, 7, 1], opts: { strides: 2, padding: 'SAME' } },
  { x: [3, 16, 16, 5], f: [3, 2, 5, 3], opts: { dilations: 2, padding: 'VALID' } },
  { x: [1, 20, 20, 20], f: [5, 5, 20, 2], opts: { padding: [[2, 1], [0, 3]] } },
  { x: [2, 19, 13, 3], f: [3, 3, 3, 1], opts: { padding: 'VALID' } },
  { x: [1, 12, 31, 36], f: [1, 1, 36, 1], opts: { padding: 'VALID' } },
  { x: [2, 9, 33, 1], f: [7, 7, 1, 4], opts: { padding: 'SAME' } },
  { x: [4, 14, 10, 24], f: [3, 3, 24, 1], opts: { strides: [2, 1], padding: 'SAME' } },
  { x: [2, 15, 15, 12], f: [4, 4, 12, 1], opts: { strides: 2, padding: 'SAME' } },
  { x: [1, 13, 11, 33], f: [2, 3, 33, 2], opts: { dilations: [2, 3], padding: 'SAME' } },
  { x: [1, 6, 40, 19], f: [3, 5, 19, 1], opts: { strides: [1, 3], padding: [[0, 2], [4, 1]] } },
  // windows larger than the input along one axis (SAME), one output row
  { x: [3, 2, 30, 8], f: [5, 3, 8, 1], opts: { padding: 'SAME' } },
  // a large one: many chunks, both threads busy, many partials for the filter gradient
  { x: [4, 40, 36, 40], f: [3, 3, 40, 1], opts: { padding: 'SAME' } },
];

/** Random valid depthwise geometries (small to medium, so some stay below the threshold). */
function randomDwCases(n: number, seed: number): DwCase[] {
  const r = rng(seed);
  const pick = <T,>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const out: DwCase[] = [];
  while (out.length < n) {
    const H = 1 + Math.floor(r() * 24);
    const W = 1 + Math.floor(r() * 24);
    const C = pick([1, 2, 3, 4, 5, 6, 8, 9, 13, 16, 17, 20, 31]);
    const M = pick([1, 1, 1, 2, 3]);
    const FH = 1 + Math.floor(r() * 4);
    const FW = 1 + Math.floor(r() * 4);
    const stride = pick([1, 1, 2]);
    const dil = stride === 1 ? pick([1, 1, 2]) : 1;
    const padding = pick(['SAME', 'VALID', 'explicit'] as const);
    const opts: Conv2DOptions = {
      strides: stride,
      dilations: dil,
      padding: padding === 'explicit' ? [[Math.floor(r() * 3), Math.floor(r() * 3)], [Math.floor(r() * 3), Math.floor(r() * 3)]] : padding,
    };
    const c: DwCase = { x: [1 + Math.floor(r() * 3), H, W, C], f: [FH, FW, C, M], opts };
    try {
      const g = conv2dGeometry(c.x, c.f, { ...opts, depthwise: true });
      if (g.outHeight * g.outWidth > 0) out.push(c);
    } catch {
      // an invalid geometry (e.g. VALID with a window larger than the input): draw again
    }
  }
  return out;
}

async function checkDepthwise(c: DwCase, names: readonly string[]): Promise<void> {
  const g = conv2dGeometry(c.x, c.f, { ...c.opts, depthwise: true });
  const r = rng(prod(c.x) * 31 + prod(c.f));
  const x = values(prod(c.x), r);
  const w = values(prod(c.f), r);
  const dyShape = [g.batch, g.outHeight, g.outWidth, g.outChannels];
  const dy = values(prod(dyShape), r);
  const ref = refDepthwise(x, w, dy, g);
  const what = `x ${c.x.join('x')} filter ${c.f.join('x')} ${JSON.stringify(c.opts)}`;
  for (const name of names) {
    expectNear(await on(name, () => depthwiseConv2d(tensor(x, [...c.x]), tensor(w, [...c.f]), c.opts)), ...ref.y, `${name} ${what} forward`);
    expectNear(await on(name, () => depthwiseConv2dBackpropInput(tensor(dy, dyShape), tensor(w, [...c.f]), c.x, c.opts)), ...ref.dx, `${name} ${what} input gradient`);
    expectNear(await on(name, () => depthwiseConv2dBackpropFilter(tensor(x, [...c.x]), tensor(dy, dyShape), c.f, c.opts)), ...ref.dw, `${name} ${what} filter gradient`);
  }
}

interface PoolCase {
  readonly x: readonly number[];
  readonly opts: PoolOptions;
}

const POOL_CASES: readonly PoolCase[] = [
  { x: [2, 32, 32, 16], opts: { filterSize: 2, strides: 2, padding: 'VALID' } },
  { x: [2, 33, 31, 6], opts: { filterSize: 3, strides: 2, padding: 'SAME' } },
  { x: [1, 30, 30, 5], opts: { filterSize: [3, 4], strides: 1, padding: [[2, 2], [3, 3]] } },
  { x: [3, 17, 19, 33], opts: { filterSize: 3, strides: 1, padding: 'SAME' } },
  { x: [1, 9, 64, 20], opts: { filterSize: [9, 2], strides: [1, 2], padding: 'VALID' } },
  { x: [2, 20, 20, 1], opts: { filterSize: 5, strides: 3, padding: 'SAME' } },
  { x: [1, 25, 23, 7], opts: { filterSize: [2, 3], strides: [3, 2], padding: [[1, 0], [0, 2]] } },
  { x: [4, 40, 40, 32], opts: { filterSize: 2, strides: 2, padding: 'SAME' } },
];

function randomPoolCases(n: number, seed: number): PoolCase[] {
  const r = rng(seed);
  const pick = <T,>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const out: PoolCase[] = [];
  while (out.length < n) {
    const FH = 1 + Math.floor(r() * 4);
    const FW = 1 + Math.floor(r() * 4);
    const padding = pick(['SAME', 'VALID', 'explicit'] as const);
    const opts: PoolOptions = {
      filterSize: [FH, FW],
      strides: pick([1, 2, 3]),
      padding: padding === 'explicit' ? [[Math.floor(r() * FH), Math.floor(r() * FH)], [Math.floor(r() * FW), Math.floor(r() * FW)]] : padding,
    };
    const c: PoolCase = { x: [1 + Math.floor(r() * 3), 1 + Math.floor(r() * 30), 1 + Math.floor(r() * 30), pick([1, 2, 3, 4, 5, 8, 11, 16, 19, 32])], opts };
    try {
      const g = pool2dGeometry(c.x, opts);
      if (g.outHeight * g.outWidth > 0) out.push(c);
    } catch {
      // invalid geometry: draw again
    }
  }
  return out;
}

async function checkAvgPool(c: PoolCase, names: readonly string[]): Promise<void> {
  const g = pool2dGeometry(c.x, c.opts);
  const r = rng(prod(c.x) * 17 + g.filterHeight * 5 + g.filterWidth);
  const x = values(prod(c.x), r);
  const yShape = [g.batch, g.outHeight, g.outWidth, g.outChannels];
  const dy = values(prod(yShape), r);
  const ref = refAvgPool(x, dy, g);
  const what = `x ${c.x.join('x')} ${JSON.stringify(c.opts)}`;
  for (const name of names) {
    expectNear(await on(name, () => avgPool(tensor(x, [...c.x]), c.opts)), ...ref.y, `${name} ${what} avgPool`);
    expectNear(await on(name, () => avgPoolGrad(tensor(dy, yShape), c.x, c.opts)), ...ref.dx, `${name} ${what} avgPoolGrad`);
  }
}

// ---- tests -------------------------------------------------------------------------------------

describe('tap lists', () => {
  it('list the in-bounds taps of each output index, and their adjoint', () => {
    // 7 inputs, filter 3, stride 2, dilation 1, pad 1: outputs 0..3 read inputs o*2-1+f
    const t = outputTaps(4, 7, 3, 2, 1, 1, 10, 100);
    expect(Array.from(t.starts)).toEqual([0, 2, 5, 8, 10]);
    expect(Array.from(t.ent)).toEqual([10, 0, 20, 100, 0, 100, 10, 200, 20, 300, 0, 300, 10, 400, 20, 500, 0, 500, 10, 600]);
    // input 3 is read by output 1 (f = 2) and output 2 (f = 0)
    const a = inputTaps(7, 4, 3, 2, 1, 1, 10, 1000, 100);
    expect(Array.from(a.ent.subarray(a.starts[3]! * 2, a.starts[4]! * 2))).toEqual([0 + 2 * 1000, 200, 20 + 1 * 1000, 100]);
    // every (output, tap) pair appears exactly once on each side
    for (const [nIn, F, s, d, p] of [[9, 3, 1, 2, 2], [10, 4, 3, 1, 0], [5, 5, 2, 1, 4], [1, 3, 1, 1, 1]] as const) {
      const nOut = Math.max(1, Math.floor((nIn + 2 * p - (F - 1) * d - 1) / s) + 1);
      const fwd = outputTaps(nOut, nIn, F, s, d, p, 1, 1000);
      const adj = inputTaps(nIn, nOut, F, s, d, p, 1, 100, 0);
      const a1: string[] = [];
      for (let o = 0; o < nOut; o++) for (let e = fwd.starts[o]!; e < fwd.starts[o + 1]!; e++) a1.push(`${o},${fwd.ent[2 * e]},${fwd.ent[2 * e + 1]! / 1000}`);
      const a2: string[] = [];
      for (let i = 0; i < nIn; i++)
        for (let e = adj.starts[i]!; e < adj.starts[i + 1]!; e++) {
          const v = adj.ent[2 * e]!;
          a2.push(`${Math.floor(v / 100)},${v % 100},${i}`);
        }
      expect(a2.sort()).toEqual(a1.sort());
      // the filter gradient's column ranges: exactly the outputs whose input column is in bounds
      const cols = filterColumns(nOut, nIn, F, s, d, p, 4);
      for (let f = 0; f < F; f++) {
        const inBounds: number[] = [];
        for (let o = 0; o < nOut; o++) if (o * s - p + f * d >= 0 && o * s - p + f * d < nIn) inBounds.push(o);
        const [o0, o1, x0, w0] = Array.from(cols.subarray(f * 4, f * 4 + 4));
        expect(Array.from({ length: o1! - o0! }, (_, k) => o0! + k)).toEqual(inBounds);
        if (inBounds.length > 0) expect(x0).toBe((inBounds[0]! * s - p + f * d) * 4);
        expect(w0).toBe(f * 4);
      }
    }
  });
});

describe('depthwiseConv2d and its gradients on the WebAssembly path', () => {
  it('is available here, with SIMD and shared memory', () => {
    expect(rt.features.simd).toBe(true);
    expect(backends['threads 2']!.info().sharedMemory).toBe(true);
    expect(unshared).not.toBeNull();
  });

  for (const c of DW_CASES) {
    it(`x ${c.x.join('x')}, filter ${c.f.join('x')}, ${JSON.stringify(c.opts)}`, async () => {
      await checkDepthwise(c, [...FAST, 'typescript']);
    });
  }

  it('matches float64 on random shapes (odd sizes, channel tails, multipliers 1-3)', async () => {
    let fast = 0;
    for (const c of randomDwCases(40, 11)) {
      ran.length = 0;
      await checkDepthwise(c, ['threads 1', 'threads 2', 'typescript']);
      if (ran.includes('dw_conv')) fast++;
    }
    // about half draw enough work for the WebAssembly path; the rest check the fallback
    expect(fast).toBeGreaterThanOrEqual(12);
    expect(fast).toBeLessThan(40);
  });

  it('takes the WebAssembly path for large float32 work and the TypeScript kernels for tiny work', async () => {
    const big = (): Tensor => depthwiseConv2d(tensor(new Float32Array(2 * 16 * 16 * 8), [2, 16, 16, 8]), tensor(new Float32Array(9 * 8), [3, 3, 8, 1]), { padding: 'SAME' });
    expect(await kernelsRun('threads 2', big)).toEqual(['dw_conv']);
    const mult = (): Tensor => depthwiseConv2d(tensor(new Float32Array(16 * 16 * 8), [1, 16, 16, 8]), tensor(new Float32Array(9 * 16), [3, 3, 8, 2]), { padding: 'SAME' });
    expect(await kernelsRun('threads 2', mult)).toEqual(['dw_expand', 'dw_conv']);
    const dx = (): Tensor => depthwiseConv2dBackpropInput(tensor(new Float32Array(16 * 16 * 16), [1, 16, 16, 16]), tensor(new Float32Array(9 * 16), [3, 3, 8, 2]), [1, 16, 16, 8], { padding: 'SAME' });
    expect(await kernelsRun('threads 2', dx)).toEqual(['dw_conv', 'dw_group_sum']);
    const dw = (): Tensor => depthwiseConv2dBackpropFilter(tensor(new Float32Array(2 * 16 * 16 * 8), [2, 16, 16, 8]), tensor(new Float32Array(2 * 16 * 16 * 8), [2, 16, 16, 8]), [3, 3, 8, 1], { padding: 'SAME' });
    expect(await kernelsRun('threads 2', dw)).toEqual(['dw_filter', 'gemm_reduce_partials']);
    const tiny = (): Tensor => depthwiseConv2d(tensor(new Float32Array(4 * 4 * 4), [1, 4, 4, 4]), tensor(new Float32Array(9 * 4), [3, 3, 4, 1]), { padding: 'SAME' });
    expect(await kernelsRun('threads 2', tiny)).toEqual([]);
    const f64 = (): Tensor => depthwiseConv2d(tensor(new Float64Array(2 * 16 * 16 * 8), [2, 16, 16, 8]), tensor(new Float64Array(9 * 8), [3, 3, 8, 1]), { padding: 'SAME' });
    expect(await kernelsRun('threads 2', f64)).toEqual([]);
  });

  it('gives the same filter gradient bit for bit on one thread and on two', async () => {
    const c = DW_CASES[DW_CASES.length - 1]!;
    const g = conv2dGeometry(c.x, c.f, { ...c.opts, depthwise: true });
    const r = rng(5);
    const x = values(prod(c.x), r);
    const dyShape = [g.batch, g.outHeight, g.outWidth, g.outChannels];
    const dy = values(prod(dyShape), r);
    const run = (): Tensor => depthwiseConv2dBackpropFilter(tensor(x, [...c.x]), tensor(dy, dyShape), c.f, c.opts);
    const one = await on('threads 1', run);
    for (let i = 0; i < 3; i++) expect(Array.from(await on('threads 2', run))).toEqual(Array.from(one));
  });

  it('propagates NaN and infinities like the reference kernel', async () => {
    const r = rng(8);
    const x = values(2 * 12 * 12 * 8, r);
    x[100] = NaN;
    x[777] = Infinity;
    const w = values(9 * 8, r);
    const run = (): Tensor => depthwiseConv2d(tensor(x, [2, 12, 12, 8]), tensor(w, [3, 3, 8, 1]), { padding: 'SAME' });
    const fast = await on('threads 2', run);
    const slow = await on('typescript', run);
    for (let i = 0; i < fast.length; i++) {
      if (Number.isFinite(slow[i]!)) expect(Math.abs(fast[i]! - slow[i]!)).toBeLessThan(1e-5);
      else expect(fast[i]).toBe(slow[i]);
    }
  });
});

describe('avgPool and avgPoolGrad on the WebAssembly path', () => {
  for (const c of POOL_CASES) {
    it(`x ${c.x.join('x')}, ${JSON.stringify(c.opts)}`, async () => {
      await checkAvgPool(c, [...FAST, 'typescript']);
    });
  }

  it('matches float64 on random shapes (odd sizes, channel tails, partial windows)', async () => {
    let fast = 0;
    for (const c of randomPoolCases(40, 12)) {
      ran.length = 0;
      await checkAvgPool(c, ['threads 1', 'threads 2', 'typescript']);
      if (ran.includes('avgpool_fwd')) fast++;
    }
    expect(fast).toBeGreaterThanOrEqual(12);
    expect(fast).toBeLessThan(40);
  });

  it('takes the WebAssembly path for large float32 work and the TypeScript kernels for tiny work', async () => {
    const opts: PoolOptions = { filterSize: 2, strides: 2, padding: 'VALID' };
    expect(await kernelsRun('threads 2', () => avgPool(tensor(new Float32Array(32 * 32 * 8), [1, 32, 32, 8]), opts))).toEqual(['avgpool_fwd']);
    expect(await kernelsRun('threads 2', () => avgPoolGrad(tensor(new Float32Array(16 * 16 * 8), [1, 16, 16, 8]), [1, 32, 32, 8], opts))).toEqual(['avgpool_bwd']);
    expect(await kernelsRun('threads 2', () => avgPool(tensor(new Float32Array(4 * 4 * 4), [1, 4, 4, 4]), opts))).toEqual([]);
    expect(await kernelsRun('threads 2', () => avgPool(tensor(new Float64Array(32 * 32 * 8), [1, 32, 32, 8]), opts))).toEqual([]);
  });

  it('propagates NaN like the reference kernel', async () => {
    const r = rng(9);
    const x = values(2 * 20 * 20 * 8, r);
    x[333] = NaN;
    x[2000] = -Infinity;
    const opts: PoolOptions = { filterSize: 3, strides: 2, padding: 'SAME' };
    const run = (): Tensor => avgPool(tensor(x, [2, 20, 20, 8]), opts);
    const fast = await on('threads 2', run);
    const slow = await on('typescript', run);
    for (let i = 0; i < fast.length; i++) {
      if (Number.isFinite(slow[i]!)) expect(Math.abs(fast[i]! - slow[i]!)).toBeLessThan(1e-6);
      else expect(fast[i]).toBe(slow[i]);
    }
  });
});
