/**
 * The WebAssembly elementwise, reduction, softmax and optimizer-update kernels against float64
 * references (exact where float32 arithmetic is exact, within a few ulps for exp, log, tanh and
 * sigmoid), on sizes above and below the WebAssembly threshold, with broadcast rows, columns
 * and scalars, odd lengths (SIMD tails), NaN, infinities, signed zeros and subnormals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  abs,
  add,
  equal,
  greater,
  greaterEqual,
  less,
  lessEqual,
  maxPool,
  maxPoolGrad,
  notEqual,
  where,
  ceil,
  div,
  exp,
  floor,
  log,
  logSoftmax,
  max,
  maximum,
  min,
  minimum,
  mul,
  neg,
  relu,
  round,
  scope,
  setBackend,
  sigmoid,
  softmax,
  sqrt,
  square,
  squaredDifference,
  sub,
  sum,
  tanh,
  tensor,
  type Backend,
  type DataId,
  type Tensor,
} from '@tessera/core';
import { createCpuBackend, type CpuBackend } from '../src/index.js';
import { KERNEL_EXPORTS } from '../src/wasm/module.js';
import { acquireRuntime, releaseRuntime } from '../src/wasm/runtime.js';
import { rng, same } from './random.js';

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 1.5, -2.5, 0.5, 88.7, 89, -87.5, -104, -110, 0.624, -0.626, 1e4, -1e4, 3.4e38];

/** Random float32 values in [lo, hi) with the special values sprinkled in. */
function values(n: number, r: () => number, lo = -4, hi = 4, specials = true): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * r();
  if (specials) for (let i = 0; i < SPECIALS.length && i * 7 < n; i++) v[(i * 7919) % n] = SPECIALS[i]!;
  return v;
}

const backends: Record<string, CpuBackend> = {};
beforeAll(async () => {
  backends['threads 1'] = await createCpuBackend({ threads: 1 });
  backends['threads 2'] = await createCpuBackend({ threads: 2 });
  backends['typescript'] = await createCpuBackend({ wasm: false });
});
afterAll(() => {
  for (const b of Object.values(backends)) b.dispose();
});

const FAST = ['threads 1', 'threads 2'] as const;

async function on(name: string, fn: () => Tensor): Promise<Float32Array> {
  setBackend(backends[name]!);
  return scope(async () => (await fn().data()) as Float32Array);
}

