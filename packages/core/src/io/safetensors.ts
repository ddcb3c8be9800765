/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the raw little-endian data. Other tools (Python's
 * `safetensors`, PyTorch, JAX) read and write the same files.
 *
 * Decoding validates everything before it allocates: a header longer than the file, overlapping,
 * out-of-range or non-contiguous offsets, unknown dtypes, shapes that do not match their bytes,
 * and headers of absurd size are rejected with a {@link ValueError}.
 *
 * @module
 */
import { bytesPerElement, makeTypedArray, type DType, type TypedArray } from '../dtype.js';
import { ValueError } from '../errors.js';
import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';

const TO_FILE: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };
const FROM_FILE: Record<string, DType> = { F32: 'float32', F64: 'float64', I32: 'int32', BOOL: 'bool' };

/** Headers larger than this are rejected as hostile (the format's reference reader uses 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;
const MAX_RANK = 32;

/**
 * One decoded tensor: dtype, shape and values (a typed array the caller owns).
 *
 * @example
 * ```ts
 * const e: SafetensorsEntry = { dtype: 'float32', shape: [2], values: new Float32Array([1, 2]) };
 * ```
 */
export interface SafetensorsEntry {
  /** The dtype. */
  readonly dtype: DType;
  /** The shape. */
  readonly shape: number[];
  /** The values, row-major. */
  readonly values: TypedArray;
}

/**
 * A decoded file: its tensors by name and its string metadata.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = decodeSafetensors(bytes);
 * ```
 */
export interface SafetensorsContents {
  /** Tensors by name, in file order. */
  readonly tensors: Map<string, SafetensorsEntry>;
  /** The `__metadata__` string map (empty if absent). */
  readonly metadata: Record<string, string>;
}

/**
 * Values to encode: a name → tensor map (tensors are read synchronously, so their backend must
 * support synchronous reads) or name → entry.
 *
 * @example
 * ```ts
 * const t: SafetensorsInput = { w: variable(zeros([2, 2])) };
 * ```
 */
export type SafetensorsInput = Readonly<Record<string, Tensor | SafetensorsEntry>> | ReadonlyMap<string, Tensor | SafetensorsEntry>;

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

function toEntry(name: string, t: Tensor | SafetensorsEntry): SafetensorsEntry {
  if ('values' in t) return t;
  return { dtype: t.dtype, shape: [...t.shape], values: t.dataSync() };
}

function bytesOf(values: TypedArray): Uint8Array {
  const view = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (isLittleEndian() || values.BYTES_PER_ELEMENT === 1) return view;
  const out = new Uint8Array(view.length);
  const w = values.BYTES_PER_ELEMENT;
  for (let i = 0; i < view.length; i += w) for (let j = 0; j < w; j++) out[i + j] = view[i + w - 1 - j]!;
  return out;
}

/**
 * Encodes tensors (and optional string metadata) as safetensors bytes. Names are written in
 * sorted order; the header is padded with spaces to a multiple of 8 bytes.
 *
 * @example
 * ```ts
 * const bytes = encodeSafetensors({ w: tensor([[1, 2]]), step: scalar(3, 'int32') }, { epoch: '1' });
 * ```
 */
