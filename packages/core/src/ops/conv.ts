/**
 * Convolution and pooling in NHWC layout: `conv2d`, `conv2dTranspose`, `depthwiseConv2d`,
 * `maxPool`, `avgPool`, and the backward ops their gradients use.
 *
 * Geometry follows TensorFlow exactly. With stride `s`, dilation `d`, filter size `f` and input
 * size `in` along one spatial axis, the dilated filter spans `(f - 1) * d + 1` pixels and
 *
 * - `'VALID'`: `out = ceil((in - (f - 1) * d) / s)`, no padding;
 * - `'SAME'`: `out = ceil(in / s)`, total padding `max((out - 1) * s + (f - 1) * d + 1 - in, 0)`,
 *   of which `floor(total / 2)` goes before (top/left) and the rest after (bottom/right);
 * - explicit `[[top, bottom], [left, right]]`: `out = floor((in + before + after - (f - 1) * d - 1) / s) + 1`.
 *
 * {@link conv2dGeometry} and {@link pool2dGeometry} compute this for backend authors, so kernels
 * and shape rules always agree.
 *
 * Primitive ops (one kernel each): `conv2d`, `conv2dBackpropInput`, `conv2dBackpropFilter`,
 * `depthwiseConv2d`, `depthwiseConv2dBackpropInput`, `depthwiseConv2dBackpropFilter`, `maxPool`,
 * `maxPoolGrad`, `avgPool`, `avgPoolGrad`. Their attributes arrive normalized: `strides`,
 * `dilations` and `filterSize` as `[h, w]` pairs of positive integers, `padding` as `'VALID'`,
 * `'SAME'` or `[[top, bottom], [left, right]]`, and `inputShape` / `filterShape` as plain arrays.
 * `conv2dTranspose` is a composite of `conv2dBackpropInput`.
 *
 * @module
 */
import type { Attrs } from '../backend.js';
import { runOp } from '../engine.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { defineComposite, definePrimitive, type TensorSpec } from '../op.js';
import { toTensor } from '../convert.js';
import { formatShape, type PartialShape } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor.js';

/**
 * Padding: `'VALID'` (none), `'SAME'` (output size `ceil(in / stride)`, as TensorFlow), or
 * explicit `[[top, bottom], [left, right]]` (TensorFlow's four-pair NHWC form
 * `[[0, 0], [top, bottom], [left, right], [0, 0]]` is accepted too).
 *
 * @example
 * ```ts
 * const p: Padding = [[1, 1], [2, 2]];
 * ```
 */
export type Padding = 'VALID' | 'SAME' | readonly (readonly [number, number])[];

/**
 * Strides or dilations: a number for both spatial dims, `[h, w]`, or TensorFlow's `[1, h, w, 1]`.
 *
 * @example
 * ```ts
 * const s: Strides2D = [1, 2, 2, 1];
 * ```
 */
export type Strides2D = number | readonly [number, number] | readonly [number, number, number, number];

/**
 * Options of {@link conv2d} and {@link depthwiseConv2d}.
 *
 * @example
 * ```ts
 * const o: Conv2DOptions = { strides: [1, 2, 2, 1], padding: 'VALID' };
 * ```
 */
export interface Conv2DOptions {
  /** Strides (default 1). */
  readonly strides?: Strides2D;
  /** Padding (default `'VALID'`). */
  readonly padding?: Padding;
  /** Dilations (default 1). Strides and dilations may not both exceed 1 (as in TensorFlow). */
  readonly dilations?: Strides2D;
}

/**
 * Options of {@link maxPool} and {@link avgPool}.
 *
 * @example
 * ```ts
 * const o: PoolOptions = { filterSize: 2, strides: 2, padding: 'SAME' };
 * ```
 */
export interface PoolOptions {
  /** Window size: a number, `[h, w]` or `[1, h, w, 1]`. */
  readonly filterSize: Strides2D;
  /** Strides (default: the window size). */
  readonly strides?: Strides2D;
  /**
   * Padding (default `'VALID'`). Explicit padding must be smaller than the window on every
   * side, so that every window covers at least one input element.
   */
  readonly padding?: Padding;
}

/**
 * The resolved geometry of a 2-D convolution or pooling window over an NHWC input, as
 * {@link conv2dGeometry} and {@link pool2dGeometry} return it. Output pixel `(oh, ow)` reads input
 * rows `oh * strideHeight - padTop + fh * dilationHeight` for `fh` in `[0, filterHeight)` (and
 * likewise for columns); rows outside `[0, inHeight)` are padding.
 *
 * @example
 * ```ts
 * const g: Conv2DGeometry = conv2dGeometry([2, 28, 28, 3], [5, 5, 3, 20], { strides: 2 });
 * g.outHeight; // 12
 * ```
 */
export interface Conv2DGeometry {
  /** Batch size. */
  readonly batch: number;
  /** Input height. */
  readonly inHeight: number;
  /** Input width. */
  readonly inWidth: number;
  /** Input channels. */
  readonly inChannels: number;
  /** Output height. */
  readonly outHeight: number;
  /** Output width. */
  readonly outWidth: number;
  /** Output channels (`inChannels * channelMultiplier` for depthwise, `inChannels` for pooling). */
  readonly outChannels: number;
  /** Filter (or window) height. */
  readonly filterHeight: number;
  /** Filter (or window) width. */
  readonly filterWidth: number;
  /** Vertical stride. */
  readonly strideHeight: number;
  /** Horizontal stride. */
  readonly strideWidth: number;
  /** Vertical dilation (1 for pooling). */
  readonly dilationHeight: number;
  /** Horizontal dilation (1 for pooling). */
  readonly dilationWidth: number;
  /** Padding rows above the input. */
  readonly padTop: number;
  /** Padding rows below the input. */
  readonly padBottom: number;
  /** Padding columns left of the input. */
  readonly padLeft: number;
  /** Padding columns right of the input. */
  readonly padRight: number;
}

