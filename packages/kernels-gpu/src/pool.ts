/// <reference types="@webgpu/types" />
/**
 * A size-class buffer pool with a byte cap. Sizes are rounded up to classes spaced a quarter
 * of a power of two apart (at most 25% waste; small sizes in steps of 16 bytes, so every
 * buffer can be bound as an array of 16-byte vectors), so tensors of many slightly different
 * shapes still reuse each other's buffers; idle buffers beyond the cap are destroyed, oldest
 * first. The cap is asked of a callback at each release, so the backend can derive it from
 * what is live (see `WebGpuBackendOptions.maxPooledBytes`).
 *
 * @module
 */

/** The smallest buffer the pool hands out, in bytes. @internal */
export const MIN_BUFFER_BYTES = 16;

/**
 * The size class of a request: the smallest of `2^k`, `1.25·2^k`, `1.5·2^k`, `1.75·2^k` that holds
 * `bytes` (at least {@link MIN_BUFFER_BYTES}), below 64 bytes the next multiple of 16. Always a
 * multiple of 16, so a buffer can be bound as `array<vec4<...>>` over all its elements.
 * @internal
 */
export function sizeClass(bytes: number): number {
  const n = Math.max(bytes, MIN_BUFFER_BYTES);
  const k = Math.floor(Math.log2(n));
  const base = 2 ** k;
  if (base === n) return n;
  const step = Math.max(16, base / 4);
  return Math.ceil(n / step) * step;
}

/** The least idle bytes the adaptive cap allows (256 MiB). @internal */
export const POOL_FLOOR_BYTES: number = 256 * 1024 * 1024;

/**
 * The adaptive cap on idle bytes: idle buffers are kept while live and idle bytes together stay
 * within the most bytes live at once, or `floor` when that is larger.
 * @internal
 */
export function adaptivePoolCap(liveBytes: number, peakLiveBytes: number, floor: number = POOL_FLOOR_BYTES): number {
  return Math.max(0, Math.max(floor, peakLiveBytes) - liveBytes);
}

/** Reuses GPU buffers by (usage, size class). @internal */
export class BufferPool {
  /** Idle buffers by `${usage}:${size}`. */
  private readonly free = new Map<string, GPUBuffer[]>();
  /** Idle buffers in the order they were released (for eviction). */
  private readonly order = new Set<GPUBuffer>();
  /** Bytes held by idle buffers. */
  pooledBytes = 0;
  /** Buffers created so far (for diagnostics). */
  created = 0;

  constructor(
    private readonly device: GPUDevice,
    /** Most bytes kept idle, asked at each release; releases beyond it destroy buffers. */
    private readonly cap: () => number,
  ) {}

  /** A buffer of exactly `size` bytes (a size class) and `usage`, reused when one is idle. */
  acquire(size: number, usage: number, label: string): GPUBuffer {
    const list = this.free.get(`${usage}:${size}`);
    const hit = list?.pop();
    if (hit !== undefined) {
      this.order.delete(hit);
      this.pooledBytes -= hit.size;
      return hit;
    }
    this.created++;
    return this.device.createBuffer({ size, usage, label });
  }

  /** Returns a buffer to the pool (or destroys it when the pool is full). */
  release(buffer: GPUBuffer): void {
    const cap = this.cap();
    if (buffer.size > cap) {
      buffer.destroy();
      return;
    }
    while (this.pooledBytes + buffer.size > cap) this.evictOldest();
    const key = `${buffer.usage}:${buffer.size}`;
    let list = this.free.get(key);
    if (list === undefined) this.free.set(key, (list = []));
    list.push(buffer);
    this.order.add(buffer);
    this.pooledBytes += buffer.size;
  }

  private evictOldest(): void {
    const oldest = this.order.values().next().value;
    if (oldest === undefined) return;
    this.order.delete(oldest);
    const list = this.free.get(`${oldest.usage}:${oldest.size}`);
    if (list !== undefined) {
      const i = list.indexOf(oldest);
      if (i >= 0) list.splice(i, 1);
    }
    this.pooledBytes -= oldest.size;
    oldest.destroy();
  }

  /** Destroys every idle buffer. */
  clear(): void {
    for (const b of this.order) b.destroy();
    this.order.clear();
    this.free.clear();
    this.pooledBytes = 0;
  }
}
