/**
 * Buffer reuse: a buffer freed while the open batch still uses it serves later dispatches of
 * the same batch (never a host upload), reads already under way keep their values when the
 * buffer is reused, and the pool's cap follows the live working set unless a fixed cap is set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add, exp, mul, setBackend, sum, tensor, type Tensor } from '@tessera/core';
import type { WebGpuBackend } from '../src/index.js';
import { adaptivePoolCap, BufferPool, POOL_FLOOR_BYTES, sizeClass } from '../src/pool.js';
import { createTestBackend } from './setup.js';

async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

describe('size classes', () => {
  it('are multiples of 16 bytes, hold the request and waste at most a quarter above 64 bytes', () => {
    for (let bytes = 0; bytes <= 5000; bytes += 4) {
      const c = sizeClass(bytes);
      expect(c % 16).toBe(0);
      expect(c).toBeGreaterThanOrEqual(Math.max(bytes, 16));
      if (bytes >= 64) expect(c).toBeLessThanOrEqual(bytes * 1.25 + 1e-9);
      else expect(c).toBeLessThan(Math.max(bytes, 16) + 16);
    }
    expect([12, 20, 48, 52, 100, 4000].map(sizeClass)).toEqual([16, 32, 48, 64, 112, 4096]);
  });
});

describe('buffer pool cap', () => {
  /** A device that hands out plain objects and records destroyed ones. */
  function fakeDevice(): { device: GPUDevice; destroyed: number[] } {
    const destroyed: number[] = [];
    let id = 0;
    const device = {
      createBuffer: ({ size, usage }: GPUBufferDescriptor) => {
        const n = id++;
        return { size, usage, destroy: () => destroyed.push(n), id: n } as unknown as GPUBuffer;
      },
    } as unknown as GPUDevice;
    return { device, destroyed };
  }

  it('asks the cap at each release and evicts the oldest idle buffers beyond it', () => {
    const { device, destroyed } = fakeDevice();
    let cap = 1024;
    const pool = new BufferPool(device, () => cap);
    const bufs = [0, 1, 2, 3].map(() => pool.acquire(256, 1, 't'));
    for (const b of bufs) pool.release(b);
    expect(pool.pooledBytes).toBe(1024);
    expect(destroyed).toEqual([]);
    cap = 512; // a smaller cap: the next release evicts the two oldest and the third
    const extra = pool.acquire(512, 1, 't'); // created: no idle buffer of this size
    expect(pool.created).toBe(5);
    pool.release(extra);
    expect(destroyed).toEqual([0, 1, 2, 3]);
    expect(pool.pooledBytes).toBe(512);
    cap = 100; // a buffer larger than the cap is destroyed at once
    pool.release(pool.acquire(512, 1, 't'));
    expect(destroyed).toEqual([0, 1, 2, 3, 4]);
    expect(pool.pooledBytes).toBe(0);
  });
});

describe('adaptive cap on idle bytes', () => {
  it('keeps live plus idle bytes within the peak working set or the floor', () => {
    const MiB = 1024 * 1024;
    expect(POOL_FLOOR_BYTES).toBe(256 * MiB);
    // small programs: the floor, less what is live
    expect(adaptivePoolCap(10 * MiB, 40 * MiB)).toBe(246 * MiB);
    // a 2 GiB working set with 0.5 GiB live keeps 1.5 GiB idle
    expect(adaptivePoolCap(512 * MiB, 2048 * MiB)).toBe(1536 * MiB);
    expect(adaptivePoolCap(2048 * MiB, 2048 * MiB)).toBe(0);
    expect(adaptivePoolCap(300 * MiB, 100 * MiB, 200 * MiB)).toBe(0);
  });
});