/**
 * Options of {@link conv2dGeometry}: the same forms the conv ops accept (normalized attribute
 * forms are accepted too, so a kernel may pass its `attrs` straight through).
 *
 * @example
 * ```ts
 * const o: Conv2DGeometryOptions = { strides: [2, 2], padding: 'SAME', depthwise: true };
 * ```
 */
export interface Conv2DGeometryOptions extends Conv2DOptions {
  /** The filter is depthwise `[fh, fw, inChannels, channelMultiplier]` (default false). */
  readonly depthwise?: boolean;
}

// ---- attribute normalization ---------------------------------------------------------------

type ExplicitPadding = readonly [readonly [number, number], readonly [number, number]];
type NormPadding = 'VALID' | 'SAME' | ExplicitPadding;

interface NormConv {
  readonly strides: [number, number];
  readonly dilations: [number, number];
  readonly padding: NormPadding;
}

function describe(v: unknown): string {
  try {
    return typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v));
  } catch {
    return String(v);
  }
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

/** Normalizes a number / `[h, w]` / `[1, h, w, 1]` argument into an `[h, w]` pair. */
function normalizePair(v: unknown, dflt: number, fn: string, what: string): [number, number] {
  if (v === undefined || v === null) return [dflt, dflt];
  const valid = `a positive integer, [h, w] or [1, h, w, 1]`;
  if (typeof v === 'number') {
    if (!isPositiveInt(v)) throw new ValueError(`${fn}: ${what} must be ${valid}, got ${describe(v)}`);
    return [v, v];
  }
  if (!Array.isArray(v) || (v.length !== 2 && v.length !== 4)) {
    throw new ValueError(`${fn}: ${what} must be ${valid}, got ${describe(v)}`);
  }
  for (const e of v as unknown[]) {
    if (!isPositiveInt(e)) throw new ValueError(`${fn}: ${what} must be ${valid} of positive integers, got ${describe(v)}`);
  }
  const a = v as number[];
  if (a.length === 4) {
    if (a[0] !== 1 || a[3] !== 1) {
      throw new ValueError(
        `${fn}: ${what} ${describe(v)} would move along the batch or channel dimension; ` +
          `only [1, h, w, 1] is supported (or give [h, w])`,
      );
    }
    return [a[1]!, a[2]!];
  }
  return [a[0]!, a[1]!];
}

function isPadPair(p: unknown): p is [number, number] {
  return (
    Array.isArray(p) &&
    p.length === 2 &&
    p.every((e) => typeof e === 'number' && Number.isInteger(e) && e >= 0)
  );
}

/** Normalizes a padding argument into `'VALID'`, `'SAME'` or `[[top, bottom], [left, right]]`. */
function normalizePadding(p: unknown, fn: string): NormPadding {
  if (p === undefined || p === null) return 'VALID';
  const valid =
    `'VALID', 'SAME', [[top, bottom], [left, right]] or [[0, 0], [top, bottom], [left, right], [0, 0]] ` +
    `(non-negative integers)`;
  if (typeof p === 'string') {
    const u = p.toUpperCase();
    if (u === 'VALID' || u === 'SAME') return u;
    throw new ValueError(`${fn}: padding must be ${valid}, got ${describe(p)}`);
  }
  if (!Array.isArray(p) || (p.length !== 2 && p.length !== 4) || !p.every(isPadPair)) {
    throw new ValueError(`${fn}: padding must be ${valid}, got ${describe(p)}`);
  }
  const pairs = p as [number, number][];
  if (pairs.length === 4) {
    if (pairs[0]![0] !== 0 || pairs[0]![1] !== 0 || pairs[3]![0] !== 0 || pairs[3]![1] !== 0) {
      throw new ValueError(
        `${fn}: padding ${describe(p)} pads the batch or channel dimension; only ` +
          `[[0, 0], [top, bottom], [left, right], [0, 0]] is supported`,
      );
    }
    return [
      [pairs[1]![0], pairs[1]![1]],
      [pairs[2]![0], pairs[2]![1]],
    ];
  }
  return [
    [pairs[0]![0], pairs[0]![1]],
    [pairs[1]![0], pairs[1]![1]],
  ];
}

function normalizeConv(o: Conv2DOptions | Attrs | undefined, fn: string, allowDilations = true): NormConv {
  const opts = (o ?? {}) as Record<string, unknown>;
  if (typeof opts !== 'object') throw new ValueError(`${fn}: options must be an object, got ${describe(o)}`);
  const strides = normalizePair(opts['strides'], 1, fn, 'strides');
  if (!allowDilations && opts['dilations'] !== undefined) {
    throw new ValueError(`${fn}: dilations are not supported`);
  }
  const dilations = normalizePair(opts['dilations'], 1, fn, 'dilations');
  if ((strides[0] > 1 || strides[1] > 1) && (dilations[0] > 1 || dilations[1] > 1)) {
    throw new ValueError(
      `${fn}: strides ${describe(strides)} and dilations ${describe(dilations)} are both > 1; ` +
        `TensorFlow does not support that combination (use strides 1 or dilations 1)`,
    );
  }
  return { strides, dilations, padding: normalizePadding(opts['padding'], fn) };
}

