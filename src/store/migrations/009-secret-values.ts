// Secret values live beside, not in, their Secret resources: the resources table (and so every
// GET, list, watch and audit entry made from it) holds only a Secret's key names, and this table
// only sealed values (encrypted under the server key, which is not in the database). A Secret's
// values go with its resource row, whoever deletes it.
export const name = 'secret-values';

export const sql = `
CREATE TABLE secret_values (
  project text NOT NULL,
  name text NOT NULL,
  sealed jsonb NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (project, name)
);

CREATE FUNCTION weft_drop_secret_values() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM secret_values WHERE project = OLD.project AND name = OLD.name;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER resources_secret_deleted AFTER DELETE ON resources
  FOR EACH ROW WHEN (OLD.kind = 'Secret') EXECUTE FUNCTION weft_drop_secret_values();
`;
