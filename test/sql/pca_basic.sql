-- PCA: the window form, the table form with its saved model, summary, loadings,
-- userseg_project, and box statistics per cluster, on hand-made tables.
SET extra_float_digits = 0;
\set SHOW_CONTEXT errors

-- Points on the line y = 2x, z constant: x = -2, -1, 0, 1, 3 (mean 0.2).
--   centred x = -2.2, -1.2, -0.2, 0.8, 2.8, y = 2x, z = 0: all variance on the
--   direction (1, 2, 0) / sqrt(5); coordinates x sqrt(5) = -4.919350, -2.683282,
--   -0.447214, 1.788854, 6.260990; variance (4.84 + 1.44 + 0.04 + 0.64 + 7.84) * 5 / 4
--   = 18.5, ratio 1, singular value sqrt(74) = 8.602325.  svd_flip: the largest |U|
--   (row 5) is positive, so the component is (1, 2, 0) / sqrt(5) =
--   (0.447214, 0.894427, 0).  No two rows tie for the largest |U|: a tie would leave
--   the sign to rounding.
CREATE TABLE pca_line (id int PRIMARY KEY, x float8, y float8, z float8, seg int);
INSERT INTO pca_line VALUES (1, -2, -4, 3, 0), (2, -1, -2, 3, 0), (3, 0, 0, 3, 1),
                            (4, 1, 2, 3, 0), (5, 3, 6, 3, 1);
SELECT id, round(c[1]::numeric, 12) AS pc1
FROM (SELECT id, userseg_pca(ARRAY[x, y, z], 1) OVER (ORDER BY id) AS c FROM pca_line) s
ORDER BY id;

-- the table form, unscaled, saved: one component holds all the variance
SELECT component, round(explained_variance::numeric, 12) AS explained_variance,
       round(explained_variance_ratio::numeric, 12) AS ratio,
       round(cumulative::numeric, 12) AS cumulative,
       round(singular_value::numeric, 12) AS singular_value
FROM userseg_pca('pca_line', ARRAY['x', 'y', 'z'], 1, model => 'pca_line', scale => 'none');
SELECT algorithm, centroids IS NULL AS no_centroids, rows, parameters->>'n_components' AS n,
       jsonb_array_length(state->'components') AS components
FROM userseg_models WHERE name = 'pca_line';
SELECT * FROM userseg_pca_summary('pca_line');
SELECT component, feature, round(loading::numeric, 12) AS loading
FROM userseg_pca_loadings('pca_line');
-- a new row projects as transform does: (x - mean) . component;
-- (4, 8, 3) -> 3.8 sqrt(5) = 8.497058
SELECT round(c::numeric, 12) AS pc1
FROM unnest(userseg_project('pca_line', ARRAY[4, 8, 3]::float8[])) AS c;
SELECT round(c::numeric, 12) AS pc1
FROM unnest(userseg_project('pca_line', '{"x": 4, "y": 8, "z": 3, "other": 1}'::jsonb)) AS c;
-- rows of the table: the same coordinates as the window form
SELECT id, round((userseg_project('pca_line', p))[1]::numeric, 12) AS pc1
FROM pca_line p ORDER BY id;
-- a projection table for a BI tool; the sum of squares is (n - 1) variance = 74
CREATE TABLE pca_line_projection AS
  SELECT id, seg AS segment, c[1] AS pc1
  FROM (SELECT id, seg, userseg_project('pca_line', p) AS c FROM pca_line p) s;
SELECT count(*), round(sum(pc1 * pc1)::numeric, 9) AS sum_of_squares
FROM pca_line_projection;

-- a refit under the same name is seen by the next statement: minmax scaling maps x and
-- y alike, (4, 8, 3) to (1.2, 1.2, 0) around the mean (0.44, 0.44, 0), on the component
-- (1, 1, 0) / sqrt(2): 1.52 / sqrt(2) = 1.074802
SELECT count(*) FROM userseg_pca('pca_line', ARRAY['x', 'y', 'z'], 1, model => 'pca_line',
                                 scale => 'minmax');
SELECT round(c::numeric, 12) AS pc1
FROM unnest(userseg_project('pca_line', ARRAY[4, 8, 3]::float8[])) AS c;

-- two components, zscore-scaled: x and y have sample variance 1.25 each once scaled,
-- all of it (2.5) on the first component; the second has none
SELECT component, round(explained_variance::numeric, 12) AS explained_variance,
       round(explained_variance_ratio::numeric, 12) AS ratio
FROM userseg_pca('pca_line', ARRAY['x', 'y'], 2);

