import { beforeAll, describe, expect, it } from 'vitest';
import {
  add,
  exp,
  memory,
  mul,
  runOp,
  defineComposite,
  getOp,
  setBackend,
  sigmoid,
  softplus,
  sum,
  tensor,
  tidy,
  ValueError,
  listOps,
  withoutRecording,
  type Tensor,
} from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import {
  customGradient,
  getGradient,
  grad,
  gradientsFunction,
  GradientTape,
  listGradients,
  NoGradientError,
  registerGradient,
  stopGradient,
  valueAndGradientsFunction,
} from '../src/index.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

const values = (t: Tensor | null | undefined): number[] => {
  if (t === null || t === undefined) throw new Error('expected a tensor');
  return Array.from(t.dataSync());
};

describe('stopGradient', () => {
  it('treats its result as a constant', () => {
    const [dx] = gradientsFunction((x) => x.mul(stopGradient(x)))(3);
    expect(values(dx)).toEqual([3]);
    expect(values(stopGradient(tensor([1, 2])))).toEqual([1, 2]);
  });
});

describe('customGradient', () => {
  it('uses the given gradient function', () => {
    // a "straight-through" round: forward rounds, backward passes the gradient unchanged
    const roundST = customGradient((x) => ({ value: x.round(), gradFunc: (dy) => dy }));
    const [value, [dx]] = valueAndGradientsFunction((x) => roundST(x).mul(x))([1.4, 2.6]);
    const v = values(value);
    expect(v[0]).toBeCloseTo(1.4, 6);
    expect(v[1]).toBeCloseTo(7.8, 5);
    // d/dx (round(x) * x) with the straight-through rule: x + round(x)
    const d = values(dx);
    expect(d[0]).toBeCloseTo(2.4, 6);
    expect(d[1]).toBeCloseTo(5.6, 6);
  });

  it('supports several inputs, null gradients and second order through gradFunc', () => {
    const f = customGradient((a, b) => ({
      value: a!.mul(b!),
      gradFunc: (dy) => [dy.mul(b!), null],
    }));
    const [da, db] = gradientsFunction((a, b) => f(a, b))(2, 5);
    expect(values(da)).toEqual([5]);
    expect(values(db)).toEqual([0]);
    const stableSoftplus = customGradient((x) => ({ value: softplus(x), gradFunc: (dy) => [dy.mul(sigmoid(x))] }));
    expect(values(grad((x) => stableSoftplus(x))(0))).toEqual([0.5]);
    // d²/dx² softplus = sigmoid' ; gradFunc's sigmoid(x) is recorded by the outer tape
    const s = 1 / (1 + Math.exp(-0.3));
    expect(values(grad(grad((x) => stableSoftplus(x)))(tensor(0.3, undefined, 'float64')))[0]).toBeCloseTo(s * (1 - s), 12);
  });

  it('is recorded like any op: not while recording is paused', () => {
    const double = customGradient((x) => ({ value: x!.mul(2), gradFunc: (dy) => dy.mul(2) }));
    const [g] = gradientsFunction((x) => withoutRecording(() => double(x)).add(x))(1);
    expect(values(g)).toEqual([1]);
    const [g2] = gradientsFunction((x) => double(x).add(x))(1);
    expect(values(g2)).toEqual([3]);
    // the value may be an input itself
    const passThrough = customGradient((x) => ({ value: x!, gradFunc: (dy) => dy.mul(5) }));
    expect(values(gradientsFunction((x) => passThrough(x))(1)[0])).toEqual([5]);
  });

  it('rejects malformed results', () => {
    const bad = customGradient(() => ({ value: 3 }) as never);
    expect(() => bad(1)).toThrow(ValueError);
    const wrongCount = customGradient((a) => ({ value: a!.mul(2), gradFunc: (dy) => [dy, dy] }));
    expect(() => gradientsFunction((a) => wrongCount(a))(1)).toThrow(/array of 1 gradients/);
  });

  it('frees what it creates', () => {
    const before = memory().numTensors;
    tidy(() => {
      const f = customGradient((x) => ({ value: exp(x), gradFunc: (dy) => [dy.mul(exp(x))] }));
      gradientsFunction((x) => f(x))([1, 2]);
    });
    expect(memory().numTensors).toBe(before);
  });
});

