// Tools that change things, registered only when the server is not read-only. Each is the API
// request the CLI would make, with the caller's token; the destructive ones (delete, drain, an
// apply that would preempt running work) refuse unless called with confirm: true.
import { z } from 'zod';
import { cordonNode, drainNode, explainManifest, setSuspended, uncordonNode, type WeftClient, type WhatIfAnswer } from '../../client/index.js';
import { isWorkloadKind, kindNames, workloadKind } from '../../model/kind-names.js';
import type { ResourceInput } from '../../model/metadata.js';
import { DESTRUCTIVE, MUTATING, type Register } from '../context.js';
import { kindInput, nameInput, projectInput, refText, scopeFor } from '../objects.js';
import { ToolRefusal, guarded, ok } from '../results.js';
import { manifestInput, manifestsOf, whatIfText, workloadKindOf } from './workloads.js';
import { sortForApply } from '../../client/manifests.js';

/** Documents one apply may carry. */
const MAX_DOCUMENTS = 50;

const confirmInput = z.boolean().default(false).describe('Must be true: this may destroy work. Check with the reading tools first.');

function needConfirm(confirm: boolean, what: string): void {
  if (!confirm) throw new ToolRefusal(`${what}; nothing was done. Call again with confirm: true to go ahead.`);
}

/** Collects the server's Warning headers (Warn policies) of one call. */
function warningsOf(client: WeftClient): { client: WeftClient; warnings: string[] } {
  const warnings: string[] = [];
  return { client: client.with({ onWarning: (w) => warnings.push(w) }), warnings };
}

const nodeInput = z.string().min(1).max(253).describe('Node name');
const nodeOutput = { node: z.string(), unschedulable: z.boolean() };