-- NULL features: the row gets NULL and is left out of the fit (x = -2, -1, 1, 3:
-- mean 0.25, the largest |x - mean| is row 5's 2.75, coordinate 2.75 sqrt(5) = 6.149187)
SELECT id, round(c[1]::numeric, 12) AS pc1
FROM (SELECT id, userseg_pca(CASE WHEN id = 3 THEN NULL ELSE ARRAY[x, y] END, 1)
             OVER (ORDER BY id) AS c FROM pca_line) s ORDER BY id;
-- one fit per partition: seg 0 is x = -2, -1, 1 (centred -4/3, -1/3, 5/3: row 4
-- positive, 5/3 sqrt(5) = 3.726780); seg 1, with a sixth row, is x = 0, 3, 5
-- (centred -8/3, 1/3, 7/3: row 3 positive, 8/3 sqrt(5) = 5.962848)
SELECT seg, id, round(c[1]::numeric, 12) AS pc1
FROM (SELECT seg, id, userseg_pca(ARRAY[x, y], 1) OVER (PARTITION BY seg ORDER BY id) AS c
      FROM (SELECT id, x, y, seg FROM pca_line UNION ALL VALUES (6, 5, 10, 1)) t) s
ORDER BY seg, id;

-- errors: n_components outside 1..d (22023), fewer rows than components (22000),
-- whitening a component without variance (22000), NULL arguments (22004), with their
-- SQLSTATEs
CREATE FUNCTION pca_error(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pca_error(q) FROM (VALUES
  ('SELECT userseg_pca(ARRAY[x, y], 0) OVER () FROM pca_line'),
  ('SELECT userseg_pca(ARRAY[x, y], 3) OVER () FROM pca_line'),
  ('SELECT userseg_pca(ARRAY[x, y, z], 3) OVER () FROM pca_line WHERE id <= 2'),
  ('SELECT userseg_pca(ARRAY[x, y], 1) OVER () FROM pca_line WHERE id = 1'),
  ('SELECT userseg_pca(ARRAY[x, y], 2, true) OVER () FROM pca_line'),
  ('SELECT userseg_pca(ARRAY[x, y], NULL) OVER () FROM pca_line'),
  ('SELECT userseg_pca(ARRAY[x, y], 1, NULL) OVER () FROM pca_line'),
  ('SELECT userseg_pca(ARRAY[x, y], 1, false, ''cubic'') OVER () FROM pca_line'),
  ('SELECT userseg_pca(ARRAY[x, y, ''NaN''], 1) OVER () FROM pca_line'),
  ('SELECT * FROM userseg_pca(''pca_line'', ARRAY[''x'', ''y''], 3)'),
  ('SELECT * FROM userseg_pca(''pca_line'', ARRAY[''x'', ''y''], 0)'),
  ('SELECT * FROM userseg_pca(''pca_line'', ARRAY[''x'', ''nope''], 1)'),
  ('SELECT * FROM userseg_pca(''pca_line'', ARRAY[''x'', ''y''], NULL)'),
  ('SELECT * FROM userseg_pca(''pca_line'', ARRAY[''x'', ''y''], 2, whiten => true)'),
  ('SELECT * FROM userseg_pca(''pca_line'', ARRAY[''x'', ''y''], 1, model => '''')'),
  ('SELECT * FROM userseg_pca(''pca_line'', ARRAY[''x'', ''y''], 1, scale => ''cubic'')'),
  ('SELECT * FROM userseg_pca(NULL, ARRAY[''x'', ''y''], 1)'),
  ('SELECT * FROM userseg_pca_summary(''no such model'')'),
  ('SELECT userseg_project(''pca_line'', ARRAY[1, 2]::float8[])'),
  ('SELECT userseg_project(''pca_line'', ARRAY[1, 2, NULL]::float8[])'),
  ('SELECT userseg_project(''pca_line'', ''{"x": 1, "y": 2}''::jsonb)')) AS t(q);
-- with detail and hint
\set VERBOSITY default
SELECT userseg_pca(ARRAY[x, y, z], 3) OVER () FROM pca_line WHERE id <= 2;
SELECT * FROM userseg_pca('pca_line', ARRAY['x', 'y'], 3);
-- the budget: the fit's working arrays are checked before LAPACK runs (54000; sizes
-- masked, they depend on the allocator): beyond the matrix, U S (n x k) and a block of
-- 4,096 rows for the QR; the window form also keeps the n x k coordinates.
CREATE TABLE pca_big AS
  SELECT g AS id, g::float8 AS x, (g * g % 97)::float8 AS y, g % 3 AS seg
  FROM generate_series(1, 6000) g;
SET userseg.memory_limit = '180kB';
SELECT regexp_replace(pca_error(q), '[0-9.]+ (bytes|kB|MB)', 'N', 'g') FROM (VALUES
  ('SELECT * FROM userseg_pca(''pca_big'', ARRAY[''x'', ''y''], 2)'),
  ('SELECT count(c) FROM (SELECT userseg_pca(ARRAY[x, y], 2) OVER () AS c FROM pca_big) s'))
  AS t(q);
-- the box statistics' sort buffer, once the rows are read
SET userseg.memory_limit = '200kB';
SELECT regexp_replace(pca_error(q), '[0-9.]+ (bytes|kB|MB)', 'N', 'g') FROM (VALUES
  ('SELECT * FROM userseg_profile_box(''pca_big'', ''seg'', ARRAY[''x''])')) AS t(q);
RESET userseg.memory_limit;
SELECT count(*) FROM userseg_pca('pca_big', ARRAY['x', 'y'], 2);

-- a K-Means model has no components
SELECT model FROM userseg_kmeans('pca_line', ARRAY['x', 'y'], 2, model => 'pca_km');
SELECT * FROM userseg_pca_loadings('pca_km');
SELECT userseg_project('pca_km', ARRAY[1, 2]::float8[]);
-- and a PCA model labels no rows
SELECT userseg_predict('pca_line', ARRAY[1, 2, 3]::float8[]);

-- Box statistics per cluster.  Cluster 0: v = 1, 2, 3, 4, 100 (and a NULL);
--   q1 2, median 3, q3 4, IQR 2, fences -1 and 7: whiskers 1 and 4, 100 an outlier.
-- Cluster 1: v = 10, 20 (percentile_cont: q1 12.5, median 15, q3 17.5).
-- Unlabelled rows are in no cluster.
CREATE TABLE box_users (id int, seg int, v numeric, w int, platform text);
INSERT INTO box_users VALUES (1, 0, 1, 5, 'a'), (2, 0, 2, 5, 'a'), (3, 0, 3, 5, 'b'),
  (4, 0, 4, 5, 'b'), (5, 0, 100, 5, 'a'), (6, 0, NULL, 5, 'a'), (7, 1, 10, 1, 'a'),
  (8, 1, 20, 2, 'a'), (9, NULL, -500, 9, 'a');
SELECT * FROM userseg_profile_box('box_users', 'seg', ARRAY['v', 'w']);
SELECT b.cluster, b.q1 = p.q1 AND b.median = p.med AND b.q3 = p.q3 AS as_percentile_cont
FROM userseg_profile_box('box_users', 'seg', ARRAY['v']) b
JOIN (SELECT seg, percentile_cont(0.25) WITHIN GROUP (ORDER BY v) q1,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY v) med,
             percentile_cont(0.75) WITHIN GROUP (ORDER BY v) q3
      FROM box_users WHERE seg IS NOT NULL GROUP BY seg) p ON p.seg = b.cluster
ORDER BY b.cluster;
-- errors: a categorical feature (42804), a label column that is not an integer
-- (42804), an unknown feature or label column (42703), NULL arguments (22004)
SELECT pca_error(q) FROM (VALUES
  ('SELECT * FROM userseg_profile_box(''box_users'', ''seg'', ARRAY[''platform''])'),
  ('SELECT * FROM userseg_profile_box(''box_users'', ''platform'', ARRAY[''v''])'),
  ('SELECT * FROM userseg_profile_box(''box_users'', ''seg'', ARRAY[''nope''])'),
  ('SELECT * FROM userseg_profile_box(''box_users'', ''nope'', ARRAY[''v''])'),
  ('SELECT * FROM userseg_profile_box(''box_users'', NULL, ARRAY[''v''])'),
  ('SELECT * FROM userseg_profile_box(''box_users'', ''seg'', NULL)')) AS t(q);
SELECT * FROM userseg_profile_box('box_users', 'seg', ARRAY['platform']);
-- a single cluster with values, and a cluster whose values are all NULL: NULL figures
CREATE TABLE box_one (seg int, v float8);
INSERT INTO box_one VALUES (0, 1), (0, 2), (1, NULL);
SELECT * FROM userseg_profile_box('box_one', 'seg', ARRAY['v']);

-- The projection table: one row per projected row, (id, segment, pc1 ...), for a BI
-- tool to scatter-plot.  pca_line unscaled, one component: pc1 = sqrt(5) (x - 0.2)
-- (see above): -4.919350, -2.683282, -0.447214, 1.788854, 6.260990.
SELECT count(*) FROM userseg_pca('pca_line', ARRAY['x', 'y', 'z'], 1, scale => 'none',
                                 id_column => 'id', projection => 'pca_line_proj',
                                 label_column => 'seg');
SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute
WHERE attrelid = 'pca_line_proj'::regclass AND attnum > 0 ORDER BY attnum;
SELECT id, segment, round(pc1::numeric, 6) AS pc1 FROM pca_line_proj ORDER BY id;
-- schema-qualified and quoted names; without a label column, no segment column
CREATE SCHEMA "pca ""odd"" schema";
SELECT count(*) FROM userseg_pca('pca_line', ARRAY['x', 'y'], 2, id_column => 'id',
                                 projection => '"pca ""odd"" schema"."Proj; DROP TABLE x"');
SELECT string_agg(attname, ', ' ORDER BY attnum) FROM pg_attribute
WHERE attrelid = '"pca ""odd"" schema"."Proj; DROP TABLE x"'::regclass AND attnum > 0;
SELECT count(*) FROM "pca ""odd"" schema"."Proj; DROP TABLE x";
-- the same coordinates as the saved model gives each row
SELECT count(*) FROM userseg_pca('pca_line', ARRAY['x', 'y', 'z'], 1, model => 'pca_line_p',
                                 scale => 'none', id_column => 'id',
                                 projection => 'pca_line_proj2');
SELECT bool_and(abs(p.pc1 - (userseg_project('pca_line_p', l))[1]) < 1e-12) AS as_project
FROM pca_line_proj2 p JOIN pca_line l ON l.id = p.id;
-- errors, before any work: no id column (22023), a table that exists (42P07), an
-- unknown schema (3F000), a name with too many parts or empty (22023), a label column
-- that is not an integer (42804) or unknown (42703), a label column without a
-- projection (22023), a view (no row identities: 42809); nothing is created
CREATE VIEW pca_line_view AS SELECT * FROM pca_line;
SELECT pca_error(q) FROM (VALUES
  ('SELECT * FROM userseg_pca(''pca_line'', ARRAY[''x''], 1, projection => ''p1'')'),
  ('SELECT * FROM userseg_pca(''pca_line'', ARRAY[''x''], 1, projection => ''pca_line_proj'', id_column => ''id'')'),
  ('SELECT * FROM userseg_pca(''pca_line'', ARRAY[''x''], 1, projection => ''nosuch.p1'', id_column => ''id'')'),
  ('SELECT * FROM userseg_pca(''pca_line'', ARRAY[''x''], 1, projection => ''a.b.c'', id_column => ''id'')'),
  ('SELECT * FROM userseg_pca(''pca_line'', ARRAY[''x''], 1, projection => '''', id_column => ''id'')'),
  ('SELECT * FROM userseg_pca(''box_users'', ARRAY[''v''], 1, projection => ''p1'', id_column => ''id'', label_column => ''platform'')'),
  ('SELECT * FROM userseg_pca(''pca_line'', ARRAY[''x''], 1, projection => ''p1'', id_column => ''id'', label_column => ''nope'')'),
  ('SELECT * FROM userseg_pca(''pca_line'', ARRAY[''x''], 1, id_column => ''id'', label_column => ''seg'')'),
  ('SELECT * FROM userseg_pca(''pca_line_view'', ARRAY[''x''], 1, projection => ''p1'', id_column => ''id'')')) AS t(q);
SELECT count(*) AS created FROM pg_class WHERE relname = 'p1';
SELECT * FROM userseg_pca('pca_line', ARRAY['x'], 1, projection => 'pca_line_proj', id_column => 'id');
-- refitting a name that holds a model of another algorithm says so (NOTICE)
SELECT count(*) FROM userseg_kmeans('pca_line', ARRAY['x', 'y'], 2, model => 'pca_takeover');
SELECT count(*) FROM userseg_pca('pca_line', ARRAY['x', 'y'], 1, model => 'pca_takeover');
SELECT algorithm FROM userseg_models WHERE name = 'pca_takeover';
-- rows whose spread is past the range of double: 22003, not an internal error
SELECT pca_error('SELECT userseg_pca(ARRAY[x, y], 1) OVER () FROM (VALUES (1e308::float8, -1e308::float8), (-1e308, 1e308), (1e308, 1e308)) v(x, y)');
SELECT pca_error('SELECT userseg_pca(ARRAY[x, y], 1) OVER () FROM (VALUES (1.7e308::float8, 0::float8), (-1.7e308, 1), (1.7e308, 2)) v(x, y)');
