// `weft logs JOB [--replica N] [--previous] [-f]`: what a replica wrote to stdout and stderr, as
// its node agent shipped it. -f keeps printing until the replica ends (or Ctrl-C).
import { Command } from 'commander';
import { followLogs, readLogsOf, type LogQuery, type WeftClient } from '../../client/index.js';
import { workloadKind, workloadKindWords } from '../../model/kind-names.js';
import { connect, projectOf, type ScopeOptions } from '../connect.js';
import { CliError } from '../errors.js';
import { findOne } from '../lookup.js';

interface LogsOptions extends ScopeOptions {
  kind: string;
  replica?: string;
  attempt?: string;
  previous?: boolean;
  follow?: boolean;
  tail?: string;
}

function count(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]+$/.test(value) || Number(value) < min) throw new CliError(`${flag} must be an integer ≥ ${min}, got "${value}"`, 2);
  return Number(value);
}

export function logsCommand(): Command {
  return new Command('logs')
    .description('print a replica\'s logs (stdout and stderr); -f follows until it ends')
    .argument('<name>', 'workload name (or its kind, then the name: weft logs vm box)')
    .argument('[name]', 'workload name, after its kind')
    .option('-k, --kind <kind>', workloadKindWords(), 'job')
    .option('-r, --replica <n>', 'replica index', '0')
    .option('--attempt <n>', 'a given attempt (default: the newest)')
    .option('--previous', 'the attempt before the newest (after a restart)')
    .option('--tail <n>', 'only the last N chunks')
    .option('-f, --follow', 'keep printing new output until the replica ends')
    .option('-p, --project <name>', 'project (default: the context\'s, or wherever the name is unique)')
    .action(async (first: string, second: string | undefined, opts: LogsOptions, self: Command) => {
      // `weft logs vm box` reads as `weft logs box --kind vm`.
      const kindWord = second !== undefined ? first : opts.kind;
      const name = second ?? first;
      const def = workloadKind(kindWord);
      if (!def) throw new CliError(`${second !== undefined ? 'kind' : '--kind'}: logs exist for workloads (${workloadKindWords()}), not "${kindWord}"`, 2);
      if (opts.previous && opts.attempt !== undefined) throw new CliError('--previous and --attempt cannot be combined', 2);
      const { client, context } = connect(self);
      const found = await findOne(client, def.kind, name, projectOf(opts, context));
      const q: LogQuery = { kind: def.kind, project: found.metadata.project ?? '', name };
      const replica = count(opts.replica, '--replica', 0);
      const attempt = count(opts.attempt, '--attempt', 0);
      const tail = count(opts.tail, '--tail', 1);
      if (replica !== undefined) q.replica = replica;
      if (attempt !== undefined) q.attempt = attempt;
      if (tail !== undefined) q.tail = tail;
      if (opts.previous) q.previous = true;
      if (!opts.follow) {
        const { text, allocation } = await readLogsOf(client, q);
        process.stdout.write(text);
        if (text === '') console.error(await whyEmpty(client, q, allocation));
        return;
      }
      const ac = new AbortController();
      const stop = (): void => ac.abort();
      process.once('SIGINT', stop);
      let wrote = false;
      try {
        for await (const text of followLogs(client, q, ac.signal)) {
          wrote ||= text !== '';
          process.stdout.write(text);
        }
      } finally {
        process.off('SIGINT', stop);
      }
      if (!wrote && !ac.signal.aborted) console.error(await whyEmpty(client, q, undefined));
    });
}

/** Why a replica has no logs, from its Allocation (its attempt): not started, quiet, or ended silent. */
async function whyEmpty(client: WeftClient, q: LogQuery, allocation: string | undefined): Promise<string> {
  const who = `${q.kind.toLowerCase()}/${q.name} replica ${q.replica ?? 0}`;
  const alloc = allocation ? await client.get('Allocation', allocation, { project: q.project }).catch(() => undefined) : undefined;
  if (!alloc) return `(no output: ${who} has written nothing)`;
  const spec = alloc.spec as { attempt?: number; node?: string };
  const phase = String((alloc.status as { phase?: string } | undefined)?.phase ?? 'Bound');
  const where = `attempt ${spec.attempt ?? 0} on ${spec.node ?? '?'}`;
  if (phase === 'Bound') return `(no output: ${who} (${where}) has not started yet)`;
  if (phase === 'Running' || phase === 'Stopping') return `(no output yet: ${who} (${where}) is ${phase.toLowerCase()} and has written nothing so far)`;
  return `(no output: ${who} (${where}) ended ${phase} without writing anything)`;
}
