// `weft version`: this CLI's version, and the version of the current context's server (or why
// it could not be asked).
import { Command } from 'commander';
import { WeftApiError, WeftConnectionError, type WeftClient } from '../../client/index.js';
import { loadConfig } from '../config.js';
import { connect } from '../connect.js';
import { VERSION } from '../version.js';

export function versionCommand(): Command {
  return new Command('version')
    .description('print the version of this CLI and of the server it talks to, if any')
    .action(async (_opts: unknown, self: Command) => {
      console.log(`weft ${VERSION}`);
      if (!process.env.WEFT_SERVER && loadConfig().contexts.length === 0) return;
      let client: WeftClient;
      try {
        client = connect(self).client;
      } catch {
        return; // no usable context: the client version alone is the answer
      }
      console.log(`server ${client.server}: ${await serverVersion(client)}`);
    });
}

async function serverVersion(client: WeftClient): Promise<string> {
  try {
    const v = await client.version();
    return `weft ${v.version} (API ${v.apiVersion})`;
  } catch (err) {
    if (err instanceof WeftConnectionError) return `not reachable (${err.message.replace(/^cannot reach the Weft server at \S+: /, '')})`;
    if (err instanceof WeftApiError && err.status === 404) return 'reachable; it does not report its version';
    if (err instanceof WeftApiError && err.status === 401) return `reachable; its version needs a valid token (${err.detail})`;
    return `reachable; its version could not be read (${err instanceof Error ? err.message : String(err)})`;
  }
}
