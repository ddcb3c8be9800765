/**
 * `@tessera/autograd/testing`: gradient checks for the backend conformance kit. Every
 * differentiable op's rule is checked against finite differences, first and second order, on
 * the backend under test (in float64 when the backend supports it, else float32 with looser
 * tolerances).
 *
 * ```ts
 * import { describeBackendConformance } from '@tessera/core/testing';
 * import { gradientConformanceCases } from '@tessera/autograd/testing';
 * import { createCpuBackend } from '@tessera/kernels-cpu';
 *
 * describeBackendConformance('cpu', () => createCpuBackend(), { extraCases: gradientConformanceCases });
 * ```
 *
 * @packageDocumentation
 */
import type { ConformanceCase } from '@tessera/core/testing';
import { elementwiseGradCases, reduceGradCases } from './cases-elementwise.js';
import { convGradCases, linalgGradCases, nnGradCases, shapeGradCases } from './cases-structural.js';
import { toConformanceCases, type GradCase } from './harness.js';

export type { GradCase, GradInputSpec } from './harness.js';

/**
 * The gradient cases before they become conformance cases: one per op variant, with its inputs
 * and the function checked. Useful to list which ops are covered.
 *
 * @example
 * ```ts
 * const covered = new Set(gradientCases.map((c) => c.op));
 * ```
 */
export const gradientCases: readonly GradCase[] = [
  ...elementwiseGradCases(),
  ...reduceGradCases(),
  ...shapeGradCases(),
  ...linalgGradCases(),
  ...convGradCases(),
  ...nnGradCases(),
];

/**
 * Conformance cases that check gradient rules against finite differences (first and second
 * order) on the backend under test. Pass them as `extraCases` to `describeBackendConformance`.
 *
 * @example
 * ```ts
 * describeBackendConformance('cpu', () => createCpuBackend(), { extraCases: gradientConformanceCases });
 * ```
 */
export const gradientConformanceCases: readonly ConformanceCase[] = toConformanceCases(gradientCases);
