/**
 * Small helpers shared by the optimizer modules (not exported from the package).
 *
 * @module
 */
import { formatShape, isFloat, isVariable, scalar, Tensor, tensor, ValueError, type DType, type TensorLike } from '@tessera/core';

/** Converts an op argument: tensors pass through, numbers take `like`'s float dtype. @internal */
export function toTensorForOptim(x: TensorLike, fn: string, arg: string, like?: DType): Tensor {
  if (x instanceof Tensor) return x;
  const dt = like !== undefined && isFloat(like) ? like : undefined;
  if (typeof x === 'number') return scalar(x, dt);
  if (x === undefined || x === null) {
    throw new ValueError(`${fn}: ${arg} is ${String(x)}; expected a tensor or a number`);
  }
  return tensor(x, undefined, dt);
}

/** A short description of a value for error messages. @internal */
export function describe(x: unknown): string {
  if (isVariable(x)) return `variable '${x.name}' of shape ${formatShape(x.shape)}`;
  if (x instanceof Tensor) return `a ${x.dtype} tensor of shape ${formatShape(x.shape)}`;
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'function') return 'a function';
  if (typeof x === 'object') return 'an object';
  if (typeof x === 'string') return `the string '${x}'`;
  return `${typeof x} ${String(x)}`;
}

/** Throws a ValueError unless `lr` is a finite number > 0. @internal */
export function checkLearningRate(fn: string, lr: unknown, what = 'learning rate'): number {
  if (typeof lr !== 'number' || !Number.isFinite(lr) || !(lr > 0)) {
    throw new ValueError(`${fn}: the ${what} must be a finite number > 0, got ${describe(lr)}`);
  }
  return lr;
}
