// Reading any kind: a page of compact rows, one object whole, one object described (with a
// workload's replicas and the events about it), and the events of an object.
import { z } from 'zod';
import { allocationsOf, eventsAbout, eventTime } from '../../client/index.js';
import { isWorkloadKind, kindNames } from '../../model/kind-names.js';
import type { Resource } from '../../model/metadata.js';
import { READ_ONLY, type Register } from '../context.js';
import { forAgent, kindInput, nameInput, projectInput, refText, rowOf, scopeFor } from '../objects.js';
import { LIMITS, guarded, ok } from '../results.js';

export const registerObjectTools: Register = (server, { client }) => {
  server.registerTool(
    'list_resources',
    {
      title: 'List resources',
      description: `List objects of one kind as compact rows (name, project, phase, created), ${LIMITS.listDefault} per page by default and at most ${LIMITS.listMax}; pass the returned "continue" to get the next page. Without "project", project-scoped kinds are listed across every project the caller may read.`,
      inputSchema: {
        kind: kindInput,
        project: projectInput.optional(),
        labelSelector: z.string().max(1024).optional().describe('Label selector, e.g. "team=vision,tier!=dev"'),
        limit: z.number().int().min(1).max(LIMITS.listMax).default(LIMITS.listDefault).describe('Objects per page'),
        continue: z.string().max(4096).optional().describe('The "continue" token of the previous page'),
      },
      outputSchema: {
        kind: z.string(),
        items: z.array(z.object({ name: z.string(), project: z.string().optional(), phase: z.string().optional(), created: z.string() })),
        count: z.number().int(),
        continue: z.string().optional().describe('Present when there are more: pass it back for the next page'),
      },
      annotations: { ...READ_ONLY, title: 'List resources' },
    },
    ({ kind, project, labelSelector, limit, continue: cont }) =>
      guarded(async () => {
        const scope = kindNames(kind).scope === 'project' && project ? { project } : {};
        const page = await client.list(kind, { ...scope, ...(labelSelector ? { labelSelector } : {}), limit, ...(cont ? { continue: cont } : {}) });
        const items = page.items.map(rowOf);
        const where = project ? ` in project ${project}` : '';
        const more = page.continue ? ` More remain: call again with continue="${page.continue}".` : '';
        const lines = items.map((r) => `${r.project ? `${r.project}/` : ''}${r.name}${r.phase ? ` (${r.phase})` : ''}`);
        const summary = `${items.length} ${kindNames(kind).plural}${where}.${more}${lines.length ? `\n${lines.join('\n')}` : ''}`;
        return ok(summary, { kind, items, count: items.length, ...(page.continue ? { continue: page.continue } : {}) });
      }),
  );

  server.registerTool(
    'get_resource',
    {
      title: 'Get a resource',
      description: "One object whole: apiVersion, kind, metadata, spec (with the server's defaults) and status. Write-only values (a Secret's) are never returned.",
      inputSchema: { kind: kindInput, name: nameInput, project: projectInput.optional() },
      outputSchema: { object: z.record(z.string(), z.unknown()) },
      annotations: { ...READ_ONLY, title: 'Get a resource' },
    },
    ({ kind, name, project }) =>
      guarded(async () => {
        const r = forAgent(await client.get(kind, name, scopeFor(kind, project)));
        return ok(`${refText(kind, name, r.metadata.project)}${phaseText(r)}\n${JSON.stringify(r)}`, { object: r as unknown as Record<string, unknown> });
      }),
  );

  server.registerTool(
    'describe_resource',
    {
      title: 'Describe a resource',
      description: 'One object with its story: for a workload, its conditions and the allocation of each replica (node, GPUs, phase); and the newest events about it (at most 20). Use why_pending for a workload that waits.',
      inputSchema: { kind: kindInput, name: nameInput, project: projectInput.optional() },
      outputSchema: {
        object: z.record(z.string(), z.unknown()),
        allocations: z.array(z.object({ name: z.string(), replica: z.number().optional(), attempt: z.number().optional(), node: z.string().optional(), gpus: z.array(z.unknown()).optional(), phase: z.string().optional() })),
        events: z.array(eventShape),
      },
      annotations: { ...READ_ONLY, title: 'Describe a resource' },
    },
    ({ kind, name, project }) =>
      guarded(async () => {
        const r = forAgent(await client.get(kind, name, scopeFor(kind, project)));
        const allocs = isWorkloadKind(r.kind) ? (await allocationsOf(client, r)).slice(-LIMITS.listMax) : [];
        const events = (await eventsAbout(client, r, new Set(allocs.map((a) => `Allocation/${a.metadata.name}`)))).map(eventRow);
        const allocations = allocs.map(allocationRow);
        const lines = [`${refText(kind, name, r.metadata.project)}${phaseText(r)}`];
        for (const c of conditionsOf(r)) lines.push(`condition ${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`);
        for (const a of allocations) lines.push(`replica ${a.replica ?? '?'} attempt ${a.attempt ?? 0} on ${a.node ?? '?'}: ${a.phase ?? 'Pending'}`);
        for (const e of events.slice(-5)) lines.push(`event ${e.type} ${e.reason}: ${e.message}`);
        return ok(lines.join('\n'), { object: r as unknown as Record<string, unknown>, allocations, events });
      }),
  );

  server.registerTool(
    'list_events',
    {
      title: 'Events of an object',
      description: `The newest events about one object (for a workload, its replicas' too), oldest first; at most ${LIMITS.eventsMax}.`,
      inputSchema: {
        kind: kindInput,
        name: nameInput,
        project: projectInput.optional(),
        limit: z.number().int().min(1).max(LIMITS.eventsMax).default(20).describe('How many of the newest events'),
      },
      outputSchema: { events: z.array(eventShape) },
      annotations: { ...READ_ONLY, title: 'Events of an object' },
    },
    ({ kind, name, project, limit }) =>
      guarded(async () => {
        const r = await client.get(kind, name, scopeFor(kind, project));
        const allocs = isWorkloadKind(r.kind) ? await allocationsOf(client, r) : [];
        const events = (await eventsAbout(client, r, new Set(allocs.map((a) => `Allocation/${a.metadata.name}`)), limit)).map(eventRow);
        const lines = events.map((e) => `${e.time} ${e.type} ${e.reason}${e.about ? ` (${e.about})` : ''}: ${e.message}`);
        return ok(`${events.length} event(s) about ${refText(kind, name, r.metadata.project)}${lines.length ? `\n${lines.join('\n')}` : ''}`, { events });
      }),
  );
};

