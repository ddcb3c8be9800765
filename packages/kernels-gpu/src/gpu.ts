/// <reference types="@webgpu/types" />
/**
 * Finding a WebGPU implementation, an adapter and a device: `navigator.gpu` in browsers, the
 * `webgpu` package (Dawn) in Node, or objects the caller passes.
 *
 * @module
 */
import { BackendError } from '@tessera/core';

/** `GPUBufferUsage` flags (spelled out so Node needs no WebGPU globals). @internal */
export const BufferUsage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

/** `GPUMapMode.READ`. @internal */
export const MAP_READ_MODE = 0x0001;

/** `GPUShaderStage.COMPUTE`. @internal */
export const SHADER_STAGE_COMPUTE = 0x4;

/**
 * How {@link createWebGpuBackend} finds its GPU. Every field is optional: with none, browsers use
 * `navigator.gpu` and Node loads the optional peer dependency `webgpu`.
 *
 * @example
 * ```ts
 * const options: GpuSelection = { powerPreference: 'high-performance' };
 * ```
 */
export interface GpuSelection {
  /**
   * A `GPU` object to use instead of `navigator.gpu` or the `webgpu` package, for example one
   * created with your own Dawn flags: `create(['backend=vulkan'])` from `webgpu`.
   */
  readonly gpu?: GPU;
  /** An adapter you picked yourself (from `gpu.requestAdapter(...)`); `gpu` is then not used. */
  readonly adapter?: GPUAdapter;
  /**
   * A device you created yourself. The backend then shares it (it never destroys a device it
   * did not create) and uses its limits as they are.
   */
  readonly device?: GPUDevice;
  /** Passed to `requestAdapter`: prefer the integrated (`'low-power'`) or discrete GPU. */
  readonly powerPreference?: GPUPowerPreference;
  /** Passed to `requestAdapter`: ask for the fallback (software) adapter. */
  readonly forceFallbackAdapter?: boolean;
  /**
   * Flags for the `webgpu` package's `create(flags)` when the backend loads it itself in Node,
   * e.g. `['backend=vulkan']`. Ignored when `gpu`, `adapter` or `device` is given or in browsers.
   */
  readonly dawnFlags?: readonly string[];
}

interface WebGpuModule {
  create(flags: string[]): GPU;
}

function navigatorGpu(): GPU | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return nav?.gpu ?? undefined;
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

const INSTALL_HINT =
  'In Node, install the optional peer dependency `webgpu` (npm install webgpu) or pass ' +
  '`{ gpu }` from another WebGPU implementation; in a browser, use one with WebGPU enabled.';

const DRIVER_HINT =
  'On a machine without a GPU driver, a software Vulkan driver works: on Debian/Ubuntu ' +
  '`apt-get install chromium` ships SwiftShader; then set ' +
  'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (and make libvulkan.so.1 loadable, ' +
  'e.g. `apt-get install libvulkan1`) and pass `{ dawnFlags: ["backend=vulkan"] }`.';

async function loadNodeGpu(flags: readonly string[]): Promise<GPU> {
  // The specifier lives in a variable so bundlers do not try to resolve the Node-only package.
  const specifier = 'webgpu';
  let mod: WebGpuModule;
  try {
    mod = (await import(/* @vite-ignore */ specifier)) as WebGpuModule;
  } catch (e) {
    throw new BackendError(
      `createWebGpuBackend: this environment has no navigator.gpu and the package 'webgpu' could not be loaded ` +
        `(${e instanceof Error ? e.message : String(e)}). ${INSTALL_HINT}`,
    );
  }
  return mod.create([...flags]);
}

/**
 * Resolves the adapter (and a caller's device) from the selection. The `GPU` object is returned
 * too: Dawn's instance lives as long as it, so the backend must keep a reference.
 * @internal
 */
export async function acquireAdapter(
  sel: GpuSelection,
): Promise<{ gpu: GPU | null; adapter: GPUAdapter | null; device: GPUDevice | null }> {
  if (sel.device !== undefined) return { gpu: sel.gpu ?? null, adapter: sel.adapter ?? null, device: sel.device };
  if (sel.adapter !== undefined) return { gpu: sel.gpu ?? null, adapter: sel.adapter, device: null };
  let gpu = sel.gpu ?? navigatorGpu();
  if (gpu === undefined) {
    if (!isNode()) {
      throw new BackendError(`createWebGpuBackend: navigator.gpu is not available in this browser or worker. ${INSTALL_HINT}`);
    }
    gpu = await loadNodeGpu(sel.dawnFlags ?? []);
  }
  const opts: GPURequestAdapterOptions = {};
  if (sel.powerPreference !== undefined) opts.powerPreference = sel.powerPreference;
  if (sel.forceFallbackAdapter !== undefined) opts.forceFallbackAdapter = sel.forceFallbackAdapter;
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(opts);
  } catch (e) {
    throw new BackendError(`createWebGpuBackend: requestAdapter failed: ${e instanceof Error ? e.message : String(e)}. ${DRIVER_HINT}`);
  }
  if (adapter === null) {
    throw new BackendError(
      `createWebGpuBackend: no WebGPU adapter was found${
        sel.powerPreference !== undefined ? ` (powerPreference '${sel.powerPreference}')` : ''
      }. ${DRIVER_HINT} Or pass \`{ adapter }\` or \`{ gpu }\` yourself.`,
    );
  }
  return { gpu, adapter, device: null };
}

/** Limits worth raising from the defaults when the adapter allows it. */
const WANTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxStorageBuffersPerShaderStage',
] as const;

/** Requests a device with the adapter's larger limits. @internal */
export async function requestDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) {
    const v = adapter.limits[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  try {
    return await adapter.requestDevice({ requiredLimits, label: 'tessera' });
  } catch (e) {
    throw new BackendError(`createWebGpuBackend: requestDevice failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
