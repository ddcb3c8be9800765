/**
 * The tiled GEMM template shared by matmul and the convolutions: `C[b, m, n] = sum_k A(b, m, k) *
 * B(b, k, n)`. A workgroup of `tx × ty` threads computes a `TM × TN` output tile, each thread an
 * `rm × rn` register block held as vec4 accumulators along n (rows and columns in groups of 4,
 * the groups `4·ty` rows and `4·tx` columns apart, so the threads of a warp read neighbouring
 * 16-byte words of workgroup memory and write neighbouring outputs). A and B tiles of depth
 * `tk` are staged through workgroup memory stored as vec4 along m and n; the next tiles' global
 * loads are issued into registers before the current tiles are multiplied, so their latency
 * hides behind the arithmetic. Global loads are vec4 where the caller says the layout allows
 * them (the vector's dimension a multiple of 4), else one element at a time.
 *
 * Three tile shapes, picked per problem: the largest that still gives the GPU enough workgroups
 * (128×128 with 8×8 per thread, 64×64 with 4×4 per thread, 32×32 with 4×4 per thread). Large
 * tiles read each element of A and B fewer times (a 128×128 tile reads them a quarter as often
 * as a 32×32 one); small ones keep small products spread over many workgroups. The large tiles
 * visit the output in groups of 8 tile rows, so workgroups running at the same time share
 * rows of A and columns of B in the cache.
 *
 * Callers supply how `A(b, m, k)`, `B(b, k, n)` are read and how a result is written (WGSL
 * snippets), which is how convolutions become implicit GEMMs without materializing im2col
 * matrices.
 *
 * @module
 */
import type { GpuContext, GpuData } from '../backend.js';
import type { UniformField, WgslType } from '../program.js';

/** A GEMM tiling. @internal */
export interface GemmConfig {
  readonly name: string;
  /** Threads along n and along m. */
  readonly tx: number;
  readonly ty: number;
  /** Outputs per thread along m and along n (multiples of 4). */
  readonly rm: number;
  readonly rn: number;
  /** Depth of the staged tiles. */
  readonly tk: number;
  /** Visit tiles in groups of this many tile rows (1: row by row). */
  readonly group: number;
}

/** The tilings, largest first. @internal */
export const GEMM_CONFIGS: readonly GemmConfig[] = [
  { name: 't128', tx: 16, ty: 16, rm: 8, rn: 8, tk: 16, group: 8 },
  { name: 't64', tx: 16, ty: 16, rm: 4, rn: 4, tk: 16, group: 8 },
  { name: 't32', tx: 8, ty: 8, rm: 4, rn: 4, tk: 32, group: 1 },
];

/** The smallest output tile edge (callers plan splits with it). @internal */
export const TILE = 32;

/** A problem gets the largest tiling that still yields this many workgroups... */
const TARGET_WORKGROUPS = 256;
/** ...and pads the output by at most this factor (e.g. not 128-wide tiles for 64 columns). */
const MAX_PADDING = 1.3;

let override: string | null = null;

/**
 * Forces one tiling by name for every GEMM (tests run each tiling on small problems); `null`
 * restores the choice by size.
 * @internal
 */
export function setGemmConfigOverride(name: string | null): void {
  if (name !== null && !GEMM_CONFIGS.some((c) => c.name === name)) throw new Error(`no GEMM tiling '${name}'`);
  override = name;
}

function workgroupBytes(c: GemmConfig): number {
  return (c.ty * c.rm + c.tx * c.rn) * c.tk * 4;
}

/** The tiling of an M×N (×batches) product on a device with these limits. @internal */
export function chooseGemmConfig(M: number, N: number, batches: number, limits: GpuContext['limits']): GemmConfig {
  const fits = (c: GemmConfig): boolean =>
    c.tx * c.ty <= limits.maxInvocationsPerWorkgroup && workgroupBytes(c) <= limits.maxWorkgroupStorageBytes;
  if (override !== null) {
    const c = GEMM_CONFIGS.find((x) => x.name === override)!;
    if (fits(c)) return c;
  }
  for (const c of GEMM_CONFIGS) {
    const TM = c.ty * c.rm;
    const TN = c.tx * c.rn;
    const groups = Math.ceil(M / TM) * Math.ceil(N / TN) * batches;
    const padding = (Math.ceil(M / TM) * TM * Math.ceil(N / TN) * TN) / (M * N);
    if (fits(c) && groups >= TARGET_WORKGROUPS && padding <= MAX_PADDING) return c;
  }
  return GEMM_CONFIGS[GEMM_CONFIGS.length - 1]!;
}

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

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * Staging of one operand tile: declarations of the prefetch registers, the statements loading
 * the tile at `k0` into them, and the statements storing them into workgroup memory.
 */
