// Serves the web console (built by Vite into dist/web): index.html at `/`, hashed assets under
// `/assets/`. The console signs in with a bearer token like any client, so its static files are
// public; nothing here shadows the API, the health probes or /metrics.
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** dist/web, from src/api (tests) and dist/api (the built server) alike. */
export const DEFAULT_CONSOLE_ROOT = fileURLToPath(new URL('../../dist/web', import.meta.url));

const CONSOLE_FILES = new Set(['/', '/index.html', '/favicon.svg']);

/** Paths the console serves without a token (the app itself; its API calls carry one). */
export function isConsolePath(path: string): boolean {
  return CONSOLE_FILES.has(path) || path.startsWith('/assets/') || path === '/ui' || path.startsWith('/ui/');
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Weft console not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>The Weft console was not built</h1>
<p>The API is running (<a href="/api/openapi.json">/api/openapi.json</a>), but this installation has no
console assets. Build them with <code>npm run build</code> (or <code>npx vite build --config web/vite.config.ts</code>)
and restart the server.</p>
</body></html>
`;

export function registerConsole(app: FastifyInstance, opts: { root?: string } = {}): void {
  const root = opts.root ?? DEFAULT_CONSOLE_ROOT;
  const built = existsSync(join(root, 'index.html'));
  const sendIndex = async (_req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    if (!built) return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
    // index.html names the hashed assets of the current build: always revalidate it.
    return reply.header('cache-control', 'no-cache').sendFile('index.html', root, { cacheControl: false });
  };
  // One encapsulated plugin, so reply.sendFile exists exactly where these routes need it.
  app.register(async (scope) => {
    if (built) await registerAssets(scope, root);
    scope.get('/', sendIndex);
    scope.get('/index.html', sendIndex);
    // Deep links (/ui/workloads/…) load the app, which routes on the client.
    scope.get('/ui', sendIndex);
    scope.get('/ui/*', sendIndex);
  });
}

async function registerAssets(app: FastifyInstance, root: string): Promise<void> {
  {
    await app.register(fastifyStatic, {
      root: join(root, 'assets'),
      prefix: '/assets/',
      decorateReply: true,
      index: false,
      // File names carry a content hash, so a cached copy never goes stale.
      maxAge: '365d',
      immutable: true,
    });
    if (existsSync(join(root, 'favicon.svg'))) app.get('/favicon.svg', (_req, reply) => reply.sendFile('favicon.svg', root, { maxAge: '1d', immutable: false }));
  }
}
