/**
 * Independent float64 reference implementations of the TF 1.x update formulas (textbook form,
 * plain loops over numbers), for comparing optimizer trajectories.
 */
import { expect } from 'vitest';

export type RefKind = 'sgd' | 'momentum' | 'nesterov' | 'adam' | 'adamw' | 'rmsprop' | 'rmsprop-momentum' | 'centered' | 'adagrad';

export interface RefHyper {
  lr: number;
  momentum?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
  decay?: number;
  initialAccumulatorValue?: number;
}

/** State of one variable's reference trajectory. */
export interface RefVar {
  w: number[];
  a: number[]; // momentum accumulator / Adam m / RMSProp mom / Adagrad accumulator
  b: number[]; // Adam v / RMSProp ms
  c: number[]; // centered RMSProp mg
}

export function refVar(kind: RefKind, w0: readonly number[], h: RefHyper): RefVar {
  const n = w0.length;
  const zeros = (): number[] => new Array<number>(n).fill(0);
  const isRms = kind === 'rmsprop' || kind === 'rmsprop-momentum' || kind === 'centered';
  return {
    w: [...w0],
    a: kind === 'adagrad' ? new Array<number>(n).fill(h.initialAccumulatorValue ?? 0.1) : zeros(),
    b: isRms ? new Array<number>(n).fill(1) : zeros(),
    c: zeros(),
  };
}

/**
 * One update of `s` with gradient `g`; `t` is the 1-based count of optimizer steps (Adam's
 * bias correction uses beta^t).
 */
export function refStep(kind: RefKind, s: RefVar, g: readonly number[], h: RefHyper, t: number): void {
  const lr = h.lr;
  for (let i = 0; i < s.w.length; i++) {
    const gi = g[i]!;
    switch (kind) {
      case 'sgd':
        s.w[i] = s.w[i]! - lr * gi;
        break;
      case 'momentum':
      case 'nesterov': {
        const mu = h.momentum!;
        s.a[i] = mu * s.a[i]! + gi;
        s.w[i] = kind === 'momentum' ? s.w[i]! - lr * s.a[i]! : s.w[i]! - lr * (gi + mu * s.a[i]!);
        break;
      }
      case 'adam':
      case 'adamw': {
        const b1 = h.beta1 ?? 0.9;
        const b2 = h.beta2 ?? 0.999;
        const eps = h.epsilon ?? 1e-8;
        const lrT = (lr * Math.sqrt(1 - Math.pow(b2, t))) / (1 - Math.pow(b1, t));
        s.a[i] = b1 * s.a[i]! + (1 - b1) * gi;
        s.b[i] = b2 * s.b[i]! + (1 - b2) * gi * gi;
        const decay = kind === 'adamw' ? lr * h.weightDecay! * s.w[i]! : 0;
        s.w[i] = s.w[i]! - decay - (lrT * s.a[i]!) / (Math.sqrt(s.b[i]!) + eps);
        break;
      }
      case 'rmsprop':
      case 'rmsprop-momentum':
      case 'centered': {
        const rho = h.decay ?? 0.9;
        const mu = h.momentum ?? 0;
        const eps = h.epsilon ?? 1e-10;
        s.b[i] = rho * s.b[i]! + (1 - rho) * gi * gi;
        let denom = s.b[i]! + eps;
        if (kind === 'centered') {
          s.c[i] = rho * s.c[i]! + (1 - rho) * gi;
          denom = s.b[i]! - s.c[i]! * s.c[i]! + eps;
        }
        s.a[i] = mu * s.a[i]! + (lr * gi) / Math.sqrt(denom);
        s.w[i] = s.w[i]! - s.a[i]!;
        break;
      }
      case 'adagrad':
        s.a[i] = s.a[i]! + gi * gi;
        s.w[i] = s.w[i]! - (lr * gi) / Math.sqrt(s.a[i]!);
        break;
    }
  }
}

/** Elementwise |actual - expected| <= atol + rtol * |expected|, with a useful message. */
export function expectClose(actual: ArrayLike<number>, expected: readonly number[], rtol: number, atol = 0, what = ''): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const ok = Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!ok) expect.fail(`${what}[${i}]: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
  }
}

/** A deterministic pseudo-random generator (LCG) for test data. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}
