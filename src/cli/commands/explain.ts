// `weft explain JOB`: "if submitted now, when and where would it start?", answered by running
// the real scheduler forward on virtual time from the live fleet (see explain/forward.ts). All
// inputs come through the API: nodes, active allocations, pending workloads, priority classes.
import { Command } from 'commander';
import { kindOf, type WeftClient } from '../../client/index.js';
import { ResidencyView } from '../../control/residency.js';
import type { Resource } from '../../model/metadata.js';
import { addScopeOptions, connect, projectOf, type ScopeOptions } from '../connect.js';
import { CliError } from '../errors.js';
import { gangOf, type GangContext } from '../explain/gang.js';
import { simulateForward, type Holding, type QueuedGang } from '../explain/forward.js';
import { allocationDelta, buildSnapshot } from '../explain/snapshot.js';
import { findOne } from '../lookup.js';
import { formatIndices, formatWorkloadGpus } from '../output/columns.js';
import { isActiveAllocation } from '../../model/allocation-rules.js';
import { isWorkloadKind, WORKLOAD_KIND_NAMES, workloadKindWords } from '../../model/kind-names.js';
import { SIM_DURATION_ANNOTATION, parseSimDuration } from '../../model/sim-annotations.js';


interface ExplainOptions extends ScopeOptions {
  kind: string;
  policy: string;
}

export function explainCommand(): Command {
  const cmd = new Command('explain')
    .description('when and where would this workload start if submitted now? (simulated on the live fleet)')
    .argument('<name>', 'workload name')
    .option('-k, --kind <kind>', workloadKindWords(), 'job')
    .option('--policy <name>', 'placement policy to simulate', 'weft');
  addScopeOptions(cmd).action(async (name: string, opts: ExplainOptions, self: Command) => {
    const def = kindOf(opts.kind);
    if (!isWorkloadKind(def.kind)) throw new CliError(`explain takes a ${workloadKindWords()}, not ${def.plural}`, 2);
    const { client, context } = connect(self);
    const target = await findOne(client, def.kind, name, projectOf(opts, context));
    console.log(await explain(client, target, opts.policy, Date.now()));
  });
  return cmd;
}

async function explain(client: WeftClient, target: Resource, policy: string, now: number): Promise<string> {
  const all = async (kind: string): Promise<Resource[]> => (await client.list(kind, { autoPaginate: true })).items;
  const [nodes, allocs, priorityClasses, sites, projects, dataClasses, ...workloadLists] = await Promise.all([
    all('Node'),
    all('Allocation'),
    all('PriorityClass').catch(() => []),
    all('Site').catch(() => []),
    all('Project').catch(() => []),
    all('DataClass').catch(() => []),
    ...WORKLOAD_KIND_NAMES.map((k) => all(k)),
  ]);
  const workloads = new Map<string, Resource>(workloadLists.flat().map((w) => [keyOf(w.kind, w.metadata.project, w.metadata.name), w]));
  const ctx = gangContext(priorityClasses, sites, projects, dataClasses);
  const live = buildSnapshot(nodes);
  const holdings: Holding[] = [];
  let unknownEnds = 0;
  const active = allocs.filter(isActiveAllocation);
  for (const a of active) {
    const d = allocationDelta(live, a);
    if (!d) continue;
    live.snap.assume(d.node, d.delta);
    const ref = a.spec.workload as { kind: string; name: string };
    const endsAt = expectedEnd(a, workloads.get(keyOf(ref.kind, a.metadata.project, ref.name)), now);
    if (endsAt === null) unknownEnds++;
    holdings.push({ ...d, endsAt, label: `${ref.kind.toLowerCase()}/${ref.name}` });
  }
  live.snap.commit();

  const busy = new Set(active.map((a) => keyOf((a.spec.workload as { kind: string }).kind, a.metadata.project, (a.spec.workload as { name: string }).name)));
  const targetKey = keyOf(target.kind, target.metadata.project, target.metadata.name);
  const phase = String((target.status as { phase?: unknown } | undefined)?.phase ?? 'Pending');
  const queued: QueuedGang[] = [];
  for (const [key, w] of workloads) {
    if (key === targetKey || busy.has(key) || !isPending(w)) continue;
    queued.push({ gang: gangOf(w, ctx, Date.parse(w.metadata.creationTimestamp)), durationMs: declaredMs(w), label: `${w.kind.toLowerCase()}/${w.metadata.name}` });
  }
  // A pending workload keeps its place in line; anything else is asked about as a fresh copy.
  const submittedAt = isPending(target) ? Date.parse(target.metadata.creationTimestamp) : now;
  const gang = gangOf(target, ctx, submittedAt);
  const result = simulateForward(live, holdings, queued, gang, now, policy);

  const ref = `${target.kind.toLowerCase()}/${target.metadata.name}`;
  const out = [`${ref} in project ${target.metadata.project ?? '-'}: ${gang.replicas} replica(s), ${formatWorkloadGpus(target)} GPUs, phase ${phase}.`];
  if (!isPending(target)) out.push(`It is not waiting; the answer below is for a copy submitted now.`);
  // The live scheduler's own word from its last cycle, when it has one ("why pending").
  const said = (target.status as { scheduling?: { explanation?: unknown } } | undefined)?.scheduling?.explanation;
  if (isPending(target) && typeof said === 'string') out.push(`Last scheduling cycle: ${said}.`);
  if (result.startsAt === null) {
    out.push(`It would not start, even after everything with a known end has finished.`);
    if (result.lastReason) out.push(`  Why: ${result.lastReason}`);
  } else {
    const when = result.startsAt <= now ? 'now' : `in about ${formatIn(result.startsAt - now)} (at ${new Date(result.startsAt).toISOString()})`;
    out.push(`It would start ${when}, on:`);
    for (const p of result.placements) out.push(`  replica ${p.replica} → ${p.nodeName}${p.gpus.length ? ` GPUs ${formatIndices(p.gpus)}` : ''}`);
    if (result.waitedFor.length > 0) out.push(`Waiting for: ${summarise(result.waitedFor)} to finish.`);
  }
  if (result.placedAhead.length > 0) out.push(`Placed first (ahead in line): ${summarise(result.placedAhead)}.`);
  out.push(
    `Assumes ${holdings.length - unknownEnds} running allocation(s) end at their declared durations` +
      (unknownEnds > 0 ? `; ${unknownEnds} declare no end and are assumed to keep running.` : '.') +
      ' Preemption and queue fair share are not simulated.',
  );
  return out.join('\n');
}

