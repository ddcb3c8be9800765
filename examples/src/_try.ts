import { setBackend, memory } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { trainMnist } from './mnist/train.js';
setBackend(await createCpuBackend());
const t0 = performance.now();
const r = trainMnist({ mode: 'eager', epochs: 1, batchSize: 32, seed: 1, learningRate: 1e-3, limit: { train: 640, test: 300 } }, {
  onStep: (s) => { if (s.step % 5 === 0) console.log(s.step, s.loss.toFixed(3), s.accuracy.toFixed(3), s.examplesPerSecond.toFixed(0)); },
});
console.log(r.history, ((performance.now() - t0) / 1000).toFixed(1), 's', memory().numTensors);
