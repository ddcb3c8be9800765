/**
 * `GradientTape`: records eager ops for gradients, as TensorFlow's `tf.GradientTape`.
 *
 * @module
 */
import { DTypeError, isFloat, Tensor, ValueError, Variable, zeros } from '@tessera/core';
import { backpropagate } from './backprop.js';
import { describe } from './functions.js';
import { canonical, Tape } from './tape.js';

/**
 * Options of {@link GradientTape}.
 *
 * @example
 * ```ts
 * const tape = new GradientTape({ persistent: true, watchAccessedVariables: false });
 * ```
 */
export interface GradientTapeOptions {
  /** Allow several `gradient` calls (default false: the tape is released after the first). */
  readonly persistent?: boolean;
  /** Watch every trainable variable an op reads (default true). */
  readonly watchAccessedVariables?: boolean;
}

/**
 * Options of {@link GradientTape.gradient}.
 *
 * @example
 * ```ts
 * tape.gradient(y, [x, z], undefined, { unconnectedGradients: 'zero' });
 * ```
 */
export interface TapeGradientOptions {
  /** What a source the target does not depend on gets: `null` (default) or zeros. */
  readonly unconnectedGradients?: 'none' | 'zero';
}

/**
 * Records the eager ops run while it is open, so that gradients of a result with respect to
 * watched tensors can be computed. Recording starts when the tape is created and stops at
 * {@link GradientTape.dispose} (or `using`'s end of block), or after the first `gradient` call
 * of a non-persistent tape. Trainable variables are watched automatically when an op reads them;
 * other tensors are watched with {@link GradientTape.watch}.
 *
 * Tapes nest: a tape open while another computes its gradient records that computation, which
 * gives higher-order gradients. While a tape computes its own gradient it does not record.
 *
 * The tape keeps (cheap, shared-buffer) handles of the tensors its gradient rules need until it
 * is disposed; a non-persistent tape frees them after its gradient call.
 *
 * @example
 * ```ts
 * const x = tensor(3);
 * using tape = new GradientTape();
 * tape.watch(x);
 * const y = x.mul(x);
 * tape.gradient(y, x); // 6
 * ```
 *
 * @example
 * ```ts
 * // second derivative with nested tapes
 * const x = tensor(0.5);
 * const outer = new GradientTape();
 * outer.watch(x);
 * const inner = new GradientTape();
 * inner.watch(x);
 * const dy = inner.gradient(tanh(x), x)!;
 * const d2y = outer.gradient(dy, x); // -2 tanh(x) (1 - tanh(x)^2)
 * outer.dispose();
 * ```
 */
export class GradientTape {
  /** Whether `gradient` may be called more than once. */
  readonly persistent: boolean;
  /** Whether trainable variables are watched when read. */
  readonly watchAccessedVariables: boolean;
  private readonly tape: Tape;
  private used = false;

