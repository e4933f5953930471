// The Weft replay scenario format: one YAML file holding (optionally) the fleet, the queues and
// the arriving gangs with their times. Documented in README.md beside this file.
//
//   kind: Replay
//   description: what the scenario shows
//   policy: weft            # defaults for the CLI flags; flags win
//   cycle: 10s
//   grace: 30s
//   until: 4h
//   nodes: [...]            # the Fleet format of weft-yaml.ts (or pass --fleet)
//   queues:
//     - { name: team-a, nominal: 16, borrowingLimit: 8, weight: 1 }
//   gangs:                  # the Workload format of weft-yaml.ts, plus:
//     - name: train
//       count: 4            # train-0..3, submitted `interval` apart
//       submitAt: 0s
//       interval: 5m
//       duration: 1h        # run time once started (absent = runs to the end)
//       queue: team-a
//       priority: 10
//       grace: 1m           # stop-request grace when preempted
//       project: vision     # tenancy, for isolation tiers
//       isolation: dedicated
//       allowSharing: false
//       maxRuntime: 2h      # declared limit, used by backfill
//       reservation: tue    # runs in the project's reservation "tue", during its window
//       preemptible: true   # may be preempted: may use idle shareWhenIdle capacity
//   reservations:           # booked in the capacity calendar before the replay starts
//     - { name: tue, project: vision, gpus: 16, model: H100-80GB, start: 2h, end: 6h, bookedAt: 0s, shareWhenIdle: false }
import { parse } from 'yaml';
import type { GangRequest, IsolationTier, NodeInput } from '../../scheduler/index.js';
import { parseFleetYaml, parseWorkloadYaml } from '../weft-yaml.js';
import { parseDurationMs } from './duration.js';
import type { ReplayGang, ReplayQueue, ReplayReservation } from './types.js';

export interface ReplayScenario {
  description?: string;
  /** Present when the file holds the fleet. */
  nodes?: NodeInput[];
  queues: ReplayQueue[];
  gangs: ReplayGang[];
  reservations: ReplayReservation[];
  defaults: { policy?: string; cycleMs?: number; graceMs?: number; untilMs?: number; seed?: number };
}

type Doc = Record<string, unknown>;

const ISOLATION: readonly IsolationTier[] = ['shared', 'mig', 'dedicated', 'exclusive-node'];

