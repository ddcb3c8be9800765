/**
 * The allocator of the WebAssembly heap: hands out 64-byte aligned blocks of a linear memory by
 * byte offset. Free blocks are kept in size-class bins (four classes per power of two) and merged
 * with free neighbours when freed, so a training loop that allocates the same sizes every step
 * reuses the same (cache-warm) blocks, and mixed sizes do not fragment the heap without bound.
 * A free block that reaches the top of the heap returns to the untouched region.
 *
 * The allocator only does bookkeeping; the caller grows the memory when {@link Heap.top} passes
 * its size.
 *
 * @module
 * @internal
 */

/** Alignment (and granularity) of every block, in bytes. */
export const ALIGN = 64;

const SUB = 2; // log2 of classes per power of two
const NCLASSES = 32 << SUB;

/** The size class of a block of `bytes` (a multiple of ALIGN): blocks in class c are >= classMin(c). */
function classOf(bytes: number): number {
  const u = bytes / ALIGN; // >= 1
  const e = 31 - Math.clz32(u);
  if (e < SUB) return u - 1; // exact classes for the smallest sizes
  const m = (u >>> (e - SUB)) & ((1 << SUB) - 1);
  return (e << SUB) + m;
}

/** The smallest size of class `c`, in ALIGN units. */
function classMinUnits(c: number): number {
  const e = c >>> SUB;
  const m = c & ((1 << SUB) - 1);
  if (e < SUB) return c + 1;
  return (1 << e) + (m << (e - SUB));
}

/** Rounds a byte count up to a multiple of ALIGN (at least ALIGN). */
export function roundUp(bytes: number): number {
  return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
}

/**
 * Block bookkeeping over `[base, limit)` of a linear memory.
 */
export class Heap {
  /** End of the region ever handed out (above it the memory is untouched). */
  top: number;
  /** Bytes in live (allocated) blocks. */
  used = 0;
  /** Bytes in free blocks below `top`. */
  free = 0;
  /** Highest `top` ever reached: memory above it has never been written. */
  highWater: number;
  /** Whether the block of the latest {@link Heap.alloc} lies in never-written memory. */
  lastFresh = false;
  private readonly bins: Set<number>[] = [];
  private readonly freeSize = new Map<number, number>(); // start -> size of free blocks
  private readonly freeEnd = new Map<number, number>(); // end -> start of free blocks
  private readonly liveSize = new Map<number, number>(); // start -> size of live blocks

  constructor(
    readonly base: number,
    private readonly limit: number,
  ) {
    this.top = base;
    this.highWater = base;
    for (let i = 0; i < NCLASSES; i++) this.bins.push(new Set());
  }

  /** Size in bytes of the live block at `off`. */
  sizeOf(off: number): number {
    return this.liveSize.get(off) ?? 0;
  }

  /**
   * Allocates `bytes` (rounded up to {@link ALIGN}); returns the offset, or -1 when the heap
   * limit would be passed. Afterwards {@link Heap.lastFresh} tells whether the block was never
   * written before (it still reads as zeros).
   */
  alloc(bytes: number): number {
    const size = roundUp(bytes);
    const c = classOf(size);
    // the block's own class may hold smaller blocks: look at a few of them first
    let best = -1;
    const own = this.bins[c]!;
    if (own.size > 0) {
      let n = 0;
      for (const off of own) {
        if (this.freeSize.get(off)! >= size) {
          best = off;
          break;
        }
        if (++n === 8) break;
      }
    }
    if (best < 0) {
      for (let k = c + 1; k < NCLASSES; k++) {
        const bin = this.bins[k]!;
        if (bin.size > 0) {
          best = bin.values().next().value!;
          break;
        }
      }
    }
    if (best >= 0) {
      const have = this.freeSize.get(best)!;
      this.removeFree(best, have);
      if (have > size) this.addFree(best + size, have - size);
      this.liveSize.set(best, size);
      this.used += size;
      this.lastFresh = false;
      return best;
    }
    if (this.top + size > this.limit) return -1;
    const off = this.top;
    this.lastFresh = off >= this.highWater;
    this.top += size;
    if (this.top > this.highWater) this.highWater = this.top;
    this.liveSize.set(off, size);
    this.used += size;
    return off;
  }

  /** Frees the block at `off`. */
  release(off: number): void {
    const size = this.liveSize.get(off);
    if (size === undefined) return;
    this.liveSize.delete(off);
    this.used -= size;
    let start = off;
    let len = size;
    const prev = this.freeEnd.get(start);
    if (prev !== undefined) {
      const ps = this.freeSize.get(prev)!;
      this.removeFree(prev, ps);
      start = prev;
      len += ps;
    }
    const nextSize = this.freeSize.get(start + len);
    if (nextSize !== undefined) {
      this.removeFree(start + len, nextSize);
      len += nextSize;
    }
    if (start + len === this.top) this.top = start;
    else this.addFree(start, len);
  }

  /** Frees everything. */
  reset(): void {
    for (const b of this.bins) b.clear();
    this.freeSize.clear();
    this.freeEnd.clear();
    this.liveSize.clear();
    this.used = 0;
    this.free = 0;
    this.top = this.base;
  }

  private addFree(start: number, len: number): void {
    this.freeSize.set(start, len);
    this.freeEnd.set(start + len, start);
    this.bins[classOf(len)]!.add(start);
    this.free += len;
  }

  private removeFree(start: number, len: number): void {
    this.freeSize.delete(start);
    this.freeEnd.delete(start + len);
    this.bins[classOf(len)]!.delete(start);
    this.free -= len;
  }
}

/** @internal exposed for tests */
export const heapInternals: { classOf: (b: number) => number; classMinUnits: (c: number) => number } = { classOf, classMinUnits };
