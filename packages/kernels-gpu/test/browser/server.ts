/**
 * A tiny static server for the browser test: it serves the repository's TypeScript sources as
 * ES modules (types stripped with TypeScript's `transpileModule`, no bundler), resolves the
 * workspace packages with an import map, and stands in a no-op module for `vitest` (the
 * conformance kit imports it to register suites, which the page does not use).
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The repository root (three levels above this file). */
export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

const IMPORTS: Record<string, string> = {
  '@tessera/core': '/packages/core/src/index.ts',
  '@tessera/core/testing': '/packages/core/src/testing/index.ts',
  '@tessera/kernels-gpu': '/packages/kernels-gpu/src/index.ts',
  vitest: '/__vitest_stub.js',
};

const VITEST_STUB = `
const noop = () => {};
export const describe = noop, it = noop, test = noop, beforeAll = noop, afterAll = noop, beforeEach = noop, afterEach = noop;
`;

function page(entry: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>tessera webgpu</title>
<script type="importmap">${JSON.stringify({ imports: IMPORTS })}</script>
</head><body><pre id="log"></pre>
<script type="module" src="${entry}"></script>
</body></html>`;
}

const cache = new Map<string, { mtime: number; code: string }>();

function transpile(file: string): string {
  const mtime = statSync(file).mtimeMs;
  const hit = cache.get(file);
  if (hit !== undefined && hit.mtime === mtime) return hit.code;
  const out = ts.transpileModule(readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      sourceMap: false,
    },
  });
  cache.set(file, { mtime, code: out.outputText });
  return out.outputText;
}

/** Resolves a request path to a file under the repository: `x.js` is served from `x.ts`. */
function resolveFile(urlPath: string): string | null {
  const file = normalize(join(REPO_ROOT, decodeURIComponent(urlPath)));
  if (relative(REPO_ROOT, file).startsWith('..')) return null;
  if (existsSync(file) && statSync(file).isFile()) return file;
  if (file.endsWith('.js')) {
    const tsFile = `${file.slice(0, -3)}.ts`;
    if (existsSync(tsFile)) return tsFile;
  }
  return null;
}

/** Starts the server on a free port; `entry` is the page's module (a repository path). */
export async function startServer(entry: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (path === '/') return send(200, 'text/html', page(entry));
    if (path === '/__vitest_stub.js') return send(200, 'text/javascript', VITEST_STUB);
    const file = resolveFile(path);
    if (file === null) return send(404, 'text/plain', `not found: ${path}`);
    try {
      if (file.endsWith('.ts')) return send(200, 'text/javascript', transpile(file));
      return send(200, file.endsWith('.js') ? 'text/javascript' : 'text/plain', readFileSync(file, 'utf8'));
    } catch (e) {
      return send(500, 'text/plain', String(e));
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
