-- K-Means over a table pass by pass: the step aggregate in serial and parallel plans,
-- its state's text round trip, method => 'scan' against the in-memory fit, errors
SET extra_float_digits = 0;

-- 60000 rows in three groups, deterministic, positive values (sums without
-- cancellation, so that relative differences are meaningful)
CREATE TABLE ks AS
SELECT i AS id, i % 3 AS g,
       ARRAY[10 + (i % 3) * 5 + sin(i::float8), 20 + (i % 3) * 3 + cos(i::float8),
             1 + (i % 7) * 0.25]::float8[] AS f
FROM generate_series(1, 60000) i;
ANALYZE ks;

-- serial
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE step_serial AS
SELECT userseg_kmeans_step(f, '{{10,20,1},{15,23,2},{20,26,2.5}}') AS r FROM ks;
SELECT (r).sizes, (r).rows, round((r).inertia::numeric, 6) AS inertia FROM step_serial;
-- the means are those of a GROUP BY on the nearest center
SELECT bool_and(abs(m.a - (SELECT avg(x) FROM ks, unnest(f) WITH ORDINALITY u(x, j)
                           WHERE g = m.c - 1 AND j = m.j)) <= 1e-12 * abs(m.a))
       AS means_are_group_means
FROM step_serial,
     LATERAL (SELECT c, j, (r).centers[c][j] AS a
              FROM generate_series(1, 3) c, generate_series(1, 3) j) m;

-- parallel: partial states combined in the leader
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT userseg_kmeans_step(f, '{{10,20,1},{15,23,2},{20,26,2.5}}') FROM ks;
EXPLAIN (COSTS OFF)
SELECT g, userseg_kmeans_step(f, '{{10,20,1},{15,23,2}}') FROM ks GROUP BY g;
CREATE FUNCTION ks_workers(q text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, COSTS OFF, TIMING OFF) ' || q INTO plan;
  RETURN (plan -> 0 -> 'Plan' -> 'Plans' -> 0 ->> 'Workers Launched')::int;
END $$;
SELECT ks_workers('SELECT userseg_kmeans_step(f, ''{{10,20,1},{15,23,2},{20,26,2.5}}'') FROM ks') > 0
       AS workers_launched;
-- the same counts exactly, centers and inertia within 1e-12 relative
SELECT (p).sizes = (s).sizes AS same_sizes, (p).rows = (s).rows AS same_rows,
       abs((p).inertia - (s).inertia) <= 1e-12 * (s).inertia AS inertia_within_1e_12,
       (SELECT bool_and(abs(a - b) <= 1e-12 * abs(b))
        FROM unnest((p).centers, (s).centers) u(a, b)) AS centers_within_1e_12
FROM (SELECT userseg_kmeans_step(f, '{{10,20,1},{15,23,2},{20,26,2.5}}') AS p FROM ks) q,
     (SELECT r AS s FROM step_serial) t;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- the state survives its text form exactly (as Citus ships partial states)
CREATE TEMP TABLE halves AS
SELECT id % 2 AS half, f FROM ks;
CREATE FUNCTION ks_state(part int) RETURNS float8[] LANGUAGE sql AS $$
  SELECT s FROM (SELECT userseg_kmeans_step_trans(NULL, f, '{{10,20,1},{15,23,2}}') AS s
                 FROM halves WHERE half = part LIMIT 1) q $$;
-- a state from one row: text out and in gives the same array with the default
-- extra_float_digits (1: shortest exact output), not when output is rounded
SET extra_float_digits = 1;
SELECT ks_state(0)::text::float8[] = ks_state(0) AS text_round_trip,
       (SELECT bool_and(a = b) FROM unnest(ks_state(1)::text::float8[], ks_state(1)) u(a, b))
       AS every_element_equal;
SET extra_float_digits = 0;
SELECT ks_state(0)::text::float8[] = ks_state(0) AS rounded_round_trip;
-- combining the text forms of two states gives the state of both rows
SELECT (userseg_kmeans_step_final(userseg_kmeans_step_combine(
          ks_state(0)::text::float8[], ks_state(1)::text::float8[]))).sizes AS combined_sizes;

-- NULL features and vectors with a NULL element are left out; an empty group is NULL
SELECT (userseg_kmeans_step(x, '{{0,0},{10,10}}')).*
FROM (VALUES ('{1,1}'::float8[]), (NULL), ('{1,NULL}'), ('{9,11}'), ('{2,0}')) v(x);
SELECT userseg_kmeans_step(f, '{{0,0,0}}') IS NULL AS empty_is_null FROM ks WHERE false;
-- an empty center keeps its value
SELECT (userseg_kmeans_step(x, '{{0,0},{100,100}}')).*
FROM (VALUES ('{1,1}'::float8[]), ('{3,3}')) v(x);

