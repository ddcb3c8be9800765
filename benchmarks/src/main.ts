/**
 * Tessera's CPU backend against TensorFlow.js (wasm with SIMD on one thread, and cpu) and
 * onnxruntime-node (2 threads), every library measured in this run on the same machine.
 *
 *   pnpm bench                       (from the repository root)
 *   pnpm --dir benchmarks bench -- --quick --out results/mine.json
 *
 * Each case is timed in interleaved rounds over all libraries (so load from other processes
 * hits them alike); prints a table of medians and of Tessera's speedup over each peer, and
 * writes it as JSON (default: benchmarks/results/latest.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import * as T from '../../packages/core/src/index.ts';
import { createCpuBackend, type CpuBackend } from '../../packages/kernels-cpu/src/index.ts';
import { GradientDescentOptimizer } from '../../packages/optim/src/index.ts';
import { acquireRuntime, releaseRuntime } from '../../packages/kernels-cpu/src/wasm/runtime.ts';
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

/**
 * One library's prepared case: `step` is the timed work (sync or async), `enter` makes the
 * library current (outside the timing), `reps` caps its samples (slow peers take fewer),
 * `release` frees what the case created.
 */
interface Prepared {
  readonly step: () => unknown;
  readonly enter?: () => unknown;
  readonly reps?: number;
  readonly release: () => unknown;
}

/**
 * Times every library on one case in interleaved rounds (A, B, C, A, B, C, ...), so a burst of
 * load from other processes hits all of them alike; returns each one's median in ms.
 */
async function interleaved(entries: readonly [string, Prepared][], reps: number, warmup: number): Promise<Map<string, number>> {
  const samples = new Map<string, number[]>(entries.map(([n]) => [n, []]));
  for (const [, p] of entries) {
    await p.enter?.();
    for (let i = 0; i < Math.min(warmup, p.reps ?? warmup); i++) await p.step();
  }
  for (let r = 0; r < reps; r++) {
    for (const [name, p] of entries) {
      if (r >= (p.reps ?? reps)) continue;
      await p.enter?.();
      // a pause before each sample, so thread pools that spin after their work (onnxruntime's
      // does) have gone idle and do not take cores from the next library's measurement
      await new Promise((resolve) => setTimeout(resolve, 10));
      const t0 = performance.now();
      await p.step();
      samples.get(name)!.push(performance.now() - t0);
    }
  }
  const out = new Map<string, number>();
  for (const [name, ts] of samples) {
    ts.sort((a, b) => a - b);
    out.set(name, ts[Math.floor(ts.length / 2)]!);
  }
  return out;
}

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
  /** Timed rounds and untimed warm-up calls. */
  readonly reps: number;
  readonly warmup: number;
}

const Q = quick ? 0.4 : 1;
const CASES: readonly Case[] = [
  { id: 'matmul', title: 'matmul 1024x1024x1024', unit: 'GFLOP/s', lower: false, value: (ms) => (2 * 1024 ** 3) / ms / 1e6, reps: Math.ceil(9 * Q), warmup: 2 },
  { id: 'matmulT', title: 'matmul 1024, transposeA (as in a weight gradient)', unit: 'GFLOP/s', lower: false, value: (ms) => (2 * 1024 ** 3) / ms / 1e6, reps: Math.ceil(9 * Q), warmup: 2 },
  { id: 'conv', title: 'conv2d [8,64,64,32] * [3,3,32,64], SAME', unit: 'ms', lower: true, value: (ms) => ms, reps: Math.ceil(9 * Q), warmup: 2 },
  { id: 'convGradInput', title: 'conv2d input gradient (same shapes)', unit: 'ms', lower: true, value: (ms) => ms, reps: Math.ceil(9 * Q), warmup: 2 },
  { id: 'convGradFilter', title: 'conv2d filter gradient (same shapes)', unit: 'ms', lower: true, value: (ms) => ms, reps: Math.ceil(9 * Q), warmup: 2 },
  { id: 'depthwise', title: 'depthwiseConv2d [8,64,64,32] * [3,3,32,1], SAME', unit: 'ms', lower: true, value: (ms) => ms, reps: Math.ceil(15 * Q), warmup: 3 },
  { id: 'avgPool', title: 'avgPool [8,64,64,32], 2x2 window, stride 2', unit: 'ms', lower: true, value: (ms) => ms, reps: Math.ceil(21 * Q), warmup: 3 },
  { id: 'eagerAdd', title: '10,000 eager adds of 1-element tensors', unit: 'us/op', lower: true, value: (ms) => (ms * 1000) / 10000, reps: Math.ceil(11 * Q), warmup: 3 },
  { id: 'mlp', title: 'MLP 784-256-10 training step, batch 64, SGD', unit: 'ms', lower: true, value: (ms) => ms, reps: Math.ceil(31 * Q), warmup: 5 },
  { id: 'add', title: 'add of two 2^20 tensors', unit: 'ms', lower: true, value: (ms) => ms, reps: Math.ceil(41 * Q), warmup: 5 },
  { id: 'exp', title: 'exp of a 2^20 tensor', unit: 'ms', lower: true, value: (ms) => ms, reps: Math.ceil(41 * Q), warmup: 5 },
];

