/**
 * A small convolutional network for MNIST, written once with core ops so the same code runs
 * eagerly, inside a graph, and split in two parts (the convolutional part produces the
 * intermediate vector, the dense part turns it into logits).
 *
 *   x [N,28,28,1] → conv 5×5×8 + relu → maxPool 2 → conv 5×5×16 + relu → maxPool 2
 *     → flatten [N,784] (the intermediate vector) → dense 10 → softmax cross-entropy
 */
import {
  add,
  conv2d,
  getVariable,
  heNormalInitializer,
  glorotUniformInitializer,
  matmul,
  maxPool,
  oneHot,
  relu,
  reshape,
  softmaxCrossEntropy,
  zerosInitializer,
  type Tensor,
  type Variable,
} from '@tessera/core';

export const C1 = 8;
export const C2 = 16;
export const IV_SIZE = 7 * 7 * C2;

export interface ConvParams {
  readonly w1: Variable;
  readonly b1: Variable;
  readonly w2: Variable;
  readonly b2: Variable;
}

export interface DenseParams {
  readonly w: Variable;
  readonly b: Variable;
}

/** Creates the convolutional part's variables (named `conv/...` when built inside a name scope). */
export function createConvParams(seed: number, prefix = 'conv'): ConvParams {
  return {
    w1: getVariable(`${prefix}/w1`, { shape: [5, 5, 1, C1], initializer: heNormalInitializer({ seed }) }),
    b1: getVariable(`${prefix}/b1`, { shape: [C1], initializer: zerosInitializer() }),
    w2: getVariable(`${prefix}/w2`, { shape: [5, 5, C1, C2], initializer: heNormalInitializer({ seed: seed + 1 }) }),
    b2: getVariable(`${prefix}/b2`, { shape: [C2], initializer: zerosInitializer() }),
  };
}

/** Creates the dense part's variables. */
export function createDenseParams(seed: number, prefix = 'dense'): DenseParams {
  return {
    w: getVariable(`${prefix}/w`, { shape: [IV_SIZE, 10], initializer: glorotUniformInitializer({ seed: seed + 2 }) }),
    b: getVariable(`${prefix}/b`, { shape: [10], initializer: zerosInitializer() }),
  };
}

/** Images [N,28,28,1] → intermediate vector [N,784]. */
export function convForward(p: ConvParams, x: Tensor): Tensor {
  const h1 = maxPool(relu(add(conv2d(x, p.w1, { padding: 'SAME' }), p.b1)), { filterSize: 2, strides: 2 });
  const h2 = maxPool(relu(add(conv2d(h1, p.w2, { padding: 'SAME' }), p.b2)), { filterSize: 2, strides: 2 });
  return reshape(h2, [-1, IV_SIZE]);
}

/** Intermediate vector → logits [N,10]. */
export function denseForward(p: DenseParams, iv: Tensor): Tensor {
  return add(matmul(iv, p.w), p.b);
}

/** Mean softmax cross-entropy of logits against int32 labels. */
export function lossOf(logits: Tensor, labels: Tensor): Tensor {
  return softmaxCrossEntropy(oneHot(labels, 10), logits);
}