-- errors
SELECT userseg_kmeans_step(f, NULL) FROM ks;
SELECT userseg_kmeans_step(f, '{1,2,3}') FROM ks;
SELECT userseg_kmeans_step(f, '{{1,2},{3,4}}') FROM ks;
SELECT userseg_kmeans_step(f, '{{1,2,NULL}}') FROM ks;
SELECT userseg_kmeans_step(f, '{{1,2,NaN}}') FROM ks;
SELECT userseg_kmeans_step(x, '{{1,2}}') FROM (VALUES ('{1,Infinity}'::float8[])) v(x);
SELECT userseg_kmeans_step(x, c)
FROM (VALUES ('{1,1}'::float8[], '{{0,0}}'::float8[]), ('{2,2}', '{{1,1}}')) v(x, c);
SELECT userseg_kmeans_step_final('{1,2,3}');
SELECT userseg_kmeans_step_final('{}');
SELECT userseg_kmeans_step_final('{{1,2},{3,4}}');
SELECT userseg_kmeans_step_final(array_fill(0::float8, ARRAY[20]));
-- a state whose counts were tampered with
SELECT userseg_kmeans_step_final(s[1:10] || ARRAY[5::float8] || s[12:])
FROM (SELECT userseg_kmeans_step_trans(NULL, '{1}', '{{0}}') AS s) q;
SELECT userseg_kmeans_step_combine(userseg_kmeans_step_trans(NULL, '{1}', '{{0}}'),
                                   userseg_kmeans_step_trans(NULL, '{1}', '{{5}}'));

-- method => 'scan' against the in-memory fit from the same initial centers: the same
-- iterations, labels and (within 1e-9) inertia
CREATE TABLE kt AS
SELECT id, (f)[1] AS a, (f)[2]::numeric AS b, ((f)[3] * 4)::int AS c FROM ks;
UPDATE kt SET a = NULL WHERE id % 1000 = 0;
CREATE TEMP TABLE fits AS
SELECT 'memory' AS method, * FROM userseg_kmeans('kt', '{a,b,c}', 3, label_column => 'lab_mem',
    init => '{{10,20,4},{15,23,8},{20,26,10}}', method => 'memory')
UNION ALL
SELECT 'scan', * FROM userseg_kmeans('kt', '{a,b,c}', 3, label_column => 'lab_scan',
    init => '{{10,20,4},{15,23,8},{20,26,10}}', method => 'scan');
SELECT method, k, rows_used, rows_skipped, iterations FROM fits ORDER BY method;
SELECT abs(m.inertia - s.inertia) <= 1e-9 * m.inertia AS inertia_within_1e_9
FROM fits m, fits s WHERE m.method = 'memory' AND s.method = 'scan';
SELECT count(*) AS rows, count(*) FILTER (WHERE lab_mem IS NOT DISTINCT FROM lab_scan) AS same_label,
       count(*) FILTER (WHERE lab_scan IS NULL) AS null_labels
FROM kt;
-- seeded from the sample: on a table that fits in the sample (10000 rows), the sample
-- is the whole table in id_column's order (as the in-memory read), so the seeding is the in-memory fit's: the same
-- partition, with the same numbering
CREATE TABLE kt9 AS SELECT * FROM kt WHERE id <= 9000;
CREATE TEMP TABLE fits9 AS
SELECT 'memory' AS method, * FROM userseg_kmeans('kt9', '{a,b,c}', 3, label_column => 'lab_mem',
    seed => 7, id_column => 'id', method => 'memory')
UNION ALL
SELECT 'scan', * FROM userseg_kmeans('kt9', '{a,b,c}', 3, label_column => 'lab_scan',
    seed => 7, id_column => 'id', method => 'scan');
SELECT abs(m.inertia - s.inertia) <= 1e-9 * m.inertia AS inertia_within_1e_9,
       abs(m.silhouette - s.silhouette) <= 1e-9 AS silhouette_within_1e_9, s.silhouette_sampled
