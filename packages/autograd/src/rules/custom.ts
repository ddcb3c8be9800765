/**
 * Rules of the ops autograd itself defines.
 *
 * @module
 */
import { noGradient, type RuleTable } from './common.js';

/** Rules of autograd's own ops (`stopGradient`). @internal */
export function customRules(): RuleTable {
  return [['stopGradient', noGradient()]];
}
