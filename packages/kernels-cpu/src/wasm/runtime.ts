/**
 * The WebAssembly runtime of the CPU backend: one linear memory (shared between threads where
 * `SharedArrayBuffer` exists), the kernel module instantiated on it, a heap allocator over it,
 * and a pool of worker threads that run kernel chunks on the same memory.
 *
 * Dispatch: a parallel kernel is a wasm function `(args, chunk, tid)`; the caller writes its
 * arguments to the argument block, publishes the call in the control block and wakes the
 * workers (`Atomics.notify`). Every thread, the caller included, claims chunks with a
 * compare-and-swap on a counter tagged with the call's generation (a late worker can never
 * run a chunk of a newer call with stale arguments), and the caller waits until all chunks are
 * done. Dynamic claiming keeps all threads busy when the cores are shared with other work.
 *
 * @module
 * @internal
 */
import { Heap, roundUp } from './heap.js';
import { buildKernelModule, KERNEL_EXPORTS } from './module.js';
import { coreCount, cpuClock, sharedMemoryAvailable, startWorker, wasmApi, type ThreadHandle, type WasmMemory, type WasmModule } from './platform.js';

/** Byte offset of the control block (Int32 words). */
const CTRL = 1024;
/** Byte offset of the argument block. */
export const ARGS = 2048;
/** Size of the argument block in bytes. */
export const ARGS_BYTES = 1024;
/** A 256-byte block of zeros (read by kernels where padding reads zero). */
export const ZERO = 3072;
/** First byte of the heap. */
const HEAP_BASE = 65536;
const PAGE = 65536;

// control words
const GEN = 0;
const FN = 1;
const NCHUNKS = 2;
const NEXT = 3;
const DONE = 4;
const ERR = 5;
const MAXT = 6;
/** Chunks run by worker threads (not the calling thread), since the runtime started. */
const WORKED = 7;

const MAX_CHUNKS = 1 << 20;

/** Runs inside each worker: instantiate, then wait for calls and claim chunks. */
const WORKER_SOURCE = `
__onMessage((msg) => {
  const { module, memory, names, tid } = msg;
  WebAssembly.instantiate(module, { env: { memory } }).then((inst) => {
    const fns = names.map((n) => inst.exports[n]);
    const ctrl = new Int32Array(memory.buffer, ${CTRL}, 16);
    __post('ready');
    let seen = Atomics.load(ctrl, ${GEN});
    for (;;) {
      Atomics.wait(ctrl, ${GEN}, seen);
      const gen = Atomics.load(ctrl, ${GEN});
      if (gen === seen) continue;
      seen = gen;
      const id = Atomics.load(ctrl, ${FN});
      if (id < 0) break;
      const n = Atomics.load(ctrl, ${NCHUNKS});
      if (tid >= Atomics.load(ctrl, ${MAXT})) continue;
      const tag = gen & 0xfff;
      const fn = fns[id];
      for (;;) {
        const v = Atomics.load(ctrl, ${NEXT});
        if (((v >>> 20) & 0xfff) !== tag) break;
        const c = v & 0xfffff;
        if (c >= n) break;
        if (Atomics.compareExchange(ctrl, ${NEXT}, v, v + 1) !== v) continue;
        try { fn(${ARGS}, c, tid); } catch (e) { Atomics.store(ctrl, ${ERR}, 1); }
        Atomics.add(ctrl, ${WORKED}, 1);
        if (Atomics.add(ctrl, ${DONE}, 1) + 1 === n) Atomics.notify(ctrl, ${DONE});
      }
    }
  });
});
`;

/** What the engine and machine offer. */
export interface WasmFeatures {
  /** 128-bit SIMD. */
  readonly simd: boolean;
  /** Relaxed SIMD (fused multiply-add). */
  readonly relaxedSimd: boolean;
  /** Shared memory (threads). */
  readonly sharedMemory: boolean;
}

const moduleCache = new Map<string, Promise<WasmModule>>();

