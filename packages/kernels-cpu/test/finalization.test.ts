/**
 * The finalization backstop: a tensor that is never disposed frees its buffer once it is
 * garbage collected, whether it was created outside any scope, returned from the outermost
 * `tidy`, or kept inside one. Tensors inside a scope are held by it until it ends.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { keep, memory, setBackend, tensor, tidy, type Tensor } from '@tessera/core';
import { createCpuBackend } from '../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

beforeAll(async () => {
  setBackend(await createCpuBackend({ threads: 1 }));
});

/** Collects garbage until `done()` holds (finalizers run in later tasks), at most `rounds` times 20 ms. */
async function collectUntil(done: () => boolean, rounds = 100): Promise<boolean> {
  for (let i = 0; i < rounds && !done(); i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  return done();
}

describe('finalization backstop', () => {
  it('frees tensors nobody disposed: unscoped, returned from tidy, kept in tidy', async () => {
    await collectUntil(() => false, 10); // settle earlier garbage
    const before = memory();
    (() => {
      tensor([1, 2, 3]);
      tidy(() => tensor([4, 5]).add(1));
      tidy(() => {
        keep(tensor([6]).mul(2));
      });
    })();
    expect(memory().numTensors - before.numTensors).toBe(3);
    const freed = await collectUntil(() => memory().numTensors === before.numTensors);
    expect(freed).toBe(true);
    expect(memory().numDataBuffers).toBe(before.numDataBuffers);
    expect(memory().numBytes).toBe(before.numBytes);
  });

  it('a live scope holds its tensors: they are disposed when it ends, not collected before', async () => {
    const before = memory().numTensors;
    let inside = -1;
    await (async () => {
      const t0 = tensor([1]);
      tidy(() => {
        for (let i = 0; i < 10; i++) t0.add(t0); // results dropped, still tracked by the scope
        gc();
        inside = memory().numTensors - before;
      });
      t0.dispose();
    })();
    expect(inside).toBe(11);
    expect(memory().numTensors).toBe(before);
  });

  it('a disposed tensor is not freed twice when collected', async () => {
    const before = memory();
    let t: Tensor | null = tensor([1, 2]);
    t.dispose();
    t = null;
    await collectUntil(() => false, 10);
    expect(memory().numTensors).toBe(before.numTensors);
    expect(memory().numBytes).toBe(before.numBytes);
  });
});
