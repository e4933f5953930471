// The store contract on a real PostgreSQL server. Each harness gets a database of its own,
// created through WEFT_TEST_DATABASE_URL's connection and dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { runStoreContract, type StoreHarness } from './contract/index.js';
import { openStore } from './index.js';

const adminUrl = process.env.WEFT_TEST_DATABASE_URL;

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function freshDatabase(): Promise<StoreHarness> {
  const db = `weft_contract_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${db}`));
  const url = new URL(adminUrl as string);
  url.pathname = `/${db}`;
  return {
    multiOpen: true,
    open: (opts) => openStore({ url: url.toString(), poolSize: 4, ...opts }),
    destroy: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)).then(() => undefined),
  };
}

if (!adminUrl) console.warn('PostgreSQL suite skipped: set WEFT_TEST_DATABASE_URL');
runStoreContract('postgres', adminUrl ? freshDatabase : undefined, 'PostgreSQL suite skipped: set WEFT_TEST_DATABASE_URL');
