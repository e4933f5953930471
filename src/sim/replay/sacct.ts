// A Slurm accounting export as a replay workload, so a centre can replay its own history through
// Weft's policies. The input is `sacct --parsable2` output with its header line (fields separated
// by "|"), one line per job allocation (`--allocations`; step lines, "123.batch", are skipped):
//
//   sacct --allusers --allocations --parsable2 --starttime 2026-01-01 --endtime now \
//     --format JobID,Account,Partition,Submit,Start,End,NNodes,NCPUS,AllocTRES,ReqTRES,Timelimit,State
//
// Required fields: JobID, Submit, Start, End, NNodes, and AllocTRES or ReqTRES (the TRES string,
// "cpu=8,mem=64G,node=2,billing=8,gres/gpu=16" or "gres/gpu:h100=16"). Optional: Account (the
// queue, "default" when empty), NCPUS (when the TRES has no cpu), Timelimit (declared run time,
// for backfill), State. Each job becomes a gang of NNodes replicas, each with an equal share of
// its CPUs, memory and GPUs (whole GPUs, a model constraint when the TRES names the GRES type).
// It arrives at Submit (relative to the earliest Submit) and runs End − Start; a job still
// running (End "Unknown") runs to the end of the replay. Jobs that never started (cancelled while
// pending) are left out, and counted.
import { gpuModelOfGresType } from '../../model/gpu-catalog.js';
import type { GangRequest } from '../../scheduler/index.js';
import type { ReplayGang } from './types.js';

export interface SacctWorkload {
  gangs: ReplayGang[];
  /** Jobs left out because they never started. */
  neverStarted: number;
}

const REQUIRED = ['JobID', 'Submit', 'Start', 'End', 'NNodes'];
const UNKNOWN = new Set(['', 'Unknown', 'None', 'N/A']);

export function parseSacct(text: string): SacctWorkload {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error('empty: expected sacct --parsable2 output with its header line');
  const header = lines[0]!.split('|');
  const missing = REQUIRED.filter((f) => !header.includes(f));
  if (missing.length > 0 || !(header.includes('AllocTRES') || header.includes('ReqTRES'))) {
    throw new Error(`header: missing ${[...missing, ...(header.includes('AllocTRES') || header.includes('ReqTRES') ? [] : ['AllocTRES or ReqTRES'])].join(', ')} (got ${header.join('|')}; run sacct with --parsable2 and --format as documented)`);
  }
  const jobs: { row: Record<string, string>; line: number }[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i]!.split('|');
    const row: Record<string, string> = {};
    header.forEach((h, k) => (row[h] = cells[k] ?? ''));
    if (row['JobID']!.includes('.')) continue; // a step of a job already listed
    jobs.push({ row, line: i + 1 });
  }
  let neverStarted = 0;
  const parsed: { gang: Omit<ReplayGang, 'submitAt'>; submit: number }[] = [];
  for (const { row, line } of jobs) {
    const where = `line ${line} (job ${row['JobID']})`;
    const submit = time(row['Submit']!, `${where}: Submit`);
    if (submit === undefined) throw new Error(`${where}: Submit is empty`);
    const start = time(row['Start']!, `${where}: Start`);
    if (start === undefined) {
      neverStarted++;
      continue;
    }
    const end = time(row['End']!, `${where}: End`);
    const nodes = Number(row['NNodes']);
    if (!Number.isInteger(nodes) || nodes < 1) throw new Error(`${where}: NNodes "${row['NNodes']}" is not a positive integer`);
    const tres = parseTres(row['AllocTRES'] || row['ReqTRES'] || '', where);
    const cpus = tres.cpu ?? Number(row['NCPUS'] || nodes);
    const queue = row['Account'] || 'default';
    const perGpu = tres.gpus > 0 ? Math.ceil(tres.gpus / nodes) : 0;
    const gang: GangRequest = {
      id: `slurm-${row['JobID']}`,
      replicas: nodes,
      queue,
      resources: {
        cpuMilli: Math.ceil((cpus * 1000) / nodes),
        memoryBytes: Math.ceil(tres.memoryBytes / nodes),
        gpu: perGpu > 0 ? { kind: 'whole', count: perGpu } : { kind: 'none' },
        ...(tres.gpuModel ? { gpuModels: [tres.gpuModel] } : {}),
      },
    };
    const limit = timelimitMs(row['Timelimit'] ?? '');
    if (limit !== undefined) gang.maxRuntimeMs = limit;
    parsed.push({
      submit,
      gang: {
        gang,
        queue,
        durationMs: end === undefined ? null : Math.max(0, end - start),
        shape: { cpuMilli: gang.resources.cpuMilli, gpuMilli: perGpu > 0 ? 1000 : 0, gpuCount: perGpu, gpuModels: tres.gpuModel ? [tres.gpuModel] : [] },
      },
    });
  }
  const t0 = Math.min(...parsed.map((p) => p.submit));
  const gangs = parsed.map((p) => ({ ...p.gang, submitAt: p.submit - t0 })).sort((a, b) => a.submitAt - b.submitAt);
  return { gangs, neverStarted };
}

/** sacct's times: "2026-12-07T15:04:18" (the cluster's local time; only differences matter here). */
function time(raw: string, where: string): number | undefined {
  if (UNKNOWN.has(raw.trim())) return undefined;
  const t = Date.parse(`${raw.trim()}Z`);
  if (Number.isNaN(t)) throw new Error(`${where} "${raw}" is not a time like 2026-12-07T15:04:18`);
  return t;
}

interface Tres {
  cpu?: number;
  memoryBytes: number;
  gpus: number;
  gpuModel?: string;
}

const MEM_UNITS: Record<string, number> = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

function parseTres(raw: string, where: string): Tres {
  const out: Tres = { memoryBytes: 0, gpus: 0 };
  for (const part of raw.split(',')) {
    if (part === '') continue;
    const [key, value] = part.split('=');
    if (key === undefined || value === undefined) throw new Error(`${where}: TRES "${raw}" is not key=value,…`);
    if (key === 'cpu') out.cpu = Number(value);
    else if (key === 'mem') {
      const m = /^([\d.]+)([KMGT]?)$/.exec(value);
      if (!m) throw new Error(`${where}: mem "${value}" is not a size like 64G`);
      out.memoryBytes = Math.ceil(Number(m[1]) * (MEM_UNITS[m[2]!] ?? 2 ** 20));
    } else if (key === 'gres/gpu') out.gpus = Math.max(out.gpus, Number(value));
    else if (key.startsWith('gres/gpu:')) {
      out.gpus = Math.max(out.gpus, Number(value));
      out.gpuModel = gpuModelOfGresType(key.slice('gres/gpu:'.length));
    }
  }
  if (!Number.isFinite(out.gpus) || out.gpus < 0) throw new Error(`${where}: the GPU count in "${raw}" is not a number`);
  return out;
}

/** Timelimit "[days-]hours:minutes:seconds", "minutes:seconds" or "UNLIMITED". */
function timelimitMs(raw: string): number | undefined {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(raw.trim());
  if (!m) return undefined;
  const [, d, h, min, s] = m;
  return (((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min)) * 60 + Number(s)) * 1000;
}
