// Finding one named object when the user gave no project: for a project-scoped kind, search
// every project the caller can see, so `weft describe job train` works without -p when the
// name is unambiguous.
import type { WeftClient } from '../client/index.js';
import { kindOf } from '../client/index.js';
import type { Resource } from '../model/metadata.js';
import { CliError } from './errors.js';

export async function findOne(client: WeftClient, kind: string, name: string, project: string | undefined): Promise<Resource> {
  const def = kindOf(kind);
  if (def.scope === 'cluster' || project) return client.get(def.kind, name, { project });
  const { items } = await client.list(def.kind, { autoPaginate: true });
  const matches = items.filter((r) => r.metadata.name === name);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new CliError(`${def.kind.toLowerCase()} "${name}" not found in any project you can see`);
  const where = matches.map((r) => r.metadata.project).join(', ');
  throw new CliError(`${def.kind.toLowerCase()} "${name}" exists in several projects (${where}); pass -p PROJECT`);
}
