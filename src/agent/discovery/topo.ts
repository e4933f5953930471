// Parses the GPU matrix of `nvidia-smi topo -m`: a cell "NV12" means the two GPUs share 12
// NVLink links; anything else (PIX, PXB, PHB, NODE, SYS, X) is not NVLink.
import type { NvlinkInfo } from './types.js';

export function parseTopoMatrix(text: string): NvlinkInfo {
  // nvidia-smi may colour its matrix with ANSI escape sequences: ESC is the point here.
  // eslint-disable-next-line no-control-regex
  const lines = text.split('\n').map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
  const header = lines.find((l) => /^\s+GPU\d+/.test(l));
  const peers: NvlinkInfo['peers'] = {};
  if (!header) return { peers };
  const columns = header.trim().split(/\s+/).filter((c) => /^GPU\d+$/.test(c)).map((c) => Number(c.slice(3)));
  for (const line of lines) {
    const row = /^GPU(\d+)\s+(.*)$/.exec(line);
    if (!row) continue;
    const cells = row[2]!.trim().split(/\s+/);
    const list: { index: number; links: number }[] = [];
    columns.forEach((col, i) => {
      const nv = /^NV(\d+)$/.exec(cells[i] ?? '');
      if (nv) list.push({ index: col, links: Number(nv[1]) });
    });
    peers[row[1]!] = list;
  }
  return { peers };
}