describe('registry', () => {
  it('has a rule for every op core defines, except composites differentiated through their composition', () => {
    const rules = new Set(listGradients());
    expect(listOps().map((o) => o.name).filter((n) => !rules.has(n))).toEqual(['dropout', 'randomNormal', 'randomUniform', 'truncatedNormal']);
  });

  it('throws NoGradientError naming an op without a rule on the path', () => {
    const def = getOp('myTestTriple') ?? defineComposite({
      name: 'myTestTriple',
      inputs: ['x'],
      infer: ([x]) => [x!],
      compose: ([x]) => [mul(x!, 3)],
    });
    // Composites without a rule are recorded through their inner ops:
    const [dx] = gradientsFunction((x) => runOp(def, [x], {})[0]!)(2);
    expect(values(dx)).toEqual([3]);
    // A rule makes it one node; a rule that is missing where a node needs it throws:
    const restore = registerGradient('myTestTriple', { grad: ([dy]) => [() => mul(dy!, 30)] });
    expect(values(gradientsFunction((x) => runOp(def, [x], {})[0]!)(2)[0])).toEqual([30]);
    restore();
    expect(getGradient('myTestTriple')).toBeUndefined();

    const restoreExp = registerGradient('exp', { grad: () => [() => { throw new NoGradientError('exp'); }] });
    try {
      expect(() => gradientsFunction((x) => exp(x))(1)).toThrow(NoGradientError);
      expect(() => gradientsFunction((x) => exp(x))(1)).toThrow(/op 'exp'/);
    } finally {
      restoreExp();
    }
    expect(values(gradientsFunction((x) => exp(x))(0)[0])).toEqual([1]);
  });

  it('a rule returning the wrong shape is reported with the op name', () => {
    const restore = registerGradient('sin', { grad: () => [() => tensor([1, 2, 3])] });
    try {
      expect(() => gradientsFunction((x) => x.sin())([1, 2])).toThrow(/gradient of 'sin': the rule returned shape \[3\] for input 0, whose shape is \[2\]/);
    } finally {
      restore();
    }
  });

  it('registerGradient validates its arguments', () => {
    expect(() => registerGradient('', { grad: () => [] })).toThrow(ValueError);
    expect(() => registerGradient('x', {} as never)).toThrow(/grad\(dys, saved\)/);
  });

  it('a rule reading an input it did not save gets a clear error', () => {
    const restore = registerGradient('cos', { grad: ([dy], s) => [() => mul(dy!, s.input(0))] });
    try {
      expect(() => gradientsFunction((x) => x.cos())(1)).toThrow(/reads input 0, but does not list it in saveInputs/);
    } finally {
      restore();
    }
  });
});

describe('unconnected and non-float arguments', () => {
  it('integer arguments get null; errors for bad arguments and results', () => {
    const f = (x: Tensor, i: Tensor): Tensor => x.mul(i.cast('float32'));
    const [dx, di] = gradientsFunction(f)([1, 2], tensor([3, 4], undefined, 'int32'));
    expect(values(dx)).toEqual([3, 4]);
    expect(di).toBeNull();
    expect(() => gradientsFunction((x) => x)('a' as never)).toThrow(/argument 0 is a string/);
    expect(() => gradientsFunction(() => 5 as never)(1)).toThrow(/must return a tensor to differentiate, but it returned a number/);
    expect(() => gradientsFunction((x) => x.greater(0))(1)).toThrow(/bool tensor/);
    expect(() => gradientsFunction(3 as never)).toThrow(/expected a function/);
  });

  it('a source used twice gets the sum; gradient tensors are distinct handles', () => {
    const x = tensor([1, 2]);
    const [g1, g2] = gradientsFunction((a, b) => add(a, b))(x, x);
    expect(g1).not.toBe(g2);
    expect(values(g1)).toEqual([2, 2]);
    g1!.dispose();
    expect(values(g2)).toEqual([2, 2]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = add(x, 1);
    const [a, b] = tape.gradient(y, [x, x]);
    expect(a).not.toBe(b);
    const seed = tensor([5, 6]);
    const t2 = new GradientTape();
    t2.watch(x);
    const same = t2.gradient(x, x, seed)!;
    expect(same).not.toBe(seed);
    expect(values(same)).toEqual([5, 6]);
    void sum;
  });
});

