/**
 * Every GEMM tiling (128×128 with 8×8 outputs per thread, 64×64 and 32×32 with 4×4) gives the
 * float64 result for matmul in every transpose and vector/scalar load layout, with sizes that
 * cross tile edges in m, n and k and broadcast batches, and for fusedMatmul and the three
 * convolution GEMMs (implicit, scalar loads) against the CPU backend. Small problems normally
 * take the 32×32 tiling, so each tiling is forced here; the choice by size is checked too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv2d, fusedMatmul, matmul, mul, setBackend, sum, tensor, toBackend, type Backend, type Tensor } from '@tessera/core';
import { GradientTape } from '@tessera/autograd';
import { createCpuBackend } from '@tessera/kernels-cpu';
import type { WebGpuBackend } from '../src/index.js';
import { chooseGemmConfig, GEMM_CONFIGS, setGemmConfigOverride } from '../src/kernels/gemm.js';
import { createTestBackend } from './setup.js';

let gpu: WebGpuBackend;
let cpu: Backend;
beforeAll(async () => {
  cpu = await createCpuBackend();
  gpu = await createTestBackend({ hostCacheBytes: 0 });
  setBackend(gpu);
});
afterAll(() => {
  setGemmConfigOverride(null);
  gpu.dispose();
});

/** Deterministic values in [-1, 1) (multiples of 1/8: products and short sums are exact). */
function values(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => (((i * 7 + seed * 13) % 17) - 8) / 8);
}

function reference(a: number[], b: number[], batchA: number, batchB: number, M: number, K: number, N: number, tA: boolean, tB: boolean): number[] {
  const nb = Math.max(batchA, batchB);
  const out: number[] = [];
  for (let z = 0; z < nb; z++) {
    const oa = (batchA === 1 ? 0 : z) * M * K;
    const ob = (batchB === 1 ? 0 : z) * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let p = 0; p < K; p++) s += a[oa + (tA ? p * M + i : i * K + p)]! * b[ob + (tB ? j * K + p : p * N + j)]!;
        out.push(s);
      }
    }
  }
  return out;
}

async function close(got: Tensor, want: ArrayLike<number>, what: string, tol = 1e-5): Promise<void> {
  const g = await got.data();
  expect(g.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(g[i]! - want[i]!) > tol * (1 + Math.abs(want[i]!))) throw new Error(`${what}: element ${i} is ${g[i]}, expected ${want[i]}`);
  }
}

