/**
 * Training loops for the MNIST network in three modes:
 * - `eager`: `optimizer.minimize(() => loss)` on eager tensors;
 * - `graph`: the model built once in a Graph and trained with `session.run(trainOp, feeds)`;
 * - `split`: the seed document's split training: the convolutional part and the dense part in
 *   two graphs and sessions, exchanging only the intermediate vector and its gradient.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { argMax, equal, keep, sum, tensor, tidy, type Tensor } from '@tessera/core';
import { AdamOptimizer } from '@tessera/optim';
import { encodeCheckpoint, restoreCheckpoint, writeFileAtomic } from '../checkpoint.js';
import { gatherBatch, loadMnist, permutation, type MnistSplit } from './data.js';
import { convForward, createConvParams, createDenseParams, denseForward, lossOf } from './model.js';

export type Mode = 'eager' | 'graph' | 'split';

export interface TrainOptions {
  readonly mode: Mode;
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly learningRate: number;
  /** Output folder for checkpoints (and the caller's plot); none when undefined. */
  readonly out?: string;
  /** Continue from `out/checkpoint.safetensors`. */
  readonly resume?: boolean;
  /** Use only this many training / test examples (quick runs). */
  readonly limit?: { train?: number; test?: number };
  /** Data, if already loaded. */
  readonly data?: MnistSplit;
}

export interface EpochRecord {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly testAccuracy: number;
  readonly seconds: number;
}

export interface StepInfo {
  readonly epoch: number;
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly examplesPerSecond: number;
}

export interface TrainHooks {
  onStep?(info: StepInfo): void;
  onEpoch?(record: EpochRecord): void;
}

export interface TrainResult {
  readonly history: EpochRecord[];
  /** Loss of every step, in order (for equality checks between modes and runs). */
  readonly stepLosses: number[];
  readonly testAccuracy: number;
  readonly resumedFrom: number;
}

/** What a training mode provides: steps, predictions and checkpoints. */
export interface Trainer {
  /** One training step on a batch: returns [loss before the update, number of correct predictions]. */
  step(x: Float32Array, y: Int32Array, n: number): Promise<[number, number]> | [number, number];
  /** Predicted classes of a batch. */
  predict(x: Float32Array, n: number): Promise<Int32Array> | Int32Array;
  /** The full training state (weights and optimizer state) as safetensors bytes. */
  save(metadata: Record<string, string>): Promise<Uint8Array> | Uint8Array;
  /** Restores `save`'s bytes; returns their metadata. */
  restore(bytes: Uint8Array): Promise<Record<string, string>> | Record<string, string>;
  dispose(): Promise<void> | void;
}

function eagerTrainer(seed: number, learningRate: number): Trainer {
  const conv = createConvParams(seed);
  const dense = createDenseParams(seed);
  const optimizer = new AdamOptimizer(learningRate);
  const variables = [conv.w1, conv.b1, conv.w2, conv.b2, dense.w, dense.b];
  return {
    async step(xs, ys, n) {
      const x = tensor(xs, [n, 28, 28, 1]);
      const y = tensor(ys, [n], 'int32');
      let logits: Tensor | undefined;
      const loss = optimizer.minimize(() => {
        const l = denseForward(dense, convForward(conv, x));
        logits = keep(l);
        return lossOf(l, y);
      }, { varList: variables });
      const correct = tidy(() => sum(equal(argMax(logits!, 1), y)));
      // await the reads: backends such as WebGPU only read asynchronously
      const [lossValue, correctValue] = await Promise.all([loss.data(), correct.data()]);
      for (const t of [x, y, loss, logits!, correct]) t.dispose();
      return [lossValue[0]!, correctValue[0]!];
    },
    async predict(xs, n) {
      const p = tidy(() => argMax(denseForward(dense, convForward(conv, tensor(xs, [n, 28, 28, 1]))), 1));
      const out = (await p.data()) as Int32Array;
      p.dispose();
      return out;
    },
    save: (metadata) => encodeCheckpoint(variables, optimizer, metadata),
    restore: (bytes) => restoreCheckpoint(bytes, variables, optimizer),
    dispose() {
      optimizer.dispose();
      for (const v of variables) v.dispose();
    },
  };
}

