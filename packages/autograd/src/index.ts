/**
 * `@tessera/autograd`: gradient rules for every op, one backpropagation algorithm shared by
 * the eager tape and graph mode, and TensorFlow-eager-style gradient functions.
 *
 * ```ts
 * import { setBackend } from '@tessera/core';
 * import { createCpuBackend } from '@tessera/kernels-cpu';
 * import { gradientsFunction } from '@tessera/autograd';
 *
 * setBackend(await createCpuBackend());
 * const g = gradientsFunction((x, y) => x.square().add(y.pow(3)));
 * const [dx, dy] = g(1, 2); // 2, 12
 * ```
 *
 * @packageDocumentation
 */
export { NoGradientError, GradientCheckError, type GradientCheckReportLike } from './errors.js';
export {
  registerGradient,
  getGradient,
  listGradients,
  type GradientRule,
  type GradientContext,
  type GradientThunk,
} from './registry.js';
export { unbroadcast, keptShape } from './unbroadcast.js';
export { backpropagate, type GradientNode, type BackpropOptions } from './backprop.js';
export {
  gradientsFunction,
  valueAndGradientsFunction,
  implicitGradients,
  implicitValueAndGradients,
  valueAndVariableGradients,
  grad,
  valueAndGrad,
  type GradientOptions,
} from './functions.js';
export { GradientTape, type GradientTapeOptions, type TapeGradientOptions } from './gradient-tape.js';
export { gradients } from './symbolic.js';
export { customGradient, stopGradient, type CustomGradientResult } from './custom.js';
export {
  checkGradients,
  type CheckGradientsOptions,
  type GradientCheckReport,
  type InputGradientCheck,
} from './check.js';
