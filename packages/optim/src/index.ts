/**
 * `@tessera/optim`: optimizers (gradient descent, momentum, Adam, AdamW, RMSProp, Adagrad) with
 * TF 1.x update formulas, the global step, learning-rate schedules and gradient clipping.
 *
 * ```ts
 * import { getVariable, setBackend } from '@tessera/core';
 * import { createCpuBackend } from '@tessera/kernels-cpu';
 * import { GradientDescentOptimizer } from '@tessera/optim';
 *
 * setBackend(await createCpuBackend());
 * const w = getVariable('w', { initializer: 3 });
 * const opt = new GradientDescentOptimizer(0.1);
 * for (let i = 0; i < 5; i++) opt.minimize(() => w.mul(5)).dispose();
 * w.item(); // 0.5
 * ```
 *
 * @packageDocumentation
 */
export {
  Optimizer,
  serializeOptimizerState,
  type LossFunction,
  type ComputeGradientsOptions,
  type ApplyGradientsOptions,
  type MinimizeOptions,
  type OptimizerConfig,
  type OptimizerState,
  type VariableSlotsState,
  type StateTensor,
  type SerializedTensor,
  type GetStateOptions,
  type SetStateOptions,
} from './optimizer.js';
export {
  GradientDescentOptimizer,
  MomentumOptimizer,
  AdamOptimizer,
  AdamWOptimizer,
  RMSPropOptimizer,
  AdagradOptimizer,
  type MomentumOptions,
  type AdamOptions,
  type AdamWOptions,
  type RMSPropOptions,
  type AdagradOptions,
} from './optimizers.js';
export {
  sgdUpdate,
  momentumUpdate,
  adamUpdate,
  adamWUpdate,
  rmsPropUpdate,
  centeredRmsPropUpdate,
  adagradUpdate,
  type MomentumUpdateOptions,
  type AdamUpdateOptions,
  type AdamWUpdateOptions,
  type RMSPropUpdateOptions,
} from './update-ops.js';
export { getOrCreateGlobalStep, getGlobalStep, resetGlobalStep } from './global-step.js';
export {
  exponentialDecay,
  piecewiseConstant,
  cosineDecay,
  linearWarmup,
  scheduleFromConfig,
  type LearningRate,
  type LearningRateSchedule,
  type BuiltinSchedule,
  type ScheduleConfig,
} from './schedules.js';
export {
  clipGradientsByValue,
  clipByNorm,
  clipGradientsByNorm,
  clipByGlobalNorm,
  globalNorm,
  type GradientAndVariable,
  type GradientList,
  type ClippedGradients,
  type ClipByGlobalNormOptions,
} from './clip.js';
