// Renders resources in the formats `weft get -o` offers.
import { stringify } from 'yaml';
import type { KindNames } from '../../model/kind-names.js';
import type { Resource } from '../../model/metadata.js';
import { CliError } from '../errors.js';
import { columnsFor } from './columns.js';
import { columnWidths, renderRow, renderTable } from './table.js';

export type OutputFormat = 'table' | 'wide' | 'yaml' | 'json' | 'name';
const FORMATS: OutputFormat[] = ['table', 'wide', 'yaml', 'json', 'name'];

export function parseFormat(value: string | undefined): OutputFormat {
  if (value === undefined) return 'table';
  if ((FORMATS as string[]).includes(value)) return value as OutputFormat;
  throw new CliError(`unknown output format "${value}"; use one of wide, yaml, json, name`, 2);
}

export function refOf(r: { kind: string; metadata: { name: string } }): string {
  return `${r.kind.toLowerCase()}/${r.metadata.name}`;
}

/** A single object or a list, in a machine-readable format. */
export function formatDocument(value: Resource | Resource[], format: 'yaml' | 'json'): string {
  const doc = Array.isArray(value) ? { apiVersion: 'weft/v1', kind: 'List', items: value } : value;
  return format === 'json' ? JSON.stringify(doc, null, 2) : stringify(doc).trimEnd();
}

/** Table rows for a kind; also returns the widths so later watch rows line up. */
export function formatTable(def: KindNames, items: Resource[], wide: boolean, multiProject = true, now = Date.now()): { text: string; widths: number[] } {
  const cols = columnsFor(def, wide, multiProject);
  const headers = cols.map((c) => c.header);
  const rows = items.map((r) => cols.map((c) => c.value(r, now)));
  return { text: renderTable(headers, rows), widths: columnWidths(headers, rows) };
}

export function formatTableRow(def: KindNames, r: Resource, wide: boolean, widths: number[], multiProject = true, now = Date.now()): string {
  return renderRow(
    columnsFor(def, wide, multiProject).map((c) => c.value(r, now)),
    widths,
  );
}

/** Sorts by project, then name, so tables are stable across calls. */
export function sortResources(items: Resource[]): Resource[] {
  return [...items].sort(
    (a, b) => (a.metadata.project ?? '').localeCompare(b.metadata.project ?? '') || a.metadata.name.localeCompare(b.metadata.name),
  );
}
