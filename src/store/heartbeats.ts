// Node heartbeats (migration 010): when each node last said it is alive, renewed in place. Like
// tokens they are not resources: no resourceVersion, no change log, no watch; the Node resource
// changes only when what the node reports changes.
import { mappedQuery, type Sql } from './driver.js';

export interface HeartbeatStore {
  /**
   * Renews the heartbeats of these Nodes to `at` (a renewal never moves one back) and returns
   * the names that were renewed: those of Nodes that exist.
   */
  renew(nodes: readonly string[], at: Date): Promise<string[]>;
  /** A Node's latest heartbeat (RFC 3339), if it ever sent one. */
  get(node: string): Promise<string | undefined>;
  /** Every Node's latest heartbeat (RFC 3339), by node name. */
  list(): Promise<Map<string, string>>;
}

interface Row {
  node: string;
  at: string;
}

export function sqlHeartbeatStore(sql: Sql): HeartbeatStore {
  const run = mappedQuery(sql);
  return {
    async renew(nodes, at) {
      if (nodes.length === 0) return [];
      // One statement for the whole batch; only existing Nodes get a row, and a row already at or
      // past `at` is left alone (no dead row version for nothing).
      const rows = await run<{ node: string }>(
        `INSERT INTO node_heartbeats (node, renewed_at)
           SELECT r.name, $2::timestamptz FROM resources r WHERE r.kind = 'Node' AND r.project = '' AND r.name = ANY($1::text[])
         ON CONFLICT (node) DO UPDATE SET renewed_at = EXCLUDED.renewed_at WHERE node_heartbeats.renewed_at < EXCLUDED.renewed_at
         RETURNING node`,
        [[...nodes], at.toISOString()],
        'heartbeats_renew',
      );
      // A row already newer than `at` is not returned, yet its Node exists: ask for those too.
      if (rows.length === nodes.length) return rows.map((r) => r.node);
      const known = await run<{ node: string }>('SELECT node FROM node_heartbeats WHERE node = ANY($1::text[])', [[...nodes]], 'heartbeats_known');
      return known.map((r) => r.node);
    },
    async get(node) {
      const [row] = await run<Row>(`SELECT node, to_char(renewed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at FROM node_heartbeats WHERE node = $1`, [node], 'heartbeats_get');
      return row?.at;
    },
    async list() {
      const rows = await run<Row>(`SELECT node, to_char(renewed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at FROM node_heartbeats`, [], 'heartbeats_list');
      return new Map(rows.map((r) => [r.node, r.at]));
    },
  };
}
