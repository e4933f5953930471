// Workload questions: why is it pending (the scheduler's own explanation, as `weft explain`
// gives it), would this manifest start now and what would it preempt (the server's what-if),
// and a replica's log (a bounded tail).
import { z } from 'zod';
import { explainManifest, explainWorkload, readLogsOf, type WhatIfAnswer, type WorkloadRefs } from '../../client/index.js';
import { parseManifests } from '../../client/manifests.js';
import { workloadKind, workloadKindWords, type WorkloadKind } from '../../model/kind-names.js';
import type { ResourceInput } from '../../model/metadata.js';
import { READ_ONLY, type Register } from '../context.js';
import { nameInput, refText, workloadKindInput } from '../objects.js';
import { LIMITS, ToolRefusal, guarded, ok } from '../results.js';

export const manifestInput = z
  .union([z.string().min(1).max(1024 * 1024), z.record(z.string(), z.unknown())])
  .describe('The manifest: a YAML or JSON text, or the object itself ({apiVersion: weft/v1, kind, metadata, spec})');

const refsShape = z.object({ named: z.array(z.object({ kind: z.string(), project: z.string(), name: z.string() })), others: z.number().int() });

/** The what-if answer as the API gives it (docs/api.md, "What-if"). */
export const whatIfShape = {
  workload: z.object({ kind: z.string(), project: z.string(), name: z.string() }),
  evaluatedAt: z.string(),
  asked: z.enum(['pending', 'copy']),
  replicas: z.number().int(),
  outcome: z.enum(['now', 'preempts', 'later', 'never']),
  startsAt: z.string().optional(),
  placements: z.array(z.object({ replica: z.number().int(), node: z.string(), gpus: z.array(z.number()) })),
  scheduling: z.record(z.string(), z.unknown()).optional(),
  preempts: refsShape.extend({ reasons: z.array(z.string()) }).optional(),
  waitsFor: refsShape.optional(),
  ahead: refsShape.optional(),
  assumptions: z.array(z.string()),
};

/** Parses what an agent passed as one or more manifests; `project` fills a missing metadata.project. */
export function manifestsOf(input: string | Record<string, unknown>, project: string | undefined): ResourceInput[] {
  const docs = typeof input === 'string' ? parseManifests(input, 'manifest').map((m) => m.resource) : parseManifests(JSON.stringify(input), 'manifest').map((m) => m.resource);
  return docs.map((d) => (project && !d.metadata.project ? { ...d, metadata: { ...d.metadata, project } } : d));
}