function isPending(w: Resource): boolean {
  const s = w.status as { phase?: unknown } | undefined;
  const phase = s?.phase ?? 'Pending';
  return phase === 'Pending' && (w.spec as { suspend?: boolean }).suspend !== true;
}

/** Epoch ms an allocation is expected to end, from its start and its workload's declared duration. */
function expectedEnd(a: Resource, w: Resource | undefined, now: number): number | null {
  const st = (a.status ?? {}) as { phase?: string; startedAt?: string };
  if (st.phase === 'Stopping') return now;
  const ms = w ? declaredMs(w) : null;
  if (ms === null) return null;
  const started = st.startedAt ? Date.parse(st.startedAt) : now;
  return Math.max(now, started + ms);
}

/** The sim duration annotation, else a Job's maxRuntimeSeconds; null = unknown. */
function declaredMs(w: Resource): number | null {
  const ann = w.metadata.annotations?.[SIM_DURATION_ANNOTATION];
  const annotated = ann === undefined ? undefined : parseSimDuration(ann);
  if (annotated !== undefined) return annotated;
  const max = (w.spec as { maxRuntimeSeconds?: unknown }).maxRuntimeSeconds;
  return w.kind === 'Job' && typeof max === 'number' ? max * 1000 : null;
}

function gangContext(pcs: Resource[], sites: Resource[], projects: Resource[], dataClasses: Resource[]): GangContext {
  const priorities = new Map<string, number>();
  for (const pc of pcs) {
    const s = pc.spec as { value?: number; globalDefault?: boolean };
    priorities.set(pc.metadata.name, s.value ?? 0);
    if (s.globalDefault) priorities.set('', s.value ?? 0);
  }
  return {
    priorities,
    siteCountries: new Map(sites.map((s) => [s.metadata.name, String((s.spec as { country?: string }).country ?? '')])),
    allowedSites: projectSites(projects, sites, dataClasses),
  };
}

/** Each project's residency (its countries and sites, and its data class's), as the scheduling loop applies it. */
function projectSites(projects: Resource[], sites: Resource[], dataClasses: Resource[]): Map<string, string[] | undefined> {
  const view = new ResidencyView();
  for (const o of [...sites, ...dataClasses, ...projects]) view.apply('ADDED', o);
  return new Map(projects.map((p) => [p.metadata.name, view.residency(p.metadata.name).sites ?? undefined]));
}

function keyOf(kind: string, project: string | undefined, name: string): string {
  return `${kind}/${project ?? ''}/${name}`;
}

function summarise(labels: string[]): string {
  const uniq = [...new Set(labels)];
  return uniq.length <= 4 ? uniq.join(', ') : `${uniq.slice(0, 4).join(', ')} and ${uniq.length - 4} more`;
}

/** 250000 → "4m 10s"; 7200000 → "2h 0m". */
export function formatIn(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
