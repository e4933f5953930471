// Maps every error to RFC 9457 problem details. Typed WeftErrors keep their status and issues;
// Fastify's own client errors (bad JSON, body too large, unsupported media type) keep their 4xx;
// anything else is a bug and is logged and reported as a 500 without internals.
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { StoreUnavailableError, WeftError, type FieldIssue } from '../model/errors.js';
import { MAX_REQUEST_BYTES, tooLargeMessage } from '../model/limits.js';
import { kindByPlural } from '../model/registry.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  issues: FieldIssue[];
}

export const PROBLEM_TYPE = 'application/problem+json';

const FASTIFY_CODES: Record<string, { status: number; code: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PayloadTooLarge' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UnsupportedMediaType' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BadRequest' },
};

export function problem(status: number, code: string, detail: string, issues: FieldIssue[] = []): Problem {
  return { type: `urn:weft:problem:${code}`, title: STATUS_CODES[status] ?? 'Error', status, detail, code, issues };
}

export function toProblem(err: unknown): Problem {
  if (err instanceof WeftError) return problem(err.status, err.code, err.message, err.issues);
  const fe = err as Partial<FastifyError> & { message?: string };
  const known = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (known) return problem(known.status, known.code, fe.message ?? known.code);
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const detail = err instanceof SyntaxError || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? `malformed JSON body: ${fe.message}` : (fe.message ?? 'bad request');
    return problem(fe.statusCode, fe.statusCode === 400 ? 'BadRequest' : 'ClientError', detail);
  }
  return problem(500, 'Internal', 'internal error; the server log has details');
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type(PROBLEM_TYPE).send(p);
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const p = toProblem(err);
    // Say what the limit is: Fastify's "Request body is too large" alone leaves the caller guessing
    // (a route's own refusal, such as an image upload's, already says it).
    if (p.code === 'PayloadTooLarge' && !(err instanceof WeftError)) p.detail = tooLargeMessage(req.routeOptions.bodyLimit ?? MAX_REQUEST_BYTES);
    // An unreachable or full database is an operating condition, logged once per request without
    // a stack; any other 5xx is a bug.
    if (err instanceof StoreUnavailableError) req.log.warn({ code: p.code }, p.detail);
    else if (p.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.debug({ err: p.detail }, 'request rejected');
    return sendProblem(reply, p);
  });
  app.setNotFoundHandler((req, reply) => {
    const path = (req.url.split('?')[0] ?? req.url).slice(0, 200);
    const seg = /^\/api\/v1\/(?:projects\/[^/]+\/)?([^/]+)/.exec(path)?.[1];
    const def = seg ? kindByPlural(seg) : undefined;
    let detail = `no route for ${req.method} ${path}`;
    if (seg && !def && seg !== 'tokens' && seg !== 'whoami') detail = `unknown resource type ${JSON.stringify(seg)}`;
    else if (def?.scope === 'project' && path.startsWith(`/api/v1/${seg}`)) {
      detail = `${def.plural} are project-scoped: use /api/v1/projects/{project}/${def.plural}${path.slice(`/api/v1/${seg}`.length)}`;
    }
    return sendProblem(reply, problem(404, 'NotFound', detail));
  });
}