const eventShape = z.object({ time: z.string(), type: z.string(), reason: z.string(), message: z.string(), count: z.number().optional(), about: z.string().optional() });

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function phaseText(r: Resource): string {
  const phase = rowOf(r).phase;
  return phase ? `: ${phase}` : '';
}

function conditionsOf(r: Resource): { type: string; status: string; reason?: string; message?: string }[] {
  const list = obj(r.status).conditions;
  return Array.isArray(list) ? list.map((c) => obj(c)).map((c) => ({ type: String(c.type ?? ''), status: String(c.status ?? ''), ...(str(c.reason) ? { reason: str(c.reason)! } : {}), ...(str(c.message) ? { message: str(c.message)! } : {}) })) : [];
}

function allocationRow(a: Resource): { name: string; replica?: number; attempt?: number; node?: string; gpus?: unknown[]; phase?: string } {
  const spec = obj(a.spec);
  const status = obj(a.status);
  return {
    name: a.metadata.name,
    ...(typeof spec.replica === 'number' ? { replica: spec.replica } : {}),
    ...(typeof spec.attempt === 'number' ? { attempt: spec.attempt } : {}),
    ...(str(spec.node) ? { node: str(spec.node)! } : {}),
    ...(Array.isArray(spec.gpus) ? { gpus: spec.gpus as unknown[] } : {}),
    ...(str(status.phase) ? { phase: str(status.phase)! } : {}),
  };
}

function eventRow(e: Resource): { time: string; type: string; reason: string; message: string; count?: number; about?: string } {
  const s = obj(e.spec);
  const who = obj(s.involvedObject);
  return {
    time: eventTime(e),
    type: String(s.type ?? ''),
    reason: String(s.reason ?? ''),
    message: String(s.message ?? ''),
    ...(typeof s.count === 'number' ? { count: s.count } : {}),
    ...(who.kind === 'Allocation' ? { about: `allocation/${String(who.name)}` } : {}),
  };
}
