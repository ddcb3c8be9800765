import { dispose, DTypeError, memory, setBackend, ShapeError, tensor, ValueError, variable, type Tensor } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AdagradOptimizer,
  AdamOptimizer,
  AdamWOptimizer,
  GradientDescentOptimizer,
  MomentumOptimizer,
  RMSPropOptimizer,
  type LearningRate,
  type Optimizer,
} from '../src/index.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

const makers: Array<[string, (lr: LearningRate) => Optimizer]> = [
  ['GradientDescentOptimizer', (lr) => new GradientDescentOptimizer(lr)],
  ['MomentumOptimizer', (lr) => new MomentumOptimizer(lr, 0.9)],
  ['AdamOptimizer', (lr) => new AdamOptimizer(lr)],
  ['AdamWOptimizer', (lr) => new AdamWOptimizer(lr)],
  ['RMSPropOptimizer', (lr) => new RMSPropOptimizer(lr)],
  ['AdagradOptimizer', (lr) => new AdagradOptimizer(lr)],
];

describe('bad learning rates', () => {
  for (const [name, make] of makers) {
    it(`${name} rejects non-positive, NaN and infinite learning rates`, () => {
      for (const lr of [0, -0.1, NaN, Infinity, -Infinity, '0.1' as unknown as number, null as unknown as number]) {
        expect(() => make(lr), `lr ${String(lr)}`).toThrow(ValueError);
      }
      expect(() => make(-1)).toThrow(new RegExp(`${name}: the learning rate must be a finite number > 0, got number -1`));
      const ok = make(0.1);
      expect(() => ok.setLearningRate(0)).toThrow(/setLearningRate: the learning rate must be a finite number > 0/);
    });
  }

  it('a missing learning rate (Adam and AdamW default to 0.001, as in TF)', () => {
    expect(() => new GradientDescentOptimizer(undefined as unknown as number)).toThrow(/got undefined/);
    expect(new AdamOptimizer().learningRate).toBe(0.001);
    expect(new AdamWOptimizer().learningRate).toBe(0.001);
  });

  it('bad hyperparameters', () => {
    expect(() => new MomentumOptimizer(0.1, -0.5)).toThrow(/MomentumOptimizer: momentum must be a finite number >= 0, got number -0.5/);
    expect(() => new MomentumOptimizer(0.1, NaN)).toThrow(ValueError);
    expect(() => new AdamOptimizer(0.1, { beta1: 1 })).toThrow(/AdamOptimizer: beta1 must be a number in \[0, 1\), got number 1/);
    expect(() => new AdamOptimizer(0.1, { beta2: -0.1 })).toThrow(ValueError);
    expect(() => new AdamOptimizer(0.1, { epsilon: -1 })).toThrow(/epsilon/);
    expect(() => new AdamWOptimizer(0.1, { weightDecay: -1 })).toThrow(/AdamWOptimizer: weightDecay/);
    expect(() => new RMSPropOptimizer(0.1, { decay: 1.5 })).toThrow(/RMSPropOptimizer: decay must be a number in \[0, 1\]/);
    expect(() => new RMSPropOptimizer(0.1, { centered: 'yes' as unknown as boolean })).toThrow(/centered must be a boolean/);
    expect(() => new AdagradOptimizer(0.1, { initialAccumulatorValue: 0 })).toThrow(
      /AdagradOptimizer: initialAccumulatorValue must be a finite number > 0, got number 0/,
    );
  });
});

