// The GPU ledger: what every active Allocation holds, kept by a trigger on the resources table so
// that no write path (API, scheduling loop, a buggy controller) can double-book a GPU. The rules
// live in constraints; the trigger only turns an allocation's body into ledger rows and names the
// holders in a clear error (SQLSTATE WL409, mapped to ConflictError) before a constraint would.
//
//   gpu_usage  one row per (node, GPU): milli_used  ≤ 1000           — whole (1000) + shares
//                                        mig_slices  > 0 ⇒ milli_used = 0  — MIG excludes the rest
//   gpu_slices one row per (node, GPU, MIG slice), PRIMARY KEY         — no slice held twice
//
// An allocation is active unless its status.phase is terminal (docs/lifecycle.md); one with no
// phase yet is active. It claims when it becomes active and releases when it turns terminal or
// is deleted, in the same transaction as that write.
export const name = 'gpu-ledger';

export const sql = `
CREATE TABLE gpu_usage (
  node       text    NOT NULL,
  gpu_index  integer NOT NULL,
  milli_used integer NOT NULL DEFAULT 0,
  mig_slices integer NOT NULL DEFAULT 0,
  PRIMARY KEY (node, gpu_index),
  CONSTRAINT gpu_usage_milli_limit CHECK (milli_used BETWEEN 0 AND 1000),
  CONSTRAINT gpu_usage_mig_limit CHECK (mig_slices BETWEEN 0 AND 8),
  CONSTRAINT gpu_usage_mig_excludes_milli CHECK (milli_used = 0 OR mig_slices = 0)
);

CREATE TABLE gpu_slices (
  node       text    NOT NULL,
  gpu_index  integer NOT NULL,
  slice      integer NOT NULL CHECK (slice BETWEEN 0 AND 7),
  project    text    NOT NULL,
  allocation text    NOT NULL,
  PRIMARY KEY (node, gpu_index, slice)
);
CREATE INDEX gpu_slices_holder_idx ON gpu_slices (project, allocation);

CREATE FUNCTION weft_allocation_active(body jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $fn$
  SELECT coalesce(body->'status'->>'phase', '') NOT IN ('Succeeded', 'Failed', 'Lost', 'Preempted', 'Stopped')
$fn$;

CREATE FUNCTION weft_ledger_claim(p_project text, p_name text, body jsonb) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  v_node  text := body->'spec'->>'node';
  g       jsonb;
  v_idx   integer;
  v_milli integer;
  v_start integer;
  v_size  integer;
  v_n     integer;
  v_held  text;
  v_use   gpu_usage%ROWTYPE;
BEGIN
  IF v_node IS NULL THEN
    RETURN;
  END IF;
  FOR g IN SELECT * FROM jsonb_array_elements(coalesce(body->'spec'->'gpus', '[]'::jsonb)) LOOP
    v_idx := (g->>'index')::integer;
    IF v_idx IS NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'WL422', MESSAGE = format('allocation %s/%s: a GPU without an index', p_project, p_name);
    END IF;
    IF jsonb_typeof(g->'mig') = 'object' THEN
      v_start := (g->'mig'->>'start')::integer;
      v_size := coalesce((g->'mig'->>'size')::integer, 1);
      IF v_start IS NULL OR v_start < 0 OR v_size < 1 OR v_start + v_size > 8 THEN
        RAISE EXCEPTION USING ERRCODE = 'WL422', MESSAGE = format('allocation %s/%s: MIG slices [%s, %s) are outside 0..7', p_project, p_name, v_start, v_start + v_size);
      END IF;
      INSERT INTO gpu_slices (node, gpu_index, slice, project, allocation)
        SELECT v_node, v_idx, s, p_project, p_name FROM generate_series(v_start, v_start + v_size - 1) AS s
        ON CONFLICT DO NOTHING;
      GET DIAGNOSTICS v_n = ROW_COUNT;
      IF v_n < v_size THEN
        SELECT string_agg(DISTINCT project || '/' || allocation, ', ') INTO v_held FROM gpu_slices
         WHERE node = v_node AND gpu_index = v_idx AND slice BETWEEN v_start AND v_start + v_size - 1
           AND NOT (project = p_project AND allocation = p_name);
        RAISE EXCEPTION USING ERRCODE = 'WL409', MESSAGE = format(
          'GPU %s of node %s: MIG slices [%s, %s) for allocation %s/%s are already held by %s',
          v_idx, v_node, v_start, v_start + v_size, p_project, p_name, coalesce(v_held, 'this allocation'));
      END IF;
      INSERT INTO gpu_usage (node, gpu_index, mig_slices) VALUES (v_node, v_idx, v_size)
        ON CONFLICT (node, gpu_index) DO UPDATE SET mig_slices = gpu_usage.mig_slices + EXCLUDED.mig_slices
        WHERE gpu_usage.milli_used = 0;
      IF NOT FOUND THEN
        SELECT * INTO v_use FROM gpu_usage WHERE node = v_node AND gpu_index = v_idx;
        RAISE EXCEPTION USING ERRCODE = 'WL409', MESSAGE = format(
          'GPU %s of node %s: allocation %s/%s wants MIG slices but %s milli of the GPU is held whole or shared',
          v_idx, v_node, p_project, p_name, v_use.milli_used);
      END IF;
    ELSE
      v_milli := coalesce((g->>'milli')::integer, 1000);
      IF v_milli < 1 OR v_milli > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'WL422', MESSAGE = format('allocation %s/%s: milli must be 1..1000, got %s', p_project, p_name, v_milli);
      END IF;
      INSERT INTO gpu_usage (node, gpu_index, milli_used) VALUES (v_node, v_idx, v_milli)
        ON CONFLICT (node, gpu_index) DO UPDATE SET milli_used = gpu_usage.milli_used + EXCLUDED.milli_used
        WHERE gpu_usage.mig_slices = 0 AND gpu_usage.milli_used + EXCLUDED.milli_used <= 1000;
      IF NOT FOUND THEN
        SELECT * INTO v_use FROM gpu_usage WHERE node = v_node AND gpu_index = v_idx;
        IF v_use.mig_slices > 0 THEN
          RAISE EXCEPTION USING ERRCODE = 'WL409', MESSAGE = format(
            'GPU %s of node %s: allocation %s/%s wants %s milli but %s MIG slices of the GPU are held',
            v_idx, v_node, p_project, p_name, v_milli, v_use.mig_slices);
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'WL409', MESSAGE = format(
          'GPU %s of node %s: allocation %s/%s wants %s milli but %s of 1000 are already held',
          v_idx, v_node, p_project, p_name, v_milli, v_use.milli_used);
      END IF;
    END IF;
  END LOOP;
END
$fn$;

CREATE FUNCTION weft_ledger_release(p_project text, p_name text, body jsonb) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  v_node  text := body->'spec'->>'node';
  g       jsonb;
  v_idx   integer;
  v_n     integer;
BEGIN
  IF v_node IS NULL THEN
    RETURN;
  END IF;
  FOR g IN SELECT * FROM jsonb_array_elements(coalesce(body->'spec'->'gpus', '[]'::jsonb)) LOOP
    v_idx := (g->>'index')::integer;
    IF jsonb_typeof(g->'mig') = 'object' THEN
      DELETE FROM gpu_slices WHERE node = v_node AND gpu_index = v_idx AND project = p_project AND allocation = p_name
         AND slice BETWEEN (g->'mig'->>'start')::integer AND (g->'mig'->>'start')::integer + coalesce((g->'mig'->>'size')::integer, 1) - 1;
      GET DIAGNOSTICS v_n = ROW_COUNT;
      UPDATE gpu_usage SET mig_slices = mig_slices - v_n WHERE node = v_node AND gpu_index = v_idx;
    ELSE
      UPDATE gpu_usage SET milli_used = milli_used - coalesce((g->>'milli')::integer, 1000) WHERE node = v_node AND gpu_index = v_idx;
    END IF;
  END LOOP;
END
$fn$;

CREATE FUNCTION weft_allocation_ledger() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.kind = 'Allocation' AND weft_allocation_active(OLD.body) THEN
    -- A status change that keeps the same holdings (Bound → Running) touches nothing.
    IF TG_OP = 'UPDATE' AND NEW.kind = 'Allocation' AND weft_allocation_active(NEW.body)
       AND OLD.project = NEW.project AND OLD.name = NEW.name
       AND OLD.body->'spec'->'node' IS NOT DISTINCT FROM NEW.body->'spec'->'node'
       AND OLD.body->'spec'->'gpus' IS NOT DISTINCT FROM NEW.body->'spec'->'gpus' THEN
      RETURN NULL;
    END IF;
    PERFORM weft_ledger_release(OLD.project, OLD.name, OLD.body);
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.kind = 'Allocation' AND weft_allocation_active(NEW.body) THEN
    PERFORM weft_ledger_claim(NEW.project, NEW.name, NEW.body);
  END IF;
  RETURN NULL;
END
$fn$;

CREATE TRIGGER resources_allocation_insert AFTER INSERT ON resources
  FOR EACH ROW WHEN (NEW.kind = 'Allocation') EXECUTE FUNCTION weft_allocation_ledger();
CREATE TRIGGER resources_allocation_update AFTER UPDATE ON resources
  FOR EACH ROW WHEN (OLD.kind = 'Allocation' OR NEW.kind = 'Allocation') EXECUTE FUNCTION weft_allocation_ledger();
CREATE TRIGGER resources_allocation_delete AFTER DELETE ON resources
  FOR EACH ROW WHEN (OLD.kind = 'Allocation') EXECUTE FUNCTION weft_allocation_ledger();

-- Allocations written before this migration enter the ledger now (a conflict among them fails
-- the migration rather than being silently accepted).
SELECT weft_ledger_claim(project, name, body) FROM resources WHERE kind = 'Allocation' AND weft_allocation_active(body);
`;
