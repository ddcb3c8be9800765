/**
 * A tiny static server for the CPU backend's browser test. It serves the repository's
 * TypeScript sources as ES modules (types stripped with TypeScript's `transpileModule`, no
 * bundler) and resolves the workspace packages with an import map.
 *
 * The page is served at `/` (an ordinary page: no cross-origin isolation, so no
 * `SharedArrayBuffer`) and at `/?isolated` with `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp` (a cross-origin isolated page, where shared
 * WebAssembly memory and worker threads are allowed). Every response also carries
 * `Cross-Origin-Resource-Policy: same-origin`, which the isolated page's modules satisfy.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The repository root (four levels above this file). */
export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

const IMPORTS: Record<string, string> = {
  '@tessera/core': '/packages/core/src/index.ts',
  '@tessera/kernels-cpu': '/packages/kernels-cpu/src/index.ts',
};

function html(entry: string, isolated: boolean): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>tessera cpu (${isolated ? 'cross-origin isolated' : 'not isolated'})</title>
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

/** A running server. */
export interface PageServer {
  /** The ordinary page. */
  readonly plainUrl: string;
  /** The cross-origin isolated page (COOP `same-origin`, COEP `require-corp`). */
  readonly isolatedUrl: string;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Starts the server on a free port of 127.0.0.1; `entry` is the page's module (a repository path). */
export async function startServer(entry: string): Promise<PageServer> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const send = (status: number, type: string, body: string, extra: Record<string, string> = {}): void => {
      res.writeHead(status, {
        'content-type': type,
        'cache-control': 'no-store',
        'cross-origin-resource-policy': 'same-origin',
        ...extra,
      });
      res.end(body);
    };
    if (path === '/') {
      const isolated = url.searchParams.has('isolated');
      const headers: Record<string, string> = isolated
        ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
        : {};
      return send(200, 'text/html; charset=utf-8', html(entry, isolated), headers);
    }
    if (path === '/favicon.ico') return send(204, 'text/plain', '');
    const file = resolveFile(path);
    if (file === null) return send(404, 'text/plain', `not found: ${path}`);
    try {
      if (file.endsWith('.ts')) return send(200, 'text/javascript; charset=utf-8', transpile(file));
      return send(200, file.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/plain; charset=utf-8', readFileSync(file, 'utf8'));
    } catch (e) {
      return send(500, 'text/plain', String(e));
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  const base = `http://127.0.0.1:${port}/`;
  return {
    plainUrl: base,
    isolatedUrl: `${base}?isolated`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
