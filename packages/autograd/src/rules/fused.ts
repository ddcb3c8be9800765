/**
 * Gradient rules of fused composites: `fusedMatmul` (matmul, bias, activation), so that a tape
 * records it as one node (and a backend's fused kernel runs forward) while the gradient is
 * written in closed form with core ops.
 *
 * @module
 */
import { greater, matmul, mul, sub, where, type Tensor } from '@tessera/core';
import type { GradientRule } from '../registry.js';
import { unbroadcast } from '../unbroadcast.js';
import type { RuleTable } from './common.js';

/** `dy` scaled by the activation's derivative, written with the output `y = act(z)`. */
function activationGradient(activation: unknown, dy: Tensor, y: Tensor): Tensor {
  switch (activation) {
    case 'relu':
      return where(greater(y, 0), dy, 0);
    case 'sigmoid':
      return mul(dy, mul(y, sub(1, y)));
    case 'tanh':
      return mul(dy, sub(1, mul(y, y)));
    default:
      return dy;
  }
}

/**
 * y = act(op(A) op(B) + bias). With g = dy * act'(z) (computed once from the saved output and
 * shared by the three thunks, which backprop runs in one scope), the gradients of A and B are
 * matmul's for g, and the bias gets g summed over the dimensions it was broadcast along.
 */
const fusedMatmulRule: GradientRule = {
  saveInputs: [0, 1],
  saveOutputs: true,
  grad: ([dy], s) => {
    const tA = s.attrs['transposeA'] === true;
    const tB = s.attrs['transposeB'] === true;
    const [sa, sb, sbias] = s.inputSpecs;
    let cached: Tensor | null = null;
    const g = (): Tensor => (cached ??= activationGradient(s.attrs['activation'], dy!, s.output(0)));
    return [
      () => {
        const b = s.input(1);
        let da;
        if (!tA && !tB) da = matmul(g(), b, { transposeB: true });
        else if (!tA && tB) da = matmul(g(), b);
        else if (tA && !tB) da = matmul(b, g(), { transposeB: true });
        else da = matmul(b, g(), { transposeA: true, transposeB: true });
        return unbroadcast(da, sa!.shape);
      },
      () => {
        const a = s.input(0);
        let db;
        if (!tA && !tB) db = matmul(a, g(), { transposeA: true });
        else if (!tA && tB) db = matmul(g(), a, { transposeA: true });
        else if (tA && !tB) db = matmul(a, g());
        else db = matmul(g(), a, { transposeA: true, transposeB: true });
        return unbroadcast(db, sb!.shape);
      },
      // without a bias the input is an internal scalar zero: no gradient
      s.attrs['hasBias'] === true ? () => unbroadcast(g(), sbias!.shape) : null,
    ];
  },
};

/** Gradient rules of fused composites. @internal */
export function fusedRules(): RuleTable {
  return [['fusedMatmul', fusedMatmulRule]];
}
