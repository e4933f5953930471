// `weft version`: this CLI's version, and whether the current context's server answers.
import { Command } from 'commander';
import { loadConfig } from '../config.js';
import { connect } from '../connect.js';
import { VERSION } from '../version.js';

export function versionCommand(): Command {
  return new Command('version')
    .description('print the version of this CLI (and the server it talks to, if any)')
    .action(async (_opts: unknown, self: Command) => {
      console.log(`weft ${VERSION}`);
      if (!process.env.WEFT_SERVER && loadConfig().contexts.length === 0) return;
      try {
        const { client } = connect(self);
        console.log(`server ${client.server}: ${(await client.healthy()) ? 'reachable' : 'not reachable'}`);
      } catch {
        // No usable context: the client version alone is the answer.
      }
    });
}
