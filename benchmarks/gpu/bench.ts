/**
 * WebGPU micro-benchmarks for `@tessera/kernels-gpu`: matmul (256 to 4096), conv2d,
 * elementwise ops, a reduction and one training step of a small MLP with Adam. Prints GFLOP/s
 * (compute-bound ops) and GB/s (memory-bound ops) per case.
 *
 * Run from the repository root (TypeScript sources, no build needed):
 *
 *   node_modules/.bin/tsx --conditions=@tessera/source benchmarks/gpu/bench.ts            # a real GPU
 *   node_modules/.bin/tsx --conditions=@tessera/source benchmarks/gpu/bench.ts --small    # SwiftShader: small sizes
 *
 * Options: `--small` (sizes that finish quickly on a software GPU), `--swiftshader` (force
 * Debian chromium's SwiftShader Vulkan driver; implied by --small when no VK_ICD_FILENAMES is
 * set), `--iters N` (timed iterations per case, default 10; 3 with --small), `--json` (one JSON
 * line per case instead of the table). Timings are wall-clock per iteration after one warm-up
 * iteration (which compiles the pipelines), with the GPU queue drained before the clock stops.
 * On SwiftShader the numbers only show that everything runs; measure on a real GPU.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import {
  add,
  conv2d,
  exp,
  matmul,
  randomNormal,
  randomUniform,
  relu,
  setBackend,
  sum,
  tidy,
  variable,
  type Tensor,
} from '../../packages/core/src/index.js';
import { createWebGpuBackend, type WebGpuBackend } from '../../packages/kernels-gpu/src/index.js';
import { AdamOptimizer } from '../../packages/optim/src/index.js';
import { softmaxCrossEntropy } from '../../packages/core/src/index.js';


/** One benchmark result. */
export interface BenchRow {
  readonly case: string;
  /** Milliseconds per iteration. */
  readonly ms: number;
  readonly gflops?: number;
  readonly gbps?: number;
}

/** Options of {@link runBenchmarks}. */
export interface BenchOptions {
  /** The backend to measure (it is set as the current backend). */
  readonly backend: WebGpuBackend;
  /** Small sizes, for a software GPU. */
  readonly small?: boolean;
  /** Timed iterations per case (after one warm-up). */
  readonly iters?: number;
  /** Called with each result as it is measured. */
  readonly report?: (row: BenchRow) => void;
}

