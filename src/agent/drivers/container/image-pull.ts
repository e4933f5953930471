// Getting a replica's image onto this node: one pull per image (and credentials) at a time
// however many replicas wait for it, progress as a percentage, and a bounded number of tries
// with a growing pause between them, so a registry that refuses is not hammered. What the
// registry said is kept as the error's message.
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import type { ImagePullPolicy } from '../../../model/container.js';

/** Credentials for one registry, as the Docker API's X-Registry-Auth carries them. */
export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** The image could not be had: the registry's reason, or the policy's. */
export class ImagePullError extends Error {
  override readonly name = 'ImagePullError';
}

export interface PullOptions {
  /** Tries before giving up (at least 1). */
  attempts: number;
  /** Pause after the first failed try; doubled after each further one. */
  backoffMs: number;
}

interface LayerProgress {
  current: number;
  total: number;
  done: boolean;
}

/** The registry's own words, without the engine's "initializing source docker://…:" prefix. */
function reasonOf(message: string): string {
  const m = /^initializing source [^:]+:\/\/\S+?: (.*)$/s.exec(message.trim());
  return m ? m[1]! : message.trim();
}

export class ImagePuller {
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly percent = new Map<string, number>();

  constructor(
    private readonly docker: Docker,
    private readonly opts: PullOptions = { attempts: 3, backoffMs: 2000 },
  ) {}

  /** How far the pull of this image has got, 0–100, while one runs. */
  progress(image: string): number | undefined {
    return this.percent.get(image);
  }

  async present(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch {
      return false;
    }
  }

  /** Makes sure the image is here as the policy asks; true when it pulled. Throws ImagePullError with the reason. */
  async ensure(image: string, policy: ImagePullPolicy = 'IfNotPresent', auth?: RegistryAuth): Promise<boolean> {
    if (policy !== 'Always' && (await this.present(image))) return false;
    if (policy === 'Never') throw new ImagePullError(`image "${image}" is not on this node and imagePullPolicy is Never`);
    // Keyed by credentials too: a pull made with one project's secret is not another's to share.
    const key = `${image}\0${auth ? createHash('sha256').update(JSON.stringify(auth)).digest('hex') : ''}`;
    let pull = this.inflight.get(key);
    if (!pull) {
      pull = this.pullWithRetries(image, auth).finally(() => {
        this.inflight.delete(key);
        this.percent.delete(image);
      });
      this.inflight.set(key, pull);
    }
    await pull;
    return true;
  }

  private async pullWithRetries(image: string, auth?: RegistryAuth): Promise<void> {
    let pause = this.opts.backoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.pullOnce(image, auth);
        return;
      } catch (err) {
        if (attempt >= Math.max(1, this.opts.attempts)) {
          const tries = attempt > 1 ? ` (after ${attempt} tries)` : '';
          throw new ImagePullError(`${reasonOf((err as Error).message)}${tries}`);
        }
        await new Promise((r) => setTimeout(r, pause));
        pause *= 2;
      }
    }
  }

  private pullOnce(image: string, auth?: RegistryAuth): Promise<void> {
    const layers = new Map<string, LayerProgress>();
    this.percent.set(image, 0);
    return new Promise((done, fail) => {
      const onStream = (err: unknown, stream?: NodeJS.ReadableStream): void => {
        if (err || !stream) return fail((err as Error | undefined) ?? new Error('the engine sent no pull stream'));
        this.docker.modem.followProgress(
          stream,
          (streamErr: Error | null, events: { error?: string }[]) => {
            const refused = events.find((e) => e.error);
            if (streamErr) fail(streamErr);
            else if (refused) fail(new Error(refused.error));
            else done();
          },
          (ev: { id?: string; status?: string; progressDetail?: { current?: number; total?: number } }) => {
            if (!ev.id || ev.id === image) return;
            const layer = layers.get(ev.id) ?? { current: 0, total: 0, done: false };
            if (ev.progressDetail?.total) layer.total = ev.progressDetail.total;
            if (ev.progressDetail?.current !== undefined) layer.current = ev.progressDetail.current;
            if (/complete|already exists/i.test(ev.status ?? '')) layer.done = true;
            layers.set(ev.id, layer);
            this.percent.set(image, percentOf([...layers.values()]));
          },
        );
      };
      // The 4th argument is sent as X-Registry-Auth; credentials never go into the URL.
      this.docker.pull(image, {}, onStream, auth);
    });
  }
}

/** Bytes where the engine reports them, else layers finished over layers known. */
export function percentOf(layers: LayerProgress[]): number {
  if (layers.length === 0) return 0;
  const share = layers.map((l) => (l.done ? 1 : l.total > 0 ? Math.min(1, l.current / l.total) : 0));
  return Math.floor((100 * share.reduce((a, b) => a + b, 0)) / layers.length);
}
