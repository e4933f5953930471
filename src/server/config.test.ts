// ServerConfig from its three sources: flags over environment over file over defaults, and every
// bad value refused naming where it came from.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { POLICY_NAMES } from '../scheduler/index.js';
import { loadServerConfig, ServerConfigError, type ConfigSources } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function load(src: Partial<ConfigSources> = {}) {
  return loadServerConfig({ command: 'server', env: {}, cwd: '/srv/weft', ...src });
}

function refusal(src: Partial<ConfigSources>): ServerConfigError {
  try {
    load(src);
  } catch (e) {
    expect(e).toBeInstanceOf(ServerConfigError);
    return e as ServerConfigError;
  }
  throw new Error('the configuration was accepted');
}

describe('server configuration', () => {
  it('has defaults for every setting', () => {
    expect(load()).toEqual({
      dataDir: '/srv/weft/.weft',
      auditDir: '/srv/weft/.weft-audit',
      host: '127.0.0.1',
      port: 7070,
      logLevel: 'info',
      policy: 'weft',
      newAdminToken: false,
      demo: false,
      simFailureRate: 0,
      nodeNotReadyAfterMs: 40_000,
      nodeLostAfterMs: 60_000,
      auditCheckpointMs: 60_000,
      mcpReadOnly: false,
      eventTtlMs: 3_600_000,
      networkPool: '10.128.0.0/16',
      imageUploadMaxBytes: 64 * 1024 ** 3,
    });
    expect(load({ env: { WEFT_MCP_READ_ONLY: 'yes' } }).mcpReadOnly).toBe(true);
    expect(load({ env: { WEFT_NETWORK_POOL: '172.20.0.0/14' } }).networkPool).toBe('172.20.0.0/14');
    expect(() => load({ env: { WEFT_NETWORK_POOL: '172.20.0.1/14' } })).toThrow(/WEFT_NETWORK_POOL: .*host bits/);
    expect(load({ env: { WEFT_IMAGE_UPLOAD_LIMIT: '500Mi', WEFT_IMAGE_DIR: 'disks' } })).toMatchObject({ imageUploadMaxBytes: 500 * 1024 ** 2, imageDir: expect.stringMatching(/\/disks$/) });
    // `weft up` is interactive: it logs only warnings unless asked.
    expect(load({ command: 'up' }).logLevel).toBe('warn');
  });

  it('takes a flag over the environment, the environment over the file', () => {
    const f = file('layers.yaml', 'policy: spread\nport: 8000\nhost: 0.0.0.0\nnodeNotReadyAfter: 2m\ndataDir: state\n');
    const fromFile = load({ configFile: f });
    expect(fromFile).toMatchObject({ policy: 'spread', port: 8000, host: '0.0.0.0', nodeNotReadyAfterMs: 120_000 });
    // A relative path in the file is relative to the file; on the command line, to the working directory.
    expect(fromFile.dataDir).toBe(join(dir, 'state'));
    const env = { WEFT_POLICY: 'binpack', WEFT_PORT: '9000', WEFT_SERVER_CONFIG: f };
    expect(load({ env })).toMatchObject({ policy: 'binpack', port: 9000, host: '0.0.0.0' });
    expect(load({ env, flags: { policy: 'fgd', dataDir: 'here' } })).toMatchObject({ policy: 'fgd', port: 9000, dataDir: '/srv/weft/here' });
  });

  it('accepts every scheduler policy and refuses an unknown one, naming the flag and listing them', () => {
    for (const p of POLICY_NAMES) expect(load({ flags: { policy: p } }).policy).toBe(p);
    const e = refusal({ flags: { policy: 'fastest' } });
    expect(e.message).toBe(`--policy: unknown policy "fastest"; policies: ${POLICY_NAMES.join(', ')}`);
    expect(e.issues).toEqual([{ field: '--policy', message: expect.stringContaining('unknown policy') }]);
    expect(refusal({ env: { WEFT_POLICY: 'fastest' } }).source).toBe('WEFT_POLICY');
  });

  it('names the source of each bad value', () => {
    expect(refusal({ flags: { port: '70000' } }).message).toBe('--port: must be 0-65535, got "70000"');
    expect(refusal({ flags: { simFailureRate: '2' } }).message).toBe('--sim-failure-rate: must be between 0 and 1, got "2"');
    expect(refusal({ flags: { nodeLostAfter: '0s' } }).message).toBe('--node-lost-after: must be longer than 0, got "0s"');
    expect(refusal({ flags: { nodeNotReadyAfter: 'soon' } }).message).toMatch(/^--node-not-ready-after: "soon" is not a duration/);
    expect(refusal({ env: { WEFT_DATABASE_URL: 'mysql://x' } }).message).toBe('WEFT_DATABASE_URL: the database URL must start with postgres:// or postgresql://');
    expect(refusal({ flags: { logLevel: 'loud' } }).source).toBe('--log-level');
    const bad = file('bad-port.yaml', 'port: many\n');
    expect(refusal({ configFile: bad }).message).toBe(`port (in ${bad}): must be 0-65535, got "many"`);
  });

  it('refuses a config file that is missing, not a mapping, or names an unknown or foreign setting', () => {
    expect(refusal({ configFile: join(dir, 'absent.yaml') }).message).toMatch(/absent\.yaml: no such file$/);
    expect(refusal({ configFile: file('list.yaml', '- port: 1\n') }).message).toMatch(/must be a mapping of settings/);
    const typo = file('typo.yaml', 'polcy: weft\n');
    expect(refusal({ configFile: typo }).message).toMatch(new RegExp(`^polcy \\(in ${typo}\\): unknown setting; settings: .*policy`));
    // The demo fleet is `weft up`'s; a production server's file may not ask for it.
    expect(refusal({ configFile: file('demo.yaml', 'demo: true\n') }).message).toMatch(/demo .*not a setting of `weft server`/);
    expect(load({ command: 'up', configFile: file('demo-up.yaml', 'demo: true\nsimFailureRate: 0.2\n') })).toMatchObject({ demo: true, simFailureRate: 0.2 });
    expect(refusal({ configFile: file('nested.yaml', 'port: { value: 1 }\n') }).message).toMatch(/must be a single value/);
  });

  it('keeps the embedded database in memory when asked', () => {
    expect(load({ flags: { dataDir: 'memory://' } }).dataDir).toBe('memory://');
  });
});
