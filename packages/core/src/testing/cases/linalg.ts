/**
 * Conformance cases for linear algebra: `matmul` under every transpose combination, with
 * batch dimensions that broadcast, odd sizes that cross 64-element blocking boundaries, empty
 * and size-1 dimensions, float32/float64/int32, NaN and infinities, dtype promotion and bad
 * input; `dot` for each rank combination; `outerProduct`. Expected values come from float64
 * loops (`refMatmul` and the helper below).
 *
 * @module
 */
import type { DType } from '../../dtype.js';
import { DTypeError, ShapeError, ValueError } from '../../errors.js';
import { tensor } from '../../ops/creation.js';
import * as ops from '../../ops/linalg.js';
import type { Tensor } from '../../tensor.js';
import type { CaseContext } from '../context.js';
import type { ConformanceCase } from '../index.js';
import { refMatmul, type RefResult } from '../reference.js';

/**
 * A plain float64 product of one pair of matrices (no batch), stored as given: `a` is
 * `[M, K]` (`[K, M]` with `transposeA`), `b` is `[K, N]` (`[N, K]` with `transposeB`). Faster
 * than `refMatmul` for the large sizes, and written independently of it.
 */
function refMatmul2d(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  M: number,
  K: number,
  N: number,
  transposeA: boolean,
  transposeB: boolean,
): RefResult {
  const values = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let p = 0; p < K; p++) {
        const av = transposeA ? a[p * M + i]! : a[i * K + p]!;
        const bv = transposeB ? b[j * K + p]! : b[p * N + j]!;
        s += av * bv;
      }
      values[i * N + j] = s;
    }
  }
  return { values, shape: [M, N] };
}

/** Stored shapes of a and b for a product of M×K by K×N under the transposes. */
function storedShapes(M: number, K: number, N: number, tA: boolean, tB: boolean): [number[], number[]] {
  return [tA ? [K, M] : [M, K], tB ? [N, K] : [K, N]];
}

const TRANSPOSES: readonly [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

/** [M, K, N]: size-1 dims, odd sizes, and sizes on both sides of the 64 blocking boundary. */
const SIZES: readonly [number, number, number][] = [
  [1, 1, 1],
  [2, 3, 4],
  [1, 7, 1],
  [7, 1, 7],
  [1, 5, 9],
  [9, 5, 1],
  [7, 33, 5],
  [33, 65, 17],
  [65, 7, 66],
  [64, 64, 64],
  [70, 129, 67],
];

function tol(dtype: DType): { rtol?: number; atol?: number } {
  // float32 results are rounded once; sums of up to 129 products need a little absolute slack
  return dtype === 'float32' ? { rtol: 2e-5, atol: 1e-5 } : {};
}

async function check2d(ctx: CaseContext, dtype: DType, M: number, K: number, N: number, tA: boolean, tB: boolean): Promise<void> {
  const [sa, sb] = storedShapes(M, K, N, tA, tB);
  const [a, va] = ctx.random(sa, dtype);
  const [b, vb] = ctx.random(sb, dtype);
  const r = refMatmul2d(va, vb, M, K, N, tA, tB);
  try {
    await ctx.expectClose(ops.matmul(a, b, { transposeA: tA, transposeB: tB }), { shape: r.shape, dtype, values: r.values }, tol(dtype));
  } catch (e) {
    throw new Error(`M=${M} K=${K} N=${N} transposeA=${tA} transposeB=${tB}: ${(e as Error).message}`);
  }
}

/** Batched shapes: [a (untransposed), b (untransposed)]; batch dims broadcast. */
const BATCHES: readonly [readonly number[], readonly number[]][] = [
  [[3, 2, 4], [3, 4, 5]],
  [[3, 2, 4], [4, 5]],
  [[2, 4], [3, 4, 5]],
  [[2, 3, 2, 4], [4, 5]],
  [[2, 1, 3, 4], [5, 4, 6]],
  [[1, 3, 4], [2, 4, 5]],
  [[4, 1, 2, 3], [1, 5, 3, 2]],
  [[3, 5, 4], [1, 4, 6]],
  [[2, 2, 7, 3], [1, 1, 3, 7]],
  [[1, 1, 2, 3], [3, 4]],
  [[0, 2, 3], [3, 4]],
  [[2, 3], [0, 3, 4]],
];

/** Swaps the last two dims of a shape and permutes values accordingly. */
function transposeLast(values: ArrayLike<number>, shape: readonly number[]): [Float64Array, number[]] {
  const r = shape.length;
  const R = shape[r - 2]!;
  const C = shape[r - 1]!;
  const batch = values.length / (R * C) || 0;
  const out = new Float64Array(values.length);
  for (let bi = 0; bi < batch; bi++) {
    for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) out[bi * R * C + j * R + i] = values[bi * R * C + i * C + j]!;
  }
  return [out, [...shape.slice(0, -2), C, R]];
}

function matmulCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const dtype of ['float32', 'float64', 'int32'] as const) {
    for (const [tA, tB] of TRANSPOSES) {
      out.push({
        op: 'matmul',
        name: `${dtype}, transposeA=${tA}, transposeB=${tB}: sizes 1, 7, 33, 64, 65, 129`,
        dtypes: [dtype],
        run: async (ctx) => {
          for (const [M, K, N] of SIZES) await check2d(ctx, dtype, M, K, N, tA, tB);
        },
      });
      out.push({
        op: 'matmul',
        name: `${dtype}, transposeA=${tA}, transposeB=${tB}: batch dims broadcast`,
        dtypes: [dtype],
        run: async (ctx) => {
          for (const [sa, sb] of BATCHES) {
            const va0 = ctx.values(sa, dtype);
            const vb0 = ctx.values(sb, dtype);
            const [va, storedA] = tA ? transposeLast(va0, sa) : [va0, [...sa]];
            const [vb, storedB] = tB ? transposeLast(vb0, sb) : [vb0, [...sb]];
            const r = refMatmul(va0, sa, vb0, sb);
            const a = ctx.tensor(va, storedA, dtype);
            const b = ctx.tensor(vb, storedB, dtype);
            try {
              await ctx.expectClose(ops.matmul(a, b, { transposeA: tA, transposeB: tB }), { shape: r.shape, dtype, values: r.values }, tol(dtype));
            } catch (e) {
              throw new Error(`a [${storedA.join(',')}], b [${storedB.join(',')}]: ${(e as Error).message}`);
            }
          }
        },
      });
    }
  }
  out.push({
    op: 'matmul',
    name: 'empty dims: K = 0 gives zeros, M = 0 and N = 0 give empty results',
    run: async (ctx) => {
      for (const [tA, tB] of TRANSPOSES) {
        for (const [M, K, N] of [
          [3, 0, 4],
          [0, 3, 4],
          [3, 4, 0],
          [0, 0, 0],
          [2, 0, 1],
        ] as const) {
          const [sa, sb] = storedShapes(M, K, N, tA, tB);
          const [a, va] = ctx.random(sa, 'float32');
          const [b, vb] = ctx.random(sb, 'float32');
          const r = refMatmul2d(va, vb, M, K, N, tA, tB);
          const got = ops.matmul(a, b, { transposeA: tA, transposeB: tB });
          await ctx.expectClose(got, { shape: [M, N], dtype: 'float32', values: r.values });
        }
      }
      const z = ops.matmul(tensor([], [2, 3, 0]), tensor([], [0, 5]));
      await ctx.expectClose(z, { shape: [2, 3, 5], dtype: 'float32', values: new Float64Array(30) });
    },
  });
  out.push({
    op: 'matmul',
    name: 'NaN and infinities propagate (0 * Infinity is NaN)',
    run: async (ctx) => {
      const a = [1, NaN, 0, 1, Infinity, 0, 2, 3, 1];
      const b = [1, 2, 3, 4, 5, 6, 7, 8, 9];
      for (const [tA, tB] of TRANSPOSES) {
        const r = refMatmul2d(a, b, 3, 3, 3, tA, tB);
        await ctx.expectClose(ops.matmul(tensor(a, [3, 3]), tensor(b, [3, 3]), { transposeA: tA, transposeB: tB }), {
          shape: [3, 3],
          dtype: 'float32',
          values: r.values,
        });
      }
      // an infinity times a zero in the other operand gives NaN, not 0
      await ctx.expectClose(ops.matmul(tensor([Infinity, 1], [1, 2]), tensor([0, 1, 1, 1], [2, 2])), {
        shape: [1, 2],
        dtype: 'float32',
        values: [NaN, Infinity],
      });
    },
  });
  out.push({
    op: 'matmul',
    name: 'hand-computed product',
    run: async (ctx) => {
      const a = tensor([[1, 2, 3], [4, 5, 6]]);
      const b = tensor([[7, 8], [9, 10], [11, 12]]);
      await ctx.expectClose(ops.matmul(a, b), { shape: [2, 2], dtype: 'float32', values: [58, 64, 139, 154] });
      await ctx.expectClose(ops.matmul(b, a, { transposeA: true, transposeB: true }), { shape: [2, 2], dtype: 'float32', values: [58, 139, 64, 154] });
    },
  });
  out.push({
    op: 'matmul',
    name: 'mixed dtypes promote; int32 products wrap like int32',
    dtypes: ['int32', 'float64'],
    run: async (ctx) => {
      const ai = tensor([1, 2, 3, 4], [2, 2], 'int32');
      const bf = tensor([0.5, 1, 1.5, 2], [2, 2], 'float32');
      await ctx.expectClose(ops.matmul(ai, bf), { shape: [2, 2], dtype: 'float32', values: [3.5, 5, 7.5, 11] });
      const bd = tensor([0.5, 1, 1.5, 2], [2, 2], 'float64');
      await ctx.expectClose(ops.matmul(bd, ai), { shape: [2, 2], dtype: 'float64', values: [3.5, 5, 7.5, 11] });
      // 65536 * 65536 = 2^32 wraps to 0; 65536 * 32768 + 65536 * 32768 = 2^32 wraps to 0
      const big = tensor([65536, 65536], [1, 2], 'int32');
      await ctx.expectClose(ops.matmul(big, tensor([65536, 32768, 0, 32768], [2, 2], 'int32')), { shape: [1, 2], dtype: 'int32', values: [0, 0] });
    },
  });
  out.push({
    op: 'matmul',
    name: 'rejects rank < 2, inner and batch mismatches (ShapeError)',
    run: (ctx) => {
      const z = (shape: number[]): Tensor => tensor(new Array<number>(shape.reduce((p, d) => p * d, 1)).fill(1), shape);
      ctx.expectThrows(() => ops.matmul(z([3]), z([3, 2])), ShapeError, /matmul: a has rank 1 \(shape \[3\]\).*rank >= 2.*dot\(\)/);
      ctx.expectThrows(() => ops.matmul(z([2, 3]), z([3])), ShapeError, /matmul: b has rank 1 \(shape \[3\]\).*dot\(\)/);
      ctx.expectThrows(() => ops.matmul(tensor(2), z([2, 2])), ShapeError, /matmul: a has rank 0/);
      ctx.expectThrows(
        () => ops.matmul(z([2, 3]), z([4, 5])),
        ShapeError,
        /^matmul: inner dimensions differ: a is \[2,3\], b is \[4,5\] \(a's last must equal b's first\)$/,
      );
      ctx.expectThrows(
        () => ops.matmul(z([2, 3]), z([3, 3]), { transposeB: false, transposeA: true }),
        ShapeError,
        /matmul: inner dimensions differ: a is \[2,3\], b is \[3,3\] with transposeA \(a's first must equal b's first\)/,
      );
      ctx.expectThrows(
        () => ops.matmul(z([2, 3]), z([4, 2]), { transposeB: true }),
        ShapeError,
        /matmul: inner dimensions differ: a is \[2,3\], b is \[4,2\] with transposeB \(a's last must equal b's last\)/,
      );
      ctx.expectThrows(
        () => ops.matmul(z([5, 2, 3]), z([5, 4, 3]), { transposeA: true, transposeB: true }),
        ShapeError,
        /with transposeA and transposeB \(a's second-to-last must equal b's last\)/,
      );
      ctx.expectThrows(
        () => ops.matmul(z([2, 2, 3]), z([3, 3, 4])),
        ShapeError,
        /matmul: batch dimensions \[2\] and \[3\] cannot be broadcast together \(a is \[2,2,3\], b is \[3,3,4\]/,
      );
    },
  });
  out.push({
    op: 'matmul',
    name: 'rejects bool (DTypeError) and bad options (ValueError)',
    run: (ctx) => {
      const b = tensor([true, false, true, false], [2, 2]);
      ctx.expectThrows(() => ops.matmul(b, b), DTypeError, /matmul: bool tensors are not supported/);
      const x = tensor([1, 2, 3, 4], [2, 2]);
      ctx.expectThrows(() => ops.matmul(x, x, { transposeA: 1 as unknown as boolean }), ValueError, /matmul: transposeA must be a boolean/);
      ctx.expectThrows(() => ops.matmul(x, x, { transpose_a: true } as unknown as ops.MatmulOptions), ValueError, /matmul: unknown option 'transpose_a'/);
    },
  });
  return out;
}

function dotCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const dtype of ['float32', 'float64', 'int32'] as const) {
    out.push({
      op: 'dot',
      name: `${dtype}: vector·vector, matrix·vector, vector·matrix, matrix·matrix`,
      dtypes: [dtype],
      run: async (ctx) => {
        for (const [sa, sb, outShape] of [
          [[7], [7], []],
          [[65], [65], []],
          [[1], [1], []],
          [[0], [0], []],
          [[3, 7], [7], [3]],
          [[7], [7, 4], [4]],
          [[3, 7], [7, 4], [3, 4]],
          [[0, 3], [3], [0]],
          [[3], [3, 0], [0]],
          [[2, 0], [0], [2]],
        ] as const) {
          const [a, va] = ctx.random(sa, dtype);
          const [b, vb] = ctx.random(sb, dtype);
          const M = sa.length === 2 ? sa[0]! : 1;
          const K = sa[sa.length - 1]!;
          const N = sb.length === 2 ? sb[1]! : 1;
          const r = refMatmul2d(va, vb, M, K, N, false, false);
          try {
            await ctx.expectClose(ops.dot(a, b), { shape: outShape, dtype, values: r.values }, tol(dtype));
          } catch (e) {
            throw new Error(`a [${sa.join(',')}], b [${sb.join(',')}]: ${(e as Error).message}`);
          }
        }
      },
    });
  }
  out.push({
    op: 'dot',
    name: 'hand-computed values; int32 with float32 promotes',
    dtypes: ['int32'],
    run: async (ctx) => {
      await ctx.expectClose(ops.dot(tensor([1, 2]), tensor([3, 4])), { shape: [], dtype: 'float32', values: [11] });
      await ctx.expectClose(ops.dot(tensor([[1, 2], [3, 4]]), tensor([1, 1])), { shape: [2], dtype: 'float32', values: [3, 7] });
      await ctx.expectClose(ops.dot(tensor([1, 2], [2], 'int32'), tensor([0.5, 0.25])), { shape: [], dtype: 'float32', values: [1] });
    },
  });
  out.push({
    op: 'dot',
    name: 'rejects ranks other than 1 and 2, mismatched lengths (ShapeError) and bool (DTypeError)',
    run: (ctx) => {
      const z = (shape: number[]): Tensor => tensor(new Array<number>(shape.reduce((p, d) => p * d, 1)).fill(1), shape);
      ctx.expectThrows(() => ops.dot(z([2, 2, 2]), z([2])), ShapeError, /dot: a has rank 3 \(shape \[2,2,2\]\).*rank 1 or 2.*matmul/);
      ctx.expectThrows(() => ops.dot(tensor(1), z([2])), ShapeError, /dot: a has rank 0/);
      ctx.expectThrows(() => ops.dot(z([3]), z([4])), ShapeError, /^dot: inner dimensions differ: a is \[3\], b is \[4\] \(a's last must equal b's first\)$/);
      ctx.expectThrows(() => ops.dot(z([2, 3]), z([2, 3])), ShapeError, /dot: inner dimensions differ: a is \[2,3\], b is \[2,3\]/);
      ctx.expectThrows(() => ops.dot(tensor([true]), tensor([true])), DTypeError, /dot: bool tensors are not supported/);
    },
  });
  return out;
}

