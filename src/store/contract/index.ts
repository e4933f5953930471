// The store contract suite, written once and run against every engine (PGlite, PostgreSQL).
// Usage, in a *.test.ts file:  runStoreContract('pglite', makeHarness)
import { afterAll, beforeAll, describe } from 'vitest';
import type { Store } from '../types.js';
import { crudTests } from './crud.js';
import { listTests } from './list.js';
import { tokenTests } from './tokens.js';
import { watchTests } from './watch.js';
import { durabilityTests } from './durability.js';
import { ledgerTests } from './ledger.js';
import { leadershipTests } from './leadership.js';
import { auditTests } from './audit.js';
import { logTests } from './logs.js';
import { summaryTests } from './summary.js';
import { heartbeatTests } from './heartbeats.js';
import type { Ctx, HarnessFactory } from './harness.js';

export type { HarnessFactory, StoreHarness, HarnessOpenOptions } from './harness.js';

/** Registers the suite; with no factory it is reported as skipped, with `skipReason`. */
export function runStoreContract(name: string, factory: HarnessFactory | undefined, skipReason = 'no engine available'): void {
  if (!factory) {
    describe.skip(`store contract (${name}) — ${skipReason}`, () => {
      crudTests(() => ({}) as Ctx);
    });
    return;
  }
  describe(`store contract (${name})`, () => {
    const ctx = {} as Ctx;
    beforeAll(async () => {
      ctx.factory = factory;
      ctx.harness = await factory();
      ctx.store = await ctx.harness.open();
    });
    afterAll(async () => {
      await ctx.store?.close();
      await ctx.harness?.destroy();
    });
    const get = (): Ctx => ctx;
    crudTests(get);
    listTests(get);
    watchTests(get);
    tokenTests(get);
    logTests(get);
    summaryTests(get);
    heartbeatTests(get);
    durabilityTests(get);
    ledgerTests(get);
    leadershipTests(get);
    // Last: it ends by tampering with the chain on purpose.
    auditTests(get);
  });
}

export type { Store };
