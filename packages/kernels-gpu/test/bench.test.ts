/**
 * The GPU micro-benchmark (benchmarks/gpu/bench.ts) runs end to end. On SwiftShader its numbers
 * mean nothing; this only keeps the script working (small sizes, one timed iteration).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBenchmarks } from '../../../benchmarks/gpu/bench.js';
import type { WebGpuBackend } from '../src/index.js';
import { createTestBackend } from './setup.js';

describe('benchmarks/gpu/bench.ts', () => {
  let backend: WebGpuBackend;
  beforeAll(async () => {
    backend = await createTestBackend();
  });
  afterAll(() => backend.dispose());

  it('measures every case', async () => {
    const rows = await runBenchmarks({ backend, small: true, iters: 1 });
    const names = rows.map((r) => r.case).join('\n');
    for (const c of [/^matmul 256x256x256$/m, /^conv2d /m, /^add \d+/m, /^exp /m, /^sum /m, /^train step MLP/m]) expect(names).toMatch(c);
    for (const r of rows) {
      expect(r.ms).toBeGreaterThan(0);
      expect(Number.isFinite(r.gflops ?? r.gbps ?? 0)).toBe(true);
    }
  }, 120_000);
});
