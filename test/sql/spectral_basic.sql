-- userseg_spectral: window and table forms, the embedding, the comparison, errors
SET extra_float_digits = 0;
\set VERBOSITY default

-- three groups on a line, of 5, 4 and 3 rows, 10 apart: with gamma 0.05 (unscaled) the
-- affinity is about 0.99 within a group and exp(-5) between neighbouring groups, so the
-- groups are the clusters; labels are numbered by decreasing size: 0, 1, 2
CREATE TABLE spectral_groups AS
SELECT g AS id,
       CASE WHEN g <= 5 THEN 0.1 * g WHEN g <= 9 THEN 10 + 0.1 * g ELSE 20 + 0.1 * g END AS x,
       (g % 2) * 0.1 AS y
FROM generate_series(1, 12) g;

SELECT id, x, userseg_spectral(ARRAY[x, y], 3, 'rbf', 0.05, scale => 'none') OVER (ORDER BY id) AS label
FROM spectral_groups ORDER BY id;

-- the k-NN graph with 3 neighbours (itself included) joins only rows of a group
SELECT id, userseg_spectral(ARRAY[x, y], 3, 'nearest_neighbors', n_neighbors => 3,
                            scale => 'none') OVER (ORDER BY id) AS label
FROM spectral_groups ORDER BY id;

-- the same labels whatever the row order and the seed (numbered by size); zscore
-- scaling of x alone keeps the groups (10 apart are 1.2 standard deviations)
SELECT bool_and(a = b) AS order_and_seed, bool_and(b = c) AS zscore
FROM (SELECT id,
             userseg_spectral(ARRAY[x, y], 3, 'rbf', 0.05, scale => 'none') OVER (ORDER BY -id) AS a,
             userseg_spectral(ARRAY[x, y], 3, 'rbf', 0.05, seed => 42, scale => 'none') OVER (ORDER BY id) AS b,
             userseg_spectral(ARRAY[x], 3, 'rbf', 5.0) OVER (ORDER BY id) AS c
      FROM spectral_groups) s;

-- one cluster; as many clusters as rows (every eigenvector, LAPACK); a single row
SELECT array_agg(l ORDER BY id) AS labels
FROM (SELECT id, userseg_spectral(ARRAY[x, y], 1, 'rbf', 0.05, scale => 'none') OVER () AS l
      FROM spectral_groups) s;
SELECT count(DISTINCT l) AS clusters
FROM (SELECT userseg_spectral(ARRAY[x, y], 12, 'rbf', 0.05, scale => 'none') OVER () AS l
      FROM spectral_groups) s;
SELECT userseg_spectral(ARRAY[1.0, 2.0], 1) OVER ();

-- NULL features: NULL label, the other rows clustered; an all-NULL partition
SELECT i, userseg_spectral(f, 2, 'rbf', 0.5, scale => 'none') OVER (ORDER BY i) AS label
FROM (VALUES (1, ARRAY[0.0]), (2, NULL), (3, ARRAY[0.5]), (4, ARRAY[9.0]), (5, ARRAY[9.5])) t(i, f)
ORDER BY i;
SELECT userseg_spectral(NULL::float8[], 2) OVER () FROM generate_series(1, 2);

-- the embedding: n_components coordinates per row; the first (the eigenvector of the
-- largest eigenvalue over sqrt(degree)) has one sign, made positive by the sign flip
SELECT count(*) AS rows, min(array_length(e, 1)) AS n_components,
       bool_and(e[1] > 0) AS first_positive
FROM (SELECT userseg_spectral_embedding(ARRAY[x, y], 3, 'rbf', 0.05, scale => 'none') OVER () AS e
      FROM spectral_groups) s;

-- the table form: label column, summary row, id_column order
SELECT n_clusters, affinity, gamma, n_neighbors, clusters_found, rows_used, rows_skipped,
       last_eigenvalue > 0.5 AS eigenvalue_above_half, round(silhouette::numeric, 4) AS silhouette,
       silhouette_sampled, elapsed_ms >= 0 AS timed
FROM userseg_spectral('spectral_groups', ARRAY['x', 'y'], 3, 'seg', gamma => 0.05,
                      scale => 'none', id_column => 'id');
SELECT seg, count(*), min(id), max(id) FROM spectral_groups GROUP BY seg ORDER BY seg;
SELECT n_clusters, affinity, gamma, n_neighbors, clusters_found
FROM userseg_spectral('spectral_groups', ARRAY['x', 'y'], 3, affinity => 'nearest_neighbors',
                      n_neighbors => 3, scale => 'none');

