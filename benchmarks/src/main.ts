/**
 * Tessera's CPU backend against TensorFlow.js (wasm with SIMD on one thread, and cpu) and
 * onnxruntime-node (2 threads), every library measured in this run on the same machine.
 *
 *   pnpm bench                       (from the repository root)
 *   pnpm --dir benchmarks bench -- --quick --out results/mine.json
 *
 * Prints a table of medians and of Tessera's speedup over each peer, and writes it as JSON
 * (default: benchmarks/results/latest.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import * as T from '../../packages/core/src/index.ts';
import { createCpuBackend, type CpuBackend } from '../../packages/kernels-cpu/src/index.ts';
import { GradientDescentOptimizer } from '../../packages/optim/src/index.ts';
// the union package registers the gradients (tfjs-core alone has none) and the cpu backend
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import * as ort from 'onnxruntime-node';
import { oneNodeModel } from './onnx.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outArg = args.indexOf('--out');
const here = dirname(fileURLToPath(import.meta.url));
const outFile = resolve(here, '..', outArg >= 0 ? args[outArg + 1]! : 'results/latest.json');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : null;

// ---- timing ---------------------------------------------------------------------------------------

/** Median of `reps` timed calls (after `warmup` untimed ones), in milliseconds. */
async function median(fn: () => unknown, reps: number, warmup = 2): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)]!;
}

const R = quick ? 3 : 7;

function rand(n: number, seed = 1): Float32Array {
  let s = seed;
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 4294967296 - 0.5;
  }
  return v;
}

// ---- cases ----------------------------------------------------------------------------------------

interface Case {
  readonly id: string;
  readonly title: string;
  /** Unit of the reported value; `lower` tells whether smaller is better. */
  readonly unit: string;
  readonly lower: boolean;
  /** Converts a median time in ms to the reported value. */
  readonly value: (ms: number) => number;
}

const CASES: readonly Case[] = [
  { id: 'matmul', title: 'matmul 1024x1024x1024', unit: 'GFLOP/s', lower: false, value: (ms) => (2 * 1024 ** 3) / ms / 1e6 },
  { id: 'matmulT', title: 'matmul 1024, transposeA (as in a weight gradient)', unit: 'GFLOP/s', lower: false, value: (ms) => (2 * 1024 ** 3) / ms / 1e6 },
  { id: 'conv', title: 'conv2d [8,64,64,32] * [3,3,32,64], SAME', unit: 'ms', lower: true, value: (ms) => ms },
  { id: 'convGradInput', title: 'conv2d input gradient (same shapes)', unit: 'ms', lower: true, value: (ms) => ms },
  { id: 'convGradFilter', title: 'conv2d filter gradient (same shapes)', unit: 'ms', lower: true, value: (ms) => ms },
  { id: 'eagerAdd', title: '10,000 eager adds of 1-element tensors', unit: 'us/op', lower: true, value: (ms) => ms * 1000 / 10000 },
  { id: 'mlp', title: 'MLP 784-256-10 training step, batch 64, SGD', unit: 'ms', lower: true, value: (ms) => ms },
  { id: 'add', title: 'add of two 2^20 tensors', unit: 'ms', lower: true, value: (ms) => ms },
  { id: 'exp', title: 'exp of a 2^20 tensor', unit: 'ms', lower: true, value: (ms) => ms },
];

type Runner = Partial<Record<string, () => Promise<number>>>;

