// Loaders for the Alibaba GPU cluster trace (cluster-trace-gpu-v2023, "openb") node and pod CSVs.
import type { GangRequest, GpuDemand, NodeInput } from '../scheduler/index.js';
import { parseCsv, type CsvRow } from './csv.js';
import type { SimPod } from './workload.js';

const MIB = 1024 * 1024;

function num(row: Record<string, string>, col: string, where: string): number {
  const v = Number(row[col]);
  if (row[col] === undefined || row[col] === '' || !Number.isFinite(v)) throw new Error(`${where}: column ${col} is missing or not a number`);
  return v;
}

/** Node list: sn, cpu_milli, memory_mib, gpu, model. */
export function parseAlibabaNodes(text: string): NodeInput[] {
  return parseCsv(text).map((row, i) => {
    const where = `node row ${i + 2}`;
    const gpus = num(row, 'gpu', where);
    return {
      name: row['sn'] || `node-${i}`,
      cpuMilli: num(row, 'cpu_milli', where),
      memoryBytes: num(row, 'memory_mib', where) * MIB,
      gpus,
      gpuModel: gpus > 0 ? row['model'] ?? '' : '',
    };
  });
}

/** Pod list: name, cpu_milli, memory_mib, num_gpu, gpu_milli[, gpu_spec, …]. Other columns are ignored. */
export function parseAlibabaPods(text: string): SimPod[] {
  return parseAlibabaPodRows(parseCsv(text));
}

/** The same, from rows already parsed (e.g. a synthesised variant). */
export function parseAlibabaPodRows(rows: readonly CsvRow[]): SimPod[] {
  return rows.map((row, i) => {
    const where = `pod row ${i + 2}`;
    const name = row['name'] || `pod-${i}`;
    const count = num(row, 'num_gpu', where);
    const rawMilli = count > 0 ? num(row, 'gpu_milli', where) : 0;
    // Clamp as the reference simulator does; no row in the published files needs it.
    const milli = count > 0 ? Math.min(1000, Math.max(0, rawMilli)) : 0;
    const models = (row['gpu_spec'] ?? '').split('|').filter((s) => s.length > 0);
    let gpu: GpuDemand;
    if (count === 0 || milli === 0) gpu = { kind: 'none' };
    else if (milli === 1000) gpu = { kind: 'whole', count };
    else if (count === 1) gpu = { kind: 'share', milli };
    else throw new Error(`${where}: ${count} GPUs at ${milli} milli each is not supported (fractional multi-GPU)`);
    const cpuMilli = num(row, 'cpu_milli', where);
    const gang: GangRequest = {
      id: name,
      replicas: 1,
      resources: { cpuMilli, memoryBytes: num(row, 'memory_mib', where) * MIB, gpu, gpuModels: models },
    };
    const perGpu = gpu.kind === 'none' ? 0 : milli;
    const gpus = gpu.kind === 'none' ? 0 : count;
    return {
      name,
      gang,
      requestMilli: gpus * perGpu,
      milliPerGpu: perGpu,
      shape: { cpuMilli, gpuMilli: perGpu, gpuCount: gpus, gpuModels: models },
    };
  });
}
