// The OpenAPI 3.1 document, generated from the kind registry and the same schemas that validate
// requests, so it cannot drift from what the server accepts.
import type { KindDef } from '../model/kind.js';
import { KINDS } from '../model/registry.js';
import { resourceSchema } from '../model/validate.js';
import { agentPaths } from './agent-openapi.js';
import { vmPaths } from './vm-openapi.js';
import { WHAT_IF_SCHEMA, whatIfPaths } from './what-if-openapi.js';
import { errors, json, ref, type Json } from './openapi-parts.js';

const param = (name: string, where: 'path' | 'query', description: string, schema: Json = { type: 'string' }): Json => ({
  name,
  in: where,
  required: where === 'path',
  description,
  schema,
});

const PROJECT = param('project', 'path', 'project name');
const NAME = param('name', 'path', 'object name');
const LIST_PARAMS = [
  param('labelSelector', 'query', 'e.g. "team=vision,tier!=dev,env in (a,b)"'),
  param('fieldSelector', 'query', 'only the object with this name, for lists and watches: "metadata.name=<name>" (or "=="); no other field selector is supported'),
  param('limit', 'query', 'page size', { type: 'integer', minimum: 1, maximum: 10000 }),
  param('continue', 'query', "opaque token from the previous page's metadata.continue"),
  param('order', 'query', 'list order: name (default; by project, then name) or newest (creation time, newest first; ties by project, then name); a continue token works only with the order that issued it; ignored by watches', { type: 'string', enum: ['name', 'newest'], default: 'name' }),
  param('watch', 'query', 'stream changes as Server-Sent Events', { type: 'boolean' }),
  param('resourceVersion', 'query', 'watch: deliver changes after this version', { type: 'string', pattern: '^[0-9]+$' }),
];
const BODY_TYPES = ['application/json', 'application/yaml'];
const body = (schema: Json, types = BODY_TYPES): Json => ({ required: true, content: Object.fromEntries(types.map((t) => [t, { schema }])) });

function cleanSchema(def: KindDef): Json {
  // JSON round trip drops TypeBox's symbol keys; $id would re-base $refs inside the document.
  const s = JSON.parse(JSON.stringify(resourceSchema(def))) as Json;
  delete s.$id;
  s.description = def.description;
  return s;
}

function kindPaths(def: KindDef): Record<string, Json> {
  const base = def.scope === 'project' ? `/api/v1/projects/{project}/${def.plural}` : `/api/v1/${def.plural}`;
  const scopeParams = def.scope === 'project' ? [PROJECT] : [];
  const tags = [def.kind];
  const obj = ref(def.kind);
  const listOk = {
    description: `${def.kind} list, or a text/event-stream of {type, object} changes when watch=true`,
    content: { ...json(ref(`${def.kind}List`)), 'text/event-stream': { schema: ref('WatchEvent') } },
  };
  const k = def.kind;
  const paths: Record<string, Json> = {
    [base]: {
      parameters: scopeParams,
      get: { operationId: `list${k}`, tags, summary: `List or watch ${def.plural}`, parameters: LIST_PARAMS, responses: { 200: listOk, ...errors(400, 401, 403, 410) } },
      post: { operationId: `create${k}`, tags, summary: `Create a ${k}`, requestBody: body(obj), responses: { 201: { description: 'created', content: json(obj) }, ...errors(400, 401, 403, 404, 409, 413, 415, 422) } },
    },
    [`${base}/{name}`]: {
      parameters: [...scopeParams, NAME],
      get: { operationId: `read${k}`, tags, responses: { 200: { description: k, content: json(obj) }, ...errors(400, 401, 403, 404) } },
      put: { operationId: `replace${k}`, tags, summary: 'Replace (metadata.resourceVersion, if given, must be current)', requestBody: body(obj), responses: { 200: { description: 'replaced', content: json(obj) }, ...errors(400, 401, 403, 404, 409, 413, 415, 422) } },
      patch: {
        operationId: `patch${k}`,
        tags,
        summary: 'JSON merge patch (RFC 7396)',
        requestBody: body({ type: 'object' }, ['application/merge-patch+json', ...BODY_TYPES]),
        responses: { 200: { description: 'patched', content: json(obj) }, ...errors(400, 401, 403, 404, 409, 413, 415, 422) },
      },
      delete: {
        operationId: `delete${k}`,
        tags,
        parameters: [param('resourceVersion', 'query', 'precondition: delete only this version')],
        responses: { 200: { description: 'the deleted object', content: json(obj) }, ...errors(400, 401, 403, 404, 409) },
      },
    },
    [`${base}/{name}/status`]: {
      parameters: [...scopeParams, NAME],
      put: { operationId: `replace${k}Status`, tags, summary: 'Replace status (admins and controllers)', requestBody: body({ type: 'object', required: ['status'] }), responses: { 200: { description: 'updated', content: json(obj) }, ...errors(400, 401, 403, 404, 409, 422) } },
      patch: { operationId: `patch${k}Status`, tags, summary: 'Merge into status', requestBody: body({ type: 'object', required: ['status'] }, ['application/merge-patch+json', ...BODY_TYPES]), responses: { 200: { description: 'updated', content: json(obj) }, ...errors(400, 401, 403, 404, 409, 422) } },
    },
  };
  if (def.scope === 'project') {
    paths[`/api/v1/${def.plural}`] = {
      get: { operationId: `list${k}AllProjects`, tags, summary: `List or watch ${def.plural} in every project the caller may read`, parameters: LIST_PARAMS, responses: { 200: listOk, ...errors(400, 401, 410) } },
    };
  }
  return paths;
}