function outerCases(): ConformanceCase[] {
  const ref = (va: ArrayLike<number>, vb: ArrayLike<number>): number[] => {
    const out: number[] = [];
    for (let i = 0; i < va.length; i++) for (let j = 0; j < vb.length; j++) out.push(va[i]! * vb[j]!);
    return out;
  };
  return [
    ...(['float32', 'float64', 'int32'] as const).map(
      (dtype): ConformanceCase => ({
        op: 'outerProduct',
        name: `${dtype}: random, size-1 and empty vectors`,
        dtypes: [dtype],
        run: async (ctx) => {
          for (const [n, m] of [
            [3, 4],
            [1, 7],
            [65, 1],
            [0, 3],
            [3, 0],
          ] as const) {
            const [a, va] = ctx.random([n], dtype);
            const [b, vb] = ctx.random([m], dtype);
            await ctx.expectClose(ops.outerProduct(a, b), { shape: [n, m], dtype, values: ref(va, vb) });
          }
        },
      }),
    ),
    {
      op: 'outerProduct',
      name: 'hand-computed values, NaN, promotion of int32 and bool',
      dtypes: ['int32'],
      run: async (ctx) => {
        await ctx.expectClose(ops.outerProduct(tensor([1, 2]), tensor([3, 4])), { shape: [2, 2], dtype: 'float32', values: [3, 4, 6, 8] });
        await ctx.expectClose(ops.outerProduct(tensor([NaN, 1]), tensor([2])), { shape: [2, 1], dtype: 'float32', values: [NaN, 2] });
        await ctx.expectClose(ops.outerProduct(tensor([1, 2], [2], 'int32'), tensor([0.5])), { shape: [2, 1], dtype: 'float32', values: [0.5, 1] });
        await ctx.expectClose(ops.outerProduct(tensor([true, false]), tensor([true, true])), { shape: [2, 2], dtype: 'int32', values: [1, 1, 0, 0] });
      },
    },
    {
      op: 'outerProduct',
      name: 'rejects non-vectors (ShapeError)',
      run: (ctx) => {
        ctx.expectThrows(() => ops.outerProduct(tensor([[1, 2]]), tensor([1])), ShapeError, /outerProduct: a has rank 2 \(shape \[1,2\]\); it must be a vector/);
        ctx.expectThrows(() => ops.outerProduct(tensor([1]), tensor(2)), ShapeError, /outerProduct: b has rank 0/);
      },
    },
  ];
}

