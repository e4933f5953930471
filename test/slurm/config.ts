// The configuration files of the test cluster (daemons.ts): slurm.conf, gres.conf and, with
// accounting, slurmdbd.conf. Paths all inside the cluster's temporary directory.

export interface ConfigInput {
  /** The cluster's temporary directory. */
  dir: string;
  node: string;
  /** The node's GPUs, by GRES type, in index order. */
  gres: readonly { type: string; count: number }[];
  ports: { ctld: number; slurmd: number; dbd?: number };
  /** slurmdbd on MariaDB: its port and the database's. */
  accounting?: { db: { port: number; user: string; password: string } };
  /** Seconds slurmctld keeps an ended job in its list (Slurm's default: 300). */
  minJobAge?: number;
  /** More slurm.conf lines, after the defaults (a later line wins). */
  extra?: readonly string[];
}

export function slurmConf(c: ConfigInput): string {
  const d = (p: string): string => `${c.dir}/${p}`;
  return [
    'ClusterName=weft-test',
    'SlurmctldHost=localhost(127.0.0.1)',
    `SlurmctldPort=${c.ports.ctld}`,
    `SlurmdPort=${c.ports.slurmd}`,
    'SlurmUser=slurm',
    'AuthType=auth/munge',
    `AuthInfo=socket=${d('run/munge.sock')}`,
    'CredType=cred/munge',
    'AuthAltTypes=auth/jwt',
    `AuthAltParameters=jwt_key=${d('etc/jwt.key')}`,
    `StateSaveLocation=${d('state')}`,
    `SlurmdSpoolDir=${d('spool')}/%n`,
    `SlurmctldPidFile=${d('run/slurmctld.pid')}`,
    `SlurmdPidFile=${d('run/slurmd-%n.pid')}`,
    `SlurmctldLogFile=${d('log/slurmctld.log')}`,
    `SlurmdLogFile=${d('log/slurmd-%n.log')}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core_Memory',
    'GresTypes=gpu',
    'ReturnToService=2',
    'MpiDefault=none',
    // The test node declares more CPUs and memory than a small CI machine has.
    'SlurmdParameters=config_overrides',
    'SchedulerType=sched/backfill',
    ...(c.minJobAge !== undefined ? [`MinJobAge=${c.minJobAge}`] : []),
    ...(c.accounting
      ? [
          'AccountingStorageType=accounting_storage/slurmdbd',
          'AccountingStorageHost=127.0.0.1',
          `AccountingStoragePort=${c.ports.dbd}`,
          // Names the munge socket for talking to slurmdbd (AuthInfo covers the rest).
          `AccountingStoragePass=${d('run/munge.sock')}`,
          // GPU-seconds are in each job's accounting record (sacct's AllocTRES).
          'AccountingStorageTRES=gres/gpu',
        ]
      : []),
    ...(c.extra ?? []),
    `NodeName=${c.node} NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=16 RealMemory=65536 Gres=${c.gres.map((g) => `gpu:${g.type}:${g.count}`).join(',')} State=UNKNOWN`,
    'PartitionName=gpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
    '',
  ].join('\n');
}

export function gresConf(c: ConfigInput): string {
  let first = 0;
  return c.gres
    .map((g) => {
      const line = `NodeName=${c.node} Name=gpu Type=${g.type} File=${c.dir}/dev/gpu[${first}-${first + g.count - 1}]\n`;
      first += g.count;
      return line;
    })
    .join('');
}

/** slurmdbd.conf: slurmdbd on loopback, storing in the test's MariaDB; it takes munge and (for slurmrestd) JWTs. */
export function slurmdbdConf(c: ConfigInput): string {
  const d = (p: string): string => `${c.dir}/${p}`;
  const db = c.accounting!.db;
  return [
    'AuthType=auth/munge',
    `AuthInfo=socket=${d('run/munge.sock')}`,
    'AuthAltTypes=auth/jwt',
    `AuthAltParameters=jwt_key=${d('etc/jwt.key')}`,
    'DbdHost=localhost',
    'DbdAddr=127.0.0.1',
    `DbdPort=${c.ports.dbd}`,
    'SlurmUser=slurm',
    `LogFile=${d('log/slurmdbd.log')}`,
    `PidFile=${d('run/slurmdbd.pid')}`,
    'StorageType=accounting_storage/mysql',
    'StorageHost=127.0.0.1',
    `StoragePort=${db.port}`,
    `StorageUser=${db.user}`,
    `StoragePass=${db.password}`,
    'StorageLoc=slurm_acct_db',
    '',
  ].join('\n');
}
