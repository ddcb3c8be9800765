/**
 * The browser page's program: creates the WebGPU backend on `navigator.gpu` and runs a
 * representative subset of the conformance kit (the first cases of every op the backend
 * supports, so every op family is covered), then publishes the results on
 * `globalThis.__tessera` for the Node side of the test to assert.
 */
import { cast, scope, setBackend, setKernelLeakCheck, tensor } from '@tessera/core';
import { CaseContext, conformanceCases, type ConformanceCase } from '@tessera/core/testing';
import { createWebGpuBackend } from '@tessera/kernels-gpu';

interface CaseResult {
  readonly op: string;
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
}

interface PageResult {
  readonly adapter: string;
  readonly results: CaseResult[];
  readonly error?: string;
}

const CASES_PER_OP = 2;

async function main(): Promise<PageResult> {
  const backend = await createWebGpuBackend();
  const info = backend.adapter?.info;
  const adapter = info === undefined ? 'unknown' : `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.trim();
  setBackend(backend);
  setKernelLeakCheck(true);
  const perOp = new Map<string, number>();
  const chosen: ConformanceCase[] = [];
  for (const c of conformanceCases) {
    if (c.dtypes !== undefined && !c.dtypes.every((d) => backend.capabilities.dtypes.includes(d))) continue;
    const n = perOp.get(c.op) ?? 0;
    if (n >= CASES_PER_OP) continue;
    perOp.set(c.op, n + 1);
    chosen.push(c);
  }
  // the kit's cast case needs float64; check the casts among this backend's dtypes by hand
  chosen.push({
    op: 'cast',
    name: 'float32, int32 and bool (hand-computed)',
    run: async (ctx) => {
      const f = tensor([1.7, -1.7, 0, 2.5, NaN]);
      await ctx.expectClose(cast(f, 'int32'), { shape: [5], dtype: 'int32', values: [1, -1, 0, 2, 0] });
      await ctx.expectClose(cast(f, 'bool'), { shape: [5], dtype: 'bool', values: [1, 1, 0, 1, 1] });
      await ctx.expectClose(cast(tensor([true, false]), 'float32'), { shape: [2], dtype: 'float32', values: [1, 0] });
      await ctx.expectClose(cast(tensor([3, 0], [2], 'int32'), 'bool'), { shape: [2], dtype: 'bool', values: [1, 0] });
    },
  });
  const results: CaseResult[] = [];
  for (const c of chosen) {
    const before = backend.memory().numBuffers;
    try {
      await scope(async () => {
        await c.run(new CaseContext(backend, 1));
      });
      const leaked = backend.memory().numBuffers - before;
      if (leaked !== 0) throw new Error(`leaked ${leaked} buffers`);
      results.push({ op: c.op, name: c.name, ok: true });
    } catch (e) {
      results.push({ op: c.op, name: c.name, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  }
  backend.dispose();
  return { adapter, results };
}

const g = globalThis as { __tessera?: PageResult };
main().then(
  (r) => {
    g.__tessera = r;
  },
  (e: unknown) => {
    g.__tessera = { adapter: 'none', results: [], error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) };
  },
);
