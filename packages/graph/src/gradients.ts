/**
 * Symbolic gradients: `gradients(ys, xs, gradYs)` builds gradient nodes with autograd's
 * `backpropagate` and the same gradient rules as the eager tape; control flow (`cond`,
 * `whileLoop`) and composite ops without a rule get rules here.
 *
 * @module
 */
import { backpropagate, getGradient, type GradientNode, type GradientRule } from '@tessera/autograd';
import { add, identity, isFloat, Tensor, tensor, ValueError, zeros, zerosLike, type TensorLike } from '@tessera/core';
import { GraphError } from './errors.js';
import { buildCond } from './control.js';
import type { Graph } from './graph.js';
import type { Ctx, GraphNode } from './node.js';
import { GraphVariable, isGraphTensor, Operation, SymbolicTensor } from './symbolic.js';

/**
 * Options of {@link gradients}.
 *
 * @example
 * ```ts
 * const o: GradientsOptions = { unconnectedGradients: 'zero' };
 * ```
 */
export interface GradientsOptions {
  /** What an `x` that no `y` depends on gets: `null` (`'none'`, the default) or zeros. */
  readonly unconnectedGradients?: 'none' | 'zero';
}

const gradNodes: WeakMap<GraphNode, GradientNode> = new WeakMap();

const identityRule: GradientRule = { grad: ([dy]) => [() => dy!] };

/** The backprop view of a node, with the rule control-flow and composite nodes need. @internal */
export function gradientNodeOf(g: Graph, n: GraphNode): GradientNode {
  let r = gradNodes.get(n);
  if (r !== undefined) return r;
  const base = { op: n.op, inputs: n.inputs, outputs: n.outputs, attrs: n.attrs };
  switch (n.kind) {
    case 'op':
      r = n.def?.kind === 'composite' && getGradient(n.op) === undefined ? { ...base, rule: expandRule(g, n) } : base;
      break;
    case 'assign':
    case 'placeholder':
      r = n.inputs.length > 0 ? { ...base, rule: identityRule } : base;
      break;
    case 'cond':
      r = { ...base, rule: condRule(g, n) };
      break;
    case 'while':
      r = { ...base, rule: whileRule(g, n) };
      break;
    default:
      r = base;
  }
  gradNodes.set(n, r);
  return r;
}

function sortedNodes(ctxs: Iterable<Ctx>): GraphNode[] {
  const all: GraphNode[] = [];
  for (const c of ctxs) all.push(...c.nodes);
  return all.sort((a, b) => a.id - b.id);
}

/** The nodes whose outputs are visible from `ctx`, in creation order. */
function visibleNodes(ctx: Ctx): GraphNode[] {
  if (ctx.parent === null && ctx.remat.length === 0) return ctx.nodes;
  const set = new Set<Ctx>();
  for (let c: Ctx | null = ctx; c !== null; c = c.parent) {
    set.add(c);
    for (const r of c.remat) set.add(r);
  }
  return sortedNodes(set);
}

function once<T>(f: () => T): () => T {
  let done = false;
  let v: T | undefined;
  return () => {
    if (!done) {
      v = f();
      done = true;
    }
    return v as T;
  };
}

/** A composite op without a registered rule: differentiate its composition. */
function expandRule(g: Graph, n: GraphNode): GradientRule {
  const def = n.def;
  if (def === undefined || def.kind !== 'composite') throw new GraphError(`internal: ${n.name} is not a composite op`);
  return {
    grad: (dys) => {
      const all = once(() => {
        const start = g.nodes.length;
        const outs = def.compose(n.inputs, n.attrs);
        const inner = g.nodes.slice(start).map((m) => gradientNodeOf(g, m));
        const ys: Tensor[] = [];
        const ds: Tensor[] = [];
        outs.forEach((o, i) => {
          if (isFloat(o.dtype)) {
            ys.push(o);
            ds.push(dys[i]!);
          }
        });
        if (ys.length === 0) return n.inputs.map(() => null);
        return backpropagate(inner, ys, ds, n.inputs, { caller: 'gradients' });
      });
      return n.inputs.map((x, j) => (isFloat(x.dtype) ? () => all()[j] ?? zerosLike(x) : null));
    },
  };
}

/** The gradient of a `cond`: a `cond` on the same predicate over the branches' gradients. */
function condRule(g: Graph, n: GraphNode): GradientRule {
  const data = n.cond!;
  const caps = n.inputs.slice(1);
  const floatCaps = caps.filter((c) => isFloat(c.dtype));
  return {
    grad: (dys) => {
      const all = once(() => {
        const branch = (b: Ctx) => (): Tensor[] => {
          const here = g.current;
          here.remat.push(b);
          for (const c of b.captures) g.capture(c, here, 'gradients');
          const ys: Tensor[] = [];
          const ds: Tensor[] = [];
          b.outputs.forEach((o, i) => {
            if (isFloat(o.dtype) && !(n.outputs[i] instanceof Operation)) {
              ys.push(o);
              ds.push(dys[i]!);
            }
          });
          const r =
            ys.length === 0 || floatCaps.length === 0
              ? floatCaps.map(() => null)
              : backpropagate(sortedNodes([b]).map((m) => gradientNodeOf(g, m)), ys, ds, floatCaps, { caller: 'gradients' });
          return r.map((d, j) => d ?? zerosLike(floatCaps[j]!));
        };
        if (floatCaps.length === 0) return new Map<SymbolicTensor, Tensor>();
        const outs = buildCond(g, n.inputs[0]!, branch(data.trueCtx), branch(data.falseCtx), { name: `${n.name}_grad` }) as Tensor[];
        return new Map(floatCaps.map((c, j) => [c, outs[j]!] as const));
      });
      return [null, ...caps.map((c) => (isFloat(c.dtype) ? () => all().get(c)! : null))];
    },
  };
}

