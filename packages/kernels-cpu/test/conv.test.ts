import { beforeAll, describe, expect, it } from 'vitest';
import {
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  conv2dGeometry,
  getOp,
  getVariable,
  maxPool,
  memory,
  pool2dGeometry,
  randomNormal,
  setBackend,
  ShapeError,
  tidy,
  truncatedNormalInitializer,
  ValueError,
  type Attrs,
  type TensorSpec,
} from '@tessera/core';
import { createCpuBackend } from '../src/index.js';

beforeAll(async () => {
  setBackend(await createCpuBackend());
});

describe('conv2d seed example', () => {
  it('conv2d(randomNormal([2,28,28,3]), getVariable(conv_w0 [5,5,3,20]), strides [1,2,2,1], VALID) is [2,12,12,20]', () => {
    const images = randomNormal([2, 28, 28, 3]);
    const filter = getVariable('conv_w0', { shape: [5, 5, 3, 20], initializer: truncatedNormalInitializer() });
    const conv = conv2d(images, filter, { strides: [1, 2, 2, 1], padding: 'VALID' });
    expect(conv.shape).toEqual([2, 12, 12, 20]);
    expect(conv.dtype).toBe('float32');

    // spot-check values against the definition, in float64
    const x = images.dataSync();
    const w = filter.dataSync();
    const y = conv.dataSync();
    for (const [b, i, j, o] of [
      [0, 0, 0, 0],
      [1, 11, 11, 19],
      [0, 5, 7, 3],
      [1, 3, 0, 12],
    ] as const) {
      let s = 0;
      for (let fh = 0; fh < 5; fh++)
        for (let fw = 0; fw < 5; fw++)
          for (let c = 0; c < 3; c++) s += x[((b * 28 + 2 * i + fh) * 28 + 2 * j + fw) * 3 + c]! * w[((fh * 5 + fw) * 3 + c) * 20 + o]!;
      expect(y[((b * 12 + i) * 12 + j) * 20 + o]).toBeCloseTo(s, 4);
    }
  });
});

describe('conv2dGeometry and pool2dGeometry follow TensorFlow', () => {
  it('VALID: out = ceil((in - (f - 1) * d) / s), no padding', () => {
    const g = conv2dGeometry([2, 28, 28, 3], [5, 5, 3, 20], { strides: [1, 2, 2, 1], padding: 'VALID' });
    expect(g).toEqual({
      batch: 2,
      inHeight: 28,
      inWidth: 28,
      inChannels: 3,
      outHeight: 12,
      outWidth: 12,
      outChannels: 20,
      filterHeight: 5,
      filterWidth: 5,
      strideHeight: 2,
      strideWidth: 2,
      dilationHeight: 1,
      dilationWidth: 1,
      padTop: 0,
      padBottom: 0,
      padLeft: 0,
      padRight: 0,
    });
    const d = conv2dGeometry([1, 10, 9, 1], [3, 3, 1, 1], { dilations: [3, 2] });
    expect([d.outHeight, d.outWidth]).toEqual([4, 5]); // 10 - 2*3 = 4, 9 - 2*2 = 5
  });

  it('SAME: out = ceil(in / s), the odd padding pixel goes to the bottom / right', () => {
    const a = conv2dGeometry([1, 7, 8, 1], [4, 4, 1, 1], { strides: 2, padding: 'SAME' });
    // height: out 4, total (4-1)*2 + 4 - 7 = 3 -> 1 top, 2 bottom; width: out 4, total 2 -> 1, 1
    expect([a.outHeight, a.padTop, a.padBottom, a.outWidth, a.padLeft, a.padRight]).toEqual([4, 1, 2, 4, 1, 1]);
    const b = conv2dGeometry([1, 5, 5, 1], [1, 1, 1, 1], { strides: 3, padding: 'SAME' });
    // out 2, total max((2-1)*3 + 1 - 5, 0) = 0
    expect([b.outHeight, b.padTop, b.padBottom]).toEqual([2, 0, 0]);
    const c = conv2dGeometry([1, 6, 6, 1], [3, 3, 1, 1], { dilations: 2, padding: 'SAME' });
    // dilated span 5: total 6 - 1 + 5 - 6 = 4 -> 2, 2
    expect([c.outHeight, c.padTop, c.padBottom]).toEqual([6, 2, 2]);
  });

  it('explicit padding in both forms, and depthwise output channels', () => {
    const a = conv2dGeometry([1, 5, 5, 2], [3, 3, 2, 3], { padding: [[1, 0], [2, 1]] });
    const b = conv2dGeometry([1, 5, 5, 2], [3, 3, 2, 3], { padding: [[0, 0], [1, 0], [2, 1], [0, 0]] });
    expect(b).toEqual(a);
    expect([a.outHeight, a.outWidth, a.padTop, a.padBottom, a.padLeft, a.padRight]).toEqual([4, 6, 1, 0, 2, 1]);
    expect(conv2dGeometry([1, 5, 5, 3], [3, 3, 3, 2], { depthwise: true }).outChannels).toBe(6);
  });

  it('pool geometry: strides default to the window', () => {
    const g = pool2dGeometry([1, 5, 5, 2], { filterSize: 2, padding: 'SAME' });
    expect([g.outHeight, g.strideHeight, g.padTop, g.padBottom, g.outChannels]).toEqual([3, 2, 0, 1, 2]);
  });

  it('rejects what the ops reject', () => {
    expect(() => conv2dGeometry([1, 5, 5, 2], [3, 3, 4, 3])).toThrow(ShapeError);
    expect(() => conv2dGeometry([1, 5, 5, 2], [3, 3, 2, 3], { strides: 2, dilations: 2 })).toThrow(ValueError);
    expect(() => pool2dGeometry([1, 5, 5, 2], { filterSize: 2, padding: [[2, 0], [0, 0]] })).toThrow(ValueError);
  });
});

