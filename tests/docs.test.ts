/**
 * Every code block of the guides in docs/guides is compiled and run, so an example that stops
 * working fails CI (the conventions are in tests/docs-support/markdown.ts):
 *
 * 1. The ```ts blocks of each guide are assembled into programs under tests/docs-tmp/
 *    (ignored by git), with `node_modules` links to the workspace packages, as a user's
 *    project would import them.
 * 2. One `tsc` program typechecks them all (strict, against the package sources through the
 *    `@tessera/source` condition), together with the plugin example in examples/plugin-backend.
 * 3. Each program runs in order (in this process, or in a `node` process of its own when it
 *    starts workers or needs WebGPU); its console output is compared with the ```text blocks
 *    marked as output.
 * 4. Excerpts (blocks marked `excerpt <path>`) must appear verbatim in the file they quote.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildPrograms, extractBlocks, normalizeOutput, splitOutput, type CodeBlock, type Program } from './docs-support/markdown.js';

const root = join(import.meta.dirname, '..');
const guidesDir = join(root, 'docs', 'guides');
const outDir = join(import.meta.dirname, 'docs-tmp');

const guides = existsSync(guidesDir) ? readdirSync(guidesDir).filter((f) => f.endsWith('.md')).sort() : [];
const blocksByGuide = new Map<string, CodeBlock[]>(
  guides.map((g) => [g, extractBlocks(g, readFileSync(join(guidesDir, g), 'utf8'))]),
);
const programs: Program[] = guides.flatMap((g) => buildPrograms(g, blocksByGuide.get(g)!));

/** Packages a guide may import, and where they live. */
const LINKS: Record<string, string> = {
  '@tessera/core': 'packages/core',
  '@tessera/autograd': 'packages/autograd',
  '@tessera/optim': 'packages/optim',
  '@tessera/graph': 'packages/graph',
  '@tessera/kernels-cpu': 'packages/kernels-cpu',
  '@tessera/kernels-gpu': 'packages/kernels-gpu',
  '@tessera-example/plugin-backend': 'examples/plugin-backend',
  '@webgpu/types': 'packages/kernels-gpu/node_modules/@webgpu/types',
  webgpu: 'packages/kernels-gpu/node_modules/webgpu',
  tsx: 'examples/node_modules/tsx',
};

/**
 * Environment of programs that run in a process of their own: Dawn (the `webgpu` package) loads
 * the Vulkan loader that Debian's chromium ships (with SwiftShader) when the process starts, as in
 * packages/kernels-gpu/vitest.config.ts.
 */
function nodeEnv(): NodeJS.ProcessEnv {
  const chromium = '/usr/lib/chromium';
  const libPath = [process.env['LD_LIBRARY_PATH'], existsSync(chromium) ? chromium : undefined].filter((p) => p !== undefined && p !== '');
  return { ...process.env, FORCE_COLOR: '0', ...(libPath.length > 0 ? { LD_LIBRARY_PATH: libPath.join(':') } : {}) };
}

