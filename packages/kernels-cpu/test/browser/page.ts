/**
 * The browser page's program: creates the CPU backend with `threads: 2`, runs large float32
 * ops that take the WebAssembly paths (every matmul transpose combination, conv2d and its two
 * gradients, elementwise add and exp, sum reductions) and compares each with a float64 reference
 * computed here by plain loops. It counts the runtime's parallel runs around each op, so the
 * Node side can tell whether the worker threads ran, and publishes everything on
 * `globalThis.__tessera`.
 */
import {
  add,
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  exp,
  matmul,
  memory,
  setBackend,
  sum,
  tensor,
  tidy,
  type Tensor,
} from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { acquireRuntime, releaseRuntime } from '../../src/wasm/runtime.js';
import { rng } from '../random.js';

/** One op's outcome. */
export interface OpResult {
  readonly name: string;
  /** Whether every element is within its tolerance. */
  readonly ok: boolean;
  /** Largest |got - want|, and the tolerance at that element. */
  readonly maxErr: number;
  readonly tolAtMax: number;
  /** The first element outside its tolerance, if any. */
  readonly firstBad?: string;
  /** Runs the runtime sent to its worker threads during the op. */
  readonly parallelRuns: number;
  /** Milliseconds the op took (tensor creation and read-back included). */
  readonly ms: number;
}

/** What the page publishes. */
export interface PageResult {
  readonly crossOriginIsolated: boolean;
  readonly sharedArrayBuffer: boolean;
  readonly hardwareConcurrency: number;
  readonly info: { wasm: boolean; threads: number; relaxedSimd: boolean; sharedMemory: boolean } | null;
  /** Threads of the process-wide WebAssembly runtime (its workers plus the page's thread). */
  readonly runtimeThreads: number;
  /** Chunks the Web Worker ran over the whole page (the page's own chunks not counted). */
  readonly workerChunks: number;
  readonly ops: OpResult[];
  /** Live tensors after every op ran (all disposed: 0). */
  readonly liveTensors: number;
  readonly totalMs: number;
  readonly error?: string;
}

/** `n` float32 values uniform in [lo, hi). */
function randomValues(n: number, r: () => number, lo = -1, hi = 1): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * r();
  return v;
}

/**
 * Compares `got` with `want` element by element: |got - want| <= tol[i] (or `tol` for all);
 * NaN or a length mismatch always fails.
 */
function compare(got: ArrayLike<number>, want: ArrayLike<number>, tol: ArrayLike<number> | number): Pick<OpResult, 'ok' | 'maxErr' | 'tolAtMax' | 'firstBad'> {
  if (got.length !== want.length) return { ok: false, maxErr: Infinity, tolAtMax: 0, firstBad: `length ${got.length}, expected ${want.length}` };
  let maxErr = 0;
  let tolAtMax = 0;
  let firstBad: string | undefined;
  for (let i = 0; i < want.length; i++) {
    const t = typeof tol === 'number' ? tol : tol[i]!;
    const e = Math.abs(got[i]! - want[i]!);
    const bad = !(e <= t);
    if (bad && firstBad === undefined) firstBad = `element ${i}: got ${got[i]}, expected ${want[i]} (tolerance ${t})`;
    if (e > maxErr || e !== e) {
      maxErr = e !== e ? Infinity : e;
      tolAtMax = t;
    }
  }
  return firstBad === undefined ? { ok: true, maxErr, tolAtMax } : { ok: false, maxErr, tolAtMax, firstBad };
}

/** Tolerance of a float32 sum of products whose absolute values sum to `absSum`. */
const sumTol = (absSum: number): number => 1e-5 * absSum + 1e-6;

function matmulRef(a: Float32Array, b: Float32Array, M: number, N: number, K: number, tA: boolean, tB: boolean): { want: Float64Array; tol: Float64Array } {
  const want = new Float64Array(M * N);
  const tol = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let abs = 0;
      for (let k = 0; k < K; k++) {
        const p = (tA ? a[k * M + i]! : a[i * K + k]!) * (tB ? b[j * K + k]! : b[k * N + j]!);
        s += p;
        abs += Math.abs(p);
      }
      want[i * N + j] = s;
      tol[i * N + j] = sumTol(abs);
    }
  }
  return { want, tol };
}

interface ConvGeom {
  B: number;
  H: number;
  W: number;
  C: number;
  FH: number;
  FW: number;
  OC: number;
  stride: number;
  padTop: number;
  padLeft: number;
  OH: number;
  OW: number;
}

