// Reading a replica's output file from an offset: how drivers that keep output in files serve
// Driver.readLog.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** Up to max bytes of the file from offset; empty when the file is missing or has no more. */
export function readFrom(path: string, offset: number, max: number): Buffer {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return Buffer.alloc(0);
  }
  const len = Math.min(max, size - offset);
  if (len <= 0) return Buffer.alloc(0);
  const buf = Buffer.alloc(len);
  const fd = openSync(path, 'r');
  try {
    const n = readSync(fd, buf, 0, len, offset);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
