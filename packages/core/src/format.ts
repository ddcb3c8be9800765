/**
 * Printing tensors and converting flat data to nested arrays.
 *
 * @module
 */
import type { DType, TypedArray } from './dtype.js';
import { formatShape, type Shape } from './shape.js';

/**
 * Nested arrays of numbers or booleans, as `tensor()` accepts and `array()` returns.
 *
 * @example
 * ```ts
 * const v: NestedArray = [[1, 2], [3, 4]];
 * ```
 */
export type NestedArray = readonly (number | boolean | NestedArray)[];

/** @internal */
export function toNested(values: TypedArray, shape: Shape, dtype: DType): NestedArray | number | boolean {
  const conv = dtype === 'bool' ? (v: number): number | boolean => v !== 0 : (v: number): number | boolean => v;
  if (shape.length === 0) return conv(values[0]!);
  let offset = 0;
  const build = (dim: number): NestedArray => {
    const n = shape[dim]!;
    const out: (number | boolean | NestedArray)[] = new Array(n);
    if (dim === shape.length - 1) {
      for (let i = 0; i < n; i++) out[i] = conv(values[offset++]!);
    } else {
      for (let i = 0; i < n; i++) out[i] = build(dim + 1);
    }
    return out;
  };
  return build(0);
}

const EDGE = 3;
const SUMMARIZE_OVER = 1000;

function formatNumber(v: number, dtype: DType, float: { fixed: number | null }): string {
  if (dtype === 'bool') return v !== 0 ? 'true' : 'false';
  if (dtype === 'int32') return String(v);
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  if (float.fixed !== null) return v.toFixed(float.fixed);
  const s = Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-4) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
  return s;
}

/**
 * Formats tensor data like NumPy: nested brackets, aligned columns, long dimensions summarized
 * with `...`, followed by shape and dtype.
 * @internal
 */
export function formatTensor(values: TypedArray, shape: Shape, dtype: DType): string {
  const size = values.length;
  const summarize = size > SUMMARIZE_OVER;
  const float = { fixed: null as number | null };
  const cells: string[] = [];
  for (let i = 0; i < size; i++) cells.push(formatNumber(values[i]!, dtype, float));
  const width = cells.reduce((w, c) => Math.max(w, c.length), 0);
  const pad = (s: string): string => s.padStart(width);
  const prefix = 'Tensor(';
  const strides: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i]!;
  }
  const render = (dim: number, offset: number, indent: number): string => {
    if (dim === shape.length) return pad(cells[offset]!);
    const n = shape[dim]!;
    const idx: (number | null)[] = [];
    if (summarize && n > 2 * EDGE) {
      for (let i = 0; i < EDGE; i++) idx.push(i);
      idx.push(null);
      for (let i = n - EDGE; i < n; i++) idx.push(i);
    } else for (let i = 0; i < n; i++) idx.push(i);
    const parts = idx.map((i) => (i === null ? '...' : render(dim + 1, offset + i * strides[dim]!, indent + 1)));
    if (dim === shape.length - 1) return `[${parts.join(', ')}]`;
    const sep = ',' + '\n'.repeat(shape.length - dim - 1) + ' '.repeat(indent + 1);
    return `[${parts.join(sep)}]`;
  };
  const body = shape.length === 0 ? cells[0]! : render(0, 0, prefix.length);
  return `${prefix}${body}, shape=${formatShape(shape)}, dtype=${dtype})`;
}
