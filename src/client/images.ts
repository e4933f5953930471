// An Image's disk over the API: uploaded from a file (streamed, never read into memory whole) and
// fetched back (node agents filling their image cache). The server computes the checksum while
// the bytes arrive and compares it with the one given.
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { imageDiskPath, type ImageFormat } from '../model/kinds/image.js';
import type { Resource } from '../model/metadata.js';
import type { WeftClient } from './client.js';
import { WeftApiError, WeftConnectionError } from './errors.js';

export interface ImageUpload {
  project: string;
  name: string;
  /** The disk file to send. */
  file: string;
  /** sha256 hex the bytes must have (the server refuses others); absent: the server records what it computed. */
  sha256?: string;
  format?: ImageFormat;
  public?: boolean;
}

/** Sends a disk file; resolves with the Image the server created (or filled). */
export async function uploadImage(client: WeftClient, up: ImageUpload): Promise<Resource> {
  const path = imageDiskPath(up.project, up.name);
  const url = new URL(path, client.server + '/');
  if (up.sha256) url.searchParams.set('sha256', up.sha256);
  if (up.format) url.searchParams.set('format', up.format);
  if (up.public) url.searchParams.set('public', 'true');
  const size = statSync(up.file).size;
  const body = Readable.toWeb(createReadStream(up.file)) as unknown as ReadableStream<Uint8Array>;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'PUT',
      headers: { ...client.socketHeaders(), 'content-type': 'application/octet-stream', 'content-length': String(size), accept: 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
  } catch (err) {
    throw new WeftConnectionError(client.server, err);
  }
  if (!res.ok) throw await WeftApiError.fromResponse(res, 'PUT', path);
  return (await res.json()) as Resource;
}

/** The uploaded disk's bytes (the caller checks `ok` and streams the body). */
export function fetchImageDisk(client: WeftClient, path: string, signal?: AbortSignal): Promise<Response> {
  return client.fetch('GET', path, { accept: 'application/octet-stream', ...(signal ? { signal } : {}) });
}
