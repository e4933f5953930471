// Every schema migration, in order. Append only: a released migration is never edited, because
// databases that already applied it would silently differ from new ones.
import * as m001 from './001-initial.js';
import * as m002 from './002-gpu-ledger.js';
import * as m003 from './003-audit-log.js';
import * as m004 from './004-usage.js';
import * as m005 from './005-logs.js';
import * as m006 from './006-newest-index.js';
import * as m007 from './007-no-jsonb-statistics.js';
import * as m008 from './008-one-node-credential.js';
import * as m009 from './009-secret-values.js';
import * as m010 from './010-node-heartbeats.js';
import * as m011 from './011-database-identity.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, ...m001 },
  { version: 2, ...m002 },
  { version: 3, ...m003 },
  { version: 4, ...m004 },
  { version: 5, ...m005 },
  { version: 6, ...m006 },
  { version: 7, ...m007 },
  { version: 8, ...m008 },
  { version: 9, ...m009 },
  { version: 10, ...m010 },
  { version: 11, ...m011 },
];
