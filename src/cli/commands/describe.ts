// `weft describe KIND NAME`: one object for a human — metadata, spec, status and its events.
import { Command } from 'commander';
import { Document, isScalar, isSeq, visit } from 'yaml';
import { LAST_APPLIED_ANNOTATION, allocationsOf, eventsAbout, kindOf } from '../../client/index.js';
import type { Resource } from '../../model/metadata.js';
import { addScopeOptions, connect, projectOf, type ScopeOptions } from '../connect.js';
import { formatAge } from '../duration.js';
import { findOne } from '../lookup.js';
import { renderTable } from '../output/table.js';
import { isWorkloadKind } from '../../model/kind-names.js';
import { SHOWN_APART, renderWorkloadDetails } from '../output/workload-details.js';

export function describeCommand(): Command {
  const cmd = new Command('describe')
    .description('show one resource in detail, with its recent events')
    .argument('<kind>', 'kind, plural or alias')
    .argument('<name>', 'object name');
  addScopeOptions(cmd).action(async (kind: string, name: string, opts: ScopeOptions, self: Command) => {
    const def = kindOf(kind);
    const { client, context } = connect(self);
    const project = def.scope === 'project' ? projectOf(opts, context) : undefined;
    const r = await findOne(client, def.kind, name, project);
    const allocs = isWorkloadKind(r.kind) ? await allocationsOf(client, r) : [];
    const details = isWorkloadKind(r.kind) ? renderWorkloadDetails(r, allocs) : [];
    // A workload's story includes what happened to its replicas.
    const related = new Set(allocs.map((a) => `Allocation/${a.metadata.name}`));
    console.log(renderDescription(r, await eventsAbout(client, r, related), details));
  });
  return cmd;
}

function renderDescription(r: Resource, events: Resource[], details: string[]): string {
  const m = r.metadata;
  const annotations = Object.fromEntries(Object.entries(m.annotations ?? {}).filter(([k]) => k !== LAST_APPLIED_ANNOTATION));
  const lines: [string, string][] = [
    ['Name', m.name],
    ['Kind', r.kind],
  ];
  if (m.project) lines.push(['Project', m.project]);
  lines.push(
    ['Labels', pairs(m.labels)],
    ['Annotations', pairs(annotations)],
    ['Created', m.creationTimestamp ? `${m.creationTimestamp} (${formatAge(m.creationTimestamp)} ago)` : '<unknown>'],
    ['Version', `${m.resourceVersion} (generation ${m.generation})`],
  );
  if (m.deletionTimestamp) lines.push(['Deleting since', m.deletionTimestamp]);
  const out = lines.map(([k, v]) => `${`${k}:`.padEnd(14)}${v}`);
  // What the workload sections show as tables (conditions, placement) is not repeated as YAML.
  const status = isWorkloadKind(r.kind) && r.status ? Object.fromEntries(Object.entries(r.status).filter(([k]) => !SHOWN_APART.has(k))) : r.status;
  out.push(section('Spec', r.spec), section('Status', status), ...details);
  out.push(
    events.length === 0
      ? `${'Events:'.padEnd(14)}<none>`
      : `Events:\n${indent(
          renderTable(
            ['LAST-SEEN', 'TYPE', 'REASON', 'MESSAGE'],
            events.map((e) => {
              const s = e.spec as { type?: string; reason?: string; message?: string; lastTimestamp?: string };
              const who = e.spec.involvedObject as { kind?: string; name?: string } | undefined;
              const about = who && who.kind !== r.kind ? `${String(who.kind).toLowerCase()}/${String(who.name)}: ` : '';
              return [formatAge(s.lastTimestamp ?? e.metadata.creationTimestamp), s.type ?? '', s.reason ?? '', about + (s.message ?? '')];
            }),
          ),
        )}`,
  );
  return out.join('\n');
}

function pairs(map: Record<string, string> | undefined): string {
  const entries = Object.entries(map ?? {});
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join('\n' + ' '.repeat(14));
}

function section(title: string, value: unknown): string {
  const empty = value === undefined || value === null || (typeof value === 'object' && Object.keys(value).length === 0);
  return empty ? `${`${title}:`.padEnd(14)}<none>` : `${title}:\n${indent(compactYaml(value).trimEnd())}`;
}

/**
 * YAML for reading: a list of plain values on one line (`gpus: [0, 1, 2, 3]`, a command and its
 * arguments), and each flat object in a list on a line of its own (one GPU per line).
 */
export function compactYaml(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Seq(_key, seq) {
      if (seq.items.every((item) => isScalar(item))) seq.flow = true;
    },
    Map(_key, map, path) {
      if (isSeq(path[path.length - 1]) && map.items.every((pair) => isScalar(pair.value))) map.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
