/**
 * The `Optimizer` base class: gradients, updates, slots and state.
 *
 * @module
 */
import { valueAndVariableGradients } from '@tessera/autograd';
import {
  activeGraphHook,
  cast,
  DisposedError,
  DTypeError,
  fill,
  formatShape,
  identity,
  isFloat,
  isVariable,
  scalar,
  shapesEqual,
  ShapeError,
  Tensor,
  tensor,
  tidy,
  ValueError,
  variable,
  withoutRecording,
  type DType,
  type Shape,
  type Variable,
} from '@tessera/core';
import type { GradientAndVariable } from './clip.js';
import { scheduleFromConfig, type LearningRate, type LearningRateSchedule, type ScheduleConfig } from './schedules.js';
import { checkLearningRate, describe } from './util.js';

/**
 * A loss for eager mode: a function that computes a scalar float tensor from variables. The
 * optimizer calls it under a gradient tape. (In graph mode the loss is the symbolic tensor
 * itself.)
 *
 * @example
 * ```ts
 * const loss: LossFunction = () => meanSquaredError(y, matmul(x, w).add(b));
 * ```
 */
export type LossFunction = () => Tensor;

/**
 * Options of {@link Optimizer.computeGradients}.
 *
 * @example
 * ```ts
 * optimizer.computeGradients(loss, { varList: [w, b] });
 * ```
 */
export interface ComputeGradientsOptions {
  /**
   * The variables to differentiate with respect to, in the order of the result. Default: the
   * trainable variables the loss used, in order of first use.
   */
  readonly varList?: readonly Variable[];
}

/**
 * Options of {@link Optimizer.applyGradients}.
 *
 * @example
 * ```ts
 * optimizer.applyGradients(pairs, { globalStep: getOrCreateGlobalStep() });
 * ```
 */
export interface ApplyGradientsOptions {
  /**
   * An int32 scalar variable to add one to after the update (see `getOrCreateGlobalStep`).
   * When given, a learning-rate schedule is evaluated at its value (before the increment).
   */
  readonly globalStep?: Variable;
}

/**
 * Options of {@link Optimizer.minimize}.
 *
 * @example
 * ```ts
 * optimizer.minimize(loss, { varList: [w], globalStep });
 * ```
 */
export interface MinimizeOptions extends ComputeGradientsOptions, ApplyGradientsOptions {}

/**
 * A tensor value in {@link OptimizerState}: a tensor, or its plain serialized form (as
 * {@link serializeOptimizerState} writes it; non-finite values are written as the strings
 * `'NaN'`, `'Infinity'` and `'-Infinity'` so that the form survives `JSON.stringify`).
 *
 * @example
 * ```ts
 * const s: StateTensor = { shape: [2], dtype: 'float32', values: [0.5, 'NaN'] };
 * ```
 */
export type StateTensor = Tensor | SerializedTensor;

/**
 * A tensor as plain data: shape, dtype and the values in row-major order.
 *
 * @example
 * ```ts
 * const t: SerializedTensor = { shape: [2, 2], dtype: 'float32', values: [1, 2, 3, 4] };
 * ```
 */
export interface SerializedTensor {
  /** The shape. */
  readonly shape: readonly number[];
  /** The dtype. */
  readonly dtype: DType;
  /** The values, row-major; non-finite values as `'NaN'`, `'Infinity'`, `'-Infinity'`. */
  readonly values: readonly (number | 'NaN' | 'Infinity' | '-Infinity')[];
}

/**
 * An optimizer's hyperparameters: the learning rate (a number, a built-in schedule's config, or
 * `null` for a custom schedule function, which state cannot carry) and the optimizer's own
 * settings (`beta1`, `momentum`, `centered`, ...).
 *
 * @example
 * ```ts
 * new AdamOptimizer(0.01).getConfig(); // { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }
 * ```
 */
export interface OptimizerConfig {
  /** The learning rate, a schedule's config, or `null` for a custom schedule function. */
  readonly learningRate: number | ScheduleConfig | null;
  /** The other hyperparameters. */
  readonly [hyperparameter: string]: number | boolean | ScheduleConfig | null;
}

/**
 * The slots one variable has in an {@link OptimizerState}.
 *
 * @example
 * ```ts
 * const s: VariableSlotsState = { name: 'w', shape: [2], dtype: 'float32', slots: { m: mTensor, v: vTensor } };
 * ```
 */
export interface VariableSlotsState {
  /** The variable's name, used when restoring with `matchBy: 'name'`. */
  readonly name: string;
  /** The variable's shape. */
  readonly shape: readonly number[];
  /** The variable's dtype. */
  readonly dtype: DType;
  /** Slot values by slot name (empty when the optimizer has not updated the variable yet). */
  readonly slots: Readonly<Record<string, StateTensor>>;
}

/**
 * Everything needed to resume training exactly: hyperparameters, the iteration count,
 * optimizer-wide state (Adam's `beta1Power` and `beta2Power`) and every variable's slots.
 * Variables are not stored by identity: `variables[i]` belongs to the `i`-th variable of the
 * `varList` given to {@link Optimizer.getState} (and is matched to the `i`-th of the `varList`
 * given to {@link Optimizer.setState}, or by name with `matchBy: 'name'`).
 *
 * Tensors in a state returned by `getState` are snapshots the caller owns: free them with
 * core's `dispose(state)`, or turn the state into plain JSON-safe data with
 * {@link serializeOptimizerState}.
 *
 * @example
 * ```ts
 * const state: OptimizerState = optimizer.getState({ varList: [w, b] });
 * ```
 */
