import { type TensorLike, BackendError, DTypeError, glorotUniformInitializer, onesLike, setBackend, tensor, toBackend, variable, zerosLike, add } from '@tessera/core';
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../src/index.js';

describe('two backends side by side', () => {
  it('zerosLike/onesLike create on the input backend, not the current one', async () => {
    const a = await createCpuBackend({ name: 'cpu-a' });
    const b = await createCpuBackend({ name: 'cpu-b' });
    setBackend(a);
    const x = tensor([1, 2, 3]);
    setBackend(b);
    expect(zerosLike(x).backend).toBe(a);
    expect(onesLike(x).backend).toBe(a);
    expect(onesLike(x).arraySync()).toEqual([1, 1, 1]);
  });

  it('mixing backends in one op or in assign throws BackendError; toBackend moves explicitly', async () => {
    const a = await createCpuBackend({ name: 'cpu-a' });
    const b = await createCpuBackend({ name: 'cpu-b' });
    setBackend(a);
    const x = tensor([1, 2]);
    const v = variable(tensor([0, 0]));
    setBackend(b);
    const y = tensor([3, 4]);
    expect(() => add(x, y)).toThrow(BackendError);
    expect(() => add(x, y)).toThrow(/cpu-a and cpu-b.*toBackend/);
    expect(() => v.assign(y)).toThrow(BackendError);
    const moved = await toBackend(y, a);
    expect(moved.backend).toBe(a);
    expect(add(x, moved).arraySync()).toEqual([4, 6]);
  });
});

describe('input validation added after review', () => {
  it('rejects typed arrays whose values may not fit int32', async () => {
    setBackend(await createCpuBackend());
    expect(() => tensor(new Uint32Array([2 ** 31]) as unknown as TensorLike)).toThrow(DTypeError);
    expect(() => tensor(new Uint32Array([1]) as unknown as TensorLike)).toThrow(/Uint32Array is not supported/);
    expect(tensor(new Int16Array([-3, 4]) as unknown as TensorLike).arraySync()).toEqual([-3, 4]);
  });

  it('glorotUniformInitializer rejects integer dtypes', async () => {
    setBackend(await createCpuBackend());
    expect(() => glorotUniformInitializer().create([2, 2], 'int32')).toThrow(DTypeError);
  });
});
