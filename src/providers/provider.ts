// What a provider is: the answer to "where and how do the replicas placed on a node run, and how
// do we know that node is alive?". A Node names its provider in spec.provider; every provider
// passes the contract suite in ./contract (what the control plane may rely on, whatever runs the
// replicas): `agent` (Weft's node agent on the host), `sim` (the simulated demo fleet), `slurm`
// (an existing cluster's nodes).
import type { Clock } from '../control/clock.js';
import type { Controller } from '../control/control-plane.js';
import type { NodeLiveness } from '../control/node-lifecycle.js';
import type { Store } from '../store/types.js';

export type { NodeLiveness } from '../control/node-lifecycle.js';

/** What a provider's server-side part is given when this process starts leading. */
export interface ProviderContext {
  store: Store;
  clock: Clock;
  log: (msg: string) => void;
  /** A Secret's values (undefined: none stored), for a provider whose credentials live in one. */
  openSecret?: (project: string, name: string) => Promise<Record<string, string> | undefined>;
}

export interface Provider {
  /** The value of Node.spec.provider for the nodes it serves. */
  readonly name: string;
  /**
   * How the control plane knows its nodes are alive. 'heartbeat': each node reports itself
   * (status.lastHeartbeatTime) and node lifecycle turns silence into NotReady, then its replicas
   * into Lost. 'provider': the provider is its nodes' only witness and keeps their status itself
   * while it runs; node lifecycle only drains them.
   */
  readonly liveness: NodeLiveness;
  /**
   * The part of running its nodes' replicas that lives in the server, as a controller that runs
   * while this process leads; undefined when there is none (node agents watch their own
   * allocations and report back through the API).
   */
  controller(ctx: ProviderContext): Controller | undefined;
}
