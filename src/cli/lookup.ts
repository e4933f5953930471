// Finding one named object when the user gave no project: for a project-scoped kind, search
// every project the caller can see, so `weft describe job train` works without -p when the
// name is unambiguous.
import { kindOf, WeftApiError, type WeftClient } from '../client/index.js';
import type { Resource } from '../model/metadata.js';
import { CliError } from './errors.js';
import { weftCommand } from './invocation.js';

export async function findOne(client: WeftClient, kind: string, name: string, project: string | undefined): Promise<Resource> {
  const def = kindOf(kind);
  if (def.scope === 'cluster') return client.get(def.kind, name);
  if (project) {
    try {
      return await client.get(def.kind, name, { project });
    } catch (err) {
      // "job x not found in project typo" hides the real mistake: say the project is missing.
      if (err instanceof WeftApiError && err.status === 404) await assertProjectExists(client, project);
      throw err;
    }
  }
  const { items } = await client.list(def.kind, { autoPaginate: true });
  const matches = items.filter((r) => r.metadata.name === name);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new CliError(`${def.kind.toLowerCase()} "${name}" not found in any project you can see`);
  const where = matches.map((r) => r.metadata.project).join(', ');
  throw new CliError(`${def.kind.toLowerCase()} "${name}" exists in several projects (${where}); pass -p PROJECT`);
}

/**
 * Throws a clear error when `project` does not exist. A caller who may not read the project
 * learns nothing here: the server answers 403 for it, existing or not, and this stays silent.
 */
export async function assertProjectExists(client: WeftClient, project: string): Promise<void> {
  try {
    await client.get('Project', project);
  } catch (err) {
    if (err instanceof WeftApiError && err.status === 404) {
      throw new CliError(`project "${project}" does not exist (\`${weftCommand()} get projects\` lists them)`);
    }
  }
}