const N = 1024;
const CONV_X = [8, 64, 64, 32] as const;
const CONV_W = [3, 3, 32, 64] as const;
const CONV_Y = [8, 64, 64, 64] as const;
const E = 1 << 20;
const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Tessera on a CPU backend. */
function tesseraRunner(backend: CpuBackend): Runner {
  const use = (): void => T.setBackend(backend);
  return {
    matmul: async () => {
      use();
      const a = T.tensor(rand(N * N, 1), [N, N]);
      const b = T.tensor(rand(N * N, 2), [N, N]);
      const t = await median(() => T.matmul(a, b).dispose(), R);
      T.dispose([a, b]);
      return t;
    },
    matmulT: async () => {
      use();
      const a = T.tensor(rand(N * N, 1), [N, N]);
      const b = T.tensor(rand(N * N, 2), [N, N]);
      const t = await median(() => T.matmul(a, b, { transposeA: true }).dispose(), R);
      T.dispose([a, b]);
      return t;
    },
    conv: async () => {
      use();
      const x = T.tensor(rand(size(CONV_X), 3), [...CONV_X]);
      const w = T.tensor(rand(size(CONV_W), 4), [...CONV_W]);
      const t = await median(() => T.conv2d(x, w, { padding: 'SAME' }).dispose(), R);
      T.dispose([x, w]);
      return t;
    },
    convGradInput: async () => {
      use();
      const dy = T.tensor(rand(size(CONV_Y), 5), [...CONV_Y]);
      const w = T.tensor(rand(size(CONV_W), 4), [...CONV_W]);
      const t = await median(() => T.conv2dBackpropInput(dy, w, [...CONV_X], { padding: 'SAME' }).dispose(), R);
      T.dispose([dy, w]);
      return t;
    },
    convGradFilter: async () => {
      use();
      const x = T.tensor(rand(size(CONV_X), 3), [...CONV_X]);
      const dy = T.tensor(rand(size(CONV_Y), 5), [...CONV_Y]);
      const t = await median(() => T.conv2dBackpropFilter(x, dy, [...CONV_W], { padding: 'SAME' }).dispose(), R);
      T.dispose([x, dy]);
      return t;
    },
    eagerAdd: async () => {
      use();
      const a = T.tensor([1]);
      const b = T.tensor([2]);
      const t = await median(() => {
        for (let i = 0; i < 10000; i++) T.add(a, b).dispose();
      }, R, 3);
      T.dispose([a, b]);
      return t;
    },
    mlp: async () => {
      use();
      const x = T.tensor(rand(64 * 784, 6), [64, 784]);
      const labels = T.oneHot(T.tensor(Int32Array.from({ length: 64 }, (_, i) => (i * 7) % 10), [64], 'int32'), 10);
      const w1 = T.variable(T.tensor(rand(784 * 256, 7), [784, 256]).mul(0.1));
      const b1 = T.variable(T.zeros([256]));
      const w2 = T.variable(T.tensor(rand(256 * 10, 8), [256, 10]).mul(0.1));
      const b2 = T.variable(T.zeros([10]));
      const opt = new GradientDescentOptimizer(0.1);
      const loss = (): T.Tensor => T.softmaxCrossEntropy(labels, T.add(T.matmul(T.relu(T.add(T.matmul(x, w1), b1)), w2), b2));
      const t = await median(() => opt.minimize(loss, { varList: [w1, b1, w2, b2] }).dispose(), quick ? 11 : 31, 5);
      T.dispose([x, labels, w1, b1, w2, b2]);
      return t;
    },
    add: async () => {
      use();
      const a = T.tensor(rand(E, 9), [E]);
      const b = T.tensor(rand(E, 10), [E]);
      const t = await median(() => T.add(a, b).dispose(), quick ? 11 : 31, 5);
      T.dispose([a, b]);
      return t;
    },
    exp: async () => {
      use();
      const a = T.tensor(rand(E, 9), [E]);
      const t = await median(() => T.exp(a).dispose(), quick ? 11 : 31, 5);
      a.dispose();
      return t;
    },
  };
}