/** The gradient of a `whileLoop`: a `whileGrad` node replaying the recorded iterations backwards. */
function whileRule(g: Graph, n: GraphNode): GradientRule {
  const loop = n.loop!;
  const body = loop.bodyCtx;
  const numVars = loop.numVars;
  return {
    grad: (dys) => {
      const all = once(() => {
        if (loop.maximumIterations === undefined) {
          throw new GraphError(
            `gradients: whileLoop '${n.name}' has no maximumIterations; gradients through a loop need it ` +
              `(whileLoop(cond, body, vars, { maximumIterations: N }))`,
          );
        }
        for (let c: Ctx | null = n.ctx; c !== null; c = c.parent) {
          if (c.kind === 'loopBody' || c.kind === 'loopCond' || c.kind === 'whileGrad') {
            throw new GraphError(`gradients: gradients of a whileLoop nested in another whileLoop ('${n.name}') are not supported`);
          }
        }
        loop.record = true;
        const G = g.current;
        const floatVars: number[] = [];
        for (let k = 0; k < numVars; k++) if (isFloat(n.outputs[k]!.dtype)) floatVars.push(k);
        const caps = body.captures.filter((c) => isFloat(c.dtype));
        const name = g.reserveName(`${n.name.split('/').pop()!}_grad`);
        const wg = g.newCtx('whileGrad', G, `the gradient of whileLoop '${n.name}'`);
        wg.remat.push(body);
        g.withCtx(wg, () =>
          g.withNamePrefix(name, () => {
            for (const c of body.captures) g.capture(c, wg, 'gradients');
            wg.loopVars = floatVars.map(
              (k, j) => g.addNode({ kind: 'loopVar', name: `grad_${j}`, ctx: wg }, [{ shape: n.outputs[k]!.partialShape, dtype: n.outputs[k]!.dtype }]).outputs[0]!,
            );
            const ys = floatVars.map((k) => body.outputs[k]!);
            const xs = [...floatVars.map((k) => body.loopVars[k]!), ...caps];
            const r =
              ys.length === 0
                ? xs.map(() => null)
                : backpropagate(sortedNodes([body]).map((m) => gradientNodeOf(g, m)), ys, wg.loopVars, xs, { caller: 'gradients' });
            wg.outputs = r.map((d, j) => {
              let t = (d ?? zerosLike(xs[j]!)) as SymbolicTensor;
              t = g.resolve(t, wg, 'gradients', 'gradient');
              if (t.node.ctx !== wg || t.node.kind === 'loopVar') t = identity(t) as SymbolicTensor;
              return t;
            });
          }),
        );
        wg.closed = true;
        const dyIn = floatVars.map((k) => g.resolve(dys[k]!, G, 'gradients', `gradient of output ${k}`));
        const node = g.addNode(
          {
            kind: 'whileGrad',
            name,
            rawName: true,
            inputs: [...n.outputs, ...dyIn, ...wg.captures],
            ctx: G,
            whileGrad: { forward: n, ctx: wg, floatVars, captures: caps },
          },
          [...floatVars.map((k) => ({ shape: n.inputs[k]!.partialShape, dtype: n.inputs[k]!.dtype })), ...caps.map((c) => ({ shape: c.partialShape, dtype: c.dtype }))],
        );
        wg.owner = node;
        const varGrads = new Map<number, Tensor>(floatVars.map((k, j) => [k, node.outputs[j]!] as const));
        const capGrads = new Map<SymbolicTensor, Tensor>(caps.map((c, j) => [c, node.outputs[floatVars.length + j]!] as const));
        return { varGrads, capGrads };
      });
      return n.inputs.map((x, j) => {
        if (!isFloat(x.dtype)) return null;
        if (j < numVars) return () => all().varGrads.get(j)!;
        if (!body.captureSet.has(x)) return null;
        return () => all().capGrads.get(x)!;
      });
    },
  };
}

function toList<T>(x: T | readonly T[]): T[] {
  return Array.isArray(x) ? [...(x as readonly T[])] : [x as T];
}

