/**
 * Saving graphs to JSON and loading them back, with validation of untrusted input.
 *
 * @module
 */
import {
  bytesPerElement,
  formatShape,
  getOp,
  isDType,
  isFloat,
  makeTypedArray,
  shapesEqual,
  TesseraError,
  type PartialShape,
  type TensorSpec,
  type TypedArray,
} from '@tessera/core';
import { GraphError } from './errors.js';
import type { Graph } from './graph.js';
import type { Ctx, CtxKind, GraphNode, NodeKind, NodeSpec, Structure } from './node.js';
import { GraphVariable, Operation, SymbolicTensor } from './symbolic.js';

/**
 * A reference to a node output in {@link GraphJSON}: `[node index, output index]`.
 *
 * @example
 * ```ts
 * const ref: TensorRef = [3, 0];
 * ```
 */
export type TensorRef = readonly [number, number];

/**
 * A context in {@link GraphJSON}: the graph's top level (index 0) or a sub-graph of a control
 * flow node (a `cond` branch, a loop condition or body, a loop gradient).
 *
 * @example
 * ```ts
 * const root: ContextJSON = { kind: 'root', parent: null, label: 'the graph', remat: [], outputs: [], loopVars: [], captures: [] };
 * ```
 */
export interface ContextJSON {
  /** `root`, `branch`, `loopCond`, `loopBody` or `whileGrad`. */
  readonly kind: string;
  /** The enclosing context's index (`null` for the root). */
  readonly parent: number | null;
  /** A description used in messages. */
  readonly label: string;
  /** Contexts whose nodes this one may recompute. */
  readonly remat: readonly number[];
  /** The values it returns to its owner. */
  readonly outputs: readonly TensorRef[];
  /** The values its owner binds before running it. */
  readonly loopVars: readonly TensorRef[];
  /** Tensors of enclosing contexts it uses. */
  readonly captures: readonly TensorRef[];
}

/**
 * The shape and dtype of a node output in {@link GraphJSON}; `op` marks an output that is an
 * operation (no value).
 *
 * @example
 * ```ts
 * const o: OutputJSON = { shape: [null, 3], dtype: 'float32' };
 * ```
 */
export interface OutputJSON {
  /** The shape, `null` for unknown dimensions. */
  readonly shape: readonly (number | null)[];
  /** The dtype. */
  readonly dtype: string;
  /** Whether the output is an operation. */
  readonly op?: boolean;
}

/**
 * A node in {@link GraphJSON}.
 *
 * @example
 * ```ts
 * const n: NodeJSON = { name: 'mul', kind: 'op', op: 'mul', ctx: 0, inputs: [[0, 0], [1, 0]], control: [], outputs: [{ shape: [2], dtype: 'float32' }] };
 * ```
 */
export interface NodeJSON {
  /** The unique node name. */
  readonly name: string;
  /** The kind: `op`, `const`, `placeholder`, `variable`, `read`, `assign`, `group`, `cond`, `while`, `whileGrad`, `loopVar`. */
  readonly kind: string;
  /** For `op` nodes: the core op name. */
  readonly op?: string;
  /** The index of its context. */
  readonly ctx: number;
  /** Data inputs (earlier nodes only). */
  readonly inputs: readonly TensorRef[];
  /** Nodes that must run first. */
  readonly control: readonly TensorRef[];
  /** Op attributes (non-finite numbers as `{ "$f": "Infinity" }`). */
  readonly attrs?: unknown;
  /** Output shapes and dtypes. */
  readonly outputs: readonly OutputJSON[];
  /** For constants: the values, little-endian, base64. */
  readonly data?: string;
  /** For variable nodes, reads and assignments: the variable's index. */
  readonly variable?: number;
  /** For `cond`: its branches and output structure. */
  readonly cond?: { readonly trueCtx: number; readonly falseCtx: number; readonly structure: unknown };
  /** For `while`: its contexts and options. */
  readonly loop?: {
    readonly condCtx: number;
    readonly bodyCtx: number;
    readonly numVars: number;
    readonly maximumIterations: number | null;
    readonly record: boolean;
  };
  /** For `whileGrad`: the loop it differentiates. */
  readonly whileGrad?: {
    readonly forward: number;
    readonly ctx: number;
    readonly floatVars: readonly number[];
    readonly captures: readonly TensorRef[];
  };
}

/**
 * A variable in {@link GraphJSON}.
 *
 * @example
 * ```ts
 * const v: VariableJSON = { name: 'first_part/w', trainable: true, node: 5, initialValue: [4, 0], initializer: 7, reusable: true };
 * ```
 */
