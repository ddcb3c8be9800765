/**
 * Conformance cases for conv ops.
 *
 * @module
 */
import type { ConformanceCase } from '../index.js';

/** Conformance cases for conv ops. */
export const convCases: readonly ConformanceCase[] = [];
