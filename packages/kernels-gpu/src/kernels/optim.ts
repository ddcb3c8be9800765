/**
 * Fused optimizer updates for the composite ops of `@tessera/optim` (`sgdUpdate`,
 * `momentumUpdate`, `adamUpdate`, `adamWUpdate`, `rmsPropUpdate`, `centeredRmsPropUpdate`,
 * `adagradUpdate`): one dispatch per step instead of up to a dozen, computing the same formulas
 * in the same order as the compositions. Tensor inputs share the variable's shape; the
 * learning rate and the beta powers are scalar tensors; hyperparameters arrive as uniforms.
 *
 * @module
 */
import type { Attrs, Kernel } from '@tessera/core';
import type { GpuContext } from '../backend.js';
import { dispatch1D, entry1D, WG, type UniformField } from '../program.js';

interface UpdateSpec {
  /** How many leading inputs are full tensors (the rest are scalars). */
  readonly tensors: number;
  readonly outputs: number;
  /** Hyperparameter uniforms, computed from the attributes as the composition would (in double, then rounded to f32). */
  readonly params: (attrs: Attrs) => Record<string, number>;
  /** WGSL statements: inputs are `t0..` (tensor elements) and `s0..` (scalars), outputs `o0..`. */
  readonly body: string;
}

const UPDATES: Record<string, UpdateSpec> = {
  sgdUpdate: { tensors: 2, outputs: 1, params: () => ({}), body: 'let o0 = t0 - t1 * s0;' },
  momentumUpdate: {
    tensors: 3,
    outputs: 2,
    params: (a) => ({ momentum: a['momentum'] as number, nesterov: a['useNesterov'] === true ? 1 : 0 }),
    body: `let o1 = t1 * u.momentum + t2;
  var step = o1 * s0;
  if (u.nesterov != 0.0) { step = t2 * s0 + (o1 * u.momentum) * s0; }
  let o0 = t0 - step;`,
  },
  adamUpdate: {
    tensors: 4,
    outputs: 3,
    params: (a) => ({ omb1: 1 - (a['beta1'] as number), omb2: 1 - (a['beta2'] as number), eps: a['epsilon'] as number, wd: 0 }),
    body: ADAM_BODY(false),
  },
  adamWUpdate: {
    tensors: 4,
    outputs: 3,
    params: (a) => ({
      omb1: 1 - (a['beta1'] as number),
      omb2: 1 - (a['beta2'] as number),
      eps: a['epsilon'] as number,
      wd: a['weightDecay'] as number,
    }),
    body: ADAM_BODY(true),
  },
  rmsPropUpdate: {
    tensors: 4,
    outputs: 3,
    params: (a) => ({ keep: 1 - (a['decay'] as number), momentum: a['momentum'] as number, eps: a['epsilon'] as number }),
    body: `let o1 = t1 + (t3 * t3 - t1) * u.keep;
  let o2 = t2 * u.momentum + (t3 * s0) / m_sqrt(o1 + u.eps);
  let o0 = t0 - o2;`,
  },
  centeredRmsPropUpdate: {
    tensors: 5,
    outputs: 4,
    params: (a) => ({ keep: 1 - (a['decay'] as number), momentum: a['momentum'] as number, eps: a['epsilon'] as number }),
    body: `let o2 = t2 + (t4 * t4 - t2) * u.keep;
  let o1 = t1 + (t4 - t1) * u.keep;
  let o3 = t3 * u.momentum + (t4 * s0) / m_sqrt((o2 - o1 * o1) + u.eps);
  let o0 = t0 - o3;`,
  },
  adagradUpdate: {
    tensors: 3,
    outputs: 2,
    params: () => ({}),
    body: `let o1 = t1 + t2 * t2;
  let o0 = t0 - (t2 * s0) / m_sqrt(o1);`,
  },
};

function ADAM_BODY(decay: boolean): string {
  // s0 = learning rate, s1 = beta1^t, s2 = beta2^t
  return `let x = ${decay ? 't0 - t0 * (s0 * u.wd)' : 't0'};
  let alpha = (s0 * m_sqrt(1.0 - s2)) / (1.0 - s1);
  let o1 = t1 + (t3 - t1) * u.omb1;
  let o2 = t2 + (t3 * t3 - t2) * u.omb2;
  let o0 = x - (o1 * alpha) / (m_sqrt(o2) + u.eps);`;
}

function updateKernel(ctx: GpuContext, op: string, spec: UpdateSpec): Kernel {
  return ({ inputs, attrs, outputs }) => {
    const outs = outputs.map((o) => ctx.alloc(o));
    const n = outs[0]!.size;
    if (n === 0) return outs;
    const params = spec.params(attrs);
    const names = Object.keys(params);
    const fields: UniformField[] = [{ name: 'n', type: 'u32' }, ...names.map((name) => ({ name, type: 'f32' as const }))];
    const loads = inputs.map((_, k) => (k < spec.tensors ? `  let t${k} = in${k}[i];` : `  let s${k - spec.tensors} = in${k}[0];`));
    const stores = outs.map((_, k) => `  out${k}[i] = o${k};`);
    ctx.run({
      op,
      key: `${op}:f32`,
      build: () => ({
        inputs: inputs.map(() => 'f32' as const),
        outputs: outs.map(() => 'f32' as const),
        uniforms: fields,
        code: [entry1D(), '  if (i >= u.n) { return; }', ...loads, `  ${spec.body}`, ...stores, '}'].join('\n'),
      }),
      inputs: inputs.map((t) => ctx.data(t.dataId)),
      outputs: outs,
      uniforms: [n, ...names.map((k) => params[k]!)],
      workgroups: dispatch1D(n, WG, ctx.limits.maxWorkgroupsPerDimension),
    });
    return outs;
  };
}

/** Builds the fused optimizer-update kernels. @internal */
export function optimKernels(ctx: GpuContext): Record<string, Kernel> {
  const kernels: Record<string, Kernel> = {};
  for (const [op, spec] of Object.entries(UPDATES)) {
    // inputs: the tensors plus up to three scalars; a device allowing fewer storage bindings per
    // shader runs the composition instead
    const scalars = op.startsWith('adam') ? 3 : 1;
    if (spec.tensors + scalars + spec.outputs <= ctx.limits.maxStorageBuffers) kernels[op] = updateKernel(ctx, op, spec);
  }
  return kernels;
}
