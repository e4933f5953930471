// Leader election. Several server processes may share one PostgreSQL database; exactly one of
// them runs the scheduling loop and the controllers. The leader is whoever holds a session-level
// advisory lock on a connection of its own: PostgreSQL releases it when that session ends (crash,
// kill -9, network loss), and the holder treats any trouble on that connection as having lost
// it, so it stops acting before another process can take over. The embedded engine is one
// process: leadership is an in-process lock.
import pg from 'pg';
import { sleep } from '../model/abort.js';
import type { Leadership } from './types.js';

/** Advisory lock class (first key) for leadership; the second key is hashtext(name). */
const LEADER_LOCK_CLASS = 7305;

export type AcquireLeadership = (name: string, signal: AbortSignal) => Promise<Leadership>;

function aborted(signal: AbortSignal): Error {
  const e = new Error('leadership not acquired: aborted');
  e.name = 'AbortError';
  return signal.reason instanceof Error ? signal.reason : e;
}

export interface PgLeadershipOptions {
  url: string;
  log: (msg: string) => void;
  /** How often a follower retries the lock (default 1000 ms). */
  retryMs?: number;
  /** How often the leader checks its connection (default 2000 ms); a check slower than this fails it. */
  checkMs?: number;
}

/** PostgreSQL: pg_try_advisory_lock on a dedicated connection, retried until it succeeds. */
export function pgLeadership(opts: PgLeadershipOptions): { acquire: AcquireLeadership; close(): Promise<void> } {
  const retryMs = opts.retryMs ?? 1000;
  const checkMs = opts.checkMs ?? 2000;
  const held = new Set<() => Promise<void>>();

  async function acquire(name: string, signal: AbortSignal): Promise<Leadership> {
    let client: pg.Client | undefined;
    while (!signal.aborted) {
      try {
        if (!client) {
          const c = new pg.Client({ connectionString: opts.url, application_name: 'weft-leader', keepAlive: true });
          c.on('error', () => undefined); // reported through the query that fails, or the health check
          await c.connect();
          client = c;
        }
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS ok', [LEADER_LOCK_CLASS, name]);
        if (rows[0]?.ok) return hold(client, name);
      } catch (e) {
        opts.log(`store: leadership "${name}": ${(e as Error).message}; retrying`);
        await client?.end().catch(() => undefined);
        client = undefined;
      }
      await sleep(retryMs, signal);
    }
    await client?.end().catch(() => undefined);
    throw aborted(signal);
  }

  function hold(client: pg.Client, name: string): Leadership {
    const lost = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const lose = (why: string): void => {
      if (lost.signal.aborted) return;
      opts.log(`store: leadership "${name}" lost (${why})`);
      lost.abort(new Error(`leadership "${name}" lost: ${why}`));
      stop().catch(() => undefined);
    };
    client.on('error', (e: Error) => lose(e.message));
    client.on('end', () => lose('connection closed'));
    const check = async (): Promise<void> => {
      const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('health check timed out')), checkMs).unref());
      try {
        await Promise.race([client.query('SELECT 1'), deadline]);
        if (!lost.signal.aborted) timer = setTimeout(() => void check(), checkMs);
      } catch (e) {
        lose((e as Error).message);
      }
    };
    timer = setTimeout(() => void check(), checkMs);
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        held.delete(stop);
        if (timer) clearTimeout(timer);
        // Ending the session releases the lock; unlocking first lets a follower in without waiting.
        await client.query('SELECT pg_advisory_unlock($1::int, hashtext($2))', [LEADER_LOCK_CLASS, name]).catch(() => undefined);
        await client.end().catch(() => undefined);
      })());
    held.add(stop);
    return {
      signal: lost.signal,
      async release(): Promise<void> {
        if (!lost.signal.aborted) lost.abort(new Error(`leadership "${name}" released`));
        await stop();
      },
    };
  }

  return {
    acquire,
    async close(): Promise<void> {
      await Promise.all([...held].map((stop) => stop()));
    },
  };
}

/** One process: a FIFO lock per name. */
export function localLeadership(): AcquireLeadership {
  const tails = new Map<string, Promise<void>>();
  return async (name, signal) => {
    const prev = tails.get(name) ?? Promise.resolve();
    let unlock!: () => void;
    const mine = new Promise<void>((r) => (unlock = r));
    const tail = prev.then(() => mine);
    tails.set(name, tail);
    const gotIt = await Promise.race([prev.then(() => true), new Promise<boolean>((r) => (signal.aborted ? r(false) : signal.addEventListener('abort', () => r(false), { once: true })))]);
    if (!gotIt) {
      // Give our turn straight to whoever queued after us once the holder is done.
      unlock();
      if (tails.get(name) === tail) tails.delete(name);
      throw aborted(signal);
    }
    const lost = new AbortController();
    return {
      signal: lost.signal,
      async release(): Promise<void> {
        if (!lost.signal.aborted) lost.abort(new Error(`leadership "${name}" released`));
        unlock();
        if (tails.get(name) === tail) tails.delete(name);
      },
    };
  };
}