describe('buffer reuse within a batch', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    // one batch holds everything below; no host cache, so every read goes to the GPU
    gpu = await createTestBackend({ batchSize: 1000, hostCacheBytes: 0 });
  });
  afterAll(() => gpu.dispose());

  it("gives an op's output the buffer of a tensor freed earlier in the same batch", async () => {
    setBackend(gpu);
    const x = tensor([1, 2, 3, 4, 5, 6]);
    const c = tensor([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    add(x, c).dispose(); // leaves one idle buffer of this size in the pool after the submit
    await gpu.sync();
    const s0 = gpu.stats();
    const y1 = add(x, c); // the idle buffer
    const y2 = mul(y1, c); // a new buffer; reads y1
    y1.dispose(); // freed while the open batch reads it
    const y3 = add(y2, c); // takes y1's buffer: its dispatch runs after y2's read y1
    y2.dispose();
    const tmp = mul(y3, c); // takes y2's buffer
    const y4 = exp(tmp); // a new buffer (nothing freed is left)
    tmp.dispose();
    const s1 = gpu.stats();
    expect(s1.submits).toBe(s0.submits); // all in the open batch
    expect(s1.buffersCreated - s0.buffersCreated).toBe(2); // 4 without reuse inside the batch
    const v3 = [1, 2, 3, 4, 5, 6].map((v) => (v + 0.5) * 0.5 + 0.5);
    const got = await values(y4);
    for (let i = 0; i < 6; i++) expect(Math.abs(got[i]! - Math.exp(v3[i]! * 0.5))).toBeLessThan(1e-6 * Math.exp(v3[i]! * 0.5));
    expect(await values(y3)).toEqual(v3);
    for (const t of [x, c, y3, y4]) t.dispose();
  });

  it('runs a long chain of ops with frees inside one batch on two buffers', async () => {
    setBackend(gpu);
    const n = 1000;
    const base = Array.from({ length: n }, (_, i) => (i % 37) - 18);
    const x = tensor(base);
    const one = tensor(new Float32Array(n).fill(1));
    const minus = tensor(new Float32Array(n).fill(-1));
    await gpu.sync();
    const s0 = gpu.stats();
    const m0 = gpu.memory();
    let t = mul(x, one);
    for (let k = 1; k <= 40; k++) {
      const next = k % 2 === 0 ? add(t, one) : mul(t, minus);
      t.dispose();
      t = next;
    }
    const s1 = gpu.stats();
    expect(s1.submits).toBe(s0.submits);
    expect(s1.dispatches - s0.dispatches).toBe(41);
    expect(s1.buffersCreated - s0.buffersCreated).toBeLessThanOrEqual(2);
    // one more live tensor; the other buffer waits in the batch and counts as pooled
    expect(gpu.memory().numBuffers - m0.numBuffers).toBe(1);
    // reference: the same chain in float64 (small integers: exact in float32)
    const want = base.map((v) => {
      let r = v;
      for (let k = 1; k <= 40; k++) r = k % 2 === 0 ? r + 1 : -r;
      return r;
    });
    expect(await values(t)).toEqual(want);
    for (const u of [t, x, one, minus]) u.dispose();
  });

  it('never gives a buffer freed in the open batch to a host upload', async () => {
    setBackend(gpu);
    const x = tensor([1, 2, 3, 4]);
    await gpu.sync();
    const y = x.mul(10); // reads x in the open batch
    x.dispose();
    // an upload lands before the batch runs: it must not overwrite x's buffer
    const z = tensor([7, 7, 7, 7]);
    const w = z.add(1); // a dispatch may take x's buffer (it runs after y's)
    expect(await values(y)).toEqual([10, 20, 30, 40]);
    expect(await values(z)).toEqual([7, 7, 7, 7]);
    expect(await values(w)).toEqual([8, 8, 8, 8]);
    for (const t of [y, z, w]) t.dispose();
  });

  it('keeps a reused buffer tied to the open batch when it is freed again without a dispatch', async () => {
    setBackend(gpu);
    const x = tensor([1, 2, 3]); // 12 bytes: the 16-byte class, like an empty tensor's buffer
    await gpu.sync();
    const y = x.mul(x); // reads x in the open batch
    x.dispose(); // x's buffer waits in the batch
    const empty = tensor([1, 2, 3]).slice([0], [0]); // an op output with no dispatch: may take x's buffer
    empty.dispose(); // must not hand x's buffer to the pool before the batch runs
    const z = tensor([7, 8, 9]); // an upload: would overwrite x's values before y's dispatch
    expect(await values(y)).toEqual([1, 4, 9]);
    expect(await values(z)).toEqual([7, 8, 9]);
    for (const t of [y, z]) t.dispose();
  });

  it('keeps the values of a read under way when its buffer is freed and reused', async () => {
    setBackend(gpu);
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8]);
    const y = x.add(100);
    const pending = y.data(); // submits the batch with the copy
    y.dispose();
    // the next ops take y's buffer from the pool and overwrite it
    const outs: Tensor[] = [];
    for (let k = 1; k <= 4; k++) outs.push(x.mul(-k));
    expect(Array.from(await pending)).toEqual([101, 102, 103, 104, 105, 106, 107, 108]);
    for (let k = 1; k <= 4; k++) expect(await values(outs[k - 1]!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((v) => v * -k));
    // two reads of the same tensor under way at once, with ops reusing buffers in between
    const a = x.mul(3);
    const r1 = a.data();
    const b = a.add(1);
    const r2 = b.data();
    a.dispose();
    const c = x.sub(1);
    expect(Array.from(await r1)).toEqual([3, 6, 9, 12, 15, 18, 21, 24]);
    expect(Array.from(await r2)).toEqual([4, 7, 10, 13, 16, 19, 22, 25]);
    expect(await values(c)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const t of [...outs, b, c, x]) t.dispose();
  });

  it('reuses the scratch buffers of split reductions within the batch', async () => {
    setBackend(gpu);
    const n = 70_000; // long enough for a first pass into partial sums
    const vals = Array.from({ length: n }, (_, i) => ((i * 13) % 11) - 5);
    const x = tensor(vals);
    await gpu.sync();
    let expected = vals.reduce((p, v) => p + v, 0);
    const sums: Tensor[] = [];
    let t = x.mul(1);
    for (let k = 0; k < 5; k++) {
      sums.push(sum(t));
      const next = t.add(1);
      t.dispose();
      t = next;
    }
    for (let k = 0; k < 5; k++) {
      expect(await values(sums[k]!)).toEqual([expected]);
      expected += n;
    }
    for (const s of [...sums, t, x]) s.dispose();
  });
});