FROM fits9 m, fits9 s WHERE m.method = 'memory' AND s.method = 'scan';
SELECT count(*) AS rows, count(*) FILTER (WHERE lab_mem IS NOT DISTINCT FROM lab_scan) AS same_label
FROM kt9;
-- on the larger table, seeded from a sample of it: a partition as good as the in-memory one
SELECT method, rows_used,
       inertia <= 1.01 * min(inertia) OVER () AS inertia_within_1_percent_of_best
FROM (SELECT 'memory' AS method, * FROM userseg_kmeans('kt', '{a,b,c}', 3, seed => 7, method => 'memory')
      UNION ALL
      SELECT 'scan', * FROM userseg_kmeans('kt', '{a,b,c}', 3, seed => 7, method => 'scan')) f
ORDER BY method;
-- a second run rewrites no label that does not change
SELECT count(*) AS changed FROM kt9 WHERE lab_scan IS DISTINCT FROM lab_mem;
SELECT xmin AS before FROM kt9 WHERE id = 1 \gset
SELECT rows_used FROM userseg_kmeans('kt9', '{a,b,c}', 3, label_column => 'lab_scan', seed => 7,
                                     id_column => 'id', method => 'scan');
SELECT xmin = :'before' AS row_not_rewritten FROM kt9 WHERE id = 1;

-- method => 'minibatch': mini-batch K-Means on the sample, then the label pass; the
-- same seed gives the same fit, a partition near the in-memory one
CREATE TEMP TABLE mb AS
SELECT 1 AS run, * FROM userseg_kmeans('kt9', '{a,b,c}', 3, seed => 5, batch_size => 256,
                                       method => 'minibatch', label_column => 'lab_mb')
UNION ALL
SELECT 2, * FROM userseg_kmeans('kt9', '{a,b,c}', 3, seed => 5, batch_size => 256,
                                method => 'minibatch');
SELECT run, k, rows_used, iterations >= 1 AS iterated FROM mb ORDER BY run;
SELECT abs(a.inertia - b.inertia) <= 1e-12 * a.inertia AS same_fit,
       a.inertia <= 1.1 * (SELECT inertia FROM fits9 WHERE method = 'memory') AS within_10_percent
FROM mb a, mb b WHERE a.run = 1 AND b.run = 2;
SELECT count(*) FILTER (WHERE lab_mb IS NULL) AS null_labels,
       count(DISTINCT lab_mb) AS clusters FROM kt9;
SELECT * FROM userseg_kmeans('kt9', '{a,b,c}', 3, batch_size => 0, method => 'minibatch');
SELECT * FROM userseg_kmeans('kt9', '{a,b,c}', 3, batch_size => NULL, method => 'minibatch');