/** {@link gradients} on a known graph; also core's `GraphHook.gradients`. @internal */
export function graphGradients(
  g: Graph,
  ys: readonly Tensor[],
  xs: readonly Tensor[],
  gradYs: readonly (TensorLike | null | undefined)[] | undefined,
  options: GradientsOptions,
  fn: string,
): (Tensor | null)[] {
  return g.building(() => {
    const ctx = g.current;
    const ysR = ys.map((y, i) => {
      if (!(y instanceof Tensor)) throw new ValueError(`${fn}: ys[${i}] is not a tensor`);
      return g.resolve(y, ctx, fn, `ys[${i}]`);
    });
    if (gradYs !== undefined && gradYs.length !== ys.length) {
      throw new ValueError(`${fn}: got ${gradYs.length} gradYs for ${ys.length} ys; give one per y (null for the default)`);
    }
    const dys = gradYs?.map((d, i) => {
      if (d === null || d === undefined) return undefined;
      const t = d instanceof Tensor ? d : tensor(d, undefined, ysR[i]!.dtype);
      return g.resolve(t, ctx, fn, `gradYs[${i}]`);
    });
    const groups: SymbolicTensor[][] = xs.map((x, i) => {
      if (!(x instanceof Tensor)) throw new ValueError(`${fn}: xs[${i}] is not a tensor or variable`);
      if (x instanceof GraphVariable && x.assignNode === undefined) {
        if (x.graph !== g) g.resolve(x, ctx, fn, `xs[${i}]`);
        const reads = (g.readsOf.get(x) ?? []).filter((r) => visible(r, ctx));
        return reads.map((r) => g.capture(r, ctx, fn));
      }
      if (!isGraphTensor(x)) {
        throw new GraphError(`${fn}: xs[${i}] is an eager tensor; gradients() differentiates graph tensors (use GradientTape eagerly)`);
      }
      return [g.resolve(x, ctx, fn, `xs[${i}]`)];
    });
    const flat = groups.flat();
    const nodes = visibleNodes(ctx).map((n) => gradientNodeOf(g, n));
    const res = flat.length === 0 ? [] : backpropagate(nodes, ysR, dys, flat, { caller: fn });
    let pos = 0;
    return groups.map((grp, i) => {
      let acc: Tensor | null = null;
      for (let k = 0; k < grp.length; k++) {
        const d = res[pos++] ?? null;
        if (d !== null) acc = acc === null ? d : add(acc, d);
      }
      if (acc === null && options.unconnectedGradients === 'zero') {
        const x = xs[i]!;
        acc = x instanceof GraphVariable ? zeros(x.shape as number[], x.dtype) : zerosLike(groups[i]![0] ?? x);
      }
      if (acc !== null && grp.length > 0 && acc === grp[0]) acc = identity(acc);
      return acc;
    });
  });
}

function visible(t: SymbolicTensor, ctx: Ctx): boolean {
  const home = t.node.ctx;
  for (let c: Ctx | null = ctx; c !== null; c = c.parent) if (c === home || c.remat.includes(home)) return true;
  return false;
}

/**
 * Builds the gradients of `ys` (summed) with respect to each of `xs`, as graph tensors: the
 * same gradient rules as the eager tape, applied to the graph's nodes. `xs` may be tensors
 * (placeholders, intermediate values such as a split model's interface vector) or graph
 * variables. `gradYs` seeds the gradient of each `y` (default ones), as TensorFlow's
 * `grad_ys`: `gradients(iv, secondPartVars, ivGrad)` backpropagates a gradient computed
 * elsewhere. An `x` that no `y` depends on gets `null` (or zeros with
 * `unconnectedGradients: 'zero'`).
 *
 * Call it while building the graph (or anywhere: it enters the tensors' graph itself).
 *
 * @example
 * ```ts
 * const g = new Graph();
 * const { x, dx } = g.asDefault(() => {
 *   const x = placeholder('float32', [], { name: 'x' });
 *   const y = x.mul(x).add(x.mul(2)).add(4);
 *   return { x, dx: gradients(y, [x])[0]! };
 * });
 * new Session(g).run(dx, { x: 2 }).item(); // 6
 * ```
 */
export function gradients(
  ys: Tensor | readonly Tensor[],
  xs: Tensor | readonly Tensor[],
  gradYs?: TensorLike | null | readonly (TensorLike | null | undefined)[],
  options: GradientsOptions = {},
): (Tensor | null)[] {
  const fn = 'gradients';
  const yl = toList(ys);
  const xl = toList(xs);
  if (yl.length === 0) throw new ValueError(`${fn}: ys is empty`);
  const listOfSeeds = Array.isArray(gradYs) && (gradYs as readonly unknown[]).some((e) => e instanceof Tensor || e === null || e === undefined);
  const gy =
    gradYs === undefined || gradYs === null
      ? undefined
      : Array.isArray(ys) || listOfSeeds
        ? toList(gradYs as readonly TensorLike[])
        : [gradYs as TensorLike];
  const first = [...yl, ...xl].find((t) => isGraphTensor(t)) as SymbolicTensor | GraphVariable | undefined;
  if (first === undefined) {
    throw new GraphError(
      `${fn}: ys and xs are not graph tensors; build them inside graph.asDefault(), or use GradientTape / gradientsFunction from @tessera/autograd eagerly`,
    );
  }
  return graphGradients(first.graph, yl, xl, gy, options, fn);
}
