/**
 * Workspace checks: every package has the shape the conventions require, the TypeScript
 * sources typecheck, and the API reference builds without warnings.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const packages = readdirSync(join(root, 'packages')).sort();
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);

function run(cmd: string, args: string[], cwd = root): { ok: boolean; out: string } {
  try {
    const out = execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: 'pipe', env: { ...process.env, FORCE_COLOR: '0' } });
    return { ok: true, out };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

describe('package shape', () => {
  it('has the six packages', () => {
    expect(packages).toEqual(['autograd', 'core', 'graph', 'kernels-cpu', 'kernels-gpu', 'optim']);
  });
  for (const dir of packages) {
    it(`@tessera/${dir} is an ESM package with a types-first exports map and workspace peers`, () => {
      const pj = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      expect(pj['name']).toBe(`@tessera/${dir}`);
      expect(pj['type']).toBe('module');
      expect(pj['sideEffects']).toBe(false);
      expect(typeof pj['version']).toBe('string');
      const exp = pj['exports'] as Record<string, Record<string, string> | string>;
      const main = exp['.'] as Record<string, string>;
      const keys = Object.keys(main);
      expect(keys[0]).toBe('@tessera/source');
      expect(keys.indexOf('types')).toBeLessThan(keys.indexOf('import'));
      const peers = (pj['peerDependencies'] ?? {}) as Record<string, string>;
      for (const [name, range] of Object.entries(peers)) {
        if (name.startsWith('@tessera/')) expect(range).toBe('workspace:^');
      }
      expect(existsSync(join(root, 'packages', dir, 'README.md'))).toBe(true);
      expect(existsSync(join(root, 'packages', dir, 'src', 'index.ts'))).toBe(true);
    });
  }
});

describe('typecheck', () => {
  for (const dir of [...packages.map((p) => `packages/${p}`), 'examples']) {
    it(`${dir} typechecks (strict)`, () => {
      const r = run(bin('tsc'), ['-p', join(root, dir, 'tsconfig.json'), '--noEmit']);
      expect(r.out).toBe('');
      expect(r.ok).toBe(true);
    });
  }
});

describe('API docs', () => {
  it('typedoc builds the reference of every package with no warnings', () => {
    const r = run(bin('typedoc'), ['--emit', 'none']);
    expect(r.out).not.toMatch(/\[warning\]|\[error\]/);
    expect(r.ok).toBe(true);
  });
});