function mapping(v: unknown, where: string): Doc {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${where}: expected a mapping`);
  return v as Doc;
}

function optNumber(v: unknown, where: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v === 'boolean' || !Number.isFinite(n) || n < min) throw new Error(`${where}: must be a number ≥ ${min}`);
  return n;
}

function optString(v: unknown, where: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new Error(`${where}: must be a non-empty string`);
  return v;
}

function optDuration(v: unknown, where: string): number | undefined {
  return v === undefined ? undefined : parseDurationMs(v, where);
}

/** The mappings of an optional list field, each with where it is for messages. */
function entries(v: unknown, field: string): { e: Doc; where: string }[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new Error(`${field}: expected a list`);
  return v.map((raw, i) => ({ e: mapping(raw, `${field}[${i}]`), where: `${field}[${i}]` }));
}

function parseQueues(v: unknown): ReplayQueue[] {
  return entries(v, 'queues').map(({ e, where }) => {
    const q: ReplayQueue = { name: optString(e['name'], `${where}.name`) ?? '', nominalGpus: optNumber(e['nominal'], `${where}.nominal`) ?? 0 };
    if (!q.name) throw new Error(`${where}.name: is required`);
    const parent = optString(e['parent'], `${where}.parent`);
    if (parent) q.parent = parent;
    const borrow = optNumber(e['borrowingLimit'], `${where}.borrowingLimit`);
    if (borrow !== undefined) q.borrowingLimitGpus = borrow;
    const lend = optNumber(e['lendingLimit'], `${where}.lendingLimit`);
    if (lend !== undefined) q.lendingLimitGpus = lend;
    const weight = optNumber(e['weight'], `${where}.weight`);
    if (weight !== undefined) {
      if (weight <= 0) throw new Error(`${where}.weight: must be > 0`);
      q.weight = weight;
    }
    return q;
  });
}

/** Tenancy and backfill fields the scheduler takes on a gang. */
function gangExtras(e: Doc, where: string): Partial<GangRequest> {
  const out: Partial<GangRequest> = {};
  const project = optString(e['project'], `${where}.project`);
  if (project) out.project = project;
  if (e['isolation'] !== undefined) {
    const tier = e['isolation'];
    if (!ISOLATION.includes(tier as IsolationTier)) throw new Error(`${where}.isolation: must be one of ${ISOLATION.join(', ')}`);
    out.isolation = tier as IsolationTier;
  }
  if (e['allowSharing'] !== undefined) {
    if (typeof e['allowSharing'] !== 'boolean') throw new Error(`${where}.allowSharing: must be true or false`);
    out.allowSharing = e['allowSharing'];
  }
  const maxRuntime = optDuration(e['maxRuntime'], `${where}.maxRuntime`);
  if (maxRuntime !== undefined) out.maxRuntimeMs = maxRuntime;
  const reservation = optString(e['reservation'], `${where}.reservation`);
  if (reservation) out.reservation = reservation;
  if (e['preemptible'] !== undefined) {
    if (typeof e['preemptible'] !== 'boolean') throw new Error(`${where}.preemptible: must be true or false`);
    out.preemptible = e['preemptible'];
  }
  return out;
}

function parseReservations(v: unknown): ReplayReservation[] {
  return entries(v, 'reservations').map(({ e, where }) => {
    const name = optString(e['name'], `${where}.name`);
    const project = optString(e['project'], `${where}.project`);
    if (!name) throw new Error(`${where}.name: is required`);
    if (!project) throw new Error(`${where}.project: is required (the owner)`);
    const gpus = optNumber(e['gpus'], `${where}.gpus`, 1);
    const nodes = optNumber(e['nodes'], `${where}.nodes`, 1);
    if ((gpus === undefined) === (nodes === undefined)) throw new Error(`${where}.gpus: give exactly one of gpus (GPUs of a model) and nodes (whole nodes)`);
    const start = optDuration(e['start'], `${where}.start`);
    const end = optDuration(e['end'], `${where}.end`);
    if (start === undefined) throw new Error(`${where}.start: is required`);
    if (end === undefined || !(end > start)) throw new Error(`${where}.end: must be after start`);
    const r: ReplayReservation = { name, project, start, end };
    if (gpus !== undefined) {
      if (!Number.isInteger(gpus)) throw new Error(`${where}.gpus: must be a whole number`);
      r.gpus = gpus;
    }
    if (nodes !== undefined) r.nodes = nodes;
    for (const k of ['model', 'site', 'rack'] as const) {
      const x = optString(e[k], `${where}.${k}`);
      if (x) r[k] = x;
    }
    const bookedAt = optDuration(e['bookedAt'], `${where}.bookedAt`);
    if (bookedAt !== undefined) {
      if (bookedAt > start) throw new Error(`${where}.bookedAt: must be at or before start`);
      r.bookedAt = bookedAt;
    }
    if (e['shareWhenIdle'] !== undefined) {
      if (typeof e['shareWhenIdle'] !== 'boolean') throw new Error(`${where}.shareWhenIdle: must be true or false`);
      r.shareWhenIdle = e['shareWhenIdle'];
    }
    return r;
  });
}

export function parseReplayYaml(text: string): ReplayScenario {
  const doc = mapping(parse(text), 'scenario');
  if (doc['kind'] !== undefined && doc['kind'] !== 'Replay') throw new Error(`kind: expected Replay, got ${String(doc['kind'])}`);
  if (!Array.isArray(doc['gangs'])) throw new Error('gangs: expected a list');
  const pods = parseWorkloadYaml(text);
  const gangs: ReplayGang[] = [];
  let next = 0;
  (doc['gangs'] as unknown[]).forEach((raw, i) => {
    const where = `gangs[${i}]`;
    const e = mapping(raw, where);
    const count = e['count'] === undefined ? 1 : Number(e['count']);
    const submitAt = optDuration(e['submitAt'], `${where}.submitAt`) ?? 0;
    const interval = optDuration(e['interval'], `${where}.interval`) ?? 0;
    const duration = optDuration(e['duration'], `${where}.duration`);
    const grace = optDuration(e['grace'], `${where}.grace`);
    const queue = optString(e['queue'], `${where}.queue`) ?? 'default';
    const priority = optNumber(e['priority'], `${where}.priority`, -Infinity);
    const extras = gangExtras(e, where);
    for (let k = 0; k < count; k++) {
      const pod = pods[next++]!;
      const g: ReplayGang = {
        gang: { ...pod.gang, ...extras, queue, ...(priority === undefined ? {} : { priority }) },
        queue,
        submitAt: submitAt + k * interval,
        durationMs: duration ?? null,
        shape: pod.shape,
      };
      if (grace !== undefined) g.graceMs = grace;
      gangs.push(g);
    }
  });
  const scenario: ReplayScenario = {
    queues: parseQueues(doc['queues']),
    gangs,
    reservations: parseReservations(doc['reservations']),
    defaults: {
      policy: optString(doc['policy'], 'policy'),
      cycleMs: optDuration(doc['cycle'], 'cycle'),
      graceMs: optDuration(doc['grace'], 'grace'),
      untilMs: optDuration(doc['until'], 'until'),
      seed: optNumber(doc['seed'], 'seed'),
    },
  };
  const description = optString(doc['description'], 'description');
  if (description) scenario.description = description;
  if (doc['nodes'] !== undefined) scenario.nodes = parseFleetYaml(text);
  return scenario;
}
