// Bearer tokens at rest. The store only ever sees SHA-256 digests: a stolen database (or backup)
// yields no usable credential. A node holds at most one token, and loses it with its Node row
// (migration 008 enforces both in the schema). Token rows are not resources, so they bypass the write lock and
// the change log; consumeJoin relies on a single conditional UPDATE for its atomicity.
import { createHash, randomBytes } from 'node:crypto';
import { AlreadyExistsError, ValidationError } from '../model/errors.js';
import { isDbError, mappedQuery, mapDbError, type Sql } from './driver.js';
import type { TokenKind, TokenRecord, TokenStore } from './types.js';

/** The digest the store keys tokens by (hex SHA-256 of the plain token). */
export function hashToken(plain: string): string {
  return createHash('sha256').update(plain, 'utf8').digest('hex');
}

const KINDS: readonly TokenKind[] = ['user', 'join', 'node'];
const COLUMNS = 'id, kind, subject, description, created_at, expires_at, used_at';

interface TokenRow {
  id: string;
  kind: TokenKind;
  subject: string;
  description: string | null;
  created_at: Date | string;
  expires_at: Date | string | null;
  used_at: Date | string | null;
}

function iso(v: Date | string): string {
  return (v instanceof Date ? v : new Date(v)).toISOString();
}

function toRecord(r: TokenRow): TokenRecord {
  const rec: TokenRecord = { id: r.id, kind: r.kind, subject: r.subject, createdAt: iso(r.created_at) };
  if (r.description !== null) rec.description = r.description;
  if (r.expires_at !== null) rec.expiresAt = iso(r.expires_at);
  if (r.used_at !== null) rec.usedAt = iso(r.used_at);
  return rec;
}

function checkHash(hash: string): void {
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) {
    throw ValidationError.field('hash', 'must be a lower-case hex SHA-256 digest, never a plain token');
  }
}

export function sqlTokenStore(sql: Sql, now: () => Date): TokenStore {
  const run = mappedQuery(sql);
  return {
    async create(rec) {
      checkHash(rec.hash);
      if (!KINDS.includes(rec.kind)) throw ValidationError.field('kind', `must be one of ${KINDS.join(', ')}`);
      if (typeof rec.subject !== 'string' || rec.subject === '') throw ValidationError.field('subject', 'is required');
      let expires: string | null = null;
      if (rec.expiresAt !== undefined) {
        const t = new Date(rec.expiresAt);
        if (Number.isNaN(t.getTime())) throw ValidationError.field('expiresAt', 'must be an RFC 3339 timestamp');
        expires = t.toISOString();
      }
      const id = `tok-${randomBytes(8).toString('hex')}`;
      let rows: TokenRow[];
      try {
        rows = await sql.query<TokenRow>(
          `INSERT INTO tokens (id, kind, subject, hash, description, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (hash) DO NOTHING RETURNING ${COLUMNS}`,
          [id, rec.kind, rec.subject, rec.hash, rec.description ?? null, now().toISOString(), expires],
        );
      } catch (e) {
        if (isDbError(e) && e.code === '23505' && e.constraint === 'tokens_one_per_node') {
          throw new AlreadyExistsError(`node "${rec.subject}" already holds a credential: revoke it before issuing another`);
        }
        throw mapDbError(e);
      }
      if (rows.length === 0) throw new AlreadyExistsError('a token with this hash already exists');
      return toRecord(rows[0]);
    },

    async findByHash(hash) {
      if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
      // Expired tokens are simply not found: callers cannot forget to check.
      const rows = await run<TokenRow>(
        `SELECT ${COLUMNS} FROM tokens WHERE hash = $1 AND (expires_at IS NULL OR expires_at > $2)`,
        [hash, now().toISOString()],
        'weft_token_find',
      );
      return rows[0] ? toRecord(rows[0]) : undefined;
    },

    async consumeJoin(hash) {
      if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
      // The row lock taken by UPDATE makes concurrent consumers queue; the first sets used_at and
      // every later one re-checks "used_at IS NULL" against the committed row and matches nothing.
      const rows = await run<TokenRow>(
        `UPDATE tokens SET used_at = $2
          WHERE hash = $1 AND kind = 'join' AND used_at IS NULL AND (expires_at IS NULL OR expires_at > $2)
          RETURNING ${COLUMNS}`,
        [hash, now().toISOString()],
      );
      return rows[0] ? toRecord(rows[0]) : undefined;
    },

    async list(subject) {
      const rows =
        subject === undefined
          ? await run<TokenRow>(`SELECT ${COLUMNS} FROM tokens ORDER BY created_at, id`, [])
          : await run<TokenRow>(`SELECT ${COLUMNS} FROM tokens WHERE subject = $1 ORDER BY created_at, id`, [subject]);
      return rows.map(toRecord);
    },

    async revoke(id) {
      const rows = await run<{ id: string }>('DELETE FROM tokens WHERE id = $1 RETURNING id', [id]);
      return rows.length > 0;
    },

    async revokeAll(kind, subject) {
      const rows = await run<{ id: string }>('DELETE FROM tokens WHERE kind = $1 AND subject = $2 RETURNING id', [kind, subject]);
      return rows.length;
    },

    async isEmpty() {
      const rows = await run<{ empty: boolean }>("SELECT NOT EXISTS (SELECT 1 FROM tokens WHERE kind = 'user') AS empty", []);
      return rows[0].empty;
    },
  };
}
