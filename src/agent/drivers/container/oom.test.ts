import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelLogsOomKill, oomKillIn } from './oom.js';

const ID = '4fae5bf876432c28beaec8aba84e2096bb56f3b74e4039934b6a3871d3987d8c';
const OTHER = 'a'.repeat(64);
// As the kernel writes them (cgroup v1, Podman's cgroupfs manager; v2 with systemd names the scope).
const LOG = [
  '6,2101,23486534368,-;dd invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
  `6,2102,23486534498,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=libpod-${ID},mems_allowed=0,oom_memcg=/libpod_parent/libpod-${ID},task_memcg=/libpod_parent/libpod-${ID},task=dd,pid=6175,uid=0`,
  '3,2103,23486534506,-;Memory cgroup out of memory: Killed process 6175 (dd) total-vm:264412kB',
  `6,2104,23490000000,-;oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/machine.slice/libpod-${OTHER}.scope,task_memcg=/machine.slice/libpod-${OTHER}.scope,task=python,pid=9,uid=0`,
].join('\n');

describe("the kernel's word on an OOM kill", () => {
  it('finds a kill inside the memory cgroup named after the container, and only that one', () => {
    expect(oomKillIn(LOG, ID)).toBe(true);
    expect(oomKillIn(LOG, OTHER)).toBe(true);
    expect(oomKillIn(LOG, 'b'.repeat(64))).toBe(false);
    // Not an id: never a pattern.
    expect(oomKillIn(LOG, '.*')).toBe(false);
  });

  it('reads a log from a file, and says no when there is none to read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-kmsg-'));
    try {
      writeFileSync(join(dir, 'kmsg'), `${LOG}\n`);
      expect(kernelLogsOomKill(ID, join(dir, 'kmsg'))).toBe(true);
      expect(kernelLogsOomKill('c'.repeat(64), join(dir, 'kmsg'))).toBe(false);
      expect(kernelLogsOomKill(ID, join(dir, 'missing'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
