/**
 * Error classes thrown by Tessera. Every message names the public function that rejected its
 * input, the offending shapes, dtypes or values, and what would have been valid.
 *
 * @module
 */

/**
 * Base class of every error Tessera throws on purpose.
 *
 * @example
 * ```ts
 * try {
 *   matmul(zeros([2, 3]), zeros([4, 5]));
 * } catch (e) {
 *   if (e instanceof TesseraError) console.log(e.message);
 * }
 * ```
 */
export class TesseraError extends Error {
  /** Creates an error with the given message. */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A tensor had the wrong rank or shape, or two shapes could not be broadcast together.
 *
 * @example
 * ```ts
 * add(zeros([2, 3]), zeros([4])); // throws ShapeError: add: shapes [2,3] and [4] cannot be broadcast ...
 * ```
 */
export class ShapeError extends TesseraError {}

/**
 * A tensor or value had a dtype that the function does not accept.
 *
 * @example
 * ```ts
 * logicalAnd(ones([2]), ones([2])); // throws DTypeError: logicalAnd expects bool tensors ...
 * ```
 */
export class DTypeError extends TesseraError {}

/**
 * An argument had an invalid value: a negative size, a non-integer count, an unknown option,
 * an out-of-range axis or index, a ragged nested array.
 *
 * @example
 * ```ts
 * zeros([2, -1]); // throws ValueError: zeros: shape [2,-1] has a negative dimension ...
 * ```
 */
export class ValueError extends TesseraError {}

/**
 * A disposed tensor or variable was used.
 *
 * @example
 * ```ts
 * const t = ones([2]);
 * t.dispose();
 * t.add(1); // throws DisposedError
 * ```
 */
export class DisposedError extends TesseraError {}

/**
 * A backend problem: no backend set, a kernel the backend lacks, tensors of two backends mixed
 * in one op, or a synchronous read on a backend that only reads asynchronously.
 *
 * @example
 * ```ts
 * // with no backend set:
 * ones([2]); // throws BackendError: no backend is set ... call setBackend(createCpuBackend())
 * ```
 */
export class BackendError extends TesseraError {}

/**
 * The requested operation is not supported in the current context, for example reading the value
 * of a symbolic tensor while a graph is being built.
 *
 * @example
 * ```ts
 * // inside graph.asDefault(...):
 * if (x >= 0) {} // throws UnsupportedError: ... use cond()
 * ```
 */
export class UnsupportedError extends TesseraError {}
