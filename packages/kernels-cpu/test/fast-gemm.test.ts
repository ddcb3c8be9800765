/**
 * The WebAssembly GEMM and the convolutions built on it, against float64 references and the
 * TypeScript reference kernels: random shapes around every block size (SIMD width 4, micro-tile
 * 4×8, MC 64, NC 256, KC 256), every transpose combination, batches, odd channel counts,
 * strides, dilations and paddings, on one thread and on two.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  conv2dGeometry,
  matmul,
  scope,
  setBackend,
  tensor,
  type Conv2DGeometry,
  type Conv2DOptions,
  type Tensor,
} from '@tessera/core';
import { createCpuBackend, type CpuBackend } from '../src/index.js';
import { acquireRuntime, releaseRuntime, type WasmRuntime } from '../src/wasm/runtime.js';
import { convBackpropFilter, convBackpropInput, convForward, gemm } from '../src/fast/gemm.js';
import { rng, values } from './random.js';

/** Checks |got - want| <= 2e-6 * scale + 1e-7 per element, where scale is the sum of |terms|. */
function expectNear(got: ArrayLike<number>, want: Float64Array, scale: Float64Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    if (!(err <= 2e-6 * scale[i]! + 1e-7)) {
      throw new Error(`${what}: element ${i}: got ${got[i]}, want ${want[i]} (sum of |terms| ${scale[i]})`);
    }
  }
}

function refMatmul(a: Float32Array, b: Float32Array, M: number, K: number, N: number, tA: boolean, tB: boolean): [Float64Array, Float64Array] {
  const out = new Float64Array(M * N);
  const mag = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let m = 0;
      for (let k = 0; k < K; k++) {
        const p = a[tA ? k * M + i : i * K + k]! * b[tB ? j * K + k : k * N + j]!;
        s += p;
        m += Math.abs(p);
      }
      out[i * N + j] = s;
      mag[i * N + j] = m;
    }
  }
  return [out, mag];
}

const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

let rt: WasmRuntime;
const backends: Record<string, CpuBackend> = {};

beforeAll(async () => {
  rt = (await acquireRuntime({ threads: 2 }))!;
  backends['threads 1'] = await createCpuBackend({ threads: 1 });
  backends['threads 2'] = await createCpuBackend({ threads: 2 });
  backends['typescript'] = await createCpuBackend({ wasm: false });
});

afterAll(() => {
  releaseRuntime(rt);
  for (const b of Object.values(backends)) b.dispose();
});

