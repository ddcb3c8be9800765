/**
 * Gradient rules of the elementwise ops.
 *
 * @module
 */
import {
  add,
  cast,
  cos,
  div,
  exp,
  floorDiv,
  greater,
  greaterEqual,
  isFloat,
  less,
  lessEqual,
  log,
  logicalAnd,
  mul,
  neg,
  pow,
  sigmoid,
  sign,
  sin,
  square,
  sub,
  where,
  zerosLike,
  type Tensor,
} from '@tessera/core';
import type { GradientRule } from '../registry.js';
import { unbroadcast } from '../unbroadcast.js';
import { noGradient, type RuleTable } from './common.js';

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** A unary rule `dx = f(dy, x, y)`. */
function unary(save: 'x' | 'y' | 'both' | 'none', f: (dy: Tensor, x: Tensor, y: Tensor, attrs: Readonly<Record<string, unknown>>) => Tensor): GradientRule {
  return {
    saveInputs: save === 'x' || save === 'both',
    saveOutputs: save === 'y' || save === 'both',
    grad: ([dy], s) => [
      () =>
        f(
          dy!,
          save === 'x' || save === 'both' ? s.input(0) : (undefined as unknown as Tensor),
          save === 'y' || save === 'both' ? s.output(0) : (undefined as unknown as Tensor),
          s.attrs,
        ),
    ],
  };
}

/** Zero gradient (piecewise-constant ops such as floor). */
const zeroGradient: GradientRule = { grad: ([dy]) => [() => zerosLike(dy!)] };

/** `dy` masked to where `mask` holds (zeros elsewhere). */
function masked(mask: Tensor, dy: Tensor): Tensor {
  return where(mask, dy, 0);
}

function binary(
  save: boolean,
  fa: ((dy: Tensor, a: Tensor, b: Tensor) => Tensor) | null,
  fb: ((dy: Tensor, a: Tensor, b: Tensor) => Tensor) | null,
  saveOutput = false,
): GradientRule {
  return {
    saveInputs: save,
    saveOutputs: saveOutput,
    grad: ([dy], s) => {
      const a = (): Tensor => (save ? s.input(0) : (undefined as unknown as Tensor));
      const b = (): Tensor => (save ? s.input(1) : (undefined as unknown as Tensor));
      const [sa, sb] = s.inputSpecs;
      return [
        fa === null ? null : () => unbroadcast(fa(dy!, a(), b()), sa!.shape),
        fb === null ? null : () => unbroadcast(fb(dy!, a(), b()), sb!.shape),
      ];
    },
  };
}

