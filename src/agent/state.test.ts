import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceEnv, gpuShareOf, replicaEnv, visibleDevices } from './drivers/env.js';
import { cgroupsV2Available } from './discovery/os.js';
import { wholeCharacters } from './logs.js';
import { StateDir, type ReplicaRecord } from './state.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function state(): StateDir {
  const d = mkdtempSync(join(tmpdir(), 'weft-agent-state-'));
  dirs.push(d);
  return new StateDir(d);
}

const record = (uid: string): ReplicaRecord => ({
  uid,
  project: 'p',
  allocation: 'a',
  workload: { kind: 'Job', name: 'w', uid: 'w1' },
  replica: 0,
  attempt: 0,
  createdAt: new Date().toISOString(),
});

describe('state directory', () => {
  it('claims a replica once: a second claim of the same allocation is refused', () => {
    const s = state();
    expect(s.claim(record('u1'))).toBe(true);
    expect(s.claim(record('u1'))).toBe(false);
    expect(s.records().map((r) => r.uid)).toEqual(['u1']);
  });

  it('keeps the node credential readable by its owner only', () => {
    const s = state();
    s.saveCredential({ name: 'n1', server: 'http://127.0.0.1:1', token: 'weft_x' });
    expect(statSync(s.credentialPath).mode & 0o777).toBe(0o600);
    expect(s.loadCredential()).toEqual({ name: 'n1', server: 'http://127.0.0.1:1', token: 'weft_x' });
  });
});

describe('replica environment', () => {
  const id = { project: 'p', workloadKind: 'Job', workload: 'w', replica: 1, attempt: 2, allocation: 'w-a2-r1', node: 'n1' };
  const rendezvous = { worldSize: 4, masterAddr: '10.0.0.5', masterPort: 29600, localRank: 1 };

  it('sets identity and torchrun rendezvous, over whatever the workload says', () => {
    const env = replicaEnv({
      workloadEnv: [{ name: 'RANK', value: '9' }, { name: 'LR', value: '0.1' }],
      id,
      rendezvous,
    });
    expect(env).toMatchObject({
      LR: '0.1',
      WEFT_PROJECT: 'p',
      WEFT_WORKLOAD_KIND: 'Job',
      WEFT_WORKLOAD: 'w',
      WEFT_REPLICA: '1',
      WEFT_ATTEMPT: '2',
      WEFT_ALLOCATION: 'w-a2-r1',
      WEFT_NODE: 'n1',
      MASTER_ADDR: '10.0.0.5',
      MASTER_PORT: '29600',
      WORLD_SIZE: '4',
      RANK: '1',
      LOCAL_RANK: '1',
    });
    expect(env.PORT).toBeUndefined();
  });

  it('names the GPUs it holds, and hides every GPU from a replica that holds none', () => {
    expect(deviceEnv(['GPU-a', 'GPU-b'])).toEqual({ CUDA_VISIBLE_DEVICES: 'GPU-a,GPU-b', NVIDIA_VISIBLE_DEVICES: 'GPU-a,GPU-b', WEFT_GPU_SHARE: '1' });
    expect(deviceEnv([])).toEqual({ CUDA_VISIBLE_DEVICES: '', NVIDIA_VISIBLE_DEVICES: 'void', WEFT_GPU_SHARE: '0' });
    expect(deviceEnv(['GPU-a'], 0.25)).toEqual({ CUDA_VISIBLE_DEVICES: 'GPU-a', NVIDIA_VISIBLE_DEVICES: 'GPU-a', WEFT_GPU_SHARE: '0.25' });
  });

  it('names MIG slices by their MIG device UUID', () => {
    const gpus = [
      { index: 0, uuid: 'GPU-0', model: 'A100-80GB', milli: 428, mig: { profile: '3g.40gb', start: 0, size: 4 } },
      { index: 1, uuid: 'GPU-1', model: 'A100-80GB', milli: 1000 },
    ];
    expect(visibleDevices(gpus, (g) => (g.mig ? 'MIG-abc' : undefined))).toEqual(['MIG-abc', 'GPU-1']);
  });

  it('tells a time-sliced share its fraction; whole GPUs and MIG slices are not shares', () => {
    expect(gpuShareOf([{ index: 2, model: 'H100-80GB', milli: 250 }])).toBe(0.25);
    expect(gpuShareOf([{ index: 2, model: 'H100-80GB', milli: 1000 }])).toBeUndefined();
    expect(gpuShareOf([{ index: 0, model: 'A100-80GB', milli: 428, mig: { profile: '3g.40gb', start: 0, size: 4 } }])).toBeUndefined();
    expect(gpuShareOf([])).toBeUndefined();
  });
});

describe('log chunks', () => {
  it('never end in the middle of a UTF-8 character', () => {
    const euro = Buffer.from('a€', 'utf8'); // 61 e2 82 ac
    expect(wholeCharacters(euro.subarray(0, 3)).toString()).toBe('a');
    expect(wholeCharacters(euro.subarray(0, 2)).toString()).toBe('a');
    expect(wholeCharacters(euro).toString()).toBe('a€');
    expect(wholeCharacters(Buffer.from('line\n')).toString()).toBe('line\n');
  });
});

describe('cgroups v2 detection', () => {
  it('needs a cgroup2 root offering both cpu and memory, writable', () => {
    const root = join(state().root, 'cg');
    mkdirSync(root);
    expect(cgroupsV2Available(root)).toBe(false); // no cgroup.controllers: not cgroup v2
    writeFileSync(join(root, 'cgroup.controllers'), 'cpuset io pids\n');
    writeFileSync(join(root, 'cgroup.subtree_control'), '');
    expect(cgroupsV2Available(root)).toBe(false);
    writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    expect(cgroupsV2Available(root)).toBe(true);
  });
});