describe('WebAssembly GEMM driver', () => {
  it('is available here, with SIMD and shared memory', () => {
    expect(rt).not.toBeNull();
    expect(rt.features.simd).toBe(true);
    expect(backends['threads 2']!.info().wasm).toBe(true);
  });

  it('matches float64 on tiny and odd shapes, every transpose, 1 and 2 threads', () => {
    const r = rng(1);
    const dims = [1, 2, 3, 4, 5, 7, 8, 9, 13];
    for (let trial = 0; trial < 120; trial++) {
      const M = dims[Math.floor(r() * dims.length)]!;
      const N = dims[Math.floor(r() * dims.length)]!;
      const K = dims[Math.floor(r() * dims.length)]!;
      const [tA, tB] = TRANSPOSES[trial % 4]!;
      const threads = 1 + (trial % 2);
      const a = values(M * K, r);
      const b = values(K * N, r);
      const pa = rt.alloc(a.byteLength);
      const pb = rt.alloc(b.byteLength);
      const pc = rt.alloc(M * N * 4);
      rt.f32.set(a, pa >> 2);
      rt.f32.set(b, pb >> 2);
      const ok = gemm(rt, M, N, K, pa, tA ? 1 : K, tA ? M : 1, pb, tB ? 1 : N, tB ? K : 1, pc, N, threads);
      expect(ok).toBe(true);
      const [want, mag] = refMatmul(a, b, M, K, N, tA, tB);
      expectNear(rt.f32.subarray(pc >> 2, (pc >> 2) + M * N), want, mag, `M=${M} K=${K} N=${N} tA=${tA} tB=${tB}`);
      rt.free(pa);
      rt.free(pb);
      rt.free(pc);
    }
  });

  it('matches float64 around the block sizes (4, 8, 64, 256), every transpose', () => {
    const r = rng(2);
    const shapes: [number, number, number][] = [
      [64, 256, 256],
      [65, 257, 255],
      [63, 9, 257],
      [131, 263, 70],
      [4, 8, 513],
      [257, 3, 31],
      [1, 300, 600],
      [300, 1, 33],
      // few rows: B read in place (full panels) and packed (the partial last panel)
      [16, 300, 257],
      [5, 64, 70],
      [3, 17, 9],
    ];
    for (const [M, N, K] of shapes) {
      for (const [tA, tB] of TRANSPOSES) {
        const a = values(M * K, r);
        const b = values(K * N, r);
        const pa = rt.alloc(a.byteLength);
        const pb = rt.alloc(b.byteLength);
        const pc = rt.alloc(M * N * 4);
        rt.f32.set(a, pa >> 2);
        rt.f32.set(b, pb >> 2);
        expect(gemm(rt, M, N, K, pa, tA ? 1 : K, tA ? M : 1, pb, tB ? 1 : N, tB ? K : 1, pc, N, 2)).toBe(true);
        const [want, mag] = refMatmul(a, b, M, K, N, tA, tB);
        expectNear(rt.f32.subarray(pc >> 2, (pc >> 2) + M * N), want, mag, `M=${M} K=${K} N=${N} tA=${tA} tB=${tB}`);
        rt.free(pa);
        rt.free(pb);
        rt.free(pc);
      }
    }
  });
});

/** Runs `fn` on a backend inside a scope; returns its result's values. */
async function on(name: string, fn: () => Tensor): Promise<Float32Array> {
  setBackend(backends[name]!);
  return scope(async () => (await fn().data()) as Float32Array);
}

describe('matmul op on the WebAssembly path', () => {
  it('equals float64 and the TypeScript kernel on random shapes, transposes and batches', async () => {
    const r = rng(3);
    for (let trial = 0; trial < 24; trial++) {
      const M = 1 + Math.floor(r() * 90);
      const N = 1 + Math.floor(r() * 90);
      const K = 50 + Math.floor(r() * 300);
      const batch = trial % 3 === 0 ? 3 : 1;
      const [tA, tB] = TRANSPOSES[trial % 4]!;
      const a = values(batch * M * K, r);
      const b = values(K * N, r);
      const aShape = [...(batch > 1 ? [batch] : []), ...(tA ? [K, M] : [M, K])];
      const bShape = tB ? [N, K] : [K, N];
      const run = (): Tensor => matmul(tensor(a, aShape), tensor(b, bShape), { transposeA: tA, transposeB: tB });
      const want = new Float64Array(batch * M * N);
      const mag = new Float64Array(batch * M * N);
      for (let bi = 0; bi < batch; bi++) {
        const [w, m] = refMatmul(a.subarray(bi * M * K, (bi + 1) * M * K), b, M, K, N, tA, tB);
        want.set(w, bi * M * N);
        mag.set(m, bi * M * N);
      }
      const what = `batch=${batch} M=${M} K=${K} N=${N} tA=${tA} tB=${tB}`;
      for (const name of ['threads 1', 'threads 2', 'typescript']) expectNear(await on(name, run), want, mag, `${name} ${what}`);
    }
  });

  it('broadcasts batch dims of both operands', async () => {
    const r = rng(4);
    const a = values(2 * 1 * 33 * 40, r);
    const b = values(1 * 3 * 40 * 17, r);
    const run = (): Tensor => matmul(tensor(a, [2, 1, 33, 40]), tensor(b, [1, 3, 40, 17]));
    const fast = await on('threads 2', run);
    const slow = await on('typescript', run);
    for (let i = 0; i < fast.length; i++) expect(Math.abs(fast[i]! - slow[i]!)).toBeLessThan(1e-4);
  });
});