-- models from the scan: the same row as the in-memory path's from the same initial
-- centers (9000 rows: the scan's sample is the table)
SET client_min_messages = warning;
CREATE TEMP TABLE mfits AS
SELECT 'memory' AS method, * FROM userseg_kmeans('kt9', '{a,b,c}', 3, label_column => 'lab_mem',
    init => '{{10,20,4},{15,23,8},{20,26,10}}', method => 'memory', model => 'ks_mem')
UNION ALL
SELECT 'scan', * FROM userseg_kmeans('kt9', '{a,b,c}', 3, label_column => 'lab_scan',
    init => '{{10,20,4},{15,23,8},{20,26,10}}', method => 'scan', model => 'ks_scan');
RESET client_min_messages;
SELECT method, model, rows_used, rows_skipped, iterations FROM mfits ORDER BY method;
CREATE FUNCTION ks_close(a float8[], b float8[], tol float8) RETURNS boolean LANGUAGE sql AS $$
  SELECT cardinality(a) = cardinality(b) AND
         (SELECT bool_and(abs(x - y) <= tol * greatest(abs(x), abs(y), 1)) FROM unnest(a, b) u(x, y)) $$;
SELECT s.algorithm, s.features = m.features AS same_features, s.columns = m.columns AS same_columns,
       s.encoding = m.encoding AS same_encoding, s.scaler = m.scaler AS same_scaler,
       ks_close(s.scale_center, m.scale_center, 1e-12) AS center_within_1e_12,
       ks_close(s.scale_scale, m.scale_scale, 1e-12) AS scale_within_1e_12,
       ks_close(s.centroids, m.centroids, 1e-9) AS centroids_within_1e_9,
       ks_close(s.centroids_original, m.centroids_original, 1e-9) AS original_within_1e_9,
       s.sizes = m.sizes AS same_sizes, abs(s.inertia - m.inertia) <= 1e-9 * m.inertia AS inertia_within_1e_9,
       abs(s.silhouette - m.silhouette) <= 1e-9 AS silhouette_within_1e_9,
       s.silhouette_sampled, s.rows = m.rows AS same_rows, s.state = m.state AS same_state
FROM userseg_models s, userseg_models m WHERE s.name = 'ks_scan' AND m.name = 'ks_mem';
-- the parameters are the in-memory fit's, with the method
SELECT s.parameters ->> 'method' AS method,
       s.parameters - '{method,label_column}'::text[] = m.parameters - 'label_column' AS same_parameters
FROM userseg_models s, userseg_models m WHERE s.name = 'ks_scan' AND m.name = 'ks_mem';
-- the summary's silhouette is the model's; predict gives every row the label the scan wrote
SELECT f.silhouette = s.silhouette AS same_silhouette, f.inertia = s.inertia AS same_inertia
FROM mfits f, userseg_models s WHERE f.method = 'scan' AND s.name = 'ks_scan';
SELECT count(*) AS rows, count(*) FILTER (WHERE lab_scan IS NULL) AS null_labels,
       count(*) FILTER (WHERE lab_scan IS NOT DISTINCT FROM userseg_predict('ks_scan', to_jsonb(kt9)))
       AS predict_equals_label,
       count(*) FILTER (WHERE lab_mem IS NOT DISTINCT FROM lab_scan) AS same_label_as_memory
FROM kt9;
-- on the larger table, seeded from a sample, and by mini-batch
SELECT model, rows_used FROM userseg_kmeans('kt', '{a,b,c}', 3, label_column => 'lab_scan',
    seed => 7, method => 'scan', model => 'ks_big');
SELECT count(*) FILTER (WHERE lab_scan IS DISTINCT FROM userseg_predict('ks_big', kt))
       AS predict_differs, count(DISTINCT lab_scan) AS clusters
FROM kt;
SELECT model, rows_used FROM userseg_kmeans('kt9', '{a,b,c}', 3, label_column => 'lab_mb',
    seed => 5, batch_size => 256, method => 'minibatch', model => 'ks_mb');
SELECT parameters ->> 'method' AS method, parameters ->> 'batch_size' AS batch_size,
       (SELECT sum(x) FROM unnest(sizes) x) = rows AS sizes_add_up
FROM userseg_models WHERE name = 'ks_mb';
SELECT count(*) FILTER (WHERE lab_mb IS DISTINCT FROM userseg_predict('ks_mb', to_jsonb(kt9)))
       AS predict_differs
FROM kt9;
-- a refit renumbers its clusters to the previous fit's before writing the labels: on
-- rows where the first group is the smallest, numbering by size alone would move it
CREATE TABLE kt_sub AS SELECT id, id % 3 AS g, a, b, c FROM kt9 WHERE id % 3 <> 0 OR id <= 1500;
ALTER TABLE kt_sub ADD COLUMN prev int;
UPDATE kt_sub SET prev = userseg_predict('ks_scan', to_jsonb(kt_sub));
SELECT g, prev, count(*) FROM kt_sub GROUP BY g, prev ORDER BY g, prev;
SELECT model, iterations FROM userseg_kmeans('kt_sub', '{a,b,c}', 3, label_column => 'lab',
    seed => 11, method => 'scan', model => 'ks_scan');
SELECT g, lab, count(*) FROM kt_sub GROUP BY g, lab ORDER BY g, lab;
SELECT sizes, count(*) FILTER (WHERE lab IS DISTINCT FROM prev) AS moved_to_another_cluster,
       count(*) FILTER (WHERE lab IS DISTINCT FROM userseg_predict('ks_scan', to_jsonb(kt_sub)))
       AS predict_differs
FROM kt_sub, userseg_models WHERE name = 'ks_scan' GROUP BY sizes;
-- without the previous fit's numbering: by decreasing size
SELECT model FROM userseg_kmeans('kt_sub', '{a,b,c}', 3, label_column => 'lab', seed => 11,
    method => 'scan', model => 'ks_sub_fresh');
SELECT g, lab, count(*) FROM kt_sub GROUP BY g, lab ORDER BY g, lab;
-- other features: the model is replaced, with a NOTICE
SELECT model FROM userseg_kmeans('kt_sub', '{a,b}', 3, seed => 11, method => 'scan',
    model => 'ks_sub_fresh');
SELECT features, columns FROM userseg_models WHERE name = 'ks_sub_fresh';
-- all or nothing: when saving the model fails, no label is written either
CREATE FUNCTION ks_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'models are read-only here'; END $$;
SELECT created_at AS saved_at FROM userseg_models WHERE name = 'ks_scan' \gset
CREATE TRIGGER ks_refuse BEFORE INSERT OR UPDATE ON userseg_models
    FOR EACH ROW EXECUTE FUNCTION ks_refuse();
\set VERBOSITY terse
SELECT model FROM userseg_kmeans('kt_sub', '{a,b,c}', 3, label_column => 'lab_new', seed => 2,
    method => 'scan', model => 'ks_refused');
SELECT model FROM userseg_kmeans('kt_sub', '{a,b,c}', 3, label_column => 'lab', seed => 2,
    init => '{{10,20,4},{20,26,10},{15,23,8}}', method => 'scan', model => 'ks_scan');
\set VERBOSITY default
DROP TRIGGER ks_refuse ON userseg_models;
SELECT count(*) FILTER (WHERE attname = 'lab_new') AS lab_new_columns
FROM pg_attribute WHERE attrelid = 'kt_sub'::regclass AND NOT attisdropped;
SELECT g, lab, count(*) FROM kt_sub GROUP BY g, lab ORDER BY g, lab;
SELECT count(*) FILTER (WHERE name = 'ks_refused') AS refused_models,
       count(*) FILTER (WHERE name = 'ks_scan' AND created_at = :'saved_at') AS previous_kept
FROM userseg_models;

-- nulls => 'impute': a NULL stands for the column's mean, and the scaler is fitted with
-- those values, as in memory: from the same initial centers the same model within 1e-9
-- and the same labels, every row labelled
UPDATE kt9 SET b = NULL WHERE id % 77 = 0;
CREATE TEMP TABLE ifits AS
SELECT 'memory' AS method, * FROM userseg_kmeans('kt9', '{a,b,c}', 3, label_column => 'imp_mem',
    nulls => 'impute', init => '{{10,20,4},{15,23,8},{20,26,10}}', method => 'memory',
    model => 'ks_imp_mem')
UNION ALL
SELECT 'scan', * FROM userseg_kmeans('kt9', '{a,b,c}', 3, label_column => 'imp_scan',
    nulls => 'impute', init => '{{10,20,4},{15,23,8},{20,26,10}}', method => 'scan',
    model => 'ks_imp_scan');
SELECT method, rows_used, rows_skipped, iterations FROM ifits ORDER BY method;
SELECT abs(m.inertia - s.inertia) <= 1e-9 * m.inertia AS inertia_within_1e_9,
       abs(m.silhouette - s.silhouette) <= 1e-9 AS silhouette_within_1e_9
FROM ifits m, ifits s WHERE m.method = 'memory' AND s.method = 'scan';
SELECT ks_close(s.scale_center, m.scale_center, 1e-12) AS center_within_1e_12,
       ks_close(s.scale_scale, m.scale_scale, 1e-12) AS scale_within_1e_12,
       ks_close(s.centroids, m.centroids, 1e-9) AS centroids_within_1e_9,
       ks_close(s.centroids_original, m.centroids_original, 1e-9) AS original_within_1e_9,
       s.sizes = m.sizes AS same_sizes, s.rows, s.encoding ->> 'nulls' AS nulls,
       ks_close(ARRAY(SELECT (f ->> 'imputed')::float8 FROM jsonb_array_elements(s.encoding -> 'features') f),
                ARRAY(SELECT (f ->> 'imputed')::float8 FROM jsonb_array_elements(m.encoding -> 'features') f),
                1e-12) AS imputed_within_1e_12,
       (SELECT bool_and(abs((f ->> 'imputed')::float8 - avg) <= 1e-12 * abs(avg))
        FROM jsonb_array_elements(s.encoding -> 'features') f,
             LATERAL (SELECT avg(v) FROM kt9, LATERAL (SELECT (to_jsonb(kt9) ->> (f ->> 'name'))::float8) x(v)) q)
       AS imputed_is_column_mean
FROM userseg_models s, userseg_models m WHERE s.name = 'ks_imp_scan' AND m.name = 'ks_imp_mem';
SELECT count(*) AS rows, count(*) FILTER (WHERE imp_scan IS NULL) AS null_labels,
       count(*) FILTER (WHERE imp_mem IS NOT DISTINCT FROM imp_scan) AS same_label_as_memory,
       count(*) FILTER (WHERE imp_scan IS NOT DISTINCT FROM userseg_predict('ks_imp_scan', to_jsonb(kt9)))
       AS predict_equals_label,
       count(*) FILTER (WHERE a IS NULL OR b IS NULL) AS rows_with_null
FROM kt9;
-- seeded from the sample (here every row, in id_column's order): the in-memory fit
SELECT abs(m.inertia - s.inertia) <= 1e-9 * m.inertia AS inertia_within_1e_9
FROM userseg_kmeans('kt9', '{a,b,c}', 3, label_column => 'imp_mem', nulls => 'impute', seed => 4,
                    id_column => 'id', method => 'memory') m,
     userseg_kmeans('kt9', '{a,b,c}', 3, label_column => 'imp_scan', nulls => 'impute', seed => 4,
                    id_column => 'id', method => 'scan') s;
SELECT count(*) FILTER (WHERE imp_mem IS DISTINCT FROM imp_scan) AS labels_differ FROM kt9;
-- with parallel plans encouraged, the same labels
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT rows_used FROM userseg_kmeans('kt9', '{a,b,c}', 3, label_column => 'imp_scan',
    nulls => 'impute', seed => 4, id_column => 'id', method => 'scan');
SELECT count(*) FILTER (WHERE imp_mem IS DISTINCT FROM imp_scan) AS labels_differ FROM kt9;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
-- a column of NULLs only has nothing to impute from, as in memory
CREATE TABLE kt_nulls AS SELECT id, a, NULL::float8 AS z FROM kt9 WHERE id <= 10;
SELECT * FROM userseg_kmeans('kt_nulls', '{a,z}', 2, nulls => 'impute', method => 'scan');
SELECT * FROM userseg_kmeans('kt_nulls', '{a,z}', 2, nulls => 'impute', method => 'memory');

-- 'auto' runs by scan, with a NOTICE, when the matrix would not fit, also with a model
ANALYZE kt;
SET userseg.memory_limit = '3MB';
SELECT k, rows_used FROM userseg_kmeans('kt', '{a,b,c}', 3, seed => 7);
SELECT model, rows_used FROM userseg_kmeans('kt', '{a,b,c}', 3, seed => 7, model => 'ks_auto');
SELECT parameters ->> 'method' AS method, rows FROM userseg_models WHERE name = 'ks_auto';
SELECT k, rows_used FROM userseg_kmeans('kt', '{a,b,c}', 3, seed => 7, method => 'memory');
RESET userseg.memory_limit;

-- errors of the scan
SELECT * FROM userseg_kmeans('kt', '{a,b,c}', 3, method => 'nope');
SELECT * FROM userseg_kmeans('kt', '{a,b,c}', 3, method => NULL);
SELECT * FROM userseg_kmeans('kt', '{a,b,c}', 3, method => 'scan', scale => 'robust');
SELECT * FROM userseg_kmeans('kt', '{a,b,c}', 3, method => 'scan', nulls => 'error');
SELECT * FROM userseg_kmeans('kt', '{a,nope}', 3, method => 'scan');
SELECT * FROM userseg_kmeans('kt', '{a,b}', 3, method => 'scan', init => '{{1,2}}');
SELECT * FROM userseg_kmeans('kt', '{a,b}', 1, method => 'scan', init => '{{1,NaN}}');
SELECT * FROM userseg_kmeans('kt', '{a,b}', 1, method => 'scan', label_column => 'a');
CREATE TABLE kt_cat (x float8, t text);
INSERT INTO kt_cat VALUES (1, 'a'), (2, 'b');
SELECT * FROM userseg_kmeans('kt_cat', '{x,t}', 2, method => 'scan');
SELECT * FROM userseg_kmeans('kt_cat', '{x}', 3, method => 'scan');
CREATE TABLE kt_empty (x float8);
SELECT * FROM userseg_kmeans('kt_empty', '{x}', 2, method => 'scan');
SELECT * FROM userseg_kmeans('kt_empty', '{"x; DROP TABLE kt"}', 2, method => 'scan');

SELECT * FROM userseg_kmeans('kt_cat', '{x,t}', 2, method => 'scan', model => 'ks_cat');
SELECT * FROM userseg_kmeans('kt', '{a,b,c}', 3, method => 'scan', scale => 'robust', model => 'ks_robust');
SELECT count(*) AS models FROM userseg_models WHERE name IN ('ks_cat', 'ks_robust');

DELETE FROM userseg_models WHERE name LIKE 'ks\_%';
DROP TABLE ks, kt, kt9, kt_sub, kt_nulls, kt_cat, kt_empty;