/** Feature detection by validating tiny modules. */
export function detectFeatures(): WasmFeatures {
  const w = wasmApi();
  if (w === null) return { simd: false, relaxedSimd: false, sharedMemory: false };
  const probe = (body: number[]): boolean => {
    const code = [0x00, ...body, 0x0b];
    const bytes = new Uint8Array([
      0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
      1, 5, 1, 0x60, 0, 1, 0x7b, // type: () -> v128
      3, 2, 1, 0,
      10, code.length + 2, 1, code.length, ...code,
    ]);
    try {
      return w.validate(bytes);
    } catch {
      return false;
    }
  };
  const zero = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
  const simd = probe([...zero]);
  const relaxedSimd = simd && probe([...zero, ...zero, ...zero, 0xfd, 0x85, 0x02]);
  let sharedMemory = false;
  if (sharedMemoryAvailable()) {
    try {
      const m = new w.Memory({ initial: 1, maximum: 1, shared: true });
      sharedMemory = m.buffer instanceof SharedArrayBuffer;
    } catch {
      sharedMemory = false;
    }
  }
  return { simd, relaxedSimd, sharedMemory };
}

/** Options of {@link WasmRuntime.create}. */
export interface RuntimeOptions {
  /** Threads in all, the calling thread included (1: no workers). */
  readonly threads: number;
  /** Use relaxed SIMD when available (default true). */
  readonly relaxedSimd?: boolean;
  /** Use shared memory when available (default true). Without it there are no workers. */
  readonly sharedMemory?: boolean;
}

/**
 * The memory, kernel instance, heap and thread pool of one backend.
 */
export class WasmRuntime {
  /** The kernel functions by export name. */
  readonly fn: Record<string, (...args: number[]) => unknown>;
  /** The heap allocator. */
  readonly heap: Heap;
  /** Features in use. */
  readonly features: WasmFeatures;
  private buf: ArrayBuffer | SharedArrayBuffer;
  /** Int32 view of the whole memory (refreshed after growth). */
  i32: Int32Array;
  /** Float32 view of the whole memory (refreshed after growth). */
  f32: Float32Array;
  private readonly ctrl: Int32Array;
  private readonly workers: ThreadHandle[] = [];
  private starting: Promise<void> = Promise.resolve();
  private readonly ids: Map<string, number>;
  private readonly canWait: boolean;
  private gen = 0;
  /** CPU-time clock (Node), to tell whether parallel runs really run in parallel. */
  private readonly cpu: (() => number) | null = cpuClock();
  /** Consecutive long parallel runs that got no more than one core's worth of CPU time. */
  private strikes = 0;
  /** Until this time (performance.now()), runs stay on the calling thread. */
  private serialUntil = 0;
  /** Runs that went to the workers, and runs kept on the calling thread because the cores were busy. */
  readonly stats: { parallel: number; heldBack: number } = { parallel: 0, heldBack: 0 };

  /** Chunks the worker threads have run (the calling thread's chunks not counted); 0 without shared memory. */
  get workerChunks(): number {
    return this.shared ? Atomics.load(this.ctrl, WORKED) : 0;
  }

  private constructor(
    readonly memory: WasmMemory,
    readonly shared: boolean,
    private readonly maxBytes: number,
    exports: Record<string, unknown>,
    private readonly module: WasmModule,
    features: WasmFeatures,
  ) {
    this.fn = exports as Record<string, (...args: number[]) => unknown>;
    this.features = features;
    this.buf = memory.buffer;
    this.i32 = new Int32Array(this.buf);
    this.f32 = new Float32Array(this.buf);
    this.ctrl = new Int32Array(this.buf, CTRL, 16);
    this.heap = new Heap(HEAP_BASE, maxBytes);
    this.ids = new Map(KERNEL_EXPORTS.map((n, i) => [n, i]));
    this.canWait = canAtomicsWait();
  }

  /**
   * Compiles (once per feature set) and instantiates the kernels. Returns null when the engine
   * lacks WebAssembly SIMD. Start workers with {@link WasmRuntime.ensureThreads}.
   */
  static async create(options: RuntimeOptions): Promise<WasmRuntime | null> {
    const w = wasmApi();
    const detected = detectFeatures();
    if (w === null || !detected.simd) return null;
    const shared = detected.sharedMemory && options.sharedMemory !== false;
    const relaxed = detected.relaxedSimd && options.relaxedSimd !== false;
    const features: WasmFeatures = { simd: true, relaxedSimd: relaxed, sharedMemory: shared };
    let memory: WasmMemory | null = null;
    let maxPages = 0;
    for (const pages of shared ? [65536, 32768, 16384, 8192] : [65536]) {
      try {
        memory = new w.Memory({ initial: 64, maximum: pages, shared });
        maxPages = pages;
        break;
      } catch {
        memory = null;
      }
    }
    if (memory === null) return null;
    const key = `${shared ? 's' : 'u'}${relaxed ? 'r' : 'p'}${maxPages}`;
    let modP = moduleCache.get(key);
    if (modP === undefined) {
      modP = w.compile(buildKernelModule({ shared, relaxed, maxPages }));
      moduleCache.set(key, modP);
    }
    const module = await modP;
    const inst = await w.instantiate(module, { env: { memory } });
    return new WasmRuntime(memory, shared, maxPages * PAGE, inst.exports, module, features);
  }

