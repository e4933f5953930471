// Replica logs shipped by node agents: one row per chunk, keyed by (allocation uid, seq) so a
// chunk sent twice (agent retry after a lost reply) is stored once. Not a resource: chunks bypass
// the change log, and the store trims each allocation to a byte budget, oldest chunks first.
export const name = 'logs';

export const sql = `
CREATE TABLE allocation_logs (
  alloc_uid text        NOT NULL,
  project   text        NOT NULL,
  seq       bigint      NOT NULL CHECK (seq >= 0),
  stream    text        NOT NULL CHECK (stream IN ('stdout', 'stderr')),
  time      timestamptz NOT NULL,
  data      text        NOT NULL,
  bytes     integer     NOT NULL CHECK (bytes >= 0),
  PRIMARY KEY (alloc_uid, seq)
);
CREATE INDEX allocation_logs_project_idx ON allocation_logs (project);
`;
