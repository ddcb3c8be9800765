/**
 * A linear model y = x·w + b trained by gradient descent on synthetic data.
 */
import {
  matmul,
  meanSquaredError,
  randomNormal,
  randomUniform,
  setRandomSeed,
  tensor,
  tidy,
  variable,
  type Tensor,
} from '@tessera/core';
import { GradientDescentOptimizer } from '@tessera/optim';

export interface LinearResult {
  /** Loss after each step (step 0 is before any update). */
  readonly losses: number[];
  /** The learned weights. */
  readonly w: number[];
  /** The learned bias. */
  readonly b: number;
}

/** Trains on 256 points with 3 features (true weights [2, -3, 0.5], bias 1, noise 0.05). */
export function trainLinear(steps = 100, learningRate = 0.3, seed = 7): LinearResult {
  setRandomSeed(seed);
  const trueW = tensor([[2], [-3], [0.5]]);
  const x = randomUniform([256, 3], { minval: -1, maxval: 1 });
  const y = tidy(() => matmul(x, trueW).add(1).add(randomNormal([256, 1], { stddev: 0.05 })));
  const w = variable([[0], [0], [0]], { name: 'w' });
  const b = variable(0, { name: 'b' });
  const optimizer = new GradientDescentOptimizer(learningRate);
  const loss = (): Tensor => meanSquaredError(y, matmul(x, w).add(b));
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const value = optimizer.minimize(loss);
    losses.push(+value);
    value.dispose();
  }
  const result = { losses, w: Array.from(w.dataSync()), b: +b };
  for (const t of [trueW, x, y, w, b]) t.dispose();
  return result;
}