/** TensorFlow.js on one of its backends. */
function tfjsRunner(backend: 'cpu' | 'wasm'): Runner {
  const use = async (): Promise<void> => {
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not start`);
  };
  const r: Runner = {
    matmul: async () => {
      await use();
      const a = tf.tensor2d(rand(N * N, 1), [N, N]);
      const b = tf.tensor2d(rand(N * N, 2), [N, N]);
      const t = await median(() => tf.matMul(a, b).dispose(), backend === 'cpu' ? 1 : R, backend === 'cpu' ? 0 : 2);
      tf.dispose([a, b]);
      return t;
    },
    matmulT: async () => {
      await use();
      const a = tf.tensor2d(rand(N * N, 1), [N, N]);
      const b = tf.tensor2d(rand(N * N, 2), [N, N]);
      const t = await median(() => tf.matMul(a, b, true).dispose(), backend === 'cpu' ? 1 : R, backend === 'cpu' ? 0 : 2);
      tf.dispose([a, b]);
      return t;
    },
    conv: async () => {
      await use();
      const x = tf.tensor4d(rand(size(CONV_X), 3), [...CONV_X]);
      const w = tf.tensor4d(rand(size(CONV_W), 4), [...CONV_W]);
      const t = await median(() => tf.conv2d(x, w, 1, 'same').dispose(), backend === 'cpu' ? 1 : R, backend === 'cpu' ? 0 : 2);
      tf.dispose([x, w]);
      return t;
    },
    eagerAdd: async () => {
      await use();
      const a = tf.tensor1d([1]);
      const b = tf.tensor1d([2]);
      const t = await median(() => {
        for (let i = 0; i < 10000; i++) tf.add(a, b).dispose();
      }, R, 3);
      tf.dispose([a, b]);
      return t;
    },
    mlp: async () => {
      await use();
      const x = tf.tensor2d(rand(64 * 784, 6), [64, 784]);
      const labels = tf.cast(tf.oneHot(tf.tensor1d(Int32Array.from({ length: 64 }, (_, i) => (i * 7) % 10), 'int32'), 10), 'float32');
      const w1 = tf.variable(tf.mul(tf.tensor2d(rand(784 * 256, 7), [784, 256]), 0.1));
      const b1 = tf.variable(tf.zeros([256]));
      const w2 = tf.variable(tf.mul(tf.tensor2d(rand(256 * 10, 8), [256, 10]), 0.1));
      const b2 = tf.variable(tf.zeros([10]));
      const opt = tf.train.sgd(0.1);
      const loss = (): tf.Scalar => tf.losses.softmaxCrossEntropy(labels, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2)) as tf.Scalar;
      const t = await median(() => opt.minimize(loss, true, [w1, b1, w2, b2])!.dispose(), quick ? 5 : 15, 3);
      tf.dispose([x, labels, w1, b1, w2, b2]);
      opt.dispose();
      return t;
    },
    add: async () => {
      await use();
      const a = tf.tensor1d(rand(E, 9));
      const b = tf.tensor1d(rand(E, 10));
      const t = await median(() => tf.add(a, b).dispose(), quick ? 11 : 31, 5);
      tf.dispose([a, b]);
      return t;
    },
    exp: async () => {
      await use();
      const a = tf.tensor1d(rand(E, 9));
      const t = await median(() => tf.exp(a).dispose(), quick ? 11 : 31, 5);
      a.dispose();
      return t;
    },
  };
  if (backend === 'wasm') {
    // the input-gradient and filter-gradient kernels of TF.js wasm, for reference
    r.convGradInput = async () => {
      await use();
      const dy = tf.tensor4d(rand(size(CONV_Y), 5), [...CONV_Y]);
      const w = tf.tensor4d(rand(size(CONV_W), 4), [...CONV_W]);
      const t = await median(() => tf.conv2dTranspose(dy, w, [...CONV_X], 1, 'same').dispose(), R);
      tf.dispose([dy, w]);
      return t;
    };
  }
  return r;
}

/** onnxruntime-node on its CPU execution provider. */
function ortRunner(threads: number): Runner {
  const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
  const session = (model: Uint8Array): Promise<ort.InferenceSession> => ort.InferenceSession.create(model, opts);
  const t32 = (v: Float32Array, shape: readonly number[]): ort.Tensor => new ort.Tensor('float32', v, [...shape]);
  return {
    matmul: async () => {
      const s = await session(oneNodeModel('MatMul', [{ name: 'a', shape: [N, N] }, { name: 'b', shape: [N, N] }], [N, N]));
      const feeds = { a: t32(rand(N * N, 1), [N, N]), b: t32(rand(N * N, 2), [N, N]) };
      const t = await median(() => s.run(feeds), R);
      await s.release();
      return t;
    },
    conv: async () => {
      // ONNX Conv is NCHW: the same product as the NHWC case
      const xs = [8, 32, 64, 64];
      const ws = [64, 32, 3, 3];
      const s = await session(oneNodeModel('Conv', [{ name: 'x', shape: xs }, { name: 'w', shape: ws }], [8, 64, 64, 64], [{ name: 'pads', ints: [1, 1, 1, 1] }, { name: 'kernel_shape', ints: [3, 3] }]));
      const feeds = { x: t32(rand(size(xs), 3), xs), w: t32(rand(size(ws), 4), ws) };
      const t = await median(() => s.run(feeds), R);
      await s.release();
      return t;
    },
    add: async () => {
      const s = await session(oneNodeModel('Add', [{ name: 'a', shape: [E] }, { name: 'b', shape: [E] }], [E]));
      const feeds = { a: t32(rand(E, 9), [E]), b: t32(rand(E, 10), [E]) };
      const t = await median(() => s.run(feeds), quick ? 11 : 31, 5);
      await s.release();
      return t;
    },
    exp: async () => {
      const s = await session(oneNodeModel('Exp', [{ name: 'a', shape: [E] }], [E]));
      const feeds = { a: t32(rand(E, 9), [E]) };
      const t = await median(() => s.run(feeds), quick ? 11 : 31, 5);
      await s.release();
      return t;
    },
  };
}

// ---- run ------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const cores = os.availableParallelism();
  const tessera2 = await createCpuBackend({ name: 'tessera', threads: 2 });
  const tessera1 = await createCpuBackend({ name: 'tessera-1', threads: 1 });
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await tf.setBackend('wasm').catch(() => false);
  setThreadsCount(1);
  const libs: [string, Runner][] = [
    ['tessera (2 threads)', tesseraRunner(tessera2)],
    ['tessera (1 thread)', tesseraRunner(tessera1)],
    ['tfjs-wasm (1 thread, SIMD)', tfjsRunner('wasm')],
    ['tfjs-cpu', tfjsRunner('cpu')],
    ['onnxruntime-node (2 threads)', ortRunner(2)],
  ];
  const info = tessera2.info();
  console.log(
    `node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} x${cores}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ` +
      `tessera: wasm ${info.wasm}, relaxed SIMD ${info.relaxedSimd}, threads ${info.threads}`,
  );
  const results: Record<string, Record<string, number | null>> = {};
  for (const c of CASES) {
    if (only !== null && !only.includes(c.id)) continue;
    results[c.id] = {};
    for (const [name, runner] of libs) {
      const fn = runner[c.id];
      if (fn === undefined) {
        results[c.id]![name] = null;
        continue;
      }
      try {
        results[c.id]![name] = c.value(await fn());
      } catch (e) {
        console.error(`${c.id} on ${name} failed: ${(e as Error).message}`);
        results[c.id]![name] = null;
      }
    }
    process.stdout.write('.');
  }
  process.stdout.write('\n');

  // table: value per library, then Tessera (2 threads) relative to each peer (>1: Tessera faster)
  const names = libs.map(([n]) => n);
  const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const header = ['case', 'unit', ...names, ...names.slice(2).map((n) => `vs ${n.split(' ')[0]}`)];
  const rows: string[][] = [];
  const ratios: Record<string, Record<string, number | null>> = {};
  for (const c of CASES) {
    const r = results[c.id];
    if (r === undefined) continue;
    ratios[c.id] = {};
    const mine = r[names[0]!];
    const rel = names.slice(2).map((n) => {
      const peer = r[n];
      const ratio = mine === null || mine === undefined || peer === null || peer === undefined ? null : c.lower ? peer / mine : mine / peer;
      ratios[c.id]![n] = ratio;
      return ratio === null ? '—' : `${ratio.toFixed(2)}x`;
    });
    rows.push([c.title, c.unit, ...names.map((n) => fmt(r[n])), ...rel]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  console.log('ratios: Tessera (2 threads) relative to the peer, >1 means Tessera is faster');
  const extra: Record<string, number> = {};
  const tr = results['conv'];
  for (const g of ['convGradInput', 'convGradFilter']) {
    const v = results[g]?.[names[0]!];
    if (tr !== undefined && v !== null && v !== undefined) extra[`${g} / forward`] = v / (tr[names[0]!] ?? NaN);
  }
  for (const [k, v] of Object.entries(extra)) console.log(`tessera ${k}: ${v.toFixed(2)}`);

  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(
    outFile,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        cpu: os.cpus()[0]?.model,
        cores,
        loadavg: os.loadavg(),
        tessera: info,
        cases: CASES.filter((c) => results[c.id] !== undefined).map((c) => ({ id: c.id, title: c.title, unit: c.unit, lowerIsBetter: c.lower, medians: results[c.id], ratios: ratios[c.id] })),
        extra,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`wrote ${outFile}`);
  tessera1.dispose();
  tessera2.dispose();
}

await main();
