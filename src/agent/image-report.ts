// Keeps the Node's status.images in step with the images on this host, for the scheduler's
// image-locality tie-break: sent once connected, after every pull the agent makes, and on a slow
// timer while the engine is up anyway (an operator's `podman pull` or `podman rmi`) — each time
// only when the list changed. A send that fails is tried again on the next occasion.
import type { NodeImage } from '../model/node-images.js';

export interface ImageReport {
  /** Looks again now, waking the engine if need be (after a pull). */
  refresh(): void;
  stop(): void;
}

export function startImageReport(opts: {
  /** The images now; undefined when it would have to wake the engine and `wake` is false. */
  list: (wake: boolean) => Promise<NodeImage[] | undefined>;
  send: (images: NodeImage[]) => Promise<unknown>;
  intervalMs: number;
  log: (msg: string) => void;
}): ImageReport {
  let sent = '';
  let queue: Promise<void> = Promise.resolve();
  const look = (wake: boolean): void => {
    // One look at a time, in order: an older list never overwrites a newer one.
    queue = queue.then(async () => {
      try {
        const images = await opts.list(wake);
        if (!images) return;
        const key = JSON.stringify(images);
        if (key === sent) return;
        await opts.send(images);
        sent = key;
      } catch (err) {
        opts.log(`image list not reported (${(err as Error).message}); trying again later`);
      }
    });
  };
  look(true);
  const timer = setInterval(() => look(false), opts.intervalMs);
  timer.unref();
  return { refresh: () => look(true), stop: () => clearInterval(timer) };
}
