/**
 * Conformance cases for creation ops.
 *
 * @module
 */
import type { ConformanceCase } from '../index.js';

/** Conformance cases for creation ops. */
export const creationCases: readonly ConformanceCase[] = [];