/** Conformance cases for linalg ops. */
/** Adds a bias that broadcasts (right-aligned) to `shape`, then applies the activation, in float64. */
function refBiasActivation(
  values: Float64Array,
  shape: readonly number[],
  bias: ArrayLike<number> | null,
  biasShape: readonly number[],
  activation: string,
): Float64Array {
  const r = shape.length;
  const out = new Float64Array(values.length);
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < values.length; i++) {
    let rem = i;
    for (let d = r - 1; d >= 0; d--) {
      idx[d] = rem % shape[d]!;
      rem = Math.floor(rem / shape[d]!);
    }
    let v = values[i]!;
    if (bias !== null) {
      let bi = 0;
      const off = r - biasShape.length;
      for (let d = 0; d < biasShape.length; d++) bi = bi * biasShape[d]! + (biasShape[d] === 1 ? 0 : idx[d + off]!);
      v += bias[bi]!;
    }
    if (activation === 'relu') v = v > 0 ? v : v === 0 || v < 0 ? 0 : v;
    else if (activation === 'sigmoid') v = 1 / (1 + Math.exp(-v));
    else if (activation === 'tanh') v = Math.tanh(v);
    out[i] = v;
  }
  return out;
}

const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh'] as const;

function fusedMatmulCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const dtype of ['float32', 'float64'] as const) {
    for (const activation of ACTIVATIONS) {
      out.push({
        op: 'fusedMatmul',
        name: `${dtype}, activation=${activation}: every transpose, odd sizes, bias [N], [M, N], [M, 1] and none`,
        dtypes: [dtype],
        run: async (ctx) => {
          for (const [tA, tB] of TRANSPOSES) {
            for (const [M, K, N] of [
              [1, 1, 1],
              [2, 3, 4],
              [7, 33, 5],
              [33, 65, 17],
              [65, 7, 66],
            ] as const) {
              for (const biasShape of [[N], [M, N], [M, 1], null] as const) {
                const [sa, sb] = storedShapes(M, K, N, tA, tB);
                const [a, va] = ctx.random(sa, dtype);
                const [b, vb] = ctx.random(sb, dtype);
                const r = refMatmul2d(va, vb, M, K, N, tA, tB);
                let bias: Tensor | undefined;
                let vbias: ArrayLike<number> | null = null;
                if (biasShape !== null) [bias, vbias] = ctx.random(biasShape, dtype);
                const want = refBiasActivation(r.values, r.shape, vbias, biasShape ?? [], activation);
                const got = ops.fusedMatmul(a, b, {
                  transposeA: tA,
                  transposeB: tB,
                  ...(bias !== undefined ? { bias } : {}),
                  activation,
                });
                try {
                  await ctx.expectClose(got, { shape: [M, N], dtype, values: want }, tol(dtype));
                } catch (e) {
                  throw new Error(
                    `M=${M} K=${K} N=${N} transposeA=${tA} transposeB=${tB} bias=${biasShape === null ? 'none' : `[${biasShape.join(',')}]`}: ${(e as Error).message}`,
                  );
                }
              }
            }
          }
        },
      });
    }
  }
  out.push({
    op: 'fusedMatmul',
    name: 'batch dims broadcast, bias with batch dims, empty dims',
    run: async (ctx) => {
      for (const [sa, sb, sbias] of [
        [[3, 2, 4], [4, 5], [5]],
        [[2, 4], [3, 4, 5], [3, 1, 5]],
        [[2, 1, 3, 4], [5, 4, 6], [1, 5, 3, 6]],
        [[0, 2, 3], [3, 4], [4]],
        [[2, 0], [0, 3], [2, 3]],
      ] as const) {
        const [a, va] = ctx.random(sa, 'float32');
        const [b, vb] = ctx.random(sb, 'float32');
        const [bias, vbias] = ctx.random(sbias, 'float32');
        const r = refMatmul(va, sa, vb, sb);
        const want = refBiasActivation(r.values, r.shape, vbias, sbias, 'relu');
        await ctx.expectClose(ops.fusedMatmul(a, b, { bias, activation: 'relu' }), { shape: r.shape, dtype: 'float32', values: want }, tol('float32'));
      }
    },
  });
  out.push({
    op: 'fusedMatmul',
    name: 'int32 stays int32 for linear and relu; sigmoid computes in float32; a float bias promotes',
    dtypes: ['int32', 'float32'],
    run: async (ctx) => {
      const a = tensor([1, -2, 3, 4], [2, 2], 'int32');
      const b = tensor([2, 0, -1, 1], [2, 2], 'int32');
      // a @ b = [[4, -2], [2, 4]]
      await ctx.expectClose(ops.fusedMatmul(a, b, { bias: tensor([1, -3], [2], 'int32'), activation: 'relu' }), {
        shape: [2, 2],
        dtype: 'int32',
        values: [5, 0, 3, 1],
      });
      const s = 1 / (1 + Math.exp(-4));
      await ctx.expectClose(ops.fusedMatmul(a, b, { activation: 'sigmoid' }), {
        shape: [2, 2],
        dtype: 'float32',
        values: [s, 1 / (1 + Math.exp(2)), 1 / (1 + Math.exp(-2)), s],
      });
      await ctx.expectClose(ops.fusedMatmul(a, b, { bias: tensor([0.5, 0.25]) }), {
        shape: [2, 2],
        dtype: 'float32',
        values: [4.5, -1.75, 2.5, 4.25],
      });
    },
  });
  out.push({
    op: 'fusedMatmul',
    name: 'NaN and infinities propagate through bias and activation',
    run: async (ctx) => {
      const a = tensor([1, 2, 3, 4], [2, 2]);
      const b = tensor([1, 0, 0, 1], [2, 2]);
      // a @ b = a; + bias [[NaN, 1], [Infinity, -Infinity]]
      const bias = tensor([NaN, 1, Infinity, -Infinity], [2, 2]);
      await ctx.expectClose(ops.fusedMatmul(a, b, { bias, activation: 'relu' }), {
        shape: [2, 2],
        dtype: 'float32',
        values: [NaN, 3, Infinity, 0],
      });
      await ctx.expectClose(ops.fusedMatmul(a, b, { bias, activation: 'tanh' }), {
        shape: [2, 2],
        dtype: 'float32',
        values: [NaN, Math.tanh(3), 1, -1],
      });
      await ctx.expectClose(ops.fusedMatmul(a, b, { bias, activation: 'sigmoid' }), {
        shape: [2, 2],
        dtype: 'float32',
        values: [NaN, 1 / (1 + Math.exp(-3)), 1, 0],
      });
      const an = tensor([NaN, 1, 2, 3], [2, 2]);
      // NaN in a reaches exactly row 0
      await ctx.expectClose(ops.fusedMatmul(an, b, { bias: tensor([1, 1]), activation: 'relu' }), {
        shape: [2, 2],
        dtype: 'float32',
        values: [NaN, NaN, 3, 4],
      });
    },
  });
  out.push({
    op: 'fusedMatmul',
    name: 'bad input: shapes, bias that grows the output, bool, unknown activation and options',
    run: (ctx) => {
      const z = (shape: number[]): Tensor => tensor(new Array<number>(shape.reduce((p, d) => p * d, 1)).fill(1), shape);
      ctx.expectThrows(() => ops.fusedMatmul(z([2, 3]), z([4, 5])), ShapeError, /^fusedMatmul: inner dimensions differ: a is \[2,3\], b is \[4,5\]/);
      ctx.expectThrows(() => ops.fusedMatmul(z([3]), z([3, 2])), ShapeError, /fusedMatmul: a has rank 1/);
      ctx.expectThrows(
        () => ops.fusedMatmul(z([2, 3]), z([3, 4]), { bias: z([3]) }),
        ShapeError,
        /fusedMatmul: shapes \[2,4\] and \[3\] cannot be broadcast together/,
      );
      ctx.expectThrows(
        () => ops.fusedMatmul(z([2, 3]), z([3, 4]), { bias: z([5, 2, 4]) }),
        ShapeError,
        /fusedMatmul: bias of shape \[5,2,4\] does not broadcast to the product's shape \[2,4\]/,
      );
      const bt = tensor([true, false, true, false], [2, 2]);
      ctx.expectThrows(() => ops.fusedMatmul(bt, bt), DTypeError, /fusedMatmul: bool tensors are not supported/);
      ctx.expectThrows(() => ops.fusedMatmul(z([2, 2]), z([2, 2]), { bias: bt }), DTypeError, /fusedMatmul: bias is a bool tensor/);
      ctx.expectThrows(
        () => ops.fusedMatmul(z([2, 2]), z([2, 2]), { activation: 'gelu' as unknown as ops.FusedActivation }),
        ValueError,
        /fusedMatmul: unknown activation 'gelu' \(valid: linear, relu, sigmoid, tanh\)/,
      );
      ctx.expectThrows(() => ops.fusedMatmul(z([2, 2]), z([2, 2]), { transposeB: 'yes' as unknown as boolean }), ValueError, /fusedMatmul: transposeB must be a boolean/);
      ctx.expectThrows(
        () => ops.fusedMatmul(z([2, 2]), z([2, 2]), { act: 'relu' } as unknown as ops.FusedMatmulOptions),
        ValueError,
        /fusedMatmul: unknown option 'act'/,
      );
    },
  });
  return out;
}

export const linalgCases: readonly ConformanceCase[] = [...matmulCases(), ...dotCases(), ...outerCases(), ...fusedMatmulCases()];