/** A library: prepares a case (or returns undefined when it has none). */
type Runner = (id: string) => Promise<Prepared | undefined>;

const N = 1024;
const CONV_X = [8, 64, 64, 32] as const;
const CONV_W = [3, 3, 32, 64] as const;
const CONV_Y = [8, 64, 64, 64] as const;
const DW_W = [3, 3, 32, 1] as const;
const E = 1 << 20;
const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Tessera on a CPU backend. */
function tesseraRunner(backend: CpuBackend): Runner {
  const enter = (): void => T.setBackend(backend);
  return async (id) => {
    enter();
    const made: T.Tensor[] = [];
    const keep = <X extends T.Tensor>(t: X): X => {
      made.push(t);
      return t;
    };
    const release = (): void => T.dispose(made);
    switch (id) {
      case 'matmul':
      case 'matmulT': {
        const a = keep(T.tensor(rand(N * N, 1), [N, N]));
        const b = keep(T.tensor(rand(N * N, 2), [N, N]));
        const o = { transposeA: id === 'matmulT' };
        return { enter, step: () => T.matmul(a, b, o).dispose(), release };
      }
      case 'conv': {
        const x = keep(T.tensor(rand(size(CONV_X), 3), [...CONV_X]));
        const w = keep(T.tensor(rand(size(CONV_W), 4), [...CONV_W]));
        return { enter, step: () => T.conv2d(x, w, { padding: 'SAME' }).dispose(), release };
      }
      case 'convGradInput': {
        const dy = keep(T.tensor(rand(size(CONV_Y), 5), [...CONV_Y]));
        const w = keep(T.tensor(rand(size(CONV_W), 4), [...CONV_W]));
        return { enter, step: () => T.conv2dBackpropInput(dy, w, [...CONV_X], { padding: 'SAME' }).dispose(), release };
      }
      case 'convGradFilter': {
        const x = keep(T.tensor(rand(size(CONV_X), 3), [...CONV_X]));
        const dy = keep(T.tensor(rand(size(CONV_Y), 5), [...CONV_Y]));
        return { enter, step: () => T.conv2dBackpropFilter(x, dy, [...CONV_W], { padding: 'SAME' }).dispose(), release };
      }
      case 'eagerAdd': {
        const a = keep(T.tensor([1]));
        const b = keep(T.tensor([2]));
        return {
          enter,
          step: () => {
            for (let i = 0; i < 10000; i++) T.add(a, b).dispose();
          },
          release,
        };
      }
      case 'mlp': {
        const x = keep(T.tensor(rand(64 * 784, 6), [64, 784]));
        const labels = keep(T.oneHot(T.tensor(Int32Array.from({ length: 64 }, (_, i) => (i * 7) % 10), [64], 'int32'), 10));
        const w1 = keep(T.variable(T.tensor(rand(784 * 256, 7), [784, 256]).mul(0.1)));
        const b1 = keep(T.variable(T.zeros([256])));
        const w2 = keep(T.variable(T.tensor(rand(256 * 10, 8), [256, 10]).mul(0.1)));
        const b2 = keep(T.variable(T.zeros([10])));
        const opt = new GradientDescentOptimizer(0.1);
        const loss = (): T.Tensor => T.softmaxCrossEntropy(labels, T.add(T.matmul(T.relu(T.add(T.matmul(x, w1), b1)), w2), b2));
        return { enter, step: () => opt.minimize(loss, { varList: [w1, b1, w2, b2] }).dispose(), release };
      }
      case 'depthwise': {
        const x = keep(T.tensor(rand(size(CONV_X), 3), [...CONV_X]));
        const w = keep(T.tensor(rand(size(DW_W), 4), [...DW_W]));
        return { enter, step: () => T.depthwiseConv2d(x, w, { padding: 'SAME' }).dispose(), release };
      }
      case 'avgPool': {
        const x = keep(T.tensor(rand(size(CONV_X), 3), [...CONV_X]));
        return { enter, step: () => T.avgPool(x, { filterSize: 2, strides: 2 }).dispose(), release };
      }
      case 'add': {
        const a = keep(T.tensor(rand(E, 9), [E]));
        const b = keep(T.tensor(rand(E, 10), [E]));
        return { enter, step: () => T.add(a, b).dispose(), release };
      }
      case 'exp': {
        const a = keep(T.tensor(rand(E, 9), [E]));
        return { enter, step: () => T.exp(a).dispose(), release };
      }
    }
    return undefined;
  };
}

