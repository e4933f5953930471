// `weft server`: the same control plane for production, on PostgreSQL ($WEFT_DATABASE_URL or
// --database-url). Without a database URL it falls back to the embedded store in --data-dir.
import { resolve } from 'node:path';
import { Command } from 'commander';
import { parseAuditOptions, parseNodeTimeouts, parsePort, parseRate, startControlPlane, stopOnSignal, withAuditOptions, withNodeTimeoutOptions, type AuditFlags } from '../serve.js';

interface ServerOptions extends AuditFlags {
  databaseUrl?: string;
  dataDir: string;
  port: string;
  host: string;
  logLevel: string;
  simFailureRate: string;
  nodeNotReadyAfter: string;
  nodeLostAfter: string;
}

export function serverCommand(): Command {
  return withAuditOptions(withNodeTimeoutOptions(new Command('server')))
    .description('run the control plane on PostgreSQL (production); Ctrl-C or SIGTERM stops it')
    .option('--database-url <url>', 'PostgreSQL URL (default: $WEFT_DATABASE_URL)')
    .option('--data-dir <dir>', 'embedded database directory, used only without a database URL', '.weft')
    .option('--port <port>', 'HTTP port (0 picks a free one)', '7070')
    .option('--host <host>', 'address to listen on (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--log-level <level>', 'fatal | error | warn | info | debug (JSON logs on stderr)', 'info')
    .option('--sim-failure-rate <p>', 'probability (0-1) that a replica on a simulated node fails', '0')
    .action(async (opts: ServerOptions) => {
      const databaseUrl = opts.databaseUrl ?? process.env.WEFT_DATABASE_URL;
      const dataDir = resolve(opts.dataDir);
      const server = await startControlPlane({ databaseUrl, dataDir, port: parsePort(opts.port), host: opts.host, logLevel: opts.logLevel, simFailureRate: parseRate(opts.simFailureRate), ...parseNodeTimeouts(opts), ...parseAuditOptions(opts) });
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