/** Runs a program with `node --import tsx` in tests/docs-tmp; returns its standard output lines. */
function runInNode(p: Program): string[] {
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--conditions=@tessera/source', p.file], {
      cwd: outDir,
      encoding: 'utf8',
      stdio: 'pipe',
      env: nodeEnv(),
      timeout: 120_000,
    });
    return out.split('\n');
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`docs/guides/${p.guide}: ${p.file} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

function writePrograms(): void {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, '.gitignore'), '*\n');
  for (const [name, target] of Object.entries(LINKS)) {
    const abs = join(root, target);
    if (!existsSync(abs)) continue;
    const link = join(outDir, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), abs), link, 'dir');
  }
  const types = ['node', ...(existsSync(join(outDir, 'node_modules', '@webgpu', 'types')) ? ['@webgpu/types'] : [])];
  const tsconfig = {
    extends: '../../tsconfig.base.json',
    compilerOptions: {
      noEmit: true,
      types,
      customConditions: ['@tessera/source'],
      isolatedDeclarations: false,
      declaration: false,
      declarationMap: false,
    },
    include: ['**/*.ts', '../docs.test.ts', '../docs-support', '../../examples/plugin-backend/src', '../../examples/plugin-backend/test'],
    exclude: ['node_modules'],
  };
  writeFileSync(join(outDir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  for (const p of programs) {
    mkdirSync(dirname(join(outDir, p.file)), { recursive: true });
    writeFileSync(join(outDir, p.file), p.source);
  }
}

/** Rewrites `tests/docs-tmp/<file>(line,col)` positions in tsc output to guide positions. */
function mapDiagnostics(out: string): string {
  const byFile = new Map(programs.map((p) => [p.file, p]));
  return out.replace(/(?:tests\/)?docs-tmp\/([\w./-]+\.ts)\((\d+),(\d+)\)/g, (all, file: string, line: string, col: string) => {
    const p = byFile.get(file);
    const guideLine = p?.lineMap[Number(line) - 1];
    return p !== undefined && guideLine !== undefined && guideLine > 0 ? `docs/guides/${p.guide}:${guideLine}:${col}` : all;
  });
}

beforeAll(() => {
  writePrograms();
});

afterAll(() => {
  vi.restoreAllMocks();
});

describe('guides', () => {
  it('exist, and every guide has code', () => {
    expect(guides.length).toBeGreaterThan(0);
    for (const g of guides) expect(programs.some((p) => p.guide === g), g).toBe(true);
  });

  it('typecheck (every ts block, strict), with the plugin example', () => {
    let out = '';
    let ok = true;
    try {
      execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(outDir, 'tsconfig.json'), '--pretty', 'false'], {
        cwd: join(root, 'tests'),
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (e) {
      ok = false;
      const err = e as { stdout?: string; stderr?: string };
      out = mapDiagnostics(`${err.stdout ?? ''}${err.stderr ?? ''}`);
    }
    expect(out).toBe('');
    expect(ok).toBe(true);
  });

  it('are all pages of the documentation site (typedoc projectDocuments)', () => {
    const config = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as { projectDocuments?: string[] };
    const listed = new Set(config.projectDocuments ?? []);
    expect(guides.filter((g) => !listed.has(`docs/guides/${g}`))).toEqual([]);
    for (const d of listed) expect(existsSync(join(root, d)), d).toBe(true);
  });

  it('quote their excerpts verbatim', () => {
    for (const [g, blocks] of blocksByGuide) {
      for (const b of blocks) {
        if (b.marker?.kind !== 'excerpt') continue;
        const file = join(root, b.marker.path);
        expect(existsSync(file), `${g}:${b.line}: ${b.marker.path} does not exist`).toBe(true);
        expect(readFileSync(file, 'utf8').includes(b.code), `${g}:${b.line}: the excerpt is not in ${b.marker.path}`).toBe(true);
      }
    }
  });

  it('name only what exists in their migration tables', async () => {
    // Every function, class and method that the Tessera column of a table marked
    // <!-- migration-table --> calls must exist: exported by a package, or a method of an
    // exported class (Tensor, Variable, Optimizer, Session, Graph, GradientTape, ...).
    const modules = await Promise.all([
      import('@tessera/core'),
      import('../packages/autograd/src/index.js'),
      import('../packages/optim/src/index.js'),
      import('../packages/graph/src/index.js'),
      import('../packages/kernels-cpu/src/index.js'),
    ]);
    const exported = new Set<string>();
    const methods = new Set<string>();
    for (const mod of modules) {
      for (const [name, value] of Object.entries(mod)) {
        exported.add(name);
        if (typeof value !== 'function') continue;
        for (let proto = (value.prototype ?? null) as object | null; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
          for (const m of Object.getOwnPropertyNames(proto)) methods.add(m);
        }
      }
    }
    // the WebGPU backend's exports, read from its source (importing it needs a GPU adapter library)
    const gpuIndex = join(root, 'packages', 'kernels-gpu', 'src', 'index.ts');
    if (existsSync(gpuIndex)) for (const m of readFileSync(gpuIndex, 'utf8').matchAll(/\b(\w+)\b/g)) exported.add(m[1]!);
    const builtins = new Set(['async', 'startsWith', 'log', 'toString']);
    const missing: string[] = [];
    let checked = 0;
    for (const g of guides) {
      const lines = readFileSync(join(guidesDir, g), 'utf8').split('\n');
      for (let i = 0; i < lines.length; i++) {
        if (lines[i]!.trim() !== '<!-- migration-table -->') continue;
        for (let j = i + 3; j < lines.length && lines[j]!.startsWith('|'); j++) {
          const tessera = lines[j]!.split(' | ')[1] ?? '';
          for (const span of tessera.matchAll(/`([^`]+)`/g)) {
            for (const call of span[1]!.matchAll(/(\.|new\s+)?\b([A-Za-z_$][\w$]*)\s*\(/g)) {
              const name = call[2]!;
              checked++;
              const isMethod = call[1] === '.';
              const ok = builtins.has(name) || (isMethod ? methods.has(name) : exported.has(name));
              if (!ok) missing.push(`docs/guides/${g}:${j + 1}: ${isMethod ? '.' : ''}${name}`);
            }
          }
        }
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });

  for (const p of programs.filter((q) => q.run)) {
    it(`run: ${p.file} (docs/guides/${p.guide}:${p.blocks[0]!.line})`, async () => {
      const lines: string[] = [];
      if (p.runner === 'node') {
        lines.push(...runInNode(p));
      } else {
        const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
          lines.push(...format(...args).split('\n'));
        });
        try {
          await import(pathToFileURL(join(outDir, p.file)).href);
        } finally {
          spy.mockRestore();
        }
      }
      const outputs = splitOutput(lines, p.blocks.length);
      // DOCS_SHOW_OUTPUT=1 prints what each block printed, for writing a guide's output blocks
      if (process.env['DOCS_SHOW_OUTPUT'] === '1') {
        outputs.forEach((o, i) => process.stderr.write(`--- docs/guides/${p.guide}:${p.blocks[i]!.line}\n${o}\n`));
      }
      for (const [i, expected] of p.expectedOutput) {
        expect(normalizeOutput(outputs[i]!), `output of the block at docs/guides/${p.guide}:${p.blocks[i]!.line} (expected at line ${expected.line})`).toBe(
          normalizeOutput(expected.text),
        );
      }
    });
  }
});
