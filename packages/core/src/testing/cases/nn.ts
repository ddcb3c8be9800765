/**
 * Conformance cases for nn ops.
 *
 * @module
 */
import type { ConformanceCase } from '../index.js';

/** Conformance cases for nn ops. */
export const nnCases: readonly ConformanceCase[] = [];
