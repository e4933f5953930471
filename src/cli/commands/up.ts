// `weft up`: the control plane on this machine with the embedded database in ./.weft. On first
// start it prints the bootstrap admin token once and saves it as context "local", so the same
// user's `weft` commands work right away.
import { Command } from 'commander';
import { WeftClient } from '../../client/index.js';
import { configPath, loadConfig, saveConfig, upsertContext } from '../config.js';
import { weftCommand } from '../invocation.js';
import { serverConfig, startServerProcess, stopOnSignal, withServerOptions } from '../serve.js';

export const LOCAL_CONTEXT = 'local';

export function upCommand(): Command {
  return withServerOptions(new Command('up'), 'up')
    .description('start the control plane here, with an embedded database (Ctrl-C stops it)')
    .action(async (opts: Record<string, unknown>) => {
      const config = serverConfig('up', opts);
      const server = await startServerProcess(config);
      const weft = weftCommand();
      const out = [
        `Weft is up (embedded database in ${config.dataDir}).`,
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
