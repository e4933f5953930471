// WebSockets to the API with a client's credentials (a VM's interactive console), for Node only:
// the console in the browser opens its own.
import WebSocket from 'ws';
import type { WeftClient } from './client.js';
import { WeftApiError } from './errors.js';

/** Opens a WebSocket to an API path; rejects with the server's problem when it refuses the upgrade. */
export function openSocket(client: WeftClient, path: string): Promise<WebSocket> {
  const ws = new WebSocket(`${client.server.replace(/^http/, 'ws')}${path}`, { headers: client.socketHeaders() });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('utf8')));
      res.on('end', () => {
        let problem: { detail?: string; title?: string; code?: string } = {};
        try {
          problem = JSON.parse(body) as typeof problem;
        } catch {
          problem = { detail: body || `HTTP ${res.statusCode}` };
        }
        reject(new WeftApiError(res.statusCode ?? 0, problem, 'GET', path));
      });
    });
    ws.once('error', reject);
  });
}

export { vmConsolePath } from './console-path.js';

/** The API path a node agent attaches a console session on. */
export function agentConsolePath(project: string, allocation: string, session: string): string {
  return `/api/v1/projects/${encodeURIComponent(project)}/allocations/${encodeURIComponent(allocation)}/console/${encodeURIComponent(session)}`;
}