/** Gradient rules of elementwise ops. @internal */
export function elementwiseRules(): RuleTable {
  return [
    ['identity', { grad: ([dy]) => [() => dy!] }],
    ['neg', unary('none', (dy) => neg(dy))],
    ['abs', unary('x', (dy, x) => mul(dy, sign(x)))],
    ['sign', zeroGradient],
    ['floor', zeroGradient],
    ['ceil', zeroGradient],
    ['round', zeroGradient],
    ['exp', unary('y', (dy, _x, y) => mul(dy, y))],
    ['expm1', unary('y', (dy, _x, y) => mul(dy, add(y, 1)))],
    ['log', unary('x', (dy, x) => div(dy, x))],
    ['log1p', unary('x', (dy, x) => div(dy, add(x, 1)))],
    ['sqrt', unary('y', (dy, _x, y) => div(dy, mul(y, 2)))],
    ['sin', unary('x', (dy, x) => mul(dy, cos(x)))],
    ['cos', unary('x', (dy, x) => neg(mul(dy, sin(x))))],
    ['tan', unary('y', (dy, _x, y) => mul(dy, add(square(y), 1)))],
    ['tanh', unary('y', (dy, _x, y) => mul(dy, sub(1, square(y))))],
    ['sigmoid', unary('y', (dy, _x, y) => mul(dy, mul(y, sub(1, y))))],
    ['logicalNot', noGradient()],
    ['isNaN', noGradient()],
    ['isFinite', noGradient()],
    [
      'cast',
      {
        grad: ([dy], s) => {
          const from = s.inputSpecs[0]!.dtype;
          const to = s.outputSpecs[0]!.dtype;
          return [isFloat(from) && isFloat(to) ? () => cast(dy!, from) : null];
        },
      },
    ],
    // composites
    ['square', unary('x', (dy, x) => mul(dy, mul(x, 2)))],
    ['reciprocal', unary('y', (dy, _x, y) => neg(mul(dy, square(y))))],
    ['rsqrt', unary('y', (dy, _x, y) => mul(dy, mul(mul(square(y), y), -0.5)))],
    ['relu', unary('x', (dy, x) => masked(greater(x, 0), dy))],
    ['relu6', unary('x', (dy, x) => masked(logicalAnd(greater(x, 0), less(x, 6)), dy))],
    ['elu', unary('both', (dy, x, y, a) => where(greater(x, 0), dy, mul(dy, add(y, a['alpha'] as number))))],
    ['selu', unary('x', (dy, x) => where(greater(x, 0), mul(dy, SELU_SCALE), mul(dy, mul(exp(x), SELU_SCALE * SELU_ALPHA))))],
    ['leakyRelu', unary('x', (dy, x, _y, a) => where(greater(x, 0), dy, mul(dy, a['alpha'] as number)))],
    ['softplus', unary('x', (dy, x) => mul(dy, sigmoid(x)))],
    ['zerosLike', zeroGradient],
    ['onesLike', zeroGradient],
    // binary
    ['add', binary(false, (dy) => dy, (dy) => dy)],
    ['sub', binary(false, (dy) => dy, (dy) => neg(dy))],
    ['mul', binary(true, (dy, _a, b) => mul(dy, b), (dy, a) => mul(dy, a))],
    ['div', binary(true, (dy, _a, b) => div(dy, b), (dy, a, b) => neg(div(mul(dy, a), square(b))))],
    ['floorDiv', binary(false, (dy) => zerosLike(dy), (dy) => zerosLike(dy))],
    ['mod', binary(true, (dy) => dy, (dy, a, b) => neg(mul(dy, floorDiv(a, b))))],
    [
      'pow',
      {
        saveInputs: true,
        saveOutputs: true,
        grad: ([dy], s) => {
          const [sa, sb] = s.inputSpecs;
          return [
            () => {
              const a = s.input(0);
              const b = s.input(1);
              return unbroadcast(mul(dy!, mul(b, pow(a, sub(b, 1)))), sa!.shape);
            },
            () => {
              const a = s.input(0);
              const y = s.output(0);
              // d/db a^b = a^b log(a), taken as 0 where a <= 0 (as TensorFlow does)
              const pos = greater(a, 0);
              const safeA = where(pos, a, 1);
              return unbroadcast(masked(pos, mul(dy!, mul(y, log(safeA)))), sb!.shape);
            },
          ];
        },
      },
    ],
    ['maximum', binary(true, (dy, a, b) => masked(greaterEqual(a, b), dy), (dy, a, b) => masked(less(a, b), dy))],
    ['minimum', binary(true, (dy, a, b) => masked(lessEqual(a, b), dy), (dy, a, b) => masked(greater(a, b), dy))],
    [
      'atan2',
      binary(
        true,
        (dy, a, b) => div(mul(dy, b), add(square(a), square(b))),
        (dy, a, b) => neg(div(mul(dy, a), add(square(a), square(b)))),
      ),
    ],
    ['squaredDifference', binary(true, (dy, a, b) => mul(dy, mul(sub(a, b), 2)), (dy, a, b) => mul(dy, mul(sub(a, b), -2)))],
    ['equal', noGradient()],
    ['notEqual', noGradient()],
    ['less', noGradient()],
    ['lessEqual', noGradient()],
    ['greater', noGradient()],
    ['greaterEqual', noGradient()],
    ['logicalAnd', noGradient()],
    ['logicalOr', noGradient()],
    [
      'where',
      {
        saveInputs: [0],
        grad: ([dy], s) => {
          const [, sa, sb] = s.inputSpecs;
          return [
            null,
            () => unbroadcast(where(s.input(0), dy!, 0), sa!.shape),
            () => unbroadcast(where(s.input(0), 0, dy!), sb!.shape),
          ];
        },
      },
    ],
    [
      'clipByValue',
      {
        saveInputs: true,
        grad: ([dy], s) => {
          const [sx, slo, shi] = s.inputSpecs;
          const x = (): Tensor => s.input(0);
          return [
            () => unbroadcast(masked(logicalAnd(greaterEqual(x(), s.input(1)), lessEqual(x(), s.input(2))), dy!), sx!.shape),
            () => unbroadcast(masked(less(x(), s.input(1)), dy!), slo!.shape),
            () => unbroadcast(masked(greater(x(), s.input(2)), dy!), shi!.shape),
          ];
        },
      },
    ],
  ];
}
