// The inference gateway: `/{project}/{service}/…` on the API server, routed to ready replicas of a
// Service (least outstanding requests), plus the load it sees for the autoscaler. One per server
// process; createServer registers its routes when given one (ServerOptions.gateway).
import http from 'node:http';
import https from 'node:https';
import type { Store } from '../../store/types.js';
import { ReplicaTable } from './replicas.js';
import { ServiceTraffic } from './traffic.js';

const IDLE_SOCKET_MS = 4_000;

export interface GatewayOptions {
  /** Longest a proxied request may take, body included (default 300 s: model answers are slow). */
  requestTimeoutMs?: number;
  /** Longest a request waits for a first ready replica of a Service that is at zero or starting (default 60 s). */
  holdTimeoutMs?: number;
  log?: (msg: string) => void;
}

export interface Gateway {
  readonly table: ReplicaTable;
  readonly traffic: ServiceTraffic;
  readonly requestTimeoutMs: number;
  readonly holdTimeoutMs: number;
  readonly agents: { http: http.Agent; https: https.Agent };
  stop(): Promise<void>;
}

/** Builds the gateway and waits until it has read every Service and replica once. */
export async function startGateway(store: Store, opts: GatewayOptions = {}): Promise<Gateway> {
  const table = new ReplicaTable(store, opts.log);
  await table.start();
  // Idle sockets are dropped after 4 s, before the 5 s keep-alive of Node and uvicorn servers
  // (vLLM, TGI front ends) closes them under us: reusing a socket the replica is closing would fail
  // a request that cannot be replayed (its body has been streamed).
  const pool = { keepAlive: true, maxSockets: 256, timeout: IDLE_SOCKET_MS };
  const agents = { http: new http.Agent(pool), https: new https.Agent(pool) };
  return {
    table,
    traffic: new ServiceTraffic(),
    requestTimeoutMs: opts.requestTimeoutMs ?? 300_000,
    holdTimeoutMs: opts.holdTimeoutMs ?? 60_000,
    agents,
    async stop() {
      await table.stop();
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

export { registerGatewayRoutes } from './routes.js';
