/**
 * The WebAssembly fast paths, registered over the TypeScript reference kernels. Each fast
 * kernel takes its path only for float32 and enough work to beat the TypeScript loop (crossing
 * into WebAssembly, packing and waking threads cost a few microseconds); everything else, and
 * any case the heap cannot serve, runs the reference kernel it replaces.
 *
 * @module
 * @internal
 */
import { conv2dGeometry, pool2dGeometry, sizeOf, type PoolOptions, type Conv2DGeometryOptions, type Kernel, type KernelArgs } from '@tessera/core';
import type { CpuContext } from '../context.js';
import { withFallback } from './staging.js';
import { broadcastIndex } from '../kernels/broadcast.js';
import type { WasmRuntime } from '../wasm/runtime.js';
import { convBackpropFilter, convBackpropInput, convForward, gemm } from './gemm.js';
import { elementwiseFastKernels } from './elementwise.js';
import { fusedReferenceKernels } from '../kernels/fused.js';
import { poolFastKernels } from './pool.js';
import { optimFastKernels } from './optim.js';

/** Matmuls with fewer multiply-adds than this run in TypeScript. */
export const MATMUL_MIN_MACS = 4096;
/** Convolutions with fewer multiply-adds than this run in TypeScript. */
export const CONV_MIN_MACS = 8192;

function matmulKernel(ctx: CpuContext, rt: WasmRuntime, ref: Kernel): Kernel {
  return (args) => {
    const { inputs, attrs, outputs } = args;
    const A = inputs[0]!;
    const B = inputs[1]!;
    const out = outputs[0]!;
    const tA = attrs['transposeA'] === true;
    const tB = attrs['transposeB'] === true;
    const ra = A.shape.length;
    const rb = B.shape.length;
    const M = tA ? A.shape[ra - 1]! : A.shape[ra - 2]!;
    const K = tA ? A.shape[ra - 2]! : A.shape[ra - 1]!;
    const N = tB ? B.shape[rb - 2]! : B.shape[rb - 1]!;
    const outBatch = out.shape.slice(0, -2);
    const nbOut = sizeOf(outBatch);
    if (out.dtype !== 'float32' || K === 0 || M === 0 || N === 0 || nbOut === 0 || M * N * K < MATMUL_MIN_MACS) return ref(args);
    return withFallback(ctx, rt, args, ref, (s) => {
      const a = s.input(A);
      const b = s.input(B);
      const [id, c] = s.output(out);
      if (s.failed) return id;
      const aBatch = A.shape.slice(0, -2);
      const bBatch = B.shape.slice(0, -2);
      let nb = nbOut;
      let rows = M;
      if (!tA && sizeOf(bBatch) === 1 && sizeOf(aBatch) === nb) {
        rows = M * nb;
        nb = 1;
      }
      const aIdx = nb === 1 ? null : broadcastIndex(aBatch, outBatch);
      const bIdx = nb === 1 ? null : broadcastIndex(bBatch, outBatch);
      const rsA = tA ? 1 : K;
      const csA = tA ? M : 1;
      const rsB = tB ? 1 : N;
      const csB = tB ? K : 1;
      for (let bi = 0; bi < nb; bi++) {
        const aOff = a + (aIdx === null ? 0 : aIdx[bi]!) * M * K * 4;
        const bOff = b + (bIdx === null ? 0 : bIdx[bi]!) * K * N * 4;
        if (!gemm(rt, rows, N, K, aOff, rsA, csA, bOff, rsB, csB, c + bi * rows * N * 4, N, ctx.threads)) {
          s.failed = true;
          break;
        }
      }
      return id;
    });
  };
}

type ConvFast = (rt: WasmRuntime, g: ReturnType<typeof conv2dGeometry>, a: number, b: number, out: number, threads: number) => boolean;

