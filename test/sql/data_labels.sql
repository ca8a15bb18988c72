-- Label columns written back by the data layer (UsRead with a label column, and
-- UsWriteLabels), through a C entry point kept for the tests: each row gets its first
-- encoded feature, rounded, as label, so every label must land on its own row.
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

CREATE TABLE people (id int PRIMARY KEY, seg int, platform text);
INSERT INTO people
SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE g % 5 END,
       CASE WHEN g % 11 = 0 THEN NULL ELSE 'p' || (g % 3) END
FROM generate_series(1, 100) g;

-- skip: the column is added as integer, skipped rows get NULL
SELECT pg_temp.write_labels('people', ARRAY['seg', 'platform'], 'Segment Label', 'skip');
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'people'::regclass AND attname = 'Segment Label';
SELECT count(*) AS rows,
       count("Segment Label") AS labelled,
       count(*) FILTER (WHERE "Segment Label" IS DISTINCT FROM
                        CASE WHEN platform IS NULL THEN NULL ELSE seg END) AS wrong
FROM people;

-- impute: every row gets a label, the mean of seg where it is NULL; the column is reused
SELECT round(avg(seg)) AS imputed FROM people;
SELECT pg_temp.write_labels('people', ARRAY['seg', 'platform'], 'Segment Label', 'impute');
SELECT count(*) FILTER (WHERE "Segment Label" IS DISTINCT FROM
                        coalesce(seg, (SELECT round(avg(seg))::int FROM people))) AS wrong
FROM people;

-- the lock taken for the read is held to the end of the transaction
BEGIN;
SELECT pg_temp.write_labels('people', ARRAY['seg'], 'Segment Label', 'skip');
SELECT mode FROM pg_locks
WHERE relation = 'people'::regclass AND pid = pg_backend_pid() AND granted ORDER BY mode;
ROLLBACK;

-- a rollback restores the labels
BEGIN;
UPDATE people SET seg = 4 WHERE id <= 10;
SELECT pg_temp.write_labels('people', ARRAY['seg'], 'Segment Label', 'skip');
SELECT count(*) FILTER (WHERE "Segment Label" = 4) AS fours_inside FROM people;
ROLLBACK;
SELECT count(*) FILTER (WHERE "Segment Label" = 4) AS fours_after FROM people;

-- an existing bigint column is fine
ALTER TABLE people ADD COLUMN big_label bigint;
SELECT pg_temp.write_labels('people', ARRAY['seg'], 'big_label', 'error');
SELECT pg_temp.err($$SELECT pg_temp.write_labels('people', ARRAY['seg'], 'big_label', 'error')$$);
SELECT count(big_label) AS labelled FROM people;

-- errors; the table stays as it was
ALTER TABLE people ADD COLUMN text_label text;
SELECT pg_temp.err($$SELECT pg_temp.write_labels('people', ARRAY['id'], 'text_label', 'skip')$$);
SELECT pg_temp.err($$SELECT pg_temp.write_labels('people', ARRAY['id', 'seg'], 'seg', 'skip')$$);
SELECT pg_temp.err($$SELECT pg_temp.write_labels('people', ARRAY['id'], 'ctid', 'skip')$$);
SELECT pg_temp.err($$SELECT pg_temp.write_labels('people', ARRAY['id'], '', 'skip')$$);
SELECT pg_temp.err($$SELECT pg_temp.write_labels('people', ARRAY['id'], 'label', 'drop')$$);
CREATE VIEW people_view AS SELECT * FROM people;
SELECT pg_temp.err($$SELECT pg_temp.write_labels('people_view', ARRAY['id'], 'label', 'skip')$$);
SELECT count(text_label) AS text_labels, count(*) FILTER (WHERE seg IS NULL) AS null_seg
FROM people;
SELECT attname FROM pg_attribute
WHERE attrelid = 'people'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;

-- partitions and inheritance children share ctids: labels follow the table oid too
CREATE TABLE parted (id int, v int) PARTITION BY RANGE (id);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (100);
CREATE TABLE parted_2 PARTITION OF parted FOR VALUES FROM (100) TO (200);
INSERT INTO parted VALUES (1, 11), (2, 12), (101, 21), (102, 22), (103, NULL);
SELECT pg_temp.write_labels('parted', ARRAY['v'], 'label', 'skip');
SELECT tableoid::regclass, ctid, id, v, label FROM parted ORDER BY id;
CREATE TABLE parent (id int, v int);
CREATE TABLE child () INHERITS (parent);
INSERT INTO parent VALUES (1, 5);
INSERT INTO child VALUES (2, 6);
SELECT pg_temp.write_labels('parent', ARRAY['v'], 'label', 'skip');
SELECT tableoid::regclass, ctid, id, v, label FROM parent ORDER BY id;

-- privileges: UPDATE on the table or the label column, and ownership to add a column
CREATE ROLE userseg_labels_writer;
GRANT SELECT ON people TO userseg_labels_writer;
SET ROLE userseg_labels_writer;
SELECT pg_temp.err($$SELECT pg_temp.write_labels('people', ARRAY['seg'], 'Segment Label', 'skip')$$);
SELECT pg_temp.err($$SELECT pg_temp.write_labels('people', ARRAY['seg'], 'new_label', 'skip')$$);
RESET ROLE;
GRANT UPDATE ("Segment Label") ON people TO userseg_labels_writer;
SET ROLE userseg_labels_writer;
SELECT pg_temp.write_labels('people', ARRAY['seg'], 'Segment Label', 'skip');
RESET ROLE;
REVOKE ALL ON people FROM userseg_labels_writer;
DROP ROLE userseg_labels_writer;
