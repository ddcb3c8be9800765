/**
 * Small helpers for writing gradient rules.
 *
 * @module
 */
import { formatShape, getOp, runOp, TesseraError, type Attrs, type PartialShape, type Tensor } from '@tessera/core';
import type { GradientRule, GradientThunk } from '../registry.js';

/** A rule for a non-differentiable op: no input gets a gradient. @internal */
export function noGradient(): GradientRule {
  return { grad: (_dys, saved) => saved.inputSpecs.map((): GradientThunk => null) };
}

/** Entries of a rule table. @internal */
export type RuleTable = Array<[string, GradientRule]>;

/** Runs an op by name with already-normalized attributes (as recorded). @internal */
export function runNamed(name: string, inputs: readonly Tensor[], attrs: Attrs): Tensor {
  const def = getOp(name);
  if (def === undefined) throw new TesseraError(`gradient: op '${name}' is not defined in this version of @tessera/core`);
  return runOp(def, inputs, attrs)[0]!;
}

/** The shape as concrete numbers; throws naming `what` when a dimension is unknown. @internal */
export function knownShape(shape: PartialShape, what: string): number[] {
  if (shape.some((d) => d === null)) {
    throw new TesseraError(`gradient of ${what}: needs the fully known shape, got ${formatShape(shape)} while building a graph`);
  }
  return shape as number[];
}
