/**
 * The CPU backend in a real browser: headless Chromium (Debian's `chromium`, never a downloaded
 * one) loads a page that creates the backend with `threads: 2` and runs large float32 ops on the
 * WebAssembly paths against float64 references computed in the page.
 *
 * - Cross-origin isolated (COOP `same-origin` + COEP `require-corp`): shared WebAssembly memory,
 *   one Web Worker started from a Blob URL, and the large ops run in parallel on it (the
 *   runtime's parallel-run counter grows during each of them).
 * - Not isolated (no `SharedArrayBuffer`): the backend still starts, falls back to the calling
 *   thread alone (no worker is ever started), and gives the same results.
 *
 * Neither page may report an uncaught error or a console error (worker errors included).
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type ConsoleMessage } from 'playwright-core';
import { startServer, type PageServer } from './browser/server.js';
import type { PageResult } from './browser/page.js';

/** Where Debian's chromium package puts the browser. */
const CHROMIUM = process.env['TESSERA_CHROMIUM'] ?? '/usr/bin/chromium';

/** Headless Chromium, offline and without a sandbox (containers). */
const CHROMIUM_ARGS: readonly string[] = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** Ops whose size puts them on the threaded WebAssembly paths (the full sum is one chunk, so it never is). */
const SERIAL_ONLY = new Set(['sum 2^17 (all)']);

interface Run {
  readonly result: PageResult;
  /** Uncaught page errors and console errors (the page's and its workers'). */
  readonly errors: string[];
  /** Web Workers the page started, and how many of them had closed once the page finished. */
  readonly workersStarted: number;
  readonly workersClosed: number;
}

function failures(r: PageResult): string[] {
  return r.ops.filter((o) => !o.ok).map((o) => `${o.name}: ${o.firstBad ?? '?'} (max error ${o.maxErr})`);
}

function summary(label: string, r: PageResult): string {
  const lines = r.ops.map((o) => `  ${o.name}: ${o.ms.toFixed(1)} ms, ${o.parallelRuns} parallel runs, max error ${o.maxErr.toExponential(2)} (tolerance there ${o.tolAtMax.toExponential(2)})`);
  return `${label}: ${r.totalMs.toFixed(0)} ms in the page, info ${JSON.stringify(r.info)}\n${lines.join('\n')}`;
}

describe('CPU backend in headless Chromium', () => {
  let browser: Browser | undefined;
  let server: PageServer | undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) or set TESSERA_CHROMIUM`);
    }
    server = await startServer('/packages/kernels-cpu/test/browser/page.ts');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS], headless: true, timeout: 120_000 });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function load(url: string): Promise<Run> {
    const context = await browser!.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    let workersStarted = 0;
    let workersClosed = 0;
    const onConsole = (m: ConsoleMessage): void => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    };
    page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
    page.on('console', onConsole);
    page.on('worker', (w) => {
      workersStarted++;
      w.on('console', onConsole);
      w.on('close', () => workersClosed++);
    });
    try {
      await page.goto(url);
      const handle = await page.waitForFunction(() => (globalThis as { __tessera?: unknown }).__tessera, undefined, {
        timeout: 240_000,
        polling: 250,
      });
      const result = (await handle.jsonValue()) as PageResult;
      // the backend's dispose() released the last hold on the pool: its workers terminate
      const deadline = Date.now() + 10_000;
      while (workersClosed < workersStarted && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 50));
      return { result, errors, workersStarted, workersClosed };
    } finally {
      await context.close();
    }
  }

  it('cross-origin isolated: two threads on shared memory, parallel runs, results match float64 references', async () => {
    const { result: r, errors, workersStarted, workersClosed } = await load(server!.isolatedUrl);
    console.log(summary('isolated page', r));
    expect(r.error).toBeUndefined();
    expect(errors).toEqual([]);
    expect(r.crossOriginIsolated).toBe(true);
    expect(r.sharedArrayBuffer).toBe(true);
    expect(r.info).toMatchObject({ wasm: true, threads: 2, sharedMemory: true });
    expect(r.runtimeThreads).toBe(2);
    expect(workersStarted).toBe(1);
    expect(workersClosed).toBe(1);
    expect(r.ops.length).toBe(20);
    expect(failures(r)).toEqual([]);
    const serial = r.ops.filter((o) => !SERIAL_ONLY.has(o.name) && o.parallelRuns === 0).map((o) => o.name);
    expect(serial, 'ops that never reached the worker threads').toEqual([]);
    // a single op's chunks may all be claimed by the page's thread before the worker wakes, but
    // over the whole page the worker must have run some
    expect(r.workerChunks).toBeGreaterThan(0);
    expect(r.liveTensors).toBe(0);
  }, 300_000);

  it('not isolated: no SharedArrayBuffer, one thread, no workers, same results', async () => {
    const { result: r, errors, workersStarted } = await load(server!.plainUrl);
    console.log(summary('plain page', r));
    expect(r.error).toBeUndefined();
    expect(errors).toEqual([]);
    expect(r.crossOriginIsolated).toBe(false);
    expect(r.sharedArrayBuffer).toBe(false);
    expect(r.info).toMatchObject({ wasm: true, threads: 1, sharedMemory: false });
    expect(r.runtimeThreads).toBe(1);
    expect(workersStarted).toBe(0);
    expect(r.ops.length).toBe(20);
    expect(failures(r)).toEqual([]);
    expect(r.ops.filter((o) => o.parallelRuns !== 0).map((o) => o.name)).toEqual([]);
    expect(r.workerChunks).toBe(0);
    expect(r.liveTensors).toBe(0);
  }, 300_000);
});
