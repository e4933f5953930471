// Which server, token and project a command uses. WEFT_SERVER, WEFT_TOKEN and WEFT_PROJECT each
// override their part of the configured context (--context, $WEFT_CONTEXT or the config's
// current one), for scripts and CI. A saved token is only ever sent to the server it was saved
// for: with WEFT_SERVER naming another server and no WEFT_TOKEN, the command goes without one.
import type { Command } from 'commander';
import { WeftClient } from '../client/index.js';
import { configPath, loadConfig, type Context } from './config.js';
import { CliError } from './errors.js';
import { weftCommand } from './invocation.js';
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

const sameServer = (a: string, b: string): boolean => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** The configured context, or undefined when there is none and the environment names a server. */
function configuredContext(cmd: Command, required: boolean): Context | undefined {
  const globals = cmd.optsWithGlobals<{ context?: string }>();
  const cfg = loadConfig();
  const name = globals.context ?? process.env.WEFT_CONTEXT ?? cfg.currentContext;
  if (!name) {
    if (!required) return undefined;
    throw new CliError(`no server configured (${configPath()} has no current context): run \`${weftCommand()} up\`, \`${weftCommand()} login SERVER --token TOKEN\`, or set WEFT_SERVER`);
  }
  const context = cfg.contexts.find((c) => c.name === name);
  if (!context) throw new CliError(`no context named "${name}" in ${configPath()}; see \`${weftCommand()} config get-contexts\``);
  return context;
}

/** The context a command runs with: the configured one with the environment's overrides applied. */
export function effectiveContext(cmd: Command): Context {
  const env = { server: process.env.WEFT_SERVER || undefined, token: process.env.WEFT_TOKEN || undefined, project: process.env.WEFT_PROJECT || undefined };
  // With both server and token given, the config is not read at all (a script needs none).
  const base = env.server && env.token ? undefined : configuredContext(cmd, !env.server);
  const server = env.server ?? base!.server;
  const saved = base && sameServer(base.server, server) ? base : undefined;
  const token = env.token ?? saved?.token;
  const project = env.project ?? saved?.project;
  const overridden = env.server !== undefined || env.token !== undefined || env.project !== undefined;
  return {
    name: overridden ? '(environment)' : base!.name,
    server,
    ...(token !== undefined ? { token } : {}),
    ...(project !== undefined ? { project } : {}),
  };
}

export function connect(cmd: Command): Connection {
  const context = effectiveContext(cmd);
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
