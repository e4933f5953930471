// An uploaded Image's disk (docs/vms.md, "Images"):
//   PUT /api/v1/projects/{p}/images/{name}/disk   the bytes (application/octet-stream), streamed
//       ?sha256=<hex>&format=qcow2|raw&public=true   to the server's image directory; creates the
//                                                  Image (or fills one applied with source.upload)
//   GET /api/v1/projects/{p}/images/{name}/disk   the bytes, for the project's readers, everyone
//                                                  for a public Image, and a node running a VM of it
// The checksum is computed while the body streams in and compared with the one given (query or the
// applied Image's spec); the format is read from the first bytes. Nothing is created, and no file is
// left, unless the whole body arrived and passed every check.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../model/errors.js';
import { SYSTEM_PROJECT } from '../../model/kind-names.js';
import { IMAGE_FORMATS, ImageKind, type ImageFormat, type ImageSpec, type ImageStatus } from '../../model/kinds/image.js';
import type { Resource } from '../../model/metadata.js';
import { admitOnly, createResource, writeStatus } from '../../control/resources.js';
import { auditedWrite } from '../audit.js';
import type { ImageBlobs, ReceivedDisk } from '../image-blobs.js';
import { badParam, nameParam, queryParam } from '../params.js';
import { authorize, NODE_LABEL, type Principal } from '../rbac.js';
import { admission } from './resources.js';
import { API_PREFIX, principalOf, type RouteDeps } from './context.js';

const DISK_PATH = `${API_PREFIX}/projects/:project/images/:name/disk`;

type Params = Record<string, unknown>;
type Query = Record<string, unknown>;

interface UploadAsk {
  checksum?: string;
  format?: ImageFormat;
  public: boolean;
}

function uploadAsk(q: Query): UploadAsk {
  const sha = queryParam(q, 'sha256')?.toLowerCase().replace(/^sha256:/, '');
  if (sha !== undefined && !/^[0-9a-f]{64}$/.test(sha)) throw badParam('sha256', 'must be 64 hex digits (the sha256 of the disk file)');
  const format = queryParam(q, 'format');
  if (format !== undefined && !(IMAGE_FORMATS as readonly string[]).includes(format)) throw badParam('format', `must be one of ${IMAGE_FORMATS.join(', ')}`);
  const pub = queryParam(q, 'public');
  if (pub !== undefined && pub !== 'true' && pub !== 'false') throw badParam('public', 'must be true or false');
  return { ...(sha ? { checksum: `sha256:${sha}` } : {}), ...(format ? { format: format as ImageFormat } : {}), public: pub === 'true' };
}

export function registerImageDiskRoutes(root: FastifyInstance, deps: RouteDeps, blobs: ImageBlobs | undefined): void {
  void root.register(async (app) => {
    // The body is the disk itself: handed to the route as the request stream, never buffered, and
    // not bound by the JSON body limit (the image limit applies as it streams).
    app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
    app.put(DISK_PATH, (req, reply) => upload(deps, need(blobs), req).then(({ code, image }) => reply.code(code).send(image)));
    app.get(DISK_PATH, async (req, reply) => {
      const { stream, sizeBytes, checksum } = await readable(deps, need(blobs), req);
      return reply.header('content-type', 'application/octet-stream').header('content-length', String(sizeBytes)).header('x-weft-checksum', checksum).send(stream);
    });
  });
}

function need(blobs: ImageBlobs | undefined): ImageBlobs {
  if (!blobs) throw new ConflictError('this server keeps no uploaded images (it was started without an image directory: --image-dir)');
  return blobs;
}

async function upload(deps: RouteDeps, blobs: ImageBlobs, req: FastifyRequest): Promise<{ code: number; image: Resource }> {
  const { store } = deps;
  const project = nameParam((req.params as Params).project, 'project');
  const name = nameParam((req.params as Params).name, 'name');
  const ask = uploadAsk(req.query as Query);
  const p = principalOf(req);
  const old = await store.get({ kind: 'Image', project, name });
  authorize(p, old ? 'update' : 'create', ImageKind, { project, name });
  let expected = ask;
  if (old) expected = fromApplied(old, ask);
  else {
    // Refused now (public outside weft-system, unknown project, a policy), before a byte is read.
    const placeholder = `sha256:${'0'.repeat(64)}`;
    await admitOnly(store, ImageKind, imageBody(project, name, { checksum: placeholder, format: ask.format ?? 'raw' }, ask.public), { project }, admission(deps, req));
  }
  const length = Number(req.headers['content-length']);
  let disk: ReceivedDisk | undefined;
  try {
    blobs.checkLength(Number.isFinite(length) ? length : undefined);
    if (!req.body) throw ValidationError.field('body', 'is missing: send the disk file as application/octet-stream');
    disk = await blobs.receive(req.body as Readable);
    if (expected.format && disk.format !== expected.format) throw ValidationError.field('format', `the Image says ${expected.format}, the bytes are ${disk.format} (a qcow2 disk starts with "QFI\\xfb")`);
    if (expected.checksum && disk.checksum !== expected.checksum) throw ValidationError.field('sha256', `checksum mismatch: expected ${expected.checksum}, the bytes are ${disk.checksum}`);
    blobs.keep(project, disk);
  } catch (err) {
    if (disk) blobs.discard(disk);
    if (old) await markFailed(deps, old, (err as Error).message);
    throw err;
  }
  const at = deps.clock.now().toISOString();
  const status: ImageStatus = { format: disk.format, sizeBytes: disk.sizeBytes, upload: { phase: 'Uploaded', at, sizeBytes: disk.sizeBytes } };
  const t = { project, name };
  if (old) return { code: 200, image: await auditedWrite(req, 200, (opts) => writeStatus(store, ImageKind, { status }, t, 'merge', opts, deps.clock.now())) };
  await auditedWrite(req, 201, (opts) => createResource(store, ImageKind, imageBody(project, name, disk, ask.public), { project }, Object.assign(admission(deps, req), opts)));
  return { code: 201, image: await writeStatus(store, ImageKind, { status }, t, 'merge', {}, deps.clock.now()) };
}

