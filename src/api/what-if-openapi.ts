// OpenAPI entries for the what-if routes (routes/what-if.ts); merged into the document by
// openapi.ts.
import { workloadKinds } from '../model/kind-names.js';
import { errors, pathParam as path, type Json } from './openapi-parts.js';

const answer: Json = { description: 'where and when it would start', content: { 'application/json': { schema: { $ref: '#/components/schemas/WhatIf' } } } };

const refs: Json = {
  type: 'object',
  required: ['named', 'others'],
  properties: {
    named: { type: 'array', items: { type: 'object', properties: { kind: { type: 'string' }, project: { type: 'string' }, name: { type: 'string' } } } },
    others: { type: 'integer', description: 'how many more, in projects the caller may not read' },
  },
};

export const WHAT_IF_SCHEMA: Json = {
  type: 'object',
  required: ['workload', 'evaluatedAt', 'asked', 'replicas', 'outcome', 'placements', 'assumptions'],
  properties: {
    workload: { type: 'object', properties: { kind: { type: 'string' }, project: { type: 'string' }, name: { type: 'string' } } },
    evaluatedAt: { type: 'string', format: 'date-time' },
    asked: { enum: ['pending', 'copy'], description: 'pending: the stored workload in its place in line; copy: a fresh copy submitted now' },
    replicas: { type: 'integer' },
    outcome: { enum: ['now', 'preempts', 'later', 'never'] },
    startsAt: { type: 'string', format: 'date-time', description: 'absent when it cannot be predicted' },
    placements: { type: 'array', items: { type: 'object', properties: { replica: { type: 'integer' }, node: { type: 'string' }, gpus: { type: 'array', items: { type: 'integer' } } } } },
    scheduling: { type: 'object', description: "the loop's \"why pending\" for a cycle now, as status.scheduling (message, reasons, explanation, details, locality, reservation)" },
    preempts: { ...refs, properties: { ...(refs.properties as Json), reasons: { type: 'array', items: { type: 'string' } } } },
    waitsFor: refs,
    ahead: refs,
    assumptions: { type: 'array', items: { type: 'string' } },
  },
};

export function whatIfPaths(): Record<string, Json> {
  const out: Record<string, Json> = {
    '/api/v1/explain': {
      post: {
        operationId: 'explainManifest',
        tags: ['Scheduling'],
        summary: 'Where and when would this workload start if the caller submitted it now? (admission as for a create; nothing is stored)',
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['kind', 'metadata', 'spec'] } } } },
        responses: { 200: answer, ...errors(400, 401, 403, 404, 413, 415, 422) },
      },
    },
  };
  for (const k of workloadKinds()) {
    out[`/api/v1/projects/{project}/${k.plural}/{name}/explain`] = {
      get: {
        operationId: `explain${k.kind}`,
        tags: ['Scheduling'],
        summary: `Where and when would this ${k.kind} start (pending: in its place in line; otherwise a copy submitted now)`,
        parameters: [path('project', 'project name'), path('name', 'workload name')],
        responses: { 200: answer, ...errors(400, 401, 403, 404) },
      },
    };
  }
  return out;
}
