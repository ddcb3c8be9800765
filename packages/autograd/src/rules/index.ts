/**
 * The built-in rule table.
 *
 * @module
 */
import type { GradientRule } from '../registry.js';
import { elementwiseRules } from './elementwise.js';
import { customRules } from './custom.js';
import { reduceRules } from './reduce.js';
import { shapeRules } from './shape.js';
import { linalgRules } from './linalg.js';
import { convRules } from './conv.js';
import { nnRules } from './nn.js';
import { fusedRules } from './fused.js';

/** Every built-in gradient rule, keyed by op name. @internal */
export function builtinRules(): Array<[string, GradientRule]> {
  return [...elementwiseRules(), ...reduceRules(), ...shapeRules(), ...linalgRules(), ...convRules(), ...nnRules(), ...fusedRules(), ...customRules()];
}
