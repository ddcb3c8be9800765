/**
 * Tape recording: a tape listens to eager ops, keeps the nodes that depend on what it watches,
 * and saves (as cheap snapshot handles) only the tensors their gradient rules declare.
 *
 * @module
 */
import {
  addOpListener,
  isFloat,
  retain,
  Variable,
  type Attrs,
  type OpRecord,
  type Tensor,
} from '@tessera/core';
import type { GradientNode } from './backprop.js';
import { getGradient, savedFlags, type GradientRule } from './registry.js';

/**
 * Snapshot handles made by tapes map back to the tensor they were taken from, so that a tape
 * recording the backward pass of another (higher-order gradients) links the rule's ops to the
 * original forward tensors.
 */
const aliases: WeakMap<Tensor, Tensor> = new WeakMap();

/** The tensor a (possibly snapshot) handle stands for. @internal */
export function canonical(t: Tensor): Tensor {
  return aliases.get(t) ?? t;
}

function snapshot(t: Tensor): Tensor {
  const h = retain(t);
  if (h !== t) aliases.set(h, canonical(t));
  return h;
}

/** The recorder behind every gradient API. @internal */
export class Tape {
  readonly nodes: GradientNode[] = [];
  readonly tracked: Set<Tensor> = new Set();
  /** Variables watched (explicitly or on first use), in first-use order. */
  readonly variables: Variable[] = [];
  private readonly variableSet = new Set<Variable>();
  private saved: Tensor[] = [];
  private removeListener: (() => void) | null;
  private paused = 0;
  private released = false;

  constructor(readonly watchAccessedVariables: boolean) {
    this.removeListener = addOpListener({
      recordOp: (r: OpRecord) => this.recordOp(r),
      recordsAsUnit: (op: string) => getGradient(op) !== undefined,
    });
  }

  get recording(): boolean {
    return this.removeListener !== null && this.paused === 0;
  }

  get isReleased(): boolean {
    return this.released;
  }

  watch(t: Tensor): void {
    const c = canonical(t);
    if (c instanceof Variable) this.noteVariable(c);
    this.tracked.add(c);
  }

  private noteVariable(v: Variable): void {
    if (!this.variableSet.has(v)) {
      this.variableSet.add(v);
      this.variables.push(v);
    }
  }

  /** Notes a variable read without an op (a function returning a variable itself). */
  noteAccess(t: Tensor): void {
    if (this.watchAccessedVariables && t instanceof Variable && t.trainable && isFloat(t.dtype)) this.watch(t);
  }

  private recordOp(r: OpRecord): void {
    if (this.paused > 0) return;
    const rule = getGradient(r.op);
    this.record(r.op, r.inputs, r.outputs, r.attrs, rule);
  }

  private record(
    op: string,
    rawInputs: readonly Tensor[],
    rawOutputs: readonly Tensor[],
    attrs: Attrs,
    rule: GradientRule | undefined,
  ): void {
    const inputs = rawInputs.map(canonical);
    let hit = false;
    for (const t of inputs) {
      if (this.tracked.has(t)) hit = true;
      else if (this.watchAccessedVariables && t instanceof Variable && t.trainable && isFloat(t.dtype)) {
        this.watch(t);
        hit = true;
      }
    }
    if (!hit) return;
    const outputs = rawOutputs.map(canonical);
    let savedInputs: (Tensor | undefined)[] | undefined;
    let savedOutputs: (Tensor | undefined)[] | undefined;
    if (rule !== undefined) {
      const flags = savedFlags(rule, inputs.length, outputs.length);
      savedInputs = rawInputs.map((t, i) => (flags.inputs[i] ? this.keep(t) : undefined));
      savedOutputs = rawOutputs.map((t, i) => (flags.outputs[i] ? this.keep(t) : undefined));
    }
    for (const o of outputs) if (isFloat(o.dtype)) this.tracked.add(o);
    this.nodes.push({
      op,
      inputs,
      outputs,
      attrs,
      ...(savedInputs !== undefined ? { savedInputs } : {}),
      ...(savedOutputs !== undefined ? { savedOutputs } : {}),
    });
  }

  private keep(t: Tensor): Tensor {
    const h = snapshot(t);
    this.saved.push(h);
    return h;
  }

  /** Runs `fn` without this tape recording (other tapes still record). */
  paused_<T>(fn: () => T): T {
    this.paused++;
    try {
      return fn();
    } finally {
      this.paused--;
    }
  }

  /** Stops listening to ops; the recorded nodes stay until {@link Tape.release}. */
  stop(): void {
    if (this.removeListener !== null) {
      this.removeListener();
      this.removeListener = null;
    }
  }

  /** Drops the nodes (keeping the listener and watched tensors' list cleared too). */
  clear(): void {
    for (const t of this.saved) t.dispose();
    this.saved = [];
    this.nodes.length = 0;
    this.tracked.clear();
    this.variables.length = 0;
    this.variableSet.clear();
  }

  /** Stops recording and frees every saved tensor. Idempotent. */
  release(): void {
    this.stop();
    this.clear();
    this.released = true;
  }
}
