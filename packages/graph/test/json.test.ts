import { beforeAll, describe, expect, it } from 'vitest';
import {
  add,
  clipByValue,
  getVariable,
  less,
  matmul,
  mean,
  mul,
  neg,
  randomNormalInitializer,
  scalar,
  setBackend,
  square,
  sub,
  sum,
  zerosInitializer,
  type Tensor,
} from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { AdamOptimizer } from '@tessera/optim';
import {
  cond,
  globalVariablesInitializer,
  gradients,
  Graph,
  GraphError,
  nameScope,
  placeholder,
  Session,
  SymbolicTensor,
  whileLoop,
  type GraphJSON,
} from '../src/index.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

function model() {
  const g = new Graph();
  const t = g.asDefault(() => {
    const x = placeholder('float32', [null, 3], { name: 'x' });
    const y = placeholder('float32', [null, 1], { name: 'y' });
    const h = nameScope('second_part', () => {
      const w = getVariable('w', { shape: [3, 2], initializer: randomNormalInitializer({ seed: 3 }) });
      return clipByValue(matmul(x, w), -Infinity, 2);
    });
    const out = nameScope('first_part', () => {
      const w = getVariable('w', { shape: [2, 1], initializer: randomNormalInitializer({ seed: 4 }) });
      const b = getVariable('b', { shape: [1], initializer: zerosInitializer() });
      return add(matmul(h, w), b);
    });
    const p = placeholder('bool', [], { name: 'useSquare' });
    const err = sub(out, y);
    const loss = mean(cond(p, () => square(err), () => mul(err, err).mul(0.5)));
    const [, pow] = whileLoop((i) => less(i!, 3), (i, v) => [i!.add(1), v!.mul(1.5)], [scalar(0, 'int32'), sum(h)], { maximumIterations: 5 });
    const total = add(loss, mul(pow!, 0.001));
    const train = new AdamOptimizer(0.05).minimize(total);
    const dx = gradients(total, [x])[0]!;
    const init = globalVariablesInitializer();
    return { total, train, dx, init } as Record<string, Tensor>;
  });
  const names = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, (v as SymbolicTensor).name]));
  return { g, names };
}

const feeds = {
  x: [[1, 2, 3], [0.5, -1, 2], [-1, 0, 1]],
  y: [[1], [0], [-1]],
  useSquare: true,
};

