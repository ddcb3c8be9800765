import { dropout, ones, setBackend, sum, type Backend, type Kernel } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { describe, expect, it } from 'vitest';
import { GradientTape } from '../src/index.js';

// A backend may fuse a composite that has no gradient rule (dropout's random mask cannot be
// rebuilt from its inputs). Under a tape the engine then runs the composition, so gradients
// still flow; without a tape the fused kernel runs.
describe('fused kernels for composites without a gradient rule', () => {
  it('are bypassed while a tape records, and used otherwise', async () => {
    const cpu = await createCpuBackend();
    let calls = 0;
    // a stand-in fused kernel (it keeps everything: enough to see whether it ran)
    const fused: Kernel = (args) => {
      calls++;
      return args.inputs[0]!.dataId;
    };
    const backend: Backend = Object.create(cpu, { kernels: { value: { ...cpu.kernels, dropout: fused } } }) as Backend;
    setBackend(backend);
    const x = ones([4]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = sum(dropout(x, 0.5, { seed: 3 }));
    const [dx] = tape.gradient(y, [x]);
    tape.dispose();
    expect(calls).toBe(0);
    // each kept element has gradient 1 / (1 - rate) = 2, each dropped one 0
    const g = Array.from(dx!.dataSync());
    expect(g.every((v) => v === 0 || v === 2)).toBe(true);
    expect(g.some((v) => v === 2)).toBe(true);
    // without a tape the fused kernel runs
    expect(Array.from(dropout(x, 0.5, { seed: 3 }).dataSync())).toEqual([1, 1, 1, 1]);
    expect(calls).toBe(1);
  });
});
