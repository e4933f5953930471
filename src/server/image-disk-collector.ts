// Deletes uploaded Image disks that no Image names any more (the Image was deleted, or an upload
// was cut off before it could be recorded). Runs on the leader only, so one server sweeps a
// shared image directory; Images are read from the store, which every server shares, so a disk
// another server received is kept as long as its Image exists. A disk is named by its project and
// content: two Images of one project with the same bytes share one file, kept while either exists.
import { setTimeout as delay } from 'node:timers/promises';
import type { ImageBlobs } from '../api/image-blobs.js';
import type { Controller } from '../control/control-plane.js';
import type { ImageSpec } from '../model/kinds/image.js';
import type { Store } from '../store/types.js';

/** Time between sweeps. */
export const DEFAULT_IMAGE_SWEEP_INTERVAL_MS = 10 * 60_000;
/** A disk or partial upload younger than this is never taken: its Image may be committing now. */
export const DEFAULT_IMAGE_SWEEP_GRACE_MS = 60 * 60_000;

export interface ImageDiskCollectorOptions {
  store: Store;
  blobs: ImageBlobs;
  intervalMs?: number;
  graceMs?: number;
  /** Wall-clock time, in ms: file ages are the file system's, not a simulated clock's. */
  nowMs?: () => number;
  log?: (msg: string) => void;
}

export class ImageDiskCollector implements Controller {
  constructor(private readonly opts: ImageDiskCollectorOptions) {}

  async start(signal: AbortSignal): Promise<void> {
    const interval = this.opts.intervalMs ?? DEFAULT_IMAGE_SWEEP_INTERVAL_MS;
    // The first sweep waits one interval, so it does not compete with start-up.
    while (!signal.aborted) {
      await delay(interval, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      try {
        await this.runOnce();
      } catch (err) {
        // A failed sweep (the store closing, a file system error) is retried next time.
        if (!signal.aborted) this.opts.log?.(`image disks: ${(err as Error).message}`);
      }
    }
  }

  /** One sweep; the removed files, relative to the image directory. */
  async runOnce(): Promise<string[]> {
    const { store, blobs } = this.opts;
    const keep = new Set<string>();
    for (const img of (await store.list('Image')).items) {
      const spec = img.spec as unknown as ImageSpec;
      if (spec.source?.upload === true) keep.add(blobs.pathOf(img.metadata.project!, spec.checksum, spec.format));
    }
    const removed = blobs.sweep(keep, this.opts.graceMs ?? DEFAULT_IMAGE_SWEEP_GRACE_MS, (this.opts.nowMs ?? Date.now)());
    if (removed.length > 0) this.opts.log?.(`image disks: removed ${removed.length} no Image names (${removed.slice(0, 5).join(', ')}${removed.length > 5 ? ', …' : ''})`);
    return removed;
  }
}
