// `weft audit` lists the audit log (every mutating API request); `weft audit verify` re-checks
// its hash chain and fails when an entry was changed or removed behind the API's back.
import { Command } from 'commander';
import type { AuditEntry } from '../../client/index.js';
import { connect } from '../connect.js';
import { parseDurationSeconds } from '../duration.js';
import { CliError, EXIT } from '../errors.js';
import { renderTable } from '../output/table.js';

interface AuditOptions {
  project?: string;
  user?: string;
  since?: string;
  limit?: string;
  after?: string;
  output?: string;
}

/** "1h", "7d" (that long ago) or an RFC 3339 timestamp. */
export function parseSince(text: string, now = Date.now()): string {
  if (/^\d+[smhdw]/.test(text.trim())) return new Date(now - parseDurationSeconds(text) * 1000).toISOString();
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new CliError(`--since: "${text}" is neither a duration (1h, 7d) nor an RFC 3339 timestamp`, EXIT.usage);
  return new Date(t).toISOString();
}

function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n < 1 || n > 10_000) throw new CliError('--limit: must be an integer from 1 to 10000', EXIT.usage);
  return n;
}

function who(e: AuditEntry): string {
  if (e.principalKind === 'anonymous') return '<anonymous>';
  return e.principalKind === 'node' ? `node/${e.principal}` : e.principal;
}

function what(e: AuditEntry): string {
  if (!e.kind) return e.path;
  return e.name ? `${e.kind.toLowerCase()}/${e.name}` : e.kind.toLowerCase();
}

export function auditTable(items: AuditEntry[]): string {
  const rows = items.map((e) => [e.time, who(e), e.verb, what(e), e.project || '-', String(e.status), e.source, e.requestId]);
  return renderTable(['TIME', 'USER', 'VERB', 'KIND/NAME', 'PROJECT', 'RESULT', 'SOURCE', 'REQUEST-ID'], rows);
}

export function auditCommand(): Command {
  const audit = new Command('audit')
    .description('show the audit log: who changed what, when, from where, and with what result')
    .option('-p, --project <name>', 'only entries about this project')
    .option('--user <name>', 'only requests made by this user (or node)')
    .option('--since <when>', 'only entries since then: a duration ago (1h, 7d) or an RFC 3339 time')
    .option('--limit <n>', 'at most this many entries, oldest first (default 100)')
    .option('--after <id>', 'entries after this id (the last one of a previous page)')
    .option('-o, --output <format>', 'json')
    .action(async (opts: AuditOptions, self: Command) => {
      if (opts.output !== undefined && opts.output !== 'json') throw new CliError(`unknown output format "${opts.output}"; use json`, EXIT.usage);
      const { client } = connect(self);
      const page = await client.audit.list({
        project: opts.project,
        user: opts.user,
        since: opts.since !== undefined ? parseSince(opts.since) : undefined,
        limit: parseLimit(opts.limit),
        after: opts.after,
      });
      if (opts.output === 'json') {
        console.log(JSON.stringify(page, null, 2));
        return;
      }
      if (page.items.length === 0) {
        console.error('No audit entries found.');
        return;
      }
      console.log(auditTable(page.items));
      if (page.next) console.error(`(more entries: add --after ${page.next})`);
    });

  audit
    .command('verify')
    .description('re-check the hash chain; exits non-zero naming the first changed or removed entry')
    .action(async (_opts: unknown, self: Command) => {
      const { client } = connect(self);
      const v = await client.audit.verify();
      if (!v.ok) throw new CliError(`audit log tampered with: ${v.reason ?? 'chain broken'} (first bad entry: ${v.firstBadId ?? '?'}, ${v.checked} entries before it intact)`);
      console.log(`audit log intact: ${v.checked} entries verified`);
    });

  return audit;
}