interface NormPool {
  readonly filterSize: [number, number];
  readonly strides: [number, number];
  readonly padding: NormPadding;
}

function normalizePool(o: PoolOptions | Attrs | undefined, fn: string): NormPool {
  if (o === undefined || o === null || typeof o !== 'object') {
    throw new ValueError(`${fn}: options with a filterSize are required, e.g. { filterSize: 2 }`);
  }
  const opts = o as Record<string, unknown>;
  if (opts['filterSize'] === undefined) {
    throw new ValueError(`${fn}: options.filterSize is required: a positive integer, [h, w] or [1, h, w, 1]`);
  }
  const filterSize = normalizePair(opts['filterSize'], 1, fn, 'filterSize');
  const strides = opts['strides'] === undefined ? filterSize : normalizePair(opts['strides'], 1, fn, 'strides');
  return { filterSize, strides, padding: normalizePadding(opts['padding'], fn) };
}

/** Rejects option keys a public function does not know (a typo such as `stride` would otherwise be ignored). */
function checkOptionKeys(o: unknown, allowed: readonly string[], fn: string): void {
  if (o === undefined || o === null || typeof o !== 'object' || Array.isArray(o)) return;
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      throw new ValueError(`${fn}: unknown option '${k}' (valid options: ${allowed.join(', ')})`);
    }
  }
}

const CONV_KEYS = ['strides', 'padding', 'dilations'] as const;
const TRANSPOSE_KEYS = ['strides', 'padding'] as const;
const POOL_KEYS = ['filterSize', 'strides', 'padding'] as const;

/** Like {@link checkShapeArg}, but dims may be `null` (filled from the inputs by `resolveAttrs`). */
function checkPartialShapeArg(s: unknown, fn: string, what: string): Dim[] {
  if (
    !Array.isArray(s) ||
    s.length !== 4 ||
    !s.every((d) => d === null || (typeof d === 'number' && Number.isInteger(d) && d >= 0))
  ) {
    throw new ValueError(`${fn}: ${what} must be an array of 4 non-negative integers, got ${describe(s)}`);
  }
  return [...(s as Dim[])];
}

/**
 * Fills `null` dims of a shape attribute from the inputs: `sources[i]` gives dim i's value
 * (possibly still unknown while a graph is built).
 */
function fillShapeAttr(attrs: Attrs, key: string, sources: readonly (() => Dim)[]): Attrs {
  const s = attrs[key];
  if (!Array.isArray(s) || !s.some((d) => d === null)) return attrs;
  const filled = (s as Dim[]).map((d, i) => (d === null ? (sources[i]?.() ?? null) : d));
  return { ...attrs, [key]: filled };
}

function checkShapeArg(s: unknown, fn: string, what: string): number[] {
  if (
    !Array.isArray(s) ||
    s.length !== 4 ||
    !s.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)
  ) {
    throw new ValueError(`${fn}: ${what} must be an array of 4 non-negative integers, got ${describe(s)}`);
  }
  return [...(s as number[])];
}

// ---- geometry -----------------------------------------------------------------------------

type Dim = number | null;

interface Spatial {
  readonly out: Dim;
  readonly before: Dim;
  readonly after: Dim;
}

const AXES = ['height', 'width'] as const;

/**
 * One spatial axis: output size and padding. `window` names the filter in messages.
 * Throws a ShapeError when the output would be empty for a non-empty input.
 */
function spatial(
  fn: string,
  axis: 0 | 1,
  inSize: Dim,
  f: Dim,
  s: number,
  d: number,
  pad: NormPadding,
  pool: boolean,
  context: () => string,
): Spatial {
  if (inSize === null || f === null) {
    if (pad !== 'VALID' && pad !== 'SAME') return { out: null, before: pad[axis][0], after: pad[axis][1] };
    return { out: null, before: pad === 'VALID' ? 0 : null, after: pad === 'VALID' ? 0 : null };
  }
  const eff = (f - 1) * d + 1;
  let out: number;
  let before: number;
  let after: number;
  if (pad === 'VALID') {
    out = Math.ceil((inSize - (f - 1) * d) / s) + 0;
    before = 0;
    after = 0;
  } else if (pad === 'SAME') {
    out = Math.ceil(inSize / s) + 0;
    const total = Math.max((out - 1) * s + eff - inSize, 0);
    before = Math.floor(total / 2);
    after = total - before;
  } else {
    before = pad[axis][0];
    after = pad[axis][1];
    if (pool && (before >= f || after >= f)) {
      throw new ValueError(
        `${fn}: explicit padding ${before}+${after} along ${AXES[axis]} is not smaller than the window ` +
          `${AXES[axis]} ${f}; every window must cover at least one input element: ${context()}`,
      );
    }
    out = Math.floor((inSize + before + after - eff) / s) + 1;
  }
  if (out < 1 && !(inSize === 0 && out === 0)) {
    const what = pool ? 'window' : d > 1 ? `dilated filter (${f} dilated by ${d} spans ${eff})` : 'filter';
    throw new ShapeError(
      `${fn}: output ${AXES[axis]} would be ${out}: the input ${AXES[axis]} ${inSize} plus padding ` +
        `${before}+${after} is smaller than the ${what} ${AXES[axis]} ${pool ? f : eff}: ${context()}; ` +
        `use a smaller ${pool ? 'window' : 'filter'}, 'SAME' padding or more padding`,
    );
  }
  return { out, before, after };
}

