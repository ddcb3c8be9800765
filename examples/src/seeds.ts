/**
 * Every example of the two source documents, in TypeScript with Tessera, printing its result.
 * Run it with `pnpm --filter @tessera/examples seeds`.
 *
 * 001: eager execution: conv2d on a get_variable filter, the four tfe gradient functions,
 *      host-language `if` on eager tensors, the same in graph mode with placeholders and cond
 *      (and the error when a symbolic tensor is used as a boolean), and optimizers.
 * 000: training a model split in two parts, handing the gradient of the intermediate vector
 *      from one part to the other through a placeholder.
 */
import {
  add,
  conv2d,
  getVariable,
  greaterEqual,
  matmul,
  mean,
  randomNormal,
  randomNormalInitializer,
  setBackend,
  setRandomSeed,
  square,
  sub,
  tanh,
  tensor,
  truncatedNormalInitializer,
  variable,
  zeros,
  zerosInitializer,
  type Tensor,
  type Variable,
} from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { gradientsFunction, implicitGradients, implicitValueAndGradients, valueAndGradientsFunction } from '@tessera/autograd';
import { AdamOptimizer, GradientDescentOptimizer, MomentumOptimizer, getOrCreateGlobalStep } from '@tessera/optim';
import { Graph, Session, cond, globalVariablesInitializer, gradients, nameScope, placeholder, trainableVariables } from '@tessera/graph';

setBackend(await createCpuBackend());
setRandomSeed(0);
const show = (t: Tensor | number | null): string => (t === null ? 'null' : typeof t === 'number' ? String(t) : JSON.stringify(t.arraySync()));
const heading = (s: string): void => console.log(`\n== ${s}`);

heading('001: convolution directly using an operation');
const images = randomNormal([2, 28, 28, 3]);
const filter = getVariable('conv_w0', { shape: [5, 5, 3, 20], initializer: truncatedNormalInitializer() });
const conv = conv2d(images, filter, { strides: [1, 2, 2, 1], padding: 'VALID' });
console.log('conv.shape =', JSON.stringify(conv.shape));

heading('001: gradients_function of f(x, y) = x² + y³ at (1, 2)');
const g = gradientsFunction((x: Tensor, y: Tensor) => add(x.pow(2), y.pow(3)));
console.log('g(1, 2) =', g(1, 2).map(show).join(', '));

heading('001: gradients_function and value_and_gradients_function of x*x + 2*x + 4 at 2');
const func = (x: Tensor): Tensor => x.mul(x).add(x.mul(2)).add(4);
console.log('grad1(2) =', `[${gradientsFunction(func)(2).map(show).join(', ')}]`);
const [value, grads] = valueAndGradientsFunction(func)(2);
console.log('grad2(2) =', `(${show(value)}, [${grads.map(show).join(', ')}])`);

heading('001: implicit_gradients and implicit_value_and_gradients of x + 2*a*x*y');
const x = variable(1, { name: 'x' });
const y = variable(1, { name: 'y' });
const f = (a: Tensor): Tensor => add(x, a.mul(2).mul(x).mul(y));
console.log('grad1(5) =', implicitGradients(f)(5).map(([gr, v]) => `(${show(gr)}, ${v.name})`).join(', '));
const [v2, pairs] = implicitValueAndGradients(f)(5);
console.log('grad2(5) =', `(${show(v2)}, [${pairs.map(([gr, v]) => `(${show(gr)}, ${v.name})`).join(', ')}])`);

heading('001: host-language if/else on eager tensors');
function relu1(t: Tensor): Tensor {
  // TypeScript does not compare objects with >=; the unary + turns the 1-element tensor into a number
  if (+t >= 0) return t;
  return zeros(t.shape, t.dtype);
}
function relu2(t: Tensor): Tensor {
  const c = greaterEqual(t, tensor(0, undefined, t.dtype));
  return cond(c.reshape([]), () => t, () => zeros(t.shape, t.dtype));
}
const x1 = tensor([[-5.0]], undefined, 'float64');
const x2 = tensor([[5.0]], undefined, 'float64');
console.log(`result1:${show(relu1(x1))},result2:${show(relu1(x2))}`);
console.log(`result3:${show(relu2(x1))},result4:${show(relu2(x2))}`);

