// OpenAPI entries for the node-agent routes (routes/nodes.ts, routes/logs.ts); merged into the
// document by openapi.ts.
import { workloadKinds } from '../model/kind-names.js';
import { errors, json, pathParam as path, queryParam as query, type Json } from './openapi-parts.js';

const LOG_CHUNK: Json = {
  type: 'object',
  required: ['seq', 'stream', 'data'],
  properties: { seq: { type: 'integer', minimum: 0 }, stream: { enum: ['stdout', 'stderr'] }, data: { type: 'string', maxLength: 65536 }, time: { type: 'string', format: 'date-time' } },
};

export function agentPaths(): Record<string, Json> {
  const logsRead = (plural: string): Json => ({
    get: {
      operationId: `read${plural}Logs`,
      tags: ['Logs'],
      summary: 'A replica\'s logs as text (follow=true streams until the replica ends)',
      parameters: [
        path('project', 'project name'),
        path('name', 'workload name'),
        query('replica', 'replica index (default 0)', { type: 'integer', minimum: 0 }),
        query('attempt', 'gang attempt (default: the newest)', { type: 'integer', minimum: 0 }),
        query('previous', 'the attempt before the newest', { type: 'boolean' }),
        query('tail', 'only the last N chunks', { type: 'integer', minimum: 1 }),
        query('follow', 'stream new chunks until the replica is terminal', { type: 'boolean' }),
      ],
      responses: { 200: { description: 'log text', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errors(400, 401, 403, 404) },
    },
  });
  return {
    '/api/v1/nodes/register': {
      post: {
        operationId: 'registerNode',
        tags: ['Nodes'],
        summary: 'Exchange a one-time join token (new nodes), the node\'s own token or an admin\'s (Bearer) for the node\'s one live credential',
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['name', 'spec'],
            properties: {
              name: { type: 'string' },
              spec: { $ref: '#/components/schemas/Node' },
              status: { type: 'object', description: 'address, lastHeartbeatTime, agent, inventory, cgroups, gpuUtilization' },
              replace: { type: 'boolean', description: 'cluster admins: replace an existing Node of this name' },
            },
          }),
        },
        responses: {
          201: { description: 'the Node and its node token (shown once); earlier credentials of the node are revoked', content: json({ type: 'object', required: ['node', 'token'], properties: { node: { type: 'object' }, token: { type: 'string' } } }) },
          ...errors(400, 401, 403, 409, 422),
        },
      },
    },
    '/api/v1/nodes/{name}/heartbeat': {
      post: {
        operationId: 'renewNodeHeartbeat',
        tags: ['Nodes'],
        summary: 'Say the node is alive (its own node token, or a cluster admin): renewed in place, no Node write and no watch event; reads show it as status.lastHeartbeatTime',
        parameters: [path('name', 'node name')],
        responses: {
          200: { description: 'the time recorded', content: json({ type: 'object', required: ['node', 'lastHeartbeatTime'], properties: { node: { type: 'string' }, lastHeartbeatTime: { type: 'string', format: 'date-time' } } }) },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    '/api/v1/projects/{project}/allocations/{name}/secrets': {
      get: {
        operationId: 'readAllocationSecrets',
        tags: ['Nodes'],
        summary: 'The Secret values an active Allocation\'s replica needs (environment and registry logins), for the node it runs on only',
        parameters: [path('project', 'project name'), path('name', 'Allocation name')],
        responses: {
          200: {
            description: 'opened values',
            content: json({
              type: 'object',
              required: ['env', 'registryAuth'],
              properties: {
                env: { type: 'object', additionalProperties: { type: 'string' } },
                registryAuth: { type: 'array', items: { type: 'object', required: ['serveraddress', 'username', 'password'], properties: { serveraddress: { type: 'string' }, username: { type: 'string' }, password: { type: 'string' } } } },
              },
            }),
          },
          ...errors(401, 403, 404, 409),
        },
      },
    },
    '/api/v1/nodes/{name}/drain': {
      post: {
        operationId: 'drainNode',
        tags: ['Nodes'],
        summary: 'Cordon the node and ask everything on it to stop and move (cluster admins)',
        parameters: [path('name', 'node name')],
        responses: { 200: { description: 'the Node', content: json({ type: 'object' }) }, ...errors(400, 401, 403, 404) },
      },
    },
    '/api/v1/projects/{project}/allocations/{name}/logs': {
      post: {
        operationId: 'writeAllocationLogs',
        tags: ['Logs'],
        summary: 'Ship log chunks (the allocation\'s node); idempotent per seq',
        parameters: [path('project', 'project name'), path('name', 'allocation name')],
        requestBody: { required: true, content: json({ type: 'object', required: ['chunks'], properties: { chunks: { type: 'array', maxItems: 1000, items: LOG_CHUNK } } }) },
        responses: { 204: { description: 'stored' }, ...errors(400, 401, 403, 404, 422) },
      },
    },
    ...Object.fromEntries(workloadKinds().map((k) => [`/api/v1/projects/{project}/${k.plural}/{name}/logs`, logsRead(k.kind)])),
  };
}
