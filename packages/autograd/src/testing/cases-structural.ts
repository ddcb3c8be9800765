/**
 * Gradient cases of shape ops, linear algebra, convolution and pooling, and nn composites.
 *
 * @module
 */
import * as c from '@tessera/core';
import type { GradCase, GradInputSpec } from './harness.js';

const S = (shape: readonly number[], min = -2, max = 2, avoid?: readonly number[]): GradInputSpec => ({
  shape,
  min,
  max,
  ...(avoid !== undefined ? { avoid } : {}),
});
const I = (shape: readonly number[], values: readonly number[]): GradInputSpec => ({ shape, dtype: 'int32', values });

/** Shape-op gradient cases. @internal */
export function shapeGradCases(): GradCase[] {
  return [
    { op: 'reshape', name: 'reshape', inputs: [S([2, 3])], f: (x) => c.reshape(x, [3, 2]).square() },
    { op: 'transpose', name: 'transpose', inputs: [S([2, 3, 4])], f: (x) => c.transpose(x, [2, 0, 1]).mul(c.reshape(c.range(24), [4, 2, 3]).cast(x.dtype)) },
    { op: 'expandDims', name: 'expandDims', inputs: [S([2, 3])], f: (x) => c.expandDims(x, 1).square() },
    { op: 'squeeze', name: 'squeeze', inputs: [S([2, 1, 3, 1])], f: (x) => c.squeeze(x).square() },
    { op: 'stridedSlice', name: 'slice (contiguous block)', inputs: [S([3, 4])], f: (x) => c.slice(x, [1, 1], [2, 2]).square() },
    { op: 'stridedSlice', name: 'stridedSlice with strides', inputs: [S([7])], f: (x) => c.stridedSlice(x, [1], [7], [3]).square() },
    {
      op: 'stridedSlice',
      name: 'stridedSlice with a negative stride and a shrunk axis',
      inputs: [S([3, 5])],
      f: (x) => c.stridedSlice(x, [1, -1], [2, 0], [1, -2], { endMask: 2, shrinkAxisMask: 1 }).square(),
    },
    { op: 'stridedSlice', name: 'split and unstack', inputs: [S([4, 2])], f: (x) => c.split(x, [1, 3])[1]!.square().sum().add(c.unstack(x, 1)[0]!.mul(3).sum()) },
    { op: 'concat', name: 'concat', inputs: [S([2, 1]), S([2, 3])], f: (a, b) => c.concat([a!, b!, a!], 1).square() },
    { op: 'concat', name: 'stack', inputs: [S([3]), S([3])], f: (a, b) => c.stack([a!, b!], 1).square() },
    { op: 'pad', name: 'pad', inputs: [S([2, 3])], f: (x) => c.pad(x, [[1, 0], [2, 1]], 0.5).square() },
    { op: 'tile', name: 'tile', inputs: [S([2, 3])], f: (x) => c.tile(x, [2, 3]).square().mul(c.range(36).reshape([4, 9]).cast(x.dtype)) },
    { op: 'gather', name: 'gather on axis 0 with repeated indices', inputs: [S([4, 2]), I([3], [3, 0, 3])], f: (x, i) => c.gather(x, i!, 0).square() },
    { op: 'gather', name: 'gather on axis 1 with 2-D indices', inputs: [S([2, 4, 3]), I([2, 2], [1, 3, 1, 0])], f: (x, i) => c.gather(x, i!, 1).square() },
    {
      op: 'unsortedSegmentSum',
      name: 'unsortedSegmentSum with a dropped id',
      inputs: [S([5, 2]), I([5], [1, 0, 1, 7, 2])],
      f: (x, i) => c.unsortedSegmentSum(x, i!, 3).square(),
    },
    { op: 'broadcastTo', name: 'broadcastTo', inputs: [S([3, 1])], f: (x) => c.broadcastTo(x, [2, 3, 4]).square().mul(c.range(24).reshape([2, 3, 4]).cast(x.dtype)) },
    { op: 'reverse', name: 'reverse', inputs: [S([2, 3])], f: (x) => c.reverse(x, 1).mul(c.range(6).reshape([2, 3]).cast(x.dtype)).square() },
  ];
}

