/**
 * The WebAssembly runtime around the kernels: the heap allocator, the backend's memory report,
 * thread options, worker shutdown, and the module builder's feature detection.
 */
import { describe, expect, it } from 'vitest';
import { matmul, memory, randomUniform, setBackend, tensor, ValueError } from '@tessera/core';
import { createCpuBackend } from '../src/index.js';
import { ALIGN, Heap, heapInternals } from '../src/wasm/heap.js';
import { acquireRuntime, detectFeatures, releaseRuntime } from '../src/wasm/runtime.js';
import { buildKernelModule } from '../src/wasm/module.js';

describe('heap allocator', () => {
  it('aligns, reuses freed blocks, splits and merges neighbours', () => {
    const h = new Heap(1024, 1 << 20);
    const a = h.alloc(10);
    expect(a % ALIGN).toBe(0);
    expect(h.lastFresh).toBe(true);
    const b = h.alloc(1000);
    const c = h.alloc(64);
    expect(h.used).toBe(64 + 1024 + 64);
    h.release(b);
    expect(h.free).toBe(1024);
    // a smaller block is carved out of the freed one, which is no longer fresh memory
    const d = h.alloc(200);
    expect(d).toBe(b);
    expect(h.lastFresh).toBe(false);
    // freeing the neighbours merges them back into one block
    h.release(d);
    h.release(a);
    expect(h.alloc(1024 + 64)).toBe(a);
    h.release(a);
    // the block at the top returns to the untouched region
    h.release(c);
    expect(h.top).toBe(1024);
    expect(h.used).toBe(0);
    expect(h.free).toBe(0);
  });

  it('returns -1 past its limit and keeps working', () => {
    const h = new Heap(0, 4096);
    const a = h.alloc(4000);
    expect(h.alloc(200)).toBe(-1);
    h.release(a);
    expect(h.alloc(4096)).toBe(0);
  });

  it('keeps every block inside its size class bounds over random traffic', () => {
    let s = 7;
    const rnd = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
    const h = new Heap(0, 1 << 26);
    const live = new Map<number, number>();
    for (let i = 0; i < 2000; i++) {
      if (live.size > 0 && rnd() < 0.45) {
        const keys = [...live.keys()];
        const k = keys[Math.floor(rnd() * keys.length)]!;
        h.release(k);
        live.delete(k);
      } else {
        const size = 1 + Math.floor(rnd() ** 3 * 200000);
        const off = h.alloc(size);
        if (off < 0) throw new Error(`allocation of ${size} failed`);
        live.set(off, size);
      }
      if (i % 100 === 0) {
        // live blocks never overlap
        const spans = [...live].sort((x, y) => x[0] - y[0]);
        for (let k = 1; k < spans.length; k++) {
          if (spans[k - 1]![0] + spans[k - 1]![1] > spans[k]![0]) throw new Error(`blocks overlap at step ${i}`);
        }
      }
    }
    for (const k of live.keys()) h.release(k);
    expect(h.used).toBe(0);
    expect(h.top).toBe(0);
    for (const bytes of [64, 128, 192, 4096, 5000 * 64, 1 << 24]) {
      const c = heapInternals.classOf(bytes);
      expect(heapInternals.classMinUnits(c) * ALIGN).toBeLessThanOrEqual(bytes);
      expect(heapInternals.classMinUnits(c + 1) * ALIGN).toBeGreaterThan(bytes);
    }
  });
});

describe('backend options, memory report and shutdown', () => {
  it('rejects a thread count that is not a positive integer', async () => {
    await expect(createCpuBackend({ threads: 0 })).rejects.toThrow(ValueError);
    await expect(createCpuBackend({ threads: 1.5 })).rejects.toThrow(/threads must be a positive integer, got 1.5/);
  });

  it('reports how it runs', async () => {
    const one = await createCpuBackend({ threads: 1 });
    expect(one.info()).toMatchObject({ wasm: true, threads: 1, sharedMemory: true });
    const plain = await createCpuBackend({ wasm: false });
    expect(plain.info()).toMatchObject({ wasm: false, threads: 1 });
    one.dispose();
  });

  it('memory() counts live buffers and their exact bytes, and the pooled heap', async () => {
    const b = await createCpuBackend({ threads: 1, name: 'mem' });
    setBackend(b);
    expect(b.memory()).toMatchObject({ numBuffers: 0, numBytes: 0 });
    const small = tensor([1, 2, 3]); // a plain typed array
    const big = randomUniform([100, 30]); // in the heap
    expect(b.memory().numBuffers).toBe(2);
    expect(b.memory().numBytes).toBe(12 + 12000);
    expect(b.memory().numBytesPooled).toBeGreaterThan(0);
    expect(memory().backend?.numBytes).toBe(12 + 12000);
    const product = matmul(big, big, { transposeB: true });
    expect(b.memory().numBytes).toBe(12 + 12000 + 40000);
    product.dispose();
    big.dispose();
    small.dispose();
    expect(b.memory()).toMatchObject({ numBuffers: 0, numBytes: 0 });
    b.dispose();
  });

  it('dispose() frees every buffer, stale handles fail, and the backend keeps working on one thread', async () => {
    const b = await createCpuBackend({ threads: 2, name: 'disposable' });
    setBackend(b);
    const x = randomUniform([300, 300]);
    b.dispose();
    expect(b.memory()).toMatchObject({ numBuffers: 0, numBytes: 0 });
    expect(() => b.readSync(x.dataId)).toThrow(/unknown or freed buffer/);
    expect(b.info().threads).toBe(1);
    const y = randomUniform([200, 200]);
    const z = matmul(y, y);
    expect(z.shape).toEqual([200, 200]);
    expect(Number.isFinite(z.dataSync()[0])).toBe(true);
  });

  it('the last backend to let go of the threads stops the workers', async () => {
    const rt = (await acquireRuntime({ threads: 2 }))!;
    const a = await createCpuBackend({ threads: 2 });
    const b = await createCpuBackend({ threads: 2 });
    expect(rt.threads).toBe(2);
    a.dispose();
    expect(rt.threads).toBe(2);
    releaseRuntime(rt);
    expect(rt.threads).toBe(2);
    b.dispose();
    expect(rt.threads).toBe(1);
    // and a new backend starts them again
    const c = await createCpuBackend({ threads: 2 });
    expect(rt.threads).toBe(2);
    expect(c.info().threads).toBe(2);
    c.dispose();
  });
});

describe('module builder', () => {
  it('detects SIMD and builds a valid module with and without relaxed SIMD and shared memory', () => {
    const f = detectFeatures();
    expect(f.simd).toBe(true);
    const wasm = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
    expect(wasm.validate(buildKernelModule({ shared: true, relaxed: false, maxPages: 65536 }))).toBe(true);
    expect(wasm.validate(buildKernelModule({ shared: false, relaxed: false, maxPages: 65536 }))).toBe(true);
    // the relaxed-SIMD module validates exactly where the engine has relaxed SIMD
    expect(wasm.validate(buildKernelModule({ shared: true, relaxed: true, maxPages: 65536 }))).toBe(f.relaxedSimd);
  });
});
