// Replica logs (docs/api.md, "Logs").
//   POST /api/v1/projects/{p}/allocations/{name}/logs      a node agent ships chunks (idempotent per seq)
//   GET  /api/v1/projects/{p}/{jobs|services|devenvironments}/{name}/logs
//        ?replica=N&attempt=K&previous=true&tail=N&follow=true   → text/plain
// Writers: the node the allocation is bound to, or a cluster admin. Readers: anyone who may read
// the workload. Following polls the store until the replica ends or the client goes away.
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, ForbiddenError, NotFoundError, ValidationError } from '../../model/errors.js';
import type { KindDef } from '../../model/kind.js';
import { AllocationKind, TERMINAL_ALLOCATION_PHASES } from '../../model/kinds/allocation.js';
import type { Resource } from '../../model/metadata.js';
import { WORKLOAD_KIND_DEFS } from '../../control/workload.js';
import { isPlainObject } from '../../control/merge-patch.js';
import type { LogChunk, LogChunkInput } from '../../store/types.js';
import { nameParam, type Query } from '../params.js';
import { authorize, isClusterAdmin } from '../rbac.js';
import { auditedWrite } from '../audit.js';
import { API_PREFIX, principalOf, type RouteDeps } from './context.js';

export const MAX_CHUNKS_PER_REQUEST = 1000;
const FOLLOW_POLL_MS = 300;
const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_ALLOCATION_PHASES);

type Params = Record<string, unknown>;

function parseChunks(body: unknown): LogChunkInput[] {
  if (!isPlainObject(body) || !Array.isArray(body.chunks)) throw ValidationError.field('chunks', 'is required: {chunks: [{seq, stream, data, time?}]}');
  if (body.chunks.length > MAX_CHUNKS_PER_REQUEST) throw ValidationError.field('chunks', `must hold at most ${MAX_CHUNKS_PER_REQUEST} chunks per request`);
  return body.chunks.map((c: unknown, i: number) => {
    if (!isPlainObject(c)) throw ValidationError.field(`chunks[${i}]`, 'must be an object {seq, stream, data, time?}');
    return c as unknown as LogChunkInput;
  });
}

function intParam(q: Query, key: string, min: number): number | undefined {
  const v = q[key];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !/^[0-9]{1,9}$/.test(v) || Number(v) < min) {
    throw new BadRequestError(`${key}: must be an integer ≥ ${min}`, [{ field: key, message: `must be an integer ≥ ${min}` }]);
  }
  return Number(v);
}

function boolParam(q: Query, key: string): boolean {
  const v = q[key];
  if (v === undefined) return false;
  if (v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new BadRequestError(`${key}: must be true or false`, [{ field: key, message: 'must be true or false' }]);
}

interface ReadQuery {
  replica: number;
  attempt?: number;
  previous: boolean;
  follow: boolean;
  tail?: number;
}

function readQuery(q: Query): ReadQuery {
  const attempt = intParam(q, 'attempt', 0);
  const previous = boolParam(q, 'previous');
  if (previous && attempt !== undefined) throw new BadRequestError('previous: cannot be combined with attempt', [{ field: 'previous', message: 'cannot be combined with attempt' }]);
  const tail = intParam(q, 'tail', 1);
  return { replica: intParam(q, 'replica', 0) ?? 0, previous, follow: boolParam(q, 'follow'), ...(attempt !== undefined ? { attempt } : {}), ...(tail !== undefined ? { tail } : {}) };
}

/** The allocation whose logs are asked for: the replica's newest attempt, the one before, or a given one. */
function pickAllocation(def: KindDef, workload: Resource, allocs: readonly Resource[], q: ReadQuery): Resource {
  const mine = allocs
    .filter((a) => {
      const s = a.spec as { replica?: number; workload?: { uid?: string } };
      return s.replica === q.replica && s.workload?.uid === workload.metadata.uid;
    })
    .sort((a, b) => (b.spec as { attempt: number }).attempt - (a.spec as { attempt: number }).attempt);
  const what = `${def.kind} "${workload.metadata.name}" replica ${q.replica}`;
  if (mine.length === 0) throw new NotFoundError(`${what} has not been placed yet: no logs`);
  if (q.attempt !== undefined) {
    const a = mine.find((x) => (x.spec as { attempt: number }).attempt === q.attempt);
    if (!a) throw new NotFoundError(`${what} has no attempt ${q.attempt} (attempts: ${mine.map((x) => (x.spec as { attempt: number }).attempt).join(', ')})`);
    return a;
  }
  if (q.previous) {
    if (mine.length < 2) throw new NotFoundError(`${what} has no previous attempt`);
    return mine[1]!;
  }
  return mine[0]!;
}

const text = (chunks: readonly LogChunk[]): string => chunks.map((c) => c.data).join('');
const isTerminal = (a: Resource | undefined): boolean => !a || TERMINAL.has(String(a.status?.phase ?? 'Bound'));

export function registerLogRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { store } = deps;

  app.post(`${API_PREFIX}/projects/:project/allocations/:name/logs`, async (req, reply) => {
    const project = nameParam((req.params as Params).project, 'project');
    const name = nameParam((req.params as Params).name, 'name');
    const p = principalOf(req);
    const chunks = parseChunks(req.body);
    const alloc = await store.get({ kind: 'Allocation', project, name });
    const node = (alloc?.spec as { node?: string } | undefined)?.node;
    // Existence is checked after identity so other callers learn nothing about the project.
    if (!isClusterAdmin(p) && !(p.kind === 'node' && alloc && node === p.name)) {
      if (p.kind === 'node' && !alloc) throw new NotFoundError(`Allocation "${name}" not found in project "${project}"`);
      throw new ForbiddenError(`${p.kind} "${p.name}" may not write logs of Allocation "${name}" in project "${project}": only the node it runs on may`);
    }
    if (!alloc) throw new NotFoundError(`Allocation "${name}" not found in project "${project}"`);
    await auditedWrite(req, 204, (opts) => store.transaction((tx) => tx.logs.append({ uid: alloc.metadata.uid, project }, chunks), opts));
    return reply.code(204).send();
  });

  for (const def of WORKLOAD_KIND_DEFS) {
    app.get(`${API_PREFIX}/projects/:project/${def.plural}/:name/logs`, (req, reply) => readLogs(deps, def, req, reply));
  }
}

