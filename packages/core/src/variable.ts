/**
 * Variables: mutable, identity-keyed containers of a tensor value, updated with `assign`.
 *
 * @module
 */
import { assertDType, type DType } from './dtype.js';
import { activeGraphHook, ENGINE } from './engine.js';
import { BackendError, DisposedError, DTypeError, ShapeError, ValueError } from './errors.js';
import { parseValues, toTensor } from './convert.js';
import { isInitializer, glorotUniformInitializer, type Initializer } from './initializers.js';
import { tidy } from './memory.js';
import { add, cast, sub } from './ops/elementwise.js';
import { formatShape, shapesEqual, checkShape } from './shape.js';
import { Tensor, type TensorLike } from './tensor.js';

/**
 * Options of {@link variable} and the {@link Variable} constructor.
 *
 * @example
 * ```ts
 * const o: VariableOptions = { name: 'w', trainable: true, dtype: 'float32' };
 * ```
 */
export interface VariableOptions {
  /** A display name (also used by graph name scopes and checkpoints). Not a registry key. */
  readonly name?: string;
  /** Whether gradient functions and optimizers pick it up by default (default true). */
  readonly trainable?: boolean;
  /** Cast the initial value to this dtype. */
  readonly dtype?: DType;
}

/**
 * A mutable tensor: it can be used anywhere a tensor can (its current value), and its value is
 * replaced with {@link Variable.assign}. Variables are identified by object identity; the name
 * is only metadata, so two variables may share a name. Scopes (`tidy`) never dispose variables.
 *
 * @example
 * ```ts
 * const w = new Variable(tensor([1, 2]), { name: 'w' });
 * w.assign(w.mul(2));
 * w.dataSync(); // [2, 4]
 * ```
 */
export class Variable extends Tensor {
  /** The display name. */
  readonly name: string;
  /** Whether the variable is trainable. */
  readonly trainable: boolean;

  /** Creates a variable holding `initial` (copied by reference: tensors are immutable). */
  constructor(initial: TensorLike, options: VariableOptions = {}) {
    if (options.dtype !== undefined) assertDType(options.dtype, 'Variable');
    const init = tidy(() => {
      if (!(initial instanceof Tensor) && options.dtype !== undefined && initial !== undefined && initial !== null) {
        // convert plain values straight to the dtype (a float32 detour would lose float64 precision)
        const p = parseValues(initial, undefined, options.dtype, 'Variable (argument initial)');
        return ENGINE.fromValues(p.values, p.shape, p.dtype, 'Variable');
      }
      let t = toTensor(initial, 'Variable', 'initial');
      if (options.dtype !== undefined && t.dtype !== options.dtype) t = cast(t, options.dtype);
      return t;
    });
    if (init.isDisposed) throw new DisposedError('Variable: the initial value has been disposed');
    // Graph variables (subclasses from @tessera/graph) start from a symbolic value and own no buffer.
    const symbolic = init.isSymbolic;
    if (symbolic && new.target === Variable) {
      throw new ValueError(
        'Variable: the initial value is a symbolic tensor; inside graph.asDefault() create graph variables with variable() or getVariable()',
      );
    }
    super(init.dataId, init.shape, init.dtype, init.backend, ENGINE.nextId++);
    this.name = options.name ?? 'Variable';
    this.trainable = options.trainable ?? true;
    this.kept = true;
    if (!symbolic) ENGINE.adopt(this, false, init);
    if (!(initial instanceof Tensor)) init.dispose();
  }

  /** Always true for variables. */
  get isVariable(): true {
    return true;
  }

  /**
   * Replaces the value. The new value must have the variable's shape; numbers and arrays are
   * converted to its dtype.
   *
   * @example
   * ```ts
   * const v = variable(0);
   * v.assign(3);
   * ```
   */
  assign(value: TensorLike): this {
    if (this.isDisposed) throw new DisposedError(`assign: variable '${this.name}' has been disposed`);
    const v = tidy(() => {
      if (value instanceof Tensor) return value;
      if (value === undefined || value === null) return toTensor(value, 'assign', 'value');
      // plain values go straight to the variable's dtype
      const p = parseValues(value, undefined, this.dtype, 'assign (argument value)');
      return ENGINE.fromValues(p.values, p.shape, p.dtype, 'assign');
    });
    try {
      if (v.isDisposed) throw new DisposedError(`assign: the value for variable '${this.name}' has been disposed`);
      if (v.dtype !== this.dtype) {
        throw new DTypeError(`assign: variable '${this.name}' has dtype ${this.dtype}, the value has ${v.dtype}`);
      }
      if (!shapesEqual(v.shape, this.shape)) {
        throw new ShapeError(
          `assign: variable '${this.name}' has shape ${formatShape(this.shape)}, the value has ${formatShape(v.shape)}`,
        );
      }
      if (v.backend !== this.backend) {
        throw new BackendError(`assign: variable '${this.name}' lives on backend '${this.backend.name}', the value on '${v.backend.name}'`);
      }
      ENGINE.swapData(this, v);
    } finally {
      if (!(value instanceof Tensor)) v.dispose();
    }
    return this;
  }

