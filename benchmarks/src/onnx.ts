/**
 * Builds tiny ONNX models (one node) for onnxruntime-node, with a minimal protobuf writer, so
 * the benchmark needs no Python or model files.
 */

type Field = [number, 'varint', number] | [number, 'bytes', Uint8Array];

function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return out;
}

function message(fields: readonly Field[]): Uint8Array {
  const out: number[] = [];
  for (const [num, kind, value] of fields) {
    if (kind === 'varint') out.push(...varint(num << 3), ...varint(value));
    else out.push(...varint((num << 3) | 2), ...varint(value.length), ...value);
  }
  return new Uint8Array(out);
}

const str = (s: string): Uint8Array => new TextEncoder().encode(s);

function valueInfo(name: string, shape: readonly number[]): Uint8Array {
  const tensorShape = message(shape.map((d) => [1, 'bytes', message([[1, 'varint', d]])] as Field));
  const tensorType = message([
    [1, 'varint', 1], // FLOAT
    [2, 'bytes', tensorShape],
  ]);
  const type = message([[1, 'bytes', tensorType]]);
  return message([
    [1, 'bytes', str(name)],
    [2, 'bytes', type],
  ]);
}

/** An attribute: ints (type INTS = 7) or a string (type STRING = 3). */
export type Attr = { name: string; ints: readonly number[] } | { name: string; i: number } | { name: string; s: string };

function attribute(a: Attr): Uint8Array {
  if ('ints' in a) {
    return message([[1, 'bytes', str(a.name)], [20, 'varint', 7], ...a.ints.map((i) => [8, 'varint', i] as Field)]);
  }
  if ('i' in a) {
    // AttributeProto: name = 1, i = 3, type = 20 (INT = 2)
    return message([[1, 'bytes', str(a.name)], [20, 'varint', 2], [3, 'varint', a.i]]);
  }
  return message([
    [1, 'bytes', str(a.name)],
    [20, 'varint', 3],
    [4, 'bytes', str(a.s)],
  ]);
}

/** A model with one node `opType(inputs) -> y`. */
export function oneNodeModel(opType: string, inputs: readonly { name: string; shape: readonly number[] }[], output: readonly number[], attrs: readonly Attr[] = []): Uint8Array {
  const node = message([
    ...inputs.map((i) => [1, 'bytes', str(i.name)] as Field),
    [2, 'bytes', str('y')],
    [3, 'bytes', str('node')],
    [4, 'bytes', str(opType)],
    ...attrs.map((a) => [5, 'bytes', attribute(a)] as Field),
  ]);
  const graph = message([
    [1, 'bytes', node],
    [2, 'bytes', str('g')],
    ...inputs.map((i) => [11, 'bytes', valueInfo(i.name, i.shape)] as Field),
    [12, 'bytes', valueInfo('y', output)],
  ]);
  const opset = message([
    [1, 'bytes', str('')],
    [2, 'varint', 13],
  ]);
  return message([
    [1, 'varint', 8], // ir_version
    [2, 'bytes', str('tessera-benchmarks')],
    [7, 'bytes', graph],
    [8, 'bytes', opset],
  ]);
}
