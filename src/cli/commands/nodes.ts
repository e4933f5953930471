// `weft cordon NODE`, `weft uncordon NODE`, `weft drain NODE [--wait]`. Cordon keeps new work
// off a node; drain also asks everything on it to stop (with each workload's grace) so it is
// rescheduled elsewhere; uncordon undoes both.
import { Command } from 'commander';
import { activeAllocationsOn, cordonNode, drainNode, uncordonNode } from '../../client/index.js';
import { connect } from '../connect.js';
import { parseDurationSeconds } from '../duration.js';
import { CliError } from '../errors.js';

const POLL_MS = 500;

export function cordonCommand(): Command {
  return new Command('cordon')
    .description('mark a node unschedulable: running work stays, nothing new is placed there')
    .argument('<node>', 'node name')
    .action(async (node: string, _opts: unknown, self: Command) => {
      await cordonNode(connect(self).client, node);
      console.log(`node/${node} cordoned`);
    });
}

export function uncordonCommand(): Command {
  return new Command('uncordon')
    .description('make a node schedulable again (also withdraws a drain)')
    .argument('<node>', 'node name')
    .action(async (node: string, _opts: unknown, self: Command) => {
      await uncordonNode(connect(self).client, node);
      console.log(`node/${node} uncordoned`);
    });
}

interface DrainOptions {
  wait?: boolean;
  timeout: string;
}

export function drainCommand(): Command {
  return new Command('drain')
    .description('cordon a node and move its work elsewhere (replicas get their workload\'s grace to stop)')
    .argument('<node>', 'node name')
    .option('--wait', 'return only once nothing runs on the node')
    .option('--timeout <dur>', 'with --wait: give up after this long', '10m')
    .action(async (node: string, opts: DrainOptions, self: Command) => {
      const timeoutMs = parseDurationSeconds(opts.timeout) * 1000;
      const { client } = connect(self);
      await drainNode(client, node);
      console.log(`node/${node} draining`);
      if (!opts.wait) return;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const left = await activeAllocationsOn(client, node);
        if (left.length === 0) break;
        if (Date.now() > deadline) {
          throw new CliError(`node/${node} still runs ${left.length} replica(s) after ${opts.timeout}: ${left.map((a) => `${a.metadata.project}/${a.metadata.name}`).join(', ')}`);
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      console.log(`node/${node} drained`);
    });
}
