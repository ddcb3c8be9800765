import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { decodeSafetensors, memory, setBackend, ValueError } from '@tessera/core';
import { createCpuBackend } from '@tessera/kernels-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../src/mnist/data.js';
import { trainMnist, type TrainResult } from '../src/mnist/train.js';
import '../src/mnist/graph-modes.js';

const root = join(import.meta.dirname, '..', '..');
const tsx = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx');
const data = loadMnist(2000, { train: 384, test: 300 });
const base = { epochs: 2, batchSize: 32, seed: 3, learningRate: 0.003, data } as const;
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tessera-mnist-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  setBackend(await createCpuBackend());
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('MNIST example, short runs', () => {
  const results: Partial<Record<'eager' | 'graph' | 'split', TrainResult>> = {};

  for (const mode of ['eager', 'graph', 'split'] as const) {
    it(`${mode}: loss falls and test accuracy beats chance by a wide margin`, async () => {
      const before = memory().numTensors;
      const r = await trainMnist({ ...base, mode });
      results[mode] = r;
      expect(r.stepLosses.length).toBe(2 * 12);
      expect(mean(r.stepLosses.slice(-4))).toBeLessThan(0.6 * mean(r.stepLosses.slice(0, 4)));
      expect(r.testAccuracy).toBeGreaterThan(0.6); // chance is 0.1
      expect(memory().numTensors).toBe(before);
    });
  }

  it('eager and graph give the same loss after the same steps', () => {
    const e = results.eager!.stepLosses;
    const g = results.graph!.stepLosses;
    expect(g.length).toBe(e.length);
    g.forEach((l, i) => expect(l).toBeCloseTo(e[i]!, 5));
  });

  it('split equals graph to float tolerance', () => {
    const g = results.graph!.stepLosses;
    const s = results.split!.stepLosses;
    s.forEach((l, i) => expect(l).toBeCloseTo(g[i]!, 5));
    expect(results.split!.testAccuracy).toBeCloseTo(results.graph!.testAccuracy, 2);
  });

  it('the same seed and mode give the same numbers run after run', async () => {
    const again = await trainMnist({ ...base, mode: 'eager', epochs: 1 });
    expect(again.stepLosses).toEqual(results.eager!.stepLosses.slice(0, 12));
  });
});

describe('checkpoints', () => {
  for (const mode of ['eager', 'graph', 'split'] as const) {
    it(`${mode}: --resume continues from the last epoch and ends with the numbers of an uninterrupted run`, async () => {
      const full = await trainMnist({ ...base, mode });
      const out = tmp();
      await trainMnist({ ...base, mode, epochs: 1, out });
      expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(true);
      const resumed = await trainMnist({ ...base, mode, out, resume: true });
      expect(resumed.resumedFrom).toBe(1);
      expect(resumed.stepLosses).toEqual(full.stepLosses);
      expect(resumed.history.map((h) => h.testAccuracy)).toEqual(full.history.map((h) => h.testAccuracy));
    });
  }

  it('refuses to resume a checkpoint of another mode or seed, and a truncated checkpoint', async () => {
    const out = tmp();
    await trainMnist({ ...base, mode: 'eager', epochs: 1, out });
    await expect(trainMnist({ ...base, mode: 'eager', seed: 4, out, resume: true })).rejects.toThrow(/seed 3/);
    const file = join(out, 'checkpoint.safetensors');
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 100));
    await expect(trainMnist({ ...base, mode: 'eager', out, resume: true })).rejects.toThrow(ValueError);
  });

  it('a writer killed mid-save leaves the previous checkpoint loadable', async () => {
    const out = tmp();
    const file = join(out, 'ckpt.safetensors');
    const loader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const r = spawnSync(process.execPath, ['--import', loader, '--conditions=@tessera/source', join(import.meta.dirname, 'fixtures', 'kill-writer.ts'), file], { cwd: join(import.meta.dirname, '..'), encoding: 'utf8' });
    expect(r.signal, r.stderr).toBe('SIGKILL');
    expect(readdirSync(out).some((f) => f.endsWith('.tmp'))).toBe(true); // the killed write's partial file
    const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(file)));
    const w = tensors.get('w')!.values;
    expect(w.length).toBe(300000);
    expect(w[0]).toBe(1);
    expect(w[299999]).toBe(1);
  });
});

describe('the README run command', () => {
  it('is `pnpm example`, which runs the MNIST program', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const block = /<!-- run-command -->\s*```sh\n([^\n]+)\n```/.exec(readme);
    expect(block?.[1]).toMatch(/&& pnpm example$/);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['example']).toBe('pnpm --filter @tessera/examples run mnist');
    const ex = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(ex.scripts['mnist']).toContain('src/mnist/main.ts');
  });

  it('--help lists every option', () => {
    const help = execFileSync(tsx, ['--conditions=@tessera/source', 'src/mnist/main.ts', '--help'], { cwd: join(import.meta.dirname, '..'), encoding: 'utf8' });
    for (const o of ['--backend', '--mode', '--epochs', '--batch-size', '--seed', '--out', '--resume']) expect(help).toContain(o);
    expect(help).toMatch(/eager.*graph.*split/s);
  });

  it('a tiny run trains, prints the summary and writes the plot and checkpoint', () => {
    const out = tmp();
    const stdout = execFileSync(
      tsx,
      ['--conditions=@tessera/source', 'src/mnist/main.ts', '--epochs', '1', '--limit-train', '64', '--limit-test', '50', '--quiet', '--out', out],
      { cwd: join(import.meta.dirname, '..'), encoding: 'utf8' },
    );
    expect(stdout).toMatch(/Test accuracy \d+\.\d\d% after 1 epochs; this run took/);
    expect(stdout).toContain(join(out, 'training.png'));
    const png = readFileSync(join(out, 'training.png'));
    expect(Array.from(png.subarray(1, 4), (c) => String.fromCharCode(c)).join('')).toBe('PNG');
    expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(true);
  });
});