// ---- convolutions -------------------------------------------------------------------------------

function refConv(x: Float32Array, w: Float32Array, g: Conv2DGeometry): [Float64Array, Float64Array] {
  const { batch, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: OC, filterHeight: FH, filterWidth: FW } = g;
  const out = new Float64Array(batch * OH * OW * OC);
  const mag = new Float64Array(out.length);
  for (let b = 0; b < batch; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let o = 0; o < OC; o++) {
          let s = 0;
          let m = 0;
          for (let fh = 0; fh < FH; fh++) {
            const ih = oh * g.strideHeight - g.padTop + fh * g.dilationHeight;
            if (ih < 0 || ih >= H) continue;
            for (let fw = 0; fw < FW; fw++) {
              const iw = ow * g.strideWidth - g.padLeft + fw * g.dilationWidth;
              if (iw < 0 || iw >= W) continue;
              for (let c = 0; c < C; c++) {
                const p = x[((b * H + ih) * W + iw) * C + c]! * w[((fh * FW + fw) * C + c) * OC + o]!;
                s += p;
                m += Math.abs(p);
              }
            }
          }
          const i = ((b * OH + oh) * OW + ow) * OC + o;
          out[i] = s;
          mag[i] = m;
        }
  return [out, mag];
}

/** Adjoints of refConv: dx and dw for a given dy. */
function refConvGrads(x: Float32Array, w: Float32Array, dy: Float32Array, g: Conv2DGeometry): { dx: [Float64Array, Float64Array]; dw: [Float64Array, Float64Array] } {
  const { batch, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: OC, filterHeight: FH, filterWidth: FW } = g;
  const dx = new Float64Array(x.length);
  const dxm = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const dwm = new Float64Array(w.length);
  for (let b = 0; b < batch; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let fh = 0; fh < FH; fh++) {
          const ih = oh * g.strideHeight - g.padTop + fh * g.dilationHeight;
          if (ih < 0 || ih >= H) continue;
          for (let fw = 0; fw < FW; fw++) {
            const iw = ow * g.strideWidth - g.padLeft + fw * g.dilationWidth;
            if (iw < 0 || iw >= W) continue;
            for (let c = 0; c < C; c++) {
              const xi = ((b * H + ih) * W + iw) * C + c;
              for (let o = 0; o < OC; o++) {
                const d = dy[((b * OH + oh) * OW + ow) * OC + o]!;
                const wi = ((fh * FW + fw) * C + c) * OC + o;
                dx[xi] = dx[xi]! + d * w[wi]!;
                dxm[xi] = dxm[xi]! + Math.abs(d * w[wi]!);
                dw[wi] = dw[wi]! + d * x[xi]!;
                dwm[wi] = dwm[wi]! + Math.abs(d * x[xi]!);
              }
            }
          }
        }
  return { dx: [dx, dxm], dw: [dw, dwm] };
}

interface ConvCase {
  readonly x: readonly [number, number, number, number];
  readonly f: readonly [number, number, number, number];
  readonly opts: Conv2DOptions;
}

const CONV_CASES: readonly ConvCase[] = [
  { x: [2, 9, 11, 4], f: [3, 3, 4, 8], opts: { padding: 'SAME' } },
  { x: [1, 12, 10, 32], f: [3, 3, 32, 16], opts: { padding: 'SAME' } },
  { x: [3, 8, 8, 1], f: [5, 5, 1, 7], opts: { padding: 'VALID' } },
  { x: [2, 13, 7, 3], f: [3, 2, 3, 9], opts: { strides: 2, padding: 'SAME' } },
  { x: [2, 10, 10, 8], f: [3, 3, 8, 12], opts: { dilations: 2, padding: 'SAME' } },
  { x: [1, 9, 9, 5], f: [2, 4, 5, 3], opts: { strides: [1, 3], padding: [[1, 2], [0, 3]] } },
  { x: [2, 7, 7, 12], f: [1, 1, 12, 20], opts: { padding: 'VALID' } },
  { x: [4, 6, 5, 6], f: [3, 3, 6, 4], opts: { strides: 2, padding: 'VALID' } },
  { x: [2, 14, 14, 16], f: [5, 5, 16, 10], opts: { padding: 'SAME' } },
];