/** Runs every case and returns the results. */
export async function runBenchmarks(options: BenchOptions): Promise<BenchRow[]> {
  const { backend } = options;
  const small = options.small === true;
  const iters = options.iters ?? (small ? 3 : 10);
  setBackend(backend);
  const rows: BenchRow[] = [];

  /** Times `step` (which returns tensors to dispose): one warm-up, then `iters` timed runs. */
  async function time(name: string, step: () => Tensor | Tensor[], flops: number, bytes: number): Promise<void> {
    const run = (): void => {
      const out = step();
      for (const t of Array.isArray(out) ? out : [out]) t.dispose();
    };
    run();
    await backend.sync();
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) run();
    await backend.sync();
    const ms = (performance.now() - t0) / iters;
    const row: BenchRow = {
      case: name,
      ms,
      ...(flops > 0 ? { gflops: flops / ms / 1e6 } : {}),
      ...(bytes > 0 ? { gbps: bytes / ms / 1e6 } : {}),
    };
    rows.push(row);
    options.report?.(row);
  }

  // ---- matmul -------------------------------------------------------------------------------
  for (const n of small ? [64, 128, 256] : [256, 512, 1024, 2048, 4096]) {
    const a = randomUniform([n, n], { seed: 1 });
    const b = randomUniform([n, n], { seed: 2 });
    await time(`matmul ${n}x${n}x${n}`, () => matmul(a, b), 2 * n ** 3, 3 * 4 * n * n);
    a.dispose();
    b.dispose();
  }

  // ---- conv2d ---------------------------------------------------------------------------------
  for (const [x, f] of small
    ? ([[[1, 16, 16, 8], [3, 3, 8, 16]]] as const)
    : ([
        [[8, 64, 64, 32], [3, 3, 32, 64]],
        [[32, 28, 28, 1], [5, 5, 1, 32]],
        [[16, 32, 32, 64], [3, 3, 64, 128]],
      ] as const)) {
    const xs = randomNormal([...x], { seed: 3 });
    const fs = randomNormal([...f], { seed: 4 });
    const flops = 2 * x[0] * x[1] * x[2] * f[3] * f[0] * f[1] * f[2];
    await time(`conv2d x[${x.join(',')}] f[${f.join(',')}] SAME`, () => conv2d(xs, fs, { padding: 'SAME' }), flops, 4 * (xs.size + fs.size + x[0] * x[1] * x[2] * f[3]));
    xs.dispose();
    fs.dispose();
  }

  // ---- elementwise and reduction ---------------------------------------------------------------
  {
    const n = small ? 1 << 16 : 1 << 24;
    const a = randomUniform([n], { seed: 5 });
    const b = randomUniform([n], { seed: 6 });
    await time(`add ${n} (broadcast-free)`, () => add(a, b), n, 3 * 4 * n);
    await time(`exp ${n}`, () => exp(a), n, 2 * 4 * n);
    await time(`relu ${n} (fused composite)`, () => relu(a), n, 2 * 4 * n);
    const m = randomUniform([small ? 64 : 1024, small ? 256 : 4096], { seed: 7 });
    await time(`add [${m.shape.join(',')}] + [${m.shape[1]}] (broadcast)`, () => tidy(() => add(m, b.slice(0, m.shape[1]!))), m.size, 3 * 4 * m.size);
    await time(`sum ${n} (all)`, () => sum(a), n, 4 * n);
    await time(`sum [${m.shape.join(',')}] axis 1`, () => sum(m, 1), m.size, 4 * m.size);
    for (const t of [a, b, m]) t.dispose();
  }

  // ---- a training step: MLP with Adam ------------------------------------------------------------
  {
    const batch = small ? 16 : 128;
    const [inD, hid, outD] = small ? [64, 32, 10] : [784, 512, 10];
    const w1 = variable(randomNormal([inD, hid], { seed: 8, stddev: 0.05 }));
    const b1 = variable(randomNormal([hid], { seed: 9, stddev: 0.01 }));
    const w2 = variable(randomNormal([hid, outD], { seed: 10, stddev: 0.05 }));
    const b2 = variable(randomNormal([outD], { seed: 11, stddev: 0.01 }));
    const x = randomNormal([batch, inD], { seed: 12 });
    const labels = tidy(() => randomUniform([batch, outD], { seed: 13 }).softmax());
    const opt = new AdamOptimizer(1e-3); // the Adam step runs as one fused kernel per variable
    const vars = [w1, b1, w2, b2];
    const loss = (): Tensor => softmaxCrossEntropy(labels, add(matmul(relu(add(matmul(x, w1), b1)), w2), b2));
    // forward + backward + update
    const flops = 3 * 2 * batch * (inD * hid + hid * outD);
    await time(
      `train step MLP ${inD}-${hid}-${outD}, batch ${batch}, Adam`,
      () => opt.minimize(loss, { varList: vars }),
      flops,
      0,
    );
    for (const t of [...vars, x, labels]) t.dispose();
    opt.dispose();
  }
  return rows;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const small = args.includes('--small');
  const json = args.includes('--json');
  const itersArg = args.indexOf('--iters');
  const iters = itersArg >= 0 ? Number(args[itersArg + 1]) : small ? 3 : 10;
  const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
  const useSwiftShader = args.includes('--swiftshader') || (small && process.env['VK_ICD_FILENAMES'] === undefined && existsSync(ICD));

  // Dawn loads libvulkan.so.1 when it starts; without a system loader (Debian's libvulkan1),
  // re-run with chromium's own loader on the library path.
  if (useSwiftShader && process.platform === 'linux' && process.env['TESSERA_BENCH_CHILD'] === undefined) {
    const hasSystemLoader = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'].some((p) => existsSync(p));
    if (!hasSystemLoader) {
      const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
        stdio: 'inherit',
        env: {
          ...process.env,
          TESSERA_BENCH_CHILD: '1',
          LD_LIBRARY_PATH: [process.env['LD_LIBRARY_PATH'], '/usr/lib/chromium'].filter((p) => p).join(':'),
        },
      });
      process.exit(r.status ?? 1);
    }
  }
  if (useSwiftShader) process.env['VK_ICD_FILENAMES'] ??= ICD;

  const backend = await createWebGpuBackend(
    process.platform === 'linux' ? { dawnFlags: ['backend=vulkan'], powerPreference: 'high-performance' } : { powerPreference: 'high-performance' },
  );
  const info = backend.adapter?.info;
  if (!json) {
    console.log(`adapter: ${info ? `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.trim() : 'unknown'}`);
    console.log(`iterations per case: ${iters}${small ? ' (--small sizes)' : ''}\n`);
  }
  await runBenchmarks({
    backend,
    small,
    iters,
    report: (row) => {
      if (json) {
        console.log(JSON.stringify(row));
        return;
      }
      const rate = [row.gflops !== undefined ? `${row.gflops.toFixed(2)} GFLOP/s` : '', row.gbps !== undefined ? `${row.gbps.toFixed(2)} GB/s` : '']
        .filter((x) => x !== '')
        .join(', ');
      console.log(`${row.case.padEnd(44)} ${row.ms.toFixed(3).padStart(10)} ms   ${rate}`);
    },
  });
  const st = backend.stats();
  if (!json) console.log(`\n${st.dispatches} dispatches, ${st.submits} submits, ${st.pipelines} pipelines, ${st.buffersCreated} GPU buffers created`);
  backend.dispose();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