function convKernel(ctx: CpuContext, rt: WasmRuntime, ref: Kernel, name: string, shapes: (args: KernelArgs) => [readonly number[], readonly number[]], fast: ConvFast): Kernel {
  return (args) => {
    const { inputs, attrs, outputs } = args;
    const out = outputs[0]!;
    if (out.dtype !== 'float32' || sizeOf(out.shape) === 0) return ref(args);
    const [xs, fs] = shapes(args);
    const g = conv2dGeometry(xs, fs, attrs as Conv2DGeometryOptions, name);
    const macs = g.batch * g.outHeight * g.outWidth * g.outChannels * g.filterHeight * g.filterWidth * g.inChannels;
    if (macs < CONV_MIN_MACS || g.outHeight * g.outWidth === 0 || g.inChannels === 0) return ref(args);
    // the input gradient's GEMM has one column per input channel: with fewer than 4 the 8-wide
    // micro-kernel mostly multiplies padding, and the TypeScript kernel is faster
    if (fast === convBackpropInput && g.inChannels < 4) return ref(args);
    return withFallback(ctx, rt, args, ref, (s) => {
      const a = s.input(inputs[0]!);
      const b = s.input(inputs[1]!);
      const [id, o] = s.output(out);
      if (s.failed) return id;
      if (!fast(rt, g, a, b, o, ctx.threads)) s.failed = true;
      return id;
    });
  };
}

/** Pooled elements below which max pooling stays in TypeScript. */
const POOL_MIN = 4096;

/** maxPool and maxPoolGrad for float32 NHWC with channels in multiples of 4, one image per chunk. */
function maxPoolKernel(ctx: CpuContext, rt: WasmRuntime, ref: Kernel, grad: boolean): Kernel {
  return (args) => {
    const { inputs, attrs, outputs } = args;
    const X = grad ? inputs[1]! : inputs[0]!;
    const out = outputs[0]!;
    const n = sizeOf(X.shape);
    if (out.dtype !== 'float32' || n < POOL_MIN || X.shape[3]! % 4 !== 0) return ref(args);
    const g = pool2dGeometry(X.shape, attrs as unknown as PoolOptions, grad ? 'maxPoolGrad' : 'maxPool');
    if (g.outHeight * g.outWidth === 0) return ref(args);
    return withFallback(ctx, rt, args, ref, (s) => {
      const x = s.input(X);
      const dy = grad ? s.input(inputs[0]!) : 0;
      const [id, o] = s.output(out);
      if (s.failed) return id;
      if (grad) rt.f32.fill(0, o >> 2, (o >> 2) + n);
      rt.args([x, grad ? 0 : o, dy, grad ? o : 0, g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.filterHeight, g.filterWidth, g.strideHeight, g.strideWidth, g.padTop, g.padLeft, grad ? 1 : 0]);
      rt.run('ew_maxpool', g.batch, n >= 1 << 16 ? ctx.threads : 1);
      return id;
    });
  };
}

/** Builds the fast kernels; `reference` holds the TypeScript kernels they fall back to. */
export function fastKernels(ctx: CpuContext, reference: Record<string, Kernel>): Record<string, Kernel> {
  const rt = ctx.rt!;
  const shapeAttr = (attrs: KernelArgs['attrs'], key: string): readonly number[] => attrs[key] as number[];
  return {
    ...elementwiseFastKernels(ctx, rt, { ...reference, ...fusedReferenceKernels(ctx) }),
    ...poolFastKernels(ctx, rt, reference),
    ...optimFastKernels(ctx, rt, { ...reference, ...fusedReferenceKernels(ctx) }),
    matmul: matmulKernel(ctx, rt, reference['matmul']!),
    ...(rt.shared ? { maxPool: maxPoolKernel(ctx, rt, reference['maxPool']!, false), maxPoolGrad: maxPoolKernel(ctx, rt, reference['maxPoolGrad']!, true) } : {}),
    conv2d: convKernel(ctx, rt, reference['conv2d']!, 'conv2d', ({ inputs }) => [inputs[0]!.shape, inputs[1]!.shape], convForward),
    conv2dBackpropInput: convKernel(
      ctx,
      rt,
      reference['conv2dBackpropInput']!,
      'conv2dBackpropInput',
      ({ inputs, attrs }) => [shapeAttr(attrs, 'inputShape'), inputs[1]!.shape],
      convBackpropInput,
    ),
    conv2dBackpropFilter: convKernel(
      ctx,
      rt,
      reference['conv2dBackpropFilter']!,
      'conv2dBackpropFilter',
      ({ inputs, attrs }) => [inputs[0]!.shape, shapeAttr(attrs, 'filterShape')],
      convBackpropFilter,
    ),
  };
}
