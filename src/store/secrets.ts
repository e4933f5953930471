// Sealed Secret values (migration 009): opaque JSON the control plane sealed; the store never
// sees a plain value. Like tokens they are not resources: no change log, no watch.
import { mappedQuery, type Sql } from './driver.js';

export interface SecretValueStore {
  put(project: string, name: string, sealed: object): Promise<void>;
  get(project: string, name: string): Promise<object | undefined>;
}

export function sqlSecretStore(sql: Sql, now: () => Date): SecretValueStore {
  const run = mappedQuery(sql);
  return {
    async put(project, name, sealed) {
      await run(
        `INSERT INTO secret_values (project, name, sealed, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (project, name) DO UPDATE SET sealed = EXCLUDED.sealed, updated_at = EXCLUDED.updated_at`,
        [project, name, JSON.stringify(sealed), now().toISOString()],
      );
    },
    async get(project, name) {
      const rows = await run<{ sealed: object | string }>('SELECT sealed FROM secret_values WHERE project = $1 AND name = $2', [project, name]);
      const v = rows[0]?.sealed;
      return typeof v === 'string' ? (JSON.parse(v) as object) : v;
    },
  };
}
