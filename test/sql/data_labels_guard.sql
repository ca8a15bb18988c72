-- Label writes are all or nothing: a row-level security policy or a trigger that
-- keeps rows from being updated fails the write, and nothing changes; a table whose
-- UPDATEs an INSTEAD rule rewrites is refused before anything is read or fitted.
SET extra_float_digits = 0;
CREATE FUNCTION pg_temp.write_labels(source regclass, features text[], label_column text,
                                     nulls text)
RETURNS bigint AS '$libdir/userseg', 'userseg_test_write_labels' LANGUAGE C;

CREATE FUNCTION pg_temp.err(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  st text; msg text; det text; hnt text;
BEGIN
  EXECUTE sql;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                          det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
  RETURN st || ': ' || msg || coalesce(' | DETAIL: ' || nullif(det, ''), '')
            || coalesce(' | HINT: ' || nullif(hnt, ''), '');
END $$;

CREATE TABLE guarded (id int PRIMARY KEY, v int, x float8, seg int);
INSERT INTO guarded SELECT g, g % 3, (g % 3) * 10 + (g % 7) * 0.1, -1
FROM generate_series(1, 300) g;

-- row-level security: an UPDATE policy that covers half of the rows the role reads
CREATE ROLE userseg_guard_writer;
GRANT SELECT, UPDATE ON guarded TO userseg_guard_writer;
ALTER TABLE guarded ENABLE ROW LEVEL SECURITY;
CREATE POLICY guard_read ON guarded FOR SELECT USING (true);
CREATE POLICY guard_write ON guarded FOR UPDATE USING (id % 2 = 0);
SET ROLE userseg_guard_writer;
SELECT pg_temp.err($$SELECT pg_temp.write_labels('guarded', ARRAY['v'], 'seg', 'skip')$$);
SELECT pg_temp.err($$SELECT * FROM userseg_kmeans('guarded', ARRAY['x'], 3, label_column => 'seg')$$);
SELECT count(*) FILTER (WHERE seg = -1) AS unchanged FROM guarded;
RESET ROLE;
-- a policy covering every row: the write goes through
CREATE POLICY guard_write_all ON guarded FOR UPDATE USING (true);
SET ROLE userseg_guard_writer;
SELECT pg_temp.write_labels('guarded', ARRAY['v'], 'seg', 'skip') AS updated;
-- a re-run with the same labels changes nothing, and that is no shortfall
SELECT pg_temp.write_labels('guarded', ARRAY['v'], 'seg', 'skip') AS updated;
RESET ROLE;
SELECT count(*) FILTER (WHERE seg IS DISTINCT FROM v) AS wrong FROM guarded;
DROP POLICY guard_read ON guarded;
DROP POLICY guard_write ON guarded;
DROP POLICY guard_write_all ON guarded;
ALTER TABLE guarded DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON guarded FROM userseg_guard_writer;
DROP ROLE userseg_guard_writer;

-- a BEFORE UPDATE trigger that skips some rows
UPDATE guarded SET seg = -1;
CREATE FUNCTION pg_temp.skip_odd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id % 2 = 1 THEN RETURN NULL; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER skip_odd BEFORE UPDATE ON guarded
FOR EACH ROW EXECUTE FUNCTION pg_temp.skip_odd();
SELECT pg_temp.err($$SELECT pg_temp.write_labels('guarded', ARRAY['v'], 'seg', 'skip')$$);
SELECT pg_temp.err($$SELECT * FROM userseg_kmeans('guarded', ARRAY['x'], 3, label_column => 'seg')$$);
SELECT count(*) FILTER (WHERE seg = -1) AS unchanged FROM guarded;
-- a trigger that lets every row through is fine
DROP TRIGGER skip_odd ON guarded;
CREATE FUNCTION pg_temp.pass() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RETURN NEW; END $$;
CREATE TRIGGER pass BEFORE UPDATE ON guarded FOR EACH ROW EXECUTE FUNCTION pg_temp.pass();
SELECT pg_temp.write_labels('guarded', ARRAY['v'], 'seg', 'skip') AS updated;
DROP TRIGGER pass ON guarded;

-- a DO INSTEAD rule: refused before the fit, naming the rule; the table is unchanged
UPDATE guarded SET seg = -1;
CREATE TABLE guarded_log (id int, seg int);
CREATE RULE "redirect seg" AS ON UPDATE TO guarded
DO INSTEAD INSERT INTO guarded_log VALUES (NEW.id, NEW.seg);
SELECT pg_temp.err($$SELECT pg_temp.write_labels('guarded', ARRAY['v'], 'seg', 'skip')$$);
SELECT pg_temp.err($$SELECT * FROM userseg_kmeans('guarded', ARRAY['x'], 3, label_column => 'seg')$$);
SELECT pg_temp.err($$SELECT * FROM userseg_kmeans('guarded', ARRAY['x'], 3, label_column => 'new_seg')$$);
SELECT count(*) FILTER (WHERE seg = -1) AS unchanged, (SELECT count(*) FROM guarded_log) AS logged
FROM guarded;
-- reading without a label column is fine
SELECT rows_used FROM userseg_kmeans('guarded', ARRAY['x'], 3);
-- a disabled rule does not fire; a DO ALSO rule runs beside the write
ALTER TABLE guarded DISABLE RULE "redirect seg";
SELECT pg_temp.write_labels('guarded', ARRAY['v'], 'seg', 'skip') AS updated;
DROP RULE "redirect seg" ON guarded;
CREATE RULE log_seg AS ON UPDATE TO guarded DO ALSO INSERT INTO guarded_log VALUES (NEW.id, NEW.seg);
UPDATE guarded SET seg = -1 WHERE id <= 10;
SELECT pg_temp.write_labels('guarded', ARRAY['v'], 'seg', 'skip') AS updated;
SELECT count(*) AS logged FROM guarded_log;
SELECT count(*) FILTER (WHERE seg IS DISTINCT FROM v) AS wrong FROM guarded;

DROP TABLE guarded, guarded_log;