export interface VariableJSON {
  /** The variable's name. */
  readonly name: string;
  /** Whether it is trainable. */
  readonly trainable: boolean;
  /** The index of its `variable` node. */
  readonly node: number;
  /** Its initial value. */
  readonly initialValue: TensorRef;
  /** The index of its initializer (a `group` node). */
  readonly initializer: number;
  /** Whether `getVariable` created it (so a reusing variable scope finds it). */
  readonly reusable: boolean;
}

/**
 * A graph as {@link Graph.toJSON} writes it: plain JSON (`JSON.stringify` it).
 *
 * @example
 * ```ts
 * const json: GraphJSON = g.toJSON();
 * json.nodes.length;
 * ```
 */
export interface GraphJSON {
  /** Always `'tessera-graph'`. */
  readonly format: 'tessera-graph';
  /** The format version (1). */
  readonly version: 1;
  /** Contexts; the first is the root. */
  readonly contexts: readonly ContextJSON[];
  /** Nodes in creation (and execution) order. */
  readonly nodes: readonly NodeJSON[];
  /** Variables. */
  readonly variables: readonly VariableJSON[];
}

// ---- base64 -----------------------------------------------------------------------------------

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

function toBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = i + 1 < bytes.length ? bytes[i + 1]! : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2]! : 0;
    const n = (a << 16) | (b << 8) | c;
    chunk += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    chunk += i + 1 < bytes.length ? B64[(n >> 6) & 63]! : '=';
    chunk += i + 2 < bytes.length ? B64[n & 63]! : '=';
    if (chunk.length >= 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  parts.push(chunk);
  return parts.join('');
}

function fromBase64(s: string): Uint8Array | null {
  if (s.length % 4 !== 0) return null;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const ch = s.charCodeAt(i + k);
      let v: number;
      if (ch === 61 /* = */ && i + k >= s.length - pad) v = 0;
      else {
        v = ch < 128 ? B64_INDEX[ch]! : -1;
        if (v < 0) return null;
      }
      n = (n << 6) | v;
    }
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

function bytesOf(a: TypedArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

// ---- attributes -----------------------------------------------------------------------------

function encodeAttr(v: unknown, where: string): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : { $f: String(v) };
  if (typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
  if (Array.isArray(v)) return v.map((e, i) => encodeAttr(e, `${where}[${i}]`));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const o: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v as Record<string, unknown>)) {
      if (e !== undefined) o[k] = encodeAttr(e, `${where}.${k}`);
    }
    return o;
  }
  throw new GraphError(`toJSON: attribute ${where} is ${typeof v}, which cannot be saved as JSON`);
}

const MAX_DEPTH = 32;

function decodeAttr(v: unknown, where: string, depth: number): unknown {
  if (depth > MAX_DEPTH) throw fail(`attribute ${where} is nested too deeply`);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
  if (Array.isArray(v)) {
    if (v.length > 1 << 20) throw fail(`attribute ${where} is too long`);
    return v.map((e, i) => decodeAttr(e, `${where}[${i}]`, depth + 1));
  }
  if (typeof v === 'object') {
    const keys = Object.keys(v as object);
    if (keys.length === 1 && keys[0] === '$f') {
      const f = (v as { $f: unknown }).$f;
      if (f === 'Infinity') return Number.POSITIVE_INFINITY;
      if (f === '-Infinity') return Number.NEGATIVE_INFINITY;
      if (f === 'NaN') return Number.NaN;
      throw fail(`attribute ${where} has an invalid number ${JSON.stringify(f)}`);
    }
    const o: Record<string, unknown> = {};
    for (const k of keys) {
      if (k === '__proto__' || k === 'constructor' || k === 'prototype') throw fail(`attribute ${where} has a forbidden key '${k}'`);
      o[k] = decodeAttr((v as Record<string, unknown>)[k], `${where}.${k}`, depth + 1);
    }
    return o;
  }
  throw fail(`attribute ${where} has an invalid value`);
}

// ---- toJSON ---------------------------------------------------------------------------------

