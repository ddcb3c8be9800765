/**
 * Trains a small convolutional network on the MNIST digits shipped by the `mnist` package
 * (8,000 for training, 2,000 held out), with a progress bar, a summary table, a PNG plot and
 * checkpoints. `--help` lists the options.
 */
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import { setBackend } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { plotHistory } from './plot.js';
import { trainMnist, type Mode } from './train.js';
import './graph-modes.js';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

const program = new Command()
  .name('mnist')
  .description('Train a convolutional network on 10,000 MNIST digits (8,000 train / 2,000 test) with Tessera.')
  .addOption(new Option('--backend <name>', 'kernel backend').choices(['cpu', 'webgpu']).default('cpu'))
  .addOption(new Option('--mode <mode>', 'eager: minimize(() => loss); graph: Session.run(trainOp); split: two graphs in two workers').choices(['eager', 'graph', 'split']).default('eager'))
  .option('--epochs <n>', 'training epochs', positiveInt, 4)
  .option('--batch-size <n>', 'examples per step', positiveInt, 32)
  .option('--seed <n>', 'seed of the initial weights and the shuffling', nonNegativeInt, 1)
  .option('--learning-rate <lr>', 'Adam learning rate', (v) => Number(v), 0.002)
  .option('--out <dir>', 'folder for checkpoints and the plot', 'out/mnist')
  .option('--resume', 'continue from the last epoch checkpoint in --out', false)
  .option('--limit-train <n>', 'use only the first n training examples', positiveInt)
  .option('--limit-test <n>', 'use only the first n test examples', positiveInt)
  .option('--quiet', 'no progress bar', false);

program.parse();
const opts = program.opts<{
  backend: 'cpu' | 'webgpu';
  mode: Mode;
  epochs: number;
  batchSize: number;
  seed: number;
  learningRate: number;
  out: string;
  resume: boolean;
  limitTrain?: number;
  limitTest?: number;
  quiet: boolean;
}>();

if (opts.backend === 'webgpu') {
  const { createWebGpuBackend } = await import('@tessera/kernels-gpu');
  // Without a GPU driver, Dawn can run on SwiftShader (Vulkan on the CPU), which Debian's
  // chromium package ships; use it when it is there and no Vulkan driver was chosen.
  const swiftShader = '/usr/lib/chromium/vk_swiftshader_icd.json';
  const software = process.platform === 'linux' && process.env['VK_ICD_FILENAMES'] === undefined && existsSync(swiftShader);
  if (software) process.env['VK_ICD_FILENAMES'] = swiftShader;
  setBackend(await createWebGpuBackend(process.platform === 'linux' ? { dawnFlags: ['backend=vulkan'] } : {}));
  if (software) console.log('WebGPU runs on SwiftShader (software Vulkan): expect it to be slow.');
} else {
  setBackend(await createCpuBackend());
}

const out = resolve(opts.out);
mkdirSync(out, { recursive: true });
const bar = new cliProgress.SingleBar(
  {
    format: 'epoch {epoch}/{epochs} |{bar}| step {value}/{total} | loss {loss} | acc {acc} | {eps} ex/s',
    hideCursor: true,
    noTTYOutput: false,
  },
  cliProgress.Presets.shades_classic,
);
let barEpoch = -1;
const started = performance.now();
console.log(`Training on ${opts.backend}, mode ${opts.mode}, ${opts.epochs} epochs, batch ${opts.batchSize}, seed ${opts.seed}`);
const result = await trainMnist(
  {
    mode: opts.mode,
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    seed: opts.seed,
    learningRate: opts.learningRate,
    out,
    resume: opts.resume,
    limit: { ...(opts.limitTrain !== undefined ? { train: opts.limitTrain } : {}), ...(opts.limitTest !== undefined ? { test: opts.limitTest } : {}) },
  },
  {
    onStep: (s) => {
      if (opts.quiet) return;
      const payload = { epoch: s.epoch, epochs: opts.epochs, loss: s.loss.toFixed(4), acc: s.accuracy.toFixed(3), eps: s.examplesPerSecond.toFixed(0) };
      if (barEpoch !== s.epoch) {
        if (barEpoch !== -1) bar.stop();
        bar.start(s.steps, 0, payload);
        barEpoch = s.epoch;
      }
      bar.update(s.step, payload);
    },
    onEpoch: (r) => {
      if (!opts.quiet) {
        bar.stop();
        barEpoch = -1;
      }
      console.log(`epoch ${r.epoch}: train loss ${r.trainLoss.toFixed(4)}, train accuracy ${(100 * r.trainAccuracy).toFixed(2)}%, test accuracy ${(100 * r.testAccuracy).toFixed(2)}% (${r.seconds.toFixed(1)} s)`);
    },
  },
);
const seconds = (performance.now() - started) / 1000;
const table = new Table({ head: ['epoch', 'train loss', 'train acc', 'test acc', 'seconds'] });
for (const r of result.history) {
  table.push([r.epoch, r.trainLoss.toFixed(4), `${(100 * r.trainAccuracy).toFixed(2)}%`, `${(100 * r.testAccuracy).toFixed(2)}%`, r.seconds.toFixed(1)]);
}
console.log(table.toString());
const plot = join(out, 'training.png');
writeFileSync(plot, plotHistory(result.history.map((r) => r.trainLoss), result.history.map((r) => r.testAccuracy)));
if (result.resumedFrom > 0) console.log(`Resumed after epoch ${result.resumedFrom}.`);
console.log(`Test accuracy ${(100 * result.testAccuracy).toFixed(2)}% after ${result.history.length} epochs; this run took ${seconds.toFixed(1)} s.`);
console.log(`Plot of training loss (red) and test accuracy (blue) per epoch: ${plot}`);
console.log(`Checkpoint: ${join(out, 'checkpoint.safetensors')}`);
