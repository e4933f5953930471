// A throw-away PostgreSQL database for tests, made through WEFT_TEST_DATABASE_URL's connection
// and dropped (with any session still on it) afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server tests may create databases on; undefined skips the PostgreSQL half of a suite. */
export const TEST_DATABASE_URL: string | undefined = process.env.WEFT_TEST_DATABASE_URL;

export interface TestDatabase {
  /** Connection URL of the new database. */
  url: string;
  drop(): Promise<void>;
}

/** Runs fn on a connection to the server's administrative database (WEFT_TEST_DATABASE_URL). */
export async function asAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  if (!TEST_DATABASE_URL) throw new Error('WEFT_TEST_DATABASE_URL is not set');
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await asAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => dropDatabase(name) };
}

/**
 * DROP … WITH (FORCE) terminates the database's sessions, and PostgreSQL refuses that (42501)
 * to a role without pg_signal_backend when an autovacuum worker happens to be in the database;
 * the worker leaves within moments, so the drop is retried for a few seconds before failing.
 */
async function dropDatabase(name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await asAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '42501' || attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
