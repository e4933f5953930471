// A node's liveness is one small row renewed in place, apart from its Node resource (as
// Kubernetes keeps node heartbeats in Lease objects): a heartbeat is not a change anyone watches,
// so it bumps no resourceVersion and appends nothing to the change log. Only renewed_at changes
// and it is not indexed, so PostgreSQL updates the row on its own page (HOT) when the page has
// room; the low fill factor keeps that room. A Node's row goes with its resource row.
export const name = 'node-heartbeats';

export const sql = `
CREATE TABLE node_heartbeats (
  node text PRIMARY KEY,
  renewed_at timestamptz NOT NULL
) WITH (fillfactor = 50);

CREATE FUNCTION weft_drop_node_heartbeat() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM node_heartbeats WHERE node = OLD.name;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER resources_node_heartbeat_deleted AFTER DELETE ON resources
  FOR EACH ROW WHEN (OLD.kind = 'Node') EXECUTE FUNCTION weft_drop_node_heartbeat();
`;