  /**
   * Adds `delta` to the value.
   *
   * @example
   * ```ts
   * const step = variable(0, { dtype: 'int32', trainable: false });
   * step.assignAdd(1);
   * ```
   */
  assignAdd(delta: TensorLike): this {
    tidy(() => {
      this.assign(add(this, delta));
    });
    return this;
  }

  /**
   * Subtracts `delta` from the value.
   *
   * @example
   * ```ts
   * w.assignSub(grad.mul(0.1));
   * ```
   */
  assignSub(delta: TensorLike): this {
    tidy(() => {
      this.assign(sub(this, delta));
    });
    return this;
  }

  override toString(): string {
    return `Variable '${this.name}' ${super.toString()}`;
  }
}

/**
 * Whether `x` is a {@link Variable}.
 *
 * @example
 * ```ts
 * isVariable(variable(1)); // true
 * ```
 */
export function isVariable(x: unknown): x is Variable {
  return x instanceof Variable;
}

/**
 * Creates a {@link Variable}. Inside a graph (`graph.asDefault()`), it creates a graph variable
 * whose value lives in each session.
 *
 * @example
 * ```ts
 * const x = variable(1, { name: 'x' });
 * const w = variable(zeros([3, 2]), { name: 'w', trainable: true });
 * ```
 */
export function variable(initial: TensorLike, options: VariableOptions = {}): Variable {
  const hook = activeGraphHook();
  if (hook?.variable !== undefined) return hook.variable(initial, options);
  return new Variable(initial, options);
}

/**
 * Options of {@link getVariable}.
 *
 * @example
 * ```ts
 * const o: GetVariableOptions = { shape: [5, 5, 3, 20], initializer: truncatedNormalInitializer() };
 * ```
 */
export interface GetVariableOptions {
  /** The shape; required with an {@link Initializer}, optional (checked) with a value. */
  readonly shape?: readonly number[];
  /** The dtype (default float32, or the value's dtype). */
  readonly dtype?: DType;
  /** An initializer object, or the initial value itself (as TF's `initializer=3.0`). Default: Glorot uniform. */
  readonly initializer?: Initializer | TensorLike;
  /** Whether the variable is trainable (default true). */
  readonly trainable?: boolean;
}

/**
 * Creates a variable named `name`, TensorFlow `get_variable` style: from an initializer object
 * and a shape, or from an initial value. In eager mode each call creates a new variable (names are
 * metadata, not keys). Inside a graph (`graph.asDefault()`), it creates a graph variable with
 * TensorFlow's `variableScope` reuse rules.
 *
 * @example
 * ```ts
 * const w = getVariable('w', { initializer: 3 }); // a float32 scalar holding 3
 * const k = getVariable('conv_w0', { shape: [5, 5, 3, 20], initializer: truncatedNormalInitializer() });
 * ```
 */
export function getVariable(name: string, options: GetVariableOptions = {}): Variable {
  if (typeof name !== 'string' || name.length === 0) throw new ValueError('getVariable: name must be a non-empty string');
  const hook = activeGraphHook();
  if (hook?.getVariable !== undefined) return hook.getVariable(name, options);
  const { shape, dtype, initializer, trainable } = options;
  if (shape !== undefined) checkShape(shape, `getVariable('${name}')`);
  if (dtype !== undefined) assertDType(dtype, `getVariable('${name}')`);
  const init = initializer ?? glorotUniformInitializer();
  let value: Tensor;
  if (isInitializer(init)) {
    if (shape === undefined) {
      throw new ValueError(`getVariable('${name}'): a shape is required when the initializer is an initializer object`);
    }
    value = init.create(shape, dtype ?? 'float32');
  } else {
    value = tidy(() => {
      const fn = `getVariable('${name}')`;
      if (init instanceof Tensor) return dtype !== undefined && init.dtype !== dtype ? cast(init, dtype) : init;
      if (init === undefined || init === null) return toTensor(init, fn, 'initializer');
      // plain values go straight to the target dtype (numbers and arrays default to float32)
      const target = dtype ?? (typeof init === 'number' || Array.isArray(init) ? 'float32' : undefined);
      const p = parseValues(init, undefined, target, `${fn} (argument initializer)`);
      return ENGINE.fromValues(p.values, p.shape, p.dtype, fn);
    });
    if (shape !== undefined && !shapesEqual(shape, value.shape)) {
      throw new ShapeError(
        `getVariable('${name}'): shape ${formatShape(shape)} does not match the initial value's shape ${formatShape(value.shape)}`,
      );
    }
  }
  const v = new Variable(value, { name, ...(trainable !== undefined ? { trainable } : {}) });
  if (value !== init) value.dispose();
  return v;
}
