/**
 * Convolution and pooling in NHWC, as direct loops.
 *
 * Core exports the geometry (`conv2dGeometry`, `pool2dGeometry`): output sizes and padding
 * computed exactly as the ops' shape rules do, so kernels never re-derive TensorFlow's padding
 * arithmetic. Output pixel `(oh, ow)` reads input row `oh * strideHeight - padTop +
 * fh * dilationHeight` (and likewise for columns); rows and columns outside the input are
 * padding.
 *
 * Sums accumulate in a float64 scratch array and are stored (rounded) once at the end.
 *
 * @module
 */
import {
  conv2dGeometry,
  pool2dGeometry,
  type Attrs,
  type Conv2DGeometry,
  type Conv2DGeometryOptions,
  type Kernel,
  type PoolOptions,
  type TypedArray,
} from '@tessera/core';
import { alloc, type Buffers } from './util.js';

/** The geometry of a convolution; `attrs` (strides, dilations, padding) are already normalized. */
function convGeometry(xShape: readonly number[], filterShape: readonly number[], attrs: Attrs, depthwise: boolean): Conv2DGeometry {
  return conv2dGeometry(xShape, filterShape, { ...(attrs as Conv2DGeometryOptions), depthwise });
}

function poolGeometry(xShape: readonly number[], attrs: Attrs): Conv2DGeometry {
  return pool2dGeometry(xShape, attrs as unknown as PoolOptions);
}

/**
 * Calls `visit(xIndex, outIndex, fIndex)` for every (output pixel, filter tap) pair that reads
 * a real (non-padding) input pixel. Indices are flat, without the channel: `xIndex` is the
 * pixel `(b, ih, iw)`, `outIndex` the pixel `(b, oh, ow)`, `fIndex` the tap `(fh, fw)`.
 * One walk serves the forward pass and both gradients of conv2d, depthwise conv2d and pooling.
 */
function forEachTap(g: Conv2DGeometry, visit: (xPixel: number, outPixel: number, tap: number) => void): void {
  for (let b = 0; b < g.batch; b++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++) {
        const outPixel = (b * g.outHeight + oh) * g.outWidth + ow;
        for (let fh = 0; fh < g.filterHeight; fh++) {
          const ih = oh * g.strideHeight - g.padTop + fh * g.dilationHeight;
          if (ih < 0 || ih >= g.inHeight) continue;
          for (let fw = 0; fw < g.filterWidth; fw++) {
            const iw = ow * g.strideWidth - g.padLeft + fw * g.dilationWidth;
            if (iw < 0 || iw >= g.inWidth) continue;
            visit((b * g.inHeight + ih) * g.inWidth + iw, outPixel, fh * g.filterWidth + fw);
          }
        }
      }
    }
  }
}

function store(buffers: Buffers, scratch: Float64Array, out: TypedArray): ReturnType<Buffers['put']> {
  for (let i = 0; i < out.length; i++) out[i] = scratch[i]!;
  return buffers.put(out);
}

