// `weft suspend JOB` / `weft resume JOB`: flip spec.suspend with a merge patch; the workload
// controller stops the replicas (Suspended) or queues the workload again (Pending).
import { Command } from 'commander';
import { setSuspended } from '../../client/index.js';
import { WORKLOAD_KINDS, workloadKind, workloadKindWords } from '../../model/kind-names.js';
import { addScopeOptions, connect, projectOf, type ScopeOptions } from '../connect.js';
import { CliError } from '../errors.js';
import { findOne } from '../lookup.js';

interface SuspendOptions extends ScopeOptions {
  kind: string;
}

export function suspendCommand(): Command {
  return toggle('suspend', true, 'stop a workload\'s replicas and keep it, releasing its GPUs (resume starts it again)');
}

export function resumeCommand(): Command {
  return toggle('resume', false, 'queue a suspended workload again');
}

const SUSPENDABLE = workloadKindWords(WORKLOAD_KINDS.filter((k) => k.suspendable));

function toggle(verb: 'suspend' | 'resume', suspend: boolean, description: string): Command {
  const cmd = new Command(verb)
    .description(description)
    .argument('<name>', 'workload name')
    .option('-k, --kind <kind>', SUSPENDABLE, 'job');
  addScopeOptions(cmd).action(async (name: string, opts: SuspendOptions, self: Command) => {
    const def = workloadKind(opts.kind);
    if (!def?.suspendable) throw new CliError(`--kind: only a ${SUSPENDABLE} can be suspended, not "${opts.kind}"`, 2);
    const { client, context } = connect(self);
    const found = await findOne(client, def.kind, name, projectOf(opts, context));
    const ref = `${def.kind.toLowerCase()}/${name}`;
    const { changed } = await setSuspended(client, def.kind, name, found.metadata.project ?? '', suspend);
    console.log(changed ? `${ref} ${suspend ? 'suspended' : 'resumed'}` : `${ref} already ${suspend ? 'suspended' : 'running or queued'}`);
  });
  return cmd;
}
