// Start-up order of a server process: it listens before the control plane has started, and
// /readyz answers 503 (naming why) until it has, then 200.
import { afterAll, describe, expect, it } from 'vitest';
import { createServer } from '../api/server.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { startControlPlane, type RunningServer } from './serve.js';

describe('readiness while starting', () => {
  let store: Store | undefined;
  let running: RunningServer | undefined;
  afterAll(async () => {
    await running?.stop();
    await store?.close();
  });

  it('/readyz is 503 with the reason while the process is starting, 200 once it is not', async () => {
    store = await openStore();
    let waiting: string | undefined = 'the control plane is starting';
    const app = createServer({ store, notReady: () => waiting });
    try {
      const before = await app.inject({ method: 'GET', url: '/readyz' });
      expect(before.statusCode).toBe(503);
      expect(before.headers['content-type']).toContain('application/problem+json');
      expect(before.json().detail).toBe('the control plane is starting');
      // Liveness and the API do not wait for readiness.
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      waiting = undefined;
      const after = await app.inject({ method: 'GET', url: '/readyz' });
      expect(after.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('a started control plane is ready', async () => {
    running = await startControlPlane({ port: 0, host: '127.0.0.1', logLevel: 'silent' });
    const res = await fetch(`${running.url}/readyz`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});
