// `weft up`: the control plane on this machine with the embedded database in ./.weft. On first
// start it prints the bootstrap admin token once and saves it as context "local", so the same
// user's `weft` commands work right away.
import { resolve } from 'node:path';
import { Command } from 'commander';
import { WeftClient } from '../../client/index.js';
import { configPath, loadConfig, saveConfig, upsertContext } from '../config.js';
import { weftCommand } from '../invocation.js';
import { parseAuditOptions, parseNodeTimeouts, parsePort, parseRate, startControlPlane, stopOnSignal, withAuditOptions, withNodeTimeoutOptions, type AuditFlags } from '../serve.js';

export const LOCAL_CONTEXT = 'local';

interface UpOptions extends AuditFlags {
  dataDir: string;
  port: string;
  host: string;
  newAdminToken?: boolean;
  demo?: boolean;
  simFailureRate: string;
  nodeNotReadyAfter: string;
  nodeLostAfter: string;
}

export function upCommand(): Command {
  return withAuditOptions(withNodeTimeoutOptions(new Command('up')))
    .description('start the control plane here, with an embedded database (Ctrl-C stops it)')
    .option('--data-dir <dir>', 'where the embedded database lives', '.weft')
    .option('--port <port>', 'HTTP port (0 picks a free one)', '7070')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--new-admin-token', 'issue a new admin token and save it as context "local" (if the saved one was lost)')
    .option('--demo', 'register a simulated fleet (2 sites, 40 nodes, 320 GPUs) whose workloads "run" without GPUs')
    .option('--sim-failure-rate <p>', 'probability (0-1) that a simulated replica fails instead of succeeding', '0')
    .action(async (opts: UpOptions) => {
      const dataDir = resolve(opts.dataDir);
      const server = await startControlPlane({
        dataDir,
        port: parsePort(opts.port),
        host: opts.host,
        newAdminToken: opts.newAdminToken,
        logLevel: process.env.WEFT_LOG_LEVEL ?? 'warn',
        demo: opts.demo,
        simFailureRate: parseRate(opts.simFailureRate),
        ...parseNodeTimeouts(opts), ...parseAuditOptions(opts),
      });
      const weft = weftCommand();
      const out = [
        `Weft is up (embedded database in ${dataDir}).`,
        `  Console:  ${server.url}/`,
        `  API:      ${server.url}/api/v1`,
        `  OpenAPI:  ${server.url}/api/openapi.json`,
        '',
      ];
      let cfg = loadConfig();
      if (server.bootstrapToken) {
        saveConfig(upsertContext(cfg, { name: LOCAL_CONTEXT, server: server.url, token: server.bootstrapToken }, true));
        out.push(
          `Admin token for user "${server.adminUser}" (shown only this once; saved as context "${LOCAL_CONTEXT}" in ${configPath()}):`,
          `  ${server.bootstrapToken}`,
        );
      } else {
        const local = cfg.contexts.find((c) => c.name === LOCAL_CONTEXT);
        if (local?.token) {
          // The port may differ from last time; keep the saved credential pointing here.
          if (local.server !== server.url) {
            cfg = upsertContext(cfg, { ...local, server: server.url }, false);
            saveConfig(cfg);
          }
          const ok = await new WeftClient({ server: server.url, token: local.token }).whoami().then(
            () => true,
            () => false,
          );
          out.push(
            ok
              ? `Using the existing admin credential saved as context "${LOCAL_CONTEXT}" in ${configPath()}.`
              : `The credential saved as context "${LOCAL_CONTEXT}" in ${configPath()} is not valid for this data directory; restart with \`${weft} up --new-admin-token\` to replace it.`,
          );
        } else {
          out.push(
            `This data directory was initialised before; its admin token was printed on that first start.`,
            `Log in with it (${weft} login ${server.url} --token …), or restart with \`${weft} up --new-admin-token\`.`,
          );
        }
      }
      if (server.demo) {
        out.push('', `Simulated fleet: ${server.demo.nodes} nodes, ${server.demo.gpus} GPUs (label weft.dev/simulated=true); jobs on it "run" without GPUs.`);
        out.push(`Next: ${weft} apply -f examples/tour/   then   ${weft} get jobs -A -w`);
      } else {
        out.push('', `No GPUs here? Restart with \`${weft} up --demo\` (or \`npm start -- --demo\`) for a simulated fleet to run the tour on.`);
      }
      out.push('', `Try: ${weft} get nodes        (in another terminal; Ctrl-C here stops Weft)`);
      console.log(out.join('\n'));
      await stopOnSignal(server);
    });
}