-- reports on its labels
SELECT cluster, feature, n, round(mean::numeric, 4) AS mean
FROM userseg_profile('spectral_groups', 'seg', ARRAY['x']) ORDER BY cluster NULLS LAST;

-- in the comparison: scikit-learn's defaults (rbf, gamma 1.0) or params
SELECT algorithm, n_clusters, note
FROM userseg_compare('spectral_groups', ARRAY['x', 'y'], 3, scale => 'none',
                     params => '{"spectral": {"gamma": 0.05}}')
WHERE algorithm = 'spectral';
SELECT algorithm, n_clusters, note
FROM userseg_compare('spectral_groups', ARRAY['x', 'y'], 3, scale => 'none',
                     params => '{"spectral": {"affinity": "nearest_neighbors", "n_neighbors": 3, "n_init": 2}}')
WHERE algorithm = 'spectral';

-- errors: message, then SQLSTATE
SELECT userseg_spectral(ARRAY[x], 3, 'cosine') OVER () FROM spectral_groups LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_spectral(ARRAY[x], 3, 'rbf', 0) OVER () FROM spectral_groups LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_spectral(ARRAY[x], 3, 'rbf', -1) OVER () FROM spectral_groups LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_spectral(ARRAY[x], 3, 'rbf', 'NaN') OVER () FROM spectral_groups LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_spectral(ARRAY[x], 3, 'rbf', 'Infinity') OVER () FROM spectral_groups LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_spectral(ARRAY[x], 3, 'nearest_neighbors', n_neighbors => 0) OVER () FROM spectral_groups LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_spectral(ARRAY[x], 3, 'nearest_neighbors', n_neighbors => 12) OVER () FROM spectral_groups LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_spectral(ARRAY[x], 0) OVER () FROM spectral_groups LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_spectral(ARRAY[x], 13) OVER () FROM spectral_groups LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_spectral(ARRAY[x], 3, n_init => 0) OVER () FROM spectral_groups LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_spectral(ARRAY[x], NULL) OVER () FROM spectral_groups LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_spectral(ARRAY[x], 3, NULL) OVER () FROM spectral_groups LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_spectral(ARRAY[x], 3, seed => NULL) OVER () FROM spectral_groups LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_spectral(ARRAY[x], 3, scale => 'unit') OVER () FROM spectral_groups LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_spectral(CASE WHEN id = 3 THEN ARRAY[x, y] ELSE ARRAY[x] END, 3) OVER () FROM spectral_groups LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_spectral(ARRAY[x, 'NaN'], 3) OVER () FROM spectral_groups LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_spectral(ARRAY[[x, y]], 3) OVER () FROM spectral_groups LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_spectral_embedding(ARRAY[x], 0) OVER () FROM spectral_groups LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_spectral('spectral_groups', ARRAY['x'], 3, affinity => 'knn');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_spectral('spectral_groups', ARRAY['x'], 3, gamma => 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_spectral('spectral_groups', ARRAY['x'], 20);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_spectral('spectral_groups', ARRAY['x'], NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_spectral('spectral_groups', ARRAY['nope'], 3);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare('spectral_groups', ARRAY['x'], 3, params => '{"spectral": {"gamma": -1}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare('spectral_groups', ARRAY['x'], 3, params => '{"spectral": {"affinity": 3}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare('spectral_groups', ARRAY['x'], 3, params => '{"spectral": {"eps": 1}}');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE spectral_empty (x float8);
SELECT * FROM userseg_spectral('spectral_empty', ARRAY['x'], 2);
\echo :LAST_ERROR_SQLSTATE
-- over the memory budget: the dense affinity of 3,000 rows is 36 MB; 54000 naming both sizes
SET userseg.memory_limit = '8MB';
CREATE TABLE spectral_big AS SELECT g::float8 AS x FROM generate_series(1, 3000) g;
SELECT * FROM userseg_spectral('spectral_big', ARRAY['x'], 2);
\echo :LAST_ERROR_SQLSTATE
SELECT max(l) FROM (SELECT userseg_spectral(ARRAY[x], 2) OVER () AS l FROM spectral_big) s;
\echo :LAST_ERROR_SQLSTATE
RESET userseg.memory_limit;
-- no label column is left behind by a fit that fails
SELECT * FROM userseg_spectral('spectral_groups', ARRAY['x'], 20, 'seg_failed');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS seg_failed_columns FROM information_schema.columns
WHERE table_name = 'spectral_groups' AND column_name = 'seg_failed';

DROP TABLE spectral_groups, spectral_empty, spectral_big;