/** Linear algebra gradient cases. @internal */
export function linalgGradCases(): GradCase[] {
  const cases: GradCase[] = [];
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      cases.push({
        op: 'matmul',
        name: `matmul${tA ? ' transposeA' : ''}${tB ? ' transposeB' : ''}`,
        inputs: [S(tA ? [3, 2] : [2, 3]), S(tB ? [4, 3] : [3, 4])],
        f: (a, b) => c.matmul(a!, b!, { transposeA: tA, transposeB: tB }).square(),
      });
    }
  }
  cases.push(
    { op: 'matmul', name: 'matmul with broadcast batch dims', inputs: [S([2, 1, 2, 3]), S([3, 3, 2])], f: (a, b) => c.matmul(a!, b!).square() },
    { op: 'dot', name: 'dot of vectors', inputs: [S([3]), S([3])], f: (a, b) => c.dot(a!, b!).square() },
    { op: 'dot', name: 'dot matrix-vector', inputs: [S([2, 3]), S([3])], f: (a, b) => c.dot(a!, b!).square() },
    { op: 'dot', name: 'dot vector-matrix', inputs: [S([2]), S([2, 3])], f: (a, b) => c.dot(a!, b!).square() },
    { op: 'dot', name: 'dot matrix-matrix', inputs: [S([2, 3]), S([3, 2])], f: (a, b) => c.dot(a!, b!).square() },
    { op: 'outerProduct', name: 'outerProduct', inputs: [S([2]), S([3])], f: (a, b) => c.outerProduct(a!, b!).square() },
  );
  const acts = ['tanh', 'sigmoid', 'linear', 'relu'] as const;
  let k = 0;
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      const activation = acts[k++ % acts.length]!;
      cases.push({
        op: 'fusedMatmul',
        name: `fusedMatmul${tA ? ' transposeA' : ''}${tB ? ' transposeB' : ''} with bias [N] and ${activation}`,
        inputs: [S(tA ? [3, 2] : [2, 3]), S(tB ? [4, 3] : [3, 4]), S([4])],
        f: (a, b, bias) => c.fusedMatmul(a!, b!, { transposeA: tA, transposeB: tB, bias: bias!, activation }).square(),
      });
    }
  }
  cases.push(
    {
      op: 'fusedMatmul',
      name: 'fusedMatmul with broadcast batch dims, bias [B, 1, N] and sigmoid',
      inputs: [S([2, 1, 2, 3]), S([3, 3, 2]), S([3, 1, 2])],
      f: (a, b, bias) => c.fusedMatmul(a!, b!, { bias: bias!, activation: 'sigmoid' }).square(),
    },
    {
      op: 'fusedMatmul',
      name: 'fusedMatmul with bias [M, 1] and relu',
      inputs: [S([3, 2]), S([2, 4]), S([3, 1])],
      f: (a, b, bias) => c.fusedMatmul(a!, b!, { bias: bias!, activation: 'relu' }).square(),
    },
    { op: 'fusedMatmul', name: 'fusedMatmul without bias, tanh', inputs: [S([2, 3]), S([3, 2])], f: (a, b) => c.fusedMatmul(a!, b!, { activation: 'tanh' }).square() },
  );
  return cases;
}

/** Convolution and pooling gradient cases. @internal */
export function convGradCases(): GradCase[] {
  return [
    { op: 'conv2d', name: 'conv2d VALID stride 1', inputs: [S([1, 4, 4, 2]), S([2, 2, 2, 3])], f: (x, w) => c.conv2d(x, w!).square() },
    {
      op: 'conv2d',
      name: 'conv2d SAME stride 2',
      inputs: [S([2, 5, 5, 1]), S([3, 3, 1, 2])],
      f: (x, w) => c.conv2d(x, w!, { strides: 2, padding: 'SAME' }).square(),
    },
    {
      op: 'conv2d',
      name: 'conv2d with dilations and explicit padding',
      inputs: [S([1, 5, 5, 1]), S([2, 2, 1, 1])],
      f: (x, w) => c.conv2d(x, w!, { dilations: 2, padding: [[1, 0], [0, 1]] }).square(),
    },
    {
      op: 'conv2dBackpropInput',
      name: 'conv2dBackpropInput',
      inputs: [S([1, 2, 2, 2]), S([2, 2, 1, 2])],
      f: (dy, w) => c.conv2dBackpropInput(dy, w!, [1, 4, 4, 1], { strides: 2, padding: 'SAME' }).square(),
    },
    {
      op: 'conv2dBackpropFilter',
      name: 'conv2dBackpropFilter',
      inputs: [S([1, 4, 4, 1]), S([1, 3, 3, 2])],
      f: (x, dy) => c.conv2dBackpropFilter(x, dy!, [2, 2, 1, 2]).square(),
    },
    {
      op: 'conv2dTranspose',
      name: 'conv2dTranspose',
      inputs: [S([1, 2, 2, 2]), S([2, 2, 1, 2])],
      f: (x, w) => c.conv2dTranspose(x, w!, [1, 4, 4, 1], { strides: 2 }).square(),
    },
    {
      op: 'depthwiseConv2d',
      name: 'depthwiseConv2d',
      inputs: [S([1, 4, 4, 2]), S([2, 2, 2, 2])],
      f: (x, w) => c.depthwiseConv2d(x, w!, { padding: 'SAME' }).square(),
    },
    {
      op: 'depthwiseConv2dBackpropInput',
      name: 'depthwiseConv2dBackpropInput',
      inputs: [S([1, 3, 3, 2]), S([2, 2, 1, 2])],
      f: (dy, w) => c.depthwiseConv2dBackpropInput(dy, w!, [1, 4, 4, 1]).square(),
    },
    {
      op: 'depthwiseConv2dBackpropFilter',
      name: 'depthwiseConv2dBackpropFilter',
      inputs: [S([1, 4, 4, 1]), S([1, 3, 3, 2])],
      f: (x, dy) => c.depthwiseConv2dBackpropFilter(x, dy!, [2, 2, 1, 2]).square(),
    },
    {
      op: 'maxPool',
      name: 'maxPool (distinct values)',
      inputs: [{ shape: [1, 4, 4, 1], values: [5, 1, 9, 2, 3, 12, 4, 6, 15, 0, 7, 13, 8, 11, 10, 14].map((v) => v / 4) }],
      f: (x) => c.maxPool(x, { filterSize: 2, strides: 2 }).square(),
    },
    {
      op: 'maxPoolGrad',
      name: 'maxPoolGrad (in dy; zero in x)',
      inputs: [S([1, 2, 2, 1]), { shape: [1, 3, 3, 1], values: [5, 1, 9, 2, 3, 12, 4, 6, 0].map((v) => v / 4) }],
      f: (dy, x) => c.maxPoolGrad(dy, x!, { filterSize: 2, strides: 1 }).square(),
    },
    {
      op: 'maxPool',
      name: 'maxPool, second order of a linear use',
      inputs: [{ shape: [1, 3, 3, 1], values: [5, 1, 9, 2, 3, 12, 4, 6, 0].map((v) => v / 4) }],
      f: (x) => c.maxPool(x, { filterSize: 2, strides: 1, padding: 'SAME' }).mul(x),
    },
    { op: 'avgPool', name: 'avgPool SAME', inputs: [S([1, 5, 5, 2])], f: (x) => c.avgPool(x, { filterSize: 3, strides: 2, padding: 'SAME' }).square() },
    {
      op: 'avgPoolGrad',
      name: 'avgPoolGrad',
      inputs: [S([1, 2, 2, 1])],
      f: (dy) => c.avgPoolGrad(dy, [1, 4, 4, 1], { filterSize: 2 }).square(),
    },
  ];
}

