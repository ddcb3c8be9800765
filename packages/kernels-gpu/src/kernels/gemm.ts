/**
 * The tiled GEMM template shared by matmul and the convolutions: `C[b, m, n] = sum_k A(b, m, k) *
 * B(b, k, n)`. Each 8x8 workgroup computes a 32x32 output tile, each thread a 4x4 register
 * block (16 accumulators, unrolled); A and B tiles of depth 32 are staged through workgroup
 * memory (8 KiB), read with vec4 loads where the caller says the layout allows them (the
 * vector's dimension a multiple of 4), else one element at a time. Callers supply how
 * `A(b, m, k)`, `B(b, k, n)` are read and how a result is written (WGSL snippets), which is how
 * convolutions become implicit GEMMs without materializing im2col matrices.
 *
 * @module
 */
import type { GpuContext, GpuData } from '../backend.js';
import type { UniformField, WgslType } from '../program.js';

/** Threads along each side of a workgroup. */
const THREADS = 8;
/** Outputs per thread along each side (a PER x PER register block). */
const PER = 4;
/** Output tile edge. @internal */
export const TILE: number = THREADS * PER;
/** Depth of the staged A and B tiles. @internal */
export const TILE_K = 32;
const WG_THREADS = THREADS * THREADS;

/**
 * A GEMM instance. The snippets see the uniforms (`u.M`, `u.N`, `u.K` are always present) and
 * the batch index `batch`; indices are `u32`.
 * @internal
 */
export interface GemmSpec {
  readonly op: string;
  readonly key: string;
  readonly type: WgslType;
  readonly inputs: readonly GpuData[];
  readonly inputTypes: readonly WgslType[];
  /**
   * Read A four elements at a time (a vec4 load, `in0` bound as `array<vec4<T>>`): along `k`
   * or along `m`, where `index` (in `batch`, `m`, `k`) is A's element index, a multiple of 4
   * whenever the coordinate along the vector is, and A's size is a multiple of 4. Otherwise
   * `readA` reads one element at a time.
   */
  readonly vecA?: { readonly along: 'k' | 'm'; readonly index: string };
  /** The same for B (`in1`), along `n` or `k`; `index` is in `batch`, `k`, `n`. */
  readonly vecB?: { readonly along: 'n' | 'k'; readonly index: string };
  readonly output: GpuData;
  /** Extra uniform fields beyond M, N, K, batches. */
  readonly fields: readonly UniformField[];
  readonly values: readonly number[];
  /** WGSL helper functions (may use `u` and the bindings). */
  readonly helpers: string;
  /** Expression for A(batch, m, k), valid for m < M, k < K. */
  readonly readA: string;
  /** Expression for B(batch, k, n), valid for k < K, n < N. */
  readonly readB: string;
  /** Statement storing `v` at (batch, m, n). */
  readonly write: string;
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly batches: number;
}

