// `weft login SERVER --token T`: saves a context and makes it current, after checking the token.
import { Command } from 'commander';
import { WeftApiError, WeftClient } from '../../client/index.js';
import { configPath, loadConfig, saveConfig, upsertContext } from '../config.js';
import { CliError } from '../errors.js';
import { printContexts } from './config.js';

interface LoginOptions {
  token?: string;
  project?: string;
  list?: boolean;
  verify: boolean;
}

export function loginCommand(): Command {
  return new Command('login')
    .description('save a server and token as a context in the CLI config and make it current')
    .argument('[server]', 'server URL, e.g. https://weft.example.com')
    .option('--token <token>', 'bearer token (from `weft token create` or the bootstrap output)')
    .option('-p, --project <name>', 'default project for project-scoped commands')
    .option('--list', 'list saved contexts')
    .option('--no-verify', 'save without checking the token against the server')
    .addHelpText('after', '\nThe context is named by the global --context NAME option (default: the server\'s host:port).')
    .action(async (server: string | undefined, opts: LoginOptions, self: Command) => {
      if (opts.list) return printContexts();
      if (!server) throw new CliError('usage: weft login SERVER --token TOKEN [--context NAME] [--project P]', 2);
      if (!opts.token) throw new CliError('--token is required (create one with `weft token create` on a logged-in CLI)', 2);
      let url: URL;
      try {
        url = new URL(/^https?:\/\//.test(server) ? server : `http://${server}`);
      } catch {
        throw new CliError(`"${server}" is not a server URL`, 2);
      }
      const base = url.origin;
      let user = '';
      if (opts.verify) {
        try {
          user = (await new WeftClient({ server: base, token: opts.token }).whoami()).user;
        } catch (err) {
          if (err instanceof WeftApiError && err.status === 401) throw new CliError(`the server at ${base} did not accept this token`);
          throw err;
        }
      }
      const name = self.optsWithGlobals<{ context?: string }>().context ?? url.host;
      saveConfig(upsertContext(loadConfig(), { name, server: base, token: opts.token, project: opts.project }, true));
      console.log(`Logged in to ${base}${user ? ` as ${user}` : ''}; context "${name}" saved in ${configPath()} and made current.`);
    });
}
