// `weft explain NAME` / `weft explain -f FILE`: when and where would this workload start? The
// server answers (docs/api.md, "What-if"), evaluating it against the live fleet with the
// scheduling loop's own rules; this only prints the answer.
import { Command } from 'commander';
import { explainManifest, explainWorkload } from '../../client/index.js';
import { workloadKind, workloadKindWords } from '../../model/kind-names.js';
import type { Resource } from '../../model/metadata.js';
import { addScopeOptions, connect, projectOf, type ScopeOptions } from '../connect.js';
import { CliError } from '../errors.js';
import { findOne } from '../lookup.js';
import { loadManifests } from '../manifests.js';
import { formatWorkloadGpus } from '../output/columns.js';
import { renderWhatIf } from '../output/what-if.js';
import { readStdin } from '../stdin.js';

interface ExplainOptions extends ScopeOptions {
  kind: string;
  filename?: string;
}

export function explainCommand(): Command {
  const cmd = new Command('explain')
    .description('when and where would this workload start? (the server evaluates it on the live fleet)')
    .argument('[name]', 'workload name (or -f)')
    .option('-k, --kind <kind>', workloadKindWords(), 'job')
    .option('-f, --filename <file>', 'a workload manifest (or - for stdin), evaluated as if you submitted it now');
  addScopeOptions(cmd).action(async (name: string | undefined, opts: ExplainOptions, self: Command) => {
    if ((name === undefined) === (opts.filename === undefined)) throw new CliError('explain takes a workload name or -f FILE (one of them)', 2);
    const { client, context } = connect(self);
    if (opts.filename !== undefined) {
      const manifests = loadManifests([opts.filename], readStdin);
      if (manifests.length !== 1) throw new CliError(`${opts.filename}: explain takes one workload, found ${manifests.length} documents`, 2);
      const m = manifests[0]!.resource;
      const project = m.metadata.project ?? projectOf(opts, context);
      if (!project) throw new CliError(`${manifests[0]!.source}: metadata.project is not set; pass -p/--project`, 2);
      const manifest = { ...m, metadata: { ...m.metadata, project } };
      const answer = await explainManifest(client, manifest);
      console.log(renderWhatIf(answer, { gpus: formatWorkloadGpus(manifest as Resource), now: Date.now() }));
      return;
    }
    const def = workloadKind(opts.kind);
    if (!def) throw new CliError(`--kind: explain takes a ${workloadKindWords()}, not "${opts.kind}"`, 2);
    const target = await findOne(client, def.kind, name!, projectOf(opts, context));
    const answer = await explainWorkload(client, def.kind, target.metadata.project ?? '', target.metadata.name);
    const phase = String((target.status as { phase?: unknown } | undefined)?.phase ?? 'Pending');
    console.log(renderWhatIf(answer, { gpus: formatWorkloadGpus(target), phase, now: Date.now() }));
  });
  return cmd;
}