/** Forward output, input gradient and filter gradient of a 2-D convolution (NHWC, HWIO), in float64. */
function convRef(x: Float32Array, w: Float32Array, dy: Float32Array, g: ConvGeom): Record<'y' | 'dx' | 'dw', { want: Float64Array; tol: Float64Array }> {
  const { B, H, W, C, FH, FW, OC, stride, padTop, padLeft, OH, OW } = g;
  const y = new Float64Array(B * OH * OW * OC);
  const yAbs = new Float64Array(y.length);
  const dx = new Float64Array(B * H * W * C);
  const dxAbs = new Float64Array(dx.length);
  const dw = new Float64Array(FH * FW * C * OC);
  const dwAbs = new Float64Array(dw.length);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const o = ((b * OH + oh) * OW + ow) * OC;
        for (let fh = 0; fh < FH; fh++) {
          const ih = oh * stride + fh - padTop;
          if (ih < 0 || ih >= H) continue;
          for (let fw = 0; fw < FW; fw++) {
            const iw = ow * stride + fw - padLeft;
            if (iw < 0 || iw >= W) continue;
            const xi = ((b * H + ih) * W + iw) * C;
            for (let c = 0; c < C; c++) {
              const xv = x[xi + c]!;
              const wi = ((fh * FW + fw) * C + c) * OC;
              let dxs = 0;
              let dxa = 0;
              for (let oc = 0; oc < OC; oc++) {
                const wv = w[wi + oc]!;
                const gv = dy[o + oc]!;
                y[o + oc]! += xv * wv;
                yAbs[o + oc]! += Math.abs(xv * wv);
                dxs += gv * wv;
                dxa += Math.abs(gv * wv);
                dw[wi + oc]! += xv * gv;
                dwAbs[wi + oc]! += Math.abs(xv * gv);
              }
              dx[xi + c]! += dxs;
              dxAbs[xi + c]! += dxa;
            }
          }
        }
      }
    }
  }
  const pack = (want: Float64Array, abs: Float64Array): { want: Float64Array; tol: Float64Array } => ({ want, tol: abs.map(sumTol) });
  return { y: pack(y, yAbs), dx: pack(dx, dxAbs), dw: pack(dw, dwAbs) };
}

/** Sums of `x` viewed as `[rows, cols]` over the columns (`inner`) or the rows. */
function sumRef(x: Float32Array, rows: number, cols: number, inner: boolean): { want: Float64Array; tol: Float64Array } {
  const n = inner ? rows : cols;
  const want = new Float64Array(n);
  const abs = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = x[r * cols + c]!;
      const k = inner ? r : c;
      want[k]! += v;
      abs[k]! += Math.abs(v);
    }
  }
  return { want, tol: abs.map(sumTol) };
}

