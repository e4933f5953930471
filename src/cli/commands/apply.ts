// `weft apply -f FILE|DIR|-`: create or update every object in the manifests, idempotently.
import { Command } from 'commander';
import { WeftConnectionError } from '../../client/index.js';
import { addScopeOptions, connect, projectOf, type ScopeOptions } from '../connect.js';
import { CliError, describeError } from '../errors.js';
import { loadManifests, sortForApply } from '../manifests.js';
import { refOf } from '../output/print.js';
import { readStdin } from '../stdin.js';

interface ApplyOptions extends ScopeOptions {
  filename: string[];
}

export function applyCommand(): Command {
  const cmd = new Command('apply')
    .description('create or update resources from YAML/JSON manifests (unchanged objects are not written)')
    .requiredOption('-f, --filename <path...>', 'file, directory (recursive) or "-" for stdin');
  addScopeOptions(cmd).action(async (opts: ApplyOptions, self: Command) => {
    if (opts.allProjects) throw new CliError('apply works in one project at a time; -A is not supported', 2);
    const manifests = sortForApply(loadManifests(opts.filename, readStdin));
    const { client, context } = connect(self);
    const project = projectOf(opts, context);
    let failed = 0;
    // Keep going after a failure so one bad object does not hide the state of the others.
    for (const m of manifests) {
      try {
        const { action, object } = await client.apply(m.resource, { project });
        console.log(`${refOf(object)} ${action}`);
      } catch (err) {
        if (err instanceof WeftConnectionError) throw err;
        failed++;
        const [first, ...rest] = describeError(err);
        console.error([`error: ${refOf(m.resource)} (${m.source}): ${first}`, ...rest].join('\n'));
      }
    }
    // Each failure was reported above; a summary only helps when there were several objects.
    if (failed > 0) throw new CliError(manifests.length > 1 ? `${failed} of ${manifests.length} objects failed` : '');
  });
  return cmd;
}
