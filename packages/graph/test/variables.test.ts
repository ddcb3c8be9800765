import { beforeAll, describe, expect, it } from 'vitest';
import {
  add,
  DTypeError,
  getVariable,
  mul,
  setBackend,
  ShapeError,
  square,
  sub,
  sum,
  tensor,
  variable,
  Variable,
  ValueError,
  zerosInitializer,
  type Tensor,
} from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import {
  AdamOptimizer,
  GradientDescentOptimizer,
  MomentumOptimizer,
  RMSPropOptimizer,
  exponentialDecay,
  getOrCreateGlobalStep,
  type Optimizer,
} from '@tessera/optim';
import {
  globalVariables,
  globalVariablesInitializer,
  Graph,
  GraphError,
  GraphVariable,
  group,
  nameScope,
  placeholder,
  Session,
  trainableVariables,
  UninitializedVariableError,
  variableScope,
} from '../src/index.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

describe('graph variables', () => {
  it('variable() and getVariable() inside a graph create graph variables living in sessions', () => {
    const g = new Graph();
    const { v, w, y } = g.asDefault(() => {
      const v = variable(tensor([1, 2]), { name: 'v' });
      const w = getVariable('w', { initializer: 3 });
      return { v, w, y: mul(v, w) };
    });
    expect(v).toBeInstanceOf(GraphVariable);
    expect(v).toBeInstanceOf(Variable);
    expect(v.isSymbolic).toBe(true);
    expect(w.shape).toEqual([]);
    expect(w.dtype).toBe('float32');
    const s1 = new Session(g);
    const s2 = new Session(g);
    s1.run(globalVariablesInitializer(g));
    expect(s1.run(y).arraySync()).toEqual([3, 6]);
    expect(() => s2.run(y)).toThrowError(UninitializedVariableError);
    s1.close();
    s2.close();
  });

  it('reading an uninitialized variable names it', () => {
    const g = new Graph();
    const y = g.asDefault(() => nameScope('first_part', () => mul(getVariable('w', { initializer: 3 }), 2)));
    const s = new Session(g);
    expect(() => s.run(y)).toThrowError(/variable 'first_part\/w' is not initialized/);
    try {
      s.run(y);
    } catch (e) {
      expect((e as UninitializedVariableError).variable).toBe('first_part/w');
    }
    s.close();
  });

  it('assign builds an assignment that runs when fetched; reads follow program order', () => {
    const g = new Graph();
    const { w, before, inc, after, twice } = g.asDefault(() => {
      const w = variable(10, { name: 'w' });
      const before = mul(w, 1);
      const inc = w.assignAdd(5);
      const after = mul(w, 1);
      const twice = w.assign(mul(w, 2));
      return { w, before, inc, after, twice };
    });
    const s = new Session(g);
    s.run(globalVariablesInitializer(g));
    // without the assignment, reads see the current value
    expect(s.run(after).item()).toBe(10);
    const [b, i, a, fw] = s.run([before, inc, after, w]);
    expect(b.item()).toBe(10);
    expect(i.item()).toBe(15);
    expect(a.item()).toBe(15);
    expect(fw.item()).toBe(15);
    expect(s.run(twice).item()).toBe(30);
    expect(s.run(w).item()).toBe(30);
    // re-running the initializer resets it
    s.run((w as GraphVariable).initializer);
    expect(s.run(w).item()).toBe(10);
    s.close();
  });

  it('fetching a variable gives its value at the end of the run', () => {
    const g = new Graph();
    const { w, step } = g.asDefault(() => {
      const w = variable(1, { name: 'w' });
      return { w, step: group([w.assignSub(0.25)]) };
    });
    const s = new Session(g);
    s.run(globalVariablesInitializer(g));
    const [r, wv] = s.run([step, w]);
    expect(r).toBeUndefined();
    expect(wv.item()).toBe(0.75);
    s.close();
  });

  it('assignments check dtype and shape when built', () => {
    const g = new Graph();
    g.asDefault(() => {
      const w = variable(tensor([1, 2]), { name: 'w' });
      expect(() => w.assign(tensor([1, 2, 3]))).toThrowError(ShapeError);
      expect(() => w.assign(tensor([1, 2], [2], 'int32'))).toThrowError(DTypeError);
      expect(() => w.assign(placeholder('float32', [null]))).not.toThrow();
    });
  });

  it('names: nameScope prefixes, unique variable names, collections', () => {
    const g = new Graph();
    g.asDefault(() => {
      nameScope('first_part', () => {
        variable(1, { name: 'w' });
        variable(2, { name: 'w' });
        nameScope('inner', () => getVariable('b', { shape: [2], initializer: zerosInitializer() }));
      });
      nameScope('second_part', () => variable(3, { name: 'w', trainable: false }));
    });
    expect(globalVariables(g).map((v) => v.name)).toEqual(['first_part/w', 'first_part/w_1', 'first_part/inner/b', 'second_part/w']);
    expect(trainableVariables(g).map((v) => v.name)).toEqual(['first_part/w', 'first_part/w_1', 'first_part/inner/b']);
    expect(g.get('first_part/inner/b')).toBe(g.globalVariables()[2]);
  });

  it("variableScope gives get_variable's reuse semantics", () => {
    const g = new Graph();
    g.asDefault(() => {
      const dense = (x: Tensor): Tensor => mul(x, getVariable('w', { shape: [2], initializer: zerosInitializer() }));
      const x = placeholder('float32', [2]);
      variableScope('layer', () => dense(x));
      // reuse: false (default) refuses an existing variable
      expect(() => variableScope('layer', () => dense(x))).toThrowError(GraphError);
      expect(() => variableScope('layer', () => dense(x))).toThrowError(/'layer\/w' already exists.*reuse: true/);
      // reuse: true returns it
      const a = variableScope('layer', { reuse: true }, () => getVariable('w'));
      const b = variableScope('layer', { reuse: true }, () => getVariable('w'));
      expect(b).toBe(g.get('layer/w'));
      expect(a).toBe(b);
      // reuse: true refuses a missing one
      expect(() => variableScope('other', { reuse: true }, () => getVariable('w'))).toThrowError(/does not exist/);
      // 'auto' creates or reuses
      const c1 = variableScope('auto', { reuse: 'auto' }, () => dense(x));
      const c2 = variableScope('auto', { reuse: 'auto' }, () => dense(x));
      expect(c1).not.toBe(c2);
      expect(g.globalVariables().filter((v) => v.name === 'auto/w').length).toBe(1);
      // reuse is inherited by nested scopes
      variableScope('layer', { reuse: true }, () => {
        expect(variableScope('inner', { reuse: false }, () => () => 0)).toBeTypeOf('function');
      });
      // a reused variable must match the requested shape and dtype
      expect(() => variableScope('layer', { reuse: true }, () => getVariable('w', { shape: [3] }))).toThrowError(ShapeError);
    });
    expect(() => g.asDefault(() => variableScope('x', { reuse: 'yes' as unknown as boolean }, () => 0))).toThrowError(ValueError);
  });

  it('variables cannot be read and assigned inside one whileLoop', async () => {
    const { whileLoop } = await import('../src/index.js');
    const g = new Graph();
    expect(() =>
      g.asDefault(() => {
        const v = variable(0, { name: 'v' });
        return whileLoop(
          (i) => i.less(3),
          (i) => {
            v.assign(add(v, 1));
            return [i.add(1)];
          },
          [tensor(0, [], 'int32')],
        );
      }),
    ).toThrowError(/read inside this whileLoop before it is assigned/);
  });
});

