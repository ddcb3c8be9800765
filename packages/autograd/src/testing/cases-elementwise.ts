/**
 * Gradient cases of elementwise ops and reductions.
 *
 * @module
 */
import * as c from '@tessera/core';
import type { Tensor } from '@tessera/core';
import type { GradCase } from './harness.js';

const V = [3, 4];
const S = (shape: readonly number[], min = -2, max = 2, avoid?: readonly number[]) => ({
  shape,
  min,
  max,
  ...(avoid !== undefined ? { avoid } : {}),
});

function unary(op: string, f: (x: Tensor) => Tensor, min = -2, max = 2, avoid?: readonly number[], secondOrder = true): GradCase {
  return { op, name: op, inputs: [S(V, min, max, avoid)], f, secondOrder };
}

/** Elementwise gradient cases. @internal */
export function elementwiseGradCases(): GradCase[] {
  return [
    unary('identity', (x) => c.identity(x).mul(x)),
    unary('neg', (x) => c.neg(x).mul(x)),
    unary('abs', (x) => c.abs(x).mul(x), -2, 2, [0]),
    unary('sign', (x) => c.sign(x).mul(x), -2, 2, [0]),
    unary('floor', (x) => c.floor(x).add(x.square()), -2, 2, [-2, -1, 0, 1, 2]),
    unary('ceil', (x) => c.ceil(x).add(x.square()), -2, 2, [-2, -1, 0, 1, 2]),
    unary('round', (x) => c.round(x).add(x.square()), -2, 2, [-1.5, -0.5, 0.5, 1.5]),
    unary('exp', (x) => c.exp(x)),
    unary('expm1', (x) => c.expm1(x)),
    unary('log', (x) => c.log(x), 0.2, 3),
    unary('log1p', (x) => c.log1p(x), -0.6, 3),
    unary('sqrt', (x) => c.sqrt(x), 0.2, 3),
    unary('sin', (x) => c.sin(x), -3, 3),
    unary('cos', (x) => c.cos(x), -3, 3),
    unary('tan', (x) => c.tan(x), -1.2, 1.2),
    unary('tanh', (x) => c.tanh(x), -3, 3),
    unary('sigmoid', (x) => c.sigmoid(x), -4, 4),
    unary('square', (x) => c.square(x)),
    unary('reciprocal', (x) => c.reciprocal(x), 0.3, 2),
    { op: 'reciprocal', name: 'reciprocal of negatives', inputs: [S(V, -2, -0.3)], f: (x) => c.reciprocal(x) },
    unary('rsqrt', (x) => c.rsqrt(x), 0.3, 2),
    unary('relu', (x) => c.relu(x).mul(x), -2, 2, [0]),
    unary('relu6', (x) => c.relu6(x).mul(x), -2, 8, [0, 6]),
    { op: 'elu', name: 'elu (alpha 1)', inputs: [S(V, -2, 2, [0])], f: (x) => c.elu(x) },
    { op: 'elu', name: 'elu (alpha 0.5)', inputs: [S(V, -2, 2, [0])], f: (x) => c.elu(x, 0.5) },
    unary('selu', (x) => c.selu(x), -2, 2, [0]),
    { op: 'leakyRelu', name: 'leakyRelu (alpha 0.1)', inputs: [S(V, -2, 2, [0])], f: (x) => c.leakyRelu(x, 0.1).mul(x) },
    unary('softplus', (x) => c.softplus(x), -4, 4),
    unary('zerosLike', (x) => c.zerosLike(x).add(x.square())),
    unary('onesLike', (x) => c.onesLike(x).mul(x.square())),
    {
      op: 'cast',
      name: 'cast float32 <-> float64 passes gradients through',
      inputs: [S(V)],
      f: (x) => c.cast(x, x.dtype === 'float64' ? 'float32' : 'float64').square(),
      eps: 1e-2,
      rtol: [1e-3, 3e-2],
      secondOrder: false,
      dtypes: ['float64'],
    },
    // binary, with broadcasting
    { op: 'add', name: 'add with broadcasting', inputs: [S([2, 3]), S([3])], f: (a, b) => c.add(a, b).square() },
    { op: 'add', name: 'add of a size-1 dim and a scalar', inputs: [S([2, 1]), S([])], f: (a, b) => c.add(a, b).mul(a) },
    { op: 'sub', name: 'sub with broadcasting', inputs: [S([2, 1]), S([1, 3])], f: (a, b) => c.sub(a, b).square() },
    { op: 'mul', name: 'mul with broadcasting', inputs: [S([2, 3]), S([2, 1])], f: (a, b) => c.mul(a, b) },
    { op: 'mul', name: 'mul of a tensor by itself', inputs: [S([4])], f: (a) => c.mul(a, a).mul(a) },
    { op: 'div', name: 'div with broadcasting', inputs: [S([2, 3]), S([3], 0.5, 2)], f: (a, b) => c.div(a, b) },
    { op: 'pow', name: 'pow with a positive base', inputs: [S([2, 3], 0.3, 2), S([3], -1.5, 2)], f: (a, b) => c.pow(a, b) },
    { op: 'pow', name: 'pow with a negative base and a fixed integer exponent', inputs: [S([4], -2, -0.3)], f: (a) => c.pow(a, 3) },
    {
      op: 'maximum',
      name: 'maximum with broadcasting',
      inputs: [S([2, 3], -2, 2, [-1, 0.2, 1.1]), { shape: [3], values: [-1, 0.2, 1.1] }],
      f: (a, b) => c.maximum(a, b).mul(b),
    },
    {
      op: 'minimum',
      name: 'minimum with broadcasting',
      inputs: [S([2, 3], -2, 2, [-1, 0.2, 1.1]), { shape: [3], values: [-1, 0.2, 1.1] }],
      f: (a, b) => c.minimum(a, b).mul(b),
    },
    { op: 'atan2', name: 'atan2 with broadcasting', inputs: [S([2, 3]), S([2, 1], 0.3, 2)], f: (a, b) => c.atan2(a, b) },
    { op: 'squaredDifference', name: 'squaredDifference with broadcasting', inputs: [S([2, 3]), S([3])], f: (a, b) => c.squaredDifference(a, b) },
    { op: 'mod', name: 'mod', inputs: [S([4], 0.1, 5), S([4], 0.7, 1.9)], f: (a, b) => c.mod(a, b).mul(a), secondOrder: false },
    { op: 'floorDiv', name: 'floorDiv (zero gradient)', inputs: [S([4], 0.1, 5), S([4], 0.7, 1.9)], f: (a, b) => c.floorDiv(a, b).add(a.mul(b)), secondOrder: false },
    {
      op: 'where',
      name: 'where with a broadcast condition',
      inputs: [{ shape: [2, 1], dtype: 'bool', values: [1, 0] }, S([2, 3]), S([3])],
      f: (cond, a, b) => c.where(cond, a, b).square(),
    },
    {
      op: 'clipByValue',
      name: 'clipByValue with tensor bounds',
      inputs: [S([2, 3], -3, 3, [-1, 1]), { shape: [], values: [-1] }, { shape: [3], values: [1, 1, 1] }],
      f: (x, lo, hi) => c.clipByValue(x, lo!, hi!).mul(x),
    },
  ];
}