describe('bad gradients and variables', () => {
  it('a gradient whose shape differs from its variable throws a ShapeError naming the variable, and nothing changes', () => {
    const w = variable(tensor([[1, 2, 3], [4, 5, 6]]), { name: 'weights' });
    const b = variable(tensor([1, 1]), { name: 'bias' });
    const gw = tensor([1, 2, 3]);
    const gb = tensor([1, 1]);
    const opt = new AdamOptimizer(0.1);
    expect(() => opt.applyGradients([[gb, b], [gw, w]])).toThrow(ShapeError);
    expect(() => opt.applyGradients([[gb, b], [gw, w]])).toThrow(
      "AdamOptimizer.applyGradients: the gradient for variable 'weights' has shape [3], but the variable has shape [2,3]; they must be equal",
    );
    // Checked before anything changed: bias is untouched, no slots were created.
    expect(Array.from(b.dataSync())).toEqual([1, 1]);
    expect(opt.getSlot(b, 'm')).toBeUndefined();
    expect(opt.iterations).toBe(0);
    dispose([w, b, gw, gb]);
  });

  it('dtype mismatch, non-float variables, non-tensor gradients, duplicates, malformed pairs', () => {
    const w = variable(tensor([1, 2]), { name: 'w' });
    const i = variable(tensor([1, 2], undefined, 'int32'), { name: 'counts' });
    const g64 = tensor([1, 2], undefined, 'float64');
    const g = tensor([1, 1]);
    const opt = new GradientDescentOptimizer(0.1);
    expect(() => opt.applyGradients([[g64, w]])).toThrow(DTypeError);
    expect(() => opt.applyGradients([[g64, w]])).toThrow(/gradient for variable 'w' has dtype float64, the variable float32/);
    expect(() => opt.applyGradients([[g, i]])).toThrow(/variable 'counts' has dtype int32; only float32 and float64 variables/);
    expect(() => opt.applyGradients([[[1, 1] as unknown as Tensor, w]])).toThrow(/must be a tensor or null, got an array/);
    expect(() => opt.applyGradients([[g, w], [g, w]])).toThrow(/variable 'w' appears twice/);
    expect(() => opt.applyGradients([[g, g as never]])).toThrow(/second element must be a Variable \(got a float32 tensor of shape \[2\]\)/);
    expect(() => opt.applyGradients([g as never])).toThrow(/entry 0 must be a \[gradient, variable\] pair/);
    expect(() => opt.applyGradients(g as never)).toThrow(/expected an array of \[gradient, variable\] pairs/);
    expect(() => opt.applyGradients([[null, w]])).toThrow(/no gradients provided for any variable \('w'\)/);
    expect(() => opt.applyGradients([])).toThrow(/no gradients provided/);
    expect(() => opt.applyGradients([[g, w]], { globalStep: w })).toThrow(/globalStep must be an int32 scalar Variable, got dtype float32/);
    expect(() => opt.applyGradients([[g, w]], { globalStep: g as never })).toThrow(/globalStep must be an int32 scalar Variable/);
    expect(Array.from(w.dataSync())).toEqual([1, 2]);
    dispose([w, i, g64, g]);
  });

  it('a non-variable in varList', () => {
    const w = variable(2, { name: 'w' });
    const t = tensor(3);
    const opt = new GradientDescentOptimizer(0.1);
    expect(() => opt.minimize(() => w.mul(t), { varList: [w, t as never] })).toThrow(ValueError);
    expect(() => opt.minimize(() => w.mul(t), { varList: [w, t as never] })).toThrow(
      'GradientDescentOptimizer.minimize: varList[1] is not a Variable (got a float32 tensor of shape []); only variables can be optimized',
    );
    expect(() => opt.computeGradients(() => w.mul(t), { varList: [w, 5 as never] })).toThrow(/varList\[1\] is not a Variable \(got number 5\)/);
    expect(() => opt.minimize(() => w.mul(t), { varList: [] })).toThrow(/varList is empty/);
    expect(() => opt.minimize(() => w.mul(t), { varList: w as never })).toThrow(/varList must be an array of Variables/);
    expect(() => opt.minimize(() => w.mul(t), { varList: [w, w] })).toThrow(/variable 'w' appears twice in varList/);
    expect(w.item()).toBe(2);
    dispose([w, t]);
  });

  it('a loss function that returns a non-scalar, a non-tensor or an integer; a loss that is not a function', () => {
    const w = variable(tensor([1, 2, 3]), { name: 'w' });
    const opt = new AdamOptimizer(0.1);
    const before = memory().numTensors;
    expect(() => opt.minimize(() => w.mul(2))).toThrow(ShapeError);
    expect(() => opt.minimize(() => w.mul(2))).toThrow(
      'AdamOptimizer.minimize: the loss must be a scalar, got a tensor of shape [3]; reduce it first, e.g. with mean() or sum()',
    );
    expect(() => opt.computeGradients(() => w.mul(2))).toThrow(/AdamOptimizer.computeGradients: the loss must be a scalar/);
    expect(() => opt.minimize(() => 3 as unknown as Tensor)).toThrow(/the loss function must return a scalar tensor, got number 3/);
    expect(() => opt.minimize(() => w.sum().cast('int32'))).toThrow(DTypeError);
    const lossTensor = w.sum();
    expect(() => opt.minimize(lossTensor as never)).toThrow(/in eager mode the loss must be a function/);
    expect(() => opt.minimize('loss' as never)).toThrow(/the loss must be a function returning a scalar tensor/);
    lossTensor.dispose();
    expect(memory().numTensors).toBe(before);
    expect(Array.from(w.dataSync())).toEqual([1, 2, 3]);
    expect(opt.variables()).toEqual([]);
    w.dispose();
  });

  it('a loss that uses no trainable variable', () => {
    const c = variable(2, { name: 'c', trainable: false });
    const w = variable(1, { name: 'w' });
    const opt = new GradientDescentOptimizer(0.1);
    expect(() => opt.minimize(() => c.mul(3))).toThrow(/no variables to optimize/);
    expect(() => opt.minimize(() => c.mul(3), { varList: [w] })).toThrow(/no gradients provided for any variable \('w'\)/);
    dispose([c, w]);
  });
});
