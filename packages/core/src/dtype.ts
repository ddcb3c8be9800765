/**
 * Data types and promotion rules.
 *
 * @module
 */
import { DTypeError } from './errors.js';

/**
 * The element types a tensor can hold.
 *
 * - `float32`: 32-bit IEEE float (the default for real numbers).
 * - `float64`: 64-bit IEEE float (reference precision; not every backend supports it).
 * - `int32`: 32-bit signed integer.
 * - `bool`: `true`/`false`, stored as bytes holding 0 or 1.
 *
 * @example
 * ```ts
 * const d: DType = 'int32';
 * tensor([1, 2], undefined, d).dtype; // 'int32'
 * ```
 */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

/**
 * All dtypes, in promotion order (each promotes to the ones after it).
 *
 * @example
 * ```ts
 * DTYPES.includes('int32'); // true
 * ```
 */
export const DTYPES: readonly DType[] = ['bool', 'int32', 'float32', 'float64'];

/**
 * The typed array that stores each dtype.
 *
 * @example
 * ```ts
 * const a: TypedArrayFor<'int32'> = new Int32Array(3);
 * ```
 */
export type TypedArrayFor<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int32'
      ? Int32Array
      : Uint8Array;

/**
 * Any typed array a tensor may be stored in.
 *
 * @example
 * ```ts
 * const v: TypedArray = new Float32Array([1, 2]);
 * ```
 */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * Whether `x` names a dtype.
 *
 * @example
 * ```ts
 * isDType('float32'); // true
 * isDType('float16'); // false
 * ```
 */
export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'float64' || x === 'int32' || x === 'bool';
}

/**
 * Throws a {@link DTypeError} unless `x` names a dtype.
 *
 * @example
 * ```ts
 * assertDType('float32', 'zeros'); // ok
 * ```
 */
export function assertDType(x: unknown, fn: string): asserts x is DType {
  if (!isDType(x)) {
    throw new DTypeError(`${fn}: unknown dtype ${JSON.stringify(x)}; valid dtypes are float32, float64, int32, bool`);
  }
}

/**
 * Whether the dtype holds real numbers (`float32` or `float64`).
 *
 * @example
 * ```ts
 * isFloat('float64'); // true
 * isFloat('int32'); // false
 * ```
 */
export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/**
 * Allocates a zero-filled typed array for a dtype.
 *
 * @example
 * ```ts
 * makeTypedArray('int32', 4); // Int32Array [0, 0, 0, 0]
 * ```
 */
export function makeTypedArray(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}

/**
 * Bytes per element of a dtype.
 *
 * @example
 * ```ts
 * bytesPerElement('float64'); // 8
 * ```
 */
export function bytesPerElement(dtype: DType): number {
  return dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4;
}

/**
 * The dtype that two dtypes promote to: the later of the two in `bool < int32 < float32 < float64`.
 *
 * Plain JavaScript numbers combined with a tensor are *weakly typed*: they take the tensor's dtype
 * when it is a float; with an `int32` or `bool` tensor they are `int32` when they are integers and
 * `float32` otherwise. See {@link resultDType}.
 *
 * @example
 * ```ts
 * upcast('int32', 'float32'); // 'float32'
 * upcast('bool', 'int32'); // 'int32'
 * ```
 */
export function upcast(a: DType, b: DType): DType {
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}

/**
 * The dtype of an arithmetic result of several dtypes: their {@link upcast}, except that `bool`
 * becomes `int32` (arithmetic on booleans counts).
 *
 * @example
 * ```ts
 * resultDType(['bool', 'bool']); // 'int32'
 * resultDType(['int32', 'float64']); // 'float64'
 * ```
 */
export function resultDType(dtypes: readonly DType[]): DType {
  let r: DType = 'bool';
  for (const d of dtypes) r = upcast(r, d);
  return r === 'bool' ? 'int32' : r;
}