  /** Threads that can run chunks: the workers plus the calling thread. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Starts workers until `threads - 1` run (only with shared memory; a worker that fails to
   * start is left out).
   */
  ensureThreads(threads: number): Promise<void> {
    this.starting = this.starting.then(async () => {
      if (!this.shared) return;
      const want = Math.max(0, Math.floor(threads) - 1) - this.workers.length;
      if (want <= 0) return;
      const first = this.workers.length + 1;
      const started = await Promise.all(Array.from({ length: want }, (_, i) => this.startOne(first + i)));
      for (const t of started) if (t !== null) this.workers.push(t);
    });
    return this.starting;
  }

  private async startOne(tid: number): Promise<ThreadHandle | null> {
    const t = await startWorker(WORKER_SOURCE);
    if (t === null) return null;
    const ready = new Promise<boolean>((resolve) => {
      t.onMessage((m) => {
        if (m === 'ready') resolve(true);
      });
      t.onError(() => resolve(false));
    });
    t.post({ module: this.module, memory: this.memory, names: KERNEL_EXPORTS, tid });
    if (await ready) {
      t.unref();
      return t;
    }
    t.terminate();
    return null;
  }

  /** The current memory buffer (after any growth). */
  get buffer(): ArrayBuffer | SharedArrayBuffer {
    return this.buf;
  }

  /**
   * Allocates `bytes` on the heap, growing the memory if needed; returns the byte offset, or -1
   * when the memory cannot grow that far. With a non-shared memory, growth detaches earlier
   * views: re-create them after allocating.
   */
  alloc(bytes: number): number {
    const off = this.heap.alloc(bytes);
    if (off < 0) return -1;
    const end = off + roundUp(bytes);
    if (end > this.buf.byteLength) {
      const need = end - this.buf.byteLength;
      const slack = Math.max(need, this.buf.byteLength >>> 2, 16 << 20);
      const pages = Math.min(Math.ceil(slack / PAGE), (this.maxBytes - this.buf.byteLength) / PAGE);
      try {
        this.memory.grow(Math.max(pages, Math.ceil(need / PAGE)));
      } catch {
        this.heap.release(off);
        return -1;
      }
      this.refresh();
    }
    return off;
  }

  /** Whether the latest {@link WasmRuntime.alloc} returned never-written (zero) memory. */
  get lastFresh(): boolean {
    return this.heap.lastFresh;
  }

  /** Frees a heap block. */
  free(off: number): void {
    this.heap.release(off);
  }

  /** Bytes the linear memory holds (it never shrinks). */
  get memoryBytes(): number {
    return this.buf.byteLength;
  }

  private refresh(): void {
    this.buf = this.memory.buffer;
    this.i32 = new Int32Array(this.buf);
    this.f32 = new Float32Array(this.buf);
  }

  /** Writes i32 words to the argument block. */
  args(words: readonly number[]): number {
    const base = ARGS >> 2;
    for (let i = 0; i < words.length; i++) this.i32[base + i] = words[i]!;
    return ARGS;
  }