async function main(): Promise<PageResult> {
  const t0 = performance.now();
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown; navigator?: { hardwareConcurrency?: number } };
  const isolated = g.crossOriginIsolated === true;
  const sab = typeof g.SharedArrayBuffer === 'function';
  const hardwareConcurrency = g.navigator?.hardwareConcurrency ?? 0;

  const backend = await createCpuBackend({ threads: 2 });
  setBackend(backend);
  const i = backend.info();
  const info = { wasm: i.wasm, threads: i.threads, relaxedSimd: i.relaxedSimd, sharedMemory: i.sharedMemory };
  // the process-wide runtime the backend uses (same module instance, same options): its counters
  const rt = await acquireRuntime({ threads: 1 });
  const ops: OpResult[] = [];
  let workerChunks = 0;
  const base = { crossOriginIsolated: isolated, sharedArrayBuffer: sab, hardwareConcurrency, info, runtimeThreads: rt?.threads ?? 0 };
  try {
    const r = rng(20240611);
    const check = (name: string, run: () => Tensor, want: ArrayLike<number>, tol: ArrayLike<number> | number): void => {
      const p0 = rt?.stats.parallel ?? 0;
      const s = performance.now();
      const got = tidy(() => run().dataSync());
      const ms = performance.now() - s;
      const parallelRuns = (rt?.stats.parallel ?? 0) - p0;
      ops.push({ name, ...compare(got, want, tol), parallelRuns, ms });
    };

    // matmul: every transpose combination, square and odd sizes
    for (const [M, N, K] of [
      [256, 256, 256],
      [257, 200, 129],
    ] as const) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          const a = randomValues(M * K, r);
          const b = randomValues(K * N, r);
          const { want, tol } = matmulRef(a, b, M, N, K, tA, tB);
          check(
            `matmul ${M}x${N}x${K} transposeA=${tA} transposeB=${tB}`,
            () => matmul(tensor(a, tA ? [K, M] : [M, K]), tensor(b, tB ? [N, K] : [K, N]), { transposeA: tA, transposeB: tB }),
            want,
            tol,
          );
        }
      }
    }

    // conv2d and its gradients: 3x3 SAME stride 1, and 3x3 VALID stride 2
    const convCases: ConvGeom[] = [
      { B: 2, H: 32, W: 32, C: 16, FH: 3, FW: 3, OC: 32, stride: 1, padTop: 1, padLeft: 1, OH: 32, OW: 32 },
      { B: 2, H: 33, W: 33, C: 16, FH: 3, FW: 3, OC: 32, stride: 2, padTop: 0, padLeft: 0, OH: 16, OW: 16 },
    ];
    for (const cg of convCases) {
      const padding = cg.padTop > 0 ? 'SAME' : 'VALID';
      const opts = { strides: cg.stride, padding } as const;
      const x = randomValues(cg.B * cg.H * cg.W * cg.C, r);
      const w = randomValues(cg.FH * cg.FW * cg.C * cg.OC, r);
      const dy = randomValues(cg.B * cg.OH * cg.OW * cg.OC, r);
      const ref = convRef(x, w, dy, cg);
      const xs = [cg.B, cg.H, cg.W, cg.C];
      const ws = [cg.FH, cg.FW, cg.C, cg.OC];
      const ys = [cg.B, cg.OH, cg.OW, cg.OC];
      const tag = `${xs.join('x')} * ${ws.join('x')} ${padding} stride ${cg.stride}`;
      check(`conv2d ${tag}`, () => conv2d(tensor(x, xs), tensor(w, ws), opts), ref.y.want, ref.y.tol);
      check(`conv2dBackpropInput ${tag}`, () => conv2dBackpropInput(tensor(dy, ys), tensor(w, ws), xs, opts), ref.dx.want, ref.dx.tol);
      check(`conv2dBackpropFilter ${tag}`, () => conv2dBackpropFilter(tensor(x, xs), tensor(dy, ys), ws, opts), ref.dw.want, ref.dw.tol);
    }

    // elementwise on 2^17 elements: float32 addition is correctly rounded, so add is exact
    const n = 1 << 17;
    const ea = randomValues(n, r);
    const eb = randomValues(n, r);
    const addWant = new Float64Array(n);
    for (let k = 0; k < n; k++) addWant[k] = Math.fround(ea[k]! + eb[k]!);
    check('add 2^17 + 2^17', () => add(tensor(ea, [n]), tensor(eb, [n])), addWant, 0);
    const row = randomValues(256, r);
    const bcWant = new Float64Array(n);
    for (let k = 0; k < n; k++) bcWant[k] = Math.fround(ea[k]! + row[k % 256]!);
    check('add [512,256] + [256]', () => add(tensor(ea, [512, 256]), tensor(row, [256])), bcWant, 0);
    const ex = randomValues(n, r, -10, 10);
    const expWant = new Float64Array(n);
    const expTol = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      expWant[k] = Math.exp(ex[k]!);
      expTol[k] = 1e-6 * expWant[k]!;
    }
    check('exp 2^17', () => exp(tensor(ex, [n])), expWant, expTol);

    // sum reductions over the inner axis, the outer axis, and everything
    const s1 = sumRef(ea, 512, 256, true);
    check('sum [512,256] axis 1', () => sum(tensor(ea, [512, 256]), 1), s1.want, s1.tol);
    const s0 = sumRef(ea, 64, 2048, false);
    check('sum [64,2048] axis 0', () => sum(tensor(ea, [64, 2048]), 0), s0.want, s0.tol);
    const sAll = sumRef(ea, 1, n, true);
    check('sum 2^17 (all)', () => sum(tensor(ea, [n])), sAll.want, sAll.tol);
  } finally {
    workerChunks = rt?.workerChunks ?? 0;
    if (rt !== null) releaseRuntime(rt);
  }
  const liveTensors = memory().numTensors;
  backend.dispose();
  return { ...base, workerChunks, ops, liveTensors, totalMs: performance.now() - t0 };
}

const out = globalThis as { __tessera?: PageResult };
main().then(
  (r) => {
    out.__tessera = r;
  },
  (e: unknown) => {
    out.__tessera = {
      crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
      sharedArrayBuffer: false,
      hardwareConcurrency: 0,
      info: null,
      runtimeThreads: 0,
      workerChunks: 0,
      ops: [],
      liveTensors: -1,
      totalMs: 0,
      error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e),
    };
  },
);
