import { avgPool, avgPoolGrad, conv2d, conv2dBackpropFilter, conv2dBackpropInput, getOp, randomNormal, runOp, setBackend } from '@tessera/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '../src/index.js';

// Gradients built in a graph with a [null, ...] placeholder pass shape attributes with unknown
// dims; the ops fill them from their inputs when they run.
describe('shape attributes with unknown dims are resolved at run time', () => {
  beforeAll(async () => {
    setBackend(await createCpuBackend());
  });
  const conv = { strides: [2, 2], dilations: [1, 1], padding: 'SAME' };

  it('conv2dBackpropInput fills batch and channels from dy and the filter', () => {
    const f = randomNormal([3, 3, 4, 6], { seed: 1 });
    const dy = randomNormal([2, 3, 3, 6], { seed: 2 });
    const known = conv2dBackpropInput(dy, f, [2, 5, 5, 4], { strides: 2, padding: 'SAME' });
    const [partial] = runOp(getOp('conv2dBackpropInput')!, [dy, f], { ...conv, inputShape: [null, 5, 5, null] });
    expect(partial!.shape).toEqual([2, 5, 5, 4]);
    expect(Array.from(partial!.dataSync())).toEqual(Array.from(known.dataSync()));
  });

  it('conv2dBackpropFilter fills the channel dims from x and dy', () => {
    const x = randomNormal([2, 5, 5, 4], { seed: 3 });
    const dy = conv2d(x, randomNormal([3, 3, 4, 6], { seed: 4 }), { strides: 2, padding: 'SAME' });
    const known = conv2dBackpropFilter(x, dy, [3, 3, 4, 6], { strides: 2, padding: 'SAME' });
    const [partial] = runOp(getOp('conv2dBackpropFilter')!, [x, dy], { ...conv, filterShape: [3, 3, null, null] });
    expect(partial!.shape).toEqual([3, 3, 4, 6]);
    expect(Array.from(partial!.dataSync())).toEqual(Array.from(known.dataSync()));
  });

  it('avgPoolGrad fills batch and channels from dy', () => {
    const x = randomNormal([3, 4, 4, 2], { seed: 5 });
    const dy = avgPool(x, { filterSize: 2 });
    const known = avgPoolGrad(dy, [3, 4, 4, 2], { filterSize: 2 });
    const [partial] = runOp(getOp('avgPoolGrad')!, [dy], { filterSize: [2, 2], strides: [2, 2], padding: 'VALID', inputShape: [null, 4, 4, null] });
    expect(Array.from(partial!.dataSync())).toEqual(Array.from(known.dataSync()));
  });

  it('dims that cannot be recovered still fail clearly', () => {
    const f = randomNormal([3, 3, 4, 6], { seed: 1 });
    const dy = randomNormal([2, 3, 3, 6], { seed: 2 });
    expect(() => runOp(getOp('conv2dBackpropInput')!, [dy, f], { ...conv, inputShape: [2, null, 5, 4] })).toThrow(/not fully known|unknown/);
  });
});
