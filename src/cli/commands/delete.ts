// `weft delete KIND NAME...` or `weft delete -f FILE|DIR|-`.
import { Command } from 'commander';
import { WeftApiError, WeftConnectionError, kindOf } from '../../client/index.js';
import { addScopeOptions, connect, projectOf, type ScopeOptions } from '../connect.js';
import { CliError, describeError } from '../errors.js';
import { loadManifests, sortForApply } from '../manifests.js';
import { readStdin } from '../stdin.js';

interface DeleteOptions extends ScopeOptions {
  filename?: string[];
  ignoreNotFound?: boolean;
}

interface Target {
  kind: string;
  name: string;
  project?: string;
}

export function deleteCommand(): Command {
  const cmd = new Command('delete')
    .description('delete resources by kind and name, or those named in manifests')
    .argument('[kind]', 'kind, plural or alias')
    .argument('[names...]', 'object names')
    .option('-f, --filename <path...>', 'file, directory (recursive) or "-" for stdin')
    .option('--ignore-not-found', 'succeed when an object does not exist');
  addScopeOptions(cmd).action(async (kind: string | undefined, names: string[], opts: DeleteOptions, self: Command) => {
    if (opts.allProjects) throw new CliError('delete works in one project at a time; -A is not supported', 2);
    const { client, context } = connect(self);
    const project = projectOf(opts, context);
    let targets: Target[];
    if (opts.filename) {
      if (kind) throw new CliError('give either KIND NAME or -f FILE, not both', 2);
      // Reverse apply order: jobs go before the projects that hold them.
      targets = sortForApply(loadManifests(opts.filename, readStdin))
        .reverse()
        .map((m) => ({ kind: m.resource.kind, name: m.resource.metadata.name, project: m.resource.metadata.project ?? project }));
    } else {
      if (!kind || names.length === 0) throw new CliError('usage: weft delete KIND NAME... | weft delete -f FILE', 2);
      const def = kindOf(kind);
      targets = names.map((name) => ({ kind: def.kind, name, project: def.scope === 'project' ? project : undefined }));
    }
    let failed = 0;
    for (const t of targets) {
      const def = kindOf(t.kind);
      const ref = `${def.kind.toLowerCase()}/${t.name}`;
      try {
        await client.delete(def.kind, t.name, { project: def.scope === 'project' ? t.project : undefined });
        console.log(`${ref} deleted`);
      } catch (err) {
        if (err instanceof WeftConnectionError) throw err;
        if (err instanceof WeftApiError && err.status === 404 && opts.ignoreNotFound) continue;
        failed++;
        const [first, ...rest] = describeError(err);
        console.error([`error: ${ref}: ${first}`, ...rest].join('\n'));
      }
    }
    if (failed > 0) throw new CliError(targets.length > 1 ? `${failed} of ${targets.length} objects could not be deleted` : '');
  });
  return cmd;
}