export interface OptimizerState {
  /** Format tag. */
  readonly format: 'tessera-optimizer-state';
  /** Format version. */
  readonly version: 1;
  /** The optimizer's name (`'AdamOptimizer'`, ...); `setState` checks it. */
  readonly optimizer: string;
  /** The hyperparameters. */
  readonly config: OptimizerConfig;
  /** The optimizer's iteration count (updates applied). */
  readonly iterations: number;
  /** Optimizer-wide state tensors by name. */
  readonly nonSlots: Readonly<Record<string, StateTensor>>;
  /** Per-variable slots, in `varList` order. */
  readonly variables: readonly VariableSlotsState[];
}

/**
 * Options of {@link Optimizer.getState}.
 *
 * @example
 * ```ts
 * optimizer.getState({ varList: [w, b] });
 * ```
 */
export interface GetStateOptions {
  /**
   * The variables whose slots to save, in this order. Default: every variable that has slots,
   * in the order the optimizer first updated them.
   */
  readonly varList?: readonly Variable[];
}

/**
 * Options of {@link Optimizer.setState}.
 *
 * @example
 * ```ts
 * optimizer.setState(state, { varList: [w, b] });
 * optimizer.setState(state, { varList: model.variables, matchBy: 'name' });
 * ```
 */
export interface SetStateOptions {
  /** The variables the state's slots belong to (required when the state has any). */
  readonly varList?: readonly Variable[];
  /**
   * How state entries find their variable: `'position'` (default: `state.variables[i]` is
   * `varList[i]`) or `'name'` (each entry goes to the variable of `varList` with its name;
   * names in `varList` must then be unique).
   */
  readonly matchBy?: 'position' | 'name';
}

function isScheduleConfig(x: unknown): x is ScheduleConfig {
  return x !== null && typeof x === 'object' && typeof (x as { kind?: unknown }).kind === 'string';
}

function checkVarList(fn: string, varList: unknown): Variable[] {
  if (!Array.isArray(varList)) throw new ValueError(`${fn}: varList must be an array of Variables, got ${describe(varList)}`);
  if (varList.length === 0) throw new ValueError(`${fn}: varList is empty; pass the variables to optimize`);
  const seen = new Set<Variable>();
  varList.forEach((v: unknown, i) => {
    if (!isVariable(v)) {
      throw new ValueError(`${fn}: varList[${i}] is not a Variable (got ${describe(v)}); only variables can be optimized`);
    }
    if (v.isDisposed) throw new DisposedError(`${fn}: varList[${i}] (variable '${v.name}') has been disposed`);
    if (!isFloat(v.dtype)) {
      throw new DTypeError(`${fn}: varList[${i}] (variable '${v.name}') has dtype ${v.dtype}; only float32 and float64 variables can be optimized`);
    }
    if (seen.has(v)) throw new ValueError(`${fn}: variable '${v.name}' appears twice in varList (varList[${i}])`);
    seen.add(v);
  });
  return varList as Variable[];
}

function checkGlobalStep(fn: string, globalStep: unknown): Variable | undefined {
  if (globalStep === undefined) return undefined;
  if (!isVariable(globalStep)) {
    throw new ValueError(`${fn}: globalStep must be an int32 scalar Variable (see getOrCreateGlobalStep()), got ${describe(globalStep)}`);
  }
  if (globalStep.dtype !== 'int32' || globalStep.rank !== 0) {
    throw new DTypeError(
      `${fn}: globalStep must be an int32 scalar Variable, got dtype ${globalStep.dtype} and shape ${formatShape(globalStep.shape)}`,
    );
  }
  if (globalStep.isDisposed) throw new DisposedError(`${fn}: globalStep (variable '${globalStep.name}') has been disposed`);
  return globalStep;
}

function isSymbolicTensor(x: unknown): x is Tensor {
  return x instanceof Tensor && x.isSymbolic;
}

function collect(out: Tensor[], r: Tensor | readonly Tensor[] | void): void {
  if (r instanceof Tensor) out.push(r);
  else if (Array.isArray(r)) for (const t of r as readonly Tensor[]) if (t instanceof Tensor) out.push(t);
}

function decodeValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  throw new ValueError(`setState: a serialized tensor holds ${describe(v)}; expected numbers or 'NaN' / 'Infinity' / '-Infinity'`);
}

/**
 * Converts a state value to a tensor of `shape` and `dtype` (serialized values are written to
 * the current backend); `what` names it in errors.
 */