async function readLogs(deps: RouteDeps, def: KindDef, req: FastifyRequest, reply: FastifyReply): Promise<string | void> {
  const { store } = deps;
  const project = nameParam((req.params as Params).project, 'project');
  const name = nameParam((req.params as Params).name, 'name');
  authorize(principalOf(req), 'get', def, { project, name });
  const q = readQuery(req.query as Query);
  const workload = await store.get({ kind: def.kind, project, name });
  if (!workload) throw new NotFoundError(`${def.kind} "${name}" not found in project "${project}"`);
  const allocs = await store.list(AllocationKind.kind, { project, labelSelector: `weft.dev/workload=${name}` });
  const alloc = pickAllocation(def, workload, allocs.items, q);
  const first = await store.logs.read(alloc.metadata.uid, q.tail !== undefined ? { tail: q.tail } : {});
  reply.header('x-weft-allocation', alloc.metadata.name);
  if (!q.follow) return reply.type('text/plain; charset=utf-8').send(text(first));
  return follow(deps, req, reply, alloc, first);
}

/** Streams what is there, then new chunks as they arrive, until the replica ends or the client leaves. */
async function follow(deps: RouteDeps, req: FastifyRequest, reply: FastifyReply, alloc: Resource, first: LogChunk[]): Promise<void> {
  const { store, hub } = deps;
  const key = { kind: 'Allocation', project: alloc.metadata.project ?? '', name: alloc.metadata.name };
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
    'x-weft-allocation': alloc.metadata.name,
  });
  raw.flushHeaders();
  const ac = new AbortController();
  const close = (): void => ac.abort();
  hub.open.add(close);
  raw.on('close', close);
  req.raw.socket.on('close', close);
  let last = first.length > 0 ? first[first.length - 1]!.seq : -1;
  const emit = (chunks: LogChunk[]): void => {
    if (chunks.length === 0) return;
    last = chunks[chunks.length - 1]!.seq;
    raw.write(text(chunks));
  };
  try {
    emit(first);
    // One more read after the replica ends: the agent ships its last lines around that moment.
    let finalPass = false;
    while (!ac.signal.aborted) {
      await delay(FOLLOW_POLL_MS, undefined, { signal: ac.signal }).catch(() => undefined);
      if (ac.signal.aborted) break;
      const ended = isTerminal(await store.get(key));
      emit(await store.logs.read(alloc.metadata.uid, { afterSeq: last }));
      if (finalPass) break;
      if (ended) finalPass = true;
    }
  } catch (err) {
    if (!ac.signal.aborted) req.log.error({ err }, 'log follow failed');
  } finally {
    hub.open.delete(close);
    req.raw.socket.off('close', close);
    raw.end();
  }
}
