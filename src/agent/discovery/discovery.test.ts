import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFakeGpus } from './fake-gpus.js';
import { catalogModel, parseNvidiaSmi } from './nvidia-smi.js';
import { parseUtilization } from './os.js';
import { parseTopoMatrix } from './topo.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const MIB = 1024 * 1024;

describe('nvidia-smi -q -x', () => {
  it('reads an A100-80GB with MIG enabled, its instances, UUIDs and placements', () => {
    const gpus = parseNvidiaSmi({ xml: fixture('a100-80gb-mig.xml'), list: fixture('a100-80gb-mig.list.txt'), gpuInstances: fixture('a100-80gb-mig.lgi.txt') });
    expect(gpus).toHaveLength(2);
    expect(gpus[0]).toMatchObject({ index: 0, uuid: 'GPU-5a7f3c1e-8d2b-4b5e-9f0a-1c2d3e4f5a6b', model: 'A100-80GB', memoryBytes: 81920 * MIB, migEnabled: true });
    expect(gpus[0]!.migInstances).toEqual([
      { profile: '3g.40gb', uuid: 'MIG-4f6e2a10-3b1c-5d7e-8f90-a1b2c3d4e5f6', start: 0, size: 4 },
      { profile: '1g.10gb', uuid: 'MIG-9c8b7a65-4321-5fed-cba9-876543210fed', start: 6, size: 1 },
    ]);
    expect(gpus[1]).toMatchObject({ index: 1, model: 'A100-80GB', migEnabled: false });
    expect(gpus[1]!.migInstances).toBeUndefined();
  });

  it('reads H100 SXM GPUs and their NVLink peers from topo -m', () => {
    const gpus = parseNvidiaSmi({ xml: fixture('h100-80gb-sxm.xml') });
    expect(gpus.map((g) => [g.index, g.model, g.uuid])).toEqual([
      [0, 'H100-80GB', 'GPU-aa11bb22-cc33-dd44-ee55-ff6677889900'],
      [1, 'H100-80GB', 'GPU-11223344-5566-7788-99aa-bbccddeeff00'],
    ]);
    const topo = parseTopoMatrix(fixture('h100-80gb-sxm.topo.txt'));
    expect(topo.peers).toEqual({ '0': [{ index: 1, links: 18 }], '1': [{ index: 0, links: 18 }] });
  });

  it('reads an L4 without MIG support', () => {
    const [l4] = parseNvidiaSmi({ xml: fixture('l4.xml') });
    expect(l4).toMatchObject({ index: 0, model: 'L4-24GB', memoryBytes: 23034 * MIB, migEnabled: false, pciBusId: '00000000:00:03.0' });
  });

  it('maps product names onto the catalog, keeping unknown ones name-safe', () => {
    expect(catalogModel('NVIDIA L40S', 46068 * MIB)).toBe('L40S-48GB');
    expect(catalogModel('NVIDIA A100-PCIE-40GB', 40960 * MIB)).toBe('A100-40GB');
    expect(catalogModel('NVIDIA H200', 143771 * MIB)).toBe('H200-141GB');
    expect(catalogModel('NVIDIA RTX 6000 Ada Generation', 49140 * MIB)).toBe('RTX-6000-Ada-Generation');
  });

  it('yields no GPUs from an empty log', () => {
    expect(parseNvidiaSmi({ xml: '<?xml version="1.0" ?><nvidia_smi_log></nvidia_smi_log>' })).toEqual([]);
  });
});

describe('utilisation and fake GPUs', () => {
  it('parses the per-GPU utilisation query', () => {
    expect(parseUtilization('0, 97\n1, 3\n')).toEqual({ '0': 97, '1': 3 });
  });

  it('declares COUNTxMODEL GPUs with stable UUIDs per node', () => {
    const a = parseFakeGpus('8xH100-80GB', 'a1');
    expect(a).toHaveLength(8);
    expect(a[7]).toMatchObject({ index: 7, model: 'H100-80GB', migEnabled: false });
    expect(new Set(a.map((g) => g.uuid)).size).toBe(8);
    expect(parseFakeGpus('8xH100-80GB', 'a1')).toEqual(a);
    expect(parseFakeGpus('8xH100-80GB', 'a2')[0]!.uuid).not.toBe(a[0]!.uuid);
    expect(parseFakeGpus('2xA100-80GB,1xL4-24GB', 'n').map((g) => g.model)).toEqual(['A100-80GB', 'A100-80GB', 'L4-24GB']);
  });

  it('rejects a malformed or unknown declaration naming the option', () => {
    expect(() => parseFakeGpus('eight H100s', 'n')).toThrow(/--fake-gpus/);
    expect(() => parseFakeGpus('2xNOPE-1GB', 'n')).toThrow(/unknown GPU model "NOPE-1GB"/);
  });
});
