/**
 * Error classes specific to autograd. Bad arguments raise core's classes (`ValueError`,
 * `DTypeError`, `ShapeError`); these cover what only gradients can get wrong.
 *
 * @module
 */
import { TesseraError } from '@tessera/core';

/**
 * A gradient was requested through an op that has no gradient rule. The message names the op;
 * register a rule with {@link registerGradient} or cut the path with {@link stopGradient}.
 *
 * @example
 * ```ts
 * try {
 *   gradientsFunction((x) => myPluginOp(x))(1);
 * } catch (e) {
 *   if (e instanceof NoGradientError) console.log(e.op); // 'myPluginOp'
 * }
 * ```
 */
export class NoGradientError extends TesseraError {
  /** The op without a gradient rule. */
  readonly op: string;

  /** Creates the error for `op`; `detail` is appended to the message. */
  constructor(op: string, detail = '') {
    super(
      `no gradient is defined for op '${op}', which lies on the path from the sources to the target` +
        `${detail}; register one with registerGradient('${op}', rule), or cut the path with stopGradient()`,
    );
    this.op = op;
  }
}

/**
 * {@link checkGradients} found analytic gradients that disagree with finite differences. The
 * message names the input, the element, both values and the tolerance; `report` has the details.
 *
 * @example
 * ```ts
 * try {
 *   await checkGradients((x) => myOp(x), [tensor([1, 2])]);
 * } catch (e) {
 *   if (e instanceof GradientCheckError) console.log(e.report.maxError);
 * }
 * ```
 */
export class GradientCheckError extends TesseraError {
  /** The full comparison. */
  readonly report: GradientCheckReportLike;

  /** Creates the error with its report. */
  constructor(message: string, report: GradientCheckReportLike) {
    super(message);
    this.report = report;
  }
}

/**
 * The part of a gradient-check report an error carries (see `GradientCheckReport`).
 *
 * @example
 * ```ts
 * const r: GradientCheckReportLike = { ok: false, maxError: 0.3 };
 * ```
 */
export interface GradientCheckReportLike {
  /** Whether every element was within tolerance. */
  readonly ok: boolean;
  /** The largest error, relative to the tolerance (`<= 1` passes). */
  readonly maxError: number;
}
