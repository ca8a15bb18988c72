-- One relation read (UsRead): one scan of the source, so sources that give other
-- rows on every scan work; an id column that is also a feature; text columns of
-- numbers; max_categories; drop_first.
SET extra_float_digits = 0;
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

CREATE TABLE pts (id int PRIMARY KEY, a float8, b float8, tag text);
INSERT INTO pts
SELECT g, (g % 3) * 10 + (g % 7) * 0.1, (g % 3) * -5 + (g % 5) * 0.1,
       CASE WHEN g % 13 = 0 THEN NULL ELSE 't' || (g % 4) END
FROM generate_series(1, 3000) g;

-- sources whose rows change from one scan to the next: each is read once
CREATE VIEW pts_sample AS SELECT * FROM pts TABLESAMPLE BERNOULLI (10);
CREATE VIEW pts_random AS SELECT * FROM pts WHERE random() < 0.5;
CREATE VIEW pts_clock AS
SELECT id, a + extract(microseconds FROM clock_timestamp()) * 0 AS a, b, tag FROM pts;
SELECT rows_used BETWEEN 100 AND 600 AS sampled, k
FROM userseg_kmeans('pts_sample', ARRAY['a', 'b'], 3);
SELECT rows_used BETWEEN 1000 AND 2000 AS about_half
FROM userseg_kmeans('pts_random', ARRAY['a', 'b', 'tag'], 3, nulls => 'impute');
SELECT rows_used FROM userseg_kmeans('pts_clock', ARRAY['a', 'b'], 3);
SELECT column_name, category, rows BETWEEN 1000 AND 2000 AS about_half, nulls > 0 AS has_nulls
FROM userseg_describe('pts_random', ARRAY['a', 'tag']);

-- an id column that is also a feature: selected once for the order, once as a feature
SELECT rows_used, k FROM userseg_kmeans('pts', ARRAY['id', 'a'], 2, id_column => 'id');
SELECT rows_used FROM userseg_kmeans('pts', ARRAY['a', 'id'], 2, id_column => 'id',
                                     label_column => 'seg');
SELECT count(seg) AS labelled FROM pts;

-- a CSV loaded into text columns: numbers stored as text get a NOTICE with the cast
CREATE TABLE csv (id text, score text, city text);
INSERT INTO csv
SELECT g::text, ' ' || (g % 7)::text || '.5', 'c' || (g % 3) FROM generate_series(1, 150) g;
SELECT column_name, count(*) AS columns FROM userseg_describe('csv', ARRAY['score', 'city'])
GROUP BY 1 ORDER BY 1;
SELECT pg_temp.err($$SELECT * FROM userseg_describe('csv', ARRAY['id'])$$);
SELECT count(*) FROM userseg_describe('csv', ARRAY['id'], max_categories => 150);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('csv', ARRAY['city'], max_categories => 2)$$);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('csv', ARRAY['city'], max_categories => 0)$$);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('csv', ARRAY['city'], max_categories => -1)$$);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('csv', ARRAY['city'], max_categories => NULL)$$);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('csv', ARRAY['city'], drop_first => NULL)$$);
-- a quoted, hostile column name stays an identifier in the count of the error
CREATE TABLE hostile ("x""); DROP TABLE pts; --" text);
INSERT INTO hostile SELECT 'v' || g FROM generate_series(1, 5) g;
SELECT pg_temp.err($$SELECT * FROM userseg_describe('hostile', ARRAY['x"); DROP TABLE pts; --'], max_categories => 3)$$);
SELECT count(*) AS pts_rows FROM pts;

-- drop_first: each categorical column's first category in byte order has no column
CREATE TABLE shop (platform text, plan text, spend float8);
INSERT INTO shop VALUES ('web', 'free', 1), ('ios', 'pro', 2), ('android', 'free', 3),
                        ('web', NULL, 4), (NULL, 'team', 5), ('ios', 'pro', 6);
SELECT column_name, category, rows, nulls, mean
FROM userseg_describe('shop', ARRAY['platform', 'plan', 'spend'], drop_first => true);
SELECT column_name, category, mean
FROM userseg_describe('shop', ARRAY['platform', 'plan', 'spend']);
-- a column with one category has no encoded column left
CREATE TABLE one_cat AS SELECT 'x'::text AS c, g::float8 AS v FROM generate_series(1, 3) g;
SELECT column_name, category, rows FROM userseg_describe('one_cat', ARRAY['c', 'v'], drop_first => true);

-- what a read records to encode new rows as it did: per encoded column its source,
-- category and the value a NULL became (nulls => 'impute'), through a C entry point
-- kept for the tests; first_row is the first matrix row (by id_column)
CREATE FUNCTION pg_temp.read(source regclass, features text[], nulls text, drop_first boolean,
                             id_column text)
RETURNS TABLE(col int, source text, category text, imputed float8, first_row float8)
AS '$libdir/userseg', 'userseg_test_read' LANGUAGE C;
CREATE TABLE imp (id int, spend float8, plan text);
INSERT INTO imp VALUES (5, 10, 'pro'), (2, NULL, 'free'), (9, 20, 'pro'), (1, 60, NULL),
                       (7, 30, 'team');
-- spend: mean of 10, 20, 60, 30 = 30; plan: pro is the most frequent
SELECT * FROM pg_temp.read('imp', ARRAY['spend', 'plan'], 'impute', false, 'id');
-- drop_first leaves 'free' out; the first row by id (1) had a NULL plan, now 'pro'
SELECT * FROM pg_temp.read('imp', ARRAY['plan', 'spend'], 'impute', true, 'id');
-- 'free' is also the most frequent now: an imputed plan is all zeros with drop_first
INSERT INTO imp VALUES (3, 5, 'free'), (4, 5, 'free');
SELECT * FROM pg_temp.read('imp', ARRAY['plan'], 'impute', true, NULL);
-- nothing imputed with the other policies; skip starts at the first complete row (id 3)
SELECT * FROM pg_temp.read('imp', ARRAY['spend', 'plan'], 'skip', false, 'id');
SELECT pg_temp.err($$SELECT * FROM pg_temp.read('imp', ARRAY['spend'], 'error', false, NULL)$$);

DROP TABLE pts, csv, hostile, shop, one_cat, imp CASCADE;
