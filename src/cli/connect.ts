// Which server, token and project a command uses: WEFT_SERVER/WEFT_TOKEN override everything
// (for scripts and CI); otherwise the context named by --context, $WEFT_CONTEXT or the config.
import type { Command } from 'commander';
import { WeftClient } from '../client/index.js';
import { configPath, loadConfig, type Context } from './config.js';
import { CliError } from './errors.js';
import { VERSION } from './version.js';

export interface Connection {
  client: WeftClient;
  context: Context;
}

/** Options every resource command accepts. */
export interface ScopeOptions {
  project?: string;
  allProjects?: boolean;
}

export function connect(cmd: Command): Connection {
  const globals = cmd.optsWithGlobals<{ context?: string }>();
  let context: Context | undefined;
  if (process.env.WEFT_SERVER) {
    context = { name: '(environment)', server: process.env.WEFT_SERVER, token: process.env.WEFT_TOKEN, project: process.env.WEFT_PROJECT };
  } else {
    const cfg = loadConfig();
    const name = globals.context ?? process.env.WEFT_CONTEXT ?? cfg.currentContext;
    if (!name) {
      throw new CliError(
        `no server configured (${configPath()} has no current context): run \`weft up\`, or \`weft login SERVER --token TOKEN\``,
      );
    }
    context = cfg.contexts.find((c) => c.name === name);
    if (!context) throw new CliError(`no context named "${name}" in ${configPath()}; see \`weft config get-contexts\``);
  }
  const onWarning = (message: string): void => console.error(`Warning: ${message}`);
  return { client: new WeftClient({ server: context.server, token: context.token, userAgent: `weft-cli/${VERSION}`, onWarning }), context };
}

/** The project a project-scoped command works in; undefined means "every project I can see". */
export function projectOf(opts: ScopeOptions, context: Context): string | undefined {
  if (opts.allProjects) {
    if (opts.project) throw new CliError('use either -p/--project or -A/--all-projects, not both');
    return undefined;
  }
  return opts.project ?? context.project;
}

export function addScopeOptions(cmd: Command): Command {
  return cmd
    .option('-p, --project <name>', 'project to work in (default: the context\'s project)')
    .option('-A, --all-projects', 'every project you can see');
}
