// Where a VM's serial console is, and the subprotocols a browser offers to authenticate its
// WebSocket (model/console-protocol.ts). No Node-only imports: the web console uses this as is.
import { BEARER_PROTOCOL_PREFIX, CONSOLE_PROTOCOL } from '../model/console-protocol.js';

/** The API path of a VM's serial console. */
export function vmConsolePath(project: string, name: string): string {
  return `/api/v1/projects/${encodeURIComponent(project)}/virtualmachines/${encodeURIComponent(name)}/console`;
}

/** The subprotocols a browser offers: the console's first, then its token. */
export function browserConsoleProtocols(token: string): string[] {
  return [CONSOLE_PROTOCOL, `${BEARER_PROTOCOL_PREFIX}${token}`];
}