/** Records one GEMM dispatch. @internal */
export function runGemm(ctx: GpuContext, g: GemmSpec): void {
  const t = g.type;
  const zero = t === 'f32' ? '0.0' : '0';
  const fields: UniformField[] = [
    { name: 'M', type: 'u32' },
    { name: 'N', type: 'u32' },
    { name: 'K', type: 'u32' },
    { name: 'batches', type: 'u32' },
    { name: 'boff', type: 'u32' },
    ...g.fields,
  ];
  const per = PER;
  const loads = (TILE * TILE_K) / WG_THREADS; // tile elements each thread stages
  const R = Array.from({ length: per }, (_, i) => i);
  const accDecl = R.flatMap((i) => R.map((j) => `  var c${i}${j}: ${t} = ${zero};`)).join('\n');
  const loadAB = R.map((i) => `      let a${i} = As[kk * ${TILE}u + lid.y + ${THREADS * i}u];\n      let b${i} = Bs[kk * ${TILE}u + lid.x + ${THREADS * i}u];`).join('\n');
  const fmaLines = R.flatMap((i) => R.map((j) => `      c${i}${j} = c${i}${j} + a${i} * b${j};`)).join('\n');
  const stores = R.map(
    (i) =>
      `  { let m = row0 + lid.y + ${THREADS * i}u;\n    if (m < u.M) {\n` +
      R.map((j) => `      { let n = col0 + lid.x + ${THREADS * j}u; if (n < u.N) { write_c(batch, m, n, c${i}${j}); } }`).join('\n') +
      '\n    }\n  }',
  ).join('\n');
  const vt = `vec4<${t}>`;
  // scalar staging: each thread stages `loads` elements of each tile
  const stageA = `    for (var l = 0u; l < ${loads}u; l = l + 1u) {
      let e = tid + l * ${WG_THREADS}u;
      let am = e / ${TILE_K}u;
      let ak = e % ${TILE_K}u;
      var av: ${t} = ${zero};
      if (row0 + am < u.M && k0 + ak < u.K) { av = read_a(batch, row0 + am, k0 + ak); }
      As[ak * ${TILE}u + am] = av;
    }`;
  const stageB = `    for (var l = 0u; l < ${loads}u; l = l + 1u) {
      let e = tid + l * ${WG_THREADS}u;
      let bk = e / ${TILE}u;
      let bn = e % ${TILE}u;
      var bv: ${t} = ${zero};
      if (k0 + bk < u.K && col0 + bn < u.N) { bv = read_b(batch, k0 + bk, col0 + bn); }
      Bs[bk * ${TILE}u + bn] = bv;
    }`;
  // vec4 staging: `loads / 4` vec4s per thread; the vector runs along a dimension that is a
  // multiple of 4 (and the tile starts are multiples of 4), so a vector is wholly in or out
  const vloads = loads / 4;
  const vecStage = (buf: 'in0' | 'in1', tile: 'As' | 'Bs', index: string, check: string, store: (j: number) => string): string =>
    `    for (var l = 0u; l < ${vloads}u; l = l + 1u) {
      let e = tid + l * ${WG_THREADS}u;
      let o = e / ${TILE / 4}u;
      let q = (e % ${TILE / 4}u) * 4u;
      var v: ${vt} = ${vt}(${zero});
      if (${check}) { v = ${buf}[${index} / 4u]; }
${R.map((j) => `      ${tile}[${store(j)}] = v[${j}];`).join('\n')}
    }`;
  // o runs over the 32 rows of the tile across the vectors, q over the vector starts along them
  let stageAv = stageA;
  if (g.vecA !== undefined) {
    stageAv =
      g.vecA.along === 'k'
        ? vecStage('in0', 'As', 'idx_a(batch, row0 + o, k0 + q)', 'row0 + o < u.M && k0 + q < u.K', (j) => `(q + ${j}u) * ${TILE}u + o`)
        : vecStage('in0', 'As', 'idx_a(batch, row0 + q, k0 + o)', 'k0 + o < u.K && row0 + q < u.M', (j) => `o * ${TILE}u + q + ${j}u`);
  }
  let stageBv = stageB;
  if (g.vecB !== undefined) {
    stageBv =
      g.vecB.along === 'n'
        ? vecStage('in1', 'Bs', 'idx_b(batch, k0 + o, col0 + q)', 'k0 + o < u.K && col0 + q < u.N', (j) => `o * ${TILE}u + q + ${j}u`)
        : vecStage('in1', 'Bs', 'idx_b(batch, k0 + q, col0 + o)', 'col0 + o < u.N && k0 + q < u.K', (j) => `(q + ${j}u) * ${TILE}u + o`);
  }
  const stage = `${stageAv}\n${stageBv}`;
  const inputTypes = g.inputTypes.map((it, i) => ((i === 0 && g.vecA !== undefined) || (i === 1 && g.vecB !== undefined) ? (`vec4<${it}>` as const) : it));
  const build = () => ({
    inputs: inputTypes,
    outputs: [t],
    uniforms: fields,
    code: `
${g.helpers}
var<workgroup> As: array<${t}, ${TILE * TILE_K}>;
var<workgroup> Bs: array<${t}, ${TILE * TILE_K}>;
${g.vecA === undefined ? `fn read_a(batch: u32, m: u32, k: u32) -> ${t} { return ${g.readA}; }` : `fn idx_a(batch: u32, m: u32, k: u32) -> u32 { return ${g.vecA.index}; }`}
${g.vecB === undefined ? `fn read_b(batch: u32, k: u32, n: u32) -> ${t} { return ${g.readB}; }` : `fn idx_b(batch: u32, k: u32, n: u32) -> u32 { return ${g.vecB.index}; }`}
fn write_c(batch: u32, m: u32, n: u32, v: ${t}) { ${g.write} }
@compute @workgroup_size(${THREADS}, ${THREADS}, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let batch = wid.z + u.boff;
  let row0 = wid.y * ${TILE}u;
  let col0 = wid.x * ${TILE}u;
  let tid = lid.y * ${THREADS}u + lid.x;
${accDecl}
  for (var k0 = 0u; k0 < u.K; k0 = k0 + ${TILE_K}u) {
${stage}
    workgroupBarrier();
    for (var kk = 0u; kk < ${TILE_K}u; kk = kk + 1u) {
${loadAB}
${fmaLines}
    }
    workgroupBarrier();
  }
${stores}
}
`,
  });
  // batches beyond the per-dimension workgroup limit go in several dispatches
  const maxZ = ctx.limits.maxWorkgroupsPerDimension;
  for (let b0 = 0; b0 < g.batches; b0 += maxZ) {
    ctx.run({
      op: g.op,
      key: g.key,
      build,
      inputs: g.inputs,
      outputs: [g.output],
      uniforms: [g.M, g.N, g.K, g.batches, b0, ...g.values],
      workgroups: [Math.ceil(g.N / TILE), Math.ceil(g.M / TILE), Math.min(maxZ, g.batches - b0)],
    });
  }
}
