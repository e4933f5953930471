// PCI addresses as two sides write them: nvidia-smi on the node ("00000000:3B:00.0", which the
// Node's inventory carries) and sysfs ("0000:3b:00.0", which the agent's passthrough report and
// VFIO use). The agent and the scheduling loop both match one against the other.

/** Normalises nvidia-smi's "00000000:3B:00.0" to sysfs's "0000:3b:00.0". */
export function sysfsAddress(busId: string): string {
  const m = /^([0-9a-f]+):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(busId.trim());
  if (!m) return busId.trim().toLowerCase();
  return `${m[1]!.slice(-4).padStart(4, '0')}:${m[2]}:${m[3]}.${m[4]}`.toLowerCase();
}
