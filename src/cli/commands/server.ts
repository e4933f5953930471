// `weft server`: the same control plane for production, on PostgreSQL ($WEFT_DATABASE_URL or
// --database-url). Without a database URL it falls back to the embedded store in --data-dir.
import { Command } from 'commander';
import { serverConfig, startServerProcess, stopOnSignal, withServerOptions } from '../serve.js';

export function serverCommand(): Command {
  return withServerOptions(new Command('server'), 'server')
    .description('run the control plane on PostgreSQL (production); Ctrl-C or SIGTERM stops it')
    .action(async (opts: Record<string, unknown>) => {
      const config = serverConfig('server', opts);
      const { databaseUrl, dataDir } = config;
      const server = await startServerProcess(config);
      const out = [
        `Weft server listening on ${server.url} (${databaseUrl ? `PostgreSQL at ${redact(databaseUrl)}` : `embedded database in ${dataDir}`}).`,
      ];
      if (server.bootstrapToken) {
        out.push(
          `Bootstrap admin token for user "${server.adminUser}" (shown only this once; store it safely):`,
          `  ${server.bootstrapToken}`,
          `Log in with: weft login ${server.url} --token ${server.bootstrapToken}`,
        );
      }
      console.log(out.join('\n'));
      await stopOnSignal(server);
    });
}

/** Never echo a database password into logs. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<database URL>';
  }
}