  /**
   * Runs `name(ARGS, chunk, tid)` for chunk = 0..chunks-1 on up to `threads` threads (the
   * calling thread included, so `tid < min(threads, this.threads)`); returns when all are done.
   * Arguments must already be in the argument block.
   */
  run(name: string, chunks: number, threads: number): void {
    const f = this.fn[name]!;
    if (chunks <= 0) return;
    const held = this.serialUntil > 0 && performance.now() < this.serialUntil;
    if (chunks === 1 || threads <= 1 || this.workers.length === 0 || held) {
      if (held && threads > 1 && chunks > 1) this.stats.heldBack++;
      for (let c = 0; c < chunks; c++) f(ARGS, c, 0);
      return;
    }
    this.stats.parallel++;
    const cpu = this.cpu;
    const c0 = cpu === null ? 0 : cpu();
    const t0 = performance.now();
    try {
      this.runParallel(f, name, chunks, threads);
    } finally {
      // On a machine whose cores are busy with other work, workers only time-share the calling
      // thread's core, which is slower than running alone: after three long runs in a row that got
      // no more than ~1.15 cores' worth of CPU time, stay on the calling thread for two seconds.
      if (cpu !== null) {
        const t1 = performance.now();
        const wall = t1 - t0;
        if (wall > 2) {
          const used = cpu() - c0;
          if (used < 1.15 * wall) {
            if (++this.strikes >= 3) {
              this.serialUntil = t1 + 2000;
              this.strikes = 0;
            }
          } else {
            this.strikes = 0;
          }
        }
      }
    }
  }

  private runParallel(f: (...args: number[]) => unknown, name: string, chunks: number, threads: number): void {
    if (chunks >= MAX_CHUNKS) throw new Error(`too many chunks (${chunks})`);
    const id = this.ids.get(name);
    if (id === undefined) throw new Error(`${name} is not in KERNEL_EXPORTS`);
    const ctrl = this.ctrl;
    const gen = (this.gen = (this.gen + 1) | 0);
    const tag = gen & 0xfff;
    Atomics.store(ctrl, FN, id);
    Atomics.store(ctrl, NCHUNKS, chunks);
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, ERR, 0);
    Atomics.store(ctrl, MAXT, threads);
    Atomics.store(ctrl, NEXT, tag << 20);
    Atomics.store(ctrl, GEN, gen);
    Atomics.notify(ctrl, GEN);
    let failure: unknown = null;
    for (;;) {
      const v = Atomics.load(ctrl, NEXT);
      const c = v & 0xfffff;
      if (c >= chunks) break;
      if (Atomics.compareExchange(ctrl, NEXT, v, v + 1) !== v) continue;
      try {
        f(ARGS, c, 0);
      } catch (e) {
        failure = e;
      }
      Atomics.add(ctrl, DONE, 1);
    }
    let spins = 0;
    for (;;) {
      const d = Atomics.load(ctrl, DONE);
      if (d >= chunks) break;
      if (this.canWait && ++spins > 64) Atomics.wait(ctrl, DONE, d, 50);
    }
    if (failure !== null) throw failure;
    if (Atomics.load(ctrl, ERR) !== 0) throw new Error('a kernel failed in a worker thread');
  }

  /** Stops the workers; the runtime keeps working on the calling thread alone. */
  stopThreads(): void {
    if (this.workers.length > 0) {
      Atomics.store(this.ctrl, FN, -1);
      Atomics.store(this.ctrl, GEN, (this.gen = (this.gen + 1) | 0));
      Atomics.notify(this.ctrl, GEN);
      for (const w of this.workers) w.terminate();
      this.workers.length = 0;
    }
  }
}

function canAtomicsWait(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** The default thread count: the number of cores. */
export async function defaultThreads(): Promise<number> {
  return coreCount();
}

interface Shared {
  readonly rt: Promise<WasmRuntime | null>;
  refs: number;
}
const refsOf = new Map<WasmRuntime, Shared>();
const runtimes = new Map<string, Shared>();

/**
 * The process-wide runtime for a feature choice, shared by every backend that asks for it (one
 * memory, one heap, one thread pool), with at least `threads` threads when shared memory is
 * available. Pair with {@link releaseRuntime}.
 */
export async function acquireRuntime(options: RuntimeOptions): Promise<WasmRuntime | null> {
  const key = `${options.relaxedSimd !== false}|${options.sharedMemory !== false}`;
  let entry = runtimes.get(key);
  if (entry === undefined) {
    entry = { rt: WasmRuntime.create(options), refs: 0 };
    runtimes.set(key, entry);
  }
  const rt = await entry.rt;
  if (rt === null) return null;
  entry.refs++;
  refsOf.set(rt, entry);
  await rt.ensureThreads(options.threads);
  return rt;
}

/** Releases a runtime from {@link acquireRuntime}; the last release stops its workers. */
export function releaseRuntime(rt: WasmRuntime): void {
  const entry = refsOf.get(rt);
  if (entry !== undefined && entry.refs > 0 && --entry.refs === 0) rt.stopThreads();
}

