import { existsSync } from 'node:fs';
import { defineProject } from 'vitest/config';

// Debian's chromium ships SwiftShader (Vulkan on the CPU) and its own Vulkan loader. Dawn (the
// `webgpu` package) loads libvulkan.so.1 when it starts, so the loader directory goes on the
// library path of the test processes; a system libvulkan1 is found first when installed.
const CHROMIUM_LIB = '/usr/lib/chromium';
const libPath = [process.env['LD_LIBRARY_PATH'], existsSync(CHROMIUM_LIB) ? CHROMIUM_LIB : undefined]
  .filter((p): p is string => p !== undefined && p !== '')
  .join(':');

export default defineProject({
  resolve: { conditions: ['@tessera/source'] },
  ssr: { resolve: { conditions: ['@tessera/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    passWithNoTests: true,
    env: libPath === '' ? {} : { LD_LIBRARY_PATH: libPath },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