describe('shape rules accept unknown dimensions (graph mode)', () => {
  const f32 = (shape: (number | null)[]): TensorSpec => ({ shape, dtype: 'float32' });
  const infer = (op: string, inputs: TensorSpec[], attrs: Attrs): TensorSpec[] => getOp(op)!.infer(inputs, attrs);
  const attrs = { strides: [2, 2], dilations: [1, 1], padding: 'VALID' };

  it('conv2d with an unknown batch or unknown spatial dims', () => {
    expect(infer('conv2d', [f32([null, 28, 28, 3]), f32([5, 5, 3, 20])], attrs)[0]!.shape).toEqual([null, 12, 12, 20]);
    expect(infer('conv2d', [f32([null, null, 28, null]), f32([5, 5, 3, 20])], attrs)[0]!.shape).toEqual([null, null, 12, 20]);
    expect(() => infer('conv2d', [f32([null, 28, 28, 4]), f32([5, 5, 3, 20])], attrs)).toThrow(
      /conv2d: input has 4 channels but filter expects 3: x is \[\?,28,28,4\], filter is \[5,5,3,20\]/,
    );
  });

  it('pooling and backprop ops', () => {
    const pool = { filterSize: [2, 2], strides: [2, 2], padding: 'SAME' };
    expect(infer('maxPool', [f32([null, 7, 7, 32])], pool)[0]!.shape).toEqual([null, 4, 4, 32]);
    expect(infer('maxPoolGrad', [f32([null, 4, 4, 32]), f32([null, 7, 7, 32])], pool)[0]!.shape).toEqual([null, 7, 7, 32]);
    expect(
      infer('conv2dBackpropFilter', [f32([null, 28, 28, 3]), f32([null, 12, 12, 20])], { ...attrs, filterShape: [5, 5, 3, 20] })[0]!.shape,
    ).toEqual([5, 5, 3, 20]);
    expect(() =>
      infer('conv2dBackpropFilter', [f32([null, 28, 28, 3]), f32([null, 13, 12, 20])], { ...attrs, filterShape: [5, 5, 3, 20] }),
    ).toThrow(ShapeError);
  });
});

describe('CNN-sized gradients', () => {
  it('a MNIST-like layer: both gradients satisfy the adjoint identity and leave no tensors behind', () => {
    const before = memory().numTensors;
    tidy(() => {
      const xs = [4, 14, 14, 32];
      const fs = [5, 5, 32, 64];
      const x = randomNormal(xs, { dtype: 'float64', seed: 1 });
      const f = randomNormal(fs, { dtype: 'float64', seed: 2 });
      const y = conv2d(x, f, { padding: 'SAME' });
      expect(y.shape).toEqual([4, 14, 14, 64]);
      const dy = randomNormal(y.shape, { dtype: 'float64', seed: 3 });
      const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
        let s = 0;
        for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
        return s;
      };
      const lhs = dot(y.dataSync(), dy.dataSync());
      const viaInput = dot(x.dataSync(), conv2dBackpropInput(dy, f, xs, { padding: 'SAME' }).dataSync());
      const viaFilter = dot(f.dataSync(), conv2dBackpropFilter(x, dy, fs, { padding: 'SAME' }).dataSync());
      expect(Math.abs(viaInput - lhs)).toBeLessThan(1e-9 * Math.abs(lhs) + 1e-6);
      expect(Math.abs(viaFilter - lhs)).toBeLessThan(1e-9 * Math.abs(lhs) + 1e-6);
      expect(maxPool(y, { filterSize: 2, padding: 'SAME' }).shape).toEqual([4, 7, 7, 64]);
    });
    expect(memory().numTensors).toBe(before);
  });
});
