import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('programs exit when their work is done', () => {
  it('the CPU backend\'s worker threads do not keep the process alive', () => {
    const r = spawnSync(join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx'), ['--conditions=@tessera/source', join(import.meta.dirname, 'fixtures', 'short-program.ts')], {
      cwd: join(import.meta.dirname, '..'),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('256');
  });
});
