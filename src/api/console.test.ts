import Fastify, { type FastifyInstance } from 'fastify';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConsolePath, registerConsole } from './console.js';

describe('console assets', () => {
  let dir: string;
  let built: FastifyInstance;
  let bare: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-console-'));
    mkdirSync(join(dir, 'web', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'web', 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(dir, 'web', 'assets', 'index-abc123.js'), 'console.log(1)');
    built = Fastify();
    registerConsole(built, { root: join(dir, 'web') });
    built.get('/api/v1/things', async () => ({ api: true }));
    bare = Fastify();
    registerConsole(bare, { root: join(dir, 'missing') });
    await Promise.all([built.ready(), bare.ready()]);
  });

  afterAll(async () => {
    await Promise.all([built?.close(), bare?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html at / and for client routes under /ui/, always revalidated', async () => {
    for (const url of ['/', '/index.html', '/ui', '/ui/workloads/Job/p/n']) {
      const res = await built.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toContain('<div id="root">');
      expect(res.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves hashed assets as immutable and 404s unknown ones', async () => {
    const res = await built.inject({ url: '/assets/index-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toContain('immutable');
    expect((await built.inject({ url: '/assets/nope.js' })).statusCode).toBe(404);
  });

  it('never shadows the API', async () => {
    expect((await built.inject({ url: '/api/v1/things' })).json()).toEqual({ api: true });
    expect((await built.inject({ url: '/api/v1/unknown' })).statusCode).toBe(404);
  });

  it('says how to build the console when it was not built', async () => {
    const res = await bare.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('console was not built');
    expect(res.body).toContain('vite build --config web/vite.config.ts');
  });

  it('exempts only the console files from authentication', () => {
    for (const p of ['/', '/index.html', '/favicon.svg', '/assets/x.js', '/ui', '/ui/fleet']) expect(isConsolePath(p), p).toBe(true);
    for (const p of ['/api/v1/nodes', '/metrics', '/readyz', '/uix', '/assetsx', '/api/v1/ui/x']) expect(isConsolePath(p), p).toBe(false);
  });
});