/** conv2d, depthwise conv2d, pooling and their gradients. */
export function convKernels(buffers: Buffers): Record<string, Kernel> {
  return {
    conv2d: ({ inputs, attrs, outputs }) => {
      const [X, F] = [inputs[0]!, inputs[1]!];
      const g = convGeometry(X.shape, F.shape, attrs, false);
      const x = buffers.get(X.dataId);
      const f = buffers.get(F.dataId);
      const C = g.inChannels;
      const O = g.outChannels;
      const acc = new Float64Array(g.batch * g.outHeight * g.outWidth * O);
      forEachTap(g, (xp, op, tap) => {
        for (let c = 0; c < C; c++) {
          const v = x[xp * C + c]!;
          const fRow = (tap * C + c) * O; // filter [fh, fw, c, :]
          for (let o = 0; o < O; o++) acc[op * O + o]! += v * f[fRow + o]!;
        }
      });
      return store(buffers, acc, alloc(outputs[0]!));
    },

    conv2dBackpropInput: ({ inputs, attrs, outputs }) => {
      const [DY, F] = [inputs[0]!, inputs[1]!];
      const g = convGeometry(attrs['inputShape'] as number[], F.shape, attrs, false);
      const dy = buffers.get(DY.dataId);
      const f = buffers.get(F.dataId);
      const C = g.inChannels;
      const O = g.outChannels;
      const acc = new Float64Array(g.batch * g.inHeight * g.inWidth * C);
      forEachTap(g, (xp, op, tap) => {
        for (let c = 0; c < C; c++) {
          const fRow = (tap * C + c) * O;
          let s = 0;
          for (let o = 0; o < O; o++) s += dy[op * O + o]! * f[fRow + o]!;
          acc[xp * C + c]! += s;
        }
      });
      return store(buffers, acc, alloc(outputs[0]!));
    },

    conv2dBackpropFilter: ({ inputs, attrs, outputs }) => {
      const [X, DY] = [inputs[0]!, inputs[1]!];
      const g = convGeometry(X.shape, attrs['filterShape'] as number[], attrs, false);
      const x = buffers.get(X.dataId);
      const dy = buffers.get(DY.dataId);
      const C = g.inChannels;
      const O = g.outChannels;
      const acc = new Float64Array(g.filterHeight * g.filterWidth * C * O);
      forEachTap(g, (xp, op, tap) => {
        for (let c = 0; c < C; c++) {
          const v = x[xp * C + c]!;
          const fRow = (tap * C + c) * O;
          for (let o = 0; o < O; o++) acc[fRow + o]! += v * dy[op * O + o]!;
        }
      });
      return store(buffers, acc, alloc(outputs[0]!));
    },

    // Depthwise: filter [fh, fw, C, M]; output channel c * M + m reads input channel c only.
    depthwiseConv2d: ({ inputs, attrs, outputs }) => {
      const [X, F] = [inputs[0]!, inputs[1]!];
      const g = convGeometry(X.shape, F.shape, attrs, true);
      const x = buffers.get(X.dataId);
      const f = buffers.get(F.dataId);
      const C = g.inChannels;
      const M = F.shape[3]!;
      const acc = new Float64Array(g.batch * g.outHeight * g.outWidth * C * M);
      forEachTap(g, (xp, op, tap) => {
        for (let c = 0; c < C; c++) {
          const v = x[xp * C + c]!;
          for (let m = 0; m < M; m++) acc[(op * C + c) * M + m]! += v * f[(tap * C + c) * M + m]!;
        }
      });
      return store(buffers, acc, alloc(outputs[0]!));
    },

    depthwiseConv2dBackpropInput: ({ inputs, attrs, outputs }) => {
      const [DY, F] = [inputs[0]!, inputs[1]!];
      const g = convGeometry(attrs['inputShape'] as number[], F.shape, attrs, true);
      const dy = buffers.get(DY.dataId);
      const f = buffers.get(F.dataId);
      const C = g.inChannels;
      const M = F.shape[3]!;
      const acc = new Float64Array(g.batch * g.inHeight * g.inWidth * C);
      forEachTap(g, (xp, op, tap) => {
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let m = 0; m < M; m++) s += dy[(op * C + c) * M + m]! * f[(tap * C + c) * M + m]!;
          acc[xp * C + c]! += s;
        }
      });
      return store(buffers, acc, alloc(outputs[0]!));
    },

    depthwiseConv2dBackpropFilter: ({ inputs, attrs, outputs }) => {
      const [X, DY] = [inputs[0]!, inputs[1]!];
      const filterShape = attrs['filterShape'] as number[];
      const g = convGeometry(X.shape, filterShape, attrs, true);
      const x = buffers.get(X.dataId);
      const dy = buffers.get(DY.dataId);
      const C = g.inChannels;
      const M = filterShape[3]!;
      const acc = new Float64Array(g.filterHeight * g.filterWidth * C * M);
      forEachTap(g, (xp, op, tap) => {
        for (let c = 0; c < C; c++) {
          const v = x[xp * C + c]!;
          for (let m = 0; m < M; m++) acc[(tap * C + c) * M + m]! += v * dy[(op * C + c) * M + m]!;
        }
      });
      return store(buffers, acc, alloc(outputs[0]!));
    },

    // Max pooling: padding never wins; NaN propagates (the first NaN of a window wins).
    maxPool: ({ inputs, attrs, outputs }) => {
      const X = inputs[0]!;
      const g = poolGeometry(X.shape, attrs);
      const x = buffers.get(X.dataId);
      const C = g.inChannels;
      const best = new Float64Array(g.batch * g.outHeight * g.outWidth * C).fill(-Infinity);
      forEachTap(g, (xp, op) => {
        for (let c = 0; c < C; c++) {
          const v = x[xp * C + c]!;
          const b = best[op * C + c]!;
          if (b === b && (v !== v || v > b)) best[op * C + c] = v;
        }
      });
      return store(buffers, best, alloc(outputs[0]!));
    },

    // The gradient goes to the first maximum of each window (row-major window order).
    maxPoolGrad: ({ inputs, attrs, outputs }) => {
      const [DY, X] = [inputs[0]!, inputs[1]!];
      const g = poolGeometry(X.shape, attrs);
      const dy = buffers.get(DY.dataId);
      const x = buffers.get(X.dataId);
      const C = g.inChannels;
      const nOut = g.batch * g.outHeight * g.outWidth * C;
      const best = new Float64Array(nOut).fill(-Infinity);
      const argBest = new Int32Array(nOut).fill(-1);
      forEachTap(g, (xp, op) => {
        for (let c = 0; c < C; c++) {
          const v = x[xp * C + c]!;
          const b = best[op * C + c]!;
          if (argBest[op * C + c] === -1 || (b === b && (v !== v || v > b))) {
            best[op * C + c] = v;
            argBest[op * C + c] = xp * C + c;
          }
        }
      });
      const acc = new Float64Array(g.batch * g.inHeight * g.inWidth * C);
      for (let i = 0; i < nOut; i++) if (argBest[i]! >= 0) acc[argBest[i]!]! += dy[i]!;
      return store(buffers, acc, alloc(outputs[0]!));
    },

    // Average pooling counts only real (non-padding) pixels, as TensorFlow does.
    avgPool: ({ inputs, attrs, outputs }) => {
      const X = inputs[0]!;
      const g = poolGeometry(X.shape, attrs);
      const x = buffers.get(X.dataId);
      const C = g.inChannels;
      const nPixels = g.batch * g.outHeight * g.outWidth;
      const acc = new Float64Array(nPixels * C);
      const count = new Int32Array(nPixels);
      forEachTap(g, (xp, op) => {
        count[op]!++;
        for (let c = 0; c < C; c++) acc[op * C + c]! += x[xp * C + c]!;
      });
      for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! / count[Math.floor(i / C)]!;
      return store(buffers, acc, alloc(outputs[0]!));
    },

    avgPoolGrad: ({ inputs, attrs, outputs }) => {
      const DY = inputs[0]!;
      const g = poolGeometry(attrs['inputShape'] as number[], attrs);
      const dy = buffers.get(DY.dataId);
      const C = g.inChannels;
      const count = new Int32Array(g.batch * g.outHeight * g.outWidth);
      forEachTap(g, (_, op) => count[op]!++);
      const acc = new Float64Array(g.batch * g.inHeight * g.inWidth * C);
      forEachTap(g, (xp, op) => {
        for (let c = 0; c < C; c++) acc[xp * C + c]! += dy[op * C + c]! / count[op]!;
      });
      return store(buffers, acc, alloc(outputs[0]!));
    },
  };
}
