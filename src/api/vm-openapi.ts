// OpenAPI entries for uploaded Image disks (routes/image-disk.ts) and the VM serial console
// (routes/vm-console.ts); merged into the document by openapi.ts.
import { errors, pathParam as path, queryParam as query, ref, type Json } from './openapi-parts.js';

const disk: Json = { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } };
const upgrade = (description: string): Json => ({ 101: { description } });

export function vmPaths(): Record<string, Json> {
  return {
    '/api/v1/projects/{project}/images/{name}/disk': {
      put: {
        operationId: 'uploadImageDisk',
        tags: ['Image'],
        summary: 'Upload an Image\'s disk (streamed; hashed and its format read while it arrives). Creates the Image, or fills one applied with source.upload; nothing is kept unless the whole body passed every check',
        parameters: [
          path('project', 'project name'),
          path('name', 'Image name'),
          query('sha256', 'the disk\'s sha256 (64 hex digits); refused on mismatch'),
          query('format', 'qcow2 or raw; refused if the bytes say otherwise', { enum: ['qcow2', 'raw'] }),
          query('public', 'serve every project (weft-system only)', { type: 'boolean' }),
        ],
        requestBody: { required: true, content: disk },
        responses: {
          200: { description: 'the applied Image, now with its disk', content: { 'application/json': { schema: ref('Image') } } },
          201: { description: 'the Image created from the upload', content: { 'application/json': { schema: ref('Image') } } },
          ...errors(400, 401, 403, 404, 409, 413, 422),
        },
      },
      get: {
        operationId: 'readImageDisk',
        tags: ['Image'],
        summary: 'An uploaded Image\'s disk: for the project\'s readers, everyone for a public Image, and a node only while a VM of it is bound there (header x-weft-checksum: its sha256)',
        parameters: [path('project', 'project name'), path('name', 'Image name')],
        responses: { 200: { description: 'the disk', content: disk }, ...errors(401, 403, 404, 409) },
      },
    },
    '/api/v1/projects/{project}/virtualmachines/{name}/console': {
      get: {
        operationId: 'attachVirtualMachineConsole',
        tags: ['VirtualMachine'],
        summary: 'The running VM\'s serial console as a WebSocket (subprotocol weft.console; bytes both ways). For those who may update the VM; a browser may offer its token as the subprotocol weft.bearer.<token>',
        parameters: [path('project', 'project name'), path('name', 'VirtualMachine name')],
        responses: { ...upgrade('switching to the console WebSocket'), ...errors(401, 403, 404, 409) },
      },
    },
    '/api/v1/projects/{project}/allocations/{name}/console/{session}': {
      get: {
        operationId: 'attachAllocationConsole',
        tags: ['Nodes'],
        summary: 'The node agent running the VM dials back here (WebSocket, its node credential) to join a console session a user opened',
        parameters: [path('project', 'project name'), path('name', 'Allocation name'), path('session', 'the session named in the Allocation\'s status.consoleRequest')],
        responses: { ...upgrade('switching to the console WebSocket'), ...errors(401, 403, 404) },
      },
    },
  };
}
