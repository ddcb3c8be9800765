/**
 * The global step: an int32 scalar, non-trainable variable named `global_step` that counts
 * training updates. Pass it to `minimize` / `applyGradients` (`{ globalStep }`) and they add one
 * to it after each update; schedules are then evaluated at its value.
 *
 * @module
 */
import { activeGraphHook, getBackend, getVariable, type Variable } from '@tessera/core';

/*
 * One global step per context: in eager mode per backend (the variable lives on the backend
 * that was current when it was created); while a graph is being built, per graph hook object
 * (the graph package gives each graph its hook, so each graph gets its own step).
 */
const steps = new WeakMap<object, Variable>();

function contextKey(): object {
  return activeGraphHook() ?? getBackend();
}

/**
 * Returns the global step variable of the current context, creating it (at 0) on first use:
 * an int32 scalar, non-trainable variable named `global_step`. In eager mode there is one per
 * backend, created lazily on the current backend; while a graph is being built there is one per
 * graph. A disposed global step is replaced by a fresh one on the next call.
 *
 * @example
 * ```ts
 * const globalStep = getOrCreateGlobalStep();
 * const opt = new GradientDescentOptimizer(exponentialDecay(0.1, 100, 0.96));
 * opt.minimize(loss, { globalStep }); // globalStep is now 1
 * ```
 */
export function getOrCreateGlobalStep(): Variable {
  const key = contextKey();
  let v = steps.get(key);
  if (v === undefined || v.isDisposed) {
    v = getVariable('global_step', { initializer: 0, dtype: 'int32', trainable: false });
    steps.set(key, v);
  }
  return v;
}

/**
 * Returns the current context's global step if {@link getOrCreateGlobalStep} created one (and
 * it has not been disposed), else `undefined`.
 *
 * @example
 * ```ts
 * getGlobalStep(); // undefined
 * getOrCreateGlobalStep();
 * getGlobalStep()?.item(); // 0
 * ```
 */
export function getGlobalStep(): Variable | undefined {
  const v = steps.get(contextKey());
  return v === undefined || v.isDisposed ? undefined : v;
}

/**
 * Disposes the current context's global step (if any) and forgets it, so that the next
 * {@link getOrCreateGlobalStep} starts again from 0. Meant for tests and for starting a new
 * training run in the same process.
 *
 * @example
 * ```ts
 * resetGlobalStep();
 * getOrCreateGlobalStep().item(); // 0
 * ```
 */
export function resetGlobalStep(): void {
  const key = contextKey();
  const v = steps.get(key);
  if (v !== undefined) {
    steps.delete(key);
    v.dispose();
  }
}
