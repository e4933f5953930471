// The drivers this agent has, what the host lets each of them do (probed once at start and
// reported on the Node as status.drivers), and which one runs a given task.
import type { Driver, DriverCapability, DriverName } from './driver.js';

/** What a replica asks to run, as the Allocation's spec.task says it. */
export interface TaskShape {
  command?: string[];
  args?: string[];
  image?: string;
  /** A VirtualMachine's disk and cloud-init: the vm driver runs it. */
  vm?: unknown;
}

export class DriverSet {
  private constructor(
    private readonly drivers: Map<DriverName, Driver>,
    /** By driver name, as reported on the Node's status. */
    readonly capabilities: Partial<Record<DriverName, DriverCapability>>,
  ) {}

  static async probe(drivers: Driver[]): Promise<DriverSet> {
    const caps = await Promise.all(drivers.map(async (d) => [d.name, await d.probe().catch((err: unknown) => ({ available: false, reason: (err as Error).message }))] as const));
    return new DriverSet(new Map(drivers.map((d) => [d.name, d])), Object.fromEntries(caps));
  }

  /** The driver by name, when this agent has it and the host can run it. */
  get(name: DriverName): Driver | undefined {
    return this.capabilities[name]?.available ? this.drivers.get(name) : undefined;
  }

  /** Every driver this host can run. */
  available(): Driver[] {
    return [...this.drivers.values()].filter((d) => this.capabilities[d.name]?.available);
  }

  /**
   * The driver for a task: an image needs the container driver (when this agent has one);
   * otherwise a command runs as a host process. An error says what is missing, for the replica's
   * Failed message.
   */
  choose(task: TaskShape): { driver: Driver } | { error: string } {
    const argv = [...(task.command ?? []), ...(task.args ?? [])];
    let name: DriverName;
    if (task.vm !== undefined) name = 'vm';
    else if (task.image && this.drivers.has('container')) name = 'container';
    else if (argv.length > 0) name = 'process';
    else if (task.image) return { error: `the process driver cannot run image "${task.image}" without a command` };
    else return { error: 'spec.task.command: nothing to run (the workload has no command)' };
    const driver = this.get(name);
    if (driver) return { driver };
    const why = this.capabilities[name]?.reason ?? 'not part of this agent';
    return { error: `the ${name} driver is unavailable on this node (${why})` };
  }
}
