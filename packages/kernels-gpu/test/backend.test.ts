import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  add,
  BackendError,
  exp,
  gather,
  matmul,
  memory,
  requiredKernels,
  mul,
  setBackend,
  sum,
  tensor,
  tidy,
  tile,
  toBackend,
  zeros,
  type Tensor,
} from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { createWebGpuBackend, type WebGpuBackend } from '../src/index.js';
import { createTestBackend } from './setup.js';

/** A fake `GPU` whose adapter request we control. */
function fakeGpu(result: () => Promise<GPUAdapter | null>): { gpu: GPU; calls: GPURequestAdapterOptions[] } {
  const calls: GPURequestAdapterOptions[] = [];
  const gpu = {
    requestAdapter: (o?: GPURequestAdapterOptions) => {
      calls.push(o ?? {});
      return result();
    },
    getPreferredCanvasFormat: () => 'bgra8unorm',
    wgslLanguageFeatures: new Set<string>(),
  } as unknown as GPU;
  return { gpu, calls };
}

async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

describe('createWebGpuBackend', () => {
  it('says what to install or set when no adapter is found, passing the adapter options on', async () => {
    const { gpu, calls } = fakeGpu(async () => null);
    await expect(createWebGpuBackend({ gpu, powerPreference: 'low-power', forceFallbackAdapter: true })).rejects.toThrow(
      /no WebGPU adapter was found \(powerPreference 'low-power'\).*VK_ICD_FILENAMES.*\{ adapter \}/s,
    );
    expect(calls).toEqual([{ powerPreference: 'low-power', forceFallbackAdapter: true }]);
  });

  it('reports a failing adapter request as a BackendError', async () => {
    const { gpu } = fakeGpu(async () => {
      throw new Error('driver exploded');
    });
    const err = await createWebGpuBackend({ gpu }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toMatch(/requestAdapter failed: driver exploded/);
  });

  it('uses an adapter or a device the caller passes, and never destroys a device it does not own', async () => {
    const own = await createTestBackend();
    const device = own.device;
    const shared = await createWebGpuBackend({ device, adapter: own.adapter! });
    expect(shared.device).toBe(device);
    setBackend(shared);
    expect(await values(add(tensor([1, 2]), 1))).toEqual([2, 3]);
    shared.dispose();
    // the device still works for its owner
    setBackend(own);
    expect(await values(mul(tensor([1, 2]), 3))).toEqual([3, 6]);
    const adapter = await own.gpu!.requestAdapter();
    const fromAdapter = await createWebGpuBackend({ adapter: adapter! });
    expect(fromAdapter.adapter).toBe(adapter);
    expect(fromAdapter.device).not.toBe(device);
    fromAdapter.dispose();
    own.dispose();
  });
});

describe('WebGPU backend', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createTestBackend({ hostCacheBytes: 0 });
  });
  afterAll(() => gpu.dispose());

  it('has a kernel for every primitive op core defines', () => {
    expect(requiredKernels().filter((k) => !(k in gpu.kernels))).toEqual([]);
  });

  it('declares float32, int32 and bool, reads asynchronously only, and rejects float64 clearly', async () => {
    setBackend(gpu);
    expect(gpu.capabilities).toEqual({ dtypes: ['float32', 'int32', 'bool'], syncRead: false });
    const t = tensor([1.5, -2]);
    expect(() => t.dataSync()).toThrow(/dataSync: backend 'webgpu' reads asynchronously; use `await tensor.data\(\)`/);
    expect(t.toString()).toContain('await data()');
    expect(() => tensor([1], [1], 'float64')).toThrow(BackendError);
    expect(() => tensor([1], [1], 'float64')).toThrow(/does not support dtype float64/);
    expect(await t.data()).toEqual(new Float32Array([1.5, -2]));
    t.dispose();
  });

  it('stores bool as one u32 per element and reads it back as bytes', async () => {
    setBackend(gpu);
    const before = gpu.memory().numBytes;
    const b = tensor([true, false, true]);
    // 3 elements x 4 bytes, rounded up to the smallest size class (16 bytes)
    expect(gpu.memory().numBytes - before).toBe(16);
    const back = await b.data();
    expect(back).toBeInstanceOf(Uint8Array);
    expect(Array.from(back)).toEqual([1, 0, 1]);
    expect(await values(b.logicalNot())).toEqual([0, 1, 0]);
    b.dispose();
  });

  it('reports live and pooled bytes honestly and reuses freed buffers', async () => {
    setBackend(gpu);
    await gpu.sync();
    const m0 = gpu.memory();
    const a = zeros([1000]); // 4000 bytes -> size class 4096
    const b = zeros([1000]);
    const m1 = gpu.memory();
    expect(m1.numBuffers - m0.numBuffers).toBe(2);
    expect(m1.numBytes - m0.numBytes).toBe(2 * 4096);
    a.dispose();
    b.dispose();
    await gpu.sync();
    const m2 = gpu.memory();
    expect(m2.numBuffers).toBe(m0.numBuffers);
    expect(m2.numBytesPooled! - m0.numBytesPooled!).toBe(2 * 4096);
    const created = gpu.stats().buffersCreated;
    const c = zeros([990]); // a slightly different size reuses the same class
    expect(gpu.stats().buffersCreated).toBe(created);
    expect(gpu.memory().numBytesPooled).toBe(m2.numBytesPooled! - 4096);
    c.dispose();
  });

  it('caps the pool', async () => {
    const small = await createTestBackend({ maxPooledBytes: 8192 });
    setBackend(small);
    const ts = [zeros([1000]), zeros([1000]), zeros([1000]), zeros([5000])];
    for (const t of ts) t.dispose();
    await small.sync();
    expect(small.memory().numBytesPooled).toBeLessThanOrEqual(8192);
    expect(small.memory().numBuffers).toBe(0);
    small.dispose();
  });

  it('records dispatches into batches and submits once per batch or read', async () => {
    const b = await createTestBackend({ batchSize: 4, hostCacheBytes: 0 });
    setBackend(b);
    const x = tensor([1, 2, 3]);
    await b.sync();
    const s0 = b.stats();
    let y = x;
    const made: Tensor[] = [];
    for (let i = 0; i < 10; i++) made.push((y = y.add(1)));
    const s1 = b.stats();
    expect(s1.dispatches - s0.dispatches).toBe(10);
    expect(s1.submits - s0.submits).toBe(2); // after the 4th and the 8th dispatch
    expect(await values(y)).toEqual([11, 12, 13]);
    expect(b.stats().submits - s1.submits).toBe(1); // the last two dispatches and the copy, together
    for (const t of made) t.dispose();
    x.dispose();
    b.dispose();
  });

  it('compiles one pipeline per op, rank and dtype, whatever the shapes', async () => {
    setBackend(gpu);
    tidy(() => add(tensor([[1, 2, 3]]), tensor([[1], [2]])));
    const p = gpu.stats().pipelines;
    const r = tidy(() => add(tensor([[1, 2, 3, 4, 5]]), tensor([[1], [2], [3]])));
    expect(gpu.stats().pipelines).toBe(p);
    expect(r.shape).toEqual([3, 5]);
    expect((await values(r)).slice(0, 5)).toEqual([2, 3, 4, 5, 6]);
    r.dispose();
  });

  it('keeps a freed buffer until the batch that reads it is submitted', async () => {
    const b = await createTestBackend({ batchSize: 1000, hostCacheBytes: 0 });
    setBackend(b);
    const x = tensor([1, 2, 3, 4]);
    const y = exp(x.mul(0)); // recorded, not submitted
    x.dispose(); // its buffer must not be reused before the batch runs
    const z = tensor([100, 100, 100, 100]); // same size class as x
    expect(await values(y)).toEqual([1, 1, 1, 1]);
    expect(await values(z)).toEqual([100, 100, 100, 100]);
    y.dispose();
    z.dispose();
    b.dispose();
  });

  it('moves tensors between CPU and GPU only explicitly', async () => {
    const cpu = await createCpuBackend();
    setBackend(cpu);
    const a = tensor([[1, 2], [3, 4]]);
    const onGpu = await toBackend(a, gpu);
    expect(onGpu.backend).toBe(gpu);
    expect(() => add(a, onGpu)).toThrow(/inputs live on different backends \(cpu and webgpu\).*toBackend/);
    const prod = matmul(onGpu, onGpu);
    const back = await toBackend(prod, cpu);
    expect(Array.from(back.dataSync())).toEqual([7, 10, 15, 22]);
    for (const t of [a, onGpu, prod, back]) t.dispose();
  });

  it('checks host-side indices and clamps indices computed on the GPU', async () => {
    setBackend(gpu);
    const x = tensor([10, 20, 30]);
    expect(() => gather(x, tensor([0, 3], [2], 'int32'))).toThrow(/gather: indices\[1\] = 3 is out of range/);
    // indices that only exist on the GPU cannot be checked without a round trip: they are clamped
    const idx = tensor([1, 5], [2], 'int32').add(tensor([0, 0], [2], 'int32'));
    const g = gather(x, idx);
    expect(await values(g)).toEqual([20, 30]);
    for (const t of [x, idx, g]) t.dispose();
  });

  it('rejects a tensor larger than one GPU buffer may be, naming the op', () => {
    setBackend(gpu);
    const one = tensor([1]);
    expect(() => tile(one, [600_000_000])).toThrow(/tile: a float32 tensor of 600000000 elements needs 2400000000 bytes, more than this GPU allows/);
    one.dispose();
  });

  it('leaves nothing behind when a scope ends', async () => {
    setBackend(gpu);
    const before = gpu.memory().numBuffers;
    const tensorsBefore = memory().numTensors;
    const r = tidy(() => sum(matmul(tensor([[1, 2]]), tensor([[3], [4]]))));
    expect(await values(r)).toEqual([11]);
    r.dispose();
    expect(gpu.memory().numBuffers).toBe(before);
    expect(memory().numTensors).toBe(tensorsBefore);
  });
});

