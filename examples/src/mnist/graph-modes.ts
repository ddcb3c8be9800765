/**
 * Graph and split training modes.
 *
 * - graph: the whole model is built once in a Graph; each step is `session.run([trainOp, loss,
 *   correct], feeds)`.
 * - split: the seed document's split training. The convolutional part (x → iv) and the dense
 *   part (iv → loss) live in two graphs, each in its own worker thread with its own session;
 *   only the intermediate vector and its gradient travel between them, as arrays in messages,
 *   as they would between two machines.
 */
import { Worker } from 'node:worker_threads';
import { argMax, cast, decodeSafetensors, encodeSafetensors, equal, sum, tensor, type SafetensorsEntry, type Tensor } from '@tessera/core';
import { Graph, Session, globalVariables, globalVariablesInitializer, group, placeholder, type Operation } from '@tessera/graph';
import { AdamOptimizer } from '@tessera/optim';
import { convForward, createConvParams, createDenseParams, denseForward, lossOf } from './model.js';
import { registerTrainer, type Trainer } from './train.js';
import { entryOfTensor } from '../checkpoint.js';

/** Save/restore support for a graph: fetch every variable; assign them all from placeholders. */
export interface GraphSaver {
  save(session: Session, prefix: string): Promise<Map<string, SafetensorsEntry>>;
  restore(session: Session, entries: ReadonlyMap<string, SafetensorsEntry>, prefix: string): void;
}

/** Builds restore ops for every variable of the current graph (call inside `graph.asDefault`). */
export function buildSaver(): GraphSaver {
  const vars = globalVariables();
  const names = vars.map((v) => v.name);
  if (new Set(names).size !== names.length) throw new Error(`buildSaver: variable names repeat: ${names.join(', ')}`);
  const feeds = vars.map((v) => placeholder(v.dtype, v.shape, { name: `save/${v.name}` }));
  const restoreOp: Operation = group(vars.map((v, i) => v.assign(feeds[i]!)), { name: 'save/restore_all' });
  return {
    async save(session, prefix) {
      const values = (await session.runAsync(vars)) as Tensor[];
      const entries = new Map<string, SafetensorsEntry>();
      for (let i = 0; i < values.length; i++) {
        entries.set(`${prefix}${names[i]!}`, await entryOfTensor(values[i]!));
        values[i]!.dispose();
      }
      return entries;
    },
    restore(session, entries, prefix) {
      const feed = vars.map((v, i): [Tensor, Tensor] => {
        const e = entries.get(`${prefix}${v.name}`);
        if (e === undefined) throw new Error(`restore: the checkpoint has no variable '${prefix}${v.name}'`);
        return [feeds[i]!, tensor(e.values, e.shape, e.dtype)];
      });
      session.run(restoreOp, feed);
      for (const [, t] of feed) t.dispose();
    },
  };
}

function graphTrainer(seed: number, learningRate: number): Trainer {
  const g = new Graph();
  const m = g.asDefault(() => {
    const x = placeholder('float32', [null, 28, 28, 1], { name: 'x' });
    const y = placeholder('int32', [null], { name: 'y' });
    const conv = createConvParams(seed);
    const dense = createDenseParams(seed);
    const logits = denseForward(dense, convForward(conv, x));
    const loss = lossOf(logits, y);
    const varList = [conv.w1, conv.b1, conv.w2, conv.b2, dense.w, dense.b];
    const train = new AdamOptimizer(learningRate).minimize(loss, { varList });
    const prediction = argMax(logits, 1);
    const correct = sum(cast(equal(prediction, y), 'int32'));
    const init = globalVariablesInitializer();
    const saver = buildSaver();
    return { x, y, loss, train, prediction, correct, init, saver };
  });
  const session = new Session(g);
  session.run(m.init);
  return {
    async step(xs, ys, n) {
      const x = tensor(xs, [n, 28, 28, 1]);
      const y = tensor(ys, [n], 'int32');
      const [, loss, correct] = await session.runAsync([m.train, m.loss, m.correct], [
        [m.x, x],
        [m.y, y],
      ]);
      const [l, c] = await Promise.all([loss!.data(), correct!.data()]);
      for (const t of [x, y, loss!, correct!]) t.dispose();
      return [l[0]!, c[0]!];
    },
    async predict(xs, n) {
      const x = tensor(xs, [n, 28, 28, 1]);
      const p = await session.runAsync(m.prediction, [[m.x, x]]);
      const out = (await p.data()) as Int32Array;
      x.dispose();
      p.dispose();
      return out;
    },
    async save(metadata) {
      return encodeSafetensors(await m.saver.save(session, ''), metadata);
    },
    restore(bytes) {
      const { tensors, metadata } = decodeSafetensors(bytes);
      m.saver.restore(session, tensors, '');
      return metadata;
    },
    dispose() {
      session.close();
    },
  };
}