const trainers: Record<Mode, (seed: number, lr: number) => Trainer | Promise<Trainer>> = {
  eager: eagerTrainer,
  graph: () => {
    throw new Error('graph mode: not available yet');
  },
  split: () => {
    throw new Error('split mode: not available yet');
  },
};

/** Registers another trainer (graph and split modes live in their own modules). */
export function registerTrainer(mode: Mode, make: (seed: number, lr: number) => Trainer | Promise<Trainer>): void {
  trainers[mode] = make;
}

async function evaluate(trainer: Trainer, images: Float32Array, labels: Int32Array): Promise<number> {
  const n = labels.length;
  let correct = 0;
  const chunk = 500;
  for (let start = 0; start < n; start += chunk) {
    const count = Math.min(chunk, n - start);
    const idx = Array.from({ length: count }, (_, k) => start + k);
    const { x, y } = gatherBatch(images, labels, idx);
    const pred = await trainer.predict(x, count);
    for (let k = 0; k < count; k++) if (pred[k] === y[k]) correct++;
  }
  return n === 0 ? 0 : correct / n;
}

/** Trains the network; deterministic for a given seed, mode and backend. */
export async function trainMnist(options: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const data = options.data ?? loadMnist(2000, options.limit);
  const trainer = await trainers[options.mode](options.seed, options.learningRate);
  const history: EpochRecord[] = [];
  const stepLosses: number[] = [];
  let startEpoch = 0;
  const ckpt = options.out !== undefined ? join(options.out, 'checkpoint.safetensors') : undefined;
  if (options.out !== undefined) mkdirSync(options.out, { recursive: true });
  if (options.resume === true) {
    if (ckpt === undefined || !existsSync(ckpt)) throw new Error(`--resume: no checkpoint at ${ckpt ?? '(no --out folder)'}`);
    const meta = await trainer.restore(new Uint8Array(readFileSync(ckpt)));
    const saved = JSON.parse(meta['training'] ?? '{}') as { epoch?: number; history?: EpochRecord[]; stepLosses?: number[]; mode?: string; seed?: number };
    if (saved.mode !== options.mode || saved.seed !== options.seed) {
      throw new Error(`--resume: the checkpoint was written by mode ${saved.mode} seed ${saved.seed}, not mode ${options.mode} seed ${options.seed}`);
    }
    startEpoch = saved.epoch ?? 0;
    history.push(...(saved.history ?? []));
    stepLosses.push(...(saved.stepLosses ?? []));
  }
  const nTrain = data.trainLabels.length;
  const steps = Math.ceil(nTrain / options.batchSize);
  for (let epoch = startEpoch; epoch < options.epochs; epoch++) {
    const started = performance.now();
    const order = permutation(nTrain, options.seed * 1000 + epoch);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let s = 0; s < steps; s++) {
      const idx = order.subarray(s * options.batchSize, Math.min(nTrain, (s + 1) * options.batchSize));
      const { x, y } = gatherBatch(data.trainImages, data.trainLabels, idx);
      const [loss, c] = await trainer.step(x, y, idx.length);
      stepLosses.push(loss);
      lossSum += loss * idx.length;
      correct += c;
      seen += idx.length;
      hooks.onStep?.({
        epoch: epoch + 1,
        step: s + 1,
        steps,
        loss,
        accuracy: correct / seen,
        examplesPerSecond: seen / ((performance.now() - started) / 1000),
      });
    }
    const testAccuracy = await evaluate(trainer, data.testImages, data.testLabels);
    const record: EpochRecord = {
      epoch: epoch + 1,
      trainLoss: lossSum / seen,
      trainAccuracy: correct / seen,
      testAccuracy,
      seconds: (performance.now() - started) / 1000,
    };
    history.push(record);
    hooks.onEpoch?.(record);
    if (ckpt !== undefined) {
      const training = JSON.stringify({ epoch: epoch + 1, history, stepLosses, mode: options.mode, seed: options.seed });
      writeFileAtomic(ckpt, await trainer.save({ training }));
    }
  }
  const testAccuracy = history.length > 0 ? history[history.length - 1]!.testAccuracy : await evaluate(trainer, data.testImages, data.testLabels);
  await trainer.dispose();
  return { history, stepLosses, testAccuracy, resumedFrom: startEpoch };
}
