// Contract: bearer tokens are kept as SHA-256 digests; join tokens are consumed exactly once.
import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, ValidationError } from '../../model/errors.js';
import { hashToken } from '../tokens.js';
import { uniq, type Ctx } from './harness.js';

export function tokenTests(get: () => Ctx): void {
  describe('tokens', () => {
    it('starts empty of user tokens, then finds a token by its hash only', async () => {
      const { store } = get();
      expect(await store.tokens.isEmpty()).toBe(true);
      await store.tokens.create({ kind: 'join', subject: 'admin', hash: hashToken(uniq('join')) });
      expect(await store.tokens.isEmpty()).toBe(true); // join tokens do not count
      const plain = `weft_${uniq('secret')}`;
      const rec = await store.tokens.create({ kind: 'user', subject: 'admin', hash: hashToken(plain), description: 'bootstrap' });
      expect(rec).toMatchObject({ kind: 'user', subject: 'admin', description: 'bootstrap' });
      expect(rec.id).toBeTruthy();
      expect(JSON.stringify(rec)).not.toContain(plain);
      expect(JSON.stringify(rec)).not.toContain(hashToken(plain));
      expect(await store.tokens.isEmpty()).toBe(false);
      expect(await store.tokens.findByHash(hashToken(plain))).toEqual(rec);
      expect(await store.tokens.findByHash(plain)).toBeUndefined();
      expect(await store.tokens.findByHash(hashToken(plain + 'x'))).toBeUndefined();
    });

    it('refuses anything but a SHA-256 hex digest, and duplicate hashes', async () => {
      const { store } = get();
      for (const hash of ['plain-token', hashToken('x').toUpperCase(), hashToken('x').slice(1), '']) {
        await expect(store.tokens.create({ kind: 'user', subject: 'u', hash })).rejects.toBeInstanceOf(ValidationError);
      }
      const h = hashToken(uniq('dup'));
      await store.tokens.create({ kind: 'user', subject: 'u', hash: h });
      await expect(store.tokens.create({ kind: 'node', subject: 'n', hash: h })).rejects.toBeInstanceOf(AlreadyExistsError);
    });

    it('holds one token per node, and drops it when the Node is deleted', async () => {
      const { store } = get();
      const node = uniq('node');
      await store.create({ apiVersion: 'weft/v1', kind: 'Node', metadata: { name: node }, spec: { cpu: '1', memory: '1Gi' } });
      const first = hashToken(uniq('n1'));
      await store.tokens.create({ kind: 'node', subject: node, hash: first });
      await expect(store.tokens.create({ kind: 'node', subject: node, hash: hashToken(uniq('n2')) })).rejects.toBeInstanceOf(AlreadyExistsError);
      // Replaced in one transaction: the old one revoked, the new one issued.
      const second = hashToken(uniq('n3'));
      await store.transaction(async (tx) => {
        expect(await tx.tokens.revokeAll('node', node)).toBe(1);
        await tx.tokens.create({ kind: 'node', subject: node, hash: second });
      });
      expect(await store.tokens.findByHash(first)).toBeUndefined();
      expect(await store.tokens.findByHash(second)).toMatchObject({ kind: 'node', subject: node });
      // A user token with the node's name as subject is not a node credential and stays.
      const user = hashToken(uniq('u'));
      await store.tokens.create({ kind: 'user', subject: node, hash: user });
      await store.delete({ kind: 'Node', name: node });
      expect(await store.tokens.findByHash(second)).toBeUndefined();
      expect(await store.tokens.findByHash(user)).toBeDefined();
    });

    it('does not find expired tokens', async () => {
      const { store } = get();
      const past = hashToken(uniq('past'));
      const future = hashToken(uniq('future'));
      await store.tokens.create({ kind: 'user', subject: 'u', hash: past, expiresAt: new Date(Date.now() - 60_000).toISOString() });
      const f = await store.tokens.create({ kind: 'user', subject: 'u', hash: future, expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
      expect(await store.tokens.findByHash(past)).toBeUndefined();
      expect((await store.tokens.findByHash(future))?.expiresAt).toBe(f.expiresAt);
      await expect(store.tokens.create({ kind: 'user', subject: 'u', hash: hashToken(uniq('x')), expiresAt: 'tomorrow' })).rejects.toBeInstanceOf(ValidationError);
    });

    it('consumes a join token exactly once, even under 20 concurrent consumers', async () => {
      const { store } = get();
      const h = hashToken(uniq('join'));
      await store.tokens.create({ kind: 'join', subject: 'admin', hash: h, description: 'rack 7' });
      const results = await Promise.all(Array.from({ length: 20 }, () => store.tokens.consumeJoin(h)));
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      expect(winners[0]?.usedAt).toBeTruthy();
      expect(await store.tokens.consumeJoin(h)).toBeUndefined();
      expect((await store.tokens.findByHash(h))?.usedAt).toBe(winners[0]?.usedAt);
    });

    it('does not consume user, expired or unknown tokens as join tokens', async () => {
      const { store } = get();
      const user = hashToken(uniq('user'));
      const expired = hashToken(uniq('expired'));
      await store.tokens.create({ kind: 'user', subject: 'u', hash: user });
      await store.tokens.create({ kind: 'join', subject: 'u', hash: expired, expiresAt: new Date(Date.now() - 1000).toISOString() });
      expect(await store.tokens.consumeJoin(user)).toBeUndefined();
      expect(await store.tokens.consumeJoin(expired)).toBeUndefined();
      expect(await store.tokens.consumeJoin(hashToken(uniq('nope')))).toBeUndefined();
      expect(await store.tokens.consumeJoin('not-a-hash')).toBeUndefined();
    });

    it('lists by subject and revokes', async () => {
      const { store } = get();
      const who = uniq('user');
      const a = await store.tokens.create({ kind: 'user', subject: who, hash: hashToken(uniq('a')) });
      const b = await store.tokens.create({ kind: 'user', subject: who, hash: hashToken(uniq('b')) });
      await store.tokens.create({ kind: 'user', subject: uniq('someone-else'), hash: hashToken(uniq('c')) });
      expect((await store.tokens.list(who)).map((t) => t.id).sort()).toEqual([a.id, b.id].sort());
      expect((await store.tokens.list()).length).toBeGreaterThanOrEqual(3);
      expect(await store.tokens.revoke(a.id)).toBe(true);
      expect(await store.tokens.revoke(a.id)).toBe(false);
      expect((await store.tokens.list(who)).map((t) => t.id)).toEqual([b.id]);
    });
  });
}