describe('adaptive pool cap', () => {
  it('keeps idle buffers up to the peak working set, and gives them back on request', async () => {
    const b = await createTestBackend({ hostCacheBytes: 0 });
    setBackend(b);
    try {
      // 80 MiB live at once (5 tensors of 16 MiB), then freed: the default cap keeps them all
      const n = 4 * 1024 * 1024;
      const live0 = b.memory().numBuffers;
      const made: Tensor[] = [];
      const x = tensor(new Float32Array(n));
      for (let k = 0; k < 4; k++) made.push(add(x, x));
      expect(b.memory().numBytes).toBeGreaterThanOrEqual(5 * 16 * 1024 * 1024);
      for (const t of [...made, x]) t.dispose();
      await b.sync();
      expect(b.memory().numBuffers).toBe(live0);
      expect(b.memory().numBytesPooled).toBeGreaterThanOrEqual(5 * 16 * 1024 * 1024);
      // reused: the same work creates no buffer
      const created = b.stats().buffersCreated;
      const y = tensor(new Float32Array(n));
      const z = add(y, y);
      expect(b.stats().buffersCreated).toBe(created);
      for (const t of [y, z]) t.dispose();
      b.releasePooledBuffers();
      expect(b.memory().numBytesPooled).toBe(0);
    } finally {
      b.dispose();
    }
  });
});
