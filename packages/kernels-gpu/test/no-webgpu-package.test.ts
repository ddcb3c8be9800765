import { describe, expect, it, vi } from 'vitest';
import { BackendError } from '@tessera/core';
import { createWebGpuBackend } from '../src/index.js';

// Simulates a Node install without the optional peer dependency `webgpu`.
vi.mock('webgpu', () => {
  throw new Error("Cannot find package 'webgpu'");
});

describe('createWebGpuBackend without the webgpu package', () => {
  it('names the package to install and the option to pass', async () => {
    const err = await createWebGpuBackend().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toMatch(/no navigator\.gpu and the package 'webgpu' could not be loaded/);
    expect((err as Error).message).toMatch(/npm install webgpu.*\{ gpu \}/);
  });
});