interface PartialGeometry {
  readonly batch: Dim;
  readonly inHeight: Dim;
  readonly inWidth: Dim;
  readonly inChannels: Dim;
  readonly outHeight: Dim;
  readonly outWidth: Dim;
  readonly outChannels: Dim;
  readonly filterHeight: Dim;
  readonly filterWidth: Dim;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly dilationHeight: number;
  readonly dilationWidth: number;
  readonly padTop: Dim;
  readonly padBottom: Dim;
  readonly padLeft: Dim;
  readonly padRight: Dim;
}

function checkRank4(shape: PartialShape, fn: string, name: string, layout: string): void {
  if (shape.length !== 4) {
    throw new ShapeError(
      `${fn}: ${name} must be rank 4 ${layout}, got rank ${shape.length} (${name} is ${formatShape(shape)})`,
    );
  }
}

const X_LAYOUT = '[batch, height, width, channels]';

/** The geometry of a convolution; dims may be unknown (`null`) while building graphs. */
function convGeometry(
  fn: string,
  xShape: PartialShape,
  fShape: PartialShape,
  n: NormConv,
  depthwise: boolean,
  names: { x: string; filter: string } = { x: 'x', filter: 'filter' },
): PartialGeometry {
  checkRank4(xShape, fn, names.x, X_LAYOUT);
  checkRank4(
    fShape,
    fn,
    names.filter,
    depthwise
      ? '[filterHeight, filterWidth, inChannels, channelMultiplier]'
      : '[filterHeight, filterWidth, inChannels, outChannels]',
  );
  const context = (): string => `${names.x} is ${formatShape(xShape)}, ${names.filter} is ${formatShape(fShape)}`;
  const [batch, inH, inW, inC] = xShape as [Dim, Dim, Dim, Dim];
  const [fh, fw, fc, fo] = fShape as [Dim, Dim, Dim, Dim];
  if ((fh !== null && fh < 1) || (fw !== null && fw < 1)) {
    throw new ShapeError(`${fn}: the filter height and width must be at least 1: ${context()}`);
  }
  if (inC !== null && fc !== null && inC !== fc) {
    throw new ShapeError(`${fn}: input has ${inC} channels but filter expects ${fc}: ${context()}`);
  }
  const [sh, sw] = n.strides;
  const [dh, dw] = n.dilations;
  const h = spatial(fn, 0, inH, fh, sh, dh, n.padding, false, context);
  const w = spatial(fn, 1, inW, fw, sw, dw, n.padding, false, context);
  const channels = inC ?? fc;
  let outC: Dim;
  if (depthwise) outC = channels === null || fo === null ? null : channels * fo;
  else outC = fo;
  return {
    batch,
    inHeight: inH,
    inWidth: inW,
    inChannels: channels,
    outHeight: h.out,
    outWidth: w.out,
    outChannels: outC,
    filterHeight: fh,
    filterWidth: fw,
    strideHeight: sh,
    strideWidth: sw,
    dilationHeight: dh,
    dilationWidth: dw,
    padTop: h.before,
    padBottom: h.after,
    padLeft: w.before,
    padRight: w.after,
  };
}

function poolGeometry(fn: string, xShape: PartialShape, n: NormPool, xName = 'x'): PartialGeometry {
  checkRank4(xShape, fn, xName, X_LAYOUT);
  const [fh, fw] = n.filterSize;
  const [sh, sw] = n.strides;
  const context = (): string =>
    `${xName} is ${formatShape(xShape)}, filterSize is [${fh},${fw}], strides are [${sh},${sw}], padding is ${describe(n.padding)}`;
  const [batch, inH, inW, inC] = xShape as [Dim, Dim, Dim, Dim];
  const h = spatial(fn, 0, inH, fh, sh, 1, n.padding, true, context);
  const w = spatial(fn, 1, inW, fw, sw, 1, n.padding, true, context);
  return {
    batch,
    inHeight: inH,
    inWidth: inW,
    inChannels: inC,
    outHeight: h.out,
    outWidth: w.out,
    outChannels: inC,
    filterHeight: fh,
    filterWidth: fw,
    strideHeight: sh,
    strideWidth: sw,
    dilationHeight: 1,
    dilationWidth: 1,
    padTop: h.before,
    padBottom: h.after,
    padLeft: w.before,
    padRight: w.after,
  };
}

function concrete(g: PartialGeometry, fn: string, shapes: string): Conv2DGeometry {
  for (const v of Object.values(g)) {
    if (v === null) throw new ShapeError(`${fn}: needs fully known shapes, got ${shapes}`);
  }
  return g as Conv2DGeometry;
}

function outShape(g: PartialGeometry): Dim[] {
  return [g.batch, g.outHeight, g.outWidth, g.outChannels];
}

/**
 * Resolves the geometry of a 2-D convolution of an NHWC input `xShape` with a filter
 * `filterShape` (`[fh, fw, inChannels, outChannels]`, or `[fh, fw, inChannels, multiplier]` when
 * `depthwise`), following TensorFlow's output-size and padding rules. Validates like the conv
 * ops do (ranks, channels, strides, dilations, padding, non-empty output) and throws errors that
 * name `fn`. Backend authors use it so kernels and shape rules agree; a kernel may pass its
 * normalized `attrs` as `options`.
 *
 * @example
 * ```ts
 * const g = conv2dGeometry([1, 5, 5, 1], [3, 3, 1, 8], { strides: 2, padding: 'SAME' });
 * [g.outHeight, g.outWidth, g.outChannels]; // [3, 3, 8]
 * [g.padTop, g.padBottom]; // [1, 1]
 * ```
 */