/** Writes `g` as JSON. @internal */
export function graphToJSON(g: Graph): GraphJSON {
  const live = (c: Ctx): boolean => {
    for (let x: Ctx | null = c; x !== null; x = x.owner === null ? null : x.owner.ctx) {
      if (x === g.root) return true;
      if (x.owner === null) return false;
    }
    return false;
  };
  const ctxs = g.ctxs.filter(live);
  const ctxIndex = new Map(ctxs.map((c, i) => [c, i] as const));
  const nodes = g.nodes.filter((n) => ctxIndex.has(n.ctx));
  const nodeIndex = new Map(nodes.map((n, i) => [n, i] as const));
  const varIndex = new Map(g.variables.map((v, i) => [v, i] as const));
  const ref = (t: SymbolicTensor): TensorRef => {
    const i = nodeIndex.get(t.node);
    if (i === undefined) throw new GraphError(`toJSON: internal error: '${t.name}' is not part of the graph`);
    return [i, t.index];
  };
  const ctxRef = (c: Ctx): number => {
    const i = ctxIndex.get(c);
    if (i === undefined) throw new GraphError(`toJSON: internal error: a context is not part of the graph`);
    return i;
  };
  const contexts: ContextJSON[] = ctxs.map((c) => ({
    kind: c.kind,
    parent: c.parent === null ? null : ctxRef(c.parent),
    label: c.label,
    remat: c.remat.map(ctxRef),
    outputs: c.outputs.map(ref),
    loopVars: c.loopVars.map(ref),
    captures: c.captures.map(ref),
  }));
  const nodesJSON: NodeJSON[] = nodes.map((n) => {
    let data: string | undefined;
    if (n.kind === 'const') {
      let values = n.values;
      if (values === undefined) {
        const e = n.eager!;
        if (!e.backend.capabilities.syncRead) {
          throw new GraphError(
            `toJSON: constant '${n.name}' holds a tensor of backend '${e.backend.name}', which cannot be read synchronously; create the constant from host values`,
          );
        }
        values = e.dataSync();
      }
      data = toBase64(bytesOf(values));
    }
    const v = n.variable === undefined ? undefined : varIndex.get(n.variable);
    return {
      name: n.name,
      kind: n.kind,
      ...(n.kind === 'op' ? { op: n.op } : {}),
      ctx: ctxRef(n.ctx),
      inputs: n.inputs.map(ref),
      control: n.control.map(ref),
      ...(Object.keys(n.attrs).length > 0 ? { attrs: encodeAttr(n.attrs, `${n.name}.attrs`) } : {}),
      outputs: n.outputs.map((o) => ({ shape: [...o.partialShape], dtype: o.dtype, ...(o instanceof Operation ? { op: true } : {}) })),
      ...(data !== undefined ? { data } : {}),
      ...(v !== undefined ? { variable: v } : {}),
      ...(n.cond !== undefined
        ? { cond: { trueCtx: ctxRef(n.cond.trueCtx), falseCtx: ctxRef(n.cond.falseCtx), structure: n.cond.structure } }
        : {}),
      ...(n.loop !== undefined
        ? {
            loop: {
              condCtx: ctxRef(n.loop.condCtx),
              bodyCtx: ctxRef(n.loop.bodyCtx),
              numVars: n.loop.numVars,
              maximumIterations: n.loop.maximumIterations ?? null,
              record: n.loop.record,
            },
          }
        : {}),
      ...(n.whileGrad !== undefined
        ? {
            whileGrad: {
              forward: nodeIndex.get(n.whileGrad.forward)!,
              ctx: ctxRef(n.whileGrad.ctx),
              floatVars: [...n.whileGrad.floatVars],
              captures: n.whileGrad.captures.map(ref),
            },
          }
        : {}),
    };
  });
  const variables: VariableJSON[] = g.variables.map((v) => ({
    name: v.name,
    trainable: v.trainable,
    node: nodeIndex.get(v.node)!,
    initialValue: ref(v.initialValue),
    initializer: nodeIndex.get(v.initializer.node)!,
    reusable: g.variableStore.get(v.name) === v,
  }));
  return { format: 'tessera-graph', version: 1, contexts, nodes: nodesJSON, variables };
}

// ---- fromJSON -------------------------------------------------------------------------------

function fail(msg: string): GraphError {
  return new GraphError(`Graph.fromJSON: ${msg}`);
}

const MAX_RANK = 32;
const MAX_DIM = 2 ** 31 - 1;
const NODE_KINDS: readonly NodeKind[] = ['op', 'const', 'placeholder', 'variable', 'read', 'assign', 'group', 'cond', 'while', 'whileGrad', 'loopVar'];
const CTX_KINDS: readonly CtxKind[] = ['root', 'branch', 'loopCond', 'loopBody', 'whileGrad'];