export const registerWorkloadTools: Register = (server, { client }) => {
  server.registerTool(
    'why_pending',
    {
      title: 'Why is this workload pending?',
      description:
        "The scheduler's structured explanation for a workload: what stops it now (per-node rejection reasons, quota, residency), and when and where it would start (the scheduling loop's own rules on the live fleet, then running work's declared durations). The same answer `weft explain` prints. For a workload that is not waiting, the answer is for a copy submitted now.",
      inputSchema: { kind: workloadKindInput, name: nameInput, project: z.string().min(1).max(253).describe('Project of the workload') },
      outputSchema: whatIfShape,
      annotations: { ...READ_ONLY, title: 'Why is this workload pending?' },
    },
    ({ kind, name, project }) =>
      guarded(async () => {
        const answer = await explainWorkload(client, workloadKindOf(kind), project, name);
        return ok(whatIfText(answer), answer as unknown as Record<string, unknown>);
      }),
  );

  server.registerTool(
    'what_if',
    {
      title: 'Would this workload start now?',
      description:
        'Evaluates a workload manifest as if the caller submitted it now, changing nothing: admission (validation, policies, quota) and then the scheduling loop on the live fleet. Says whether it would start now, where, what it would preempt, or when it would start.',
      inputSchema: { manifest: manifestInput, project: z.string().min(1).max(253).optional().describe('Project, when the manifest does not name one') },
      outputSchema: whatIfShape,
      annotations: { ...READ_ONLY, title: 'Would this workload start now?' },
    },
    ({ manifest, project }) =>
      guarded(async () => {
        const docs = manifestsOf(manifest, project);
        if (docs.length !== 1) throw new ToolRefusal(`what_if takes one workload; the manifest has ${docs.length} documents`);
        const answer = await explainManifest(client, docs[0]!);
        return ok(whatIfText(answer), answer as unknown as Record<string, unknown>);
      }),
  );

  server.registerTool(
    'read_logs',
    {
      title: 'Logs of a replica',
      description: `The last lines of one replica's log (default ${LIMITS.logLinesDefault}, at most ${LIMITS.logLinesMax} lines or ${LIMITS.logBytesMax / 1024} KiB, whichever is less).`,
      inputSchema: {
        kind: workloadKindInput,
        name: nameInput,
        project: z.string().min(1).max(253).describe('Project of the workload'),
        replica: z.number().int().min(0).default(0).describe('Replica index'),
        previous: z.boolean().default(false).describe('The attempt before the newest one (after a restart)'),
        tail: z.number().int().min(1).max(LIMITS.logLinesMax).default(LIMITS.logLinesDefault).describe('How many of the last lines'),
      },
      outputSchema: { text: z.string(), lines: z.number().int(), truncated: z.boolean(), allocation: z.string().optional() },
      annotations: { ...READ_ONLY, title: 'Logs of a replica' },
    },
    ({ kind, name, project, replica, previous, tail }) =>
      guarded(async () => {
        const got = await readLogsOf(client, { kind: workloadKindOf(kind), project, name, replica, tail, ...(previous ? { previous } : {}) });
        const { text, truncated } = lastBytes(got.text, LIMITS.logBytesMax);
        const lines = text === '' ? 0 : text.replace(/\n$/, '').split('\n').length;
        const head = `${lines} line(s) of ${refText(kind, name, project)} replica ${replica}${truncated ? ` (cut to the last ${LIMITS.logBytesMax / 1024} KiB)` : ''}:`;
        return ok(`${head}\n${text}`, { text, lines, truncated, ...(got.allocation ? { allocation: got.allocation } : {}) });
      }),
  );
};

export function workloadKindOf(kind: string): WorkloadKind {
  const def = workloadKind(kind);
  if (!def) throw new ToolRefusal(`kind must be a ${workloadKindWords()}, not "${kind}"`);
  return def.kind;
}

/** The end of `text` within `max` bytes, starting at a line. */
function lastBytes(text: string, max: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return { text, truncated: false };
  const cut = bytes.subarray(bytes.length - max).toString('utf8');
  const nl = cut.indexOf('\n');
  return { text: nl >= 0 ? cut.slice(nl + 1) : cut, truncated: true };
}

/** The answer in a few sentences. */
export function whatIfText(a: WhatIfAnswer): string {
  const out = [`${refText(a.workload.kind, a.workload.name, a.workload.project)}: ${a.replicas} replica(s)${a.asked === 'copy' ? ' (not waiting: answered for a copy submitted now)' : ''}.`];
  const why = a.scheduling as { explanation?: string; message?: string } | undefined;
  if (why?.explanation ?? why?.message) out.push(`Now: ${why.explanation ?? why.message}.`);
  const where = a.placements.map((p) => `replica ${p.replica} on ${p.node}${p.gpus.length ? ` GPUs ${p.gpus.join(',')}` : ''}`).join('; ');
  if (a.outcome === 'now') out.push(`It would start now: ${where}.`);
  else if (a.outcome === 'preempts') out.push(`It would preempt ${refs(a.preempts!)}${a.preempts!.reasons.length ? ` (${a.preempts!.reasons.join('; ')})` : ''} and start once they have stopped.`);
  else if (a.outcome === 'later') out.push(`It would start at ${a.startsAt}${where ? `: ${where}` : ''}${a.waitsFor ? `, after ${refs(a.waitsFor)} finish` : ''}.`);
  else out.push('It would not start, even after everything with a known end has finished.');
  if (a.ahead) out.push(`Ahead in line: ${refs(a.ahead)}.`);
  if (a.assumptions.length > 0) out.push(`Assumes: ${a.assumptions.join(' ')}`);
  return out.join('\n');
}

function refs(r: WorkloadRefs): string {
  const names = r.named.slice(0, 10).map((w) => `${w.kind.toLowerCase()}/${w.project}/${w.name}`);
  if (r.named.length > 10) names.push(`${r.named.length - 10} more`);
  if (r.others > 0) names.push(`${r.others} workload(s) in other projects`);
  return names.join(', ') || 'nothing';
}