/** nn composite gradient cases. @internal */
export function nnGradCases(): GradCase[] {
  const labels = { shape: [2, 3], min: 0, max: 1 };
  return [
    { op: 'softmax', name: 'softmax', inputs: [S([2, 3])], f: (x) => c.softmax(x).mul(c.range(6).reshape([2, 3]).cast(x.dtype)) },
    { op: 'softmax', name: 'softmax on axis 0', inputs: [S([3, 2])], f: (x) => c.softmax(x, 0).square() },
    { op: 'logSoftmax', name: 'logSoftmax', inputs: [S([2, 3])], f: (x) => c.logSoftmax(x).square() },
    { op: 'softmaxCrossEntropy', name: 'softmaxCrossEntropy (mean)', inputs: [labels, S([2, 3])], f: (l, x) => c.softmaxCrossEntropy(l, x!) },
    { op: 'softmaxCrossEntropy', name: 'softmaxCrossEntropy (none, axis 0)', inputs: [{ shape: [3, 2], min: 0, max: 1 }, S([3, 2])], f: (l, x) => c.softmaxCrossEntropy(l, x!, { axis: 0, reduction: 'none' }).square() },
    { op: 'sigmoidCrossEntropy', name: 'sigmoidCrossEntropy (sum)', inputs: [labels, S([2, 3])], f: (l, x) => c.sigmoidCrossEntropy(l, x!, { reduction: 'sum' }) },
    { op: 'sigmoidCrossEntropy', name: 'sigmoidCrossEntropy (none)', inputs: [labels, S([2, 3])], f: (l, x) => c.sigmoidCrossEntropy(l, x!, { reduction: 'none' }).square() },
    { op: 'meanSquaredError', name: 'meanSquaredError (mean)', inputs: [S([2, 3]), S([2, 3])], f: (l, p) => c.meanSquaredError(l, p!) },
    {
      op: 'moments',
      name: 'moments over axis 0',
      inputs: [S([4, 3])],
      f: (x) => {
        const { mean, variance } = c.moments(x, 0);
        return mean.mul(c.tensor([1, -2, 0.5], [3], x.dtype)).add(variance.square());
      },
    },
    {
      op: 'moments',
      name: 'moments with keepDims (variance only)',
      inputs: [S([2, 3])],
      f: (x) => c.moments(x, [1], true).variance.mul(x),
    },
    {
      op: 'batchNorm',
      name: 'batchNorm with offset and scale',
      inputs: [S([2, 3]), S([3]), S([3], 0.3, 2), S([3]), S([3])],
      f: (x, m, v, o, s) => c.batchNorm(x, m!, v!, o!, s!, 1e-3).square(),
    },
    {
      op: 'batchNorm',
      name: 'batchNorm without offset and scale',
      inputs: [S([2, 3]), S([1, 3]), S([1, 3], 0.3, 2)],
      f: (x, m, v) => c.batchNorm(x, m!, v!).square(),
    },
    {
      op: 'dropout',
      name: 'dropout (through its composition)',
      inputs: [S([6])],
      f: (x) => c.dropout(x, 0.5, { seed: 3 }).square(),
    },
  ];
}
