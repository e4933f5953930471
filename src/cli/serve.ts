// `weft up` and `weft server` run a server in this process. The CLI only declares their flags
// (from the server's settings table) and hands what it parsed to the server, which builds its
// configuration from flags, environment and config file (src/server/config.ts) and assembles
// itself. The server's modules are loaded only when one of these commands runs.
import type { Command } from 'commander';
import { defaultOf, loadServerConfig, ServerConfigError, settingsOf, type ServerCommand, type ServerConfig } from '../server/config.js';
import type { RunningWeft } from '../server/start.js';
import { CliError, EXIT } from './errors.js';

export type { RunningWeft } from '../server/start.js';

/** Adds every setting the command has as a flag, plus --config. */
export function withServerOptions<T extends Command>(cmd: T, command: ServerCommand): T {
  for (const s of settingsOf(command)) {
    const def = defaultOf(command, s.key);
    const env = s.env ? `env: ${s.env}` : undefined;
    const dflt = s.arg && def !== undefined ? `default: ${String(def)}` : undefined;
    const extra = [env, dflt].filter(Boolean).join('; ');
    cmd.option(s.arg ? `${s.flag} ${s.arg}` : s.flag, extra ? `${s.help} (${extra})` : s.help);
  }
  cmd.option('--config <file>', 'server settings file (YAML: one key per flag, e.g. `policy: best-fit`; env: WEFT_SERVER_CONFIG); flags and environment override it');
  return cmd;
}

/** The configuration the parsed flags, the environment and the config file give; bad values are usage errors. */
export function serverConfig(command: ServerCommand, flags: Record<string, unknown>): ServerConfig {
  try {
    const { config, ...rest } = flags;
    return loadServerConfig({ command, flags: rest, configFile: typeof config === 'string' ? config : undefined });
  } catch (e) {
    if (e instanceof ServerConfigError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
}

export async function startServerProcess(config: ServerConfig): Promise<RunningWeft> {
  const { startWeftServer } = await import('../server/start.js');
  return startWeftServer(config);
}

/** Keeps the process serving until SIGINT/SIGTERM, then shuts down cleanly. */
export function stopOnSignal(server: RunningWeft): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) {
        process.exit(130); // a second Ctrl-C: do not wait any longer
      }
      stopping = true;
      console.error('\nweft: shutting down…');
      server.stop().then(resolve, (err: unknown) => {
        console.error(`weft: error while shutting down: ${(err as Error).message}`);
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    void server.fatal.then((err) => {
      // Nothing can be stored or flushed any more: say why and stop at once, rather than serve
      // errors about missing files for ever.
      console.error(`weft: ${err.message}; stopping`);
      process.exit(1);
    });
  });
}