/** TensorFlow.js on one of its backends. */
function tfjsRunner(backend: 'cpu' | 'wasm'): Runner {
  const enter = async (): Promise<void> => {
    if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not start`);
  };
  // the cpu backend takes seconds per matmul or convolution: fewer samples there
  const slow = backend === 'cpu' ? 3 : undefined;
  return async (id) => {
    await enter();
    const made: tf.Tensor[] = [];
    const keep = <X extends tf.Tensor>(t: X): X => {
      made.push(t);
      return t;
    };
    const release = (): void => tf.dispose(made);
    switch (id) {
      case 'matmul':
      case 'matmulT': {
        const a = keep(tf.tensor2d(rand(N * N, 1), [N, N]));
        const b = keep(tf.tensor2d(rand(N * N, 2), [N, N]));
        const tA = id === 'matmulT';
        return { enter, step: () => tf.matMul(a, b, tA).dispose(), release, ...(slow !== undefined ? { reps: 1 } : {}) };
      }
      case 'conv': {
        const x = keep(tf.tensor4d(rand(size(CONV_X), 3), [...CONV_X]));
        const w = keep(tf.tensor4d(rand(size(CONV_W), 4), [...CONV_W]));
        return { enter, step: () => tf.conv2d(x, w, 1, 'same').dispose(), release, ...(slow !== undefined ? { reps: slow } : {}) };
      }
      case 'convGradInput': {
        if (backend !== 'wasm') return undefined;
        // TF.js computes conv2d's input gradient with conv2dTranspose (its Conv2DBackpropInput kernel)
        const dy = keep(tf.tensor4d(rand(size(CONV_Y), 5), [...CONV_Y]));
        const w = keep(tf.tensor4d(rand(size(CONV_W), 4), [...CONV_W]));
        return { enter, step: () => tf.conv2dTranspose(dy, w, [...CONV_X], 1, 'same').dispose(), release, reps: 3 };
      }
      case 'eagerAdd': {
        const a = keep(tf.tensor1d([1]));
        const b = keep(tf.tensor1d([2]));
        return {
          enter,
          step: () => {
            for (let i = 0; i < 10000; i++) tf.add(a, b).dispose();
          },
          release,
        };
      }
      case 'mlp': {
        const x = keep(tf.tensor2d(rand(64 * 784, 6), [64, 784]));
        const labels = keep(tf.cast(tf.oneHot(tf.tensor1d(Int32Array.from({ length: 64 }, (_, i) => (i * 7) % 10), 'int32'), 10), 'float32'));
        const w1 = keep(tf.variable(tf.mul(tf.tensor2d(rand(784 * 256, 7), [784, 256]), 0.1)));
        const b1 = keep(tf.variable(tf.zeros([256])));
        const w2 = keep(tf.variable(tf.mul(tf.tensor2d(rand(256 * 10, 8), [256, 10]), 0.1)));
        const b2 = keep(tf.variable(tf.zeros([10])));
        const opt = tf.train.sgd(0.1);
        const loss = (): tf.Scalar => tf.losses.softmaxCrossEntropy(labels, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2)) as tf.Scalar;
        return {
          enter,
          step: () => opt.minimize(loss, true, [w1, b1, w2, b2])!.dispose(),
          release: () => {
            release();
            opt.dispose();
          },
          reps: backend === 'cpu' ? 9 : 15,
        };
      }
      case 'depthwise': {
        const x = keep(tf.tensor4d(rand(size(CONV_X), 3), [...CONV_X]));
        const w = keep(tf.tensor4d(rand(size(DW_W), 4), [...DW_W]));
        return { enter, step: () => tf.depthwiseConv2d(x, w, 1, 'same').dispose(), release, ...(slow !== undefined ? { reps: slow } : {}) };
      }
      case 'avgPool': {
        const x = keep(tf.tensor4d(rand(size(CONV_X), 3), [...CONV_X]));
        return { enter, step: () => tf.avgPool(x, 2, 2, 'valid').dispose(), release, ...(slow !== undefined ? { reps: 5 } : {}) };
      }
      case 'add': {
        const a = keep(tf.tensor1d(rand(E, 9)));
        const b = keep(tf.tensor1d(rand(E, 10)));
        return { enter, step: () => tf.add(a, b).dispose(), release, ...(slow !== undefined ? { reps: 11 } : {}) };
      }
      case 'exp': {
        const a = keep(tf.tensor1d(rand(E, 9)));
        return { enter, step: () => tf.exp(a).dispose(), release, ...(slow !== undefined ? { reps: 11 } : {}) };
      }
    }
    return undefined;
  };
}

/** onnxruntime-node on its CPU execution provider. */
function ortRunner(threads: number): Runner {
  // intra-op threads do not spin after a run: spinning threads would take the cores from the next
  // library's measurement (every library is sampled in turn)
  const opts: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const t32 = (v: Float32Array, shape: readonly number[]): ort.Tensor => new ort.Tensor('float32', v, [...shape]);
  const prepared = async (model: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Prepared> => {
    const s = await ort.InferenceSession.create(model, opts);
    return { step: () => s.run(feeds), release: () => s.release() };
  };
  return async (id) => {
    switch (id) {
      case 'matmul':
        return prepared(oneNodeModel('MatMul', [{ name: 'a', shape: [N, N] }, { name: 'b', shape: [N, N] }], [N, N]), { a: t32(rand(N * N, 1), [N, N]), b: t32(rand(N * N, 2), [N, N]) });
      case 'conv': {
        // ONNX Conv is NCHW: the same product as the NHWC case
        const xs = [8, 32, 64, 64];
        const ws = [64, 32, 3, 3];
        const model = oneNodeModel('Conv', [{ name: 'x', shape: xs }, { name: 'w', shape: ws }], [8, 64, 64, 64], [
          { name: 'pads', ints: [1, 1, 1, 1] },
          { name: 'kernel_shape', ints: [3, 3] },
        ]);
        return prepared(model, { x: t32(rand(size(xs), 3), xs), w: t32(rand(size(ws), 4), ws) });
      }
      case 'depthwise': {
        // NCHW, one group per channel
        const xs = [8, 32, 64, 64];
        const ws = [32, 1, 3, 3];
        const model = oneNodeModel('Conv', [{ name: 'x', shape: xs }, { name: 'w', shape: ws }], [8, 32, 64, 64], [
          { name: 'pads', ints: [1, 1, 1, 1] },
          { name: 'kernel_shape', ints: [3, 3] },
          { name: 'group', i: 32 },
        ]);
        return prepared(model, { x: t32(rand(size(xs), 3), xs), w: t32(rand(size(ws), 4), ws) });
      }
      case 'avgPool': {
        const xs = [8, 32, 64, 64];
        const model = oneNodeModel('AveragePool', [{ name: 'x', shape: xs }], [8, 32, 32, 32], [
          { name: 'kernel_shape', ints: [2, 2] },
          { name: 'strides', ints: [2, 2] },
        ]);
        return prepared(model, { x: t32(rand(size(xs), 3), xs) });
      }
      case 'add':
        return prepared(oneNodeModel('Add', [{ name: 'a', shape: [E] }, { name: 'b', shape: [E] }], [E]), { a: t32(rand(E, 9), [E]), b: t32(rand(E, 10), [E]) });
      case 'exp':
        return prepared(oneNodeModel('Exp', [{ name: 'a', shape: [E] }], [E]), { a: t32(rand(E, 9), [E]) });
    }
    return undefined;
  };
}

/**
 * How many cores this process really gets right now: two threads spin for 300 ms; the CPU time
 * they get over the wall time is ~2 on an idle 2-core machine and ~1 when the cores are shared.
 */
async function parallelCapacity(): Promise<number> {
  const spin = 'let x = 0; const t0 = Date.now(); while (Date.now() - t0 < 300) { for (let i = 0; i < 1e4; i++) x += Math.sqrt(i); }';
  const w = new Worker(`const { parentPort } = require('node:worker_threads'); parentPort.once('message', () => { ${spin} parentPort.postMessage(x); });`, { eval: true });
  await new Promise((r) => setTimeout(r, 50));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const done = new Promise((r) => w.once('message', r));
  w.postMessage(0);
  // eslint-disable-next-line no-new-func
  new Function(spin)();
  await done;
  const c = process.cpuUsage(c0);
  await w.terminate();
  return (c.user + c.system) / 1000 / (performance.now() - t0);
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
  const capacity = await parallelCapacity();
  console.log(
    `node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} x${cores}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ` +
      `tessera: wasm ${info.wasm}, relaxed SIMD ${info.relaxedSimd}, threads ${info.threads}; ` +
      `parallel capacity ${capacity.toFixed(2)} cores (CPU time / wall time of two spinning threads)`,
  );
  const results: Record<string, Record<string, number | null>> = {};
  for (const c of CASES) {
    if (only !== null && !only.includes(c.id)) continue;
    results[c.id] = {};
    const entries: [string, Prepared][] = [];
    for (const [name, runner] of libs) {
      try {
        const p = await runner(c.id);
        if (p !== undefined) entries.push([name, p]);
      } catch (e) {
        console.error(`${c.id} on ${name} failed to start: ${(e as Error).message}`);
      }
    }
    let medians = new Map<string, number>();
    try {
      medians = await interleaved(entries, c.reps, c.warmup);
    } catch (e) {
      console.error(`${c.id} failed: ${(e as Error).message}`);
    }
    for (const [name, p] of entries) await p.release();
    for (const [name] of libs) {
      const ms = medians.get(name);
      results[c.id]![name] = ms === undefined ? null : c.value(ms);
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
  // how often Tessera's pool kept runs on one thread because the cores were busy with other work
  const rt = await acquireRuntime({ threads: 2 });
  const threadStats = rt === null ? null : { ...rt.stats };
  if (rt !== null) releaseRuntime(rt);
  if (threadStats !== null) console.log(`tessera thread pool: ${threadStats.parallel} parallel runs, ${threadStats.heldBack} kept on one thread (cores busy)`);

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
        parallelCapacity: capacity,
        tessera: info,
        cases: CASES.filter((c) => results[c.id] !== undefined).map((c) => ({ id: c.id, title: c.title, unit: c.unit, lowerIsBetter: c.lower, medians: results[c.id], ratios: ratios[c.id] })),
        extra,
        threadStats,
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
