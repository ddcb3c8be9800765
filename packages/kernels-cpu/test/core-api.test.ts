/**
 * Tests of the core API that are not about one op: Tensor methods and conversions, printing,
 * memory management, backend selection, nested-array parsing, variables, getVariable,
 * initializer statistics, seeded random ops and the sequence/fill creation helpers.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import {
  BackendError,
  DisposedError,
  DTypeError,
  ShapeError,
  TesseraError,
  ValueError,
  Tensor,
  Variable,
  add,
  constantInitializer,
  dispose,
  exp,
  eye,
  fill,
  getBackend,
  getOp,
  getVariable,
  glorotUniformInitializer,
  heNormalInitializer,
  isVariable,
  keep,
  linspace,
  listOps,
  memory,
  ones,
  onesInitializer,
  onesLike,
  randomNormal,
  randomNormalInitializer,
  randomUniform,
  randomUniformInitializer,
  range,
  reshape,
  retain,
  scalar,
  scope,
  setBackend,
  setRandomSeed,
  softmax,
  sum,
  tensor,
  tidy,
  truncatedNormal,
  truncatedNormalInitializer,
  variable,
  zeros,
  zerosInitializer,
  zerosLike,
  type Backend,
  type Initializer,
  type Kernel,
} from '@tessera/core';
import { createCpuBackend } from '../src/index.js';

// ---- helpers -----------------------------------------------------------------------------

const vals = (t: Tensor): number[] => Array.from(t.dataSync());

function stats(v: readonly number[]): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    s += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = s / v.length;
  let q = 0;
  for (const x of v) q += (x - mean) ** 2;
  return { mean, std: Math.sqrt(q / v.length), min, max };
}

/** Runs `fn` and checks that it left no tensors or buffers behind. */
function expectNoLeak(fn: () => void): void {
  const before = memory();
  fn();
  const after = memory();
  expect(after.numTensors).toBe(before.numTensors);
  expect(after.numDataBuffers).toBe(before.numDataBuffers);
  expect(after.numBytes).toBe(before.numBytes);
}

// ---- no backend --------------------------------------------------------------------------

