/**
 * Compute programs: what a kernel describes (bindings, uniforms, WGSL body) and how the
 * backend assembles the full shader. Shapes and strides travel as uniforms, so a program's
 * key names only what changes the code (op, ranks, dtypes, variant), and one compiled pipeline
 * serves every shape.
 *
 * Binding layout of every program: `@binding(0)` the uniform struct `u`, then the inputs
 * `in0, in1, ...` (`var<storage, read>`), then the outputs `out0, ...` (`var<storage, read_write>`).
 *
 * @module
 */
import type { DType } from '@tessera/core';
import { MATH_WGSL } from './wgsl-math.js';

/** The math library split into its functions, by name, in source order. */
const MATH_BLOCKS: { name: string; code: string; uses: string[] }[] = MATH_WGSL.trim()
  .split(/\n(?=fn |struct )/)
  .map((code) => {
    const name = /^(?:fn|struct) (m_\w+)/.exec(code)?.[1] ?? '';
    const uses = [...new Set(code.match(/\bm_\w+/g) ?? [])].filter((u) => u !== name);
    return { name, code, uses };
  });

/** Only the math functions a program uses (and what they use): less WGSL to compile. */
function mathFor(code: string): string {
  const need = new Set<string>();
  const visit = (n: string): void => {
    if (need.has(n)) return;
    need.add(n);
    for (const u of MATH_BLOCKS.find((b) => b.name === n)?.uses ?? []) visit(u);
  };
  for (const n of new Set(code.match(/\bm_\w+/g) ?? [])) visit(n);
  return MATH_BLOCKS.filter((b) => need.has(b.name)).map((b) => b.code).join('\n');
}

/** The WGSL element type a dtype is stored as: bool is stored as `u32` (0 or 1). @internal */
export type WgslType = 'f32' | 'i32' | 'u32';

/** The WGSL type of a dtype's storage. @internal */
export function wgslType(dtype: DType): WgslType {
  if (dtype === 'float32') return 'f32';
  if (dtype === 'int32') return 'i32';
  if (dtype === 'bool') return 'u32';
  throw new Error(`webgpu: dtype ${dtype} has no WGSL storage type`);
}

/** A uniform field: a 32-bit scalar. @internal */
export interface UniformField {
  readonly name: string;
  readonly type: 'i32' | 'u32' | 'f32';
}

/**
 * A program's static description: everything that goes into its WGSL. Built once per key.
 * @internal
 */
export interface ProgramSpec {
  /**
   * Element types of the inputs, bound as `in0`, `in1`, ... A `vec4<...>` input is read four
   * elements at a time; it is bound over its elements rounded up to a multiple of 4 (buffers
   * are padded to 16 bytes), so the last vector may hold padding beyond the tensor.
   */
  readonly inputs: readonly (WgslType | `vec4<${WgslType}>`)[];
  /**
   * Element types of the outputs, bound as `out0`, ... A `vec4<...>` output is written four
   * elements at a time (it is bound over its elements rounded up to a multiple of 4: buffers
   * are padded to 16 bytes).
   */
  readonly outputs: readonly (WgslType | `vec4<${WgslType}>`)[];
  /** Uniform fields, in order (read as `u.<name>`). */
  readonly uniforms: readonly UniformField[];
  /** The WGSL after the generated header; it must declare `@compute ... fn main(...)`. */
  readonly code: string;
}

/** The uniform struct's size in bytes for a field count (rounded to 16). @internal */
export function uniformBytes(fields: number): number {
  return Math.max(16, Math.ceil((fields * 4) / 16) * 16);
}

/** Assembles a full WGSL module from a spec. @internal */
export function assembleShader(spec: ProgramSpec): string {
  const fields = spec.uniforms.length > 0 ? spec.uniforms : [{ name: 'unused_', type: 'u32' as const }];
  const lines: string[] = [];
  lines.push(`struct Uniforms {\n${fields.map((f) => `  ${f.name}: ${f.type},`).join('\n')}\n};`);
  lines.push('@group(0) @binding(0) var<uniform> u: Uniforms;');
  let b = 1;
  spec.inputs.forEach((t, i) => lines.push(`@group(0) @binding(${b++}) var<storage, read> in${i}: array<${t}>;`));
  spec.outputs.forEach((t, i) => lines.push(`@group(0) @binding(${b++}) var<storage, read_write> out${i}: array<${t}>;`));
  lines.push(mathFor(spec.code));
  lines.push(spec.code);
  return lines.join('\n');
}

/**
 * Workgroup counts for `n` invocations of a 1-D program with `wg` threads per group, folded
 * into two dimensions when one would exceed `maxPerDim`. Programs compute their flat index
 * with `flat_index(gid, nwg, wg)`.
 * @internal
 */
export function dispatch1D(n: number, wg: number, maxPerDim: number = 65535): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / wg));
  if (groups <= maxPerDim) return [groups, 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y, 1];
}

/** The default 1-D workgroup size. @internal */
export const WG = 256;

/** WGSL entry-point signature for 1-D programs (`let i = ...; if (i >= n) { return; }` follows). @internal */
export function entry1D(wg: number = WG): string {
  return (
    `@compute @workgroup_size(${wg})\n` +
    `fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {\n` +
    `  let i = gid.x + gid.y * nwg.x * ${wg}u;\n`
  );
}

/**
 * Simplifies a broadcast: drops size-1 output dims and merges neighbouring dims that every
 * input either fully spans or fully broadcasts. Returns the collapsed output shape and each
 * input's collapsed shape (same rank as the output, 1 where broadcast).
 * @internal
 */
export function collapseBroadcast(outShape: readonly number[], inShapes: readonly (readonly number[])[]): {
  out: number[];
  ins: number[][];
} {
  const r = outShape.length;
  const padded = inShapes.map((s) => [...new Array<number>(r - s.length).fill(1), ...s]);
  const out: number[] = [];
  const ins: number[][] = inShapes.map(() => []);
  for (let d = 0; d < r; d++) {
    const od = outShape[d]!;
    if (od === 1) continue;
    const last = out.length - 1;
    let merge = last >= 0;
    if (merge) {
      for (let k = 0; k < padded.length; k++) {
        const prevFull = ins[k]![last] !== 1;
        const curFull = padded[k]![d] !== 1;
        if (prevFull !== curFull) {
          merge = false;
          break;
        }
      }
    }
    if (merge) {
      out[last] = out[last]! * od;
      for (let k = 0; k < padded.length; k++) ins[k]![last] = padded[k]![d] === 1 ? 1 : ins[k]![last]! * od;
    } else {
      out.push(od);
      for (let k = 0; k < padded.length; k++) ins[k]!.push(padded[k]![d]!);
    }
  }
  return { out, ins };
}

/** Row-major strides of a shape. @internal */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d]!;
  }
  return s;
}
