// For the container tests: stopping the Podman services agents started for themselves (they end
// by themselves when idle; a test does not wait for that).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
export { pushImage, registryMissing, startTestRegistry, type TestRegistry } from '../../src/agent/drivers/container/test-podman.js';

export function stopPodmanServices(stateDir: string): void {
  try {
    const { pid } = JSON.parse(readFileSync(join(stateDir, 'podman-service.json'), 'utf8')) as { pid: number };
    process.kill(pid, 'SIGTERM');
  } catch {
    /* none started, or already gone */
  }
}