// ---- split mode: two workers -------------------------------------------------------------

type Request =
  | { readonly id: number; readonly type: 'init'; readonly part: 'conv' | 'dense'; readonly seed: number; readonly learningRate: number }
  | { readonly id: number; readonly type: 'forward'; readonly x: Float32Array; readonly n: number }
  | { readonly id: number; readonly type: 'backward'; readonly x: Float32Array; readonly ivGrad: Float32Array; readonly n: number }
  | { readonly id: number; readonly type: 'trainDense'; readonly iv: Float32Array; readonly y: Int32Array; readonly n: number }
  | { readonly id: number; readonly type: 'predictDense'; readonly iv: Float32Array; readonly n: number }
  | { readonly id: number; readonly type: 'save' }
  | { readonly id: number; readonly type: 'restore'; readonly bytes: Uint8Array };

export type SplitRequest = Request;
type RequestBody = Request extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

class PartWorker {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor() {
    this.worker = new Worker(new URL('./split-worker-boot.mjs', import.meta.url), {
      execArgv: ['--conditions=@tessera/source'],
    });
    this.worker.on('message', (msg: { id: number; ok: boolean; value?: unknown; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (p === undefined) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new Error(msg.error));
    });
    this.worker.on('error', (e) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    });
  }

  call<T>(req: RequestBody, transfer: ArrayBuffer[] = []): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...req, id }, transfer);
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

async function splitTrainer(seed: number, learningRate: number): Promise<Trainer> {
  const convWorker = new PartWorker();
  const denseWorker = new PartWorker();
  await Promise.all([
    convWorker.call({ type: 'init', part: 'conv', seed, learningRate }),
    denseWorker.call({ type: 'init', part: 'dense', seed, learningRate }),
  ]);
  return {
    async step(xs, ys, n) {
      // step A: the conv part computes iv; the dense part trains on it and returns iv's gradient
      const iv = await convWorker.call<Float32Array>({ type: 'forward', x: xs, n });
      const r = await denseWorker.call<{ ivGrad: Float32Array; loss: number; correct: number }>({ type: 'trainDense', iv, y: ys, n }, [
        iv.buffer as ArrayBuffer,
      ]);
      // step B: the conv part trains from that gradient
      await convWorker.call({ type: 'backward', x: xs, ivGrad: r.ivGrad, n }, [r.ivGrad.buffer as ArrayBuffer]);
      return [r.loss, r.correct];
    },
    async predict(xs, n) {
      const iv = await convWorker.call<Float32Array>({ type: 'forward', x: xs, n });
      return denseWorker.call<Int32Array>({ type: 'predictDense', iv, n }, [iv.buffer as ArrayBuffer]);
    },
    async save(metadata) {
      const [a, b] = await Promise.all([convWorker.call<Uint8Array>({ type: 'save' }), denseWorker.call<Uint8Array>({ type: 'save' })]);
      const merged = new Map<string, SafetensorsEntry>([...decodeSafetensors(a).tensors, ...decodeSafetensors(b).tensors]);
      return encodeSafetensors(merged, metadata);
    },
    async restore(bytes) {
      const { metadata } = decodeSafetensors(bytes);
      await Promise.all([convWorker.call({ type: 'restore', bytes }), denseWorker.call({ type: 'restore', bytes })]);
      return metadata;
    },
    async dispose() {
      await Promise.all([convWorker.terminate(), denseWorker.terminate()]);
    },
  };
}

registerTrainer('graph', graphTrainer);
registerTrainer('split', splitTrainer);
