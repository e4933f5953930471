// Applies pending migrations at open. Each migration runs in its own transaction together with
// its schema_migrations row, under a lock, so a crash or two processes starting at once leave
// the schema either fully at version N or fully at N+1.
import type { Driver, Sql } from './driver.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

export async function migrate(driver: Driver, log: (msg: string) => void, migrations: readonly Migration[] = MIGRATIONS): Promise<number> {
  return driver.withMigrationLock(async (sql) => {
    await sql.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer     PRIMARY KEY,
      name       text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const rows = await sql.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    const applied = new Set(rows.map((r) => Number(r.version)));
    const newest = migrations.length ? migrations[migrations.length - 1].version : 0;
    const ahead = [...applied].filter((v) => v > newest);
    if (ahead.length) {
      throw new Error(`database schema is at version ${Math.max(...ahead)}, newer than this Weft knows (${newest}); upgrade Weft`);
    }
    let count = 0;
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await applyOne(sql, m);
      log(`store: applied migration ${String(m.version).padStart(3, '0')}-${m.name}`);
      count++;
    }
    return count;
  });
}

async function applyOne(sql: Sql, m: Migration): Promise<void> {
  await sql.exec('BEGIN');
  try {
    await sql.exec(m.sql);
    await sql.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    await sql.exec('COMMIT');
  } catch (e) {
    await sql.exec('ROLLBACK');
    throw e;
  }
}