  /** Creates a tape and starts recording. */
  constructor(options: GradientTapeOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new ValueError(`GradientTape: options must be an object, got ${describe(options)}`);
    }
    this.persistent = options.persistent ?? false;
    this.watchAccessedVariables = options.watchAccessedVariables ?? true;
    this.tape = new Tape(this.watchAccessedVariables);
  }

  /** Whether the tape is currently recording ops. */
  get isRecording(): boolean {
    return this.tape.recording;
  }

  /**
   * Watches tensors (or variables), so gradients with respect to them can be taken. Only float
   * tensors can be watched.
   *
   * @example
   * ```ts
   * const tape = new GradientTape();
   * tape.watch(x, [y, z]);
   * ```
   */
  watch(...tensors: Array<Tensor | readonly Tensor[]>): void {
    this.checkOpen('watch');
    const flat = tensors.flat() as unknown[];
    flat.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new ValueError(`GradientTape.watch: argument ${i} is ${describe(t)}, not a tensor or variable`);
      if (!isFloat(t.dtype)) {
        throw new DTypeError(`GradientTape.watch: argument ${i} has dtype ${t.dtype}; only float tensors can be watched`);
      }
      this.tape.watch(t);
    });
  }

  /**
   * The variables this tape watches, in the order they were first watched or read.
   *
   * @example
   * ```ts
   * const tape = new GradientTape();
   * w.mul(2);
   * tape.watchedVariables(); // [w]
   * ```
   */
  watchedVariables(): Variable[] {
    return [...this.tape.variables];
  }

  /**
   * Runs `fn` without recording on this tape (other open tapes still record).
   *
   * @example
   * ```ts
   * const stats = tape.stopRecording(() => mean(x)); // not differentiated
   * ```
   */
  stopRecording<T>(fn: () => T): T {
    return this.tape.paused_(fn);
  }

  /**
   * Forgets everything recorded and watched so far; recording continues.
   *
   * @example
   * ```ts
   * tape.reset();
   * ```
   */
  reset(): void {
    this.checkOpen('reset');
    this.tape.clear();
  }

  /**
   * The gradient of `target` (a tensor, or several whose gradients are added) with respect to
   * `sources` (a tensor or an array; the result has the same form). A non-scalar target is
   * differentiated with an all-ones seed unless `outputGradients` (one per target, each of its
   * target's shape) is given. A source the target does not depend on gets `null` (or zeros with
   * `unconnectedGradients: 'zero'`). A non-persistent tape stops recording and frees what it
   * saved after this call; calling it again throws.
   *
   * @example
   * ```ts
   * using tape = new GradientTape();
   * tape.watch(x);
   * const y = x.mul(x).sum();
   * const dx = tape.gradient(y, x); // 2x
   * ```
   */
  gradient(target: Tensor | readonly Tensor[], sources: Tensor, outputGradients?: Tensor | readonly (Tensor | null)[], options?: TapeGradientOptions): Tensor | null;
  gradient(
    target: Tensor | readonly Tensor[],
    sources: readonly Tensor[],
    outputGradients?: Tensor | readonly (Tensor | null)[],
    options?: TapeGradientOptions,
  ): (Tensor | null)[];
  gradient(
    target: Tensor | readonly Tensor[],
    sources: Tensor | readonly Tensor[],
    outputGradients?: Tensor | readonly (Tensor | null)[],
    options: TapeGradientOptions = {},
  ): Tensor | null | (Tensor | null)[] {
    const fn = 'GradientTape.gradient';
    if (this.used && !this.persistent) {
      throw new ValueError(
        `${fn}: a non-persistent tape can compute gradients only once; create it with { persistent: true } to call gradient() several times`,
      );
    }
    this.checkOpen('gradient');
    const targets = target instanceof Tensor ? [target] : Array.isArray(target) ? (target as readonly unknown[]) : null;
    if (targets === null) throw new ValueError(`${fn}: target must be a tensor or an array of tensors, got ${describe(target)}`);
    targets.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new ValueError(`${fn}: target ${i} is ${describe(t)}, not a tensor`);
      if (!isFloat(t.dtype)) {
        throw new DTypeError(`${fn}: target ${i} has dtype ${t.dtype}; only float targets (float32, float64) can be differentiated`);
      }
    });
    const single = sources instanceof Tensor;
    const srcs = single ? [sources] : Array.isArray(sources) ? (sources as readonly unknown[]) : null;
    if (srcs === null) throw new ValueError(`${fn}: sources must be a tensor, a variable or an array of them, got ${describe(sources)}`);
    srcs.forEach((s, i) => {
      if (!(s instanceof Tensor)) throw new ValueError(`${fn}: source ${i} is ${describe(s)}, not a tensor or variable`);
    });
    let dys: (Tensor | null)[] | undefined;
    if (outputGradients !== undefined) {
      const list = outputGradients instanceof Tensor ? [outputGradients] : Array.isArray(outputGradients) ? (outputGradients as readonly unknown[]) : null;
      if (list === null) throw new ValueError(`${fn}: outputGradients must be a tensor or an array, got ${describe(outputGradients)}`);
      if (list.length !== targets.length) {
        throw new ValueError(`${fn}: got ${list.length} output gradients for ${targets.length} targets; give one per target`);
      }
      list.forEach((d, i) => {
        if (d !== null && d !== undefined && !(d instanceof Tensor)) throw new ValueError(`${fn}: output gradient ${i} is ${describe(d)}, not a tensor`);
      });
      dys = list as (Tensor | null)[];
    }
    if (!this.persistent) this.tape.stop();
    this.used = true;
    try {
      for (const t of targets as Tensor[]) this.tape.noteAccess(t);
      // Only watched tensors and tensors the tape computed from them have gradients (as in
      // TensorFlow); other sources are unconnected.
      const sourceList = (srcs as Tensor[]).map(canonical);
      const watched = sourceList.map((t) => this.tape.tracked.has(t));
      const grads = this.tape.paused_(() =>
        backpropagate(this.tape.nodes, (targets as Tensor[]).map(canonical), dys, sourceList.filter((_, i) => watched[i]), {
          caller: fn,
          ...(options.unconnectedGradients !== undefined ? { unconnectedGradients: options.unconnectedGradients } : {}),
        }),
      );
      let k = 0;
      const all = sourceList.map((t, i) => {
        if (watched[i]) return grads[k++]!;
        return options.unconnectedGradients === 'zero' && isFloat(t.dtype) ? zeros(t.shape, t.dtype) : null;
      });
      return single ? all[0]! : all;
    } finally {
      if (!this.persistent) this.tape.release();
    }
  }

  /**
   * Stops recording and frees what the tape saved. Idempotent.
   *
   * @example
   * ```ts
   * const tape = new GradientTape();
   * // ...
   * tape.dispose();
   * ```
   */
  dispose(): void {
    this.tape.release();
  }

  /** Disposes the tape at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  private checkOpen(what: string): void {
    if (this.tape.isReleased) {
      throw new ValueError(`GradientTape.${what}: the tape has been ${this.used && !this.persistent ? 'used (it is not persistent)' : 'disposed'}`);
    }
  }
}
