import { describe, expect, it } from 'vitest';
import type { Resource } from '../../model/metadata.js';
import { powerPatch } from '../../client/vm-power.js';
import { sshTarget } from './vm.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const vm = (runStrategy: string | undefined, status: Record<string, unknown> = {}, annotations?: Record<string, string>): Resource =>
  ({ apiVersion: 'weft/v1', kind: 'VirtualMachine', metadata: { name: 'box', project: 'p', uid: 'u', resourceVersion: '1', creationTimestamp: NOW.toISOString(), ...(annotations ? { annotations } : {}) }, spec: { ...(runStrategy ? { runStrategy } : {}) }, status }) as Resource;

describe('weft start|stop|restart vm', () => {
  it('starts a Halted VM by making it Always, a Manual one by powering it on, a powered-off one by a restart request', () => {
    expect(powerPatch(vm('Halted'), 'start', NOW)).toEqual({ spec: { runStrategy: 'Always' } });
    expect(powerPatch(vm('Manual'), 'start', NOW)).toEqual({ metadata: { annotations: { 'weft.dev/power': 'On', 'weft.dev/restart-requested': NOW.toISOString() } } });
    expect(powerPatch(vm('RerunOnFailure', { phase: 'Stopped' }), 'start', NOW)).toEqual({ metadata: { annotations: { 'weft.dev/restart-requested': NOW.toISOString() } } });
    expect(powerPatch(vm(undefined, { phase: 'Running' }), 'start', NOW)).toBeUndefined();
  });

  it('stops by Halted, or power Off for Manual; nothing when already stopped', () => {
    expect(powerPatch(vm(undefined, { phase: 'Running' }), 'stop', NOW)).toEqual({ spec: { runStrategy: 'Halted' } });
    expect(powerPatch(vm('Manual', {}, { 'weft.dev/power': 'On' }), 'stop', NOW)).toEqual({ metadata: { annotations: { 'weft.dev/power': 'Off' } } });
    expect(powerPatch(vm('Manual'), 'stop', NOW)).toBeUndefined();
    expect(powerPatch(vm('Halted'), 'stop', NOW)).toBeUndefined();
  });

  it('restarts with a new restart request whatever the strategy', () => {
    expect(powerPatch(vm('Always', { phase: 'Running' }), 'restart', NOW)).toEqual({ metadata: { annotations: { 'weft.dev/restart-requested': NOW.toISOString() } } });
  });
});

describe('weft ssh vm', () => {
  it('uses the forwarded port, else the first address, and says why when there is none', () => {
    expect(sshTarget(vm(undefined, { phase: 'Running', sshAddress: '127.0.0.1:40022', ipAddresses: ['10.0.2.15'] }))).toEqual({ host: '127.0.0.1', port: 40022 });
    expect(sshTarget(vm(undefined, { phase: 'Running', ipAddresses: ['10.77.0.5'] }))).toEqual({ host: '10.77.0.5' });
    expect(() => sshTarget(vm(undefined, { phase: 'Stopped' }))).toThrow(/is Stopped, not Running/);
    expect(() => sshTarget(vm(undefined, { phase: 'Running' }))).toThrow(/no reachable address/);
  });
});
