// Which driver runs a task, and what the Node is told when the host cannot run one. The
// container driver does not exist yet; a stand-in that only answers probe() plays one whose
// engine is missing.
import { describe, expect, it } from 'vitest';
import type { Driver } from './driver.js';
import { DriverSet } from './driver-set.js';

function standIn(name: Driver['name'], probe: Driver['probe']): Driver {
  const never = (): Promise<never> => Promise.reject(new Error('not used'));
  return { name, probe, start: never, inspect: never, stop: never, kill: never, readLog: never, list: never, remove: never };
}

const processOk = standIn('process', async () => ({ available: true }));
const noPodman = standIn('container', async () => ({ available: false, reason: 'podman not installed' }));

describe('driver set', () => {
  it('reports every driver by name, with the reason a host cannot run one', async () => {
    const set = await DriverSet.probe([processOk, noPodman, standIn('vm', () => Promise.reject(new Error('/dev/kvm missing')))]);
    expect(set.capabilities).toEqual({
      process: { available: true },
      container: { available: false, reason: 'podman not installed' },
      vm: { available: false, reason: '/dev/kvm missing' },
    });
    expect(set.available().map((d) => d.name)).toEqual(['process']);
  });

  it('runs a command as a process, and says what is missing for anything else', async () => {
    const onlyProcess = await DriverSet.probe([processOk]);
    expect(onlyProcess.choose({ command: ['python'], args: ['train.py'] })).toEqual({ driver: processOk });
    expect(onlyProcess.choose({ image: 'ghcr.io/acme/train:1' })).toEqual({ error: 'the process driver cannot run image "ghcr.io/acme/train:1" without a command' });
    expect(onlyProcess.choose({})).toEqual({ error: 'spec.task.command: nothing to run (the workload has no command)' });
    const withContainers = await DriverSet.probe([processOk, noPodman]);
    expect(withContainers.choose({ image: 'ghcr.io/acme/train:1', command: ['python'] })).toEqual({ error: 'the container driver is unavailable on this node (podman not installed)' });
    expect(withContainers.choose({ command: ['python'] })).toEqual({ driver: processOk });
    const noProcess = await DriverSet.probe([standIn('process', async () => ({ available: false, reason: 'no /proc' }))]);
    expect(noProcess.choose({ command: ['true'] })).toEqual({ error: 'the process driver is unavailable on this node (no /proc)' });
  });
});
