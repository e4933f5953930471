// A small YAML format for fleets and workloads, for what-if runs without a trace:
//
//   kind: Fleet                         kind: Workload
//   nodes:                              gangs:
//     - name: h100                        - name: train
//       count: 16        # h100-0..15       count: 20          # train-0..19
//       cpu: "96"                           replicas: 4
//       memory: 1Ti                         minAvailable: 4
//       gpus: 8                             resources:
//       gpuModel: H100-80GB                   cpu: "32"
//       rack: r1                              memory: 256Gi
//       nvlinkDomain: nvl-1                   gpu: { count: 8 }    # or { share: 0.25 } or { mig: 1g.10gb }
//       site: eu-1                          topology: { within: rack, mode: required }

import { parse } from 'yaml';
import { parseCpuMilli, parseMemoryBytes } from '../model/quantity.js';
import type { GangRequest, GpuDemand, NodeInput } from '../scheduler/index.js';
import type { SimPod } from './workload.js';

type Doc = Record<string, unknown>;

function asObject(v: unknown, where: string): Doc {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${where}: expected a mapping`);
  return v as Doc;
}

function asList(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${where}: expected a list`);
  return v;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function expand<T>(entry: Doc, where: string, make: (name: string) => T): T[] {
  const base = str(entry['name']);
  if (!base) throw new Error(`${where}: name is required`);
  const count = entry['count'] === undefined ? 1 : Number(entry['count']);
  if (!Number.isInteger(count) || count < 1) throw new Error(`${where}: count must be a positive integer`);
  return Array.from({ length: count }, (_, i) => make(count === 1 && entry['count'] === undefined ? base : `${base}-${i}`));
}

export function parseFleetYaml(text: string): NodeInput[] {
  const doc = asObject(parse(text), 'fleet');
  return asList(doc['nodes'], 'fleet.nodes').flatMap((raw, i) => {
    const where = `fleet.nodes[${i}]`;
    const e = asObject(raw, where);
    const gpus = e['gpus'] === undefined ? 0 : Number(e['gpus']);
    const cpu = parseCpuMilli(str(e['cpu']) ?? '0', `${where}.cpu`);
    const memory = parseMemoryBytes(str(e['memory']) ?? '0', `${where}.memory`);
    const migGpus = e['migGpus'] === undefined ? undefined : asList(e['migGpus'], `${where}.migGpus`).map(Number);
    return expand(e, where, (name) => ({
      name,
      cpuMilli: cpu,
      memoryBytes: memory,
      gpus,
      gpuModel: str(e['gpuModel']) ?? '',
      site: str(e['site']),
      rack: str(e['rack']),
      nvlinkDomain: str(e['nvlinkDomain']),
      migGpus,
    }));
  });
}

function gpuDemand(v: unknown, where: string): GpuDemand {
  if (v === undefined) return { kind: 'none' };
  const g = asObject(v, where);
  if (g['count'] !== undefined) return Number(g['count']) > 0 ? { kind: 'whole', count: Number(g['count']) } : { kind: 'none' };
  if (g['share'] !== undefined) {
    const share = Number(g['share']);
    if (!(share > 0 && share <= 1)) throw new Error(`${where}.share: must be in (0, 1]`);
    return { kind: 'share', milli: Math.round(share * 1000) };
  }
  if (g['mig'] !== undefined) return { kind: 'mig', profile: String(g['mig']) };
  throw new Error(`${where}: expected count, share or mig`);
}

export function parseWorkloadYaml(text: string): SimPod[] {
  const doc = asObject(parse(text), 'workload');
  return asList(doc['gangs'], 'workload.gangs').flatMap((raw, i) => {
    const where = `workload.gangs[${i}]`;
    const e = asObject(raw, where);
    const res = asObject(e['resources'] ?? {}, `${where}.resources`);
    const gpu = gpuDemand(res['gpu'], `${where}.resources.gpu`);
    const models = res['gpu'] && Array.isArray((res['gpu'] as Doc)['models']) ? ((res['gpu'] as Doc)['models'] as unknown[]).map(String) : [];
    const replicas = e['replicas'] === undefined ? 1 : Number(e['replicas']);
    const cpuMilli = parseCpuMilli(str(res['cpu']) ?? '0', `${where}.resources.cpu`);
    const memoryBytes = parseMemoryBytes(str(res['memory']) ?? '0', `${where}.resources.memory`);
    const perGpu = gpu.kind === 'whole' ? 1000 : gpu.kind === 'share' ? gpu.milli : 0;
    const gpus = gpu.kind === 'whole' ? gpu.count : gpu.kind === 'none' ? 0 : 1;
    const topology = e['topology'] ? (asObject(e['topology'], `${where}.topology`) as unknown as GangRequest['topology']) : undefined;
    return expand(e, where, (name) => ({
      name,
      gang: {
        id: name,
        replicas,
        minAvailable: e['minAvailable'] === undefined ? undefined : Number(e['minAvailable']),
        priority: e['priority'] === undefined ? undefined : Number(e['priority']),
        topology,
        resources: { cpuMilli, memoryBytes, gpu, gpuModels: models },
      },
      requestMilli: replicas * gpus * perGpu,
      milliPerGpu: perGpu,
      shape: { cpuMilli, gpuMilli: perGpu, gpuCount: gpus, gpuModels: models },
    }));
  });
}
