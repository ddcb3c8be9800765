/**
 * Reverse-mode backpropagation over a list of recorded nodes. The eager tape and graph mode
 * both call {@link backpropagate}: it never reads tensor values, so with symbolic nodes the
 * gradient rules build gradient nodes instead of computing numbers.
 *
 * @module
 */
import {
  activeGraphHook,
  add,
  DTypeError,
  formatShape,
  identity,
  isFloat,
  ones,
  onesLike,
  ShapeError,
  shapesEqual,
  Tensor,
  tidy,
  ValueError,
  zeros,
  zerosLike,
  type Attrs,
  type PartialShape,
  type TensorSpec,
} from '@tessera/core';
import { NoGradientError } from './errors.js';
import { getGradient, makeContext, type GradientRule } from './registry.js';

/**
 * One executed (or symbolic) op as backprop sees it: the op, its inputs and outputs in
 * execution order, its attributes, and optionally the values saved for its rule (the tape
 * saves snapshots; graph mode passes nothing and the rule reads the inputs and outputs).
 *
 * @example
 * ```ts
 * const node: GradientNode = { op: 'exp', inputs: [x], outputs: [y], attrs: {} };
 * ```
 */
export interface GradientNode {
  /** The op name, used to look up its rule. */
  readonly op: string;
  /** Inputs (their identities link nodes together). */
  readonly inputs: readonly Tensor[];
  /** Outputs. */
  readonly outputs: readonly Tensor[];
  /** Attributes, as the op received them. */
  readonly attrs: Attrs;
  /** Saved values for the rule's `saved.input(i)`; default: `inputs`. */
  readonly savedInputs?: readonly (Tensor | undefined)[];
  /** Saved values for the rule's `saved.output(i)`; default: `outputs`. */
  readonly savedOutputs?: readonly (Tensor | undefined)[];
  /** A rule for this node only (custom gradients); default: the registered rule of `op`. */
  readonly rule?: GradientRule;
}

/**
 * Options of {@link backpropagate}.
 *
 * @example
 * ```ts
 * const o: BackpropOptions = { unconnectedGradients: 'zero', caller: 'gradients' };
 * ```
 */
export interface BackpropOptions {
  /** What a source the targets do not depend on gets: `null` (default) or zeros. */
  readonly unconnectedGradients?: 'none' | 'zero';
  /** The public function name used in error messages (default `'backpropagate'`). */
  readonly caller?: string;
}

function specOf(t: Tensor): TensorSpec {
  return { shape: t.shape, dtype: t.dtype };
}

function zerosFor(t: TensorSpec & { readonly shape: PartialShape }, like: Tensor): Tensor {
  return t.shape.every((d) => d !== null) ? zeros(t.shape as number[], t.dtype) : zerosLike(like);
}

function onesFor(t: Tensor): Tensor {
  const s = t.shape as PartialShape;
  return s.every((d) => d !== null) ? ones(s as number[], t.dtype) : onesLike(t);
}

/**
 * Computes the gradients of `ys` with respect to `xs` by walking `nodes` (in execution order)
 * backwards. Only nodes on a path from an `x` to a `y` are visited, and only the gradient
 * thunks of inputs that lead to some `x` are called. Gradients arriving at one tensor are added.
 *
 * `dys` seeds the gradient of each `y` (default: ones of its shape). Returns one gradient per
 * `x`: `null` when no `y` depends on it (or zeros with `unconnectedGradients: 'zero'`). Gradients
 * flow only through float tensors. Throws {@link NoGradientError} for an op on the path
 * without a rule. Every returned tensor is a distinct handle the caller owns; intermediate
 * gradients are freed as soon as they are consumed (eager mode).
 *
 * @example
 * ```ts
 * // nodes recorded by a listener: y = exp(x)
 * const [dx] = backpropagate(nodes, [y], undefined, [x]); // exp(x)
 * ```
 */
