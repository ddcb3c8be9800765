/**
 * Trains a linear model y = w·x + b on synthetic data with gradient descent and prints the loss
 * falling. Run it with `pnpm example` from the repository root.
 */
import { matmul, meanSquaredError, randomNormal, randomUniform, setBackend, setRandomSeed, tensor, tidy, variable, zeros } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { GradientDescentOptimizer } from '@tessera/optim';

setBackend(await createCpuBackend());
setRandomSeed(7);

// Data: 256 points, 3 features, true weights [2, -3, 0.5], bias 1, a little noise.
const trueW = tensor([[2], [-3], [0.5]]);
const x = randomUniform([256, 3], { minval: -1, maxval: 1 });
const y = tidy(() => matmul(x, trueW).add(1).add(randomNormal([256, 1], { stddev: 0.05 })));

const w = variable(zeros([3, 1]), { name: 'w' });
const b = variable(0, { name: 'b' });
const optimizer = new GradientDescentOptimizer(0.3);
const loss = () => meanSquaredError(y, matmul(x, w).add(b));

const started = performance.now();
for (let step = 0; step <= 100; step++) {
  const value = optimizer.minimize(loss);
  if (step % 10 === 0) console.log(`step ${String(step).padStart(3)}  loss ${(+value).toFixed(6)}`);
  value.dispose();
}
console.log(`learned w = [${Array.from(w.dataSync(), (v) => v.toFixed(3)).join(', ')}], b = ${(+b).toFixed(3)}`);
console.log(`(true w = [2, -3, 0.5], b = 1; ${(performance.now() - started).toFixed(0)} ms)`);
