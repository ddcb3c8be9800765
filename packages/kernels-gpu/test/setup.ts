/**
 * Test helpers: a WebGPU backend on SwiftShader (Vulkan on the CPU), so the tests run on
 * machines without a GPU. Nothing is skipped: when no adapter can be created, the tests fail
 * with the backend's error, which says what to install.
 */
import { existsSync } from 'node:fs';
import { createWebGpuBackend, type WebGpuBackend, type WebGpuBackendOptions } from '../src/index.js';

/** The SwiftShader Vulkan driver that Debian's chromium package ships. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Creates the backend the tests use. On Linux it points the Vulkan loader at SwiftShader unless
 * `VK_ICD_FILENAMES` is already set (set it to test on a real GPU's driver instead).
 */
export async function createTestBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  if (process.platform === 'linux') {
    if (process.env['VK_ICD_FILENAMES'] === undefined && existsSync(SWIFTSHADER_ICD)) {
      process.env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD;
    }
    return createWebGpuBackend({ dawnFlags: ['backend=vulkan'], ...options });
  }
  return createWebGpuBackend(options);
}