describe('optimizers in graph mode', () => {
  it('seed 001: five minimize steps of w*5 leave w at 2.5, 2.0, 1.5, 1.0, 0.5', () => {
    const g = new Graph();
    const { w, train } = g.asDefault(() => {
      const w = getVariable('w', { initializer: 3.0 });
      const loss = mul(w, 5);
      return { w, train: new GradientDescentOptimizer(0.1).minimize(loss) };
    });
    const s = new Session(g);
    s.run(globalVariablesInitializer(g));
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      expect(s.run(train)).toBeUndefined();
      seen.push(s.run(w).item() as number);
    }
    expect(seen.map((v) => Math.round(v * 1e5) / 1e5)).toEqual([2.5, 2.0, 1.5, 1.0, 0.5]);
    s.close();
  });

  it('computeGradients / applyGradients build train ops, and globalStep counts', () => {
    const g = new Graph();
    const { w, train, step, pairs } = g.asDefault(() => {
      const w = getVariable('w', { initializer: 3.0 });
      const loss = mul(w, 5);
      const opt = new GradientDescentOptimizer(0.1);
      const step = getOrCreateGlobalStep();
      const pairs = opt.computeGradients(loss, { varList: [w] });
      return { w, step, pairs, train: opt.applyGradients(pairs, { globalStep: step })! };
    });
    expect(pairs[0]![0]!.isSymbolic).toBe(true);
    const s = new Session(g);
    s.run(globalVariablesInitializer(g));
    expect(s.run(pairs[0]![0]!).item()).toBe(5);
    s.run(train);
    s.run(train);
    expect(s.run(step).item()).toBe(2);
    expect(s.run(w).item()).toBeCloseTo(2.0, 6);
    s.close();
  });

  const quadratic = (w: Tensor): Tensor => sum(square(sub(w, tensor([1, -2, 3]))));

  const cases: [string, () => Optimizer][] = [
    ['GradientDescent', () => new GradientDescentOptimizer(0.1)],
    ['Momentum (Nesterov)', () => new MomentumOptimizer(0.05, 0.9, { useNesterov: true })],
    ['Adam', () => new AdamOptimizer(0.1)],
    ['RMSProp (centered)', () => new RMSPropOptimizer(0.05, { momentum: 0.5, centered: true })],
  ];
  for (const [name, make] of cases) {
    it(`${name}: the graph train op follows the eager trajectory`, () => {
      // eager
      const we = variable(tensor([0, 0, 0]), { name: 'w' });
      const oe = make();
      const eager: number[][] = [];
      for (let i = 0; i < 10; i++) {
        oe.minimize(() => quadratic(we)).dispose();
        eager.push([...we.dataSync()]);
      }
      // graph
      const g = new Graph();
      const { w, train } = g.asDefault(() => {
        const w = variable(tensor([0, 0, 0]), { name: 'w' });
        return { w, train: make().minimize(quadratic(w)) };
      });
      const s = new Session(g);
      s.run(globalVariablesInitializer(g));
      for (let i = 0; i < 10; i++) {
        s.run(train);
        const got = s.run(w).dataSync();
        for (let k = 0; k < 3; k++) expect(got[k]!).toBeCloseTo(eager[i]![k]!, 5);
      }
      s.close();
      we.dispose();
    });
  }

  it('a learning-rate schedule of the global step works in a graph', () => {
    const g = new Graph();
    const { w, train, step } = g.asDefault(() => {
      const w = variable(0, { name: 'w' });
      const step = getOrCreateGlobalStep();
      const opt = new GradientDescentOptimizer(exponentialDecay(1, 1, 0.5, { staircase: true }));
      return { w, step, train: opt.minimize(mul(w, -1), { globalStep: step }) };
    });
    const s = new Session(g);
    s.run(globalVariablesInitializer(g));
    // lr = 1, 0.5, 0.25 at steps 0, 1, 2; gradient of -w is -1
    s.run(train);
    s.run(train);
    s.run(train);
    expect(s.run(w).item()).toBeCloseTo(1.75, 6);
    expect(s.run(step).item()).toBe(3);
    s.close();
  });
});
