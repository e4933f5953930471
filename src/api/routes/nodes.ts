// Node routes beyond the generic ones (docs/api.md, "Nodes and agents"):
//   POST /api/v1/nodes/register     an agent trades a one-time join token for a node token
//   POST /api/v1/nodes/{name}/drain  an operator asks for a node to be emptied
//   POST /api/v1/nodes/{name}/heartbeat  an agent says its node is alive (renewed in place:
//                                    no resource write, no watch event)
// Registration authenticates by itself: a join token is refused by the ordinary auth hook. A join
// token only ever registers a new node; an existing one is registered again by its own
// credential (or replaced by a cluster admin who says so), and every registration leaves the
// node exactly one live credential: the one it returns.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../../model/errors.js';
import { NodeKind } from '../../model/kinds/node.js';
import { API_VERSION, type Resource, type ResourceInput } from '../../model/metadata.js';
import { validateResource } from '../../model/validate.js';
import { admit } from '../../control/admission.js';
import { applySchemaDefaults } from '../../control/defaults.js';
import { isPlainObject } from '../../control/merge-patch.js';
import { patchResource } from '../../control/resources.js';
import { auditedWrite } from '../audit.js';
import { authenticate, hashToken, issueToken } from '../auth.js';
import { nameParam } from '../params.js';
import { registeredStatus } from '../node-scope.js';
import { authorize, isClusterAdmin, type Principal } from '../rbac.js';
import { API_PREFIX, principalOf, type RouteDeps } from './context.js';
import { DRAIN_ANNOTATION } from '../../model/annotations.js';

export const REGISTER_PATH = `${API_PREFIX}/nodes/register`;

interface RegisterBody {
  name: string;
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
  /** A cluster admin's explicit takeover of an existing node (its credential is revoked). */
  replace: boolean;
}

interface Registrant {
  principal: Principal;
  /** Set when a join token registers: it is spent in the registration's transaction. */
  joinHash?: string;
}

function bearer(req: FastifyRequest): string {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) throw new UnauthorizedError('registration needs "Authorization: Bearer <join token>" (create one with `weft token create --join`)');
  return m[1]!;
}

/** Who is registering, before anything is consumed: a join token, a cluster admin, or the node itself. */
async function registrant(deps: RouteDeps, req: FastifyRequest, name: string): Promise<Registrant> {
  const token = bearer(req);
  const hash = hashToken(token);
  const rec = /^weft_[A-Za-z0-9_-]{43}$/.test(token) ? await deps.store.tokens.findByHash(hash) : undefined;
  if (!rec) throw new UnauthorizedError('invalid, expired or revoked token: create a new join token with `weft token create --join`');
  if (rec.kind === 'join') {
    if (rec.usedAt) throw new UnauthorizedError(`this join token was already used (at ${rec.usedAt}); join tokens work once: create a new one with \`weft token create --join\``);
    return { principal: { kind: 'node', name, roles: [], tokenId: rec.id }, joinHash: hash };
  }
  const principal = await authenticate(deps.store, req.headers.authorization, deps.clock.now());
  // A registered agent may register again (restart) under its own name only.
  if (principal.kind === 'node' && principal.name === name) return { principal };
  if (isClusterAdmin(principal)) return { principal };
  throw new ForbiddenError(`${principal.kind} "${principal.name}" may not register node "${name}": use a join token or a cluster admin's token`);
}

const BODY_FIELDS = new Set(['name', 'spec', 'status', 'replace']);

function parseBody(body: unknown): RegisterBody {
  if (!isPlainObject(body)) throw new BadRequestError('the body must be a JSON object {name, spec, status?, replace?}');
  for (const k of Object.keys(body)) if (!BODY_FIELDS.has(k)) throw ValidationError.field(k, 'unknown field');
  const name = nameParam(body.name, 'name');
  if (!isPlainObject(body.spec)) throw ValidationError.field('spec', 'is required and must be an object (cpu, memory, gpus, …)');
  if (body.status !== undefined && !isPlainObject(body.status)) throw ValidationError.field('status', 'must be an object');
  if (body.replace !== undefined && typeof body.replace !== 'boolean') throw ValidationError.field('replace', 'must be true or false');
  return { name, spec: body.spec, ...(body.status ? { status: registeredStatus(body.status) } : {}), replace: body.replace === true };
}

