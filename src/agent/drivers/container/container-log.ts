// A container's output, as the process driver keeps it: stdout.log and stderr.log in the
// replica's folder, each bounded to maxLogBytes. Podman's conmon writes one file for both streams
// in the "k8s-file" format, one record a line:
//
//   2026-01-01T00:00:00.000000000+00:00 stdout F a whole line
//   2026-01-01T00:00:00.000000000+00:00 stderr P part of a longer line (no newline)
//
// Each read splits the records written since the last one into the two files. The cursor
// (offset in container.log, size of each output file) is saved after the files, and a file
// longer than its saved size is cut back first, so a crash in between never doubles output.
import { appendFileSync, closeSync, openSync, readSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from '../../state.js';
import type { LogStream } from '../driver.js';
import { boundedPart } from '../files.js';

export const CONTAINER_LOG = 'container.log';
const CURSOR = 'log-cursor.json';
/** Read at most this much of container.log per call; the rest comes on the next read. */
const MAX_BATCH = 4 << 20;

interface StreamCursor {
  /** Bytes of the stream seen (written or cut). */
  seen: number;
  /** Size of the output file. */
  size: number;
  cut: boolean;
}

interface Cursor {
  offset: number;
  stdout: StreamCursor;
  stderr: StreamCursor;
}

const fresh = (): Cursor => ({ offset: 0, stdout: { seen: 0, size: 0, cut: false }, stderr: { seen: 0, size: 0, cut: false } });

/** Moves every whole record written since the last call into stdout.log / stderr.log. */
export function splitContainerLog(dir: string, maxBytes: number): void {
  let size: number;
  try {
    size = statSync(join(dir, CONTAINER_LOG)).size;
  } catch {
    return;
  }
  const cursor = readJson<Cursor>(join(dir, CURSOR)) ?? fresh();
  if (size <= cursor.offset) return;
  const batch = readRange(join(dir, CONTAINER_LOG), cursor.offset, Math.min(MAX_BATCH, size - cursor.offset));
  const end = batch.lastIndexOf(0x0a);
  if (end < 0) return; // the record is still being written
  const parts: Record<LogStream, Buffer[]> = { stdout: [], stderr: [] };
  for (let at = 0; at <= end; ) {
    const nl = batch.indexOf(0x0a, at);
    const rec = parseRecord(batch.subarray(at, nl));
    if (rec) parts[rec.stream].push(rec.data);
    at = nl + 1;
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    const data = Buffer.concat(parts[stream]);
    const c = cursor[stream];
    if (data.length === 0 || c.cut) continue;
    const file = join(dir, `${stream}.log`);
    cutBack(file, c.size);
    const part = boundedPart(c.seen, data, maxBytes);
    appendFileSync(file, part.out);
    c.seen += data.length;
    c.size += part.out.length;
    c.cut = part.cut;
  }
  cursor.offset += end + 1;
  writeJsonAtomic(join(dir, CURSOR), cursor);
}

/** One k8s-file record: "<time> <stream> <F|P> <data>"; F ends a line, P is part of one. */
function parseRecord(line: Buffer): { stream: LogStream; data: Buffer } | undefined {
  const a = line.indexOf(0x20);
  const b = line.indexOf(0x20, a + 1);
  const c = line.indexOf(0x20, b + 1);
  if (a < 0 || b < 0) return undefined;
  const stream = line.subarray(a + 1, b).toString();
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = line.subarray(b + 1, c < 0 ? line.length : c).toString();
  const data = c < 0 ? Buffer.alloc(0) : line.subarray(c + 1);
  return { stream, data: tag.startsWith('F') ? Buffer.concat([data, Buffer.from('\n')]) : data };
}

function readRange(path: string, offset: number, len: number): Buffer {
  const buf = Buffer.alloc(len);
  const fd = openSync(path, 'r');
  try {
    return buf.subarray(0, readSync(fd, buf, 0, len, offset));
  } finally {
    closeSync(fd);
  }
}

/** A file longer than the cursor says was appended to by a run that crashed before saving it. */
function cutBack(file: string, size: number): void {
  try {
    if (statSync(file).size > size) truncateSync(file, size);
  } catch {
    /* not there yet */
  }
}
