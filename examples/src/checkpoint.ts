/**
 * Checkpoints in the safetensors format: every variable under its name, the optimizer's slots
 * under `optimizer/<variable>/<slot>` and its scalar state under `optimizer/<name>`, plus JSON
 * metadata (epoch, optimizer iterations and config, anything the caller adds).
 *
 * Writes are atomic: the bytes go to a temporary file in the same folder, are flushed to disk,
 * and the file is then renamed over the old checkpoint, so a crash mid-save leaves the previous
 * checkpoint intact.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  decodeSafetensors,
  dispose,
  encodeSafetensors,
  tensor,
  ValueError,
  type SafetensorsEntry,
  type Tensor,
  type Variable,
} from '@tessera/core';
import type { Optimizer, OptimizerState, StateTensor } from '@tessera/optim';

/** Writes `bytes` to `path` atomically (temporary file, fsync, rename). */
export function writeFileAtomic(path: string, bytes: Uint8Array, chunkHook?: (written: number) => void): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    const chunk = 1 << 16;
    for (let off = 0; off < bytes.length; off += chunk) {
      writeSync(fd, bytes, off, Math.min(chunk, bytes.length - off));
      chunkHook?.(off);
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

async function entryOf(t: StateTensor): Promise<SafetensorsEntry> {
  if ('dataSync' in t) return entryOfTensor(t);
  const values = t.values.map((v) => (typeof v === 'number' ? v : Number(v)));
  return { dtype: t.dtype, shape: [...t.shape], values: tensorValues(values, t.dtype) };
}

function tensorValues(values: number[], dtype: SafetensorsEntry['dtype']): SafetensorsEntry['values'] {
  switch (dtype) {
    case 'float32':
      return new Float32Array(values);
    case 'float64':
      return new Float64Array(values);
    case 'int32':
      return new Int32Array(values);
    case 'bool':
      return new Uint8Array(values);
  }
}

/** Reads a tensor's values asynchronously (any backend) into a safetensors entry. */
export async function entryOfTensor(t: Tensor): Promise<SafetensorsEntry> {
  return { dtype: t.dtype, shape: [...t.shape], values: await t.data() };
}

/** Encodes variables (by name) and an optimizer's state into safetensors bytes. */
export async function encodeCheckpoint(
  variables: readonly Variable[],
  optimizer: Optimizer | undefined,
  metadata: Record<string, string> = {},
): Promise<Uint8Array> {
  const names = new Set<string>();
  const out = new Map<string, SafetensorsEntry>();
  for (const v of variables) {
    if (names.has(v.name)) throw new ValueError(`encodeCheckpoint: two variables are named '${v.name}'`);
    names.add(v.name);
    out.set(v.name, await entryOfTensor(v));
  }
  const meta: Record<string, string> = { ...metadata };
  let state: OptimizerState | undefined;
  if (optimizer !== undefined) {
    state = optimizer.getState({ varList: variables });
    for (const [k, t] of Object.entries(state.nonSlots)) out.set(`optimizer/${k}`, await entryOf(t));
    for (let i = 0; i < state.variables.length; i++) {
      for (const [slot, t] of Object.entries(state.variables[i]!.slots)) out.set(`optimizer/${variables[i]!.name}/${slot}`, await entryOf(t));
    }
    meta['optimizer'] = JSON.stringify({ optimizer: state.optimizer, config: state.config, iterations: state.iterations });
  }
  try {
    return encodeSafetensors(out, meta);
  } finally {
    if (state !== undefined) dispose(state);
  }
}

/** Restores variables (matched by name) and the optimizer's state from checkpoint bytes. */
export function restoreCheckpoint(bytes: Uint8Array, variables: readonly Variable[], optimizer?: Optimizer): Record<string, string> {
  const { tensors, metadata } = decodeSafetensors(bytes);
  for (const v of variables) {
    const e = tensors.get(v.name);
    if (e === undefined) throw new ValueError(`restoreCheckpoint: the checkpoint has no variable '${v.name}'`);
    const t = tensor(e.values, e.shape, e.dtype);
    try {
      v.assign(t);
    } finally {
      t.dispose();
    }
  }
  if (optimizer !== undefined) {
    const raw = metadata['optimizer'];
    if (raw === undefined) throw new ValueError('restoreCheckpoint: the checkpoint holds no optimizer state');
    const info = JSON.parse(raw) as Pick<OptimizerState, 'optimizer' | 'config' | 'iterations'>;
    const made: Tensor[] = [];
    const mk = (e: SafetensorsEntry): Tensor => {
      const t = tensor(e.values, e.shape, e.dtype);
      made.push(t);
      return t;
    };
    const nonSlots: Record<string, Tensor> = {};
    const slotsByVar = new Map<string, Record<string, Tensor>>();
    for (const [name, e] of tensors) {
      if (!name.startsWith('optimizer/')) continue;
      const rest = name.slice('optimizer/'.length);
      const owner = variables.find((v) => rest.startsWith(`${v.name}/`));
      if (owner === undefined) nonSlots[rest] = mk(e);
      else {
        const slots = slotsByVar.get(owner.name) ?? {};
        slots[rest.slice(owner.name.length + 1)] = mk(e);
        slotsByVar.set(owner.name, slots);
      }
    }
    const state: OptimizerState = {
      format: 'tessera-optimizer-state',
      version: 1,
      optimizer: info.optimizer,
      config: info.config,
      iterations: info.iterations,
      nonSlots,
      variables: variables.map((v) => ({ name: v.name, shape: [...v.shape], dtype: v.dtype, slots: slotsByVar.get(v.name) ?? {} })),
    };
    try {
      optimizer.setState(state, { varList: variables });
    } finally {
      dispose(made);
    }
  }
  return metadata;
}

/** Saves a checkpoint file atomically. */
export async function saveCheckpoint(
  path: string,
  variables: readonly Variable[],
  optimizer?: Optimizer,
  metadata: Record<string, string> = {},
): Promise<void> {
  writeFileAtomic(path, await encodeCheckpoint(variables, optimizer, metadata));
}

/** Loads a checkpoint file into variables and an optimizer; returns its metadata. */
export function loadCheckpoint(path: string, variables: readonly Variable[], optimizer?: Optimizer): Record<string, string> {
  return restoreCheckpoint(new Uint8Array(readFileSync(path)), variables, optimizer);
}