/** Reduction gradient cases. @internal */
export function reduceGradCases(): GradCase[] {
  const X = S([2, 3, 2]);
  return [
    { op: 'sum', name: 'sum over all axes', inputs: [X], f: (x) => c.sum(x.square()) },
    { op: 'sum', name: 'sum over axis 1', inputs: [X], f: (x) => c.sum(x, 1).square() },
    { op: 'sum', name: 'sum over axes [0, 2] with keepDims', inputs: [X], f: (x) => c.sum(x, [0, 2], true).square().mul(x) },
    { op: 'mean', name: 'mean over all axes', inputs: [X], f: (x) => c.mean(x.square()) },
    { op: 'mean', name: 'mean over axis -1', inputs: [X], f: (x) => c.mean(x, -1).square() },
    { op: 'mean', name: 'mean over axes [0, 1] with keepDims', inputs: [X], f: (x) => c.mean(x, [0, 1], true).mul(x) },
    { op: 'max', name: 'max over axis 1', inputs: [X], f: (x) => c.max(x, 1).square() },
    { op: 'max', name: 'max over all axes', inputs: [X], f: (x) => c.max(x).mul(c.sum(x)) },
    { op: 'min', name: 'min over axis 0 with keepDims', inputs: [X], f: (x) => c.min(x, 0, true).mul(x) },
    { op: 'prod', name: 'prod over axis 1', inputs: [S([2, 3, 2], 0.3, 2)], f: (x) => c.prod(x, 1) },
    { op: 'prod', name: 'prod over all axes, mixed signs', inputs: [S([5], -2, 2, [0])], f: (x) => c.prod(x) },
    {
      op: 'prod',
      name: 'prod with one zero in a row',
      inputs: [{ shape: [2, 3], values: [0, 1.5, -2, 0.7, 1.2, -0.4] }],
      f: (x) => c.prod(x, 1),
    },
    {
      op: 'prod',
      name: 'prod with two zeros in a row',
      inputs: [{ shape: [2, 3], values: [0, 1.5, 0, 0.7, 0, -0.4] }],
      f: (x) => c.prod(x, 1, true).mul(x),
    },
    { op: 'prod', name: 'prod over a large group (70 elements)', inputs: [S([70], 0.8, 1.2)], f: (x) => c.prod(x), secondOrder: false },
    {
      op: 'prod',
      name: 'prod over a large group with one zero',
      inputs: [{ shape: [2, 70], values: Array.from({ length: 140 }, (_, i) => (i === 5 ? 0 : 0.9 + ((i * 37) % 20) / 100)) }],
      f: (x) => c.prod(x, 1),
      secondOrder: false,
    },
    { op: 'logSumExp', name: 'logSumExp over axis 1', inputs: [X], f: (x) => c.logSumExp(x, 1) },
    { op: 'logSumExp', name: 'logSumExp over all axes', inputs: [S([4], -30, 30)], f: (x) => c.logSumExp(x) },
    { op: 'cumsum', name: 'cumsum', inputs: [S([2, 4])], f: (x) => c.cumsum(x, 1).square() },
    {
      op: 'cumsum',
      name: 'cumsum exclusive and reverse',
      inputs: [S([3, 2])],
      f: (x) => c.cumsum(x, 0, { exclusive: true, reverse: true }).square(),
    },
  ];
}
