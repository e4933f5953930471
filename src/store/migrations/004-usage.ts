// Usage records: what every Allocation held, and for exactly how long, written by a trigger on the
// resources table in the SAME transaction as the allocation's status change — so a crash can
// lose neither the change nor its usage, and no write path can forget to meter.
//
// Design: each allocation that starts running gets one 'open' row per resource class it holds
// (start known, end unknown); when it turns terminal, or is deleted while running, one 'close' row
// per class repeats the open row with its end. Rows are never changed: the table is append-only
// like the audit log (a trigger refuses UPDATE, DELETE, TRUNCATE). An interval is a close row, or
// an open row without a close row (still running: it counts up to "now" when read).
//
// Resource classes and their quantity units (integers, so sums are exact):
//   gpu:<model>                 milli-GPUs: 1000 per whole GPU
//   mig:<model>:<profile>       milli-instances: 1000 per MIG instance
//   share:<model>               milli-GPUs of a time-sliced GPU (e.g. 250 for a quarter)
//   cpu                         milli-cores
//   memory                      bytes
// Times come from the allocation's status (startedAt / finishedAt, written by the provider that
// ran it) and fall back to the transaction time, so usage is exactly what the provider reports.
//
// Context that an Allocation does not carry is snapshotted from the database at that moment:
// the node's site, the workload's queue and priority class, and whether that class is preemptible.
// A later change to any of them never rewrites a bill already incurred.
export const name = 'usage';

