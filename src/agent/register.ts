// Registration: the agent's inventory becomes a Node. A one-time join token is exchanged for a
// node credential, saved in the state directory (0600) so a restart needs no new join token.
import { registerNode, patchNodeStatus } from '../client/agent-api.js';
import { WeftClient } from '../client/client.js';
import { WeftApiError } from '../client/errors.js';
import type { NodeSpec } from '../model/kinds/node.js';
import type { HostInventory } from './discovery/types.js';
import type { StateDir } from './state.js';

const GIB = 1024 * 1024 * 1024;

export function nodeSpecOf(inv: HostInventory): NodeSpec {
  return {
    cpu: String(inv.cpuCores),
    memory: String(inv.memoryBytes),
    gpus: inv.gpus.map((g) => ({
      index: g.index,
      ...(g.uuid ? { uuid: g.uuid } : {}),
      model: g.model,
      memory: `${Math.round(g.memoryBytes / GIB)}Gi`,
      migEnabled: g.migEnabled,
    })),
    provider: 'agent',
  };
}

export interface Connection {
  client: WeftClient;
  /** True when this start registered the node (with a join token). */
  registered: boolean;
}

/**
 * A client holding the node credential: the saved one when it still works, else a new one from
 * the join token. Keeps retrying while the server cannot be reached.
 */
export async function connect(opts: {
  server: string;
  name: string;
  joinToken?: string;
  /** Ask to replace an existing Node of this name (needs a cluster admin's token as joinToken). */
  replace?: boolean;
  state: StateDir;
  inventory: HostInventory;
  status: Record<string, unknown>;
  log: (msg: string) => void;
  signal: AbortSignal;
}): Promise<Connection> {
  const saved = opts.state.loadCredential();
  const clientFor = (token: string): WeftClient => new WeftClient({ server: opts.server, token, userAgent: 'weft-agent', timeoutMs: 10_000 });
  for (let delay = 500; ; delay = Math.min(delay * 2, 5000)) {
    if (opts.signal.aborted) throw new Error('stopped');
    try {
      if (saved && saved.name === opts.name) {
        const client = clientFor(saved.token);
        try {
          const node = await patchNodeStatus(client, opts.name, opts.status);
          // The address is fixed at registration (the gateway routes only there): a new one
          // takes registering again, with the node's own credential, which is then replaced.
          if (opts.status.address !== undefined && node.status?.address !== opts.status.address) {
            opts.log(`address changed (${String(node.status?.address ?? 'none')} → ${String(opts.status.address)}); registering again`);
            const res = await registerNode(client, { name: opts.name, spec: nodeSpecOf(opts.inventory), status: opts.status });
            opts.state.saveCredential({ name: opts.name, server: opts.server, token: res.token });
            return { client: clientFor(res.token), registered: true };
          }
          return { client, registered: false };
        } catch (err) {
          // The saved credential was revoked or belongs to another control plane: join afresh.
          if (!(err instanceof WeftApiError && (err.status === 401 || err.status === 404)) || !opts.joinToken) throw err;
          opts.log(`saved node credential refused (${err.status}); registering again with the join token`);
        }
      }
      if (!opts.joinToken) throw new Error(`no saved credential for node "${opts.name}" in ${opts.state.root}: pass --token with a join token`);
      const res = await registerNode(clientFor(opts.joinToken), { name: opts.name, spec: nodeSpecOf(opts.inventory), status: opts.status, ...(opts.replace ? { replace: true } : {}) });
      opts.state.saveCredential({ name: opts.name, server: opts.server, token: res.token });
      return { client: clientFor(res.token), registered: true };
    } catch (err) {
      if (err instanceof WeftApiError && err.status < 500 && err.status !== 429) throw err;
      if (err instanceof Error && err.message.startsWith('no saved credential')) throw err;
      opts.log(`server not reachable (${(err as Error).message}); retrying`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