function stateTensor(value: unknown, shape: Shape, dtype: DType, what: string): { t: Tensor; owned: boolean } {
  if (value instanceof Tensor) {
    if (value.isDisposed) throw new DisposedError(`setState: ${what} has been disposed`);
    if (value.dtype !== dtype || !shapesEqual(value.shape, shape)) {
      throw new ShapeError(
        `setState: ${what} is a ${value.dtype} tensor of shape ${formatShape(value.shape)}; expected ${dtype} ${formatShape(shape)}`,
      );
    }
    return { t: value, owned: false };
  }
  const s = value as Partial<SerializedTensor> | null;
  if (s === null || typeof s !== 'object' || !Array.isArray(s.values) || !Array.isArray(s.shape)) {
    throw new ValueError(`setState: ${what} must be a tensor or {shape, dtype, values}, got ${describe(value)}`);
  }
  if (s.dtype !== dtype || !shapesEqual(s.shape, shape)) {
    throw new ShapeError(`setState: ${what} is ${String(s.dtype)} ${formatShape(s.shape)}; expected ${dtype} ${formatShape(shape)}`);
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (s.values.length !== n) throw new ShapeError(`setState: ${what} has ${s.values.length} values for shape ${formatShape(shape)}`);
  return { t: tensor(s.values.map(decodeValue), shape, dtype), owned: true };
}

/**
 * The base class of every optimizer, TF 1.x `tf.train.Optimizer` style.
 *
 * - {@link Optimizer.computeGradients} returns `[gradient, variable]` pairs (`null` for a
 *   variable the loss does not depend on);
 * - {@link Optimizer.applyGradients} updates the variables (skipping `null` gradients), then
 *   adds one to the iteration count and to `globalStep` when given;
 * - {@link Optimizer.minimize} does both and returns the loss value.
 *
 * Clipping ({@link clipByGlobalNorm}, ...) fits between compute and apply.
 *
 * **Slots** (momenta, moment estimates) are variables the optimizer creates lazily, the first
 * time it updates a variable, and keeps in a `Map` keyed by the variable object itself: calling
 * `applyGradients` with a different subset or order of variables never mixes them up. Read them
 * with {@link Optimizer.getSlot}. Optimizer-wide state (Adam's `beta1Power`/`beta2Power`) is
 * shared by all variables and advances once per `applyGradients` call, as in TF 1.x; an
 * alternating training scheme that updates disjoint variable groups in separate calls should use
 * one optimizer per group.
 *
 * **Learning rate**: a number, or a schedule (see {@link exponentialDecay}), evaluated at the
 * value of `globalStep` when one is passed, and at the optimizer's own iteration count
 * ({@link Optimizer.iterations}) otherwise; in both cases the step counts updates made before the
 * current one, so the first update uses step 0.
 *
 * **Updates** run without recording on any gradient tape, inside `tidy`, and assign new values
 * to the variables and slots (`assign`); the built-in optimizers compute them with one
 * composite op each (`adamUpdate`, ...), which a backend may replace with a fused kernel.
 *
 * **State**: {@link Optimizer.getState} / {@link Optimizer.setState} save and restore
 * everything needed to resume training bit for bit (eager mode). {@link Optimizer.dispose} frees
 * the slots.
 *
 * **Graph mode** (inside `graph.asDefault(...)`, see `@tessera/graph`): the same code builds
 * nodes. `loss` is the symbolic loss tensor rather than a function, gradients come from the
 * graph's symbolic `gradients`, slots are graph variables (initialized with the graph's other
 * variables), and `applyGradients` / `minimize` return the train op to fetch with
 * `session.run`: one op grouping every assignment of the step. Without `varList`, the graph's
 * trainable variables are optimized. A learning-rate schedule needs `globalStep` there (the
 * optimizer's own count only exists in eager mode).
 *
 * **Custom optimizers** subclass it and implement {@link Optimizer.applyDense} (and, for slots,
 * {@link Optimizer.slotInitialValues}). Sign-SGD, which moves each weight by the learning rate
 * against the sign of its gradient:
 *
 * ```ts
 * class SignSGDOptimizer extends Optimizer {
 *   constructor(learningRate: LearningRate) {
 *     super(learningRate, 'SignSGDOptimizer');
 *   }
 *   protected override applyDense(gradient: Tensor, variable: Variable, _slots: {}, lr: Tensor): Tensor {
 *     return variable.assign(variable.sub(sign(gradient).mul(lr)));
 *   }
 * }
 * ```
 *
 * @example
 * ```ts
 * const w = getVariable('w', { initializer: 3 });
 * const opt = new GradientDescentOptimizer(0.1);
 * const loss = opt.minimize(() => w.mul(5)); // w is now 2.5
 * loss.dispose();
 *
 * // or in two halves, with clipping in between:
 * const pairs = opt.computeGradients(() => w.mul(5));
 * const [clipped, norm] = clipByGlobalNorm(pairs, 1);
 * opt.applyGradients(clipped);
 * dispose([pairs.map((p) => p[0]), clipped.map((p) => p[0]), norm]);
 * ```
 */
export abstract class Optimizer {
  /** The optimizer's name, used in error messages and slot variable names. */
  readonly name: string;
  private lr: LearningRate;
  private iterationCount = 0;
  private readonly slotVars = new Map<Variable, Map<string, Variable>>();
  private readonly nonSlotVars = new Map<string, Variable>();

  /**
   * @param learningRate A finite number > 0 or a schedule.
   * @param name The optimizer's name (default: the class name).
   */
  constructor(learningRate: LearningRate, name?: string) {
    this.name = name ?? new.target.name;
    this.lr = Optimizer.checkLearningRateArg(`${this.name}`, learningRate);
  }

  private static checkLearningRateArg(fn: string, lr: unknown): LearningRate {
    if (typeof lr === 'function') return lr as LearningRateSchedule;
    return checkLearningRate(fn, lr);
  }

  /**
   * The learning rate: a number or a schedule.
   *
   * @example
   * ```ts
   * new GradientDescentOptimizer(0.1).learningRate; // 0.1
   * ```
   */
  get learningRate(): LearningRate {
    return this.lr;
  }

  /**
   * Replaces the learning rate (a finite number > 0 or a schedule), for example to lower it by
   * hand between epochs.
   *
   * @example
   * ```ts
   * opt.setLearningRate(0.01);
   * ```
   */
  setLearningRate(learningRate: LearningRate): void {
    this.lr = Optimizer.checkLearningRateArg(`${this.name}.setLearningRate`, learningRate);
  }

  /**
   * The number of `applyGradients` / `minimize` calls this optimizer has completed (restored by
   * {@link Optimizer.setState}); schedules are evaluated at it when no `globalStep` is passed.
   *
   * @example
   * ```ts
   * opt.minimize(loss).dispose();
   * opt.iterations; // 1
   * ```
   */
  get iterations(): number {
    return this.iterationCount;
  }

  // ---- gradients ------------------------------------------------------------------------------

  private valueAndGradients(
    fn: string,
    loss: unknown,
    varList: readonly Variable[] | undefined,
  ): { value: Tensor; grads: Array<[Tensor | null, Variable]> } {
    if (typeof loss !== 'function') {
      if (loss instanceof Tensor) {
        throw new ValueError(
          `${fn}: in eager mode the loss must be a function that computes it, e.g. () => mean(square(sub(y, predict(x)))); ` +
            `got ${describe(loss)}, whose history was not recorded`,
        );
      }
      throw new ValueError(`${fn}: the loss must be a function returning a scalar tensor, got ${describe(loss)}`);
    }
    const vars = varList === undefined ? undefined : checkVarList(fn, varList);
    const f = loss as LossFunction;
    const checked = (): Tensor => {
      const y: unknown = f();
      if (!(y instanceof Tensor)) {
        throw new ValueError(`${fn}: the loss function must return a scalar tensor, got ${describe(y)}`);
      }
      if (y.size !== 1) {
        throw new ShapeError(
          `${fn}: the loss must be a scalar, got a tensor of shape ${formatShape(y.shape)}; reduce it first, e.g. with mean() or sum()`,
        );
      }
      if (!isFloat(y.dtype)) throw new DTypeError(`${fn}: the loss must be a float32 or float64 scalar, got dtype ${y.dtype}`);
      return y;
    };
    const r = valueAndVariableGradients(checked, vars);
    return { value: r.value, grads: r.grads.map(([g, v]) => [g, v] as [Tensor | null, Variable]) };
  }

  /**
   * Computes the gradients of `loss` with respect to `varList` (default: the trainable
   * variables the loss used, in order of first use). In eager mode `loss` is a function that
   * returns a scalar float tensor. Returns `[gradient, variable]` pairs in `varList` order, with
   * `null` for a variable the loss does not depend on; the gradients are new tensors the caller
   * owns. In graph mode `loss` is the symbolic loss and the gradients are symbolic (default
   * `varList`: the graph's trainable variables).
   *
   * @example
   * ```ts
   * const pairs = opt.computeGradients(() => w.mul(5), { varList: [w] }); // [[5, w]]
   * opt.applyGradients(pairs);
   * dispose(pairs.map((p) => p[0]));
   * ```
   */
  computeGradients(loss: LossFunction | Tensor, options: ComputeGradientsOptions = {}): Array<[Tensor | null, Variable]> {
    const fn = `${this.name}.computeGradients`;
    if (isSymbolicTensor(loss)) return this.symbolicGradients(fn, loss, options.varList);
    const { value, grads } = this.valueAndGradients(fn, loss, options.varList);
    if (!isVariable(value) && !grads.some(([g]) => g === value)) value.dispose();
    return grads;
  }

  private symbolicGradients(fn: string, loss: Tensor, varList: readonly Variable[] | undefined): Array<[Tensor | null, Variable]> {
    const hook = activeGraphHook();
    if (hook?.gradients === undefined) {
      throw new ValueError(`${fn}: the loss is a symbolic graph tensor; build the train op inside graph.asDefault(...)`);
    }
    if (!loss.shape.every((d) => d === 1)) {
      throw new ShapeError(
        `${fn}: the loss must be a scalar, got a tensor of shape ${formatShape(loss.shape)}; reduce it first, e.g. with mean() or sum()`,
      );
    }
    if (!isFloat(loss.dtype)) throw new DTypeError(`${fn}: the loss must be a float32 or float64 scalar, got dtype ${loss.dtype}`);
    let vars: Variable[];
    if (varList !== undefined) vars = checkVarList(fn, varList);
    else {
      const all = hook.trainableVariables?.();
      if (all === undefined) throw new ValueError(`${fn}: in graph mode pass varList (for example trainableVariables())`);
      if (all.length === 0) throw new ValueError(`${fn}: the graph has no trainable variables to optimize`);
      vars = all;
    }
    const grads = hook.gradients([loss], vars);
    return vars.map((v, i) => [grads[i] ?? null, v]);
  }

  // ---- updates ----------------------------------------------------------------------------------

  private checkPairs(fn: string, gradsAndVars: unknown): Array<[Tensor, Variable]> {
    if (!Array.isArray(gradsAndVars)) {
      throw new ValueError(`${fn}: expected an array of [gradient, variable] pairs, got ${describe(gradsAndVars)}`);
    }
    const seen = new Set<Variable>();
    const out: Array<[Tensor, Variable]> = [];
    gradsAndVars.forEach((p: unknown, i) => {
      if (!Array.isArray(p) || p.length !== 2) throw new ValueError(`${fn}: entry ${i} must be a [gradient, variable] pair, got ${describe(p)}`);
      const [g, v] = p as [unknown, unknown];
      if (!isVariable(v)) {
        throw new ValueError(`${fn}: entry ${i}: the second element must be a Variable (got ${describe(v)}); only variables can be optimized`);
      }
      if (v.isDisposed) throw new DisposedError(`${fn}: variable '${v.name}' (entry ${i}) has been disposed`);
      if (!isFloat(v.dtype)) {
        throw new DTypeError(`${fn}: variable '${v.name}' has dtype ${v.dtype}; only float32 and float64 variables can be optimized`);
      }
      if (seen.has(v)) throw new ValueError(`${fn}: variable '${v.name}' appears twice (entry ${i})`);
      seen.add(v);
      if (g === null) return;
      if (!(g instanceof Tensor)) {
        throw new ValueError(`${fn}: the gradient for variable '${v.name}' (entry ${i}) must be a tensor or null, got ${describe(g)}`);
      }
      if (g.isDisposed) throw new DisposedError(`${fn}: the gradient for variable '${v.name}' has been disposed`);
      if (!shapesEqual(g.shape, v.shape, true)) {
        throw new ShapeError(
          `${fn}: the gradient for variable '${v.name}' has shape ${formatShape(g.shape)}, but the variable has shape ${formatShape(v.shape)}; they must be equal`,
        );
      }
      if (g.dtype !== v.dtype) {
        throw new DTypeError(`${fn}: the gradient for variable '${v.name}' has dtype ${g.dtype}, the variable ${v.dtype}; they must be equal`);
      }
      out.push([g, v]);
    });
    if (out.length === 0) {
      const names = (gradsAndVars as GradientAndVariable[]).map((p) => `'${(p as GradientAndVariable)[1].name}'`).join(', ');
      throw new ValueError(
        `${fn}: no gradients provided for any variable${names === '' ? '' : ` (${names})`}; ` +
          `check that the loss depends on the variables through differentiable ops`,
      );
    }
    return out;
  }

  private makeStateVariable(name: string, shape: Shape, value: number | Tensor, dtype: DType): Variable {
    const init = typeof value === 'number' ? fill(shape, value, dtype) : value;
    const v = variable(init, { name, trainable: false });
    if (init !== value) init.dispose();
    return v;
  }

  private ensureState(vars: readonly Variable[]): void {
    if (this.nonSlotVars.size === 0) {
      const dtype = vars[0]!.dtype;
      for (const [name, value] of Object.entries(this.nonSlotInitialValues())) {
        this.nonSlotVars.set(name, this.makeStateVariable(`${this.name}/${name}`, [], value, dtype));
      }
    }
    for (const v of vars) {
      if (this.slotVars.has(v)) continue;
      const slots = new Map<string, Variable>();
      for (const [name, value] of Object.entries(this.slotInitialValues(v))) {
        slots.set(name, this.makeStateVariable(`${v.name}/${name}`, v.shape, value, v.dtype));
      }
      this.slotVars.set(v, slots);
    }
  }

  private learningRates(fn: string, globalStep: Variable | undefined): (dtype: DType) => Tensor {
    const lr = this.lr;
    const cache = new Map<DType, Tensor>();
    let stepNumber: number | undefined;
    return (dtype) => {
      const hit = cache.get(dtype);
      if (hit !== undefined) return hit;
      let t: Tensor;
      if (typeof lr === 'number') {
        t = scalar(lr, dtype);
      } else if (lr.tensor !== undefined) {
        if (globalStep === undefined && activeGraphHook() !== undefined) {
          throw new ValueError(`${fn}: in graph mode a learning-rate schedule needs a globalStep (see getOrCreateGlobalStep())`);
        }
        const step = globalStep ?? scalar(this.iterationCount, 'int32');
        const r: unknown = lr.tensor(step, dtype);
        if (!(r instanceof Tensor) || r.size !== 1) {
          throw new ValueError(`${fn}: the learning-rate schedule's tensor() returned ${describe(r)}; expected a scalar tensor`);
        }
        t = r.rank === 0 ? r : r.reshape([]);
        if (t.dtype !== dtype) t = cast(t, dtype);
      } else {
        if (activeGraphHook() !== undefined) {
          throw new ValueError(`${fn}: in graph mode a learning-rate schedule must have a tensor() form (the built-in schedules do)`);
        }
        if (stepNumber === undefined) {
          stepNumber = globalStep === undefined ? this.iterationCount : Number(globalStep.dataSync()[0]);
        }
        const value: unknown = lr(stepNumber);
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
          throw new ValueError(`${fn}: the learning-rate schedule returned ${describe(value)} at step ${stepNumber}; expected a finite number >= 0`);
        }
        t = scalar(value, dtype);
      }
      cache.set(dtype, t);
      return t;
    };
  }

  private applyChecked(fn: string, pairs: Array<[Tensor, Variable]>, globalStep: Variable | undefined): Tensor | undefined {
    const hook = activeGraphHook();
    return withoutRecording(() => {
      this.ensureState(pairs.map((p) => p[1]));
      const trainOp = tidy(() => {
        const deps: Tensor[] = [];
        const lrFor = this.learningRates(fn, globalStep);
        for (const [g, v] of pairs) collect(deps, this.applyDense(g, v, this.slotRecord(v), lrFor(v.dtype)));
        collect(deps, this.finishApply());
        if (globalStep !== undefined) deps.push(globalStep.assignAdd(1));
        if (hook === undefined) return undefined;
        if (hook.group === undefined) throw new ValueError(`${fn}: the active graph cannot group the update into a train op`);
        return hook.group(deps, this.name);
      });
      if (hook === undefined) this.iterationCount++;
      return trainOp;
    });
  }

  /**
   * Applies `[gradient, variable]` pairs (as {@link Optimizer.computeGradients} returns them,
   * possibly clipped): updates each variable whose gradient is not `null`, creating its slots
   * on first use, then adds one to the iteration count and to `globalStep` when given. The
   * gradients are not disposed. Every pair is checked before anything changes: a gradient must
   * have its variable's shape and dtype, and at least one gradient must be non-null. Returns
   * `undefined` in eager mode, and the train op in graph mode.
   *
   * @example
   * ```ts
   * const pairs = opt.computeGradients(loss);
   * opt.applyGradients(pairs, { globalStep: getOrCreateGlobalStep() });
   * dispose(pairs.map((p) => p[0]));
   * ```
   */
  applyGradients(gradsAndVars: readonly GradientAndVariable[], options: ApplyGradientsOptions = {}): Tensor | undefined {
    const fn = `${this.name}.applyGradients`;
    const pairs = this.checkPairs(fn, gradsAndVars);
    const globalStep = checkGlobalStep(fn, options.globalStep);
    return this.applyChecked(fn, pairs, globalStep);
  }

  /**
   * Computes the gradients of `loss` and applies them: {@link Optimizer.computeGradients} then
   * {@link Optimizer.applyGradients}. In eager mode `loss` is a function and the result is the
   * loss value (computed before the update), a tensor the caller owns; the gradients are freed.
   * In graph mode `loss` is the symbolic loss and the result is the train op.
   *
   * @example
   * ```ts
   * const w = getVariable('w', { initializer: 3 });
   * const opt = new GradientDescentOptimizer(0.1);
   * for (let i = 0; i < 5; i++) opt.minimize(() => w.mul(5)).dispose();
   * w.item(); // 0.5
   * ```
   */
  minimize(loss: LossFunction | Tensor, options: MinimizeOptions = {}): Tensor {
    const fn = `${this.name}.minimize`;
    const globalStep = checkGlobalStep(fn, options.globalStep);
    if (isSymbolicTensor(loss)) {
      const pairs = this.symbolicGradients(fn, loss, options.varList);
      return this.applyChecked(fn, this.checkPairs(fn, pairs), globalStep)!;
    }
    const { value, grads } = this.valueAndGradients(fn, loss, options.varList);
    const owned = new Set<Tensor>();
    for (const [g] of grads) if (g !== null && g !== value && !isVariable(g)) owned.add(g);
    // A loss that is a variable itself is returned as a snapshot taken before the update.
    const result = isVariable(value) ? identity(value) : value;
    let ok = false;
    try {
      if (grads.length === 0) {
        throw new ValueError(`${fn}: no variables to optimize: the loss used no trainable variables; pass varList`);
      }
      this.applyChecked(fn, this.checkPairs(fn, grads), globalStep);
      ok = true;
      return result;
    } finally {
      for (const g of owned) g.dispose();
      if (!ok) result.dispose();
    }
  }

  // ---- slots ------------------------------------------------------------------------------------

  private slotRecord(v: Variable): Record<string, Variable> {
    return Object.fromEntries(this.slotVars.get(v) ?? []);
  }

  /**
   * The slot named `slotName` of `variable` (for example Adam's `'m'`), or `undefined` if the
   * optimizer has not updated that variable yet or has no such slot. Slots are non-trainable
   * variables named `<variable name>/<slot name>`.
   *
   * @example
   * ```ts
   * const adam = new AdamOptimizer(0.01);
   * adam.minimize(loss).dispose();
   * adam.getSlot(w, 'm')?.dataSync();
   * ```
   */
  getSlot(variable: Variable, slotName: string): Variable | undefined {
    return this.slotVars.get(variable)?.get(slotName);
  }

  /**
   * The names of the slots this optimizer keeps per variable.
   *
   * @example
   * ```ts
   * new AdamOptimizer().getSlotNames(); // ['m', 'v']
   * ```
   */
  getSlotNames(): string[] {
    return Object.keys(this.slotInitialValues(null));
  }

  /**
   * Every variable the optimizer holds: its optimizer-wide state, then each updated variable's
   * slots.
   *
   * @example
   * ```ts
   * adam.variables().map((v) => v.name); // ['AdamOptimizer/beta1Power', 'AdamOptimizer/beta2Power', 'w/m', 'w/v']
   * ```
   */
  variables(): Variable[] {
    const out = [...this.nonSlotVars.values()];
    for (const slots of this.slotVars.values()) out.push(...slots.values());
    return out;
  }

  /**
   * Frees every slot and optimizer-wide state variable and resets the iteration count; using
   * the optimizer afterwards starts from fresh state.
   *
   * @example
   * ```ts
   * adam.dispose();
   * ```
   */
  dispose(): void {
    for (const v of this.variables()) v.dispose();
    this.slotVars.clear();
    this.nonSlotVars.clear();
    this.iterationCount = 0;
  }

  // ---- state --------------------------------------------------------------------------------------

  /**
   * The hyperparameters, as saved in state.
   *
   * @example
   * ```ts
   * new MomentumOptimizer(0.1, 0.9).getConfig(); // { learningRate: 0.1, momentum: 0.9, useNesterov: false }
   * ```
   */
  getConfig(): OptimizerConfig {
    const lr = this.lr;
    const learningRate = typeof lr === 'number' ? lr : (lr.config ?? null);
    return { learningRate, ...this.hyperparameters() };
  }

  /**
   * A snapshot of the optimizer's state: hyperparameters, iteration count, optimizer-wide
   * state and the slots of `varList` (default: every variable with slots, in the order they
   * were first updated). The tensors are new handles the caller owns (`dispose(state)`); they do
   * not change when training continues.
   *
   * @example
   * ```ts
   * const state = adam.getState({ varList: [w, b] });
   * const json = JSON.stringify(await serializeOptimizerState(state));
   * dispose(state);
   * ```
   */
  getState(options: GetStateOptions = {}): OptimizerState {
    const fn = `${this.name}.getState`;
    const vars = options.varList === undefined ? [...this.slotVars.keys()] : checkVarList(fn, options.varList);
    const snap = (t: Variable): Tensor => identity(t);
    const nonSlots: Record<string, Tensor> = {};
    for (const [name, v] of this.nonSlotVars) nonSlots[name] = snap(v);
    const variables: VariableSlotsState[] = vars.map((v) => {
      const slots: Record<string, Tensor> = {};
      for (const [name, s] of this.slotVars.get(v) ?? []) slots[name] = snap(s);
      return { name: v.name, shape: [...v.shape], dtype: v.dtype, slots };
    });
    return {
      format: 'tessera-optimizer-state',
      version: 1,
      optimizer: this.name,
      config: this.getConfig(),
      iterations: this.iterationCount,
      nonSlots,
      variables,
    };
  }

  /**
   * Restores a state from {@link Optimizer.getState} (tensors or their serialized form), so that
   * training continues exactly as it would have: hyperparameters (a custom schedule function,
   * saved as `null`, is kept as it is), the iteration count, optimizer-wide state and slots.
   * The state's slots go to the variables of `options.varList`, by position or by name (see
   * {@link SetStateOptions}). Everything is checked before anything changes; the previous
   * state is freed. The state's tensors are not taken over (the caller still disposes them).
   *
   * @example
   * ```ts
   * const fresh = new AdamOptimizer(0.01);
   * fresh.setState(JSON.parse(json), { varList: [w, b] });
   * ```
   */
  setState(state: OptimizerState, options: SetStateOptions = {}): void {
    const fn = `${this.name}.setState`;
    const s = state as Partial<OptimizerState> | null;
    if (s === null || typeof s !== 'object' || s.format !== 'tessera-optimizer-state' || s.version !== 1) {
      throw new ValueError(`${fn}: expected an optimizer state from getState() (format 'tessera-optimizer-state', version 1), got ${describe(state)}`);
    }
    if (s.optimizer !== this.name) {
      throw new ValueError(`${fn}: the state was saved by ${String(s.optimizer)}, not ${this.name}`);
    }
    const iterations = s.iterations;
    if (typeof iterations !== 'number' || !Number.isInteger(iterations) || iterations < 0) {
      throw new ValueError(`${fn}: state.iterations must be an integer >= 0, got ${describe(iterations)}`);
    }
    const entries = s.variables;
    const nonSlotsIn = s.nonSlots;
    if (!Array.isArray(entries) || nonSlotsIn === null || typeof nonSlotsIn !== 'object') {
      throw new ValueError(`${fn}: state.variables must be an array and state.nonSlots an object`);
    }
    // Hyperparameters first, on a trial basis: slot names may depend on them (RMSProp's centered).
    const config = s.config;
    if (config === null || typeof config !== 'object') throw new ValueError(`${fn}: state.config must be an object`);
    const { learningRate, ...hyper } = config;
    let lr: LearningRate = this.lr;
    if (typeof learningRate === 'number') lr = checkLearningRate(fn, learningRate);
    else if (isScheduleConfig(learningRate)) lr = scheduleFromConfig(learningRate);
    else if (learningRate !== null) throw new ValueError(`${fn}: state.config.learningRate must be a number, a schedule config or null`);
    const oldHyper = this.hyperparameters();
    this.setHyperparameters(hyper as Record<string, number | boolean>);
    const created: Tensor[] = [];
    try {
      // Match entries to variables.
      const varList = options.varList === undefined ? [] : checkVarList(fn, options.varList);
      const matchBy = options.matchBy ?? 'position';
      if (matchBy !== 'position' && matchBy !== 'name') throw new ValueError(`${fn}: matchBy must be 'position' or 'name', got ${describe(matchBy)}`);
      if (entries.length > 0 && options.varList === undefined) {
        throw new ValueError(
          `${fn}: the state holds slots of ${entries.length} variables (${entries.map((e) => `'${e.name}'`).join(', ')}); ` +
            `pass options.varList with the variables they belong to`,
        );
      }
      const targets: Variable[] = [];
      if (matchBy === 'position') {
        if (options.varList !== undefined && varList.length !== entries.length) {
          throw new ValueError(`${fn}: the state holds slots of ${entries.length} variables but varList has ${varList.length}`);
        }
        targets.push(...varList.slice(0, entries.length));
      } else {
        const byName = new Map<string, Variable>();
        for (const v of varList) {
          if (byName.has(v.name)) throw new ValueError(`${fn}: two variables in varList are named '${v.name}'; match by position instead`);
          byName.set(v.name, v);
        }
        for (const e of entries) {
          const v = byName.get(e.name);
          if (v === undefined) throw new ValueError(`${fn}: no variable named '${e.name}' in varList`);
          targets.push(v);
        }
      }
      // Convert and check every value before changing anything.
      const newSlots = new Map<Variable, Map<string, Tensor>>();
      entries.forEach((e, i) => {
        const v = targets[i]!;
        if (newSlots.has(v)) throw new ValueError(`${fn}: two state entries map to variable '${v.name}'`);
        if (e.dtype !== v.dtype || !shapesEqual(e.shape, v.shape)) {
          throw new ShapeError(
            `${fn}: state entry ${i} ('${e.name}') is for a ${e.dtype} variable of shape ${formatShape(e.shape)}, ` +
              `but variable '${v.name}' is ${v.dtype} ${formatShape(v.shape)}`,
          );
        }
        const expected = Object.keys(this.slotInitialValues(v)).sort();
        const got = Object.keys(e.slots ?? {}).sort();
        if (got.length > 0 && expected.join(',') !== got.join(',')) {
          throw new ValueError(`${fn}: state entry ${i} ('${e.name}') has slots [${got.join(', ')}]; ${this.name} uses [${expected.join(', ')}]`);
        }
        const m = new Map<string, Tensor>();
        for (const name of got) {
          const { t, owned } = stateTensor(e.slots[name], v.shape, v.dtype, `slot '${name}' of '${e.name}'`);
          if (owned) created.push(t);
          if (t.backend !== v.backend) {
            throw new ValueError(`${fn}: slot '${name}' of '${e.name}' lives on backend '${t.backend.name}', the variable on '${v.backend.name}'; use serializeOptimizerState() to move state between backends`);
          }
          m.set(name, t);
        }
        if (m.size > 0) newSlots.set(v, m);
      });
      const expectedNonSlots = Object.keys(this.nonSlotInitialValues()).sort();
      const gotNonSlots = Object.keys(nonSlotsIn).sort();
      if (gotNonSlots.length > 0 && expectedNonSlots.join(',') !== gotNonSlots.join(',')) {
        throw new ValueError(`${fn}: the state has optimizer-wide values [${gotNonSlots.join(', ')}]; ${this.name} uses [${expectedNonSlots.join(', ')}]`);
      }
      const newNonSlots = new Map<string, Tensor>();
      for (const name of gotNonSlots) {
        const raw = (nonSlotsIn as Record<string, unknown>)[name];
        const dtype = raw instanceof Tensor ? raw.dtype : ((raw as Partial<SerializedTensor> | null)?.dtype ?? 'float32');
        if (!isFloat(dtype)) throw new DTypeError(`${fn}: optimizer-wide value '${name}' has dtype ${dtype}; expected a float dtype`);
        const { t, owned } = stateTensor(raw, [], dtype, `optimizer-wide value '${name}'`);
        if (owned) created.push(t);
        newNonSlots.set(name, t);
      }
      // Commit.
      for (const v of this.variables()) v.dispose();
      this.slotVars.clear();
      this.nonSlotVars.clear();
      for (const [name, t] of newNonSlots) this.nonSlotVars.set(name, this.makeStateVariable(`${this.name}/${name}`, [], t, t.dtype));
      for (const [v, m] of newSlots) {
        const slots = new Map<string, Variable>();
        for (const [name, t] of m) slots.set(name, this.makeStateVariable(`${v.name}/${name}`, v.shape, t, v.dtype));
        this.slotVars.set(v, slots);
      }
      this.lr = lr;
      this.iterationCount = iterations;
    } catch (e) {
      this.setHyperparameters(oldHyper);
      throw e;
    } finally {
      for (const t of created) t.dispose();
    }
  }

  // ---- extension points -----------------------------------------------------------------------

  /**
   * Updates `variable` from `gradient`: called once per variable with a gradient, inside
   * `tidy` and with tape recording paused, with the variable's slots (by name) and the learning
   * rate as a scalar tensor of the variable's dtype. Assign the new values to the variable and
   * its slots (`variable.assign(...)`) and return what the assignments return: in graph mode
   * they are the nodes the train op must run (in eager mode the return value is ignored). Write
   * it with core ops only, so that it works on any backend and in graph mode.
   *
   * @example
   * ```ts
   * protected override applyDense(gradient: Tensor, variable: Variable, _slots: {}, lr: Tensor): Tensor {
   *   return variable.assign(variable.sub(sign(gradient).mul(lr)));
   * }
   * ```
   */
  protected abstract applyDense(
    gradient: Tensor,
    variable: Variable,
    slots: Readonly<Record<string, Variable>>,
    learningRate: Tensor,
  ): Tensor | readonly Tensor[] | void;

  /**
   * The slots to create for `variable` (called with `null` to list their names), by name, with
   * the value every element starts at. Default: none.
   *
   * @example
   * ```ts
   * protected override slotInitialValues(): Record<string, number> {
   *   return { velocity: 0 };
   * }
   * ```
   */
  protected slotInitialValues(variable: Variable | null): Readonly<Record<string, number>> {
    void variable;
    return {};
  }

  /**
   * Optimizer-wide scalar state, by name and initial value (Adam's `beta1Power`), created with
   * the dtype of the first variable updated. Read it with {@link Optimizer.getNonSlot}.
   * Default: none.
   *
   * @example
   * ```ts
   * protected override nonSlotInitialValues(): Record<string, number> {
   *   return { beta1Power: this.beta1 };
   * }
   * ```
   */
  protected nonSlotInitialValues(): Readonly<Record<string, number>> {
    return {};
  }

  /**
   * An optimizer-wide state variable (see {@link Optimizer.nonSlotInitialValues}).
   *
   * @example
   * ```ts
   * const beta1Power = this.getNonSlot('beta1Power');
   * ```
   */
  protected getNonSlot(name: string): Variable {
    const v = this.nonSlotVars.get(name);
    if (v === undefined) throw new ValueError(`${this.name}: no optimizer-wide state named '${name}'`);
    return v;
  }

  /**
   * Called once per `applyGradients`, after every variable was updated (inside the same `tidy`);
   * Adam advances its `beta1Power` / `beta2Power` here. Return the assignments' results, as in
   * {@link Optimizer.applyDense}. Default: nothing.
   *
   * @example
   * ```ts
   * protected override finishApply(): Tensor {
   *   const p = this.getNonSlot('beta1Power');
   *   return p.assign(p.mul(this.beta1));
   * }
   * ```
   */
  protected finishApply(): Tensor | readonly Tensor[] | void {}

  /**
   * The optimizer's own hyperparameters (besides the learning rate), for
   * {@link Optimizer.getConfig} and state. Default: none.
   *
   * @example
   * ```ts
   * protected override hyperparameters(): Record<string, number | boolean> {
   *   return { momentum: this.momentum };
   * }
   * ```
   */
  protected hyperparameters(): Record<string, number | boolean> {
    return {};
  }

  /**
   * Restores hyperparameters saved by {@link Optimizer.hyperparameters} (validate them and
   * throw a `ValueError` for bad values). Default: nothing.
   *
   * @example
   * ```ts
   * protected override setHyperparameters(h: Record<string, number | boolean>): void {
   *   this.momentum = h['momentum'] as number;
   * }
   * ```
   */
  protected setHyperparameters(hyperparameters: Readonly<Record<string, number | boolean>>): void {
    void hyperparameters;
  }
}