describe('custom programs and GPU errors', () => {
  it('runs a custom WGSL program', async () => {
    const b = await createTestBackend();
    setBackend(b);
    const x = tensor([1, 2, 3, 4]);
    const [id] = b.runProgram({
      op: 'double',
      key: 'custom:double',
      program: {
        inputs: ['f32'],
        outputs: ['f32'],
        uniforms: [{ name: 'n', type: 'u32' }],
        code: '@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) { if (g.x < u.n) { out0[g.x] = 2.0 * in0[g.x]; } }',
      },
      inputs: [x.dataId],
      outputs: [{ shape: [4], dtype: 'float32' }],
      uniforms: [4],
      workgroups: [1, 1, 1],
    });
    expect(Array.from(await b.read(id!))).toEqual([2, 4, 6, 8]);
    b.disposeData(id!);
    expect(() =>
      b.runProgram({
        op: 'bad',
        key: 'custom:bad-arity',
        program: { inputs: ['f32'], outputs: ['f32'], uniforms: [], code: '' },
        inputs: [],
        outputs: [{ shape: [1], dtype: 'float32' }],
        uniforms: [],
        workgroups: [1, 1, 1],
      }),
    ).toThrow(/bad: program 'custom:bad-arity' declares 1 inputs.*passes 0/);
    x.dispose();
    b.dispose();
  });

  it('surfaces a shader compile error naming the op and the shader key, never zeros', async () => {
    const b = await createTestBackend();
    setBackend(b);
    const [id] = b.runProgram({
      op: 'broken',
      key: 'custom:broken-wgsl',
      program: {
        inputs: [],
        outputs: ['f32'],
        uniforms: [],
        code: '@compute @workgroup_size(1) fn main() { out0[0] = undefined_function(1.0); }',
      },
      inputs: [],
      outputs: [{ shape: [1], dtype: 'float32' }],
      uniforms: [],
      workgroups: [1, 1, 1],
    });
    await expect(b.read(id!)).rejects.toThrow(/broken: the WGSL program 'custom:broken-wgsl' failed to compile: .*undefined_function/);
    // later work fails loudly instead of computing on garbage
    expect(() => add(tensor([1]), 1)).toThrow(/unusable after an earlier GPU error.*custom:broken-wgsl/);
    b.dispose();
  });

  it('turns a lost device into an error, not a hang', async () => {
    const owner = await createTestBackend();
    const b = await createWebGpuBackend({ device: owner.device });
    setBackend(b);
    const x = tensor([1, 2, 3]);
    owner.device.destroy();
    await owner.device.lost;
    expect(() => x.add(x)).toThrow(/add: backend 'webgpu' is unusable after an earlier GPU error: .*device was lost/);
    await expect(b.read(x.dataId)).rejects.toThrow(/device was lost/);
    b.dispose();
    owner.dispose();
  });
});
