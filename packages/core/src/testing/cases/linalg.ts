/**
 * Conformance cases for linalg ops.
 *
 * @module
 */
import type { ConformanceCase } from '../index.js';

/** Conformance cases for linalg ops. */
export const linalgCases: readonly ConformanceCase[] = [];
