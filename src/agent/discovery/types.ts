// What the agent reports about its host on Node.status.inventory (contract: agent protocol).

export interface MigInstance {
  profile: string;
  uuid: string;
  /** First memory slice and number of slices, as `nvidia-smi mig -lgi` reports the placement. */
  start: number;
  size: number;
}

export interface GpuInventory {
  index: number;
  uuid: string;
  /** Catalog name when known (e.g. "H100-80GB"), else the product name made name-safe. */
  model: string;
  memoryBytes: number;
  migEnabled: boolean;
  migInstances?: MigInstance[];
  /** PCI address as nvidia-smi writes it (00000000:3B:00.0): what a VM's passthrough binds. */
  pciBusId?: string;
}

export interface NvlinkInfo {
  /** For each GPU index, the GPUs it reaches over NVLink and with how many links. */
  peers: Record<string, { index: number; links: number }[]>;
}

export interface HostInventory {
  fake: boolean;
  cpuCores: number;
  memoryBytes: number;
  gpus: GpuInventory[];
  nvlink?: NvlinkInfo;
}
