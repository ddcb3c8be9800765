/**
 * The GEMM reads A and B with vec4 loads when the stored rows allow it (the contiguous
 * dimension a multiple of 4: K for A and N for B untransposed, M for a transposed A, K for a
 * transposed B) and one element at a time otherwise. Each layout gets its own pipeline; every
 * mix of vector and scalar operands, with broadcast batch dimensions, matches a float64 loop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matmul, setBackend, tensor } from '@tessera/core';
import type { WebGpuBackend } from '../src/index.js';
import { createTestBackend } from './setup.js';

let gpu: WebGpuBackend;
beforeAll(async () => {
  gpu = await createTestBackend();
  setBackend(gpu);
});
afterAll(() => gpu.dispose());

/** Deterministic values in [-1, 1) (small integers over 8, exact in float32). */
function values(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => (((i * 7 + seed * 13) % 17) - 8) / 8);
}

/** float64 batched product of stored operands with the batch of `a` broadcast against [nb]. */
function reference(
  a: number[],
  b: number[],
  batchA: number,
  batchB: number,
  M: number,
  K: number,
  N: number,
  tA: boolean,
  tB: boolean,
): number[] {
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

describe('GEMM vec4 loads', () => {
  // [M, K, N]: all aligned, only K, only M and N, none; sizes crossing the 32 tile
  const SIZES: [number, number, number][] = [
    [36, 40, 44],
    [33, 40, 35],
    [36, 37, 40],
    [35, 33, 37],
    [4, 4, 4],
    [5, 8, 3],
  ];
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      it(`transposeA=${tA}, transposeB=${tB}: every mix of vector and scalar loads, broadcast batches`, async () => {
        let seed = 0;
        for (const [M, K, N] of SIZES) {
          for (const [batchA, batchB] of [
            [1, 1],
            [3, 1],
            [1, 2],
          ] as const) {
            const va = values(batchA * M * K, seed++);
            const vb = values(batchB * K * N, seed++);
            const a = tensor(va, [batchA, ...(tA ? [K, M] : [M, K])]);
            const b = tensor(vb, [batchB, ...(tB ? [N, K] : [K, N])]);
            const got = await matmul(a, b, { transposeA: tA, transposeB: tB }).data();
            const want = reference(va, vb, batchA, batchB, M, K, N, tA, tB);
            expect(got.length).toBe(want.length);
            for (let i = 0; i < want.length; i++) {
              if (Math.abs(got[i]! - want[i]!) > 1e-5 + 1e-6 * Math.abs(want[i]!)) {
                throw new Error(`M=${M} K=${K} N=${N} batches ${batchA}/${batchB}: element ${i} is ${got[i]}, expected ${want[i]}`);
              }
            }
          }
        }
      });
    }
  }

  it('aligned and unaligned layouts compile different programs (vector and scalar loads)', async () => {
    // a backend of its own, so that no earlier test compiled these programs
    const fresh = await createTestBackend();
    setBackend(fresh);
    const run = async (M: number, K: number, N: number): Promise<number> => {
      const before = fresh.stats().pipelines;
      await matmul(tensor(values(M * K, 1), [M, K]), tensor(values(K * N, 2), [K, N])).data();
      return fresh.stats().pipelines - before;
    };
    // a fresh layout compiles one pipeline; the same layout at other sizes reuses it
    try {
      expect(await run(8, 12, 16)).toBe(1); // vec4 A and B
      expect(await run(12, 8, 4)).toBe(0);
      expect(await run(7, 9, 5)).toBe(1); // scalar A and B
      expect(await run(7, 8, 5)).toBe(1); // vec4 A, scalar B
      expect(await run(7, 9, 12)).toBe(1); // scalar A, vec4 B
      expect(await run(3, 5, 11)).toBe(0);
    } finally {
      setBackend(gpu);
      fresh.dispose();
    }
  });
});