function expectExact(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!same(got[i]!, want[i]!) && !(got[i] === 0 && want[i] === 0)) throw new Error(`${what}: element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

/** |got - want| <= rtol |want| + atol, NaN and infinities matching exactly. */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, what: string, input?: ArrayLike<number>): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    const ok = w !== w ? g !== g : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= rtol * Math.abs(w) + atol;
    if (!ok) throw new Error(`${what}: element ${i}${input ? ` (x = ${input[i]})` : ''}: got ${g}, want ${w}`);
  }
}

const f = Math.fround;

describe('binary ops with broadcasting', () => {
  const ops: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number][] = [
    ['add', add, (x, y) => x + y],
    ['sub', sub, (x, y) => x - y],
    ['mul', mul, (x, y) => x * y],
    ['div', div, (x, y) => x / y],
    ['maximum', maximum, (x, y) => Math.max(x, y)],
    ['minimum', minimum, (x, y) => Math.min(x, y)],
    ['squaredDifference', squaredDifference, (x, y) => f(x - y) * f(x - y)],
  ];
  const shapes: [number[], number[]][] = [
    [[3001], [3001]],
    [[37, 129], [129]],
    [[37, 129], [37, 1]],
    [[129], [37, 129]],
    [[2, 1, 700], [2, 700]],
    [[5003], []],
    [[], [4099]],
    [[8, 16, 33], [16, 33]],
    [[1, 2053], [1, 1]],
    [[7], [7]],
    // short rows with a broadcast row (bias over NHWC channels): rows merged and the row tiled
    [[64, 7, 7, 8], [8]],
    [[8], [64, 7, 7, 8]],
    [[1000, 6], [6]],
    [[1021, 3], [3]],
  ];
  for (const [name, op, ref] of ops) {
    it(`${name}: exact float32 results on every broadcast pattern`, async () => {
      const r = rng(name.length * 101);
      for (const [sa, sb] of shapes) {
        const na = sa.reduce((x, y) => x * y, 1);
        const nb = sb.reduce((x, y) => x * y, 1);
        const a = values(na, r);
        const b = values(nb, r, -3, 3, nb > 50);
        if (name === 'div') for (let i = 0; i < nb; i += 13) b[i] = 0;
        // float64 reference over the broadcast output
        const rank = Math.max(sa.length, sb.length);
        const out = Array.from({ length: rank }, (_, d) => Math.max(sa[d - rank + sa.length] ?? 1, sb[d - rank + sb.length] ?? 1));
        const n = out.reduce((x, y) => x * y, 1);
        const want = new Float32Array(n);
        const idx = (shape: number[], flat: number): number => {
          let off = 0;
          let stride = 1;
          let rem = flat;
          const coords = out.map(() => 0);
          for (let d = rank - 1; d >= 0; d--) {
            coords[d] = rem % out[d]!;
            rem = Math.floor(rem / out[d]!);
          }
          for (let d = shape.length - 1; d >= 0; d--) {
            const c = shape[d] === 1 ? 0 : coords[d + rank - shape.length]!;
            off += c * stride;
            stride *= shape[d]!;
          }
          return off;
        };
        for (let i = 0; i < n; i++) want[i] = ref(a[idx(sa, i)]!, b[idx(sb, i)]!);
        for (const be of [...FAST, 'typescript']) {
          expectExact(await on(be, () => op(tensor(a, sa), tensor(b, sb))), want, `${be}: ${name} [${sa}] [${sb}]`);
        }
      }
    });
  }
});

describe('comparisons and where', () => {
  const ops: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => boolean][] = [
    ['equal', equal, (x, y) => x === y],
    ['notEqual', notEqual, (x, y) => x !== y],
    ['less', less, (x, y) => x < y],
    ['lessEqual', lessEqual, (x, y) => x <= y],
    ['greater', greater, (x, y) => x > y],
    ['greaterEqual', greaterEqual, (x, y) => x >= y],
  ];
  for (const [name, op, ref] of ops) {
    it(`${name}: bool results with NaN, equal pairs, broadcast rows and scalars`, async () => {
      const r = rng(name.length * 5);
      for (const [sa, sb] of [
        [[4099], [4099]],
        [[33, 130], [130]],
        [[2051], []],
        [[], [1500]],
      ] as [number[], number[]][]) {
        const na = sa.reduce((x, y) => x * y, 1);
        const nb = sb.reduce((x, y) => x * y, 1);
        const a = Float32Array.from(values(na, r, -2, 2), (v) => Math.round(v * 2) / 2);
        const b = Float32Array.from(values(nb, r, -2, 2, nb > 50), (v) => Math.round(v * 2) / 2);
        const n = Math.max(na, nb);
        const want = Array.from({ length: n }, (_, i) => (ref(a[na === n ? i : i % na]!, b[nb === n ? i : i % nb]!) ? 1 : 0));
        for (const be of [...FAST, 'typescript']) {
          setBackend(backends[be]!);
          const got = await scope(async () => Array.from(await op(tensor(a, sa), tensor(b, sb)).data()));
          expect(got, `${be}: ${name} [${sa}] [${sb}]`).toEqual(want);
        }
      }
    });
  }

  it('where with a full or scalar branch selects exactly', async () => {
    const r = rng(77);
    for (const n of [1029, 70001]) {
      const c = Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
      const a = values(n, r);
      const b = values(n, r);
      for (const [aFull, bFull] of [
        [true, true],
        [true, false],
        [false, true],
      ] as const) {
        const want = Float32Array.from({ length: n }, (_, i) => (c[i] ? (aFull ? a[i]! : a[0]!) : bFull ? b[i]! : b[0]!));
        for (const be of [...FAST, 'typescript']) {
          const got = await on(be, () => where(tensor(c, [n], 'bool'), aFull ? tensor(a, [n]) : tensor(a[0]!), bFull ? tensor(b, [n]) : tensor(b[0]!)));
          expectExact(got, want, `${be}: where n=${n} a ${aFull ? 'full' : 'scalar'} b ${bFull ? 'full' : 'scalar'}`);
        }
      }
    }
  });
});

describe('unary ops', () => {
  const ops: [string, (x: Tensor) => Tensor, (x: number) => number, number][] = [
    ['neg', neg, (x) => -x, 0],
    ['abs', abs, Math.abs, 0],
    ['sqrt', sqrt, Math.sqrt, 0],
    ['floor', floor, Math.floor, 0],
    ['ceil', ceil, Math.ceil, 0],
    ['round', round, (x) => (Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x)), 0],
    ['relu', relu, (x) => (x <= 0 ? 0 : x), 0],
    ['square', square, (x) => x * x, 0],
    ['exp', exp, Math.exp, 3e-7],
    ['log', log, Math.log, 3e-7],
    ['tanh', tanh, Math.tanh, 6e-7],
    ['sigmoid', sigmoid, (x) => 1 / (1 + Math.exp(-x)), 6e-7],
  ];
  for (const [name, op, ref, rtol] of ops) {
    it(`${name}: float64 reference (${rtol === 0 ? 'exact' : `rtol ${rtol}`}), specials, odd lengths`, async () => {
      const r = rng(name.length * 7 + 3);
      for (const n of [1029, 4096, 70001, 5]) {
        const lo = name === 'exp' || name === 'sigmoid' ? -110 : name === 'log' || name === 'sqrt' ? 0 : -20;
        const x = values(n, r, lo, name === 'exp' ? 90 : 20);
        if (name === 'log') for (let i = 0; i < n; i += 97) x[i] = f(Math.exp(-90 + 180 * r()));
        const want = Float32Array.from(x, (v) => ref(v));
        for (const be of [...FAST, 'typescript']) {
          const got = await on(be, () => op(tensor(x, [n])));
          if (rtol === 0) expectExact(got, want, `${be}: ${name} n=${n}`);
          // results in the subnormal range may be off by a few of the smallest subnormals
          else expectClose(got, want, rtol, 1e-44, `${be}: ${name} n=${n}`, x);
        }
      }
    });
  }
});

describe('reductions', () => {
  const cases: [number[], number[]][] = [
    [[3001], [0]],
    [[50, 301], [1]],
    [[50, 301], [0]],
    [[4, 30, 20], [1, 2]],
    [[4, 30, 20], [0, 1]],
    [[4, 30, 20], [0, 2]],
    [[1, 1100, 1], [1]],
    [[2100, 3], [0]],
    [[40, 5000], [0]],
    [[3, 30000], [1]],
  ];
  const ops: [string, (x: Tensor, axes: number[]) => Tensor, (vals: number[]) => number][] = [
    ['sum', (x, a) => sum(x, a), (v) => f(v.reduce((s, y) => s + y, 0))],
    ['max', (x, a) => max(x, a), (v) => v.reduce((m, y) => (y > m || y !== y ? y : m), -Infinity)],
    ['min', (x, a) => min(x, a), (v) => v.reduce((m, y) => (y < m || y !== y ? y : m), Infinity)],
  ];
  for (const [name, op, ref] of ops) {
    it(`${name}: leading and trailing axes, NaN rows`, async () => {
      const r = rng(name.length * 13);
      for (const [shape, axes] of cases) {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = values(n, r, -5, 5, false);
        x[17] = NaN;
        const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
        const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
        const outN = kept.reduce((a, d) => a * shape[d]!, 1);
        const groups: number[][] = Array.from({ length: outN }, () => []);
        for (let i = 0; i < n; i++) {
          let o = 0;
          for (const d of kept) o = o * shape[d]! + (Math.floor(i / strides[d]!) % shape[d]!);
          groups[o]!.push(x[i]!);
        }
        const want = groups.map(ref);
        for (const be of [...FAST, 'typescript']) {
          const got = await on(be, () => op(tensor(x, shape), axes));
          if (name === 'sum') expectClose(got, want, 2e-7, 1e-6, `${be}: ${name} [${shape}] axes [${axes}]`);
          else expectExact(got, want, `${be}: ${name} [${shape}] axes [${axes}]`);
        }
      }
    });
  }
});

describe('softmax and logSoftmax', () => {
  function refSoftmax(x: Float32Array, rows: number, cols: number, logOut: boolean): Float64Array {
    const out = new Float64Array(x.length);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
      const m = row.reduce((a, b) => (b > a || b !== b ? b : a), -Infinity);
      const s = row.reduce((a, b) => a + Math.exp(b - m), 0);
      for (let c = 0; c < cols; c++) out[r * cols + c] = logOut ? row[c]! - m - Math.log(s) : Math.exp(row[c]! - m) / s;
    }
    return out;
  }
  for (const [name, op, logOut] of [
    ['softmax', softmax, false],
    ['logSoftmax', logSoftmax, true],
  ] as const) {
    it(`${name} along the last axis: large logits, -Infinity entries, NaN rows, odd widths`, async () => {
      const r = rng(name.length);
      for (const [rows, cols] of [
        [100, 37],
        [64, 10],
        [3, 1500],
        [1030, 1],
        [2, 3],
      ] as const) {
        const x = values(rows * cols, r, -30, 30, false);
        if (cols > 3) {
          x[cols + 1] = 1e4;
          x[2 * cols + 2] = -Infinity;
          x[3 * cols] = NaN;
        }
        const want = refSoftmax(x, rows, cols, logOut);
        for (const be of [...FAST, 'typescript']) {
          expectClose(await on(be, () => op(tensor(x, [rows, cols]))), want, 2e-6, 1e-7, `${be}: ${name} [${rows},${cols}]`);
        }
      }
    });
  }

  it('softmax along a leading axis (TypeScript path) matches the reference', async () => {
    const r = rng(5);
    const x = values(40 * 60, r, -3, 3, false);
    const t = new Float32Array(x.length);
    for (let i = 0; i < 40; i++) for (let j = 0; j < 60; j++) t[j * 40 + i] = x[i * 60 + j]!;
    const want = refSoftmax(t, 60, 40, false);
    const wantT = new Float64Array(x.length);
    for (let i = 0; i < 40; i++) for (let j = 0; j < 60; j++) wantT[i * 60 + j] = want[j * 40 + i]!;
    for (const be of [...FAST, 'typescript']) expectClose(await on(be, () => softmax(tensor(x, [40, 60]), 0)), wantT, 2e-6, 1e-7, `${be}: softmax axis 0`);
  });
});

describe('max pooling', () => {
  /** float64 reference: forward values and the gradient that routes dy to each window's first maximum. */
  function refPool(x: Float32Array, shape: number[], fh: number, fw: number, sh: number, sw: number, padT: number, padL: number, OH: number, OW: number, dy: Float32Array): [Float64Array, Float64Array] {
    const [B, H, W, C] = shape as [number, number, number, number];
    const y = new Float64Array(B * OH * OW * C);
    const dx = new Float64Array(x.length);
    for (let b = 0; b < B; b++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++)
          for (let c = 0; c < C; c++) {
            let m = -Infinity;
            let arg = -1;
            for (let i = 0; i < fh; i++)
              for (let j = 0; j < fw; j++) {
                const ih = oh * sh - padT + i;
                const iw = ow * sw - padL + j;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const k = ((b * H + ih) * W + iw) * C + c;
                const v = x[k]!;
                if (arg < 0 || v > m || (v !== v && m === m)) {
                  m = v;
                  arg = k;
                }
              }
            const o = ((b * OH + oh) * OW + ow) * C + c;
            y[o] = m;
            dx[arg] = dx[arg]! + dy[o]!;
          }
    return [y, dx];
  }

  for (const [shape, fs, st, pad] of [
    [[2, 9, 10, 8], 2, 2, 'VALID'],
    [[3, 11, 9, 4], 3, 2, 'SAME'],
    [[1, 28, 28, 16], 2, 2, 'SAME'],
    [[2, 8, 8, 12], 3, 1, 'SAME'],
    [[2, 12, 12, 3], 2, 2, 'VALID'],
  ] as [number[], number, number, 'SAME' | 'VALID'][]) {
    it(`x ${shape.join('x')}, window ${fs}, stride ${st}, ${pad}: ties, NaN, overlapping windows`, async () => {
      const r = rng(shape.reduce((a, b) => a * 7 + b, 3));
      const n = shape.reduce((a, b) => a * b, 1);
      // values on a coarse grid so windows hold ties; a few NaN
      const x = Float32Array.from({ length: n }, () => Math.round(r() * 8) / 4);
      for (let i = 5; i < n; i += 211) x[i] = NaN;
      const H = shape[1]!;
      const W = shape[2]!;
      const OH = pad === 'SAME' ? Math.ceil(H / st) : Math.ceil((H - fs + 1) / st);
      const OW = pad === 'SAME' ? Math.ceil(W / st) : Math.ceil((W - fs + 1) / st);
      const padT = pad === 'SAME' ? Math.floor(Math.max((OH - 1) * st + fs - H, 0) / 2) : 0;
      const padL = pad === 'SAME' ? Math.floor(Math.max((OW - 1) * st + fs - W, 0) / 2) : 0;
      const yShape = [shape[0]!, OH, OW, shape[3]!];
      const dy = values(yShape.reduce((a, b) => a * b, 1), r, -1, 1, false);
      const [wantY, wantDx] = refPool(x, shape, fs, fs, st, st, padT, padL, OH, OW, dy);
      const opts = { filterSize: fs, strides: st, padding: pad };
      for (const be of [...FAST, 'typescript']) {
        expectExact(await on(be, () => maxPool(tensor(x, shape), opts)), wantY, `${be}: maxPool`);
        expectClose(await on(be, () => maxPoolGrad(tensor(dy, yShape), tensor(x, shape), opts)), wantDx, 1e-6, 1e-7, `${be}: maxPoolGrad`);
      }
    });
  }
});

describe('the kernel module', () => {
  it('exports every function the worker threads can be asked to run', async () => {
    const rt = (await acquireRuntime({ threads: 1 }))!;
    try {
      for (const name of KERNEL_EXPORTS) expect(typeof rt.fn[name], name).toBe('function');
    } finally {
      releaseRuntime(rt);
    }
  });
});

describe('fused optimizer updates', () => {
  function call(b: Backend, name: string, ins: { v: Float32Array; shape: number[] }[], attrs: Record<string, number>, nOut: number): Float32Array[] {
    const ids = ins.map((i) => b.write(i.v, i.shape, 'float32'));
    const infos = ins.map((i, k) => ({ dataId: ids[k]!, shape: i.shape, dtype: 'float32' as const }));
    const shape = ins[0]!.shape;
    const r = b.kernels[name]!({ inputs: infos, attrs, outputs: Array.from({ length: nOut }, () => ({ shape, dtype: 'float32' as const })) });
    const outs = (Array.isArray(r) ? r : [r]) as DataId[];
    const vals = outs.map((o) => b.readSync!(o) as Float32Array);
    for (const id of [...ids, ...outs]) b.disposeData(id);
    return vals;
  }

  it('sgdUpdate is x - g * lr rounded as the composition rounds it', () => {
    const r = rng(11);
    for (const n of [5, 1024, 3001, 70000]) {
      const x = values(n, r, -2, 2, false);
      const g = values(n, r, -2, 2, false);
      const lr = Float32Array.of(0.0123);
      const want = Float32Array.from(x, (v, i) => f(v - f(g[i]! * lr[0]!)));
      for (const be of FAST) {
        const [got] = call(backends[be]!, 'sgdUpdate', [{ v: x, shape: [n] }, { v: g, shape: [n] }, { v: lr, shape: [] }], {}, 1);
        expectExact(got!, want, `${be}: sgdUpdate n=${n}`);
      }
    }
  });

  it('adamUpdate equals the op-by-op float32 composition bit for bit', () => {
    const r = rng(12);
    const beta1 = 0.9;
    const beta2 = 0.999;
    const epsilon = 1e-7;
    for (const n of [7, 1024, 4099, 70000]) {
      const x = values(n, r, -2, 2, false);
      const m = values(n, r, -0.1, 0.1, false);
      const v = values(n, r, 0, 0.1, false);
      const g = values(n, r, -1, 1, false);
      const lr = Float32Array.of(0.001);
      const b1p = Float32Array.of(f(beta1 ** 3));
      const b2p = Float32Array.of(f(beta2 ** 3));
      // the composition, one float32 rounding per op
      const alpha = f(f(lr[0]! * f(Math.sqrt(f(1 - b2p[0]!)))) / f(1 - b1p[0]!));
      const c1 = f(1 - beta1);
      const c2 = f(1 - beta2);
      const eps = f(epsilon);
      const wm = Float32Array.from(m, (mi, i) => f(mi + f(f(g[i]! - mi) * c1)));
      const wv = Float32Array.from(v, (vi, i) => f(vi + f(f(f(g[i]! * g[i]!) - vi) * c2)));
      const wx = Float32Array.from(x, (xi, i) => f(xi - f(f(wm[i]! * alpha) / f(f(Math.sqrt(wv[i]!)) + eps))));
      for (const be of FAST) {
        const [gx, gm, gv] = call(
          backends[be]!,
          'adamUpdate',
          [{ v: x, shape: [n] }, { v: m, shape: [n] }, { v: v, shape: [n] }, { v: g, shape: [n] }, { v: lr, shape: [] }, { v: b1p, shape: [] }, { v: b2p, shape: [] }],
          { beta1, beta2, epsilon },
          3,
        );
        expectExact(gx!, wx, `${be}: adam x n=${n}`);
        expectExact(gm!, wm, `${be}: adam m n=${n}`);
        expectExact(gv!, wv, `${be}: adam v n=${n}`);
      }
    }
  });
});
