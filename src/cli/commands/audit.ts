// `weft audit` lists the audit log (every mutating API request); `weft audit verify` re-checks
// its hash chain and fails when an entry was changed or removed behind the API's back;
// `weft audit residency` reports where a project's work ran and fails on a breach.
import { createWriteStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import { verifyExport } from '../../server/offline.js';
import type { AuditEntry, AuditVerifyResult, ResidencyReport } from '../../client/index.js';
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

/** What `weft audit verify` says: the chain, then the checkpoints, each in plain words. */
export function verifyReport(v: AuditVerifyResult): string[] {
  const out: string[] = [];
  if (v.firstBadId !== undefined) {
    out.push(`audit log tampered with: ${v.reason ?? 'chain broken'} (first bad entry: ${v.firstBadId}, ${v.checked} entries before it intact)`);
  } else {
    out.push(`hash chain: ${v.checked} entries, every one linked to the one before it`);
  }
  const c = v.checkpoints;
  if (!c) {
    out.push('checkpoints: none kept by this server, so removing the newest entries would not show');
  } else {
    const latest = c.latest ? `; the newest, of ${c.latest.time}, covers ${c.latest.count} entries up to entry ${c.latest.id}` : '';
    out.push(`checkpoints: ${c.matched} signed checkpoint${c.matched === 1 ? '' : 's'} in ${c.file ?? 'the server\'s file'} match the chain${latest}`);
    if (c.otherKeys) out.push(`  ${c.otherKeys} checkpoint${c.otherKeys === 1 ? ' was' : 's were'} signed by another key and not checked`);
    for (const p of c.problems) out.push(`  problem: ${p}`);
  }
  if (!v.ok && v.firstBadId === undefined) out.unshift(`audit log tampered with: ${v.reason ?? 'it disagrees with its checkpoints'}`);
  else if (v.ok) out.unshift('audit log intact');
  return out;
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
    .description('re-check the hash chain on the server and compare it with its signed checkpoints, or with --file an export offline; exits non-zero naming what was changed or removed')
    .option('--file <path>', 'an export written by weft audit export, checked here without the server')
    .action(async (opts: { file?: string }, self: Command) => {
      if (opts.file !== undefined) return verifyFile(opts.file);
      const { client } = connect(self);
      const v = await client.audit.verify();
      const lines = verifyReport(v);
      if (!v.ok) throw new CliError(lines.join('\n'));
      console.log(lines.join('\n'));
    });

  audit
    .command('export')
    .description('write the audit log of a period as JSON Lines that can be verified offline (weft audit verify --file)')
    .option('--from <when>', 'period start: a duration ago (30d) or an RFC 3339 time (default 30 days before --to)')
    .option('--to <when>', 'period end: a duration ago or an RFC 3339 time (default now)')
    .option('-f, --file <path>', 'write here instead of to stdout')
    .action(async (opts: { from?: string; to?: string; file?: string }, self: Command) => {
      const { client } = connect(self);
      const res = await client.audit.export({ ...(opts.from !== undefined ? { from: parseSince(opts.from) } : {}), ...(opts.to !== undefined ? { to: parseSince(opts.to) } : {}) });
      const out = opts.file !== undefined ? createWriteStream(opts.file) : process.stdout;
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), out, { end: opts.file !== undefined });
      if (opts.file !== undefined) {
        const check = verifyExport(readFileSync(opts.file, 'utf8'));
        console.error(`wrote ${check.checked} entries to ${opts.file}${check.lastId ? ` (ids ${check.firstId}–${check.lastId}, last hash ${check.lastHash})` : ''}`);
      }
    });

  audit
    .command('residency')
    .description("where a project's work ran (-p/--project PROJECT) (GPU-seconds by country, site and node, from the usage ledger) and any breach of its residency; exits 1 on a breach")
    .option('--from <when>', 'window start: a duration ago (30d) or an RFC 3339 time (default 30 days before --to)')
    .option('--to <when>', 'window end: a duration ago or an RFC 3339 time (default now)')
    .action(async (own: { from?: string; to?: string }, self: Command) => {
      // -p/--project and -o belong to `weft audit` itself, which parses them wherever they stand.
      const opts = self.optsWithGlobals<{ project?: string; output?: string; from?: string; to?: string }>();
      const project = opts.project;
      if (project === undefined) throw new CliError('weft audit residency: -p/--project is required', EXIT.usage);
      if (opts.output !== undefined && opts.output !== 'json') throw new CliError(`unknown output format "${opts.output}"; use json`, EXIT.usage);
      const { client } = connect(self);
      const report = await client.audit.residency({
        project,
        ...(own.from !== undefined ? { from: parseSince(own.from) } : {}),
        ...(own.to !== undefined ? { to: parseSince(own.to) } : {}),
      });
      console.log(opts.output === 'json' ? JSON.stringify(report, null, 2) : residencyText(report));
      if (report.breaches.length > 0) throw new CliError(`residency breached: ${report.breaches.length} allocation(s) of project ${report.project} ran outside ${report.residency.sites?.join(', ') || 'any allowed site'}`);
      if (!report.audit.chain.ok) throw new CliError(`audit log tampered with: ${report.audit.chain.reason ?? 'chain broken'}`);
    });

  return audit;
}

