/**
 * The built-in rule table.
 *
 * @module
 */
import type { GradientRule } from '../registry.js';
import { elementwiseRules } from './elementwise.js';
import { customRules } from './custom.js';

/** Every built-in gradient rule, keyed by op name. @internal */
export function builtinRules(): Array<[string, GradientRule]> {
  return [...elementwiseRules(), ...customRules()];
}
