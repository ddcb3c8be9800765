import { sizeOf, stridesOf, type Shape } from '@tessera/core';

const cache = new Map<string, Int32Array>();
const MAX_CACHE = 64;

/**
 * For each element of `outShape`, the flat index of the element of an input of `inShape`
 * (right-aligned, size-1 dims broadcast) it reads. Cached per shape pair.
 * @internal
 */
export function broadcastIndex(inShape: Shape, outShape: Shape): Int32Array {
  const key = `${inShape.join(',')}|${outShape.join(',')}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const n = sizeOf(outShape);
  const rank = outShape.length;
  const inStrides = stridesOf(inShape);
  // effective stride per output dim (0 where broadcast)
  const eff = new Array<number>(rank).fill(0);
  for (let i = 0; i < rank; i++) {
    const j = i - (rank - inShape.length);
    if (j >= 0 && inShape[j] !== 1) eff[i] = inStrides[j]!;
  }
  const idx = new Int32Array(n);
  const counter = new Array<number>(rank).fill(0);
  let src = 0;
  for (let k = 0; k < n; k++) {
    idx[k] = src;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]!++;
      src += eff[d]!;
      if (counter[d]! < outShape[d]!) break;
      src -= eff[d]! * outShape[d]!;
      counter[d] = 0;
    }
  }
  if (cache.size >= MAX_CACHE) cache.delete(cache.keys().next().value!);
  cache.set(key, idx);
  return idx;
}

/** Whether two shapes are identical. @internal */
export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