describe('GEMM tilings', () => {
  for (const cfg of GEMM_CONFIGS) {
    const TM = cfg.ty * cfg.rm;
    const TN = cfg.tx * cfg.rn;
    it(`${cfg.name} (${TM}x${TN} tiles): matmul in every layout, across tile edges, with broadcast batches`, async () => {
      setGemmConfigOverride(cfg.name);
      try {
        // [M, K, N, transposeA, transposeB, batches of a, batches of b], crossing the tile and
        // depth edges: vector loads of A along k and of B along n, of A along m and of B along
        // k, and scalar loads of both (each layout is its own pipeline; the 32x32 tiling's
        // layouts at more sizes are in gemm-vec4.test.ts)
        const cases: [number, number, number, boolean, boolean, number, number][] = [
          [TM + 4, 2 * cfg.tk + 4, TN + 8, false, false, 2, 1],
          [TM + 4, 2 * cfg.tk + 4, TN + 8, true, true, 1, 1],
          [TM + 1, cfg.tk + 3, TN - 3, false, true, 1, 2],
          [5, 3, 2, true, false, 1, 1],
        ];
        let seed = 0;
        for (const [M, K, N, tA, tB, batchA, batchB] of cases) {
          const va = values(batchA * M * K, seed++);
          const vb = values(batchB * K * N, seed++);
          const a = tensor(va, [batchA, ...(tA ? [K, M] : [M, K])]);
          const b = tensor(vb, [batchB, ...(tB ? [N, K] : [K, N])]);
          const c = matmul(a, b, { transposeA: tA, transposeB: tB });
          await close(c, reference(va, vb, batchA, batchB, M, K, N, tA, tB), `${cfg.name} M=${M} K=${K} N=${N} tA=${tA} tB=${tB} batches ${batchA}/${batchB}`);
          for (const t of [a, b, c]) t.dispose();
        }
        // int32 products (exact)
        const ia = Int32Array.from(values(TM * 20, 1).map((v) => v * 8));
        const ib = Int32Array.from(values(20 * (TN + 1), 2).map((v) => v * 8));
        const ta = tensor(ia, [TM, 20], 'int32');
        const tb = tensor(ib, [20, TN + 1], 'int32');
        const ic = matmul(ta, tb);
        expect(ic.dtype).toBe('int32');
        await close(ic, reference(Array.from(ia), Array.from(ib), 1, 1, TM, 20, TN + 1, false, false), `${cfg.name} int32`, 0);
        for (const t of [ta, tb, ic]) t.dispose();
      } finally {
        setGemmConfigOverride(null);
      }
    });

    it(`${cfg.name}: fusedMatmul and the convolution GEMMs match the CPU backend`, async () => {
      const M = TM + 3;
      const K = 2 * cfg.tk + 1;
      const N = TN + 5;
      const va = values(M * K, 3);
      const vb = values(K * N, 4);
      const vbias = values(N, 5);
      const vx = values(2 * 9 * 11 * 5, 6);
      const vf = values(3 * 3 * 5 * 7, 7);
      const run = (): { fm: Tensor; y: Tensor; dx: Tensor; df: Tensor } => {
        const a = tensor(va, [M, K]);
        const b = tensor(vb, [K, N]);
        const bias = tensor(vbias, [N]);
        const fm = fusedMatmul(a, b, { bias, activation: 'relu' });
        const x = tensor(vx, [2, 9, 11, 5]);
        const f = tensor(vf, [3, 3, 5, 7]);
        const tape = new GradientTape();
        tape.watch(x);
        tape.watch(f);
        const y = conv2d(x, f, { strides: [1, 2], padding: 'SAME' });
        const s = sum(mul(y, y)); // dy = 2y reaches both gradient GEMMs
        const [dx, df] = tape.gradient(s, [x, f]) as Tensor[];
        s.dispose();
        tape.dispose();
        for (const t of [a, b, bias, x, f]) t.dispose();
        return { fm, y, dx: dx!, df: df! };
      };
      setBackend(cpu);
      const want = run();
      setBackend(gpu);
      setGemmConfigOverride(cfg.name);
      let got: ReturnType<typeof run>;
      try {
        got = run();
      } finally {
        setGemmConfigOverride(null);
      }
      for (const k of ['fm', 'y', 'dx', 'df'] as const) {
        const back = await toBackend(got[k], cpu);
        await close(back, want[k].dataSync(), `${cfg.name} ${k}`);
        back.dispose();
        got[k].dispose();
        want[k].dispose();
      }
    });
  }

  it('picks the largest tiling that still gives 256 workgroups, within the device limits', () => {
    const limits = gpu.device.limits;
    const l = {
      maxWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxWorkgroupStorageBytes: limits.maxComputeWorkgroupStorageSize,
      maxInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      maxStorageBindingBytes: limits.maxStorageBufferBindingSize,
      maxStorageBuffers: limits.maxStorageBuffersPerShaderStage,
    };
    expect(chooseGemmConfig(4096, 4096, 1, l).name).toBe('t128');
    expect(chooseGemmConfig(2048, 2048, 1, l).name).toBe('t128');
    expect(chooseGemmConfig(1024, 1024, 1, l).name).toBe('t64');
    expect(chooseGemmConfig(512, 512, 4, l).name).toBe('t64');
    expect(chooseGemmConfig(256, 256, 4, l).name).toBe('t32');
    expect(chooseGemmConfig(512, 512, 1, l).name).toBe('t32');
    // 64 columns would leave half of each 128-wide tile idle
    expect(chooseGemmConfig(32768, 64, 1, l).name).toBe('t64');
    expect(chooseGemmConfig(8, 8, 1, l).name).toBe('t32');
    // a device with 8 KiB of workgroup memory gets the tilings that fit
    expect(chooseGemmConfig(4096, 4096, 1, { ...l, maxWorkgroupStorageBytes: 8192 }).name).toBe('t64');
    expect(chooseGemmConfig(4096, 4096, 1, { ...l, maxInvocationsPerWorkgroup: 64 }).name).toBe('t32');
  });
});
