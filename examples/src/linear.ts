/**
 * The main example: trains a linear model and prints its loss falling.
 * Run it with `pnpm example` from the repository root.
 */
import { setBackend } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { trainLinear } from './linear-model.js';

setBackend(await createCpuBackend());
const started = performance.now();
const { losses, w, b } = trainLinear(101);
losses.forEach((loss, step) => {
  if (step % 10 === 0) console.log(`step ${String(step).padStart(3)}  loss ${loss.toFixed(6)}`);
});
console.log(`learned w = [${w.map((v) => v.toFixed(3)).join(', ')}], b = ${b.toFixed(3)}`);
console.log(`true    w = [2.000, -3.000, 0.500], b = 1.000  (${(performance.now() - started).toFixed(0)} ms)`);
