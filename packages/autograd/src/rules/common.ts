/**
 * Small helpers for writing gradient rules.
 *
 * @module
 */
import type { GradientRule, GradientThunk } from '../registry.js';

/** A rule for a non-differentiable op: no input gets a gradient. @internal */
export function noGradient(): GradientRule {
  return { grad: (_dys, saved) => saved.inputSpecs.map((): GradientThunk => null) };
}

/** Entries of a rule table. @internal */
export type RuleTable = Array<[string, GradientRule]>;