/** What an Image applied with `source: {upload: true}` says the bytes must be. */
function fromApplied(old: Resource, ask: UploadAsk): UploadAsk {
  const spec = old.spec as unknown as ImageSpec;
  const name = old.metadata.name;
  if (spec.source.upload !== true) throw new ConflictError(`Image "${name}" is registered from a URL (${spec.source.url ?? ''}): nodes download it from there`);
  if ((old.status as ImageStatus | undefined)?.upload?.phase === 'Uploaded') throw new ConflictError(`Image "${name}" already has its disk (${spec.checksum}); an Image's bytes never change: delete it, or upload under another name`);
  if (ask.checksum && ask.checksum !== spec.checksum) throw ValidationError.field('sha256', `the Image says ${spec.checksum}, the upload says ${ask.checksum}`);
  if (ask.format && ask.format !== spec.format) throw ValidationError.field('format', `the Image says ${spec.format}, the upload says ${ask.format}`);
  return { checksum: spec.checksum, format: spec.format, public: spec.public === true };
}

function imageBody(project: string, name: string, disk: { checksum: string; format: ImageFormat }, isPublic: boolean): Record<string, unknown> {
  return { apiVersion: 'weft/v1', kind: 'Image', metadata: { name, project }, spec: { source: { upload: true }, checksum: disk.checksum, format: disk.format, ...(isPublic ? { public: true } : {}) } };
}

/** The applied Image's status says why its upload failed (the request's answer says it too). */
async function markFailed(deps: RouteDeps, old: Resource, message: string): Promise<void> {
  const status = { upload: { phase: 'Failed', at: deps.clock.now().toISOString(), message } };
  await writeStatus(deps.store, ImageKind, { status }, { project: old.metadata.project!, name: old.metadata.name }, 'merge', {}, deps.clock.now()).catch(() => undefined);
}

async function readable(deps: RouteDeps, blobs: ImageBlobs, req: FastifyRequest): Promise<{ stream: Readable; sizeBytes: number; checksum: string }> {
  const project = nameParam((req.params as Params).project, 'project');
  const name = nameParam((req.params as Params).name, 'name');
  const p = principalOf(req);
  // Users outside the project learn nothing of its Images (403 before any lookup), except public ones.
  if (p.kind === 'user' && project !== SYSTEM_PROJECT) authorize(p, 'get', ImageKind, { project, name });
  const img = await deps.store.get({ kind: 'Image', project, name });
  const spec = img?.spec as unknown as ImageSpec | undefined;
  if (p.kind === 'user' && project === SYSTEM_PROJECT && spec?.public !== true) authorize(p, 'get', ImageKind, { project, name });
  if (p.kind === 'node') await nodeMayRead(deps, p, project, name, spec);
  if (!img || !spec) throw new NotFoundError(`Image "${name}" not found in project "${project}"`);
  if (spec.source.upload !== true) throw new NotFoundError(`Image "${name}" has no uploaded disk: it is registered from ${spec.source.url ?? 'a URL'}`);
  const blob = blobs.open(project, spec.checksum, spec.format);
  if (!blob) throw new NotFoundError(`Image "${name}" has no uploaded disk on this server yet (weft image upload ${name} --file …)`);
  return { stream: blob.stream, sizeBytes: blob.sizeBytes, checksum: spec.checksum };
}

/** A node reads a public Image, or one a VM bound to it boots from; nothing else. */
async function nodeMayRead(deps: RouteDeps, p: Principal, project: string, name: string, spec: ImageSpec | undefined): Promise<void> {
  if (project === SYSTEM_PROJECT && spec?.public === true) return;
  const bound = await deps.store.list('Allocation', { project, labelSelector: `${NODE_LABEL}=${p.name}` });
  const uses = bound.items.some((a) => {
    const img = (a.spec as { task?: { vm?: { image?: { project?: string; name?: string } } } }).task?.vm?.image;
    return img?.project === project && img.name === name;
  });
  if (!uses) throw new ForbiddenError(`node "${p.name}" runs no VM of Image "${name}" in project "${project}"`);
}