// This block must run first: vitest gives every test file its own module instances, and no
// backend has been set yet in this one.
describe('without a backend', () => {
  it('creating a tensor throws a BackendError that says how to call setBackend', () => {
    expect(() => tensor([1, 2])).toThrow(BackendError);
    expect(() => ones([2])).toThrow(/ones: no backend is set.*setBackend\(/);
    expect(() => getBackend()).toThrow(/getBackend: no backend is set.*createCpuBackend.*setBackend/);
    expect(() => add(1, 2)).toThrow(BackendError);
    expect(() => variable(1)).toThrow(/setBackend/);
  });

  it('setBackend rejects things that are not backends', () => {
    expect(() => setBackend(null as unknown as Backend)).toThrow(BackendError);
    expect(() => setBackend({} as Backend)).toThrow(/setBackend: expected a backend implementing specification version 1, got undefined/);
    expect(() => setBackend({ specificationVersion: 2 } as unknown as Backend)).toThrow(/setBackend.*version 1, got 2/);
    expect(() => getBackend()).toThrow(BackendError); // nothing was set by the failed calls
  });
});

describe('core API on the CPU backend', () => {
  let cpu: Backend;
  beforeAll(async () => {
    cpu = await createCpuBackend();
    setBackend(cpu);
  });

  // ---- backend selection ---------------------------------------------------------------

  describe('backends', () => {
    it('getBackend returns the backend that was set', () => {
      expect(getBackend()).toBe(cpu);
      expect(tensor([1]).backend).toBe(cpu);
    });

    it('ops on tensors of two backends throw, naming both', async () => {
      const other = await createCpuBackend({ name: 'cpu2' });
      setBackend(other);
      const b = tensor([1, 2]);
      setBackend(cpu);
      const a = tensor([1, 2]);
      expect(() => add(a, b)).toThrow(BackendError);
      expect(() => add(a, b)).toThrow(/add: inputs live on different backends \(cpu and cpu2\).*toBackend/);
      dispose([a, b]);
    });

    it('a backend kernel registered under a composite name runs instead of the composition', () => {
      expect(getOp('softmax')?.kind).toBe('composite');
      for (const name of ['logSoftmax', 'softmaxCrossEntropy', 'sigmoidCrossEntropy', 'meanSquaredError', 'moments', 'batchNorm', 'dropout']) {
        expect(listOps().find((o) => o.name === name)?.kind).toBe('composite');
      }
      let calls = 0;
      const fused: Kernel = ({ outputs }) => {
        calls++;
        // a deliberately recognizable result: every element 0.25
        const shape = outputs[0]!.shape;
        return cpu.write(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.25), shape, 'float32');
      };
      const withFused: Backend = Object.assign(Object.create(Object.getPrototypeOf(cpu) as object) as Backend, cpu, {
        name: 'cpu-fused',
        kernels: { ...cpu.kernels, softmax: fused },
      });
      setBackend(withFused);
      try {
        const y = softmax(tensor([[1, 2, 3, 4]]));
        expect(calls).toBe(1);
        expect(y.shape).toEqual([1, 4]);
        expect(vals(y)).toEqual([0.25, 0.25, 0.25, 0.25]);
        y.dispose();
      } finally {
        setBackend(cpu);
      }
    });
  });

  // ---- Tensor ----------------------------------------------------------------------------

  describe('Tensor', () => {
    it('has shape, dtype, rank and size', () => {
      const t = tensor([[1, 2, 3], [4, 5, 6]]);
      expect(t).toBeInstanceOf(Tensor);
      expect(t.shape).toEqual([2, 3]);
      expect(t.dtype).toBe('float32');
      expect(t.rank).toBe(2);
      expect(t.size).toBe(6);
      expect(scalar(1).rank).toBe(0);
      expect(scalar(1).size).toBe(1);
      expect(zeros([3, 0]).size).toBe(0);
      expect(t.isSymbolic).toBe(false);
    });

    it('reads values: data, dataSync, array, arraySync, item', async () => {
      const t = tensor([[1, 2], [3, 4]]);
      expect(await t.data()).toEqual(new Float32Array([1, 2, 3, 4]));
      expect(t.dataSync()).toEqual(new Float32Array([1, 2, 3, 4]));
      expect(await t.array()).toEqual([[1, 2], [3, 4]]);
      expect(t.arraySync()).toEqual([[1, 2], [3, 4]]);
      expect(tensor([true, false]).arraySync()).toEqual([true, false]);
      expect(tensor([1, 2], [2], 'int32').dataSync()).toBeInstanceOf(Int32Array);
      expect(tensor([0.1], [1], 'float64').dataSync()).toEqual(new Float64Array([0.1]));
      expect(scalar(3).arraySync()).toBe(3);
      expect(await scalar(true).array()).toBe(true);
      expect(tensor([[]]).arraySync()).toEqual([[]]);
      expect(scalar(2.5).item()).toBe(2.5);
      expect(tensor([[7]]).item()).toBe(7);
      expect(scalar(true).item()).toBe(true);
      expect(() => tensor([1, 2]).item()).toThrow(ValueError);
      expect(() => tensor([1, 2]).item()).toThrow(/item: the tensor has 2 elements \(shape \[2\]\)/);
    });

    it('reads give copies: changing them does not change the tensor', () => {
      const t = tensor([1, 2]);
      const d = t.dataSync();
      d[0] = 100;
      expect(vals(t)).toEqual([1, 2]);
    });

    it('chainable methods accept plain numbers and match the functions', () => {
      const x = tensor([[1, 2], [3, 4]]);
      expect(vals(x.mul(x).add(x.mul(2)).add(4))).toEqual([7, 12, 19, 28]);
      expect(vals(x.sub(1).div(2))).toEqual([0, 0.5, 1, 1.5]);
      expect(vals(x.pow(2).neg())).toEqual([-1, -4, -9, -16]);
      expect(vals(x.maximum(2.5).minimum(3.5))).toEqual([2.5, 2.5, 3, 3.5]);
      expect(vals(x.greater(2))).toEqual([0, 0, 1, 1]);
      expect(vals(x.equal(tensor([1, 0])).logicalOr(x.less(2)))).toEqual([1, 0, 0, 0]);
      expect(vals(x.cast('int32').floorDiv(2))).toEqual([0, 1, 1, 2]);
      expect(vals(x.mod(3))).toEqual([1, 2, 0, 1]);
      expect(vals(x.square().sqrt())).toEqual([1, 2, 3, 4]);
      expect(vals(x.exp())).toEqual(vals(exp(x)));
      expect(vals(x.sum())).toEqual([10]);
      expect(vals(x.sum(1))).toEqual([3, 7]);
      expect(x.sum(0, true).shape).toEqual([1, 2]);
      expect(vals(x.mean())).toEqual([2.5]);
      expect(vals(x.max(0))).toEqual([3, 4]);
      expect(vals(x.min(1))).toEqual([1, 3]);
      expect(vals(x.prod())).toEqual([24]);
      expect(vals(x.argMax(1))).toEqual([1, 1]);
      expect(vals(x.argMin(0))).toEqual([0, 0]);
      expect(vals(x.reshape([4]))).toEqual([1, 2, 3, 4]);
      expect(x.flatten().shape).toEqual([4]);
      expect(vals(x.transpose())).toEqual([1, 3, 2, 4]);
      expect(x.expandDims(1).shape).toEqual([2, 1, 2]);
      expect(x.expandDims(1).squeeze().shape).toEqual([2, 2]);
      expect(vals(x.matmul(eye(2)))).toEqual([1, 2, 3, 4]);
      expect(vals(x.clipByValue(2, 3))).toEqual([2, 2, 3, 3]);
      expect(vals(x.relu().sigmoid().round())).toEqual([1, 1, 1, 1]);
      const s = x.softmax();
      expect(vals(s.sum(1)).map((v) => Math.round(v * 1e5) / 1e5)).toEqual([1, 1]);
      expect(vals(x.logSoftmax().exp())).toEqual(vals(s).map((v) => expect.closeTo(v, 6) as unknown as number));
    });

    it('dispose is idempotent; a disposed tensor cannot be read or used', async () => {
      const t = tensor([1, 2]);
      expect(t.isDisposed).toBe(false);
      t.dispose();
      t.dispose();
      expect(t.isDisposed).toBe(true);
      expect(() => t.dataSync()).toThrow(DisposedError);
      await expect(t.data()).rejects.toThrow(/data: the tensor \(shape \[2\]\) has been disposed/);
      expect(() => t.add(1)).toThrow(/add: input a \(tensor of shape \[2\]\) has been disposed/);
    });
  });

  describe('printing', () => {
    it('prints like NumPy, with shape and dtype', () => {
      expect(tensor([[1, 2], [3, 4]]).toString()).toBe('Tensor([[1, 2],\n        [3, 4]], shape=[2,2], dtype=float32)');
      expect(scalar(3.5).toString()).toBe('Tensor(3.5, shape=[], dtype=float32)');
      expect(tensor([1, -20, 300], [3], 'int32').toString()).toBe('Tensor([  1, -20, 300], shape=[3], dtype=int32)');
      expect(tensor([true, false]).toString()).toBe('Tensor([ true, false], shape=[2], dtype=bool)');
      expect(tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]).toString()).toBe(
        'Tensor([[[1, 2],\n         [3, 4]],\n\n        [[5, 6],\n         [7, 8]]], shape=[2,2,2], dtype=float32)',
      );
      expect(tensor([], [0]).toString()).toBe('Tensor([], shape=[0], dtype=float32)');
      expect(tensor([0.5, -0.25]).toString()).toBe('Tensor([  0.5, -0.25], shape=[2], dtype=float32)');
    });

    it('prints special and extreme floats readably', () => {
      const s = tensor([NaN, -Infinity, Infinity, 0.5], undefined, 'float64').toString();
      expect(s).toContain('NaN');
      expect(s).toContain('-Infinity');
      expect(s).toMatch(/ Infinity/);
      expect(s).toMatch(/dtype=float64\)$/);
      // very large and very small magnitudes switch to exponent notation
      expect(tensor([1e-7, 3e9], undefined, 'float64').toString()).toMatch(/1\.0+e-7.*3\.0+e\+9/);
    });

    it('summarizes large tensors with ...', () => {
      const s = range(2000).toString();
      expect(s).toContain('...');
      expect(s).toMatch(/^Tensor\(\[\s*0,\s+1,\s+2, \.\.\., 1997, 1998, 1999\], shape=\[2000\], dtype=float32\)$/);
      const m = range(3000).reshape([100, 30]).toString();
      expect(m.split('\n').length).toBeLessThan(10);
      expect(m).toContain('shape=[100,30]');
    });

    it('prints disposed tensors and variables', () => {
      const t = tensor([1, 2]);
      t.dispose();
      expect(t.toString()).toBe('Tensor(disposed, shape=[2], dtype=float32)');
      const v = variable(3, { name: 'x' });
      expect(v.toString()).toBe("Variable 'x' Tensor(3, shape=[], dtype=float32)");
      v.dispose();
    });
  });

  describe('Symbol.toPrimitive', () => {
    it('a one-element tensor converts to a number', () => {
      expect(+scalar(3) === 3).toBe(true);
      expect((scalar(-5) as unknown as number) >= 0).toBe(false);
      expect(+tensor([[2.5]])).toBe(2.5);
      expect(+scalar(7, 'int32') + 1).toBe(8);
      expect(+scalar(true)).toBe(1);
      const x = scalar(2);
      let branch = '';
      if ((x as unknown as number) > 1) branch = 'big';
      else branch = 'small';
      expect(branch).toBe('big');
    });

    it('a template string prints the tensor', () => {
      const t = tensor([1, 2]);
      expect(`${t}`).toBe(t.toString());
      expect(`${t}`).toBe('Tensor([1, 2], shape=[2], dtype=float32)');
      expect(String(scalar(1))).toBe('Tensor(1, shape=[], dtype=float32)');
    });

    it('a tensor with more than one element used as a number throws ValueError', () => {
      const t = tensor([1, 2]);
      expect(() => +t).toThrow(ValueError);
      expect(() => (t as unknown as number) > 0).toThrow(/shape \[2\] \(2 elements\) cannot be used as a number or boolean.*ambiguous/);
      expect(() => +zeros([0])).toThrow(ValueError);
      const d = scalar(1);
      d.dispose();
      expect(() => +d).toThrow(DisposedError);
    });
  });

  // ---- memory ----------------------------------------------------------------------------

  describe('memory', () => {
    it('memory() counts tensors, buffers and bytes per dtype', () => {
      const before = memory();
      const a = zeros([10]); // 40 bytes
      const b = zeros([3], 'float64'); // 24 bytes
      const c = zeros([5], 'bool'); // 5 bytes
      const d = zeros([2], 'int32'); // 8 bytes
      let m = memory();
      expect(m.numTensors - before.numTensors).toBe(4);
      expect(m.numDataBuffers - before.numDataBuffers).toBe(4);
      expect(m.numBytes - before.numBytes).toBe(40 + 24 + 5 + 8);
      expect(m.backend?.numBuffers).toBe(cpu.memory().numBuffers);
      // reshape shares the buffer: one more tensor, no new buffer
      const r = reshape(a, [2, 5]);
      m = memory();
      expect(m.numTensors - before.numTensors).toBe(5);
      expect(m.numDataBuffers - before.numDataBuffers).toBe(4);
      a.dispose();
      expect(memory().numDataBuffers - before.numDataBuffers).toBe(4); // r still holds it
      r.dispose();
      dispose([b, { c, list: [d] }]);
      m = memory();
      expect(m.numTensors).toBe(before.numTensors);
      expect(m.numDataBuffers).toBe(before.numDataBuffers);
      expect(m.numBytes).toBe(before.numBytes);
    });

    it('a buffer shared by a variable, a retained handle and a reshape is freed with its last handle', () => {
      const before = memory();
      const t = tensor([1, 2, 3, 4]);
      const v = variable([0, 0, 0, 0]);
      expect(memory().numDataBuffers - before.numDataBuffers).toBe(2);
      v.assign(t); // v now shares t's buffer; its zeros are freed
      expect(memory().numDataBuffers - before.numDataBuffers).toBe(1);
      const r = retain(t);
      const s = reshape(v, [2, 2]);
      t.dispose();
      v.assign([5, 6, 7, 8]); // v moves to a new buffer; r and s still hold the old one
      expect(memory().numDataBuffers - before.numDataBuffers).toBe(2);
      expect(Array.from(s.dataSync())).toEqual([1, 2, 3, 4]);
      r.dispose();
      expect(Array.from(s.dataSync())).toEqual([1, 2, 3, 4]);
      s.dispose();
      expect(memory().numDataBuffers - before.numDataBuffers).toBe(1);
      expect(Array.from(v.dataSync())).toEqual([5, 6, 7, 8]);
      v.dispose();
      const m = memory();
      expect(m.numDataBuffers).toBe(before.numDataBuffers);
      expect(m.numBytes).toBe(before.numBytes);
      expect(m.numTensors).toBe(before.numTensors);
    });

    it('tidy frees everything but its result (arrays and objects of tensors too)', () => {
      const before = memory().numTensors;
      const y = tidy(() => {
        const a = ones([3]);
        const b = a.add(1);
        return b.mul(2);
      });
      expect(memory().numTensors - before).toBe(1);
      expect(vals(y)).toEqual([4, 4, 4]);
      const { p, q } = tidy(() => ({ p: ones([1]).add(1), q: [zeros([2]).add(3)] }));
      expect(memory().numTensors - before).toBe(3);
      expect(vals(q[0]!)).toEqual([3, 3]);
      dispose([y, p, q]);
      expect(memory().numTensors).toBe(before);
    });

    it('nested tidy moves results to the outer scope; keep survives every scope', () => {
      const before = memory().numTensors;
      let kept!: Tensor;
      let inner!: Tensor;
      tidy(() => {
        inner = tidy(() => ones([2]).add(1));
        kept = keep(zeros([2]));
        ones([5]);
        expect(inner.isDisposed).toBe(false);
      });
      expect(inner.isDisposed).toBe(true);
      expect(kept.isDisposed).toBe(false);
      kept.dispose();
      expect(memory().numTensors).toBe(before);
    });

    it('tidy frees everything when its function throws, and rejects async functions', async () => {
      expectNoLeak(() => {
        expect(() =>
          tidy(() => {
            ones([4]);
            throw new Error('boom');
          }),
        ).toThrow('boom');
      });
      const before = memory().numTensors;
      expect(() => tidy((async () => ones([1])) as unknown as () => Tensor)).toThrow(TesseraError);
      expect(() => tidy((async () => ones([1])) as unknown as () => Tensor)).toThrow(/tidy.*Promise.*scope/);
      await new Promise((r) => setTimeout(r, 0));
      // the promise's tensor was created before the scope closed, so it is freed
      expect(memory().numTensors).toBe(before);
      expect(() => tidy(3 as unknown as () => void)).toThrow(ValueError);
    });

    it('scope survives await and frees everything but its result', async () => {
      const before = memory().numTensors;
      let temp!: Tensor;
      const total = await scope(async () => {
        temp = tensor([1, 2, 3]);
        const v = await temp.data();
        await new Promise((r) => setTimeout(r, 1));
        return sum(temp).add(v[0]!);
      });
      expect(temp.isDisposed).toBe(true);
      expect(vals(total)).toEqual([7]);
      total.dispose();
      expect(memory().numTensors).toBe(before);
      await expect(scope(async () => {
        ones([2]);
        throw new Error('async boom');
      })).rejects.toThrow('async boom');
      expect(memory().numTensors).toBe(before);
    });

    it('using disposes at the end of the block', () => {
      const before = memory().numTensors;
      let seen!: Tensor;
      {
        using t = ones([3]);
        seen = t;
        expect(t.isDisposed).toBe(false);
      }
      expect(seen.isDisposed).toBe(true);
      expect(memory().numTensors).toBe(before);
    });

    it('retain gives an independent kept handle to the same data', () => {
      const before = memory();
      const t = tensor([1, 2]);
      let r!: Tensor;
      tidy(() => {
        r = retain(t);
      });
      expect(r.isDisposed).toBe(false);
      t.dispose();
      expect(vals(r)).toEqual([1, 2]);
      expect(memory().numDataBuffers - before.numDataBuffers).toBe(1);
      r.dispose();
      expect(memory().numDataBuffers).toBe(before.numDataBuffers);
      expect(() => retain(t)).toThrow(ValueError);
    });

    it('variables survive tidy and are freed by dispose', () => {
      const before = memory();
      let w!: Variable;
      tidy(() => {
        w = variable(ones([2]).mul(3));
        w.assign(w.add(1));
      });
      expect(w.isDisposed).toBe(false);
      expect(vals(w)).toEqual([4, 4]);
      expect(memory().numTensors - before.numTensors).toBe(1);
      expect(memory().numBytes - before.numBytes).toBe(8);
      w.dispose();
      expect(memory().numTensors).toBe(before.numTensors);
      expect(memory().numBytes).toBe(before.numBytes);
    });
  });

  // ---- parsing ---------------------------------------------------------------------------

  describe('nested arrays', () => {
    it('infer shape and dtype', () => {
      expect(tensor([[[1], [2]], [[3], [4]]]).shape).toEqual([2, 2, 1]);
      expect(tensor([[true], [false]]).dtype).toBe('bool');
      expect(tensor([]).shape).toEqual([0]);
      expect(tensor([[], [], []]).shape).toEqual([3, 0]);
      expect(tensor(new Int32Array([1, 2])).dtype).toBe('int32');
      expect(tensor(new Float64Array(3)).dtype).toBe('float64');
    });

    it('a ragged array throws ValueError naming the element path', () => {
      expect(() => tensor([[1, 2], [3]])).toThrow(ValueError);
      expect(() => tensor([[1, 2], [3]])).toThrow(/tensor: ragged nested array: element \[1\] has length 1, expected an array of length 2/);
      expect(() => tensor([[[1, 2], [3, 4]], [[5, 6], [7]]])).toThrow(/element \[1\]\[1\] has length 1/);
      expect(() => tensor([[1, 2], 3] as never)).toThrow(/element \[1\] has no array/);
      expect(() => tensor([1, [2, 3]] as never)).toThrow(/element \[1\] is an array, but \[2\] expects a value there/);
      expect(() => add([[1], [2, 3]], 1)).toThrow(/add \(argument a\): ragged nested array/);
    });

    it('mixed or invalid element types throw ValueError naming the element', () => {
      expect(() => tensor([1, true] as never)).toThrow(/tensor: element \[1\] is a boolean, but earlier elements are numbers/);
      expect(() => tensor([[true, 1]] as never)).toThrow(/element \[0\]\[1\] is a number, but earlier elements are booleans/);
      expect(() => tensor([1, '2'] as never)).toThrow(/element \[1\] is string; expected numbers or booleans/);
      expect(() => tensor([undefined] as never)).toThrow(/element \[0\] is undefined/);
      expect(() => tensor({} as never)).toThrow(/tensor: cannot make a tensor from object/);
      expect(() => add(undefined as never, 1)).toThrow(ValueError);
    });
  });

  // ---- variables -------------------------------------------------------------------------

  describe('variables', () => {
    it('assign checks shape and dtype; assignAdd and assignSub update in place', () => {
      const w = variable(tensor([[1, 2], [3, 4]]), { name: 'w' });
      expect(isVariable(w)).toBe(true);
      expect(isVariable(tensor([1]))).toBe(false);
      expect(w.isVariable).toBe(true);
      expect(w.trainable).toBe(true);
      expect(() => w.assign(zeros([4]))).toThrow(ShapeError);
      expect(() => w.assign(zeros([4]))).toThrow("assign: variable 'w' has shape [2,2], the value has [4]");
      expect(() => w.assign(zeros([2, 2], 'float64'))).toThrow(DTypeError);
      expect(() => w.assign(zeros([2, 2], 'float64'))).toThrow("assign: variable 'w' has dtype float32, the value has float64");
      expectNoLeak(() => expect(() => w.assign([1, 2, 3])).toThrow(ShapeError));
      const gone = tensor([[5, 6], [7, 8]]);
      gone.dispose();
      expect(() => w.assign(gone)).toThrow(DisposedError);
      expect(() => w.assign(gone)).toThrow("assign: the value for variable 'w' has been disposed");
      expect(vals(w)).toEqual([1, 2, 3, 4]);
      expect(w.assignAdd(1)).toBe(w);
      expect(vals(w)).toEqual([2, 3, 4, 5]);
      w.assignSub(tensor([[1, 1], [2, 2]]));
      expect(vals(w)).toEqual([1, 2, 2, 3]);
      expectNoLeak(() => {
        w.assignAdd(0.5);
        w.assignSub(0.5);
      });
      w.assign([[0, 0], [0, 0]]);
      expect(vals(w)).toEqual([0, 0, 0, 0]);
      w.dispose();
      expect(() => w.assign(zeros([2, 2]))).toThrow(DisposedError);
    });

    it('identity, not name: two variables with the same name are distinct', () => {
      const a = variable(1, { name: 'same' });
      const b = variable(1, { name: 'same' });
      expect(a).not.toBe(b);
      expect(a.name).toBe(b.name);
      a.assign(10);
      expect(+a).toBe(10);
      expect(+b).toBe(1);
      const c = new Variable([1, 2]);
      expect(c.name).toBe('Variable');
      dispose([a, b, c]);
    });

    it('assignment does not change tensors taken from the variable before', () => {
      const v = variable([1, 2]);
      const doubled = v.mul(2);
      const snapshot = retain(v);
      v.assign([5, 6]);
      expect(vals(doubled)).toEqual([2, 4]);
      expect(vals(snapshot)).toEqual([1, 2]);
      expect(vals(v)).toEqual([5, 6]);
      dispose([v, doubled, snapshot]);
    });

    it('dtype option, and int32 counters', () => {
      const step = variable(0, { dtype: 'int32', trainable: false, name: 'global_step' });
      step.assignAdd(1);
      step.assignAdd(1);
      expect(step.dtype).toBe('int32');
      expect(step.item()).toBe(2);
      expect(step.trainable).toBe(false);
      expect(() => step.assignAdd(0.5)).toThrow(DTypeError);
      const d = variable([0.1], { dtype: 'float64' });
      expect(d.dataSync()[0]).toBe(0.1);
      dispose([step, d]);
    });
  });

  describe('getVariable', () => {
    it('a value initializer: getVariable("w", {initializer: 3}) is a float32 scalar 3', () => {
      const w = getVariable('w', { initializer: 3 });
      expect(w).toBeInstanceOf(Variable);
      expect(w.name).toBe('w');
      expect(w.shape).toEqual([]);
      expect(w.dtype).toBe('float32');
      expect(w.item()).toBe(3);
      const v = getVariable('v', { initializer: [[1, 2]], dtype: 'float64' });
      expect(v.dtype).toBe('float64');
      expect(v.arraySync()).toEqual([[1, 2]]);
      const t = tensor([1, 2], [2], 'int32');
      const i = getVariable('i', { initializer: t });
      expect(i.dtype).toBe('int32');
      expect(t.isDisposed).toBe(false);
      dispose([w, v, t, i]);
    });

    it('an initializer object needs a shape', () => {
      expect(() => getVariable('k', { initializer: zerosInitializer() })).toThrow(ValueError);
      expect(() => getVariable('k', { initializer: zerosInitializer() })).toThrow(
        "getVariable('k'): a shape is required when the initializer is an initializer object",
      );
      expect(() => getVariable('k')).toThrow(/shape is required/); // the default is Glorot uniform
      expect(() => getVariable('k', { initializer: [1, 2], shape: [3] })).toThrow(ShapeError);
      const k = getVariable('conv_w0', { shape: [5, 5, 3, 20], initializer: truncatedNormalInitializer() });
      expect(k.shape).toEqual([5, 5, 3, 20]);
      expect(k.dtype).toBe('float32');
      expect(k.trainable).toBe(true);
      const b = getVariable('b', { shape: [4], initializer: constantInitializer(0.1), trainable: false });
      expect(vals(b)).toEqual(new Array(4).fill(Math.fround(0.1)));
      expect(b.trainable).toBe(false);
      dispose([k, b]);
    });
  });

  // ---- initializers ----------------------------------------------------------------------

  describe('initializer statistics', () => {
    const sample = (init: Initializer, shape: number[]): number[] => {
      const t = init.create(shape, 'float32');
      const v = vals(t);
      t.dispose();
      return v;
    };

    it('constant initializers', () => {
      expect(sample(zerosInitializer(), [3])).toEqual([0, 0, 0]);
      expect(sample(onesInitializer(), [2])).toEqual([1, 1]);
      expect(sample(constantInitializer(-4), [2])).toEqual([-4, -4]);
      expect(zerosInitializer().isInitializer).toBe(true);
      expect(glorotUniformInitializer().name).toBe('glorotUniform');
    });

    it('glorotUniform: uniform within ±sqrt(6 / (fanIn + fanOut))', () => {
      // dense [200, 300]: fanIn 200, fanOut 300
      const v = sample(glorotUniformInitializer({ seed: 1 }), [200, 300]);
      const limit = Math.sqrt(6 / 500);
      const s = stats(v);
      expect(s.max).toBeLessThanOrEqual(limit);
      expect(s.min).toBeGreaterThanOrEqual(-limit);
      expect(s.max).toBeGreaterThan(limit * 0.999); // the bound is reached, not a smaller one
      expect(s.min).toBeLessThan(-limit * 0.999);
      expect(Math.abs(s.mean)).toBeLessThan(limit * 0.01);
      expect(Math.abs(s.std / (limit / Math.sqrt(3)) - 1)).toBeLessThan(0.01);
      // conv [3, 3, 16, 32]: receptive field 9, fanIn 144, fanOut 288
      const c = stats(sample(glorotUniformInitializer({ seed: 2 }), [3, 3, 16, 32]));
      const cl = Math.sqrt(6 / (144 + 288));
      expect(c.max).toBeLessThanOrEqual(cl);
      expect(c.max).toBeGreaterThan(cl * 0.99);
      expect(Math.abs(c.std / (cl / Math.sqrt(3)) - 1)).toBeLessThan(0.03);
    });

    it('heNormal: standard deviation sqrt(2 / fanIn), truncated at two of its own stddevs', () => {
      const v = sample(heNormalInitializer({ seed: 3 }), [3, 3, 64, 128]); // fanIn 576
      const target = Math.sqrt(2 / 576);
      const s = stats(v);
      expect(Math.abs(s.std / target - 1)).toBeLessThan(0.01);
      expect(Math.abs(s.mean)).toBeLessThan(target * 0.01);
      const bound = (2 * target) / 0.8796256610342398;
      expect(s.max).toBeLessThanOrEqual(bound * (1 + 1e-6));
      expect(s.min).toBeGreaterThanOrEqual(-bound * (1 + 1e-6));
      expect(s.max).toBeGreaterThan(bound * 0.99);
    });

    it('truncatedNormal never goes beyond two standard deviations', () => {
      const v = sample(truncatedNormalInitializer({ mean: 0.5, stddev: 0.1, seed: 4 }), [100000]);
      const s = stats(v);
      for (const x of v) {
        if (Math.abs(x - 0.5) > 0.2 * (1 + 1e-6)) throw new Error(`truncatedNormal sample ${x} beyond 2 stddevs`);
      }
      expect(s.max).toBeGreaterThan(0.5 + 0.2 * 0.99);
      expect(Math.abs(s.mean - 0.5)).toBeLessThan(0.0015); // standard error ≈ 0.0003
      expect(Math.abs(s.std / (0.1 * 0.8796) - 1)).toBeLessThan(0.01);
      // the default is mean 0, stddev 1
      const d = stats(sample(truncatedNormalInitializer({ seed: 5 }), [50000]));
      expect(d.max).toBeLessThanOrEqual(2);
      expect(d.min).toBeGreaterThanOrEqual(-2);
      expect(d.std).toBeCloseTo(0.8796, 2);
    });

    it('randomNormal and randomUniform initializers', () => {
      const n = stats(sample(randomNormalInitializer({ mean: -1, stddev: 3, seed: 6 }), [100000]));
      expect(n.mean).toBeCloseTo(-1, 1);
      expect(Math.abs(n.std / 3 - 1)).toBeLessThan(0.01);
      expect(n.max).toBeGreaterThan(-1 + 3 * 3); // not truncated
      const u = stats(sample(randomUniformInitializer({ minval: 2, maxval: 4, seed: 7 }), [100000]));
      expect(u.min).toBeGreaterThanOrEqual(2);
      expect(u.max).toBeLessThan(4);
      expect(Math.abs(u.mean - 3)).toBeLessThan(0.01); // standard error ≈ 0.002
      expect(Math.abs(u.std / (2 / Math.sqrt(12)) - 1)).toBeLessThan(0.01);
    });

    it('a seeded initializer repeats its numbers; an unseeded one follows setRandomSeed', () => {
      expect(sample(glorotUniformInitializer({ seed: 9 }), [4, 4])).toEqual(sample(glorotUniformInitializer({ seed: 9 }), [4, 4]));
      const init = heNormalInitializer();
      setRandomSeed(5);
      const a = sample(init, [8, 8]);
      const b = sample(init, [8, 8]);
      setRandomSeed(5);
      const c = sample(init, [8, 8]);
      expect(a).toEqual(c);
      expect(a).not.toEqual(b);
    });
  });

  // ---- random and creation helpers -------------------------------------------------------

  describe('seeded random ops', () => {
    it('the same seed gives the same numbers; setRandomSeed makes unseeded calls reproducible', () => {
      expect(vals(randomNormal([20], { seed: 42 }))).toEqual(vals(randomNormal([20], { seed: 42 })));
      expect(vals(randomNormal([20], { seed: 42 }))).not.toEqual(vals(randomNormal([20], { seed: 43 })));
      expect(vals(truncatedNormal([20], { seed: 1 }))).toEqual(vals(truncatedNormal([20], { seed: 1 })));
      expect(vals(randomUniform([20], { seed: 1, dtype: 'int32', maxval: 100 }))).toEqual(
        vals(randomUniform([20], { seed: 1, dtype: 'int32', maxval: 100 })),
      );
      setRandomSeed(0);
      const a = [vals(randomNormal([5])), vals(randomUniform([5])), vals(truncatedNormal([5]))];
      setRandomSeed(0);
      const b = [vals(randomNormal([5])), vals(randomUniform([5])), vals(truncatedNormal([5]))];
      expect(a).toEqual(b);
      // a seeded call does not disturb the global sequence
      setRandomSeed(0);
      const first = vals(randomNormal([5]));
      randomNormal([5], { seed: 99 });
      const second = vals(randomNormal([5]));
      setRandomSeed(0);
      vals(randomNormal([5]));
      expect(vals(randomNormal([5]))).toEqual(second);
      expect(first).toEqual(a[0]);
      expect(() => setRandomSeed(1.5)).toThrow(ValueError);
    });

    it('the seed example: a [2,28,28,3] normal batch', () => {
      const images = randomNormal([2, 28, 28, 3], { seed: 0 });
      expect(images.shape).toEqual([2, 28, 28, 3]);
      const s = stats(vals(images));
      expect(Math.abs(s.mean)).toBeLessThan(0.05);
      expect(Math.abs(s.std - 1)).toBeLessThan(0.03);
    });
  });

  describe('creation helpers', () => {
    it('range', () => {
      expect(vals(range(4))).toEqual([0, 1, 2, 3]);
      expect(vals(range(1, 2, 0.25))).toEqual([1, 1.25, 1.5, 1.75]);
      expect(vals(range(5, 0, -2, 'int32'))).toEqual([5, 3, 1]);
      expect(range(5, 0, -2, 'int32').dtype).toBe('int32');
      expect(range(3, 3).shape).toEqual([0]);
      expect(() => range(0, 1, 0)).toThrow(ValueError);
    });

    it('linspace', () => {
      expect(vals(linspace(0, 1, 5))).toEqual([0, 0.25, 0.5, 0.75, 1]);
      expect(vals(linspace(1, 0, 3))).toEqual([1, 0.5, 0]);
      expect(vals(linspace(7, 9, 1))).toEqual([7]);
      expect(linspace(0, 1, 0).shape).toEqual([0]);
      expect(() => linspace(0, 1, -2)).toThrow(ValueError);
    });

    it('eye', () => {
      expect(eye(2).arraySync()).toEqual([[1, 0], [0, 1]]);
      expect(eye(2, 3, 'int32').arraySync()).toEqual([[1, 0, 0], [0, 1, 0]]);
      expect(eye(3, 1).arraySync()).toEqual([[1], [0], [0]]);
      expect(() => eye(-1)).toThrow(ValueError);
    });

    it('fill, zerosLike, onesLike', () => {
      expect(fill([2, 2], 7).arraySync()).toEqual([[7, 7], [7, 7]]);
      expect(fill([2], true).dtype).toBe('bool');
      expect(fill([2], 3, 'int32').dtype).toBe('int32');
      const x = tensor([[1, 2, 3]], undefined, 'int32');
      const z = zerosLike(x);
      expect(z.shape).toEqual([1, 3]);
      expect(z.dtype).toBe('int32');
      expect(vals(z)).toEqual([0, 0, 0]);
      const o = onesLike(tensor([true, false]));
      expect(o.dtype).toBe('bool');
      expect(o.arraySync()).toEqual([true, true]);
      expect(() => fill([-1], 0)).toThrow(ValueError);
      expect(() => zerosLike(null as never)).toThrow(ValueError);
    });
  });
});
