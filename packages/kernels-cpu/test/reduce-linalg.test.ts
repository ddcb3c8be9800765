import { beforeAll, describe, expect, it } from 'vitest';
import {
  DTypeError,
  ShapeError,
  ValueError,
  all,
  any,
  argMax,
  cumsum,
  dot,
  getOp,
  listOps,
  logSumExp,
  matmul,
  mean,
  memory,
  outerProduct,
  setBackend,
  sum,
  tensor,
  tidy,
  type TensorSpec,
} from '@tessera/core';
import { createCpuBackend } from '../src/index.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('error messages', () => {
  it('matmul names the function, both shapes and the rule', () => {
    const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tensor(new Array<number>(20).fill(1), [4, 5]);
    expect(() => matmul(a, b)).toThrow(ShapeError);
    expect(message(() => matmul(a, b))).toBe("matmul: inner dimensions differ: a is [2,3], b is [4,5] (a's last must equal b's first)");
    expect(message(() => matmul(tensor([1, 2, 3]), a))).toMatch(/^matmul: a has rank 1 \(shape \[3\]\); .*use dot\(\)/);
    expect(() => matmul(tensor([true, false, true, true], [2, 2]), a)).toThrow(DTypeError);
  });

  it('reductions name the function and the valid axis range', () => {
    const x = tensor([1, 2, 3, 4], [2, 2]);
    expect(message(() => sum(x, 2))).toBe('sum: axis 2 is out of range for a tensor of rank 2 (valid: -2 to 1)');
    expect(message(() => mean(tensor(3), 1))).toBe('mean: axis 1 is out of range for a tensor of rank 0 (valid: 0 or -1)');
    expect(() => argMax(tensor([], [3, 0]), 1)).toThrow(ValueError);
    expect(message(() => argMax(tensor([], [3, 0]), 1))).toMatch(/^argMax: axis 1 of x \(shape \[3,0\]\) is empty/);
    expect(message(() => any(x))).toMatch(/^any: expects a bool tensor, got float32 \(shape \[2,2\]\)/);
    expect(() => all(x)).toThrow(DTypeError);
    expect(message(() => dot(tensor([1, 2, 3]), tensor([1, 2])))).toBe(
      "dot: inner dimensions differ: a is [3], b is [2] (a's last must equal b's first)",
    );
    expect(() => outerProduct(tensor([[1]]), tensor([1]))).toThrow(ShapeError);
  });
});

describe('op definitions', () => {
  it('lists the primitive and composite reductions and linalg ops as designed', () => {
    const kinds = new Map(listOps().map((o) => [o.name, o.kind]));
    for (const p of ['sum', 'prod', 'max', 'min', 'argMax', 'argMin', 'any', 'all', 'cumsum', 'matmul']) {
      expect(kinds.get(p), p).toBe('primitive');
    }
    for (const c of ['mean', 'logSumExp', 'dot', 'outerProduct']) expect(kinds.get(c), c).toBe('composite');
  });

  it('shape rules accept unknown dimensions (graph mode)', () => {
    const f32 = (shape: (number | null)[]): TensorSpec => ({ shape, dtype: 'float32' });
    expect(getOp('matmul')!.infer([f32([null, 5, 3]), f32([3, null])], { transposeA: false, transposeB: false })).toEqual([
      { shape: [null, 5, null], dtype: 'float32' },
    ]);
    expect(getOp('matmul')!.infer([f32([null, 3]), f32([null, 4])], { transposeA: false, transposeB: false })[0]!.shape).toEqual([null, 4]);
    expect(() => getOp('matmul')!.infer([f32([null, 3]), f32([4, null])], { transposeA: false, transposeB: false })).toThrow(ShapeError);
    expect(getOp('sum')!.infer([f32([null, 784])], { axes: [1], keepDims: true })[0]!.shape).toEqual([null, 1]);
    expect(getOp('mean')!.infer([{ shape: [null, 3], dtype: 'int32' }], { axes: [0], keepDims: false })).toEqual([
      { shape: [3], dtype: 'float32' },
    ]);
    expect(getOp('argMax')!.infer([f32([null, 10])], { axis: 1 })).toEqual([{ shape: [null], dtype: 'int32' }]);
    expect(getOp('argMax')!.infer([f32([null, 10])], { axis: 0 })).toEqual([{ shape: [10], dtype: 'int32' }]);
    expect(getOp('dot')!.infer([f32([null, 3]), f32([3])], {})).toEqual([{ shape: [null], dtype: 'float32' }]);
    expect(getOp('logSumExp')!.infer([f32([2, null])], { axes: [1], keepDims: false })[0]!.shape).toEqual([2]);
  });
});

describe('behaviour', () => {
  it('composites leave no tensors behind', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const before = memory().numTensors;
    tidy(() => {
      logSumExp(x, 1).dispose();
      mean(x, 0).dispose();
      dot(x, tensor([1, 1, 1])).dispose();
    });
    expect(memory().numTensors).toBe(before);
  });

  it('tensor methods reach the ops', () => {
    const x = tensor([[1, 5], [3, 2]]);
    expect(Array.from(x.sum(1).dataSync())).toEqual([6, 5]);
    expect(Array.from(x.max(0).dataSync())).toEqual([3, 5]);
    expect(Array.from(x.argMax(1).dataSync())).toEqual([1, 0]);
    expect(Array.from(x.matmul(x).dataSync())).toEqual([16, 15, 9, 19]);
    expect(x.mean().dataSync()[0]).toBe(2.75);
    expect(Array.from(cumsum(x, 1, { reverse: true }).dataSync())).toEqual([6, 5, 5, 2]);
  });

  it('a large matmul with shared b and transposes agrees with a float64 loop', () => {
    // batches share one transposed b: packing happens once and is reused
    const B = 3;
    const M = 37;
    const K = 130;
    const N = 71;
    const av = Array.from({ length: B * M * K }, (_, i) => Math.sin(i) * 2);
    const bv = Array.from({ length: N * K }, (_, i) => Math.cos(i * 0.7));
    const out = matmul(tensor(av, [B, M, K], 'float64'), tensor(bv, [1, N, K], 'float64'), { transposeB: true });
    expect(out.shape).toEqual([B, M, N]);
    const got = out.dataSync();
    let maxErr = 0;
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += av[(b * M + i) * K + k]! * bv[j * K + k]!;
          maxErr = Math.max(maxErr, Math.abs(got[(b * M + i) * N + j]! - s));
        }
      }
    }
    expect(maxErr).toBeLessThan(1e-10);
  });
});