export function conv2dGeometry(
  xShape: readonly number[],
  filterShape: readonly number[],
  options: Conv2DGeometryOptions = {},
  fn = 'conv2dGeometry',
): Conv2DGeometry {
  const n = normalizeConv(options, fn);
  const g = convGeometry(fn, xShape, filterShape, n, options.depthwise === true);
  return concrete(g, fn, `x ${formatShape(xShape)} and filter ${formatShape(filterShape)}`);
}

/**
 * Options of {@link pool2dGeometry}: those of the pooling ops.
 *
 * @example
 * ```ts
 * const o: Pool2DGeometryOptions = { filterSize: [3, 3], strides: 2, padding: 'SAME' };
 * ```
 */
export type Pool2DGeometryOptions = PoolOptions;

/**
 * Resolves the geometry of a pooling window over an NHWC input (`outChannels = inChannels`,
 * dilations 1), with TensorFlow's output-size and padding rules, validating as the pooling ops do.
 *
 * @example
 * ```ts
 * const g = pool2dGeometry([1, 5, 5, 2], { filterSize: 2, strides: 2, padding: 'SAME' });
 * [g.outHeight, g.padTop, g.padBottom]; // [3, 0, 1]
 * ```
 */
export function pool2dGeometry(
  xShape: readonly number[],
  options: Pool2DGeometryOptions,
  fn = 'pool2dGeometry',
): Conv2DGeometry {
  const n = normalizePool(options, fn);
  const g = poolGeometry(fn, xShape, n);
  return concrete(g, fn, `x ${formatShape(xShape)}`);
}

// ---- shape-rule helpers -------------------------------------------------------------------

function checkFloat(fn: string, specs: readonly (readonly [string, TensorSpec])[]): void {
  for (const [name, s] of specs) {
    if (s.dtype !== 'float32' && s.dtype !== 'float64') {
      throw new DTypeError(`${fn}: ${name} has dtype ${s.dtype}; expected float32 or float64 (cast it first)`);
    }
  }
  const [first, ...rest] = specs;
  for (const [name, s] of rest) {
    if (s.dtype !== first![1].dtype) {
      throw new DTypeError(
        `${fn}: ${first![0]} is ${first![1].dtype} but ${name} is ${s.dtype}; both must have the same dtype (cast one)`,
      );
    }
  }
}

/** Checks that `actual` (possibly partial) matches `expected` (possibly partial). */
function checkMatches(fn: string, name: string, actual: PartialShape, expected: PartialShape, why: () => string): void {
  const ok =
    actual.length === expected.length &&
    actual.every((d, i) => d === null || expected[i] === null || d === expected[i]);
  if (!ok) {
    throw new ShapeError(`${fn}: ${name} is ${formatShape(actual)} but ${why()} gives ${formatShape(expected)}`);
  }
}

function describeConv(n: NormConv): string {
  const pad = typeof n.padding === 'string' ? n.padding : describe(n.padding);
  const dil = n.dilations[0] > 1 || n.dilations[1] > 1 ? `, dilations [${n.dilations.join(',')}]` : '';
  return `strides [${n.strides.join(',')}]${dil}, padding ${pad}`;
}

function describePool(n: NormPool): string {
  const pad = typeof n.padding === 'string' ? n.padding : describe(n.padding);
  return `filterSize [${n.filterSize.join(',')}], strides [${n.strides.join(',')}], padding ${pad}`;
}

function convAttrs(n: NormConv): Attrs {
  return { strides: n.strides, dilations: n.dilations, padding: n.padding };
}

function poolAttrs(n: NormPool): Attrs {
  return { filterSize: n.filterSize, strides: n.strides, padding: n.padding };
}

function convForwardInfer(fn: string, depthwise: boolean) {
  return ([x, f]: readonly TensorSpec[], attrs: Attrs): TensorSpec[] => {
    checkFloat(fn, [
      ['x', x!],
      ['filter', f!],
    ]);
    const n = normalizeConv(attrs, fn);
    const g = convGeometry(fn, x!.shape, f!.shape, n, depthwise);
    return [{ shape: outShape(g), dtype: x!.dtype }];
  };
}

function backpropInputInfer(fn: string, depthwise: boolean, shapeAttr: string, dyName: string) {
  return ([dy, f]: readonly TensorSpec[], attrs: Attrs): TensorSpec[] => {
    checkFloat(fn, [
      [dyName, dy!],
      ['filter', f!],
    ]);
    checkRank4(dy!.shape, fn, dyName, X_LAYOUT);
    attrs = resolveInputShape(shapeAttr)([dy!, f!], attrs);
    const inputShape = checkPartialShapeArg(attrs[shapeAttr], fn, shapeAttr);
    const n = normalizeConv(attrs, fn);
    const g = convGeometry(fn, inputShape, f!.shape, n, depthwise, { x: shapeAttr, filter: 'filter' });
    const op = depthwise ? 'depthwiseConv2d' : 'conv2d';
    checkMatches(
      fn,
      dyName,
      dy!.shape,
      outShape(g),
      () =>
        `${op} of an input ${formatShape(inputShape)} with filter ${formatShape(f!.shape)} (${describeConv(n)})`,
    );
    return [{ shape: inputShape, dtype: dy!.dtype }];
  };
}

