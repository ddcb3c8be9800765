/**
 * Conformance cases for reduce ops.
 *
 * @module
 */
import type { ConformanceCase } from '../index.js';

/** Conformance cases for reduce ops. */
export const reduceCases: readonly ConformanceCase[] = [];
