// Images uploaded from a file, over real HTTP on both store engines (PostgreSQL when
// WEFT_TEST_DATABASE_URL is set): the disk streams to the server's image directory with its
// checksum computed on the way, a mismatch or an oversized body is refused with nothing left
// behind, the format is read from the bytes, and only the project's readers (and the node running
// a VM of it) may read the disk back.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageBlobs } from '../../src/api/image-blobs.js';
import { fetchImageDisk, uploadImage } from '../../src/client/images.js';
import { WeftClient } from '../../src/client/client.js';
import { storeEngines, type Engine } from '../../src/store/testing/engines.js';
import { mustCreate, project, startHarness, type Harness } from './helpers.js';

const LIMIT = 256 * 1024;
const qcow2 = Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]), Buffer.alloc(40_000, 7)]);
const raw = Buffer.alloc(50_000, 1);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

for (const [engine, make] of storeEngines('weft_images')) {
  describe.skipIf(!make)(`Image upload (${engine}${make ? '' : ': set WEFT_TEST_DATABASE_URL'})`, () => {
    let h: Harness;
    let db: Engine;
    let dir: string;
    let files: string;
    let admin: WeftClient;
    let member: WeftClient;
    let stranger: WeftClient;

    const left = () => readdirSync(dir, { recursive: true }).map(String).filter((f) => f.includes('.part-'));
    const file = (name: string, bytes: Buffer) => {
      const path = join(files, name);
      writeFileSync(path, bytes);
      return path;
    };
    const nodeToken = async (name: string) => {
      const join = await h.call('POST', '/api/v1/tokens', { body: { join: true } });
      const r = await h.call('POST', '/api/v1/nodes/register', { token: join.body.token, body: { name, spec: { cpu: '8', memory: '32Gi' } } });
      return r.body.token as string;
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'weft-images-'));
      files = mkdtempSync(join(tmpdir(), 'weft-disks-'));
      db = await make!();
      h = await startHarness({ imageBlobs: new ImageBlobs(dir, LIMIT), store: await db.open() });
      await mustCreate(h, '/api/v1/projects', project('imgs'));
      await mustCreate(h, '/api/v1/projects', project('other'));
      admin = new WeftClient({ server: h.url, token: await h.user('img-admin', [{ role: 'project-admin', project: 'imgs' }]) });
      member = new WeftClient({ server: h.url, token: await h.user('img-member', [{ role: 'member', project: 'imgs' }]) });
      stranger = new WeftClient({ server: h.url, token: await h.user('img-stranger', [{ role: 'project-admin', project: 'other' }]) });
    }, 60_000);
    afterAll(async () => {
      await h?.close();
      await h?.store.close();
      await db?.destroy();
      rmSync(dir, { recursive: true, force: true });
      rmSync(files, { recursive: true, force: true });
    });

    it('creates the Image from a file: checksum computed and compared, format read from the bytes', async () => {
      const img = await uploadImage(admin, { project: 'imgs', name: 'tiny', file: file('tiny.qcow2', qcow2), sha256: sha(qcow2) });
      expect(img.spec).toEqual({ source: { upload: true }, checksum: `sha256:${sha(qcow2)}`, format: 'qcow2' });
      expect(img.status).toMatchObject({ format: 'qcow2', sizeBytes: qcow2.length, upload: { phase: 'Uploaded', sizeBytes: qcow2.length } });
      // Without --sha256 the server records what it computed.
      const plain = await uploadImage(admin, { project: 'imgs', name: 'plain', file: file('plain.img', raw) });
      expect(plain.spec).toMatchObject({ checksum: `sha256:${sha(raw)}`, format: 'raw' });
      expect(left()).toEqual([]);
    });

    it('lets the project read the disk back, and no other project or node', async () => {
      const got = await fetchImageDisk(member, '/api/v1/projects/imgs/images/tiny/disk');
      expect(got.status).toBe(200);
      expect(got.headers.get('x-weft-checksum')).toBe(`sha256:${sha(qcow2)}`);
      expect(Buffer.from(await got.arrayBuffer()).equals(qcow2)).toBe(true);
      const denied = await fetchImageDisk(stranger, '/api/v1/projects/imgs/images/tiny/disk');
      expect(denied.status).toBe(403);
      expect(await stranger.get('Image', 'tiny', { project: 'imgs' }).catch((e: { status: number }) => e.status)).toBe(403);

      // A node reads it only while a VM of it is bound there.
      const node = new WeftClient({ server: h.url, token: await nodeToken('img-node') });
      expect((await fetchImageDisk(node, '/api/v1/projects/imgs/images/tiny/disk')).status).toBe(403);
      const image = { name: 'tiny', project: 'imgs', url: '/api/v1/projects/imgs/images/tiny/disk', upload: true, checksum: `sha256:${sha(qcow2)}`, format: 'qcow2' };
      await mustCreate(h, '/api/v1/projects/imgs/allocations', {
        apiVersion: 'weft/v1',
        kind: 'Allocation',
        metadata: { name: 'vm-0', labels: { 'weft.dev/node': 'img-node' } },
        spec: { workload: { kind: 'VirtualMachine', name: 'box', uid: 'u-1' }, replica: 0, attempt: 0, node: 'img-node', gpus: [], cpuMilli: 1000, memoryBytes: 1024, task: { vm: { image, hostname: 'box', networks: [{ userMode: true }] } } },
      });
      const fetched = await fetchImageDisk(node, '/api/v1/projects/imgs/images/tiny/disk');
      expect(fetched.status).toBe(200);
      expect(Buffer.from(await fetched.arrayBuffer()).equals(qcow2)).toBe(true);
    });

    it('refuses a checksum mismatch, a wrong format, an oversized or cut-off body, leaving nothing behind', async () => {
      const err = (p: Promise<unknown>) => p.then(() => undefined, (e: { status: number; message: string }) => e);
      const mismatch = await err(uploadImage(admin, { project: 'imgs', name: 'bad', file: file('bad.img', raw), sha256: 'a'.repeat(64) }));
      expect(mismatch).toMatchObject({ status: 422 });
      expect(mismatch!.message).toContain(`sha256: checksum mismatch: expected sha256:${'a'.repeat(64)}, the bytes are sha256:${sha(raw)}`);
      const format = await err(uploadImage(admin, { project: 'imgs', name: 'bad', file: file('bad.img', qcow2), format: 'raw' }));
      expect(format).toMatchObject({ status: 422 });
      expect(format!.message).toContain('format: the Image says raw, the bytes are qcow2');

      const big = Buffer.alloc(LIMIT + 1, 2);
      const declared = await err(uploadImage(admin, { project: 'imgs', name: 'bad', file: file('big.img', big) }));
      expect(declared).toMatchObject({ status: 413 });
      expect(declared!.message).toContain('image too large');
      // Chunked, no length declared: refused once the streamed bytes pass the limit.
      const chunks = [big.subarray(0, LIMIT / 2), big.subarray(LIMIT / 2)];
      const streamed = await fetch(`${h.url}/api/v1/projects/imgs/images/bad/disk`, {
        method: 'PUT',
        headers: { ...admin.socketHeaders(), 'content-type': 'application/octet-stream' },
        body: new ReadableStream({ pull: (c) => (chunks.length > 0 ? c.enqueue(chunks.shift()!) : c.close()) }),
        duplex: 'half',
      } as RequestInit);
      expect(streamed.status).toBe(413);
      expect((await streamed.json()).detail).toContain('this server takes disks of at most 256Ki');

      // Cut off halfway: the client goes away mid-body.
      const abort = new AbortController();
      const half = fetch(`${h.url}/api/v1/projects/imgs/images/bad/disk`, {
        method: 'PUT',
        headers: { ...admin.socketHeaders(), 'content-type': 'application/octet-stream', 'content-length': String(raw.length) },
        body: new ReadableStream({
          start(c) {
            c.enqueue(raw.subarray(0, 1000));
            setTimeout(() => abort.abort(), 200);
          },
        }),
        duplex: 'half',
        signal: abort.signal,
      } as RequestInit).catch(() => undefined);
      await half;
      for (let i = 0; i < 100 && left().length > 0; i++) await new Promise((r) => setTimeout(r, 20));

      expect(left()).toEqual([]);
      expect((await h.call('GET', '/api/v1/projects/imgs/images/bad')).status).toBe(404);
      expect(readdirSync(join(dir, 'imgs')).sort()).toEqual([`sha256-${sha(qcow2)}.qcow2`, `sha256-${sha(raw)}.raw`].sort());
    });

    it('fills an Image applied with source.upload, records a failed upload on it, and never changes its bytes', async () => {
      const applied = { apiVersion: 'weft/v1', kind: 'Image', metadata: { name: 'planned' }, spec: { source: { upload: true }, checksum: `sha256:${sha(raw)}`, format: 'raw' } };
      await mustCreate(h, '/api/v1/projects/imgs/images', applied, admin.socketHeaders().authorization!.slice(7));
      const wrong = await uploadImage(admin, { project: 'imgs', name: 'planned', file: file('wrong.img', Buffer.alloc(1000, 9)) }).catch((e: { status: number }) => e);
      expect(wrong).toMatchObject({ status: 422 });
      expect((await admin.get('Image', 'planned', { project: 'imgs' })).status).toMatchObject({ upload: { phase: 'Failed', message: expect.stringContaining('checksum mismatch') } });
      const ok = await uploadImage(admin, { project: 'imgs', name: 'planned', file: file('right.img', raw) });
      expect(ok.status).toMatchObject({ upload: { phase: 'Uploaded' }, sizeBytes: raw.length });
      const again = await uploadImage(admin, { project: 'imgs', name: 'planned', file: file('right.img', raw) }).catch((e: { status: number; message: string }) => e);
      expect(again).toMatchObject({ status: 409 });
      // An Image needs exactly one source, and only weft-system's may be public (refused before the body is read).
      expect((await h.call('POST', '/api/v1/projects/imgs/images', { body: { ...applied, metadata: { name: 'neither' }, spec: { ...applied.spec, source: {} } } })).body.detail).toContain('spec.source: give exactly one of url');
      const pub = await uploadImage(admin, { project: 'imgs', name: 'pub', file: file('right.img', raw), public: true }).catch((e: { status: number; message: string }) => e);
      expect(pub).toMatchObject({ status: 422 });
      // A member may read Images but not register them.
      expect(await uploadImage(member, { project: 'imgs', name: 'mine', file: file('right.img', raw) }).catch((e: { status: number }) => e.status)).toBe(403);
    });
  });
}
