// `weft image upload NAME --file disk.qcow2`: registers an Image from a local disk file. The file
// streams to the server, which computes its checksum as it arrives (and refuses it when --sha256
// says otherwise), reads its format from the first bytes, and creates the Image.
import { Command, Option } from 'commander';
import { uploadImage } from '../../client/images.js';
import { IMAGE_FORMATS, type ImageFormat } from '../../model/kinds/image.js';
import { connect, type ScopeOptions } from '../connect.js';
import { CliError } from '../errors.js';

interface UploadOptions extends Pick<ScopeOptions, 'project'> {
  file: string;
  sha256?: string;
  format?: ImageFormat;
  public?: boolean;
}

export function imageCommand(): Command {
  const cmd = new Command('image').description('Images: bootable disks for VirtualMachines');
  cmd
    .command('upload')
    .description('register an Image from a disk file (qcow2 or raw), uploaded to the server')
    .argument('<name>', 'Image name')
    .requiredOption('-f, --file <path>', 'the disk file')
    .option('-p, --project <name>', "project the Image belongs to (default: the context's project)")
    .option('--sha256 <hex>', 'checksum the file must have; the server refuses other bytes (default: the server records what it computes)')
    .addOption(new Option('--format <format>', 'the disk format (default: read from the file)').choices([...IMAGE_FORMATS]))
    .option('--public', 'every project may boot from it (only in project weft-system)')
    .action(async (name: string, opts: UploadOptions, self: Command) => {
      const { client, context } = connect(self);
      const project = opts.project ?? context.project;
      if (!project) throw new CliError('project: give -p/--project (the context names none)', 2);
      const img = await uploadImage(client, { project, name, file: opts.file, ...(opts.sha256 ? { sha256: opts.sha256 } : {}), ...(opts.format ? { format: opts.format } : {}), ...(opts.public ? { public: true } : {}) }).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`--file: ${opts.file} does not exist`);
        throw err;
      });
      const spec = img.spec as { checksum: string; format: string };
      const size = (img.status as { sizeBytes?: number } | undefined)?.sizeBytes;
      console.log(`image/${name} uploaded to project ${project}: ${spec.format}, ${size ?? '?'} bytes, ${spec.checksum}`);
    });
  return cmd;
}
