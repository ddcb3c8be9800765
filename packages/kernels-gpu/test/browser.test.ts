/**
 * The WebGPU backend in a real browser: headless Chromium (Debian's `chromium`, never a
 * downloaded one) with WebGPU on SwiftShader loads a page that runs a representative subset of
 * the conformance kit on `navigator.gpu`; the results are asserted here.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { requiredKernels } from '@tessera/core';
import { conformanceCases } from '@tessera/core/testing';
import { startServer } from './browser/server.js';

/** Where Debian's chromium package puts the browser. */
const CHROMIUM = process.env['TESSERA_CHROMIUM'] ?? '/usr/bin/chromium';

/** Flags that give headless Chromium a WebGPU adapter on SwiftShader, offline. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-webgpu-adapter=swiftshader',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

interface PageResult {
  readonly adapter: string;
  readonly results: { op: string; name: string; ok: boolean; error?: string }[];
  readonly error?: string;
}

describe('WebGPU backend in headless Chromium', () => {
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<typeof startServer>> | undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) or set TESSERA_CHROMIUM`);
    }
    server = await startServer('/packages/kernels-gpu/test/browser/page.ts');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS], headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('runs conformance cases of every op family on navigator.gpu', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server!.url);
    const handle = await page.waitForFunction(() => (globalThis as { __tessera?: unknown }).__tessera, undefined, {
      timeout: 280_000,
      polling: 250,
    });
    const r = (await handle.jsonValue()) as PageResult;
    await page.close();
    expect(errors).toEqual([]);
    expect(r.error).toBeUndefined();
    const failed = r.results.filter((c) => !c.ok).map((c) => `${c.op} / ${c.name}: ${c.error}`);
    expect(failed).toEqual([]);
    // every op with a case the backend's dtypes allow ran, and every primitive op was covered
    const ran = new Set(r.results.map((c) => c.op));
    const dtypes = ['float32', 'int32', 'bool'];
    const runnable = new Set(conformanceCases.filter((c) => c.dtypes === undefined || c.dtypes.every((d) => dtypes.includes(d))).map((c) => c.op));
    expect([...runnable].filter((op) => !ran.has(op))).toEqual([]);
    expect(requiredKernels().filter((k) => !ran.has(k))).toEqual([]);
    expect(r.adapter.toLowerCase()).toMatch(/swiftshader|google/);
  }, 300_000);
});