function backpropFilterInfer(fn: string, depthwise: boolean) {
  return ([x, dy]: readonly TensorSpec[], attrs: Attrs): TensorSpec[] => {
    checkFloat(fn, [
      ['x', x!],
      ['dy', dy!],
    ]);
    checkRank4(dy!.shape, fn, 'dy', X_LAYOUT);
    attrs = resolveFilterShape(depthwise)([x!, dy!], attrs);
    const filterShape = checkPartialShapeArg(attrs['filterShape'], fn, 'filterShape');
    const n = normalizeConv(attrs, fn);
    const g = convGeometry(fn, x!.shape, filterShape, n, depthwise, { x: 'x', filter: 'filterShape' });
    const op = depthwise ? 'depthwiseConv2d' : 'conv2d';
    checkMatches(
      fn,
      'dy',
      dy!.shape,
      outShape(g),
      () => `${op} of x ${formatShape(x!.shape)} with a filter ${formatShape(filterShape)} (${describeConv(n)})`,
    );
    return [{ shape: filterShape, dtype: x!.dtype }];
  };
}

// ---- run-time shapes ----------------------------------------------------------------------
// Gradients built in a graph with a `[null, ...]` placeholder pass shape attributes whose batch
// (or channel) dims are unknown; these resolvers fill them from the inputs' actual shapes.

function resolveInputShape(key: string) {
  return ([dy, f]: readonly TensorSpec[], attrs: Attrs): Attrs =>
    fillShapeAttr(attrs, key, [() => dy!.shape[0] ?? null, () => null, () => null, () => f!.shape[2] ?? null]);
}

function resolveFilterShape(depthwise: boolean) {
  return ([x, dy]: readonly TensorSpec[], attrs: Attrs): Attrs =>
    fillShapeAttr(attrs, 'filterShape', [
      () => null,
      () => null,
      () => x!.shape[3] ?? null,
      () => {
        const cin = x!.shape[3] ?? null;
        const cout = dy!.shape[3] ?? null;
        if (!depthwise) return cout;
        return cin === null || cout === null || cin === 0 ? null : cout / cin;
      },
    ]);
}

function resolvePoolInputShape([dy]: readonly TensorSpec[], attrs: Attrs): Attrs {
  return fillShapeAttr(attrs, 'inputShape', [() => dy!.shape[0] ?? null, () => null, () => null, () => dy!.shape[3] ?? null]);
}

// ---- op definitions -----------------------------------------------------------------------

const conv2dOp = definePrimitive({
  name: 'conv2d',
  inputs: ['x', 'filter'],
  infer: convForwardInfer('conv2d', false),
});

const conv2dBackpropInputOp = definePrimitive({
  name: 'conv2dBackpropInput',
  inputs: ['dy', 'filter'],
  resolveAttrs: resolveInputShape('inputShape'),
  infer: backpropInputInfer('conv2dBackpropInput', false, 'inputShape', 'dy'),
});

const conv2dBackpropFilterOp = definePrimitive({
  name: 'conv2dBackpropFilter',
  inputs: ['x', 'dy'],
  resolveAttrs: resolveFilterShape(false),
  infer: backpropFilterInfer('conv2dBackpropFilter', false),
});

const conv2dTransposeOp = defineComposite({
  name: 'conv2dTranspose',
  inputs: ['x', 'filter'],
  infer: backpropInputInfer('conv2dTranspose', false, 'outputShape', 'x'),
  compose: ([x, f], attrs) =>
    runOp(conv2dBackpropInputOp, [x!, f!], {
      inputShape: attrs['outputShape'],
      strides: attrs['strides'],
      dilations: [1, 1],
      padding: attrs['padding'],
    }),
});

const depthwiseConv2dOp = definePrimitive({
  name: 'depthwiseConv2d',
  inputs: ['x', 'filter'],
  infer: convForwardInfer('depthwiseConv2d', true),
});

const depthwiseConv2dBackpropInputOp = definePrimitive({
  name: 'depthwiseConv2dBackpropInput',
  inputs: ['dy', 'filter'],
  resolveAttrs: resolveInputShape('inputShape'),
  infer: backpropInputInfer('depthwiseConv2dBackpropInput', true, 'inputShape', 'dy'),
});

const depthwiseConv2dBackpropFilterOp = definePrimitive({
  name: 'depthwiseConv2dBackpropFilter',
  inputs: ['x', 'dy'],
  resolveAttrs: resolveFilterShape(true),
  infer: backpropFilterInfer('depthwiseConv2dBackpropFilter', true),
});

const maxPoolOp = definePrimitive({
  name: 'maxPool',
  inputs: ['x'],
  infer: ([x], attrs) => {
    checkFloat('maxPool', [['x', x!]]);
    const g = poolGeometry('maxPool', x!.shape, normalizePool(attrs, 'maxPool'));
    return [{ shape: outShape(g), dtype: x!.dtype }];
  },
});

const maxPoolGradOp = definePrimitive({
  name: 'maxPoolGrad',
  inputs: ['dy', 'x'],
  infer: ([dy, x], attrs) => {
    const fn = 'maxPoolGrad';
    checkFloat(fn, [
      ['dy', dy!],
      ['x', x!],
    ]);
    const n = normalizePool(attrs, fn);
    checkRank4(dy!.shape, fn, 'dy', X_LAYOUT);
    const g = poolGeometry(fn, x!.shape, n);
    checkMatches(fn, 'dy', dy!.shape, outShape(g), () => `maxPool of x ${formatShape(x!.shape)} (${describePool(n)})`);
    return [{ shape: x!.shape, dtype: x!.dtype }];
  },
});