export const registerWriteTools: Register = (server, ctx) => {
  server.registerTool(
    'apply',
    {
      title: 'Create or update from a manifest',
      description: `Creates each object of a manifest (YAML or JSON, up to ${MAX_DOCUMENTS} documents) or brings it to the manifest's spec, labels and annotations, like \`weft apply\`; an object that already matches is left alone. dryRun: true writes nothing and says what would change (and, for a workload, the server's admission and what-if answer). A workload that would preempt running work is refused unless confirm is true.`,
      inputSchema: {
        manifest: manifestInput,
        project: z.string().min(1).max(253).optional().describe('Project for objects whose manifest names none'),
        dryRun: z.boolean().default(false).describe('Only say what would change; write nothing'),
        confirm: z.boolean().default(false).describe('Needed when a workload would preempt running work'),
      },
      outputSchema: {
        dryRun: z.boolean(),
        results: z.array(
          z.object({
            kind: z.string(),
            name: z.string(),
            project: z.string().optional(),
            action: z.enum(['created', 'configured', 'unchanged']).describe('What was done (or, with dryRun, would be)'),
            changed: z.array(z.string()).optional().describe('Top-level fields the update changes'),
            whatIf: z.object({ outcome: z.string(), startsAt: z.string().optional() }).optional(),
          }),
        ),
        warnings: z.array(z.string()),
      },
      annotations: { ...DESTRUCTIVE, title: 'Create or update from a manifest' },
    },
    ({ manifest, project, dryRun, confirm }) =>
      guarded(async () => {
        const docs = sortForApply(manifestsOf(manifest, project).map((resource) => ({ source: 'manifest', resource }))).map((m) => m.resource);
        if (docs.length > MAX_DOCUMENTS) throw new ToolRefusal(`a manifest may hold at most ${MAX_DOCUMENTS} documents, this one has ${docs.length}`);
        const { client, warnings } = warningsOf(ctx.client);
        const results = [];
        const lines: string[] = [];
        for (const doc of docs) {
          const scope = kindNames(doc.kind).scope === 'project' ? { project: doc.metadata.project } : {};
          const plan = await client.planApply(doc, scope);
          const action = !plan.live ? 'created' : plan.patch ? 'configured' : 'unchanged';
          const answer = action !== 'unchanged' && isWorkloadKind(doc.kind) ? await explainManifest(client, doc) : undefined;
          if (!dryRun && answer?.outcome === 'preempts') needConfirm(confirm, `${refText(doc.kind, doc.metadata.name, doc.metadata.project)} would preempt running work: ${whatIfText(answer).split('\n').slice(1).join(' ')}`);
          const row = {
            kind: doc.kind,
            name: doc.metadata.name,
            ...(doc.metadata.project ? { project: doc.metadata.project } : {}),
            action,
            ...(plan.patch ? { changed: Object.keys(plan.patch) } : {}),
            ...(answer ? { whatIf: whatIfOf(answer) } : {}),
          };
          if (!dryRun) row.action = (await client.apply(doc, scope)).action;
          results.push(row);
          lines.push(`${refText(doc.kind, doc.metadata.name, doc.metadata.project)} ${dryRun ? `would be ${row.action}` : row.action}${row.changed?.length ? ` (${row.changed.join(', ')})` : ''}${answer ? `; what-if: ${answer.outcome}` : ''}`);
        }
        for (const w of warnings) lines.push(`Warning: ${w}`);
        return ok((dryRun ? 'Dry run, nothing written.\n' : '') + lines.join('\n'), { dryRun, results, warnings });
      }),
  );

  server.registerTool(
    'delete_resource',
    {
      title: 'Delete a resource',
      description: "Deletes one object, like `weft delete`. A workload's replicas are stopped. Needs confirm: true.",
      inputSchema: { kind: kindInput, name: nameInput, project: projectInput.optional(), confirm: confirmInput },
      outputSchema: { kind: z.string(), name: z.string(), project: z.string().optional(), deleted: z.boolean() },
      annotations: { ...DESTRUCTIVE, idempotentHint: true, title: 'Delete a resource' },
    },
    ({ kind, name, project, confirm }) =>
      guarded(async () => {
        const scope = scopeFor(kind, project);
        needConfirm(confirm, `deleting ${refText(kind, name, scope.project)} cannot be undone`);
        await ctx.client.delete(kind, name, scope);
        return ok(`${refText(kind, name, scope.project)} deleted`, { kind, name, ...scope, deleted: true });
      }),
  );

  for (const [tool, suspend] of [['suspend_workload', true], ['resume_workload', false]] as const) {
    server.registerTool(
      tool,
      {
        title: suspend ? 'Suspend a workload' : 'Resume a workload',
        description: suspend
          ? "Stops a workload's replicas and keeps it, releasing its GPUs (resume_workload queues it again), like `weft suspend`."
          : 'Queues a suspended workload again, like `weft resume`.',
        inputSchema: { kind: z.enum(['Job', 'DevEnvironment']).default('Job').describe('A suspendable workload kind'), name: nameInput, project: z.string().min(1).max(253).describe('Project of the workload') },
        outputSchema: { kind: z.string(), name: z.string(), project: z.string(), suspended: z.boolean(), changed: z.boolean() },
        annotations: { ...MUTATING, idempotentHint: true, title: suspend ? 'Suspend a workload' : 'Resume a workload' },
      },
      ({ kind, name, project }) =>
        guarded(async () => {
          const k = workloadKindOf(kind);
          if (!workloadKind(k)?.suspendable) throw new ToolRefusal(`a ${k} cannot be suspended`);
          const { changed } = await setSuspended(ctx.client, k, name, project, suspend);
          const state = suspend ? 'suspended' : 'resumed';
          return ok(`${refText(k, name, project)} ${changed ? state : `already ${suspend ? 'suspended' : 'running or queued'}`}`, { kind: k, name, project, suspended: suspend, changed });
        }),
    );
  }

  const toggles = [
    ['cordon_node', 'Cordon a node', 'Keeps new work off a node; what runs there stays (cluster admins). Undo with uncordon_node.', cordonNode, 'cordoned'],
    ['uncordon_node', 'Uncordon a node', 'Lets new work onto a node again and withdraws a drain request (cluster admins).', uncordonNode, 'uncordoned'],
  ] as const;
  for (const [tool, title, description, act, done] of toggles) {
    server.registerTool(
      tool,
      { title, description, inputSchema: { name: nodeInput }, outputSchema: nodeOutput, annotations: { ...MUTATING, idempotentHint: true, title } },
      ({ name }) => guarded(async () => nodeResult(await act(ctx.client, name), done)),
    );
  }

  server.registerTool(
    'drain_node',
    {
      title: 'Drain a node',
      description: "Cordons a node and moves its work elsewhere: each replica there is stopped with its workload's grace period and placed again (cluster admins). Needs confirm: true.",
      inputSchema: { name: nodeInput, confirm: confirmInput },
      outputSchema: nodeOutput,
      annotations: { ...DESTRUCTIVE, idempotentHint: true, title: 'Drain a node' },
    },
    ({ name, confirm }) =>
      guarded(async () => {
        needConfirm(confirm, `draining node ${name} stops every replica on it`);
        return nodeResult(await drainNode(ctx.client, name), 'draining');
      }),
  );
};

function nodeResult(node: ResourceInput, what: string): ReturnType<typeof ok> {
  const unschedulable = (node.spec as { unschedulable?: boolean } | undefined)?.unschedulable === true;
  return ok(`node/${node.metadata.name} ${what}`, { node: node.metadata.name, unschedulable });
}

function whatIfOf(a: WhatIfAnswer): { outcome: string; startsAt?: string } {
  return { outcome: a.outcome, ...(a.startsAt ? { startsAt: a.startsAt } : {}) };
}
