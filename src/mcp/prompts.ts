// MCP prompts: a few questions users bring to Weft, written out as the steps an agent should take
// with the tools, so a runtime can offer them as commands.
import { z } from 'zod';
import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import type { Register } from './context.js';

const ask = (text: string): GetPromptResult => ({ messages: [{ role: 'user', content: { type: 'text', text } }] });
const kindArg = z.string().optional().describe('Workload kind: Job (default), Service or DevEnvironment');

export const registerPrompts: Register = (server) => {
  server.registerPrompt(
    'diagnose-pending',
    {
      title: 'Diagnose a pending workload',
      description: 'Why does this workload wait, and what would get it running?',
      argsSchema: { name: z.string().describe('Workload name'), project: z.string().describe('Project'), kind: kindArg },
    },
    ({ name, project, kind }) =>
      ask(`The ${kind ?? 'Job'} "${name}" in project "${project}" is not running. Find out why and what would help:
1. Call why_pending for it: read "scheduling" (what stops it now: per-node reasons, quota, data residency) and the outcome (starts later, would preempt, never).
2. Call describe_resource for its spec, conditions and recent events.
3. If capacity is the problem, call free_capacity for the GPU model it asks for; if quota is, read the project's quota resource (weft://projects/${project}/quota).
4. Answer in a few sentences: the cause, when it would start as things stand, and the smallest change that would let it start sooner (fewer GPUs, another model or site, a different priority), checking that change with what_if before suggesting it. Change nothing yourself.`),
  );

  server.registerPrompt(
    'right-size',
    {
      title: 'Right-size my request',
      description: 'Is this workload asking for more (or less) than it needs?',
      argsSchema: { name: z.string().describe('Workload name'), project: z.string().describe('Project'), kind: kindArg },
    },
    ({ name, project, kind }) =>
      ask(`Review the resource request of the ${kind ?? 'Job'} "${name}" in project "${project}":
1. Call get_resource for its spec (resources per replica, replicas, GPU model, isolation) and status.
2. Call read_logs (a short tail) for signs of what it uses, and usage_report by workload for project "${project}" for what it has cost so far.
3. Call free_capacity to see which GPU models and sites have room.
4. Propose a request that fits its need and starts soonest; check it with what_if (same name and project) and report the outcome and the expected saving. Do not apply it: show the manifest change instead.`),
  );

  server.registerPrompt(
    'find-capacity',
    {
      title: 'Find capacity for N GPUs',
      description: 'Where could a workload of this many GPUs start now?',
      argsSchema: { gpus: z.string().describe('How many GPUs'), model: z.string().optional().describe('GPU model, if it matters'), project: z.string().optional().describe('Project it would run in') },
    },
    ({ gpus, model, project }) =>
      ask(`Find where ${gpus} GPU(s)${model ? ` of model ${model}` : ''} could start now${project ? ` for project "${project}"` : ''}:
1. Call free_capacity${model ? ` with model "${model}"` : ''} to see free GPUs by model and site.
2. ${project ? `Read weft://projects/${project}/quota: the project's quota and what it holds limit what it may start, and its allowed sites limit where.` : 'Note that a project\'s quota and allowed sites also limit where it may run.'}
3. Build a Job manifest with that request (8 GPUs per replica at most, as nodes have 8) and call what_if with it: report whether it would start now, on which nodes, or what it would preempt or wait for.`),
  );
};
