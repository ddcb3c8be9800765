import { getBackend, setBackend, tensor, variable, type Backend, type Kernel, type Tensor } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdamOptimizer } from '../src/index.js';

/**
 * A CPU backend with an extra fused `adamUpdate` kernel: one loop per Adam step. It rounds to
 * float32 after every operation in the order the composition runs them, so its results must be
 * bit-identical to the op-by-op composition.
 */
async function cpuWithFusedAdam(calls: { n: number }): Promise<Backend> {
  const base = await createCpuBackend({ name: 'cpu-fused' });
  const f = Math.fround;
  const adamUpdate: Kernel = ({ inputs, attrs, outputs }) => {
    calls.n++;
    for (const i of inputs) if (i.dtype !== 'float32') throw new Error('test kernel: float32 only');
    const [x, m, v, g, lr, b1p, b2p] = inputs.map((i) => base.readSync(i.dataId)) as Float32Array[];
    const c1 = f(1 - (attrs['beta1'] as number));
    const c2 = f(1 - (attrs['beta2'] as number));
    const eps = f(attrs['epsilon'] as number);
    const alpha = f(f(lr![0]! * f(Math.sqrt(f(1 - b2p![0]!)))) / f(1 - b1p![0]!));
    const n = x!.length;
    const x1 = new Float32Array(n);
    const m1 = new Float32Array(n);
    const v1 = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const gi = g![i]!;
      m1[i] = f(m![i]! + f(f(gi - m![i]!) * c1));
      v1[i] = f(v![i]! + f(f(f(gi * gi) - v![i]!) * c2));
      x1[i] = f(x![i]! - f(f(m1[i]! * alpha) / f(f(Math.sqrt(v1[i]!)) + eps)));
    }
    return [x1, m1, v1].map((a, i) => base.write(a, outputs[i]!.shape, 'float32'));
  };
  return {
    specificationVersion: 1,
    name: base.name,
    capabilities: base.capabilities,
    kernels: { ...base.kernels, adamUpdate },
    write: (values, shape, dtype) => base.write(values, shape, dtype),
    read: (id) => base.read(id),
    readSync: (id) => base.readSync(id),
    disposeData: (id) => base.disposeData(id),
    memory: () => base.memory(),
    dispose: () => base.dispose(),
  };
}

function train(backend: Backend): { w: number[]; m: number[]; v: number[]; b: number } {
  setBackend(backend);
  const w = variable(tensor([0.5, -1.5, 2, 0.1]), { name: 'w' });
  const b = variable(0.3, { name: 'b' });
  const target = tensor([1, 2, -3, 0.5]);
  const adam = new AdamOptimizer(0.05, { beta1: 0.85, beta2: 0.99, epsilon: 1e-6 });
  for (let i = 0; i < 12; i++) {
    adam.minimize((): Tensor => w.sub(target).square().sum().add(b.mul(w.sum())).add(b.square())).dispose();
  }
  const out = {
    w: Array.from(w.dataSync()),
    m: Array.from(adam.getSlot(w, 'm')!.dataSync()),
    v: Array.from(adam.getSlot(w, 'v')!.dataSync()),
    b: b.item() as number,
  };
  adam.dispose();
  for (const t of [w, b, target]) t.dispose();
  return out;
}

let previous: Backend;
beforeAll(async () => {
  setBackend(await createCpuBackend());
  previous = getBackend();
});
afterAll(() => setBackend(previous));

describe('fused update kernels', () => {
  it('a backend kernel named adamUpdate replaces the composition, with the same numbers', async () => {
    const calls = { n: 0 };
    const fused = train(await cpuWithFusedAdam(calls));
    expect(calls.n).toBe(12 * 2); // one kernel call per variable per step
    const composed = train(await createCpuBackend());
    expect(fused.w).toEqual(composed.w);
    expect(fused.m).toEqual(composed.m);
    expect(fused.v).toEqual(composed.v);
    expect(fused.b).toBe(composed.b);
    // And it trained.
    expect(composed.w).not.toEqual([0.5, -1.5, 2, 0.1].map(Math.fround));
  });
});
