// `weft get KIND [NAME]`: tables per kind, or yaml/json/name; `-w` keeps watching.
import { Command } from 'commander';
import { kindOf, type WeftClient } from '../../client/index.js';
import type { KindNames } from '../../model/kind-names.js';
import type { Resource } from '../../model/metadata.js';
import { addScopeOptions, connect, projectOf, type ScopeOptions } from '../connect.js';
import { CliError } from '../errors.js';
import { assertProjectExists, findOne } from '../lookup.js';
import { isWorkloadKind } from '../../model/kind-names.js';
import { withPlacement } from '../output/workload-details.js';
import { formatDocument, formatTable, formatTableRow, parseFormat, refOf, sortResources, type OutputFormat } from '../output/print.js';

interface GetOptions extends ScopeOptions {
  output?: string;
  selector?: string;
  watch?: boolean;
}

export function getCommand(): Command {
  const cmd = new Command('get')
    .description('list resources of a kind, or show one by name')
    .argument('<kind>', 'kind, plural or alias: projects, queues, pc, sites, nodes, users, jobs, events')
    .argument('[name]', 'show only this object')
    .option('-o, --output <format>', 'wide | yaml | json | name')
    .option('-l, --selector <selector>', 'label selector, e.g. team=vision,tier!=dev')
    .option('-w, --watch', 'after listing, print changes as they happen (Ctrl-C to stop)');
  addScopeOptions(cmd).action(async (kind: string, name: string | undefined, opts: GetOptions, self: Command) => {
    const def = kindOf(kind);
    const format = parseFormat(opts.output);
    const { client, context } = connect(self);
    const project = def.scope === 'project' ? projectOf(opts, context) : undefined;
    if (name !== undefined) {
      if (opts.watch) throw new CliError('-w watches a whole kind; drop the name or use -l to narrow it', 2);
      printItems(def, [await findOne(client, def.kind, name, project)], format, true, project === undefined);
      return;
    }
    const list = await client.list(def.kind, { project, labelSelector: opts.selector, autoPaginate: true });
    let items = sortResources(list.items);
    if (isWorkloadKind(def.kind) && (format === 'table' || format === 'wide') && items.some((w) => !Array.isArray(w.status?.placement))) {
      // Best effort: a caller who may not list allocations just sees no nodes.
      const allocs = await client.list('Allocation', { project, autoPaginate: true }).then((l) => l.items, () => []);
      items = withPlacement(items, allocs);
    }
    // An empty list from a misspelt -p is not "nothing there": the project itself is missing.
    if (items.length === 0 && project !== undefined) await assertProjectExists(client, project);
    if (items.length === 0 && !opts.watch) {
      if (format === 'json' || format === 'yaml') console.log(formatDocument([], format));
      else console.error(`No ${def.plural} found${project ? ` in project ${project}` : ''}.`);
      return;
    }
    const widths = printItems(def, items, format, false, project === undefined);
    if (opts.watch) await watch(client, def, project, opts.selector, list.resourceVersion, format, widths);
  });
  return cmd;
}

/** Prints; returns the table's column widths so watch rows line up with it. */
function printItems(def: KindNames, items: Resource[], format: OutputFormat, single: boolean, multiProject: boolean): number[] {
  if (format === 'json' || format === 'yaml') {
    console.log(formatDocument(single ? items[0]! : items, format));
    return [];
  }
  if (format === 'name') {
    for (const r of items) console.log(refOf(r));
    return [];
  }
  const { text, widths } = formatTable(def, items, format === 'wide', multiProject);
  if (items.length > 0) console.log(text);
  else console.log(text.split('\n')[0]);
  return widths;
}

async function watch(
  client: WeftClient,
  def: KindNames,
  project: string | undefined,
  labelSelector: string | undefined,
  resourceVersion: string,
  format: OutputFormat,
  widths: number[],
): Promise<void> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for await (const msg of client.watch(def.kind, { project, labelSelector, resourceVersion, signal: stop.signal })) {
      const objects = msg.type === 'SYNC' ? msg.objects : [msg.object];
      for (const r of objects) {
        if (format === 'json') console.log(JSON.stringify(r));
        else if (format === 'yaml') console.log(`---\n${formatDocument(r, 'yaml')}`);
        else if (format === 'name') console.log(refOf(r));
        else console.log(formatTableRow(def, r, format === 'wide', widths, project === undefined) + (msg.type === 'DELETED' ? '   (deleted)' : ''));
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
