// Reading a replica's output file from an offset (how drivers that keep output in files serve
// Driver.readLog), and the one rule for bounding it: maxLogBytes, then a marker, then nothing.
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

/** The line that ends a stream cut at max bytes. */
export function truncationMarker(max: number): string {
  return `\n[weft: output truncated after ${max} bytes]\n`;
}

/**
 * What of `chunk` to write when `written` bytes of a stream are out and at most `max` may be:
 * all of it, or the part that fits and the marker (then `cut`: nothing more is written).
 */
export function boundedPart(written: number, chunk: Buffer, max: number): { out: Buffer; cut: boolean } {
  if (written + chunk.length <= max) return { out: chunk, cut: false };
  return { out: Buffer.concat([chunk.subarray(0, Math.max(0, max - written)), Buffer.from(truncationMarker(max))]), cut: true };
}
