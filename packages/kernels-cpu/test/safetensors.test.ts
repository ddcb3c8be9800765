import { decodeSafetensors, encodeSafetensors, scalar, setBackend, tensor, tensorsFromSafetensors, ValueError } from '@tessera/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '../src/index.js';

/** Builds a file by hand: header JSON and data bytes, as another tool would write it. */
function file(header: unknown, data: Uint8Array = new Uint8Array(0), headerLenOverride?: number): Uint8Array {
  const h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  const dv = new DataView(out.buffer);
  const len = headerLenOverride ?? h.length;
  dv.setUint32(0, len % 0x100000000, true);
  dv.setUint32(4, Math.floor(len / 0x100000000), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('safetensors', () => {
  beforeAll(async () => {
    setBackend(await createCpuBackend());
  });

  it('round-trips every dtype, shapes and metadata', () => {
    const bytes = encodeSafetensors(
      {
        w: tensor([[1.5, -2], [3, 4.25]]),
        d: tensor(new Float64Array([Math.PI, -0])),
        step: scalar(7, 'int32'),
        mask: tensor([true, false, true]),
        empty: tensor([], [0, 3]),
      },
      { epoch: '3' },
    );
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ epoch: '3' });
    expect([...tensors.keys()]).toEqual(['d', 'empty', 'mask', 'step', 'w']);
    expect(tensors.get('w')).toEqual({ dtype: 'float32', shape: [2, 2], values: new Float32Array([1.5, -2, 3, 4.25]) });
    expect(tensors.get('d')!.values).toEqual(new Float64Array([Math.PI, -0]));
    expect(tensors.get('step')).toEqual({ dtype: 'int32', shape: [], values: new Int32Array([7]) });
    expect(tensors.get('mask')!.values).toEqual(new Uint8Array([1, 0, 1]));
    expect(tensors.get('empty')!.shape).toEqual([0, 3]);
    const back = tensorsFromSafetensors(bytes);
    expect(back.get('w')!.arraySync()).toEqual([[1.5, -2], [3, 4.25]]);
    expect(back.get('mask')!.arraySync()).toEqual([true, false, true]);
  });

  it('writes the layout other tools expect: u64 length, 8-aligned JSON header, raw little-endian data', () => {
    const bytes = encodeSafetensors({ a: tensor([1, 2], [2], 'int32') });
    const dv = new DataView(bytes.buffer);
    const n = dv.getUint32(0, true);
    expect(dv.getUint32(4, true)).toBe(0);
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as unknown;
    expect(header).toEqual({ a: { dtype: 'I32', shape: [2], data_offsets: [0, 8] } });
    expect(Array.from(bytes.subarray(8 + n))).toEqual([1, 0, 0, 0, 2, 0, 0, 0]);
  });

  it('reads a file written by hand the way Python safetensors writes it', () => {
    const data = new Uint8Array(new Float32Array([0.5, 1]).buffer);
    const t = decodeSafetensors(file({ x: { dtype: 'F32', shape: [1, 2], data_offsets: [0, 8] } }, data));
    expect(t.tensors.get('x')).toEqual({ dtype: 'float32', shape: [1, 2], values: new Float32Array([0.5, 1]) });
  });

  const f32 = (n: number): Uint8Array => new Uint8Array(n * 4);
  const hostile: [string, Uint8Array, RegExp][] = [
    ['shorter than 8 bytes', new Uint8Array(5), /shorter than the 8-byte/],
    ['a header longer than the file', file({}, new Uint8Array(0), 1000), /claims 1000 bytes/],
    ['a header of absurd size', file({}, new Uint8Array(0), 2 ** 40), /limit/],
    ['a header that is not JSON', file('{"x": '), /not valid UTF-8 JSON/],
    ['a header that is not an object', file('[1,2]'), /not a JSON object/],
    ['an unknown dtype', file({ x: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2)), /unsupported dtype "F16"/],
    ['a shape that does not match the bytes', file({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(2)), /12 bytes.*cover 8/],
    ['a huge claimed shape', file({ x: { dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 8] } }, f32(2)), /absurd shape/],
    ['offsets beyond the data', file({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(2)), /outside the 8 data bytes/],
    ['reversed offsets', file({ x: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, f32(2)), /outside/],
    [
      'overlapping tensors',
      file({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(3)),
      /overlaps/,
    ],
    ['a gap between tensors', file({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)), /gap/],
    ['trailing bytes no tensor covers', file({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)), /cover 4 data bytes but the data has 8/],
    ['a negative dimension', file({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)), /invalid shape/],
    ['non-integer offsets', file({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4.5] } }, f32(1)), /invalid data_offsets/],
    ['a bool byte that is not 0 or 1', file({ x: { dtype: 'BOOL', shape: [1], data_offsets: [0, 1] } }, new Uint8Array([2])), /not 0 or 1/],
    ['non-string metadata', file({ __metadata__: { a: 1 } }), /not a string/],
  ];
  for (const [what, bytes, pattern] of hostile) {
    it(`rejects ${what}`, () => {
      let err: unknown;
      try {
        decodeSafetensors(bytes);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ValueError);
      expect((err as Error).message).toMatch(/^decodeSafetensors: /);
      expect((err as Error).message).toMatch(pattern);
    });
  }

  it('rejects a truncated file (any prefix of a valid one)', () => {
    const bytes = encodeSafetensors({ w: tensor([[1, 2], [3, 4]]), b: tensor([5]) });
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(() => decodeSafetensors(bytes.subarray(0, cut))).toThrow(ValueError);
    }
  });

  it('rejects the reserved name on encode', () => {
    expect(() => encodeSafetensors({ __metadata__: tensor([1]) })).toThrow(/reserved/);
  });
});