function verifyFile(path: string): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const v = verifyExport(text);
  if (!v.ok) throw new CliError(`export ${path} does not verify: ${v.reason ?? 'broken'} (${v.checked} entries before it intact)`);
  console.log(`export intact: ${v.checked} entries${v.lastId ? `, ids ${v.firstId}–${v.lastId}, last hash ${v.lastHash}` : ''}${v.head ? `; chain head when exported: ${v.head.id} ${v.head.hash}` : ''}`);
}

const seconds = (x: number): string => String(Math.round(x * 1000) / 1000);

export function residencyText(r: ResidencyReport): string {
  const lines = [`Project ${r.project}, ${r.from} to ${r.to}`];
  const sites = r.residency.sites;
  lines.push(`Residency: ${sites === null ? 'anywhere (no rule)' : `${sites.join(', ') || 'no site'} (${r.residency.rule})`}`, '');
  if (r.byNode.length === 0) lines.push('No work ran in this window.');
  else {
    const rows = r.byNode.map((n) => [n.country || '-', n.site || '-', n.node, seconds(n.gpuSeconds)]);
    lines.push(renderTable(['COUNTRY', 'SITE', 'NODE', 'GPU-SECONDS'], rows));
    lines.push(`${r.gpuSeconds} GPU-seconds in all: ${r.byCountry.map((c) => `${c.country || 'no country'} ${seconds(c.gpuSeconds)}`).join(', ')}`);
  }
  lines.push('');
  if (r.breaches.length === 0) lines.push('Breaches: none');
  else {
    lines.push(`Breaches: ${r.breaches.length}`);
    const rows = r.breaches.map((b) => [b.workload, b.allocation, b.node, b.site || '-', b.country || '-', b.start, b.open ? `${b.end} (running)` : b.end, seconds(b.gpuSeconds)]);
    lines.push(renderTable(['WORKLOAD', 'ALLOCATION', 'NODE', 'SITE', 'COUNTRY', 'FROM', 'TO', 'GPU-SECONDS'], rows));
  }
  const c = r.audit.chain;
  lines.push('', `Audit chain: ${c.ok ? 'intact' : `BROKEN (${c.reason ?? 'see weft audit verify'})`}, ${c.checked} entries${c.headId ? `, head ${c.headId} ${c.headHash}` : ''}`);
  lines.push(`${r.audit.entries} entries about the project and its rules in the window; rule changes: ${r.audit.ruleChanges.length === 0 ? 'none' : ''}`);
  for (const e of r.audit.ruleChanges) lines.push(`  ${e.time} ${e.principal} ${e.verb} ${e.kind}/${e.name} (entry ${e.id})`);
  return lines.join('\n');
}