export function backpropagate(
  nodes: readonly GradientNode[],
  ys: readonly Tensor[],
  dys: readonly (Tensor | null | undefined)[] | undefined,
  xs: readonly Tensor[],
  options: BackpropOptions = {},
): (Tensor | null)[] {
  const fn = options.caller ?? 'backpropagate';
  if (dys !== undefined && dys.length !== ys.length) {
    throw new ValueError(`${fn}: got ${dys.length} output gradients for ${ys.length} targets; give one per target`);
  }
  ys.forEach((y, i) => {
    if (!isFloat(y.dtype)) {
      throw new DTypeError(`${fn}: target ${i} has dtype ${y.dtype}; only float targets (float32, float64) can be differentiated`);
    }
    const dy = dys?.[i];
    if (dy !== undefined && dy !== null) {
      if (!(dy instanceof Tensor)) throw new ValueError(`${fn}: output gradient ${i} is not a tensor`);
      if (!shapesEqual(dy.shape, y.shape, true)) {
        throw new ShapeError(
          `${fn}: output gradient ${i} has shape ${formatShape(dy.shape)}, but target ${i} has shape ${formatShape(y.shape)}; they must match`,
        );
      }
      if (dy.dtype !== y.dtype) {
        throw new DTypeError(`${fn}: output gradient ${i} has dtype ${dy.dtype}, but target ${i} has dtype ${y.dtype}; they must match`);
      }
    }
  });

  const eager = activeGraphHook() === undefined;
  const xset = new Set(xs);

  // Forward pass: which tensors depend on some x (through float tensors only).
  const reach = new Set<Tensor>();
  for (const x of xs) if (isFloat(x.dtype)) reach.add(x);
  const live = new Array<boolean>(nodes.length).fill(false);
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (n.inputs.some((t) => reach.has(t))) {
      live[i] = true;
      for (const o of n.outputs) if (isFloat(o.dtype)) reach.add(o);
    }
  }
  // Backward pass: which of those lead to some y.
  const need = new Set<Tensor>(ys);
  const kept = new Array<boolean>(nodes.length).fill(false);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!live[i] || !n.outputs.some((o) => need.has(o))) continue;
    kept[i] = true;
    for (const t of n.inputs) if (reach.has(t)) need.add(t);
  }

  // Accumulated gradients, with a count of the map slots holding each tensor so that
  // intermediate gradients are freed once nothing refers to them.
  const grads = new Map<Tensor, Tensor>();
  const holders = new Map<Tensor, number>();
  const foreign = new Set<Tensor>();
  const hold = (g: Tensor): void => {
    holders.set(g, (holders.get(g) ?? 0) + 1);
  };
  const release = (g: Tensor): void => {
    const c = (holders.get(g) ?? 0) - 1;
    if (c > 0) {
      holders.set(g, c);
      return;
    }
    holders.delete(g);
    if (eager && !foreign.has(g) && !g.isSymbolic) g.dispose();
  };
  const accumulate = (key: Tensor, g: Tensor): void => {
    const old = grads.get(key);
    if (old === undefined) {
      grads.set(key, g);
      hold(g);
      return;
    }
    const s = add(old, g);
    grads.set(key, s);
    hold(s);
    release(old);
    if (!holders.has(g)) release(g);
  };

  ys.forEach((y, i) => {
    if (!reach.has(y)) return;
    const given = dys?.[i];
    let seed: Tensor;
    if (given !== undefined && given !== null) {
      seed = given;
      foreign.add(given);
    } else seed = onesFor(y);
    accumulate(y, seed);
  });

  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!kept[i]) continue;
    const n = nodes[i]!;
    const outGrads = n.outputs.map((o) => grads.get(o));
    if (outGrads.every((g) => g === undefined)) continue;
    const rule = n.rule ?? getGradient(n.op);
    if (rule === undefined) throw new NoGradientError(n.op);
    const wanted: number[] = [];
    n.inputs.forEach((t, j) => {
      if (reach.has(t)) wanted.push(j);
    });
    const compute = (): (Tensor | null)[] => {
      const filled = n.outputs.map((o, k) => outGrads[k] ?? zerosFor(specOf(o), o));
      const ctx = makeContext(
        n.op,
        n.savedInputs ?? n.inputs,
        n.savedOutputs ?? n.outputs,
        n.inputs.map(specOf),
        n.outputs.map(specOf),
        n.attrs,
      );
      const thunks = rule.grad(filled, ctx);
      if (!Array.isArray(thunks)) {
        throw new ValueError(`gradient of '${n.op}': the rule must return an array of thunks (one per input), got ${typeof thunks}`);
      }
      return wanted.map((j) => {
        const th = thunks[j];
        if (th === null || th === undefined) return null;
        const dx = th();
        checkGradient(n.op, j, n.inputs[j]!, dx);
        return dx;
      });
    };
    const dxs = eager ? tidy(compute) : compute();
    wanted.forEach((j, k) => {
      const dx = dxs[k];
      if (dx !== null && dx !== undefined) accumulate(n.inputs[j]!, dx);
    });
    for (const o of n.outputs) {
      const g = grads.get(o);
      if (g === undefined || xset.has(o)) continue;
      grads.delete(o);
      release(g);
    }
  }

  const seen = new Set<Tensor>();
  const results = xs.map((x) => {
    let g = grads.get(x) ?? null;
    if (g === null) {
      if (options.unconnectedGradients === 'zero' && isFloat(x.dtype)) g = zerosFor(specOf(x), x);
      return g;
    }
    if (seen.has(g) || foreign.has(g)) g = identity(g);
    seen.add(g);
    return g;
  });
  // Free what is left (gradients of targets or intermediates that reached no source).
  for (const [key, g] of grads) {
    grads.delete(key);
    if (!seen.has(g)) release(g);
  }
  return results;
}

function checkGradient(op: string, j: number, input: Tensor, dx: unknown): asserts dx is Tensor {
  if (!(dx instanceof Tensor)) {
    throw new ValueError(`gradient of '${op}': the thunk for input ${j} returned ${String(dx)}, not a tensor`);
  }
  if (!shapesEqual(dx.shape, input.shape, true)) {
    throw new ShapeError(
      `gradient of '${op}': the rule returned shape ${formatShape(dx.shape)} for input ${j}, whose shape is ${formatShape(input.shape)}`,
    );
  }
  if (dx.dtype !== input.dtype) {
    throw new DTypeError(`gradient of '${op}': the rule returned dtype ${dx.dtype} for input ${j}, whose dtype is ${input.dtype}`);
  }
}