function isObj(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function isInt(x: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max;
}

function checkPartialShape(s: unknown, where: string): PartialShape {
  if (!Array.isArray(s) || s.length > MAX_RANK) throw fail(`${where}: shape must be an array of at most ${MAX_RANK} dimensions`);
  let size = 1;
  for (const d of s) {
    if (d === null) continue;
    if (!isInt(d, 0, MAX_DIM)) throw fail(`${where}: shape ${JSON.stringify(s)} has an invalid dimension ${JSON.stringify(d)}`);
    size *= d;
  }
  if (size > MAX_DIM) throw fail(`${where}: shape ${JSON.stringify(s)} is absurdly large (${size} elements)`);
  return s as PartialShape;
}

function checkSpec(o: unknown, where: string): TensorSpec & { op: boolean } {
  if (!isObj(o)) throw fail(`${where}: an output must be an object with shape and dtype`);
  if (!isDType(o['dtype'])) throw fail(`${where}: invalid dtype ${JSON.stringify(o['dtype'])}`);
  return { shape: checkPartialShape(o['shape'], where), dtype: o['dtype'], op: o['op'] === true };
}

function checkStructure(s: unknown, depth: number, where: string): { s: Structure; leaves: number; ops: number[] } {
  if (depth > MAX_DEPTH || !isObj(s)) throw fail(`${where}: invalid output structure`);
  const ops: number[] = [];
  switch (s['t']) {
    case 'tensor':
      return { s: { t: 'tensor', op: s['op'] === true }, leaves: 1, ops: s['op'] === true ? [0] : [] };
    case 'none':
      return { s: { t: 'none' }, leaves: 0, ops };
    case 'array':
    case 'object': {
      const items = s['items'];
      if (!Array.isArray(items) || items.length > 1 << 16) throw fail(`${where}: invalid output structure`);
      let leaves = 0;
      const subs: Structure[] = [];
      for (const it of items) {
        const r = checkStructure(it, depth + 1, where);
        for (const o of r.ops) ops.push(leaves + o);
        leaves += r.leaves;
        subs.push(r.s);
      }
      if (s['t'] === 'array') return { s: { t: 'array', items: subs }, leaves, ops };
      const keys = s['keys'];
      if (!Array.isArray(keys) || keys.length !== items.length || !keys.every((k) => typeof k === 'string')) {
        throw fail(`${where}: invalid output structure keys`);
      }
      return { s: { t: 'object', keys: keys as string[], items: subs }, leaves, ops };
    }
    default:
      throw fail(`${where}: invalid output structure`);
  }
}

/** Checks normalized axis-like attributes against the first input's rank. */
function checkAxisAttrs(op: string, attrs: Record<string, unknown>, rank: number | undefined, where: string): void {
  if (rank === undefined) return;
  const ok = (a: unknown): boolean => isInt(a, 0, Math.max(rank - 1, 0));
  if ('axis' in attrs && typeof attrs['axis'] === 'number' && !ok(attrs['axis']) && !(rank === 0 && attrs['axis'] === 0)) {
    throw fail(`${where}: ${op} attribute axis ${String(attrs['axis'])} is out of range for rank ${rank}`);
  }
  if ('axes' in attrs && Array.isArray(attrs['axes']) && !attrs['axes'].every(ok)) {
    throw fail(`${where}: ${op} attribute axes ${JSON.stringify(attrs['axes'])} is out of range for rank ${rank}`);
  }
  if ('perm' in attrs && Array.isArray(attrs['perm'])) {
    const p = attrs['perm'];
    if (p.length !== rank || !p.every(ok) || new Set(p).size !== p.length) {
      throw fail(`${where}: ${op} attribute perm ${JSON.stringify(p)} is not a permutation of ${rank} axes`);
    }
  }
}

/** Loads `json` into the empty graph `g`, validating everything. @internal */
export function graphFromJSON(json: unknown, g: Graph): Graph {
  if (!isObj(json)) throw fail('expected an object (parse the JSON text first)');
  if (json['format'] !== 'tessera-graph') throw fail(`not a Tessera graph (format is ${JSON.stringify(json['format'])})`);
  if (json['version'] !== 1) throw fail(`unsupported version ${JSON.stringify(json['version'])} (this library reads version 1)`);
  const cj = json['contexts'];
  const nj = json['nodes'];
  const vj = json['variables'];
  if (!Array.isArray(cj) || !Array.isArray(nj) || !Array.isArray(vj)) throw fail('contexts, nodes and variables must be arrays');
  if (cj.length === 0 || !isObj(cj[0]) || cj[0]['kind'] !== 'root' || cj[0]['parent'] !== null) {
    throw fail('the first context must be the root');
  }

  // contexts
  const ctxs: Ctx[] = [g.root];
  for (let i = 1; i < cj.length; i++) {
    const c = cj[i];
    if (!isObj(c)) throw fail(`context ${i} is not an object`);
    const kind = c['kind'];
    if (typeof kind !== 'string' || !CTX_KINDS.includes(kind as CtxKind) || kind === 'root') throw fail(`context ${i} has invalid kind ${JSON.stringify(kind)}`);
    const parent = c['parent'];
    if (!isInt(parent, 0, i - 1)) throw fail(`context ${i} has an invalid parent ${JSON.stringify(parent)} (parents come first)`);
    const label = typeof c['label'] === 'string' ? (c['label'] as string).slice(0, 200) : `context ${i}`;
    const ctx = g.newCtx(kind as CtxKind, ctxs[parent]!, label);
    const remat = c['remat'];
    if (!Array.isArray(remat) || !remat.every((r) => isInt(r, 0, i - 1))) throw fail(`context ${i} has invalid remat references`);
    for (const r of remat as number[]) ctx.remat.push(ctxs[r]!);
    ctxs.push(ctx);
  }
  const ctxJSON = (c: Ctx): Record<string, unknown> => cj[ctxs.indexOf(c)] as Record<string, unknown>;

  // variables (validated as their nodes appear)
  const varSpecs: VariableJSON[] = vj.map((v, i) => {
    if (
      !isObj(v) ||
      typeof v['name'] !== 'string' ||
      typeof v['trainable'] !== 'boolean' ||
      !isInt(v['node']) ||
      !isInt(v['initializer']) ||
      typeof v['reusable'] !== 'boolean'
    ) {
      throw fail(`variable ${i} is malformed`);
    }
    return v as unknown as VariableJSON;
  });
  const vars: (GraphVariable | undefined)[] = varSpecs.map(() => undefined);
  const names = new Set<string>();

  const nodes: GraphNode[] = [];
  const tensorAt = (r: unknown, i: number, where: string): SymbolicTensor => {
    if (!Array.isArray(r) || r.length !== 2 || !isInt(r[0], Number.MIN_SAFE_INTEGER) || !isInt(r[1])) {
      throw fail(`${where}: input reference ${JSON.stringify(r)} is malformed`);
    }
    const [ni, oi] = r as [number, number];
    if (ni >= i) throw fail(`${where}: input refers to node ${ni}, which does not come before it (a cycle or forward reference)`);
    if (ni < 0 || oi >= nodes[ni]!.outputs.length) throw fail(`${where}: dangling input ${JSON.stringify(r)} (no such node output)`);
    return nodes[ni]!.outputs[oi]!;
  };
  const visibleFrom = (t: SymbolicTensor, ctx: Ctx): boolean => {
    const home = t.node.ctx;
    for (let c: Ctx | null = ctx; c !== null; c = c.parent) if (c === home || c.remat.includes(home)) return true;
    return false;
  };
  /** Whether `t` is computed inside `c` (or a context it recomputes) rather than passed in. */
  const inside = (t: SymbolicTensor, c: Ctx): boolean => t.node.ctx.within(c) || c.remat.some((r) => t.node.ctx.within(r));

  /** Sets a sub-context's outputs, loop variables and captures from its JSON, and closes it. */
  const closeCtx = (c: Ctx, owner: GraphNode, i: number, where: string): void => {
    if (c.owner !== null || c === g.root) throw fail(`${where}: context is already owned`);
    if (c.parent !== owner.ctx && !(c.kind === 'whileGrad' && c.parent === owner.ctx)) throw fail(`${where}: context has the wrong parent`);
    const j = ctxJSON(c);
    const refs = (k: string): SymbolicTensor[] => {
      const a = j[k];
      if (!Array.isArray(a)) throw fail(`${where}: context ${k} must be an array`);
      return a.map((r) => tensorAt(r, i, `${where} (context ${k})`));
    };
    for (const t of refs('captures')) {
      if (t.node.ctx.within(c)) throw fail(`${where}: a context captures its own tensor '${t.name}'`);
      c.addCapture(t);
    }
    c.loopVars = refs('loopVars');
    for (const t of c.loopVars) if (t.node.ctx !== c || t.node.kind !== 'loopVar') throw fail(`${where}: invalid loop variable '${t.name}'`);
    c.outputs = refs('outputs');
    for (const t of c.outputs) if (t.node.ctx !== c) throw fail(`${where}: output '${t.name}' is not produced inside the context`);
    const inputs = new Set(owner.inputs);
    for (const t of c.captures) {
      if (!inputs.has(t)) throw fail(`${where}: the context uses '${t.name}', which its node does not take as an input`);
    }
    for (const d of ctxs) {
      if (!d.within(c) && !c.remat.some((r) => d.within(r))) continue;
      for (const m of d.nodes) {
        for (const t of [...m.inputs, ...m.control]) {
          if (!inside(t, c) && !c.captureSet.has(t)) {
            throw fail(`${where}: node '${m.name}' uses '${t.name}' from outside ${c.label}, which the context does not capture`);
          }
        }
      }
    }
    c.owner = owner;
    c.closed = true;
  };

  for (let i = 0; i < nj.length; i++) {
    const n = nj[i];
    const where = `node ${i}`;
    if (!isObj(n)) throw fail(`${where} is not an object`);
    const name = n['name'];
    if (typeof name !== 'string' || name.length === 0 || name.length > 1000) throw fail(`${where} has an invalid name`);
    const at = `node ${i} ('${name}')`;
    if (names.has(name)) throw fail(`${at}: the name is used twice`);
    names.add(name);
    const kind = n['kind'] as NodeKind;
    if (!NODE_KINDS.includes(kind)) throw fail(`${at}: unknown node kind ${JSON.stringify(n['kind'])}`);
    if (!isInt(n['ctx'], 0, ctxs.length - 1)) throw fail(`${at}: invalid context ${JSON.stringify(n['ctx'])}`);
    const ctx = ctxs[n['ctx']]!;
    if (ctx.closed) throw fail(`${at}: its context is already complete (nodes must come before their control-flow node)`);
    if (!Array.isArray(n['inputs']) || !Array.isArray(n['control']) || !Array.isArray(n['outputs'])) {
      throw fail(`${at}: inputs, control and outputs must be arrays`);
    }
    const inputs = (n['inputs'] as unknown[]).map((r) => tensorAt(r, i, at));
    const control = (n['control'] as unknown[]).map((r) => tensorAt(r, i, at));
    for (const t of [...inputs, ...control]) {
      if (!visibleFrom(t, ctx)) throw fail(`${at}: input '${t.name}' is not visible from ${ctx.label}`);
    }
    const outs = (n['outputs'] as unknown[]).map((o, k) => checkSpec(o, `${at} output ${k}`));
    const attrs = n['attrs'] === undefined ? {} : decodeAttr(n['attrs'], `${at}.attrs`, 0);
    if (!isObj(attrs)) throw fail(`${at}: attrs must be an object`);
    const need = (ok: boolean, msg: string): void => {
      if (!ok) throw fail(`${at}: ${msg}`);
    };
    const varOf = (): GraphVariable => {
      const vi = n['variable'];
      need(isInt(vi, 0, vars.length - 1), 'invalid variable reference');
      const v = vars[vi as number];
      need(v !== undefined, 'refers to a variable defined later');
      return v!;
    };
    const sameSpecs = (a: readonly TensorSpec[], loose = false): boolean =>
      a.length === outs.length &&
      a.every((s, k) => s.dtype === outs[k]!.dtype && s.shape.length === outs[k]!.shape.length && shapesEqual(s.shape, outs[k]!.shape, loose));
    const base: NodeSpec = { kind, name, rawName: true, inputs, control, ctx };
    const add = (spec: NodeSpec, specs: readonly TensorSpec[] = outs): GraphNode => {
      const node = g.addNode(spec, specs);
      node.outputs = node.outputs.map((o, k) => (outs[k]?.op === true ? new Operation(g, node, k, o.partialShape, o.dtype) : o));
      nodes.push(node);
      return node;
    };
    switch (kind) {
      case 'op': {
        const opName = n['op'];
        if (typeof opName !== 'string') throw fail(`${at}: an op node needs an op name`);
        const def = getOp(opName);
        if (def === undefined) throw fail(`${at}: unknown op '${opName}'`);
        if (def.variadic === true) {
          need(inputs.length >= def.inputs.length - 1, `op '${opName}' takes at least ${def.inputs.length - 1} inputs, got ${inputs.length}`);
        } else {
          need(inputs.length === def.inputs.length, `op '${opName}' takes ${def.inputs.length} inputs, got ${inputs.length}`);
        }
        need(outs.every((o) => !o.op), 'op outputs are values');
        checkAxisAttrs(opName, attrs, inputs[0]?.partialShape.length, at);
        let inferred: TensorSpec[];
        try {
          inferred = def.infer(inputs.map((t) => ({ shape: t.partialShape, dtype: t.dtype })), attrs);
        } catch (e) {
          if (e instanceof TesseraError) throw fail(`${at}: ${e.message}`);
          throw fail(`${at}: op '${opName}' rejects its inputs or attributes (${e instanceof Error ? e.message : String(e)})`);
        }
        inferred.forEach((s, k) => {
          checkPartialShape(s.shape, `${at} output ${k}`);
          if (!isDType(s.dtype)) throw fail(`${at}: op '${opName}' produces an invalid dtype ${JSON.stringify(s.dtype)}`);
        });
        if (opName === 'reshape') {
          const a = inputs[0]!.partialShape;
          const b = inferred[0]!.shape;
          const known = (sh: PartialShape): number | null => (sh.every((d) => d !== null) ? sh.reduce<number>((x, d) => x * d!, 1) : null);
          const na = known(a);
          const nb = known(b);
          need(na === null || nb === null || na === nb, `reshape from ${formatShape(a)} to ${formatShape(b)} changes the number of elements`);
        }
        need(sameSpecs(inferred), `the saved outputs do not match what op '${opName}' produces`);
        add({ ...base, op: opName, def, attrs }, inferred);
        break;
      }
      case 'const': {
        need(inputs.length === 0 && outs.length === 1 && !outs[0]!.op, 'a constant has no inputs and one output');
        const s = outs[0]!;
        need(s.shape.every((d) => d !== null), 'a constant needs a fully known shape');
        const size = s.shape.reduce<number>((a, d) => a * (d ?? 0), 1);
        const data = typeof n['data'] === 'string' ? fromBase64(n['data']) : null;
        need(data !== null, 'constant data is missing or not base64');
        const bytes = size * bytesPerElement(s.dtype);
        need(data!.length === bytes, `constant data has ${data!.length} bytes; shape ${formatShape(s.shape)} ${s.dtype} needs ${bytes}`);
        const values = makeTypedArray(s.dtype, size);
        bytesOf(values).set(data!);
        add({ ...base, values });
        break;
      }
      case 'placeholder':
        need(outs.length === 1 && !outs[0]!.op && inputs.length <= 1 && ctx === g.root, 'a top-level placeholder has one output and at most a default input');
        if (inputs.length === 1) {
          need(inputs[0]!.dtype === outs[0]!.dtype && shapesEqual(inputs[0]!.partialShape, outs[0]!.shape, true), 'the default value does not fit the placeholder');
        }
        add({ ...base, attrs: { dtype: outs[0]!.dtype, shape: [...outs[0]!.shape] } });
        break;
      case 'variable': {
        const vi = varSpecs.findIndex((v) => v.node === i);
        need(vi >= 0 && n['variable'] === vi, 'no variable entry refers to this node');
        need(inputs.length === 0 && outs.length === 0 && ctx === g.root, 'a variable node has no inputs or outputs and lives at the top level');
        const spec = varSpecs[vi]!;
        const init = tensorAt(spec.initialValue, i, `variable '${spec.name}' initial value`);
        need(init.node.ctx === g.root && !(init instanceof Operation), 'the initial value must be a top-level tensor');
        need(init.partialShape.every((d) => d !== null), 'a variable needs a fully known shape');
        need(spec.name.length > 0 && !vars.some((v) => v?.name === spec.name), `variable name '${spec.name}' is empty or used twice`);
        const v = new GraphVariable(g, init, spec.name, spec.trainable);
        vars[vi] = v;
        v.node = add({ ...base, variable: v }, []);
        g.variables.push(v);
        if (spec.reusable) g.variableStore.set(spec.name, v);
        break;
      }
      case 'read': {
        const v = varOf();
        need(inputs.length === 0 && outs.length === 1 && outs[0]!.dtype === v.dtype && shapesEqual(outs[0]!.shape, v.shape), "a read has no inputs and the variable's shape and dtype");
        const node = add({ ...base, variable: v });
        let reads = g.readsOf.get(v);
        if (reads === undefined) g.readsOf.set(v, (reads = []));
        reads.push(node.outputs[0]!);
        break;
      }
      case 'assign': {
        const v = varOf();
        need(inputs.length === 1 && outs.length === 1 && !outs[0]!.op, 'an assignment has one input and one output');
        need(inputs[0]!.dtype === v.dtype && shapesEqual(inputs[0]!.partialShape, v.shape, true), 'the assigned value does not fit the variable');
        need(outs[0]!.dtype === v.dtype && shapesEqual(outs[0]!.shape, v.shape), 'the output does not fit the variable');
        add({ ...base, variable: v });
        ctx.assigned.add(v);
        break;
      }
      case 'group':
        need(inputs.length === 0 && outs.length === 1 && outs[0]!.op, 'a group has no data inputs and one operation output');
        add(base, [{ shape: [], dtype: 'bool' }]);
        break;
      case 'loopVar':
        need(inputs.length === 0 && outs.length === 1 && !outs[0]!.op && ctx !== g.root, 'a loop variable has no inputs, one output, and lives in a sub-graph');
        add(base);
        break;
      case 'cond': {
        const c = n['cond'];
        need(isObj(c) && isInt(c['trueCtx'], 1, ctxs.length - 1) && isInt(c['falseCtx'], 1, ctxs.length - 1), 'malformed cond data');
        const cd = c as Record<string, unknown>;
        const tc = ctxs[cd['trueCtx'] as number]!;
        const fc = ctxs[cd['falseCtx'] as number]!;
        need(tc !== fc && tc.kind === 'branch' && fc.kind === 'branch', 'cond branches must be two branch contexts');
        const st = checkStructure(cd['structure'], 0, at);
        need(inputs.length >= 1 && inputs[0]!.dtype === 'bool' && inputs[0]!.size === 1, 'a cond takes a one-element bool predicate first');
        if (st.leaves === 0) need(outs.length === 1 && outs[0]!.op, 'a cond without results has one operation output');
        else need(outs.length === st.leaves && outs.every((o, k) => o.op === st.ops.includes(k)), 'the outputs do not match the cond structure');
        const node = add({ ...base, cond: { trueCtx: tc, falseCtx: fc, structure: st.s } });
        for (const b of [tc, fc]) {
          closeCtx(b, node, i, at);
          need(b.outputs.length === st.leaves, 'a branch returns the wrong number of values');
          b.outputs.forEach((o, k) => {
            need(o.dtype === outs[k]!.dtype && shapesEqual(o.partialShape, outs[k]!.shape, true), `branch output ${k} does not fit the cond output`);
          });
        }
        break;
      }
      case 'while': {
        const l = n['loop'];
        need(isObj(l) && isInt(l['condCtx'], 1, ctxs.length - 1) && isInt(l['bodyCtx'], 1, ctxs.length - 1), 'malformed loop data');
        const ld = l as Record<string, unknown>;
        const cc = ctxs[ld['condCtx'] as number]!;
        const bc = ctxs[ld['bodyCtx'] as number]!;
        need(cc.kind === 'loopCond' && bc.kind === 'loopBody', 'a loop needs a condition and a body context');
        const numVars = ld['numVars'];
        need(isInt(numVars, 1, inputs.length), 'invalid number of loop variables');
        const max = ld['maximumIterations'];
        need(max === null || isInt(max), 'invalid maximumIterations');
        need(typeof ld['record'] === 'boolean', 'invalid record flag');
        const nv = numVars as number;
        need(outs.length === nv && outs.every((o, k) => !o.op && o.dtype === inputs[k]!.dtype), 'the outputs do not match the loop variables');
        const node = add({
          ...base,
          loop: { condCtx: cc, bodyCtx: bc, numVars: nv, maximumIterations: max === null ? undefined : (max as number), record: ld['record'] as boolean },
        });
        closeCtx(cc, node, i, at);
        closeCtx(bc, node, i, at);
        need(cc.loopVars.length === nv && bc.loopVars.length === nv, 'each loop context binds one value per loop variable');
        cc.loopVars.concat(bc.loopVars).forEach((t, k) => need(t.dtype === outs[k % nv]!.dtype, 'a loop variable has the wrong dtype'));
        need(cc.outputs.length === 1 && cc.outputs[0]!.dtype === 'bool', 'the loop condition returns one bool');
        need(bc.outputs.length === nv && bc.outputs.every((o, k) => o.dtype === outs[k]!.dtype), 'the loop body returns one value per loop variable');
        break;
      }
      case 'whileGrad': {
        const w = n['whileGrad'];
        need(isObj(w) && isInt(w['forward'], 0, i - 1) && isInt(w['ctx'], 1, ctxs.length - 1), 'malformed loop gradient data');
        const wd = w as Record<string, unknown>;
        const fwd = nodes[wd['forward'] as number]!;
        need(fwd.kind === 'while', 'a loop gradient refers to a loop');
        const wc = ctxs[wd['ctx'] as number]!;
        const body = fwd.loop!.bodyCtx;
        need(wc.kind === 'whileGrad' && wc.remat.includes(body), 'a loop gradient context recomputes its loop body');
        const fv = wd['floatVars'];
        need(Array.isArray(fv) && fv.every((k) => isInt(k, 0, fwd.loop!.numVars - 1) && isFloat(fwd.outputs[k as number]!.dtype)), 'invalid float loop variables');
        const caps = Array.isArray(wd['captures']) ? (wd['captures'] as unknown[]).map((r) => tensorAt(r, i, at)) : null;
        need(caps !== null && caps.every((c) => body.captureSet.has(c) && isFloat(c.dtype)), 'invalid loop gradient captures');
        const floatVars = fv as number[];
        const nvars = fwd.loop!.numVars;
        need(inputs.length >= nvars + floatVars.length && inputs.slice(0, nvars).every((t, k) => t === fwd.outputs[k]), 'a loop gradient takes the loop outputs first');
        need(outs.length === floatVars.length + caps!.length, 'wrong number of loop gradient outputs');
        const node = add({ ...base, whileGrad: { forward: fwd, ctx: wc, floatVars, captures: caps! } });
        closeCtx(wc, node, i, at);
        need(wc.loopVars.length === floatVars.length && wc.outputs.length === outs.length, 'the loop gradient context does not match its node');
        break;
      }
    }
  }
  for (let k = 1; k < ctxs.length; k++) {
    if (ctxs[k]!.owner === null) throw fail(`context ${k} (${ctxs[k]!.label}) belongs to no control-flow node`);
  }
  varSpecs.forEach((spec, k) => {
    const v = vars[k];
    if (v === undefined) throw fail(`variable '${spec.name}' has no variable node`);
    const init = nodes[spec.initializer];
    if (init === undefined || init.kind !== 'group' || !init.control.some((t) => t.node.kind === 'assign' && t.node.variable === v)) {
      throw fail(`variable '${spec.name}': its initializer must be a group that assigns it`);
    }
    v.initializer = init.outputs[0] as Operation;
  });
  return g;
}
