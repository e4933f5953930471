// Ships a replica's output, read from its driver, to the server in seq-numbered chunks. Offsets
// and the next seq live in ship.json and advance only after the server took a chunk, so a crash
// or an outage resends at most one chunk, which the server ignores (it keeps each seq once).
// Memory stays bounded: one chunk per stream at a time.
import { join } from 'node:path';
import { sendLogChunks, type LogChunk } from '../client/agent-api.js';
import type { WeftClient } from '../client/client.js';
import type { Driver } from './drivers/driver.js';
import { readJson, writeJsonAtomic, type ReplicaRecord, type StateDir } from './state.js';

const CHUNK_BYTES = 64 * 1024;
const STREAMS = ['stdout', 'stderr'] as const;

interface ShipState {
  offsets: { stdout: number; stderr: number };
  seq: number;
}

/** Drops a UTF-8 sequence cut off at the end, so a chunk never splits a character. */
export function wholeCharacters(buf: Buffer): Buffer {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const b = buf[buf.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? buf.subarray(0, buf.length - back) : buf;
  }
  return buf;
}

/**
 * Sends what is new in the replica's output. Until the replica has exited only whole lines go
 * (a half-written line waits for its end); `final` sends the rest. Returns true when caught up.
 */
export async function shipLogs(client: WeftClient, state: StateDir, rec: ReplicaRecord, driver: Driver | undefined, final: boolean): Promise<boolean> {
  if (!driver) return true; // nothing ran, or this agent cannot read what did: nothing to send
  const shipPath = join(state.replicaDir(rec.uid), 'ship.json');
  const ship = readJson<ShipState>(shipPath) ?? { offsets: { stdout: 0, stderr: 0 }, seq: 0 };
  for (let round = 0; round < 16; round++) {
    const chunks: LogChunk[] = [];
    const next = { ...ship.offsets };
    for (const stream of STREAMS) {
      let buf = await driver.readLog(rec.uid, stream, ship.offsets[stream], CHUNK_BYTES);
      if (!final && buf.length < CHUNK_BYTES) {
        const nl = buf.lastIndexOf(0x0a);
        buf = nl < 0 ? Buffer.alloc(0) : buf.subarray(0, nl + 1);
      }
      buf = wholeCharacters(buf);
      if (buf.length === 0) continue;
      chunks.push({ seq: ship.seq + chunks.length, stream, data: buf.toString('utf8'), time: new Date().toISOString() });
      next[stream] += buf.length;
    }
    if (chunks.length === 0) return true;
    await sendLogChunks(client, rec.project, rec.allocation, chunks);
    ship.offsets = next;
    ship.seq += chunks.length;
    writeJsonAtomic(shipPath, ship);
  }
  return false;
}
