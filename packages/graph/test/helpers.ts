import type { Backend, Kernel } from '@tessera/core';

/** A backend that forwards to `base` and counts kernel calls per op and the peak of live buffers. */
export interface CountingBackend extends Backend {
  readonly calls: Map<string, number>;
  peakBuffers: number;
  reset(): void;
}

export function countingBackend(base: Backend): CountingBackend {
  const calls = new Map<string, number>();
  const kernels: Record<string, Kernel> = {};
  const self: CountingBackend = {
    specificationVersion: 1,
    name: `counting-${base.name}`,
    capabilities: base.capabilities,
    kernels,
    calls,
    peakBuffers: 0,
    reset() {
      calls.clear();
      self.peakBuffers = base.memory().numBuffers;
    },
    write: (v, s, d) => {
      const id = base.write(v, s, d);
      self.peakBuffers = Math.max(self.peakBuffers, base.memory().numBuffers);
      return id;
    },
    read: (id) => base.read(id),
    readSync: (id) => base.readSync!(id),
    disposeData: (id) => base.disposeData(id),
    memory: () => base.memory(),
    dispose: () => base.dispose(),
  };
  for (const [name, k] of Object.entries(base.kernels)) {
    if (k === undefined) continue;
    kernels[name] = (args) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      const r = k(args);
      self.peakBuffers = Math.max(self.peakBuffers, base.memory().numBuffers);
      return r;
    };
  }
  return self;
}

/** A backend that forwards to `base` but, like WebGPU, only reads asynchronously. */
export function asyncOnlyBackend(base: Backend): Backend {
  return {
    specificationVersion: 1,
    name: `async-${base.name}`,
    capabilities: { dtypes: base.capabilities.dtypes, syncRead: false },
    kernels: base.kernels,
    write: (v, s, d) => base.write(v, s, d),
    read: async (id) => {
      await new Promise((r) => setTimeout(r, 0));
      return base.read(id);
    },
    disposeData: (id) => base.disposeData(id),
    memory: () => base.memory(),
    dispose: () => base.dispose(),
  };
}