const avgPoolOp = definePrimitive({
  name: 'avgPool',
  inputs: ['x'],
  infer: ([x], attrs) => {
    checkFloat('avgPool', [['x', x!]]);
    const g = poolGeometry('avgPool', x!.shape, normalizePool(attrs, 'avgPool'));
    return [{ shape: outShape(g), dtype: x!.dtype }];
  },
});

const avgPoolGradOp = definePrimitive({
  name: 'avgPoolGrad',
  inputs: ['dy'],
  resolveAttrs: resolvePoolInputShape,
  infer: ([dy], attrs) => {
    const fn = 'avgPoolGrad';
    checkFloat(fn, [['dy', dy!]]);
    checkRank4(dy!.shape, fn, 'dy', X_LAYOUT);
    attrs = resolvePoolInputShape([dy!], attrs);
    const inputShape = checkPartialShapeArg(attrs['inputShape'], fn, 'inputShape');
    const n = normalizePool(attrs, fn);
    const g = poolGeometry(fn, inputShape, n, 'inputShape');
    checkMatches(fn, 'dy', dy!.shape, outShape(g), () => `avgPool of an input ${formatShape(inputShape)} (${describePool(n)})`);
    return [{ shape: inputShape, dtype: dy!.dtype }];
  },
});

// ---- public functions ---------------------------------------------------------------------

/**
 * 2-D convolution of `x` `[batch, height, width, inChannels]` with `filter`
 * `[filterHeight, filterWidth, inChannels, outChannels]` (cross-correlation, as in every deep
 * learning library): `y[b, i, j, o] = sum over fh, fw, c of x[b, i*sh - padTop + fh*dh, j*sw - padLeft + fw*dw, c] * filter[fh, fw, c, o]`.
 * Inputs must be float32 or float64 of the same dtype.
 *
 * @example
 * ```ts
 * conv2d(randomNormal([2, 28, 28, 3]), truncatedNormal([5, 5, 3, 20]), { strides: [1, 2, 2, 1], padding: 'VALID' })
 *   .shape; // [2, 12, 12, 20]
 * ```
 */
export function conv2d(x: TensorLike, filter: TensorLike, options?: Conv2DOptions): Tensor {
  const fn = 'conv2d';
  checkOptionKeys(options, CONV_KEYS, fn);
  const n = normalizeConv(options, fn);
  return runOp(conv2dOp, [toTensor(x, fn, 'x'), toTensor(filter, fn, 'filter')], convAttrs(n))[0]!;
}

/**
 * The gradient of {@link conv2d} with respect to its input: maps `dy` back to an input of
 * `inputShape`.
 *
 * @example
 * ```ts
 * conv2dBackpropInput(dy, filter, [2, 28, 28, 3], { strides: 2, padding: 'VALID' });
 * ```
 */
export function conv2dBackpropInput(dy: TensorLike, filter: TensorLike, inputShape: readonly number[], options?: Conv2DOptions): Tensor {
  const fn = 'conv2dBackpropInput';
  checkOptionKeys(options, CONV_KEYS, fn);
  const n = normalizeConv(options, fn);
  const shape = checkShapeArg(inputShape, fn, 'inputShape');
  return runOp(conv2dBackpropInputOp, [toTensor(dy, fn, 'dy'), toTensor(filter, fn, 'filter')], {
    ...convAttrs(n),
    inputShape: shape,
  })[0]!;
}

/**
 * The gradient of {@link conv2d} with respect to its filter.
 *
 * @example
 * ```ts
 * conv2dBackpropFilter(x, dy, [5, 5, 3, 20], { strides: 2, padding: 'VALID' });
 * ```
 */
export function conv2dBackpropFilter(x: TensorLike, dy: TensorLike, filterShape: readonly number[], options?: Conv2DOptions): Tensor {
  const fn = 'conv2dBackpropFilter';
  checkOptionKeys(options, CONV_KEYS, fn);
  const n = normalizeConv(options, fn);
  const shape = checkShapeArg(filterShape, fn, 'filterShape');
  return runOp(conv2dBackpropFilterOp, [toTensor(x, fn, 'x'), toTensor(dy, fn, 'dy')], {
    ...convAttrs(n),
    filterShape: shape,
  })[0]!;
}

/**
 * Transposed convolution ("deconvolution"): the gradient of {@link conv2d} with respect to its
 * input, applied as a forward op. `filter` is `[fh, fw, outChannels, inChannels]` and
 * `outputShape` the NHWC shape of the result. `x` must have the shape a {@link conv2d} of
 * `outputShape` with the same options would produce.
 *
 * @example
 * ```ts
 * conv2dTranspose(ones([1, 2, 2, 1]), ones([2, 2, 1, 1]), [1, 4, 4, 1], { strides: 2 }).shape; // [1, 4, 4, 1]
 * ```
 */
export function conv2dTranspose(
  x: TensorLike,
  filter: TensorLike,
  outputShape: readonly number[],
  options?: Omit<Conv2DOptions, 'dilations'>,
): Tensor {
  const fn = 'conv2dTranspose';
  checkOptionKeys(options, TRANSPOSE_KEYS, fn);
  const n = normalizeConv(options, fn, false);
  const shape = checkShapeArg(outputShape, fn, 'outputShape');
  return runOp(conv2dTransposeOp, [toTensor(x, fn, 'x'), toTensor(filter, fn, 'filter')], {
    outputShape: shape,
    strides: n.strides,
    padding: n.padding,
  })[0]!;
}

