// What the CLI does without a server: clear messages, right exit codes, no stack traces.
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, sandbox, type Sandbox } from './helpers.js';

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((done) => srv.listen(0, '127.0.0.1', done));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((done) => srv.close(() => done()));
  return port;
}

describe('weft without a server', () => {
  let box: Sandbox;
  beforeAll(() => {
    assertBuilt();
    box = sandbox();
  });
  afterAll(() => box.cleanup());

  it('says the server cannot be reached', async () => {
    const server = `http://127.0.0.1:${await closedPort()}`;
    const res = await box.weft(['get', 'nodes'], { env: { WEFT_SERVER: server, WEFT_TOKEN: 'x' } });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`error: cannot reach the Weft server at ${server}: connection refused (is \`weft up\` running?)\n`);
  });

  it('weft version says why it cannot tell the server\'s version', async () => {
    const server = `http://127.0.0.1:${await closedPort()}`;
    const res = await box.weft(['version'], { env: { WEFT_SERVER: server, WEFT_TOKEN: 'x' } });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^weft \\d+\\.\\d+\\.\\d+\\nserver ${server}: not reachable \\(connection refused`));
  });

  it('without any context, says how to get one', async () => {
    const res = await box.weft(['get', 'nodes']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/run `npx weft up`, `npx weft login SERVER --token TOKEN`, or set WEFT_SERVER/);
  });

  it('reports usage errors with exit code 2', async () => {
    expect((await box.weft(['get'])).code).toBe(2);
    expect((await box.weft(['frobnicate'])).code).toBe(2);
    const help = await box.weft(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
  });

  it('refuses bad server settings before opening anything, naming where each came from', async () => {
    const policy = await box.weft(['up', '--policy', 'fastest', '--port', '0']);
    expect(policy.code).toBe(2);
    expect(policy.stderr).toMatch(/^error: --policy: unknown policy "fastest"; policies: random, spread, .*, weft\n$/);
    writeFileSync(join(box.dir, 'server.yaml'), 'policy: best-fit\nport: many\n');
    const file = await box.weft(['server', '--config', 'server.yaml']);
    expect(file.code).toBe(2);
    expect(file.stderr).toBe(`error: port (in ${join(box.dir, 'server.yaml')}): must be 0-65535, got "many"\n`);
    expect(existsSync(join(box.dir, '.weft'))).toBe(false);
  });

  it('checks manifests before contacting the server', async () => {
    const res = await box.weft(['apply', '-f', '-'], { input: 'kind: Job\nmetadata: { name: a\n' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: <stdin>:\d+:\d+: not valid YAML or JSON/);
  });

  it('manages contexts: login --no-verify, get-contexts, use-context, set-project', async () => {
    expect((await box.weft(['login', 'http://weft.example:7070', '--token', 't1', '--no-verify', '--context', 'prod'])).code).toBe(0);
    expect((await box.weft(['login', 'http://127.0.0.1:7070', '--token', 't2', '--no-verify'])).code).toBe(0);
    const list = await box.weft(['config', 'get-contexts']);
    expect(list.stdout).toMatch(/^\*\s+127\.0\.0\.1:7070\s+http:\/\/127\.0\.0\.1:7070\s*$/m);
    expect(list.stdout).toMatch(/^\s+prod\s+http:\/\/weft\.example:7070\s*$/m);
    expect((await box.weft(['config', 'use-context', 'prod'])).code).toBe(0);
    expect((await box.weft(['config', 'set-project', 'vision'])).code).toBe(0);
    expect((await box.weft(['login', '--list'])).stdout).toMatch(/^\*\s+prod\s+http:\/\/weft\.example:7070\s+vision$/m);
    const missing = await box.weft(['config', 'use-context', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no context named "nope"/);
  });
});
