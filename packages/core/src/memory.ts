/**
 * Deterministic memory management: `tidy` for synchronous code, `scope` for async code,
 * `keep`, `dispose`, and `retain`. Tensors also implement `Symbol.dispose`, so `using t = ...`
 * frees them at the end of the block, and a `FinalizationRegistry` frees the backend memory of
 * tensors the program dropped (a backstop: garbage collection timing is not deterministic).
 *
 * @module
 */
import { collectTensors, ENGINE } from './engine.js';
import { TesseraError, ValueError } from './errors.js';
import { Tensor } from './tensor.js';

/**
 * Runs `fn` and disposes every tensor it created, except those it returns (in any nesting of
 * arrays and plain objects) and those marked with {@link keep}. `fn` must be synchronous; use
 * {@link scope} for async code.
 *
 * @example
 * ```ts
 * const y = tidy(() => {
 *   const a = ones([3]);
 *   return a.add(1); // `a` is freed, the result survives
 * });
 * ```
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ValueError('tidy: expected a function');
  const s = ENGINE.startScope();
  let result: T | undefined;
  try {
    result = fn();
    if (result instanceof Promise) {
      throw new TesseraError('tidy: the function returned a Promise; use `await scope(async () => ...)` for async code');
    }
    return result;
  } finally {
    ENGINE.endScope(s, result);
  }
}

/**
 * The async counterpart of {@link tidy}: the scope stays open across `await`, and when the
 * promise settles it disposes every tensor created while it was open, except the result's.
 *
 * Scopes nest. A tensor belongs to the innermost scope open when it was created, so two async
 * scopes running *concurrently* share tensors created while both were open; run them one after
 * the other, or create tensors in the outer one.
 *
 * @example
 * ```ts
 * const total = await scope(async () => {
 *   const x = tensor([1, 2, 3]);
 *   const v = await x.data();
 *   return sum(x).add(v[0]!);
 * });
 * ```
 */
export async function scope<T>(fn: () => Promise<T>): Promise<T> {
  if (typeof fn !== 'function') throw new ValueError('scope: expected a function');
  const s = ENGINE.startScope();
  let result: T | undefined;
  try {
    result = await fn();
    return result;
  } finally {
    ENGINE.endScope(s, result);
  }
}

/**
 * Marks a tensor so that no scope disposes it; it lives until {@link dispose} is called on it.
 *
 * @example
 * ```ts
 * let kept!: Tensor;
 * tidy(() => { kept = keep(ones([2])); });
 * kept.dataSync(); // still alive
 * ```
 */
export function keep<T extends Tensor>(t: T): T {
  if (!(t instanceof Tensor)) throw new ValueError('keep: expected a tensor');
  t.kept = true;
  return t;
}

/**
 * Disposes every tensor found in `x` (a tensor, or arrays / plain objects / Maps of them).
 *
 * @example
 * ```ts
 * const grads = [ones([2]), ones([3])];
 * dispose(grads);
 * ```
 */
export function dispose(x: unknown): void {
  const set = new Set<Tensor>();
  collectTensors(x, set);
  for (const t of set) t.dispose();
}

/**
 * A new, kept handle to the same (immutable) data as `t`, owned by the caller. For a variable,
 * it is a snapshot of the current value that later `assign`s do not change. Used by tapes to
 * save tensors for the backward pass without copying them.
 *
 * @example
 * ```ts
 * const snapshot = retain(v); // v.assign(...) later does not change `snapshot`
 * snapshot.dispose();
 * ```
 */
export function retain(t: Tensor): Tensor {
  if (t.isSymbolic) return t;
  if (t.isDisposed) throw new ValueError('retain: the tensor has been disposed');
  const r = ENGINE.makeTensor(t.dataId, t.shape, t.dtype, t.backend, false, t);
  r.kept = true;
  return r;
}
