/**
 * Conformance cases for shape ops.
 *
 * @module
 */
import type { ConformanceCase } from '../index.js';

/** Conformance cases for shape ops. */
export const shapeCases: readonly ConformanceCase[] = [];