export function encodeSafetensors(tensors: SafetensorsInput, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const entries: [string, SafetensorsEntry][] = [];
  const source = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  for (const [name, t] of source) {
    if (name === '__metadata__') throw new ValueError('encodeSafetensors: "__metadata__" is reserved and cannot name a tensor');
    entries.push([name, toEntry(name, t)]);
  }
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new ValueError(`encodeSafetensors: metadata value of ${JSON.stringify(k)} must be a string`);
  }
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header['__metadata__'] = { ...metadata };
  let offset = 0;
  for (const [name, e] of entries) {
    const n = e.values.length * bytesPerElement(e.dtype);
    header[name] = { dtype: TO_FILE[e.dtype], shape: e.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let headerBytes = enc.encode(json);
  const pad = (8 - (headerBytes.length % 8)) % 8;
  if (pad > 0) {
    json += ' '.repeat(pad);
    headerBytes = enc.encode(json);
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, headerBytes.length, true);
  dv.setUint32(4, 0, true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const [, e] of entries) {
    const b = bytesOf(e.values);
    out.set(b, pos);
    pos += b.length;
  }
  return out;
}

function fail(msg: string): never {
  throw new ValueError(`decodeSafetensors: ${msg}`);
}

/**
 * Decodes safetensors bytes, validating the header completely before allocating any tensor.
 *
 * @example
 * ```ts
 * const { tensors } = decodeSafetensors(encodeSafetensors({ w: tensor([1, 2]) }));
 * tensors.get('w')!.values; // Float32Array [1, 2]
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsContents {
  if (!(bytes instanceof Uint8Array)) fail('expected a Uint8Array');
  if (bytes.length < 8) fail(`the data is ${bytes.length} bytes long, shorter than the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  const headerLen = hi * 0x100000000 + lo;
  if (headerLen > MAX_HEADER_BYTES) fail(`the header claims ${headerLen} bytes, more than the ${MAX_HEADER_BYTES}-byte limit`);
  if (headerLen > bytes.length - 8) fail(`the header claims ${headerLen} bytes but the data has only ${bytes.length - 8} after the length`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    fail(`the header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('the header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const specs: { name: string; dtype: DType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__ value of ${JSON.stringify(k)} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(`entry ${JSON.stringify(name)} is not an object`);
    const r = raw as Record<string, unknown>;
    const dtype = typeof r['dtype'] === 'string' ? FROM_FILE[r['dtype']] : undefined;
    if (dtype === undefined) {
      fail(`tensor ${JSON.stringify(name)} has unsupported dtype ${JSON.stringify(r['dtype'])} (supported: ${Object.keys(FROM_FILE).join(', ')})`);
    }
    const shape = r['shape'];
    if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      fail(`tensor ${JSON.stringify(name)} has an invalid shape ${JSON.stringify(shape)}`);
    }
    const offs = r['data_offsets'];
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      fail(`tensor ${JSON.stringify(name)} has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    if (begin > end || end > dataLen) {
      fail(`tensor ${JSON.stringify(name)} has data_offsets [${begin}, ${end}] outside the ${dataLen} data bytes`);
    }
    let count = 1;
    for (const d of shape as number[]) {
      count *= d;
      if (count > Number.MAX_SAFE_INTEGER) fail(`tensor ${JSON.stringify(name)} has an absurd shape ${JSON.stringify(shape)}`);
    }
    if (count * bytesPerElement(dtype) !== end - begin) {
      fail(
        `tensor ${JSON.stringify(name)} has shape ${JSON.stringify(shape)} of ${dtype} (${count * bytesPerElement(dtype)} bytes) ` +
          `but data_offsets cover ${end - begin} bytes`,
      );
    }
    specs.push({ name, dtype, shape: shape as number[], begin, end });
  }
  const byOffset = [...specs].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const s of byOffset) {
    if (s.begin !== expected) {
      fail(
        s.begin < expected
          ? `tensor ${JSON.stringify(s.name)} overlaps another tensor (offsets [${s.begin}, ${s.end}])`
          : `there is a gap before tensor ${JSON.stringify(s.name)} (offsets [${s.begin}, ${s.end}])`,
      );
    }
    expected = s.end;
  }
  if (expected !== dataLen) fail(`the tensors cover ${expected} data bytes but the data has ${dataLen}`);
  const tensors = new Map<string, SafetensorsEntry>();
  const le = isLittleEndian();
  for (const s of specs) {
    const n = (s.end - s.begin) / bytesPerElement(s.dtype);
    const values = makeTypedArray(s.dtype, n);
    const dst = new Uint8Array(values.buffer);
    const src = bytes.subarray(dataStart + s.begin, dataStart + s.end);
    if (le || values.BYTES_PER_ELEMENT === 1) dst.set(src);
    else {
      const w = values.BYTES_PER_ELEMENT;
      for (let i = 0; i < src.length; i += w) for (let j = 0; j < w; j++) dst[i + j] = src[i + w - 1 - j]!;
    }
    if (s.dtype === 'bool') {
      for (let i = 0; i < n; i++) if (values[i]! > 1) fail(`tensor ${JSON.stringify(s.name)} holds a bool byte that is not 0 or 1`);
    }
    tensors.set(s.name, { dtype: s.dtype, shape: s.shape, values });
  }
  return { tensors, metadata };
}

/**
 * Decodes safetensors bytes into tensors on the current backend.
 *
 * @example
 * ```ts
 * const weights = tensorsFromSafetensors(bytes);
 * weights.get('w')!.shape;
 * ```
 */
export function tensorsFromSafetensors(bytes: Uint8Array): Map<string, Tensor> {
  const { tensors } = decodeSafetensors(bytes);
  const out = new Map<string, Tensor>();
  for (const [name, e] of tensors) out.set(name, tensor(e.values, e.shape, e.dtype));
  return out;
}
