// `--fake-gpus 8xH100-80GB`: an inventory for hosts without GPUs (tests, demos). Marked `fake`
// on the Node status so nobody mistakes it for hardware. UUIDs are stable per node and index so
// a restarted agent reports the same GPUs.
import { gpuModelInfo } from '../../model/gpu-catalog.js';
import { ValidationError } from '../../model/errors.js';
import type { GpuInventory } from './types.js';

const GIB = 1024 * 1024 * 1024;

export function parseFakeGpus(spec: string, nodeName: string): GpuInventory[] {
  const out: GpuInventory[] = [];
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)\s*[xX×]\s*([A-Za-z0-9][A-Za-z0-9._-]*)$/.exec(part);
    if (!m) throw ValidationError.field('--fake-gpus', `"${part}" is not COUNTxMODEL (e.g. 8xH100-80GB)`);
    const count = Number(m[1]);
    const model = m[2]!;
    const info = gpuModelInfo(model);
    if (!info) throw ValidationError.field('--fake-gpus', `unknown GPU model "${model}"`);
    if (count < 1 || out.length + count > 64) throw ValidationError.field('--fake-gpus', `between 1 and 64 GPUs, got ${out.length + count}`);
    for (let i = 0; i < count; i++) {
      const index = out.length;
      out.push({ index, uuid: fakeUuid(nodeName, index), model: info.name, memoryBytes: info.memoryGiB * GIB, migEnabled: false });
    }
  }
  return out;
}

/** "GPU-" + a UUID-shaped hex string derived from the node name and index (FNV-1a). */
function fakeUuid(node: string, index: number): string {
  let hex = '';
  for (let round = 0; hex.length < 32; round++) {
    let h = 0x811c9dc5 ^ round;
    for (const ch of `${node}/${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    hex += h.toString(16).padStart(8, '0');
  }
  return `GPU-${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