heading('001: the same in graph mode: placeholders, cond and a Session');
const g2 = new Graph();
const built = g2.asDefault(() => {
  const p1 = placeholder('float64', [1, 1]);
  const p2 = placeholder('float64', [1, 1]);
  let error = '';
  try {
    relu1(p2).mul(p2); // result2 = x2 * relu(x2): a plain if cannot see a placeholder's value
  } catch (e) {
    error = (e as Error).message;
  }
  return { p1, p2, result1: relu2(p1), result2: relu2(p2), error };
});
const sess = new Session(g2);
const [r1, r2] = sess.run([built.result1, built.result2], [
  [built.p1, [[5.0]]],
  [built.p2, [[-5.0]]],
]);
console.log(`[${show(r1!)}, ${show(r2!)}]`);
console.log('x2 * relu(x2) with a plain if, while building the graph, throws:', built.error);
sess.close();

heading('001: GradientDescentOptimizer.minimize with a loss function');
const w = getVariable('w', { initializer: 3.0 });
const loss = (t: number): Tensor => w.mul(t);
const optimizer = new GradientDescentOptimizer(0.1);
const trace: string[] = [];
for (let i = 0; i < 5; i++) {
  optimizer.minimize(() => loss(5.0)).dispose();
  trace.push(String(+w));
}
console.log(trace.join(' '));

heading('001: compute_gradients / apply_gradients with global_step; Adam and Momentum');
const step = getOrCreateGlobalStep();
const w2 = variable(3, { name: 'w2' });
const sgd = new GradientDescentOptimizer(0.1);
const gv = sgd.computeGradients(() => w2.mul(5));
sgd.applyGradients(gv, { globalStep: step });
console.log(`after one compute/apply: w2 = ${+w2}, global_step = ${+step}`);
for (const [name, opt] of [
  ['Adam', new AdamOptimizer(0.1)],
  ['Momentum', new MomentumOptimizer(0.1, 0.9)],
] as const) {
  const v = variable(3, { name: `w_${name}` });
  const values: string[] = [];
  for (let i = 0; i < 3; i++) {
    opt.minimize(() => v.mul(5)).dispose();
    values.push((+v).toFixed(4));
  }
  console.log(`${name}: ${values.join(' ')}`);
}

heading('000: split-model training: compute_gradients on one part, gradients(iv, vars, ivGrad) on the other');
const gs = new Graph();
const m = gs.asDefault(() => {
  const xp = placeholder('float32', [4, 3], { name: 'x' });
  const yp = placeholder('float32', [4, 1], { name: 'y' });
  const iv = nameScope('second_part', () => {
    const ws = getVariable('w', { shape: [3, 2], initializer: randomNormalInitializer({ seed: 1 }) });
    const bs = getVariable('b', { shape: [2], initializer: zerosInitializer() });
    return tanh(add(matmul(xp, ws), bs));
  });
  const lossT = nameScope('first_part', () => {
    const wf = getVariable('w', { shape: [2, 1], initializer: randomNormalInitializer({ seed: 2 }) });
    return mean(square(sub(matmul(iv, wf), yp)));
  });
  const firstPartVars = trainableVariables().filter((v) => v.name.startsWith('first_part/'));
  const secondPartVars = trainableVariables().filter((v) => v.name.startsWith('second_part/'));
  const opt = new GradientDescentOptimizer(0.5);
  const trainFirstPart = opt.applyGradients(opt.computeGradients(lossT, { varList: firstPartVars }))!;
  const ivGradients = gradients(lossT, [iv])[0]!;
  const ivPh = placeholder('float32', [4, 2], { name: 'iv_ph' });
  const secondGrads = gradients(iv, secondPartVars, ivPh);
  const trainSecondPart = opt.applyGradients(secondGrads.map((gr, i) => [gr, secondPartVars[i]!] as [Tensor | null, Variable]))!;
  return { xp, yp, lossT, trainFirstPart, ivGradients, ivPh, trainSecondPart, init: globalVariablesInitializer() };
});
const s = new Session(gs);
s.run(m.init);
const batch = { x: [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], y: [[1], [-1], [0.5], [0]] };
const losses: string[] = [];
for (let i = 0; i < 20; i++) {
  const [, ivg, l] = s.run([m.trainFirstPart, m.ivGradients, m.lossT], { x: batch.x, y: batch.y });
  s.run(m.trainSecondPart, [
    [m.xp, batch.x],
    [m.ivPh, ivg!],
  ]);
  if (i % 5 === 0 || i === 19) losses.push(`step ${i}: ${(+l!).toFixed(4)}`);
}
console.log(losses.join(', '));
s.close();
