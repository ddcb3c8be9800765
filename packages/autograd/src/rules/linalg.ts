/**
 * Gradient rules of `matmul`, `dot` and `outerProduct`.
 *
 * @module
 */
import { dot, matmul, mul, outerProduct } from '@tessera/core';
import type { GradientRule } from '../registry.js';
import { unbroadcast } from '../unbroadcast.js';
import type { RuleTable } from './common.js';

/**
 * C = op(A) op(B) where op transposes the last two dims when asked; batch dims broadcast, so
 * each gradient is summed back to its input's shape.
 */
const matmulRule: GradientRule = {
  saveInputs: true,
  grad: ([dy], s) => {
    const tA = s.attrs['transposeA'] === true;
    const tB = s.attrs['transposeB'] === true;
    const [sa, sb] = s.inputSpecs;
    const g = dy!;
    return [
      () => {
        const b = s.input(1);
        let da;
        if (!tA && !tB) da = matmul(g, b, { transposeB: true });
        else if (!tA && tB) da = matmul(g, b);
        else if (tA && !tB) da = matmul(b, g, { transposeB: true });
        else da = matmul(b, g, { transposeA: true, transposeB: true });
        return unbroadcast(da, sa!.shape);
      },
      () => {
        const a = s.input(0);
        let db;
        if (!tA && !tB) db = matmul(a, g, { transposeA: true });
        else if (!tA && tB) db = matmul(g, a, { transposeA: true });
        else if (tA && !tB) db = matmul(a, g);
        else db = matmul(g, a, { transposeA: true, transposeB: true });
        return unbroadcast(db, sb!.shape);
      },
    ];
  },
};

/** dot of vectors and matrices (ranks 1 and 2). */
const dotRule: GradientRule = {
  saveInputs: true,
  grad: ([dy], s) => {
    const ra = s.inputSpecs[0]!.shape.length;
    const rb = s.inputSpecs[1]!.shape.length;
    const g = dy!;
    return [
      () => {
        const b = s.input(1);
        if (ra === 1 && rb === 1) return mul(g, b);
        if (ra === 2 && rb === 1) return outerProduct(g, b); // [m] x [k] -> [m, k]
        if (ra === 1 && rb === 2) return dot(b, g); // [k, n] . [n] -> [k]
        return matmul(g, b, { transposeB: true });
      },
      () => {
        const a = s.input(0);
        if (ra === 1 && rb === 1) return mul(g, a);
        if (ra === 2 && rb === 1) return dot(g, a); // [m] . [m, k] -> [k]
        if (ra === 1 && rb === 2) return outerProduct(a, g); // [k] x [n] -> [k, n]
        return matmul(a, g, { transposeA: true });
      },
    ];
  },
};

const outerProductRule: GradientRule = {
  saveInputs: true,
  grad: ([dy], s) => [() => dot(dy!, s.input(1)), () => dot(s.input(0), dy!)],
};

/** Gradient rules of linear algebra ops. @internal */
export function linalgRules(): RuleTable {
  return [
    ['matmul', matmulRule],
    ['dot', dotRule],
    ['outerProduct', outerProductRule],
  ];
}
