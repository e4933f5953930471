// The first schema: the generic resource table, the change log that feeds watches, the store's
// counters and bearer tokens. Typed tables (allocations, usage, audit) come in later migrations.
export const name = 'initial';

export const sql = `
-- One row: the newest committed resourceVersion and the highest one compaction has removed.
-- Only writers holding the store-wide write lock touch it, so it never sees contention.
CREATE TABLE weft_state (
  id           boolean PRIMARY KEY DEFAULT true CHECK (id),
  rv           bigint  NOT NULL,
  compacted_rv bigint  NOT NULL
);
INSERT INTO weft_state (id, rv, compacted_rv) VALUES (true, 0, 0);

-- Every kind in one table; body is the whole object except metadata.resourceVersion, which is
-- the resource_version column. labels duplicates metadata.labels so selectors can use the index.
CREATE TABLE resources (
  kind             text        NOT NULL,
  project          text        NOT NULL DEFAULT '',
  name             text        NOT NULL,
  uid              uuid        NOT NULL UNIQUE,
  resource_version bigint      NOT NULL,
  generation       bigint      NOT NULL,
  created_at       timestamptz NOT NULL,
  body             jsonb       NOT NULL,
  labels           jsonb       NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (kind, project, name)
);
CREATE INDEX resources_labels_idx ON resources USING gin (labels);

-- The change feed. rv is unique and, because writers are serialised, appears in commit order.
CREATE TABLE changes (
  rv      bigint PRIMARY KEY,
  type    text   NOT NULL CHECK (type IN ('ADDED', 'MODIFIED', 'DELETED')),
  kind    text   NOT NULL,
  project text   NOT NULL,
  name    text   NOT NULL,
  object  jsonb  NOT NULL
);
CREATE INDEX changes_kind_rv_idx ON changes (kind, rv);

-- Bearer tokens. Only SHA-256 hex digests are stored; the CHECK refuses anything else.
CREATE TABLE tokens (
  id          text        PRIMARY KEY,
  kind        text        NOT NULL CHECK (kind IN ('user', 'join', 'node')),
  subject     text        NOT NULL,
  hash        text        NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
  description text,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz,
  used_at     timestamptz
);
CREATE INDEX tokens_subject_idx ON tokens (subject);
`;
