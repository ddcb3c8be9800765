/**
 * Error classes of graph mode. Shape and dtype problems raise core's `ShapeError` and
 * `DTypeError`; these cover what only graphs and sessions can get wrong.
 *
 * @module
 */
import { TesseraError } from '@tessera/core';

/**
 * A graph was used wrongly: tensors of two graphs mixed in one op, a tensor of another graph
 * fetched or fed, a tensor created inside a `cond` branch used outside it, `cond` branches that
 * return different structures, malformed JSON, and the like.
 *
 * @example
 * ```ts
 * try {
 *   g2.asDefault(() => add(xFromG1, 1));
 * } catch (e) {
 *   if (e instanceof GraphError) console.log(e.message);
 * }
 * ```
 */
export class GraphError extends TesseraError {}

/**
 * A run needs a placeholder that was not fed. The message names the placeholder.
 *
 * @example
 * ```ts
 * try {
 *   session.run(y); // y depends on placeholder 'x'
 * } catch (e) {
 *   if (e instanceof MissingFeedError) console.log(e.placeholder); // 'x'
 * }
 * ```
 */
export class MissingFeedError extends GraphError {
  /** The name of the placeholder that needs a value. */
  readonly placeholder: string;

  /** Creates the error for placeholder `placeholder`. */
  constructor(message: string, placeholder: string) {
    super(message);
    this.placeholder = placeholder;
  }
}

/**
 * A run read a graph variable before the session initialized it. The message names the
 * variable; run `globalVariablesInitializer()` (or the variable's `initializer`) first.
 *
 * @example
 * ```ts
 * try {
 *   session.run(loss);
 * } catch (e) {
 *   if (e instanceof UninitializedVariableError) session.run(init);
 * }
 * ```
 */
export class UninitializedVariableError extends GraphError {
  /** The name of the variable. */
  readonly variable: string;

  /** Creates the error for variable `variable`. */
  constructor(message: string, variable: string) {
    super(message);
    this.variable = variable;
  }
}

/**
 * A closed {@link Session} was used.
 *
 * @example
 * ```ts
 * session.close();
 * session.run(y); // throws SessionClosedError
 * ```
 */
export class SessionClosedError extends GraphError {}
