/**
 * Gradient rules of convolution and pooling, written with the backward ops core provides
 * (which have rules too, so conv gradients can be differentiated again).
 *
 * @module
 */
import {
  argMax,
  greater,
  mul,
  oneHot,
  onesLike,
  range,
  reshape,
  sum,
  tile,
  where,
  zerosLike,
  type Attrs,
  type Tensor,
} from '@tessera/core';
import type { GradientRule } from '../registry.js';
import { knownShape, runNamed, type RuleTable } from './common.js';

function convAttrs(a: Attrs): Attrs {
  return { strides: a['strides'], dilations: a['dilations'] ?? [1, 1], padding: a['padding'] };
}

function poolAttrs(a: Attrs): Attrs {
  return { filterSize: a['filterSize'], strides: a['strides'], padding: a['padding'] };
}

// Shape attributes may hold unknown (null) dims while a graph is built, e.g. the batch of a
// `[null, 28, 28, 1]` placeholder: core's conv ops fill them from their inputs at run time.

/** Rules of a convolution family (`conv2d` or `depthwiseConv2d`) and its two backward ops. */
function convFamily(forward: string, bpInput: string, bpFilter: string): RuleTable {
  // y = conv(x, f)
  const fwd: GradientRule = {
    saveInputs: true,
    grad: ([dy], s) => [
      () =>
        runNamed(bpInput, [dy!, s.input(1)], { ...convAttrs(s.attrs), inputShape: s.inputSpecs[0]!.shape }),
      () =>
        runNamed(bpFilter, [s.input(0), dy!], { ...convAttrs(s.attrs), filterShape: s.inputSpecs[1]!.shape }),
    ],
  };
  // z = bpInput(d, f): linear in d (adjoint of conv in x) and in f
  const bpIn: GradientRule = {
    saveInputs: true,
    grad: ([g], s) => [
      () => runNamed(forward, [g!, s.input(1)], convAttrs(s.attrs)),
      () =>
        runNamed(bpFilter, [g!, s.input(0)], { ...convAttrs(s.attrs), filterShape: s.inputSpecs[1]!.shape }),
    ],
  };
  // z = bpFilter(x, d): linear in x and in d
  const bpF: GradientRule = {
    saveInputs: true,
    grad: ([g], s) => [
      () =>
        runNamed(bpInput, [s.input(1), g!], { ...convAttrs(s.attrs), inputShape: s.inputSpecs[0]!.shape }),
      () => runNamed(forward, [s.input(0), g!], convAttrs(s.attrs)),
    ],
  };
  return [
    [forward, fwd],
    [bpInput, bpIn],
    [bpFilter, bpF],
  ];
}

/** conv2dTranspose(x, f) = conv2dBackpropInput(x, f) with the output shape as input shape. */
const conv2dTransposeRule: GradientRule = {
  saveInputs: true,
  grad: ([g], s) => {
    const attrs: Attrs = { strides: s.attrs['strides'], dilations: [1, 1], padding: s.attrs['padding'] };
    return [
      () => runNamed('conv2d', [g!, s.input(1)], attrs),
      () =>
        runNamed('conv2dBackpropFilter', [g!, s.input(0)], {
          ...attrs,
          filterShape: knownShape(s.inputSpecs[1]!.shape, 'conv2dTranspose'),
        }),
    ];
  },
};

const maxPoolRule: GradientRule = {
  saveInputs: true,
  grad: ([dy], s) => [() => runNamed('maxPoolGrad', [dy!, s.input(0)], poolAttrs(s.attrs))],
};

/**
 * The `[fh, fw] × channels` patches of `t` under a pool's window geometry, as
 * `[n, oh, ow, channels, fh * fw]`, via a depthwise convolution with one-hot filters (padded
 * positions read 0).
 */
function patches(t: Tensor, attrs: Attrs): Tensor {
  const [fh, fw] = attrs['filterSize'] as [number, number];
  const k = fh * fw;
  const ch = t.shape[3]!;
  const eye = oneHot(range(0, k, 1, 'int32'), k, { dtype: t.dtype as 'float32' | 'float64' });
  const filter = tile(reshape(eye, [fh, fw, 1, k]), [1, 1, ch, 1]);
  const p = runNamed('depthwiseConv2d', [t, filter], { strides: attrs['strides'], dilations: [1, 1], padding: attrs['padding'] });
  const [n, oh, ow] = p.shape;
  return reshape(p, [n!, oh!, ow!, ch, k]);
}

/**
 * z = maxPoolGrad(dy, x) routes each dy to its window's (first) maximum in x. It is linear in
 * dy: its gradient with respect to dy picks the upstream gradient at each window's maximum
 * (found with argMax over the window's patch, padding excluded); with respect to x it is zero
 * (piecewise constant).
 */
const maxPoolGradRule: GradientRule = {
  saveInputs: [1],
  grad: ([g], s) => [
    () => {
      const x = s.input(1);
      const attrs = poolAttrs(s.attrs);
      const px = patches(x, attrs);
      const inside = greater(patches(onesLike(x), attrs), 0.5);
      const first = argMax(where(inside, px, -Infinity), 4);
      const k = px.shape[4]!;
      const pick = oneHot(first, k, { dtype: x.dtype as 'float32' | 'float64' });
      return sum(mul(patches(g!, attrs), pick), 4);
    },
    () => zerosLike(g!),
  ],
};

const avgPoolRule: GradientRule = {
  grad: ([dy], s) => [
    () => runNamed('avgPoolGrad', [dy!], { ...poolAttrs(s.attrs), inputShape: s.inputSpecs[0]!.shape }),
  ],
};

/** avgPoolGrad is linear in dy: its adjoint is avgPool itself. */
const avgPoolGradRule: GradientRule = {
  grad: ([g], s) => [() => runNamed('avgPool', [g!], poolAttrs(s.attrs))],
};

/** Gradient rules of conv and pooling ops. @internal */
export function convRules(): RuleTable {
  return [
    ...convFamily('conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter'),
    ...convFamily('depthwiseConv2d', 'depthwiseConv2dBackpropInput', 'depthwiseConv2dBackpropFilter'),
    ['conv2dTranspose', conv2dTransposeRule],
    ['maxPool', maxPoolRule],
    ['maxPoolGrad', maxPoolGradRule],
    ['avgPool', avgPoolRule],
    ['avgPoolGrad', avgPoolGradRule],
  ];
}
