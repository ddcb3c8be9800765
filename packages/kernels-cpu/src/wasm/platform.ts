/**
 * The few platform APIs the WebAssembly runtime needs (WebAssembly, workers, core count),
 * typed locally: the package compiles without DOM or Node typings, and bundlers never see a
 * static import of a Node module.
 *
 * @module
 * @internal
 */

/** A WebAssembly linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

/** A compiled module. */
export type WasmModule = object;

/** An instance's exports. */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

/** The subset of the `WebAssembly` namespace used here. */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<WasmInstance>;
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

/** The `WebAssembly` global, if the engine has one. */
export function wasmApi(): WasmApi | null {
  const w = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  return w !== undefined && typeof w.validate === 'function' ? w : null;
}

/** Whether this is Node.js. */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/**
 * The process's CPU time in milliseconds (all threads), where the platform reports it (Node);
 * null elsewhere.
 */
export function cpuClock(): (() => number) | null {
  const p = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process;
  const f = p?.cpuUsage;
  if (typeof f !== 'function') return null;
  return () => {
    const u = f.call(p);
    return (u.user + u.system) / 1000;
  };
}

/** Whether shared memory can be used here (SharedArrayBuffer and Atomics exist; in browsers the page must be cross-origin isolated). */
export function sharedMemoryAvailable(): boolean {
  const g = globalThis as { SharedArrayBuffer?: unknown; Atomics?: unknown; crossOriginIsolated?: boolean };
  if (typeof g.SharedArrayBuffer !== 'function' || typeof g.Atomics !== 'object') return false;
  if (!isNode() && g.crossOriginIsolated === false) return false;
  return true;
}

/** The number of logical cores (at least 1). */
export async function coreCount(): Promise<number> {
  if (isNode()) {
    try {
      const spec = 'node:os';
      const os = (await import(/* @vite-ignore */ spec)) as { availableParallelism?: () => number; cpus: () => unknown[] };
      return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
    } catch {
      return 1;
    }
  }
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, n ?? 1);
}

/** A worker thread, as the pool uses it. */
export interface ThreadHandle {
  post(msg: unknown): void;
  onMessage(fn: (msg: unknown) => void): void;
  onError(fn: (err: unknown) => void): void;
  /** Lets the process exit while the worker is alive (Node); a no-op in browsers. */
  unref(): void;
  terminate(): void;
}

/**
 * Starts a worker running `source` (plain JavaScript, no imports). In the worker, the global
 * `__post(msg)` sends to the parent and `__onMessage(fn)` receives. Node workers are unref'd once ready, so
 * they never keep the process alive. Returns null where workers cannot be created.
 */
export async function startWorker(source: string): Promise<ThreadHandle | null> {
  if (isNode()) {
    const spec = 'node:worker_threads';
    let wt: { Worker: new (src: string, o: { eval: boolean }) => NodeWorker };
    try {
      wt = (await import(/* @vite-ignore */ spec)) as typeof wt;
    } catch {
      return null;
    }
    const prologue =
      "const { parentPort } = require('node:worker_threads');" +
      'const __post = (m) => parentPort.postMessage(m);' +
      "const __onMessage = (f) => parentPort.on('message', f);\n";
    const w = new wt.Worker(prologue + source, { eval: true });
    return {
      post: (m) => w.postMessage(m),
      onMessage: (f) => w.on('message', f),
      onError: (f) => w.on('error', f),
      // adding a 'message' listener refs the worker's port again, so the pool calls this once
      // the worker is ready and its listeners are attached
      unref: () => w.unref(),
      terminate: () => void w.terminate(),
    };
  }
  const g = globalThis as {
    Worker?: new (url: string) => WebWorker;
    Blob?: new (parts: string[], o: { type: string }) => object;
    URL?: { createObjectURL(b: object): string; revokeObjectURL(u: string): void };
  };
  if (g.Worker === undefined || g.Blob === undefined || g.URL === undefined) return null;
  const prologue =
    'const __post = (m) => self.postMessage(m);' + 'const __onMessage = (f) => { self.onmessage = (e) => f(e.data); };\n';
  const url = g.URL.createObjectURL(new g.Blob([prologue + source], { type: 'text/javascript' }));
  const w = new g.Worker(url);
  return {
    post: (m) => w.postMessage(m),
    onMessage: (f) => {
      w.onmessage = (e) => f(e.data);
    },
    onError: (f) => {
      w.onerror = (e) => f(e);
    },
    unref: () => undefined,
    terminate: () => {
      w.terminate();
      g.URL!.revokeObjectURL(url);
    },
  };
}

interface NodeWorker {
  postMessage(m: unknown): void;
  on(ev: string, f: (x: unknown) => void): void;
  unref(): void;
  terminate(): Promise<number>;
}

interface WebWorker {
  postMessage(m: unknown): void;
  onmessage: ((e: { data: unknown }) => void) | null;
  onerror: ((e: unknown) => void) | null;
  terminate(): void;
}
