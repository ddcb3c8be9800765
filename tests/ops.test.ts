/**
 * The op table in packages/core/OPS.md is generated from core's op registry, so the list of
 * kernels a backend must implement cannot drift from the code. Regenerate it with
 * `pnpm gen:ops`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getOp, listOps, requiredKernels } from '@tessera/core';
import { describe, expect, it } from 'vitest';

const file = join(import.meta.dirname, '..', 'packages', 'core', 'OPS.md');

function render(): string {
  const required = new Set(requiredKernels());
  const ops = listOps();
  const rows = ops.map((o) => {
    const def = getOp(o.name)!;
    const kind =
      def.kind === 'composite' ? 'composite' : required.has(o.name) ? '**primitive** (kernel required)' : 'primitive (engine built-in)';
    return `| \`${o.name}\` | ${kind} | ${o.inputs.map((i) => `\`${i}\``).join(', ')} |`;
  });
  const nPrim = ops.filter((o) => required.has(o.name)).length;
  return [
    '# Ops of @tessera/core',
    '',
    '<!-- Generated from the op registry by `pnpm gen:ops`; a test fails when it is out of date. -->',
    '',
    `Core defines ${ops.length} ops. A backend must provide a kernel for each of the ${nPrim} primitive ops`,
    'marked "kernel required" (`requiredKernels()` returns the same list). Built-in primitives need no',
    'kernel (the engine runs them without computation, for example `reshape` shares its input\'s buffer).',
    'Composite ops run as compositions of other ops unless the backend registers a fused kernel under',
    'the same name. Kernel attributes are documented with each op function in the API reference.',
    '',
    '| op | kind | inputs |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

describe('op table', () => {
  it('packages/core/OPS.md matches the op registry', () => {
    const text = render();
    if (process.env['UPDATE_OPS'] === '1') writeFileSync(file, text);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});