/** Who may register a node that already exists: its own credential, or an admin replacing it. */
function mayRegisterAgain(who: Registrant, b: RegisterBody): void {
  const p = who.principal;
  if (who.joinHash === undefined && p.kind === 'node' && p.name === b.name) return;
  if (isClusterAdmin(p) && b.replace) return;
  if (isClusterAdmin(p)) {
    throw new ConflictError(`node "${b.name}" is already registered: send "replace": true to replace it (its current credential is revoked)`);
  }
  throw new ConflictError(
    `node "${b.name}" is already registered, and a join token only registers a new node: its agent registers again with the node credential in its state directory; to give the name to another host, a cluster admin deletes the Node (revoking its credential) or replaces it`,
  );
}

/** The Node as the agent describes it, with what operators set on an existing one kept. */
function nodeInput(b: RegisterBody, old: Resource | undefined, now: Date): ResourceInput {
  const oldSpec = (old?.spec ?? {}) as Record<string, unknown>;
  const spec: Record<string, unknown> = { ...b.spec, provider: 'agent' };
  for (const k of ['unschedulable', 'taints'] as const) {
    if (oldSpec[k] !== undefined) spec[k] = oldSpec[k];
    else if (old) delete spec[k];
  }
  const doc: Record<string, unknown> = {
    apiVersion: API_VERSION,
    kind: 'Node',
    metadata: { name: b.name, ...(old?.metadata.labels ? { labels: old.metadata.labels } : {}), ...(old?.metadata.annotations ? { annotations: old.metadata.annotations } : {}) },
    spec,
  };
  applySchemaDefaults(NodeKind, doc);
  const input = validateResource(doc).resource;
  const status: Record<string, unknown> = { ...(old?.status ?? {}), ...(b.status ?? {}), lastHeartbeatTime: now.toISOString() };
  // The address replicas are reached on is the one registered now; without one the old stays.
  // The node-lifecycle controller owns the state; a brand-new node that just spoke is Ready.
  status.state = old?.status?.state ?? 'Ready';
  input.status = status;
  return input;
}

export function registerNodeRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { store } = deps;

  app.post(REGISTER_PATH, async (req, reply) => {
    const body = parseBody(req.body);
    const who = await registrant(deps, req, body.name);
    req.principal = who.principal; // for the audit entry
    const now = deps.clock.now();
    // A malformed request is refused before the write lock is taken.
    nodeInput(body, undefined, now);
    // Spending the join token, writing the Node, minting its credential and the audit entry
    // commit together: a failure leaves the join token unspent and no half-registered node.
    const { node, token } = await auditedWrite(req, 201, (opts) =>
      store.transaction(async (tx) => {
        if (who.joinHash !== undefined && !(await tx.tokens.consumeJoin(who.joinHash))) {
          throw new UnauthorizedError('this join token was already used or has expired: create a new one with `weft token create --join`');
        }
        const old = await tx.get({ kind: 'Node', name: body.name });
        if (old) mayRegisterAgain(who, body);
        const input = await admit(tx, NodeKind, nodeInput(body, old, now), old, { now });
        const written = old ? await tx.update(input, { resourceVersion: old.metadata.resourceVersion }) : await tx.create(input);
        // One live credential per node: the one issued here replaces any earlier one.
        await tx.tokens.revokeAll('node', body.name);
        const issued = await issueToken(tx, { kind: 'node', subject: body.name, description: `node agent of ${body.name}`, now });
        return { node: written, token: issued.token };
      }, opts),
    );
    return reply.code(201).send({ node, token });
  });

  app.post(`${API_PREFIX}/nodes/:name/heartbeat`, async (req) => {
    const name = nameParam((req.params as Record<string, unknown>).name, 'name');
    if (req.body !== undefined && req.body !== null && !(isPlainObject(req.body) && Object.keys(req.body).length === 0)) {
      throw new BadRequestError('a heartbeat has no body (or an empty object): what the node reports goes to PATCH /api/v1/nodes/{name}/status');
    }
    // Renewing is writing the Node's status: its own agent and cluster admins only.
    authorize(principalOf(req), 'status', NodeKind, { name });
    const at = deps.clock.now();
    if ((await store.heartbeats.renew([name], at)).length === 0) throw new NotFoundError(`Node "${name}" not found`);
    // Thousands of these an hour change no resource: only refusals go to the audit log.
    req.auditQuiet = true;
    return { node: name, lastHeartbeatTime: at.toISOString() };
  });

  app.post(`${API_PREFIX}/nodes/:name/drain`, async (req) => {
    const name = nameParam((req.params as Record<string, unknown>).name, 'name');
    authorize(principalOf(req), 'patch', NodeKind, { name });
    const patch = { spec: { unschedulable: true }, metadata: { annotations: { [DRAIN_ANNOTATION]: deps.clock.now().toISOString() } } };
    return auditedWrite(req, 200, (opts) => patchResource(store, NodeKind, patch, { name }, { ...opts, now: deps.clock.now() }));
  });
}