describe('toJSON / fromJSON', () => {
  it('saves a graph (variables, cond, whileLoop, gradients, train op) and loads it back to run the same', () => {
    const { g, names } = model();
    const text = JSON.stringify(g.toJSON());
    const loaded = Graph.fromJSON(JSON.parse(text));
    expect(loaded.numNodes).toBe(g.numNodes);
    expect(loaded.trainableVariables().map((v) => v.name)).toEqual(['second_part/w', 'first_part/w', 'first_part/b']);
    const run = (graph: Graph): number[] => {
      const s = new Session(graph);
      s.run(names['init']!);
      const out: number[] = [];
      for (let i = 0; i < 6; i++) {
        const [, t, dx] = s.run([names['train']!, names['total']!, names['dx']!], { ...feeds, useSquare: i % 2 === 0 });
        out.push(t!.item() as number, ...dx!.dataSync());
      }
      s.close();
      return out;
    };
    for (const name of Object.values(names)) expect(loaded.get(name), name).toBeDefined();
    const a = run(g);
    const b = run(loaded);
    expect(a.length).toBe(6 * 10);
    expect(b).toEqual(a);
    expect(a[50]!).toBeLessThan(a[0]!);
    // and the loaded graph saves to the same JSON
    expect(JSON.stringify(loaded.toJSON())).toBe(text);
  });

  it('a loaded graph can be extended', () => {
    const g = new Graph();
    g.asDefault(() => mul(placeholder('float32', [2], { name: 'x' }), 2));
    const loaded = Graph.fromJSON(g.toJSON());
    const y = loaded.asDefault(() => add(loaded.get('mul') as Tensor, 1));
    const s = new Session(loaded);
    expect(s.run(y, { x: [1, 2] }).arraySync()).toEqual([3, 5]);
    expect((y as SymbolicTensor).name).toBe('add');
    s.close();
  });

  describe('rejects malformed or hostile JSON', () => {
    const base = (): GraphJSON => {
      const g = new Graph();
      g.asDefault(() => sum(mul(placeholder('float32', [2], { name: 'x' }), 2), [0]));
      return JSON.parse(JSON.stringify(g.toJSON())) as GraphJSON;
    };
    type Mutable = { nodes: Record<string, unknown>[]; contexts: Record<string, unknown>[]; [k: string]: unknown };
    const bad = (edit: (j: Mutable) => void, re: RegExp): void => {
      const j = base() as unknown as Mutable;
      edit(j);
      expect(() => Graph.fromJSON(j)).toThrowError(GraphError);
      expect(() => Graph.fromJSON(j)).toThrowError(re);
    };
    it('not a graph, wrong version', () => {
      expect(() => Graph.fromJSON('{}')).toThrowError(/expected an object/);
      expect(() => Graph.fromJSON(null)).toThrowError(GraphError);
      bad((j) => (j['format'] = 'onnx'), /not a Tessera graph/);
      bad((j) => (j['version'] = 2), /unsupported version 2/);
      bad((j) => ((j as Record<string, unknown>)['nodes'] = 'x'), /must be arrays/);
    });
    it('unknown ops and node kinds', () => {
      bad((j) => (j.nodes[2]!['op'] = 'rm_rf'), /unknown op 'rm_rf'/);
      bad((j) => (j.nodes[2]!['kind'] = 'shell'), /unknown node kind/);
    });
    it('dangling inputs and cycles', () => {
      bad((j) => (j.nodes[2]!['inputs'] = [[0, 0], [99, 0]]), /refers to node 99, which does not come before it/);
      bad((j) => (j.nodes[2]!['inputs'] = [[0, 0], [1, 5]]), /dangling input/);
      bad((j) => (j.nodes[2]!['inputs'] = [[0, 0], [-1, 0]]), /dangling input/);
      bad((j) => (j.nodes[2]!['inputs'] = [[2, 0], [1, 0]]), /cycle or forward reference/);
      bad((j) => (j.nodes[2]!['inputs'] = [[0, 0], 'x']), /malformed/);
      bad((j) => (j.nodes[2]!['inputs'] = [[0, 0]]), /takes 2 inputs, got 1/);
    });
    it('absurd shapes and bad constants', () => {
      bad((j) => ((j.nodes[0]!['outputs'] as Record<string, unknown>[])[0]!['shape'] = [1e12]), /invalid dimension|absurdly large/);
      bad((j) => ((j.nodes[0]!['outputs'] as Record<string, unknown>[])[0]!['shape'] = [65536, 65536]), /absurdly large/);
      bad((j) => ((j.nodes[0]!['outputs'] as Record<string, unknown>[])[0]!['shape'] = [-2]), /invalid dimension/);
      bad((j) => ((j.nodes[0]!['outputs'] as Record<string, unknown>[])[0]!['shape'] = new Array(40).fill(1)), /at most 32/);
      bad((j) => (j.nodes[1]!['data'] = 'AAAA'), /constant data has 3 bytes/);
      bad((j) => (j.nodes[1]!['data'] = '!!!!'), /not base64/);
      bad((j) => ((j.nodes[1]!['outputs'] as Record<string, unknown>[])[0]!['dtype'] = 'float16'), /invalid dtype/);
    });
    it('attributes and outputs that do not fit the op', () => {
      bad((j) => (j.nodes[3]!['attrs'] = { axes: [5], keepDims: false }), /axes \[5\] is out of range/);
      bad((j) => (j.nodes[3]!['attrs'] = { axes: [0], keepDims: false, __proto__: 1, ['constructor']: 2 }), /forbidden key|do not match/);
      bad((j) => ((j.nodes[2]!['outputs'] as Record<string, unknown>[])[0]!['shape'] = [3]), /do not match/);
      bad((j) => (j.nodes[2]!['name'] = 'x'), /name is used twice/);
      bad((j) => {
        j.nodes[2]!['op'] = 'reshape';
        j.nodes[2]!['inputs'] = [[0, 0]];
        j.nodes[2]!['attrs'] = { shape: [3] };
        (j.nodes[2]!['outputs'] as Record<string, unknown>[])[0]!['shape'] = [3];
      }, /reshape/);
      bad((j) => {
        j.nodes[2]!['op'] = 'cast';
        j.nodes[2]!['inputs'] = [[0, 0]];
        j.nodes[2]!['attrs'] = { dtype: 'complex64' };
      }, /invalid dtype/);
    });
    it('contexts', () => {
      bad((j) => j.contexts.push({ kind: 'branch', parent: 0, label: 'b', remat: [], outputs: [], loopVars: [], captures: [] }), /belongs to no control-flow node/);
      bad((j) => j.contexts.push({ kind: 'branch', parent: 7, label: 'b', remat: [], outputs: [], loopVars: [], captures: [] }), /invalid parent/);
      bad((j) => (j.contexts[0]!['kind'] = 'branch'), /first context must be the root/);
    });
  });
});

