/**
 * `@tessera/core/testing`: the backend conformance kit. One call registers vitest suites that
 * check a backend on every op: values against float64 references, broadcasting, empty and
 * size-1 dimensions, every dtype the backend declares, NaN and Infinity, and leaks (no backend
 * buffers left after each case, and exactly one new buffer per kernel output).
 *
 * ```ts
 * // my-backend.test.ts
 * import { describeBackendConformance } from '@tessera/core/testing';
 * import { createMyBackend } from '../src/index.js';
 *
 * describeBackendConformance('my-backend', () => createMyBackend());
 * ```
 *
 * @packageDocumentation
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Backend } from '../backend.js';
import { ENGINE, setBackend, setKernelLeakCheck } from '../engine.js';
import { TesseraError } from '../errors.js';
import { scope } from '../memory.js';
import { CaseContext } from './context.js';
import { creationCases } from './cases/creation.js';
import { elementwiseCases } from './cases/elementwise.js';
import { reduceCases } from './cases/reduce.js';
import { linalgCases } from './cases/linalg.js';
import { convCases } from './cases/conv.js';
import { shapeCases } from './cases/shape.js';
import { nnCases } from './cases/nn.js';
import type { DType } from '../dtype.js';

export { CaseContext, defaultTolerance, type Expected, type Tolerance, type ValuesOptions } from './context.js';
export * from './reference.js';

/**
 * One conformance check. Cases create tensors through `ctx` and core's ops, and compare results
 * with `ctx.expectClose`. Every tensor a case creates is disposed after it, and the kit checks
 * that the backend holds no more buffers than before.
 *
 * @example
 * ```ts
 * const c: ConformanceCase = {
 *   op: 'neg', name: 'negates',
 *   run: async (ctx) => ctx.expectClose(neg(tensor([1, -2])), { shape: [2], dtype: 'float32', values: [-1, 2] }),
 * };
 * ```
 */
export interface ConformanceCase {
  /** The op under test (used for grouping and filters). */
  readonly op: string;
  /** What the case checks. */
  readonly name: string;
  /** Dtypes the case needs; it is left out when the backend does not declare one of them. */
  readonly dtypes?: readonly DType[];
  /** Runs the case; throw (or reject) to fail. */
  run(ctx: CaseContext): void | Promise<void>;
}

/**
 * Options of {@link describeBackendConformance}.
 *
 * @example
 * ```ts
 * describeBackendConformance('cpu', createCpuBackend, { skip: (c) => c.op === 'conv2d' });
 * ```
 */
export interface ConformanceOptions {
  /** Leaves out cases (for kernels not written yet); say why where you call it. */
  readonly skip?: (c: ConformanceCase) => boolean;
  /** More cases to run, e.g. `gradientConformanceCases` from `@tessera/autograd/testing`. */
  readonly extraCases?: readonly ConformanceCase[];
  /** Check buffer counts after every kernel (default true). */
  readonly kernelLeakCheck?: boolean;
}

/**
 * Every case of core's op set, grouped by op family.
 *
 * @example
 * ```ts
 * conformanceCases.filter((c) => c.op === 'matmul').length;
 * ```
 */
export const conformanceCases: readonly ConformanceCase[] = [
  ...creationCases,
  ...elementwiseCases,
  ...reduceCases,
  ...linalgCases,
  ...convCases,
  ...shapeCases,
  ...nnCases,
];

function hashSeed(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Registers vitest suites that run every conformance case (plus `extraCases`) on the backend
 * the factory creates. Call it at the top level of a test file.
 *
 * @example
 * ```ts
 * import { describeBackendConformance } from '@tessera/core/testing';
 * import { createCpuBackend } from '@tessera/kernels-cpu';
 * describeBackendConformance('cpu', () => createCpuBackend());
 * ```
 */
export function describeBackendConformance(
  name: string,
  factory: () => Backend | Promise<Backend>,
  options: ConformanceOptions = {},
): void {
  const all = [...conformanceCases, ...(options.extraCases ?? [])].filter((c) => options.skip?.(c) !== true);
  describe(`conformance: ${name}`, () => {
    let backend: Backend | undefined;
    let previous: Backend | null = null;
    let prevLeak = false;
    beforeAll(async () => {
      backend = await factory();
      previous = ENGINE.backend;
      setBackend(backend);
      prevLeak = setKernelLeakCheck(options.kernelLeakCheck ?? true);
    });
    afterAll(() => {
      setKernelLeakCheck(prevLeak);
      ENGINE.backend = previous;
    });
    const byOp = new Map<string, ConformanceCase[]>();
    for (const c of all) {
      let list = byOp.get(c.op);
      if (list === undefined) byOp.set(c.op, (list = []));
      list.push(c);
    }
    for (const [op, cases] of [...byOp.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      describe(op, () => {
        for (const c of cases) {
          it(c.name, async (tc) => {
            const b = backend!;
            if (c.dtypes !== undefined && !c.dtypes.every((d) => b.capabilities.dtypes.includes(d))) {
              tc.skip(`backend '${b.name}' does not declare dtypes ${c.dtypes.join(', ')}`);
              return;
            }
            setBackend(b);
            const buffersBefore = b.memory().numBuffers;
            const tensorsBefore = ENGINE.numTensors;
            await scope(async () => {
              await c.run(new CaseContext(b, hashSeed(`${c.op}/${c.name}`)));
            });
            const leakedTensors = ENGINE.numTensors - tensorsBefore;
            const leakedBuffers = b.memory().numBuffers - buffersBefore;
            if (leakedTensors !== 0 || leakedBuffers !== 0) {
              throw new TesseraError(
                `${c.op}: leaked ${leakedTensors} tensors and ${leakedBuffers} backend buffers ` +
                  `(everything a case creates must be freed when its scope ends)`,
              );
            }
          });
        }
      });
    }
  });
}
