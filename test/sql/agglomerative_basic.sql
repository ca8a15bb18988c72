-- userseg_agglomerative: window and table forms, the merge table, the model, the
-- comparison's row, errors
SET extra_float_digits = 0;
\set VERBOSITY default

-- four rows on a line: 0, 1, 3, 7.  Every linkage merges rows 0 and 1 at 1, then
-- row 2 with them, then row 3.  single: 2 then 4 (children in scikit-learn's edge
-- order: the tree's side first); complete: 3 then 7; average: 2.5 then 17/3; ward:
-- sqrt(4/3) 2.5 then sqrt(3/2) 17/3
CREATE TABLE agglo_line AS
SELECT i AS id, v AS x FROM (VALUES (0, 0.0::float8), (1, 1.0), (2, 3.0), (3, 7.0)) t(i, v);

SELECT l.linkage, t.step, t.a, t.b, round(t.distance::numeric, 6) AS distance, t.size
FROM (VALUES ('single'), ('complete'), ('average'), ('ward')) l(linkage),
     userseg_agglomerative_tree('agglo_line', ARRAY['x'], l.linkage, scale => 'none',
                                id_column => 'id') t
ORDER BY l.linkage, t.step;

-- labels as _hc_cut numbers them: with 3 clusters the node of rows 0 and 1 is 0, row
-- 3 is 1 and row 2 is 2 (heap positions, not the order of first appearance)
SELECT id, userseg_agglomerative(ARRAY[x], 2, 'complete', NULL, 'none') OVER (ORDER BY id) AS k2,
       userseg_agglomerative(ARRAY[x], 3, 'complete', NULL, 'none') OVER (ORDER BY id) AS k3,
       userseg_agglomerative(ARRAY[x], 3, 'single', NULL, 'none') OVER (ORDER BY id) AS single3,
       userseg_agglomerative(ARRAY[x], 3, 'ward', NULL, 'none') OVER (ORDER BY id) AS ward3,
       userseg_agglomerative(ARRAY[x], 4, 'average', NULL, 'none') OVER (ORDER BY id) AS avg4,
       userseg_agglomerative(ARRAY[x], 1, 'ward', NULL, 'none') OVER (ORDER BY id) AS one
FROM agglo_line ORDER BY id;

-- distance_threshold: a merge at exactly the threshold is not made (complete merges
-- at 1, 3, 7: a threshold of 3 leaves 3 clusters, a hair above 3 leaves 2)
SELECT id, userseg_agglomerative(ARRAY[x], NULL, 'complete', 3.0, 'none') OVER (ORDER BY id) AS at3,
       userseg_agglomerative(ARRAY[x], NULL, 'complete', 3.0000001, 'none') OVER (ORDER BY id) AS above3,
       userseg_agglomerative(ARRAY[x], NULL, 'complete', 0.0, 'none') OVER (ORDER BY id) AS zero,
       userseg_agglomerative(ARRAY[x], NULL, 'complete', 'Infinity', 'none') OVER (ORDER BY id) AS inf
FROM agglo_line ORDER BY id;

-- named arguments; the default scale (zscore) does not change a 1-D order
SELECT id, userseg_agglomerative(ARRAY[x], n_clusters => 2, linkage => 'average') OVER (ORDER BY id)
FROM agglo_line ORDER BY id;

-- NULL features: NULL label, the other rows clustered; partitions on their own; a
-- partition of one row
SELECT i, p, userseg_agglomerative(f, 2, 'single', NULL, 'none') OVER (PARTITION BY p ORDER BY i) AS label
FROM (VALUES (1, 1, ARRAY[0.0]), (2, 1, NULL), (3, 1, ARRAY[0.5]), (4, 1, ARRAY[9.0]),
             (5, 2, ARRAY[4.0]), (6, 2, ARRAY[4.0])) t(i, p, f) ORDER BY i;
SELECT userseg_agglomerative(ARRAY[1.0], 1) OVER ();
SELECT userseg_agglomerative(NULL::float8[], 2) OVER () FROM generate_series(1, 2);

-- the table form: label column, summary row, model of the segments' centroids
SELECT model, linkage, n_clusters, distance_threshold, rows_used, rows_skipped,
       round(silhouette::numeric, 6) AS silhouette, silhouette_sampled, elapsed_ms >= 0 AS timed
FROM userseg_agglomerative('agglo_line', ARRAY['x'], 2, 'complete', label_column => 'seg',
                           scale => 'none', id_column => 'id', model => 'agglo_m');
SELECT id, seg FROM agglo_line ORDER BY id;
SELECT algorithm, parameters->>'linkage' AS linkage, parameters->>'n_clusters' AS n_clusters,
       parameters->>'predict' AS predict, centroids, centroids_original, sizes,
       round(inertia::numeric, 6) AS inertia, rows
FROM userseg_models WHERE name = 'agglo_m';
-- predict: the nearest centroid, an approximation (4.5 is 2.5 from 7, 3.17 from 4/3)
SELECT v, userseg_predict('agglo_m', ARRAY[v]) FROM (VALUES (0.5::float8), (4.0), (4.5), (100.0)) t(v);
SELECT n_clusters, distance_threshold
FROM userseg_agglomerative('agglo_line', ARRAY['x'], NULL, 'single', 2.0, scale => 'none');

-- in the comparison: ward at the comparison's k, or params
SELECT algorithm, n_clusters, note
FROM userseg_compare('agglo_line', ARRAY['x'], 2, scale => 'none') WHERE algorithm = 'agglomerative';
SELECT algorithm, n_clusters, note
FROM userseg_compare('agglo_line', ARRAY['x'], 2, scale => 'none',
                     params => '{"agglomerative": {"linkage": "single", "distance_threshold": 1.5}}')
WHERE algorithm = 'agglomerative';

-- errors: linkage, n_clusters and distance_threshold (22023), NULLs (22004)
SELECT userseg_agglomerative(ARRAY[x], 2, 'median') OVER () FROM agglo_line;
SELECT userseg_agglomerative(ARRAY[x], 2, 'ward', 1.0) OVER () FROM agglo_line;
SELECT userseg_agglomerative(ARRAY[x], NULL) OVER () FROM agglo_line;
SELECT userseg_agglomerative(ARRAY[x], 0) OVER () FROM agglo_line;
SELECT userseg_agglomerative(ARRAY[x], 5) OVER () FROM agglo_line;
SELECT userseg_agglomerative(ARRAY[x], NULL, 'ward', -1.0) OVER () FROM agglo_line;
SELECT userseg_agglomerative(ARRAY[x], NULL, 'ward', 'NaN') OVER () FROM agglo_line;
SELECT userseg_agglomerative(ARRAY[x], 2, NULL) OVER () FROM agglo_line;
SELECT userseg_agglomerative(ARRAY[x], 2, 'ward', NULL, NULL) OVER () FROM agglo_line;
SELECT userseg_agglomerative(ARRAY[x, 'NaN'], 2) OVER () FROM agglo_line;
SELECT * FROM userseg_agglomerative('agglo_line', ARRAY['x'], 5);
SELECT * FROM userseg_agglomerative('agglo_line', ARRAY['x'], 2, 'Ward');
SELECT * FROM userseg_agglomerative('agglo_line', ARRAY['nope'], 2);
SELECT * FROM userseg_agglomerative_tree('agglo_line', ARRAY['x'], NULL);
SELECT * FROM userseg_agglomerative_tree('agglo_line', ARRAY['x'], 'centroid');
SELECT algorithm FROM userseg_compare('agglo_line', ARRAY['x'], 2,
                                      params => '{"agglomerative": {"linkage": 3}}');
SELECT algorithm FROM userseg_compare('agglo_line', ARRAY['x'], 2,
                                      params => '{"agglomerative": {"n_clusters": 2, "distance_threshold": 1}}');
SELECT algorithm FROM userseg_compare('agglo_line', ARRAY['x'], 2,
                                      params => '{"agglomerative": {"connectivity": 1}}');
CREATE TABLE agglo_empty (x float8);
SELECT * FROM userseg_agglomerative('agglo_empty', ARRAY['x'], 2);

-- the budget: complete and average linkage need the condensed matrix, checked first
-- (54000 naming its size, the limit and the most rows that fit); ward and single do not
CREATE TABLE agglo_big AS SELECT g AS id, (g * 7919 % 2003)::float8 AS x FROM generate_series(1, 3000) g;
SET userseg.memory_limit = '2MB';
SELECT * FROM userseg_agglomerative('agglo_big', ARRAY['x'], 3, 'complete');
SELECT max(l) FROM (SELECT userseg_agglomerative(ARRAY[x], 3, 'average') OVER () AS l FROM agglo_big) s;
SELECT n_clusters, rows_used FROM userseg_agglomerative('agglo_big', ARRAY['x'], 3, 'ward');
SELECT n_clusters, rows_used FROM userseg_agglomerative('agglo_big', ARRAY['x'], 3, 'single');
RESET userseg.memory_limit;
-- as many rows as the message says fit do fit (fewer rows read hold less, so its
-- figure is on the safe side)
CREATE TABLE agglo_fit AS SELECT * FROM agglo_big WHERE id <= 656;
SET userseg.memory_limit = '2MB';
SELECT n_clusters, rows_used FROM userseg_agglomerative('agglo_fit', ARRAY['x'], 3, 'complete');
RESET userseg.memory_limit;
SELECT count(*) FROM userseg_agglomerative_tree('agglo_big', ARRAY['x'], 'average');

DROP TABLE agglo_line, agglo_empty, agglo_big, agglo_fit;
DELETE FROM userseg_models WHERE name = 'agglo_m';
