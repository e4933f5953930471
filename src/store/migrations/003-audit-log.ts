// The audit log: one row per mutating API request, append-only and hash-chained. The trigger
// refuses UPDATE, DELETE and TRUNCATE for every ordinary session; a superuser (or the table's
// owner) can still switch it off, which is why each row also carries the hash chain that
// `AuditLog.verify` recomputes — see docs/store.md.
export const name = 'audit-log';

export const sql = `
CREATE TABLE audit_log (
  id             bigserial   PRIMARY KEY,
  time           timestamptz NOT NULL,
  request_id     text        NOT NULL,
  principal      text        NOT NULL,
  principal_kind text        NOT NULL CHECK (principal_kind IN ('user', 'node', 'anonymous')),
  verb           text        NOT NULL,
  kind           text        NOT NULL,
  project        text        NOT NULL,
  name           text        NOT NULL,
  method         text        NOT NULL,
  path           text        NOT NULL,
  status         integer     NOT NULL CHECK (status BETWEEN 100 AND 599),
  source         text        NOT NULL,
  prev_hash      text        NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash           text        NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX audit_log_project_idx ON audit_log (project, id);
CREATE INDEX audit_log_principal_idx ON audit_log (principal, id);
CREATE INDEX audit_log_time_idx ON audit_log (time);

CREATE FUNCTION weft_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'WL405', MESSAGE = format('audit_log is append-only: %s is refused', TG_OP);
END
$fn$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION weft_audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION weft_audit_log_append_only();
`;
