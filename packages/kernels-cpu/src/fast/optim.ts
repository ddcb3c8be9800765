/**
 * Fast paths for the fused momentum (plain and Nesterov), RMSProp (plain and centered),
 * Adagrad and AdamW updates: float32 updates of at least {@link EW_MIN} elements run the
 * WebAssembly kernels of `wasm/optim.ts` (one pass over the operands instead of one per op of
 * the composition), spread over the worker threads when large. Other dtypes and small tensors
 * run the TypeScript kernels of `kernels/fused.ts`, which round like the composition as well;
 * so does everything when the memory is not shared (the WebAssembly path would copy every
 * operand in and out).
 *
 * @module
 * @internal
 */
import { sizeOf, type DataId, type Kernel, type KernelArgs, type TensorInfo } from '@tessera/core';
import type { CpuContext } from '../context.js';
import { scalarWord, UPDATE_KERNELS } from '../wasm/optim.js';
import type { WasmRuntime } from '../wasm/runtime.js';
import { EW_MIN } from './elementwise.js';
import { withFallback } from './staging.js';

/** Updates of at least this many elements use the worker threads. */
const OPT_PARALLEL = 1 << 16;
/** Elements per chunk (a multiple of 4, so only a chunk at the end has a scalar tail). */
const OPT_CHUNK = 1 << 14;

/** The composite ops this file registers. */
const UPDATE_OPS = ['momentumUpdate', 'rmsPropUpdate', 'centeredRmsPropUpdate', 'adagradUpdate', 'adamWUpdate'] as const;

/** Builds the optimizer-update fast kernels; `reference` holds the kernels they fall back to. */
export function optimFastKernels(ctx: CpuContext, rt: WasmRuntime, reference: Record<string, Kernel>): Record<string, Kernel> {
  const kernels: Record<string, Kernel> = {};
  const refs = {} as Record<(typeof UPDATE_OPS)[number], Kernel>;
  for (const name of UPDATE_OPS) {
    const ref = reference[name];
    if (ref === undefined) return kernels;
    refs[name] = ref;
  }
  if (!rt.shared) {
    // the TypeScript kernels: one loop per update instead of one per op of the composition
    for (const name of UPDATE_OPS) kernels[name] = refs[name];
    return kernels;
  }
  const f = Math.fround;
  const byName = new Map(UPDATE_KERNELS.map((k) => [k.name, k]));

  /**
   * Runs wasm kernel `name` over the tensor inputs `ins` (the scalar inputs excluded) into new
   * outputs, with the f32 scalar arguments `scalars` returns (already rounded to float32). Runs
   * `ref` instead for other dtypes, small tensors, or when the heap cannot hold the operands.
   */
  const update = (name: string, args: KernelArgs, ins: readonly TensorInfo[], scalars: (read: (t: TensorInfo) => number) => readonly number[], ref: Kernel): DataId | readonly DataId[] => {
    const k = byName.get(name)!;
    const X = ins[0]!;
    const n = sizeOf(X.shape);
    if (X.dtype !== 'float32' || n < EW_MIN) return ref(args);
    return withFallback(ctx, rt, args, ref, (s) => {
      const ptrs = ins.map((t) => s.input(t));
      const outs = args.outputs.map((spec) => s.output(spec));
      const ids = outs.map((p) => p[0]);
      if (s.failed) return ids;
      const sc = scalars((t) => ctx.get(t.dataId)[0]!);
      const w = rt.args([...ptrs, ...outs.map((p) => p[1]), n, OPT_CHUNK, ...sc.map(() => 0)]) >> 2;
      const fv = rt.f32;
      const s0 = scalarWord(k);
      for (let j = 0; j < sc.length; j++) fv[w + s0 + j] = sc[j]!;
      rt.run(name, Math.ceil(n / OPT_CHUNK), n >= OPT_PARALLEL ? ctx.threads : 1);
      return ids;
    });
  };

  // Scalars as the composition computes them: a JavaScript number becomes a float32 tensor
  // (`f(...)`), and each op on scalar tensors rounds.
  kernels['momentumUpdate'] = (args) => {
    const [X, A, G, LR] = args.inputs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
    const name = args.attrs['useNesterov'] === true ? 'opt_nesterov' : 'opt_momentum';
    return update(name, args, [X, A, G], (read) => [f(args.attrs['momentum'] as number), read(LR)], refs.momentumUpdate);
  };

  const rmsScalars = (args: KernelArgs, LR: TensorInfo) => (read: (t: TensorInfo) => number): number[] => [
    f(1 - (args.attrs['decay'] as number)),
    f(args.attrs['momentum'] as number),
    f(args.attrs['epsilon'] as number),
    read(LR),
  ];
  kernels['rmsPropUpdate'] = (args) => {
    const [X, MS, MOM, G, LR] = args.inputs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo];
    return update('opt_rmsprop', args, [X, MS, MOM, G], rmsScalars(args, LR), refs.rmsPropUpdate);
  };
  kernels['centeredRmsPropUpdate'] = (args) => {
    const [X, MG, MS, MOM, G, LR] = args.inputs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo];
    return update('opt_centered_rmsprop', args, [X, MG, MS, MOM, G], rmsScalars(args, LR), refs.centeredRmsPropUpdate);
  };

  kernels['adagradUpdate'] = (args) => {
    const [X, A, G, LR] = args.inputs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
    return update('opt_adagrad', args, [X, A, G], (read) => [read(LR)], refs.adagradUpdate);
  };

  kernels['adamWUpdate'] = (args) => {
    const [X, M, V, G, LR, B1P, B2P] = args.inputs as TensorInfo[] as [TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo];
    return update(
      'opt_adamw',
      args,
      [X, M, V, G],
      (read) => {
        const lr = read(LR);
        return [
          f(1 - (args.attrs['beta1'] as number)),
          f(1 - (args.attrs['beta2'] as number)),
          f(args.attrs['epsilon'] as number),
          f(f(lr * f(Math.sqrt(f(1 - read(B2P))))) / f(1 - read(B1P))),
          f(lr * f(args.attrs['weightDecay'] as number)),
        ];
      },
      refs.adamWUpdate,
    );
  };

  return kernels;
}
