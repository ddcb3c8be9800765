/**
 * One part of the split model in its own thread: a graph and a session of its own, reached only
 * through messages carrying arrays (the intermediate vector, its gradient, checkpoints).
 */
import { parentPort } from 'node:worker_threads';
import { argMax, decodeSafetensors, encodeSafetensors, setBackend, tensor, cast, equal, sum, type Tensor } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { Graph, Session, globalVariablesInitializer, gradients, nameScope, placeholder, trainableVariables } from '@tessera/graph';
import { AdamOptimizer } from '@tessera/optim';
import { buildSaver, type GraphSaver, type SplitRequest } from './graph-modes.js';
import { convForward, createConvParams, createDenseParams, denseForward, IV_SIZE, lossOf } from './model.js';

setBackend(await createCpuBackend());
const port = parentPort!;

interface ConvPart {
  readonly x: Tensor;
  readonly iv: Tensor;
  readonly ivGrad: Tensor;
  readonly train: Tensor;
}
interface DensePart {
  readonly iv: Tensor;
  readonly y: Tensor;
  readonly loss: Tensor;
  readonly correct: Tensor;
  readonly prediction: Tensor;
  readonly train: Tensor;
  readonly ivGradient: Tensor;
}

let session: Session | undefined;
let conv: ConvPart | undefined;
let dense: DensePart | undefined;
let saver: GraphSaver | undefined;
let prefix = '';

function init(part: 'conv' | 'dense', seed: number, learningRate: number): void {
  const g = new Graph();
  prefix = part === 'conv' ? 'second_part/' : 'first_part/';
  g.asDefault(() => {
    if (part === 'conv') {
      // part two of the seed: x -> iv, trained from the gradient of iv it is sent
      const x = placeholder('float32', [null, 28, 28, 1], { name: 'x' });
      const iv = nameScope('second_part', () => convForward(createConvParams(seed), x));
      const ivGrad = placeholder('float32', [null, IV_SIZE], { name: 'ivGrad' });
      const vars = trainableVariables();
      const grads = gradients(iv, vars, ivGrad);
      const train = new AdamOptimizer(learningRate).applyGradients(grads.map((gr, i) => [gr, vars[i]!] as const))!;
      conv = { x, iv, ivGrad, train };
    } else {
      // part one: iv -> loss, trained directly; the gradient of iv goes back
      const iv = placeholder('float32', [null, IV_SIZE], { name: 'iv' });
      const y = placeholder('int32', [null], { name: 'y' });
      const logits = nameScope('first_part', () => denseForward(createDenseParams(seed), iv));
      const loss = lossOf(logits, y);
      const train = new AdamOptimizer(learningRate).minimize(loss, { varList: trainableVariables() })!;
      const ivGradient = gradients(loss, [iv])[0]!;
      const prediction = argMax(logits, 1);
      const correct = sum(cast(equal(prediction, y), 'int32'));
      dense = { iv, y, loss, correct, prediction, train, ivGradient };
    }
    const init = globalVariablesInitializer();
    saver = buildSaver();
    session = new Session(g);
    session.run(init);
  });
}

function handle(req: SplitRequest): [unknown, ArrayBuffer[]] {
  const s = session;
  switch (req.type) {
    case 'init':
      init(req.part, req.seed, req.learningRate);
      return [null, []];
    case 'forward': {
      const x = tensor(req.x, [req.n, 28, 28, 1]);
      const iv = s!.run(conv!.iv, [[conv!.x, x]]);
      const out = iv.dataSync() as Float32Array;
      x.dispose();
      iv.dispose();
      return [out, [out.buffer as ArrayBuffer]];
    }
    case 'backward': {
      const x = tensor(req.x, [req.n, 28, 28, 1]);
      const g = tensor(req.ivGrad, [req.n, IV_SIZE]);
      s!.run(conv!.train, [
        [conv!.x, x],
        [conv!.ivGrad, g],
      ]);
      x.dispose();
      g.dispose();
      return [null, []];
    }
    case 'trainDense': {
      const iv = tensor(req.iv, [req.n, IV_SIZE]);
      const y = tensor(req.y, [req.n], 'int32');
      const [, ivg, loss, correct] = s!.run([dense!.train, dense!.ivGradient, dense!.loss, dense!.correct], [
        [dense!.iv, iv],
        [dense!.y, y],
      ]);
      const ivGrad = ivg!.dataSync() as Float32Array;
      const r = { ivGrad, loss: +loss!, correct: +correct! };
      for (const t of [iv, y, ivg!, loss!, correct!]) t.dispose();
      return [r, [ivGrad.buffer as ArrayBuffer]];
    }
    case 'predictDense': {
      const iv = tensor(req.iv, [req.n, IV_SIZE]);
      const p = s!.run(dense!.prediction, [[dense!.iv, iv]]);
      const out = p.dataSync() as Int32Array;
      iv.dispose();
      p.dispose();
      return [out, [out.buffer as ArrayBuffer]];
    }
    case 'save':
      throw new Error('save is handled asynchronously');
    case 'restore': {
      saver!.restore(s!, decodeSafetensors(req.bytes).tensors, prefix);
      return [null, []];
    }
  }
}

port.on('message', (req: SplitRequest) => {
  if (req.type === 'save') {
    saver!
      .save(session!, prefix)
      .then((entries) => {
        const bytes = encodeSafetensors(entries);
        port.postMessage({ id: req.id, ok: true, value: bytes }, [bytes.buffer as ArrayBuffer]);
      })
      .catch((e: unknown) => port.postMessage({ id: req.id, ok: false, error: String(e) }));
    return;
  }
  try {
    const [value, transfer] = handle(req);
    port.postMessage({ id: req.id, ok: true, value }, transfer);
  } catch (e) {
    port.postMessage({ id: req.id, ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
});