export const sql = `
CREATE TABLE usage_records (
  id              bigserial   PRIMARY KEY,
  event           text        NOT NULL CHECK (event IN ('open', 'close')),
  allocation_uid  uuid        NOT NULL,
  project         text        NOT NULL,
  allocation      text        NOT NULL,
  workload_kind   text        NOT NULL,
  workload_name   text        NOT NULL,
  queue           text        NOT NULL DEFAULT '',
  node            text        NOT NULL,
  site            text        NOT NULL DEFAULT '',
  resource_class  text        NOT NULL,
  model           text        NOT NULL DEFAULT '',
  profile         text        NOT NULL DEFAULT '',
  quantity        bigint      NOT NULL CHECK (quantity >= 0),
  isolation       text        NOT NULL DEFAULT '',
  priority_class  text        NOT NULL DEFAULT '',
  preemptible     boolean     NOT NULL DEFAULT false,
  started_at      timestamptz NOT NULL,
  ended_at        timestamptz,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((event = 'open') = (ended_at IS NULL)),
  CHECK (ended_at IS NULL OR ended_at >= started_at),
  UNIQUE (allocation_uid, resource_class, event)
);
CREATE INDEX usage_records_project_idx ON usage_records (project, started_at);
CREATE INDEX usage_records_time_idx ON usage_records (started_at, ended_at);

CREATE FUNCTION weft_usage_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'WL405', MESSAGE = format('usage_records is append-only: %s is refused', TG_OP);
END
$fn$;
CREATE TRIGGER usage_records_append_only BEFORE UPDATE OR DELETE ON usage_records
  FOR EACH ROW EXECUTE FUNCTION weft_usage_append_only();
CREATE TRIGGER usage_records_no_truncate BEFORE TRUNCATE ON usage_records
  FOR EACH STATEMENT EXECUTE FUNCTION weft_usage_append_only();

-- A timestamp from the status, or the transaction's time when it is missing or unreadable.
CREATE FUNCTION weft_usage_time(v text) RETURNS timestamptz LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  IF v IS NULL OR v = '' THEN
    RETURN now();
  END IF;
  RETURN v::timestamptz;
EXCEPTION WHEN others THEN
  RETURN now();
END
$fn$;

-- Has the allocation started (so it consumes from startedAt on)? Running or Stopping do; a
-- terminal phase does when a start was recorded (a replica that never started costs nothing).
CREATE FUNCTION weft_usage_started(body jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $fn$
  SELECT coalesce(body->'status'->>'phase', '') IN ('Running', 'Stopping')
      OR (NOT weft_allocation_active(body) AND coalesce(body->'status'->>'startedAt', '') <> '')
$fn$;

CREATE FUNCTION weft_usage_open(p_uid uuid, p_project text, p_name text, body jsonb) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  v_spec   jsonb := body->'spec';
  v_node   text := coalesce(v_spec->>'node', '');
  v_wkind  text := coalesce(v_spec->'workload'->>'kind', '');
  v_wname  text := coalesce(v_spec->'workload'->>'name', '');
  v_site   text;
  v_queue  text;
  v_pc     text;
  v_pre    boolean;
  v_start  timestamptz := weft_usage_time(body->'status'->>'startedAt');
BEGIN
  SELECT coalesce(r.body->'spec'->>'site', '') INTO v_site FROM resources r WHERE r.kind = 'Node' AND r.project = '' AND r.name = v_node;
  SELECT coalesce(r.body->'spec'->>'queue', ''), coalesce(r.body->'spec'->>'priorityClass', '') INTO v_queue, v_pc
    FROM resources r WHERE r.kind = v_wkind AND r.project = p_project AND r.name = v_wname;
  SELECT coalesce((r.body->'spec'->>'preemptible')::boolean, false) INTO v_pre FROM resources r
   WHERE r.kind = 'PriorityClass' AND r.project = '' AND r.name = v_pc;
  INSERT INTO usage_records (event, allocation_uid, project, allocation, workload_kind, workload_name, queue, node, site,
                             resource_class, model, profile, quantity, isolation, priority_class, preemptible, started_at)
  SELECT 'open', p_uid, p_project, p_name, v_wkind, v_wname, coalesce(v_queue, ''), v_node, coalesce(v_site, ''),
         c.resource_class, c.model, c.profile, c.quantity, coalesce(v_spec->>'isolation', ''), coalesce(v_pc, ''), coalesce(v_pre, false), v_start
  FROM (
    SELECT CASE WHEN jsonb_typeof(g->'mig') = 'object' THEN 'mig:' || (g->>'model') || ':' || (g->'mig'->>'profile')
                WHEN coalesce((g->>'milli')::integer, 1000) >= 1000 THEN 'gpu:' || (g->>'model')
                ELSE 'share:' || (g->>'model') END AS resource_class,
           g->>'model' AS model,
           coalesce(g->'mig'->>'profile', '') AS profile,
           sum(CASE WHEN jsonb_typeof(g->'mig') = 'object' THEN 1000 ELSE coalesce((g->>'milli')::integer, 1000) END)::bigint AS quantity
      FROM jsonb_array_elements(coalesce(v_spec->'gpus', '[]'::jsonb)) AS g
     GROUP BY 1, 2, 3
    UNION ALL
    SELECT 'cpu', '', '', coalesce((v_spec->>'cpuMilli')::bigint, 0)
    UNION ALL
    SELECT 'memory', '', '', coalesce((v_spec->>'memoryBytes')::bigint, 0)
  ) AS c
  WHERE c.quantity > 0 -- nothing held of a class, nothing to meter
  ON CONFLICT (allocation_uid, resource_class, event) DO NOTHING;
END
$fn$;

-- Closes every open interval of the allocation that is not closed yet, ending at p_end (never
-- before its start: a clock that went backwards yields zero, not negative, usage).
CREATE FUNCTION weft_usage_close(p_uid uuid, p_end timestamptz) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO usage_records (event, allocation_uid, project, allocation, workload_kind, workload_name, queue, node, site,
                             resource_class, model, profile, quantity, isolation, priority_class, preemptible, started_at, ended_at)
  SELECT 'close', o.allocation_uid, o.project, o.allocation, o.workload_kind, o.workload_name, o.queue, o.node, o.site,
         o.resource_class, o.model, o.profile, o.quantity, o.isolation, o.priority_class, o.preemptible, o.started_at,
         greatest(o.started_at, p_end)
    FROM usage_records o
   WHERE o.allocation_uid = p_uid AND o.event = 'open'
  ON CONFLICT (allocation_uid, resource_class, event) DO NOTHING;
END
$fn$;

CREATE FUNCTION weft_allocation_usage() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'DELETE' THEN
    -- Deleted while still holding its resources: usage ends now.
    IF weft_usage_started(OLD.body) THEN
      PERFORM weft_usage_close(OLD.uid, CASE WHEN weft_allocation_active(OLD.body) THEN now()
                                             ELSE weft_usage_time(OLD.body->'status'->>'finishedAt') END);
    END IF;
    RETURN NULL;
  END IF;
  -- Status updates of a running allocation, or of one already closed, change nothing here.
  IF TG_OP = 'UPDATE' AND OLD.kind = 'Allocation' AND OLD.uid = NEW.uid AND weft_usage_started(OLD.body)
     AND (weft_allocation_active(NEW.body) OR NOT weft_allocation_active(OLD.body)) THEN
    RETURN NULL;
  END IF;
  IF weft_usage_started(NEW.body) THEN
    PERFORM weft_usage_open(NEW.uid, NEW.project, NEW.name, NEW.body);
    IF NOT weft_allocation_active(NEW.body) THEN
      PERFORM weft_usage_close(NEW.uid, weft_usage_time(NEW.body->'status'->>'finishedAt'));
    END IF;
  END IF;
  RETURN NULL;
END
$fn$;

CREATE TRIGGER resources_allocation_usage_write AFTER INSERT OR UPDATE ON resources
  FOR EACH ROW WHEN (NEW.kind = 'Allocation') EXECUTE FUNCTION weft_allocation_usage();
CREATE TRIGGER resources_allocation_usage_delete AFTER DELETE ON resources
  FOR EACH ROW WHEN (OLD.kind = 'Allocation') EXECUTE FUNCTION weft_allocation_usage();

-- Allocations already running or finished before this migration are metered from their status.
SELECT weft_usage_open(uid, project, name, body) FROM resources WHERE kind = 'Allocation' AND weft_usage_started(body);
SELECT weft_usage_close(uid, weft_usage_time(body->'status'->>'finishedAt')) FROM resources
 WHERE kind = 'Allocation' AND weft_usage_started(body) AND NOT weft_allocation_active(body);
`;