/**
 * Reads every tensor of an optimizer state and returns the same state as plain, JSON-safe data
 * (`{shape, dtype, values}` for each tensor; non-finite values as strings). Works on any
 * backend (reads are awaited). The input state is not disposed.
 *
 * @example
 * ```ts
 * const state = adam.getState({ varList: [w] });
 * const json = JSON.stringify(await serializeOptimizerState(state));
 * dispose(state);
 * // later, in a new process:
 * const adam2 = new AdamOptimizer(0.01);
 * adam2.setState(JSON.parse(json), { varList: [w] });
 * ```
 */
export async function serializeOptimizerState(state: OptimizerState): Promise<OptimizerState> {
  const ser = async (t: StateTensor): Promise<SerializedTensor> => {
    if (!(t instanceof Tensor)) return { shape: [...t.shape], dtype: t.dtype, values: [...t.values] };
    const data = await t.data();
    const values = Array.from(data, (x): number | 'NaN' | 'Infinity' | '-Infinity' =>
      Number.isFinite(x) ? x : Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity',
    );
    return { shape: [...t.shape], dtype: t.dtype, values };
  };
  const nonSlots: Record<string, SerializedTensor> = {};
  for (const [k, t] of Object.entries(state.nonSlots)) nonSlots[k] = await ser(t);
  const variables: VariableSlotsState[] = [];
  for (const e of state.variables) {
    const slots: Record<string, SerializedTensor> = {};
    for (const [k, t] of Object.entries(e.slots)) slots[k] = await ser(t);
    variables.push({ name: e.name, shape: [...e.shape], dtype: e.dtype, slots });
  }
  return { ...state, config: JSON.parse(JSON.stringify(state.config)) as OptimizerConfig, nonSlots, variables };
}
