// MCP resources: documents an agent (or its user) can attach as context. The fleet summary, and
// for each project the caller may read, its quota beside the GPUs it holds now and what it used
// this month. Read with the caller's token, like the tools.
import { ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { getSummary, getUsage, type WeftClient } from '../client/index.js';
import type { Register } from './context.js';
import { LIMITS } from './results.js';
import { compactSummary } from './tools/fleet.js';

const json = (uri: URL, value: unknown): ReadResourceResult => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }] });

export const registerResources: Register = (server, { client }) => {
  server.registerResource(
    'fleet-summary',
    'weft://fleet/summary',
    { title: 'Fleet summary', description: 'GPUs by model and site (allocated, fragmented, free), nodes by state, workloads by kind and phase, GPUs held per project.', mimeType: 'application/json' },
    async (uri) => json(uri, compactSummary(await getSummary(client))),
  );

  server.registerResource(
    'project-quota',
    new ResourceTemplate('weft://projects/{project}/quota', {
      list: async () => {
        const { items } = await client.list('Project', { limit: LIMITS.listMax });
        return { resources: items.map((p) => ({ uri: `weft://projects/${encodeURIComponent(p.metadata.name)}/quota`, name: `${p.metadata.name} quota and usage`, mimeType: 'application/json' })) };
      },
    }),
    { title: 'Project quota and usage', description: "A project's quota, the GPUs it holds now by model, and its usage and cost this month.", mimeType: 'application/json' },
    async (uri, { project }) => json(uri, await projectQuota(client, decodeURIComponent(String(project)))),
  );
};

export async function projectQuota(client: WeftClient, project: string): Promise<Record<string, unknown>> {
  const p = await client.get('Project', project);
  const [summary, usage] = await Promise.all([getSummary(client), getUsage(client, { project, by: 'model' })]);
  const held = summary.held.filter((h) => h.project === project).map((h) => ({ model: h.model, gpus: Math.round(h.gpus * 1000) / 1000 }));
  return { project, quota: (p.spec as { quota?: unknown }).quota ?? {}, held, usageThisMonth: { from: usage.from, to: usage.to, currency: usage.currency, byModel: usage.rows } };
}
