import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The README's example must keep working: it is run here as a program.
describe('README example', () => {
  it('runs and computes what it says', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    const dir = join(import.meta.dirname, '..', 'out', 'readme');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'snippet.ts');
    writeFileSync(file, `${code}\nconsole.log(JSON.stringify([+dx!, +dy!, Array.from(w.dataSync())]));\n`);
    const out = execFileSync(join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx'), ['--conditions=@tessera/source', file], {
      cwd: join(import.meta.dirname, '..'),
      encoding: 'utf8',
    });
    const lines = out.trim().split('\n');
    expect(lines.slice(0, 2).join('\n')).toBe('Tensor([[ 7, 12],\n        [19, 28]], shape=[2,2], dtype=float32)');
    const [dx, dy, w] = JSON.parse(lines[lines.length - 1]!) as [number, number, number[]];
    expect([dx, dy]).toEqual([2, 12]);
    // one gradient-descent step on mean((x·w - [1, 2])²) from w = 0: w -= 0.1 · (-2/2) · xᵀ[1, 2]
    expect(w[0]).toBeCloseTo(0.1 * (1 * 1 + 3 * 2), 5);
    expect(w[1]).toBeCloseTo(0.1 * (2 * 1 + 4 * 2), 5);
  });
});
