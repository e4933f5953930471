// A VirtualMachine's serial console over the API, as WebSockets (docs/vms.md, "Console"):
//   GET /api/v1/projects/{p}/virtualmachines/{name}/console         a user: bytes both ways
//   GET /api/v1/projects/{p}/allocations/{name}/console/{session}   the VM's node agent, asked
// The user's upgrade is authorized like an update of the VM (its project's members and admins);
// the server then asks the node running the VM to attach (status.consoleRequest on the
// Allocation, which the agent watches), and joins the two sockets once the agent dials back with
// its node credential. Sessions live in this server process: with several replicas behind one
// address, the agent's connection must reach the same one (a sticky load balancer).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import { ConflictError, ForbiddenError, NotFoundError } from '../../model/errors.js';
import { VirtualMachineKind } from '../../model/kinds/virtual-machine.js';
import { CONSOLE_PROTOCOL } from '../../model/console-protocol.js';
import type { Resource } from '../../model/metadata.js';
import { nameParam } from '../params.js';
import { authorize } from '../rbac.js';
import { API_PREFIX, principalOf, type RouteDeps } from './context.js';

/** How long a user's socket waits for the node agent to dial back. */
export const AGENT_ATTACH_TIMEOUT_MS = 15_000;

interface Pending {
  allocationUid: string;
  attach(agent: WebSocket): void;
}

type Params = Record<string, unknown>;

declare module 'fastify' {
  interface FastifyRequest {
    consoleTarget?: Resource;
  }
}

export function registerVmConsoleRoutes(root: FastifyInstance, deps: RouteDeps): void {
  // Its own scope, so the WebSocket plugin is loaded before these routes are declared.
  void root.register(async (app) => {
    // A browser offers its token as a subprotocol beside the console's: answer with the console's only.
    await app.register(websocket, { options: { maxPayload: 1 << 20, handleProtocols: (offered) => (offered.has(CONSOLE_PROTOCOL) ? CONSOLE_PROTOCOL : false) } });
    consoleRoutes(app, deps);
  });
}

function consoleRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { store } = deps;
  const pending = new Map<string, Pending>();

  /** The running Allocation of a VM, or why there is none (before the upgrade, as a problem). */
  async function runningAllocation(req: FastifyRequest): Promise<void> {
    const project = nameParam((req.params as Params).project, 'project');
    const name = nameParam((req.params as Params).name, 'name');
    authorize(principalOf(req), 'update', VirtualMachineKind, { project, name });
    const vm = await store.get({ kind: 'VirtualMachine', project, name });
    if (!vm) throw new NotFoundError(`VirtualMachine "${name}" not found in project "${project}"`);
    const allocs = await store.list('Allocation', { project, labelSelector: `weft.dev/workload=${name}` });
    const alloc = allocs.items.find((a) => a.status?.phase === 'Running' && (a.spec as { workload?: { uid?: string } }).workload?.uid === vm.metadata.uid);
    if (!alloc) throw new ConflictError(`VirtualMachine "${name}" is ${String(vm.status?.phase ?? 'Pending')}: its console is there only while it runs`);
    req.consoleTarget = alloc;
  }

  app.get(`${API_PREFIX}/projects/:project/virtualmachines/:name/console`, { websocket: true, preValidation: runningAllocation }, (user: WebSocket, req) => {
    const alloc = req.consoleTarget!;
    const session = randomUUID();
    const buffered: Buffer[] = [];
    const early = (d: Buffer): void => void buffered.push(d);
    user.on('message', early);
    const timer = setTimeout(() => {
      pending.delete(session);
      user.close(1011, 'the node agent did not attach the console');
    }, AGENT_ATTACH_TIMEOUT_MS);
    pending.set(session, {
      allocationUid: alloc.metadata.uid,
      attach(agent) {
        clearTimeout(timer);
        pending.delete(session);
        user.off('message', early);
        for (const d of buffered) agent.send(d);
        join(user, agent);
      },
    });
    user.on('close', () => {
      clearTimeout(timer);
      pending.delete(session);
    });
    void requestAttach(deps, alloc, session).catch(() => user.close(1011, 'could not ask the node agent to attach'));
  });

  app.get(
    `${API_PREFIX}/projects/:project/allocations/:name/console/:session`,
    {
      websocket: true,
      preValidation: async (req) => {
        const project = nameParam((req.params as Params).project, 'project');
        const name = nameParam((req.params as Params).name, 'name');
        const p = principalOf(req);
        const alloc = await store.get({ kind: 'Allocation', project, name });
        const session = pending.get(String((req.params as Params).session));
        if (p.kind !== 'node' || !alloc || (alloc.spec as { node?: string }).node !== p.name) throw new ForbiddenError(`${p.kind} "${p.name}" may not attach a console of Allocation "${name}": only the node it runs on may`);
        if (!session || session.allocationUid !== alloc.metadata.uid) throw new NotFoundError('no such console session (it ended or timed out)');
        req.consoleTarget = alloc;
      },
    },
    (agent: WebSocket, req) => {
      const session = pending.get(String((req.params as Params).session));
      if (!session) agent.close(1011, 'the console session ended');
      else session.attach(agent);
    },
  );
}

/** Bytes both ways until either side leaves. */
function join(a: WebSocket, b: WebSocket): void {
  a.on('message', (d: Buffer) => b.readyState === b.OPEN && b.send(d));
  b.on('message', (d: Buffer) => a.readyState === a.OPEN && a.send(d));
  a.on('close', () => b.close());
  b.on('close', () => a.close());
}

/** Asks the VM's node agent to attach (a server-owned status field it watches). */
async function requestAttach(deps: RouteDeps, alloc: Resource, session: string): Promise<void> {
  const key = { kind: 'Allocation', project: alloc.metadata.project ?? '', name: alloc.metadata.name };
  for (let i = 0; i < 5; i++) {
    const cur = await deps.store.get(key);
    if (!cur) throw new NotFoundError('the allocation is gone');
    try {
      await deps.store.update({ ...cur, status: { ...(cur.status ?? {}), consoleRequest: { session, at: deps.clock.now().toISOString() } } }, { resourceVersion: cur.metadata.resourceVersion });
      return;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err; // the agent wrote meanwhile: read again
    }
  }
  throw new ConflictError('the allocation kept changing');
}
