// One live credential per node, and none for a node that is gone (issue 22, item 3). Every
// registration used to add a node token and keep the old ones, and deleting a Node left its
// tokens valid. Now the database itself keeps at most one node token per node name (so no code
// path can mint a second) and drops a node's token when its Node row is deleted, whoever deletes
// it. Existing databases keep only each live node's newest token.
export const name = 'one-node-credential';

export const sql = `
DELETE FROM tokens t
 WHERE t.kind = 'node'
   AND (NOT EXISTS (SELECT 1 FROM resources r WHERE r.kind = 'Node' AND r.project = '' AND r.name = t.subject)
        OR EXISTS (SELECT 1 FROM tokens n WHERE n.kind = 'node' AND n.subject = t.subject
                    AND (n.created_at, n.id) > (t.created_at, t.id)));

CREATE UNIQUE INDEX tokens_one_per_node ON tokens (subject) WHERE kind = 'node';

CREATE FUNCTION weft_revoke_node_tokens() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM tokens WHERE kind = 'node' AND subject = OLD.name;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER resources_node_deleted AFTER DELETE ON resources
  FOR EACH ROW WHEN (OLD.kind = 'Node' AND OLD.project = '') EXECUTE FUNCTION weft_revoke_node_tokens();
`;