describe('toJSON / fromJSON with nested control flow', () => {
  it('loops with conds inside, nested conds and their gradients load and run the same', () => {
    const g = new Graph();
    const names = g.asDefault(() => {
      const x = placeholder('float32', [], { name: 'x' });
      const p = placeholder('bool', [], { name: 'p' });
      const [, y] = whileLoop(
        (i) => less(i!, 5),
        (i, v) => [i!.add(1), cond(less(v!, 10), () => v!.mul(2), () => v!.add(1))],
        [scalar(0, 'int32'), x],
        { maximumIterations: 5 },
      );
      const z = cond(p, () => cond(less(x, 1), () => mul(x, x), () => mul(x, 3)), () => neg(x));
      const [dy, dz] = [gradients(y!, [x])[0]!, gradients(z, [x])[0]!];
      return [y!, z, dy, dz].map((t) => (t as SymbolicTensor).name);
    });
    const loaded = Graph.fromJSON(JSON.parse(JSON.stringify(g.toJSON())));
    const run = (graph: Graph, x: number, p: boolean): number[] => {
      const s = new Session(graph);
      const r = s.run(names, { x, p }).map((t) => t!.item() as number);
      s.close();
      return r;
    };
    for (const [x, p] of [[3, true], [0.5, true], [0.5, false]] as const) {
      const a = run(g, x, p);
      expect(run(loaded, x, p)).toEqual(a);
    }
    // from 3: y = 15, dy/dx = 4; z = 3x = 9, dz/dx = 3
    expect(run(loaded, 3, true)).toEqual([15, 9, 4, 3]);
  });

  it('rejects a sub-graph that uses a value its node does not pass in', () => {
    const g = new Graph();
    g.asDefault(() => {
      const x = placeholder('float32', [], { name: 'x' });
      const p = placeholder('bool', [], { name: 'p' });
      return cond(p, () => mul(x, 2), () => x);
    });
    const j = JSON.parse(JSON.stringify(g.toJSON())) as { nodes: { kind: string; inputs: unknown[] }[]; contexts: { captures: unknown[] }[] };
    const c = j.nodes.find((n) => n.kind === 'cond')!;
    c.inputs = c.inputs.slice(0, 1);
    expect(() => Graph.fromJSON(j)).toThrowError(/does not take as an input/);
    for (const ctx of j.contexts) ctx.captures = [];
    expect(() => Graph.fromJSON(j)).toThrowError(/does not capture/);
  });
});
