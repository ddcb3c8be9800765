/**
 * Converting JavaScript values (numbers, booleans, nested arrays, typed arrays) to tensors.
 *
 * @module
 */
import { assertDType, makeTypedArray, type DType, type TypedArray } from './dtype.js';
import { ENGINE } from './engine.js';
import { DTypeError, ValueError } from './errors.js';
import type { NestedArray } from './format.js';
import { checkShape, formatShape, sizeOf, type Shape } from './shape.js';
import { Tensor, type TensorLike } from './tensor.js';

/** @internal */
export function isTypedArray(x: unknown): x is ArrayBufferView & ArrayLike<number> {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

function dtypeOfTypedArray(x: ArrayBufferView, fn: string): DType {
  if (x instanceof Float32Array) return 'float32';
  if (x instanceof Float64Array) return 'float64';
  if (x instanceof Int32Array || x instanceof Int16Array || x instanceof Int8Array || x instanceof Uint16Array) return 'int32';
  if (x instanceof Uint8Array || x instanceof Uint8ClampedArray) return 'int32';
  throw new DTypeError(
    `${fn}: ${x.constructor.name} is not supported (its values may not fit int32); ` +
      `use Float32Array, Float64Array, Int32Array, Int16Array, Int8Array, Uint16Array or Uint8Array`,
  );
}

function inferNested(values: NestedArray, fn: string): { shape: number[]; flat: (number | boolean)[]; kind: 'number' | 'boolean' | 'empty' } {
  const shape: number[] = [];
  let level: unknown = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  const flat: (number | boolean)[] = [];
  let kind: 'number' | 'boolean' | 'empty' = 'empty';
  const walk = (v: unknown, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (Array.isArray(v)) {
        throw new ValueError(`${fn}: ragged nested array: element ${path} is an array, but ${formatShape(shape)} expects a value there`);
      }
      const k = typeof v;
      if (k !== 'number' && k !== 'boolean') {
        throw new ValueError(`${fn}: element ${path} is ${v === null ? 'null' : k}; expected numbers or booleans`);
      }
      if (kind === 'empty') kind = k;
      else if (kind !== k) throw new ValueError(`${fn}: element ${path} is a ${k}, but earlier elements are ${kind}s; do not mix them`);
      flat.push(v as number | boolean);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new ValueError(
        `${fn}: ragged nested array: element ${path || '(top)'} has ${Array.isArray(v) ? `length ${v.length}` : 'no array'}, ` +
          `expected an array of length ${shape[dim]} (every row must have the same length)`,
      );
    }
    for (let i = 0; i < v.length; i++) walk(v[i], dim + 1, `${path}[${i}]`);
  };
  walk(values, 0, '');
  return { shape, flat, kind };
}

/**
 * Parses values into a flat typed array, a shape and a dtype, validating them.
 * @internal
 */
export function parseValues(
  values: unknown,
  shape: readonly number[] | undefined,
  dtype: DType | undefined,
  fn: string,
): { values: TypedArray; shape: Shape; dtype: DType } {
  if (dtype !== undefined) assertDType(dtype, fn);
  if (shape !== undefined) checkShape(shape, fn);
  let flat: ArrayLike<number | boolean>;
  let inferredShape: number[];
  let inferredDType: DType;
  if (typeof values === 'number' || typeof values === 'boolean') {
    flat = [values];
    inferredShape = [];
    inferredDType = typeof values === 'boolean' ? 'bool' : 'float32';
  } else if (isTypedArray(values)) {
    flat = values;
    inferredShape = [values.length];
    inferredDType = dtypeOfTypedArray(values, fn);
  } else if (Array.isArray(values)) {
    const r = inferNested(values as NestedArray, fn);
    flat = r.flat;
    inferredShape = r.shape;
    inferredDType = r.kind === 'boolean' ? 'bool' : 'float32';
  } else {
    throw new ValueError(
      `${fn}: cannot make a tensor from ${values === null ? 'null' : typeof values}; ` +
        `pass a number, a boolean, a typed array or a nested array`,
    );
  }
  const dt = dtype ?? inferredDType;
  let finalShape: Shape = inferredShape;
  if (shape !== undefined) {
    const n = sizeOf(shape);
    if (flat.length === 1 && inferredShape.length === 0) {
      // a scalar with an explicit shape fills it
      const v = Number(flat[0]);
      const out = makeTypedArray(dt, n);
      out.fill(dt === 'bool' ? (v !== 0 ? 1 : 0) : v);
      return { values: out, shape: [...shape], dtype: dt };
    }
    if (n !== flat.length) {
      throw new ValueError(
        `${fn}: shape ${formatShape(shape)} needs ${n} values, but ${flat.length} were given (${formatShape(inferredShape)})`,
      );
    }
    finalShape = [...shape];
  }
  const out = makeTypedArray(dt, flat.length);
  if (dt === 'bool') {
    for (let i = 0; i < flat.length; i++) out[i] = flat[i] ? 1 : 0;
  } else {
    for (let i = 0; i < flat.length; i++) out[i] = Number(flat[i]);
  }
  return { values: out, shape: finalShape, dtype: dt };
}

/**
 * Converts an op argument to a tensor. Tensors pass through; plain numbers are weakly typed
 * (they take `like`'s dtype when it is a float; with int32/bool they become int32 when they are
 * integers and float32 otherwise).
 * @internal
 */
export function toTensor(x: TensorLike, fn: string, arg: string, like?: DType): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === 'number' && like !== undefined) {
    const dt: DType = like === 'float32' || like === 'float64' ? like : Number.isInteger(x) ? 'int32' : 'float32';
    const v = makeTypedArray(dt, 1);
    v[0] = x;
    return ENGINE.fromValues(v, [], dt, fn);
  }
  if (x === undefined || x === null) {
    throw new ValueError(`${fn}: argument ${arg} is ${String(x)}; expected a tensor or tensor-like value`);
  }
  const p = parseValues(x, undefined, undefined, `${fn} (argument ${arg})`);
  return ENGINE.fromValues(p.values, p.shape, p.dtype, fn);
}

/** Throws a {@link DTypeError} unless `t` has one of `dtypes`. @internal */
export function checkDTypeIn(t: { dtype: DType }, dtypes: readonly DType[], fn: string, arg: string): void {
  if (!dtypes.includes(t.dtype)) {
    throw new DTypeError(`${fn}: ${arg} has dtype ${t.dtype}; expected ${dtypes.join(' or ')}`);
  }
}