const TOKEN_RECORD: Json = {
  type: 'object',
  required: ['id', 'kind', 'subject', 'createdAt'],
  properties: {
    id: { type: 'string' },
    kind: { enum: ['user', 'join', 'node'] },
    subject: { type: 'string', description: 'user name; node name for node tokens; creator for join tokens' },
    description: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    usedAt: { type: 'string', format: 'date-time' },
  },
};

function servicePaths(): Record<string, Json> {
  const ok = (description: string, schema: Json = { type: 'object' }): Json => ({ description, content: json(schema) });
  return {
    '/healthz': { get: { operationId: 'health', security: [], responses: { 200: ok('the process is up') } } },
    '/readyz': { get: { operationId: 'ready', security: [], responses: { 200: ok('the store answers'), ...errors(503) } } },
    '/metrics': { get: { operationId: 'metrics', summary: 'Prometheus metrics (cluster admins and cluster-wide viewers)', responses: { 200: { description: 'Prometheus text exposition', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errors(401, 403) } } },
    '/api/openapi.json': { get: { operationId: 'openapi', security: [], responses: { 200: ok('this document') } } },
    '/api/v1/whoami': { get: { operationId: 'whoami', tags: ['Auth'], responses: { 200: ok('the caller', ref('WhoAmI')), ...errors(401) } } },
    '/api/v1/version': { get: { operationId: 'version', responses: { 200: ok('the server\'s version', { type: 'object', required: ['version', 'apiVersion'], properties: { version: { type: 'string' }, apiVersion: { type: 'string' } } }), ...errors(401) } } },
    '/api/v1/tokens': {
      get: { operationId: 'listTokens', tags: ['Auth'], responses: { 200: ok('tokens (never their values)', { type: 'object', properties: { items: { type: 'array', items: ref('TokenRecord') } } }), ...errors(401) } },
      post: {
        operationId: 'createToken',
        tags: ['Auth'],
        requestBody: body({
          type: 'object',
          additionalProperties: false,
          properties: { user: { type: 'string' }, description: { type: 'string', maxLength: 500 }, expiresInSeconds: { type: 'integer', minimum: 1 }, join: { type: 'boolean' } },
        }, ['application/json']),
        responses: { 201: ok('the token, shown once', { allOf: [ref('TokenRecord'), { type: 'object', required: ['token'], properties: { token: { type: 'string' } } }] }), ...errors(400, 401, 403, 404, 422) },
      },
    },
    '/api/v1/tokens/{id}': {
      delete: { operationId: 'revokeToken', tags: ['Auth'], parameters: [param('id', 'path', 'token id')], responses: { 200: ok('revoked'), ...errors(400, 401, 404) } },
    },
    // Read-only on purpose: the audit log has no write routes.
    '/api/v1/audit': {
      get: {
        operationId: 'listAudit',
        tags: ['Audit'],
        summary: 'Audit entries, oldest first (admins: all; project-admins: their projects)',
        parameters: [
          param('project', 'query', 'only this project'),
          param('user', 'query', 'only this principal'),
          param('since', 'query', 'RFC 3339: entries at or after this time', { type: 'string', format: 'date-time' }),
          param('limit', 'query', 'page size (default 100)', { type: 'integer', minimum: 1, maximum: 10000 }),
          param('after', 'query', "the previous page's `next`", { type: 'string', pattern: '^[0-9]+$' }),
        ],
        responses: { 200: ok('a page of entries', { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { type: 'object' } }, next: { type: 'string' } } }), ...errors(400, 401, 403) },
      },
    },
    '/api/v1/audit/verify': {
      get: { operationId: 'verifyAudit', tags: ['Audit'], summary: 'Recompute the hash chain (cluster admins)', responses: { 200: ok('{ok, checked, firstBadId?, reason?}'), ...errors(401, 403) } },
    },
    '/api/v1/audit/export': {
      get: {
        operationId: 'exportAudit',
        tags: ['Audit'],
        summary: 'A period of the hash chain as JSON Lines: a header, the entries, a checkpoint (cluster admins)',
        parameters: [
          param('from', 'query', 'RFC 3339; default 30 days before `to`', { type: 'string', format: 'date-time' }),
          param('to', 'query', 'RFC 3339; default now', { type: 'string', format: 'date-time' }),
        ],
        responses: { 200: { description: 'one JSON object per line', content: { 'application/x-ndjson': { schema: { type: 'string' } } } }, ...errors(400, 401, 403) },
      },
    },
    '/api/v1/audit/residency': {
      get: {
        operationId: 'residencyReport',
        tags: ['Audit'],
        summary: "Where a project's work ran (GPU-seconds by country, site and node, from the usage ledger), its residency breaches and the audit chain's rule changes (cluster admins, the project's admins)",
        parameters: [
          param('project', 'query', 'the project (required)'),
          param('from', 'query', 'RFC 3339; default 30 days before `to`', { type: 'string', format: 'date-time' }),
          param('to', 'query', 'RFC 3339; default now', { type: 'string', format: 'date-time' }),
        ],
        responses: { 200: ok('{project, from, to, residency, gpuSeconds, byCountry, bySite, byNode, breaches, audit}'), ...errors(400, 401, 403, 404) },
      },
    },
    '/api/v1/summary': {
      get: {
        operationId: 'fleetSummary',
        tags: ['Fleet'],
        summary: 'GPUs by model and site, Nodes by state, workloads by kind, project, phase and queue (workloads: the projects the caller may read)',
        parameters: [param('watch', 'query', 'stream a new summary as Server-Sent Events whenever a figure changes', { type: 'boolean' })],
        responses: {
          200: { description: 'the summary (JSON), or with watch=true a text/event-stream of {type: "SUMMARY", object}', content: { ...json(ref('FleetSummary')), 'text/event-stream': { schema: { type: 'string' } } } },
          ...errors(400, 401, 403),
        },
      },
    },
    '/api/v1/stream': {
      get: {
        operationId: 'stream',
        tags: ['Fleet'],
        summary: 'Many watches (and the fleet summary) on one Server-Sent Events stream',
        parameters: [
          param('watches', 'query', 'JSON array of {id, kind, project?, labelSelector?, fieldSelector?, resourceVersion} (at most 64)', { type: 'string' }),
          param('summary', 'query', 'also stream the fleet summary', { type: 'boolean' }),
        ],
        responses: {
          200: { description: 'text/event-stream of {watch, type, object} and {type: "SUMMARY", object} frames', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          ...errors(400, 401),
        },
      },
    },
    '/api/v1/usage': {
      get: {
        operationId: 'usage',
        tags: ['Metering'],
        summary: 'Usage and cost grouped by model, queue, workload, site or project (the projects the caller may read)',
        parameters: [
          param('project', 'query', 'only this project'),
          param('from', 'query', 'RFC 3339; default the start of the month', { type: 'string', format: 'date-time' }),
          param('to', 'query', 'RFC 3339; default now', { type: 'string', format: 'date-time' }),
          param('by', 'query', 'grouping', { enum: ['model', 'queue', 'workload', 'site', 'project'] }),
          param('step', 'query', 'add a time series', { enum: ['hour', 'day'] }),
        ],
        responses: { 200: ok('{from, to, by, currency, rows, series?}'), ...errors(400, 401, 403) },
      },
    },
    '/api/v1/projects/{project}/invoices/{month}': {
      get: {
        operationId: 'invoice',
        tags: ['Metering'],
        parameters: [param('project', 'path', 'project name'), param('month', 'path', 'YYYY-MM', { type: 'string', pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$' })],
        responses: { 200: ok('{project, month, currency, lines, total}'), ...errors(400, 401, 403, 404) },
      },
    },
    '/api/v1/opencost/allocation': {
      get: {
        operationId: 'openCostAllocation',
        tags: ['Metering'],
        summary: "OpenCost's /allocation shape: project = namespace, site = cluster",
        parameters: [param('window', 'query', 'e.g. 7d, month, or from,to in RFC 3339'), param('aggregate', 'query', 'namespace, cluster, …')],
        responses: { 200: ok('{code, data}'), ...errors(400, 401, 403) },
      },
    },
  };
}

export function buildOpenApi(version: string): Json {
  const schemas: Record<string, Json> = {
    Problem: {
      type: 'object',
      required: ['type', 'title', 'status', 'detail', 'code'],
      properties: {
        type: { type: 'string' },
        title: { type: 'string' },
        status: { type: 'integer' },
        detail: { type: 'string' },
        code: { type: 'string' },
        issues: { type: 'array', items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
    WatchEvent: {
      type: 'object',
      description: 'one SSE data line; the SSE id is the resourceVersion',
      required: ['type', 'object'],
      properties: { type: { enum: ['ADDED', 'MODIFIED', 'DELETED', 'ERROR'] }, object: { type: 'object' } },
    },
    TokenRecord: TOKEN_RECORD,
    FleetSummary: {
      type: 'object',
      required: ['resourceVersion', 'generatedAt', 'gpus', 'nodes', 'workloads', 'held'],
      properties: {
        resourceVersion: { type: 'string' },
        generatedAt: { type: 'string', format: 'date-time' },
        gpus: { type: 'array', items: { type: 'object', required: ['model', 'site', 'total', 'allocated', 'fragmented', 'free'], properties: { model: { type: 'string' }, site: { type: 'string' }, total: { type: 'integer' }, allocated: { type: 'number' }, fragmented: { type: 'number' }, free: { type: 'integer' } } } },
        nodes: { type: 'array', items: { type: 'object', required: ['state', 'cordoned', 'draining', 'count'], properties: { state: { type: 'string' }, cordoned: { type: 'boolean' }, draining: { type: 'boolean' }, count: { type: 'integer' } } } },
        workloads: { type: 'array', items: { type: 'object', required: ['kind', 'project', 'phase', 'queue', 'count'], properties: { kind: { type: 'string' }, project: { type: 'string' }, phase: { type: 'string' }, queue: { type: 'string' }, count: { type: 'integer' } } } },
        held: { type: 'array', items: { type: 'object', required: ['project', 'model', 'gpus'], properties: { project: { type: 'string' }, model: { type: 'string' }, gpus: { type: 'number' } } } },
      },
    },
    WhoAmI: { type: 'object', properties: { user: { type: 'string' }, kind: { enum: ['user', 'node'] }, roles: { type: 'array', items: { type: 'object' } } } },
  };
  schemas['WhatIf'] = WHAT_IF_SCHEMA;
  let paths: Record<string, Json> = { ...servicePaths(), ...agentPaths(), ...whatIfPaths(), ...vmPaths() };
  for (const def of KINDS) {
    schemas[def.kind] = cleanSchema(def);
    schemas[`${def.kind}List`] = {
      type: 'object',
      required: ['apiVersion', 'kind', 'metadata', 'items'],
      properties: {
        apiVersion: { const: 'weft/v1' },
        kind: { const: `${def.kind}List` },
        metadata: { type: 'object', properties: { resourceVersion: { type: 'string' }, continue: { type: 'string' } } },
        items: { type: 'array', items: ref(def.kind) },
      },
    };
    paths = { ...paths, ...kindPaths(def) };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Weft API', version, description: 'Declarative resources of the Weft control plane. See docs/api.md.' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: KINDS.map((d) => ({ name: d.kind, description: d.description })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'weft_… token' } },
      responses: { Problem: { description: 'problem details', content: { 'application/problem+json': { schema: ref('Problem') } } } },
      schemas,
    },
  };
}