/**
 * Depthwise 2-D convolution: `filter` `[fh, fw, inChannels, channelMultiplier]` convolves each
 * input channel separately; the output has `inChannels * channelMultiplier` channels, output
 * channel `c * channelMultiplier + m` coming from input channel `c` and `filter[:, :, c, m]`.
 *
 * @example
 * ```ts
 * depthwiseConv2d(ones([1, 4, 4, 2]), ones([3, 3, 2, 1])).shape; // [1, 2, 2, 2]
 * ```
 */
export function depthwiseConv2d(x: TensorLike, filter: TensorLike, options?: Conv2DOptions): Tensor {
  const fn = 'depthwiseConv2d';
  checkOptionKeys(options, CONV_KEYS, fn);
  const n = normalizeConv(options, fn);
  return runOp(depthwiseConv2dOp, [toTensor(x, fn, 'x'), toTensor(filter, fn, 'filter')], convAttrs(n))[0]!;
}

/**
 * The gradient of {@link depthwiseConv2d} with respect to its input.
 *
 * @example
 * ```ts
 * depthwiseConv2dBackpropInput(dy, filter, [1, 4, 4, 2]);
 * ```
 */
export function depthwiseConv2dBackpropInput(
  dy: TensorLike,
  filter: TensorLike,
  inputShape: readonly number[],
  options?: Conv2DOptions,
): Tensor {
  const fn = 'depthwiseConv2dBackpropInput';
  checkOptionKeys(options, CONV_KEYS, fn);
  const n = normalizeConv(options, fn);
  const shape = checkShapeArg(inputShape, fn, 'inputShape');
  return runOp(depthwiseConv2dBackpropInputOp, [toTensor(dy, fn, 'dy'), toTensor(filter, fn, 'filter')], {
    ...convAttrs(n),
    inputShape: shape,
  })[0]!;
}

/**
 * The gradient of {@link depthwiseConv2d} with respect to its filter.
 *
 * @example
 * ```ts
 * depthwiseConv2dBackpropFilter(x, dy, [3, 3, 2, 1]);
 * ```
 */
export function depthwiseConv2dBackpropFilter(
  x: TensorLike,
  dy: TensorLike,
  filterShape: readonly number[],
  options?: Conv2DOptions,
): Tensor {
  const fn = 'depthwiseConv2dBackpropFilter';
  checkOptionKeys(options, CONV_KEYS, fn);
  const n = normalizeConv(options, fn);
  const shape = checkShapeArg(filterShape, fn, 'filterShape');
  return runOp(depthwiseConv2dBackpropFilterOp, [toTensor(x, fn, 'x'), toTensor(dy, fn, 'dy')], {
    ...convAttrs(n),
    filterShape: shape,
  })[0]!;
}

/**
 * Max pooling over windows of `[batch, height, width, channels]`. Padded positions never win
 * (a window of negative values still returns its largest real value); NaN propagates.
 *
 * @example
 * ```ts
 * maxPool(ones([1, 4, 4, 1]), { filterSize: 2 }).shape; // [1, 2, 2, 1]
 * ```
 */
export function maxPool(x: TensorLike, options: PoolOptions): Tensor {
  const fn = 'maxPool';
  checkOptionKeys(options, POOL_KEYS, fn);
  const n = normalizePool(options, fn);
  return runOp(maxPoolOp, [toTensor(x, fn, 'x')], poolAttrs(n))[0]!;
}

/**
 * The gradient of {@link maxPool}: routes each `dy` to the (first) maximum of its window in `x`.
 * Ties go to the first maximum in row-major window order; a NaN in a window takes the gradient
 * (the first NaN) since it is what {@link maxPool} returns.
 *
 * @example
 * ```ts
 * maxPoolGrad(dy, x, { filterSize: 2 });
 * ```
 */
export function maxPoolGrad(dy: TensorLike, x: TensorLike, options: PoolOptions): Tensor {
  const fn = 'maxPoolGrad';
  checkOptionKeys(options, POOL_KEYS, fn);
  const n = normalizePool(options, fn);
  return runOp(maxPoolGradOp, [toTensor(dy, fn, 'dy'), toTensor(x, fn, 'x')], poolAttrs(n))[0]!;
}

/**
 * Average pooling; padded positions are not counted in the average (as TensorFlow).
 *
 * @example
 * ```ts
 * avgPool(ones([1, 4, 4, 1]), { filterSize: 2 }).shape; // [1, 2, 2, 1]
 * ```
 */
export function avgPool(x: TensorLike, options: PoolOptions): Tensor {
  const fn = 'avgPool';
  checkOptionKeys(options, POOL_KEYS, fn);
  const n = normalizePool(options, fn);
  return runOp(avgPoolOp, [toTensor(x, fn, 'x')], poolAttrs(n))[0]!;
}

/**
 * The gradient of {@link avgPool}: spreads each `dy` evenly over its window in an input of
 * `inputShape`.
 *
 * @example
 * ```ts
 * avgPoolGrad(dy, [1, 4, 4, 1], { filterSize: 2 });
 * ```
 */
export function avgPoolGrad(dy: TensorLike, inputShape: readonly number[], options: PoolOptions): Tensor {
  const fn = 'avgPoolGrad';
  checkOptionKeys(options, POOL_KEYS, fn);
  const n = normalizePool(options, fn);
  const shape = checkShapeArg(inputShape, fn, 'inputShape');
  return runOp(avgPoolGradOp, [toTensor(dy, fn, 'dy')], { ...poolAttrs(n), inputShape: shape })[0]!;
}
