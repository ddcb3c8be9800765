/**
 * Rules of the ops autograd itself defines: `stopGradient` (none) and `customGradient` (the
 * user's gradient function, carried in the node's attributes).
 *
 * @module
 */
import { Tensor, ValueError, zeros } from '@tessera/core';
import type { GradientRule, GradientThunk } from '../registry.js';
import { noGradient, type RuleTable } from './common.js';

type GradFunc = (dy: Tensor) => Tensor | readonly (Tensor | null)[];

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  return Array.isArray(x) ? `an array of ${x.length}` : typeof x === 'object' ? 'an object' : `a ${typeof x}`;
}

const customGradientRule: GradientRule = {
  grad: ([dy], s) => {
    const gradFunc = s.attrs['gradFunc'] as GradFunc;
    const n = s.inputSpecs.length;
    let cache: readonly (Tensor | null)[] | undefined;
    const all = (): readonly (Tensor | null)[] => {
      if (cache !== undefined) return cache;
      const g = gradFunc(dy!);
      const list = g instanceof Tensor ? [g] : Array.isArray(g) ? (g as readonly unknown[]) : null;
      if (list === null || list.length !== n) {
        throw new ValueError(
          `customGradient: gradFunc must return ${n === 1 ? 'a tensor or ' : ''}an array of ${n} gradients (one per input), got ${describe(g)}`,
        );
      }
      list.forEach((t, i) => {
        if (t !== null && !(t instanceof Tensor)) {
          throw new ValueError(`customGradient: gradFunc's gradient ${i} is ${describe(t)}, not a tensor or null`);
        }
      });
      cache = list as readonly (Tensor | null)[];
      return cache;
    };
    return s.inputSpecs.map(
      (spec, i): GradientThunk =>
        () => all()[i] ?? zeros(spec.shape as number[], spec.dtype),
    );
  },
};

/** Rules of autograd's own ops. @internal */
export function customRules(): RuleTable {
  return [
    ['stopGradient', noGradient()],
    ['customGradient', customGradientRule],
  ];
}