interface Staging {
  readonly decl: string;
  readonly load: string;
  readonly store: string;
}

/**
 * Staging of A's `TM × tk` tile or B's `tk × TN` tile into workgroup memory, stored `[k][mn]`
 * as vec4 along mn (mn: A's m or B's n). `vecAlong` says which coordinate the global vectors
 * run along, or null for scalar loads through `read_a` / `read_b`.
 */
function staging(
  c: GemmConfig,
  which: 'a' | 'b',
  t: WgslType,
  vecAlong: 'k' | 'mn' | null,
): Staging {
  const T = c.tx * c.ty;
  const MN = which === 'a' ? c.ty * c.rm : c.tx * c.rn; // the tile's m (for A) or n (for B) extent
  const K = c.tk;
  const tile = which === 'a' ? 'As' : 'Bs';
  const buf = which === 'a' ? 'in0' : 'in1';
  const origin = which === 'a' ? 'row0' : 'col0';
  const lim = which === 'a' ? 'u.M' : 'u.N';
  const zero = t === 'f32' ? '0.0' : '0';
  const vt = `vec4<${t}>`;
  // global element (mn, k) of this operand, as arguments of read_x / idx_x
  // (the loads read the tiles at depth `kb`)
  const args = (mn: string, k: string): string => (which === 'a' ? `batch, ${origin} + ${mn}, kb + ${k}` : `batch, kb + ${k}, ${origin} + ${mn}`);
  const check = (mn: string, k: string): string => `${origin} + ${mn} < ${lim} && kb + ${k} < u.K`;
  const sv = (k: string, mn: string): string => `${tile}[(${k}) * ${MN / 4}u + (${mn}) / 4u][(${mn}) % 4u]`;
  // loops over the thread's share (arrays indexed by the loop counter: drivers unroll them
  // into registers; fully unrolled source makes some shader compilers very slow)
  const p = `p${which}`;
  const loop = (per: number, body: string): string => `    for (var l = 0u; l < ${per}u; l = l + 1u) {\n      let e = tid + l * ${T}u;\n${body}\n    }`;
  if (vecAlong === null) {
    // scalar loads; the operand's contiguous dimension is unknown: k fastest for A, n for B
    const per = (MN * K) / T;
    const coords = which === 'a' ? `let mn = e / ${K}u; let k = e % ${K}u;` : `let mn = e % ${MN}u; let k = e / ${MN}u;`;
    return {
      decl: `  var ${p}: array<${t}, ${per}>;`,
      load: loop(per, `      ${coords}\n      ${p}[l] = ${zero};\n      if (${check('mn', 'k')}) { ${p}[l] = read_${which}(${args('mn', 'k')}); }`),
      store: loop(per, `      ${coords}\n      ${sv('k', 'mn')} = ${p}[l];`),
    };
  }
  const per = (MN * K) / 4 / T;
  // vectors along m (A) or n (B) are stored whole; vectors along k go to four consecutive k rows
  const coords =
    vecAlong === 'mn' ? `let mn = (e % ${MN / 4}u) * 4u; let k = e / ${MN / 4}u;` : `let mn = e / ${K / 4}u; let k = (e % ${K / 4}u) * 4u;`;
  const put =
    vecAlong === 'mn'
      ? `      ${tile}[k * ${MN / 4}u + mn / 4u] = ${p}[l];`
      : range(4)
          .map((j) => `      ${sv(`k + ${j}u`, 'mn')} = ${p}[l][${j}];`)
          .join('\n');
  return {
    decl: `  var ${p}: array<${vt}, ${per}>;`,
    load: loop(per, `      ${coords}\n      ${p}[l] = ${vt}(${zero});\n      if (${check('mn', 'k')}) { ${p}[l] = ${buf}[idx_${which}(${args('mn', 'k')}) / 4u]; }`),
    store: loop(per, `      ${coords}\n${put}`),
  };
}