describe('conv2d and its gradients on the WebAssembly path', () => {
  for (const c of CONV_CASES) {
    it(`x ${c.x.join('x')}, filter ${c.f.join('x')}, ${JSON.stringify(c.opts)}`, async () => {
      const r = rng(c.x.reduce((a, b) => a * 31 + b, 7));
      const g = conv2dGeometry(c.x, c.f, c.opts);
      const x = values(c.x.reduce((a, b) => a * b), r);
      const w = values(c.f.reduce((a, b) => a * b), r);
      const dyShape = [g.batch, g.outHeight, g.outWidth, g.outChannels];
      const dy = values(dyShape.reduce((a, b) => a * b), r);
      const [want, mag] = refConv(x, w, g);
      const grads = refConvGrads(x, w, dy, g);
      for (const name of ['threads 1', 'threads 2', 'typescript']) {
        expectNear(await on(name, () => conv2d(tensor(x, [...c.x]), tensor(w, [...c.f]), c.opts)), want, mag, `${name} forward`);
        expectNear(await on(name, () => conv2dBackpropInput(tensor(dy, dyShape), tensor(w, [...c.f]), c.x, c.opts)), ...grads.dx, `${name} input gradient`);
        expectNear(await on(name, () => conv2dBackpropFilter(tensor(x, [...c.x]), tensor(dy, dyShape), c.f, c.opts)), ...grads.dw, `${name} filter gradient`);
      }
    });
  }

  it('the drivers handle geometries below the op thresholds (1x1 images, one channel)', () => {
    const r = rng(9);
    const small: [number[], number[], Conv2DOptions][] = [
      [[1, 1, 1, 1], [1, 1, 1, 1], { padding: 'VALID' }],
      [[1, 2, 3, 1], [2, 2, 1, 2], { padding: 'SAME' }],
      [[2, 3, 3, 4], [3, 3, 4, 1], { padding: 'SAME' }],
      [[1, 5, 4, 2], [3, 1, 2, 3], { strides: 2, padding: 'SAME' }],
    ];
    for (const [xs, fs, opts] of small) {
      const g = conv2dGeometry(xs, fs, opts);
      const x = values(xs.reduce((a, b) => a * b), r);
      const w = values(fs.reduce((a, b) => a * b), r);
      const dy = values(g.batch * g.outHeight * g.outWidth * g.outChannels, r);
      const [want, mag] = refConv(x, w, g);
      const grads = refConvGrads(x, w, dy, g);
      for (const threads of [1, 2]) {
        const px = rt.alloc(x.byteLength);
        const pw = rt.alloc(w.byteLength);
        const pdy = rt.alloc(dy.byteLength);
        const py = rt.alloc(want.length * 4);
        const pdx = rt.alloc(x.byteLength);
        const pdw = rt.alloc(w.byteLength);
        rt.f32.set(x, px >> 2);
        rt.f32.set(w, pw >> 2);
        rt.f32.set(dy, pdy >> 2);
        expect(convForward(rt, g, px, pw, py, threads)).toBe(true);
        expect(convBackpropInput(rt, g, pdy, pw, pdx, threads)).toBe(true);
        expect(convBackpropFilter(rt, g, px, pdy, pdw, threads)).toBe(true);
        const f = rt.f32;
        const what = `${xs.join('x')} * ${fs.join('x')} threads ${threads}`;
        expectNear(f.subarray(py >> 2, (py >> 2) + want.length), want, mag, `${what} forward`);
        expectNear(f.subarray(pdx >> 2, (pdx >> 2) + x.length), ...grads.dx, `${what} input gradient`);
        expectNear(f.subarray(pdw >> 2, (pdw >> 2) + w.length), ...grads.dw, `${what} filter gradient`);
        for (const p of [px, pw, pdy, py, pdx, pdw]) rt.free(p);
      }
    }
  });
});
