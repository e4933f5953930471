// A database's own identity, made when this migration runs (a new database's first start, or an
// existing one's first start after upgrade) and never changed: what a server keeps outside the
// database about it (its signed audit checkpoints) is filed under this id, not under the URL
// that reaches it, which changes with hosts, ports and credentials. A restored copy carries it.
export const name = 'database-identity';

export const sql = `
CREATE TABLE database_identity (
  one_row boolean PRIMARY KEY DEFAULT true CHECK (one_row),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO database_identity DEFAULT VALUES;
`;
