import { beforeAll, describe, expect, it } from 'vitest';
import {
  addOpListener,
  getBackend,
  getOp,
  matmul,
  memory,
  runOp,
  setBackend,
  setGraphHook,
  sum,
  tanh,
  tensor,
  Tensor,
  tidy,
  UnsupportedError,
  type Attrs,
  type DType,
  type GraphHook,
  type OpDef,
  type OpRecord,
  type TypedArray,
} from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { backpropagate, gradients, NoGradientError, unbroadcast, type GradientNode } from '../src/index.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

/** A symbolic tensor of the toy graph below: it has no buffer, only a shape and dtype. */
class Sym extends Tensor {
  override get isSymbolic(): boolean {
    return true;
  }
}

/**
 * A toy graph builder: ops build nodes instead of running, constants are remembered, and
 * `run` evaluates the nodes eagerly. Enough to check that backpropagate works on symbolic
 * nodes without reading values.
 */
class ToyGraph implements GraphHook {
  readonly nodes: GradientNode[] = [];
  readonly constants = new Map<Tensor, { values: TypedArray; shape: number[]; dtype: DType }>();
  private id = 1e9;

  private sym(shape: readonly number[], dtype: DType): Sym {
    return new Sym(null as never, shape, dtype, getBackend(), this.id++);
  }
  placeholder(shape: number[], dtype: DType): Sym {
    return this.sym(shape, dtype);
  }
  buildOp(def: OpDef, inputs: readonly Tensor[], attrs: Attrs): Tensor[] {
    const outputs = def.infer(inputs, attrs).map((s) => this.sym(s.shape as number[], s.dtype));
    this.nodes.push({ op: def.name, inputs, outputs, attrs });
    return outputs;
  }
  constant(values: TypedArray, shape: readonly number[], dtype: DType): Tensor {
    const t = this.sym(shape, dtype);
    this.constants.set(t, { values, shape: [...shape], dtype });
    return t;
  }
  run(fetch: Tensor, feeds: Map<Tensor, Tensor>): number[] {
    return tidy(() => {
      const env = new Map<Tensor, Tensor>(feeds);
      for (const [t, c] of this.constants) env.set(t, tensor(c.values, c.shape, c.dtype));
      for (const n of this.nodes) {
        const outs = runOp(getOp(n.op)!, n.inputs.map((i) => env.get(i)!), n.attrs);
        n.outputs.forEach((o, k) => env.set(o, outs[k]!));
      }
      return Array.from(env.get(fetch)!.dataSync());
    });
  }
}

describe('backpropagate', () => {
  it('builds symbolic gradient nodes with the same rules (no values read)', () => {
    const g = new ToyGraph();
    const x = g.placeholder([2, 3], 'float64');
    const w = g.placeholder([3, 1], 'float64');
    const restore = setGraphHook(g);
    let dx: Tensor | null;
    let dw: Tensor | null;
    let loss: Tensor;
    try {
      loss = sum(tanh(matmul(x, w)).mul(2));
      const forward = g.nodes.length;
      const r = backpropagate(g.nodes.slice(), [loss], undefined, [x, w]);
      dx = r[0]!;
      dw = r[1]!;
      expect(g.nodes.length).toBeGreaterThan(forward);
    } finally {
      restore();
    }
    expect(dx!.isSymbolic).toBe(true);
    const xv = [0.1, -0.4, 0.3, 0.7, 0.2, -0.5];
    const wv = [0.5, -1, 0.25];
    const feeds = new Map<Tensor, Tensor>([
      [x, tensor(xv, [2, 3], 'float64')],
      [w, tensor(wv, [3, 1], 'float64')],
    ]);
    // reference: loss = 2 * sum_i tanh(z_i), z = x w
    const z = [0, 1].map((i) => xv[3 * i]! * wv[0]! + xv[3 * i + 1]! * wv[1]! + xv[3 * i + 2]! * wv[2]!);
    const dz = z.map((v) => 2 * (1 - Math.tanh(v) ** 2));
    const gotDx = g.run(dx!, feeds);
    const gotDw = g.run(dw!, feeds);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expect(gotDx[3 * i + j]).toBeCloseTo(dz[i]! * wv[j]!, 12);
    for (let j = 0; j < 3; j++) expect(gotDw[j]).toBeCloseTo(dz[0]! * xv[j]! + dz[1]! * xv[3 + j]!, 12);
    for (const t of feeds.values()) t.dispose();
  });

  it('visits only nodes between the sources and the targets, and only the needed thunks', () => {
    const calls: string[] = [];
    const rule = (name: string) => ({
      grad: ([dy]: readonly Tensor[]) => [
        () => {
          calls.push(`${name}:0`);
          return dy!;
        },
        () => {
          calls.push(`${name}:1`);
          return dy!;
        },
      ],
    });
    const a = tensor([1]);
    const b = tensor([2]);
    const c = tensor([3]);
    const ab = tensor([3]);
    const abc = tensor([6]);
    const other = tensor([7]);
    const nodes: GradientNode[] = [
      { op: 'p', inputs: [a, b], outputs: [ab], attrs: {}, rule: rule('p') },
      { op: 'q', inputs: [ab, c], outputs: [abc], attrs: {}, rule: rule('q') },
      { op: 'r', inputs: [abc, c], outputs: [other], attrs: {}, rule: rule('r') },
    ];
    const [ga] = backpropagate(nodes, [abc], undefined, [a]);
    expect(Array.from(ga!.dataSync())).toEqual([1]);
    // r does not lead to the target; q's input c and p's input b do not lead to a source
    expect(calls).toEqual(['q:0', 'p:0']);
  });

  it('throws NoGradientError only for an op without a rule on the path', () => {
    const a = tensor([1]);
    const out = tensor([2]);
    const unrelated = tensor([3]);
    const nodes: GradientNode[] = [
      { op: 'mystery', inputs: [a], outputs: [out], attrs: {} },
      { op: 'mystery', inputs: [unrelated], outputs: [tensor([4])], attrs: {} },
    ];
    expect(() => backpropagate(nodes, [out], undefined, [a])).toThrow(NoGradientError);
    expect(() => backpropagate(nodes, [out], undefined, [a])).toThrow(/'mystery'/);
    expect(backpropagate(nodes, [out], undefined, [unrelated])).toEqual([null]);
  });

  it('works with nodes recorded by a plain op listener (tensors kept alive), and frees its intermediates', () => {
    const x = tensor([0.5, 1.5]);
    const nodes: GradientNode[] = [];
    const stop = addOpListener({ recordOp: (r: OpRecord) => nodes.push(r) });
    const y = x.square().mul(x).sum();
    stop();
    const before = memory().numTensors;
    const [dx] = backpropagate(nodes, [y], undefined, [x]);
    expect(memory().numTensors).toBe(before + 1);
    expect(Array.from(dx!.dataSync())).toEqual([0.75, 6.75]);
  });
});

describe('unbroadcast', () => {
  it('sums over broadcast axes', () => {
    const dy = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(Array.from(unbroadcast(dy, [3]).dataSync())).toEqual([5, 7, 9]);
    expect(unbroadcast(dy, [2, 1]).arraySync()).toEqual([[6], [15]]);
    expect(unbroadcast(dy, []).arraySync()).toEqual(21);
    expect(unbroadcast(dy, [2, 3])).toBe(dy);
    expect(() => unbroadcast(dy, [4])).toThrow(/does not broadcast/);
  });
});

describe('gradients()', () => {
  it('needs a graph being built', () => {
    expect(() => gradients(tensor(1), [tensor(2)])).toThrow(UnsupportedError);
  });
});