/** Records one GEMM dispatch. @internal */
export function runGemm(ctx: GpuContext, g: GemmSpec): void {
  const c = chooseGemmConfig(g.M, g.N, g.batches, ctx.limits);
  const t = g.type;
  const zero = t === 'f32' ? '0.0' : '0';
  const vt = `vec4<${t}>`;
  const fields: UniformField[] = [
    { name: 'M', type: 'u32' },
    { name: 'N', type: 'u32' },
    { name: 'K', type: 'u32' },
    { name: 'batches', type: 'u32' },
    { name: 'boff', type: 'u32' },
    ...g.fields,
  ];
  const TM = c.ty * c.rm;
  const TN = c.tx * c.rn;
  const GM = c.rm / 4; // row groups per thread
  const GN = c.rn / 4; // column groups per thread
  const sa = staging(c, 'a', t, g.vecA === undefined ? null : g.vecA.along === 'k' ? 'k' : 'mn');
  const sb = staging(c, 'b', t, g.vecB === undefined ? null : g.vecB.along === 'k' ? 'k' : 'mn');
  // the thread's rows: group gi covers tile rows gi*4*ty + ty_id*4 + 0..3; columns likewise
  const accDecl = range(c.rm)
    .flatMap((i) => range(GN).map((j) => `  var c${i}_${j}: ${vt} = ${vt}(${zero});`))
    .join('\n');
  const loadA = range(GM).map((gi) => `      let a${gi} = As[kk * ${TM / 4}u + ${gi * c.ty}u + ly];`).join('\n');
  const loadB = range(GN).map((gj) => `      let b${gj} = Bs[kk * ${TN / 4}u + ${gj * c.tx}u + lx];`).join('\n');
  const fma = range(c.rm)
    .flatMap((i) => range(GN).map((j) => `      c${i}_${j} = c${i}_${j} + a${Math.floor(i / 4)}[${i % 4}] * b${j};`))
    .join('\n');
  const stores = range(c.rm)
    .map((i) => {
      const mOff = Math.floor(i / 4) * 4 * c.ty;
      const cols = range(GN)
        .flatMap((j) =>
          range(4).map((q) => `      { let n = col0 + ${j * 4 * c.tx + q}u + lx * 4u; if (n < u.N) { write_c(batch, m, n, c${i}_${j}[${q}]); } }`),
        )
        .join('\n');
      return `  { let m = row0 + ${mOff + (i % 4)}u + ly * 4u;\n    if (m < u.M) {\n${cols}\n    }\n  }`;
    })
    .join('\n');
  // tile coordinates: row by row, or in groups of `group` tile rows (column by column inside)
  const tileCoords =
    c.group === 1
      ? `  let tile_m = wid.y;\n  let tile_n = wid.x;`
      : `  let lin = wid.y * nwg.x + wid.x;
  let per_group = ${c.group}u * nwg.x;
  let first = (lin / per_group) * ${c.group}u;
  let rows_here = min(nwg.y - first, ${c.group}u);
  let in_group = lin % per_group;
  let tile_m = first + in_group % rows_here;
  let tile_n = in_group / rows_here;`;
  const inputTypes = g.inputTypes.map((it, i) => ((i === 0 && g.vecA !== undefined) || (i === 1 && g.vecB !== undefined) ? (`vec4<${it}>` as const) : it));
  const build = () => ({
    inputs: inputTypes,
    outputs: [t],
    uniforms: fields,
    code: `
${g.helpers}
var<workgroup> As: array<${vt}, ${(TM * c.tk) / 4}>;
var<workgroup> Bs: array<${vt}, ${(TN * c.tk) / 4}>;
${g.vecA === undefined ? `fn read_a(batch: u32, m: u32, k: u32) -> ${t} { return ${g.readA}; }` : `fn idx_a(batch: u32, m: u32, k: u32) -> u32 { return ${g.vecA.index}; }`}
${g.vecB === undefined ? `fn read_b(batch: u32, k: u32, n: u32) -> ${t} { return ${g.readB}; }` : `fn idx_b(batch: u32, k: u32, n: u32) -> u32 { return ${g.vecB.index}; }`}
fn write_c(batch: u32, m: u32, n: u32, v: ${t}) { ${g.write} }
@compute @workgroup_size(${c.tx}, ${c.ty}, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let batch = wid.z + u.boff;
${tileCoords}
  let row0 = tile_m * ${TM}u;
  let col0 = tile_n * ${TN}u;
  let lx = lid.x;
  let ly = lid.y;
  let tid = ly * ${c.tx}u + lx;
${accDecl}
${sa.decl}
${sb.decl}
  {
    let kb = 0u;
${sa.load}
${sb.load}
  }
  for (var k0 = 0u; k0 < u.K; k0 = k0 + ${c.tk}u) {
${sa.store}
${sb.store}
    workgroupBarrier();
    if (k0 + ${c.tk}u < u.K) {
      let kb = k0 + ${c.tk}u;
${sa.load}
${sb.load}
    }
    for (var kk = 0u; kk < ${c.tk}u; kk = kk + 1u) {
${loadA}
${loadB}
${fma}
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
      key: `${g.key}:${c.name}`,
      build,
      inputs: g.inputs,
      outputs: [g.output],
      uniforms: [g.M, g.N, g.K, g.batches, b0, ...g.values],
      workgroups: [Math.ceil(g.N / TN), Math.ceil(g.M / TM), Math.min(maxZ, g.batches - b0)],
    });
  }
}
