-- userseg_dbscan: window and table forms, the eps helper, reports on its labels, errors
SET extra_float_digits = 0;
\set VERBOSITY default

-- runs of spacing 0.125 (exact) and a row 0.25 from the end of each: with eps 0.25 and
-- min_samples 4 that row is a border row of both clusters and joins cluster 0, the one
-- whose lowest core row comes first; a far row is noise
CREATE TABLE dbscan_runs AS
SELECT g AS id, CASE WHEN g < 10 THEN g * 0.125
                     WHEN g = 10 THEN 1.375
                     WHEN g < 21 THEN 1.625 + (g - 11) * 0.125
                     ELSE 9.0 END AS x,
       0.0::float8 AS y
FROM generate_series(0, 21) g;

SELECT id, x, userseg_dbscan(ARRAY[x, y], 0.25, 4, 'none') OVER (ORDER BY id) AS label
FROM dbscan_runs ORDER BY id;

-- the same rows with the second run first: numbers follow the lowest core row
SELECT id, label
FROM (SELECT id, userseg_dbscan(ARRAY[x, y], 0.25, 4, 'none') OVER (ORDER BY -id) AS label
      FROM dbscan_runs) s
WHERE id IN (0, 10, 20, 21) ORDER BY id;

-- eps is inclusive: at exactly the spacing every run row is core; just below, none is
SELECT eps, array_agg(DISTINCT label ORDER BY label) AS labels
FROM (SELECT e AS eps, userseg_dbscan(ARRAY[x], e, 3, 'none') OVER (PARTITION BY e ORDER BY id) AS label
      FROM dbscan_runs, (VALUES (0.125::float8), (0.12499999)) v(e)
      WHERE id < 10) s
GROUP BY eps ORDER BY eps;

-- min_samples 1: every row is core, duplicates share a cluster
SELECT userseg_dbscan(ARRAY[v], 0.5, 1, 'none') OVER (ORDER BY i) AS label
FROM (VALUES (1, 0.0::float8), (2, 0.0), (3, 5.0), (4, 0.0)) t(i, v) ORDER BY i;

-- NULL features: NULL label, the other rows clustered; an empty partition
SELECT i, userseg_dbscan(f, 1.0, 2, 'none') OVER (ORDER BY i) AS label
FROM (VALUES (1, ARRAY[0.0]), (2, NULL), (3, ARRAY[0.5]), (4, ARRAY[9.0])) t(i, f) ORDER BY i;
SELECT userseg_dbscan(NULL::float8[], 1.0) OVER () FROM generate_series(1, 2);

-- the table form: label column (noise -1), summary row, id_column order
SELECT eps, min_samples, n_clusters, rows_used, rows_skipped, core_rows, noise,
       round(silhouette::numeric, 6) AS silhouette, silhouette_sampled, elapsed_ms >= 0 AS timed
FROM userseg_dbscan('dbscan_runs', ARRAY['x', 'y'], 0.25, 4, label_column => 'seg',
                    scale => 'none', id_column => 'id');
SELECT seg, count(*), min(id), max(id) FROM dbscan_runs GROUP BY seg ORDER BY seg;

-- reports on DBSCAN's labels: noise is a segment of its own
SELECT cluster, feature, n, round(mean::numeric, 4) AS mean FROM userseg_profile('dbscan_runs', 'seg', ARRAY['x']) ORDER BY cluster NULLS LAST;
SELECT cluster, category, n FROM userseg_crosstab('dbscan_runs', 'seg', 'y') ORDER BY cluster NULLS LAST;

-- the eps helper: the distance to the 4th nearest row (itself included)
SELECT quantile, round(k_distance::numeric, 6) AS k_distance
FROM userseg_dbscan_eps('dbscan_runs', ARRAY['x', 'y'], 4, scale => 'none');
SELECT count(*) FROM userseg_dbscan_eps('dbscan_runs', ARRAY['x'], 100, scale => 'none');

-- in the comparison: scikit-learn's defaults (eps 0.5, min_samples 5) or params
SELECT algorithm, n_clusters, noise, note
FROM userseg_compare('dbscan_runs', ARRAY['x', 'y'], 2, scale => 'none');
SELECT algorithm, n_clusters, noise, silhouette IS NULL AS unscored, note
FROM userseg_compare('dbscan_runs', ARRAY['x', 'y'], 2, scale => 'none',
                     params => '{"dbscan": {"eps": 0.25, "min_samples": 4}}')
WHERE algorithm = 'dbscan';
SELECT algorithm, n_clusters, noise, silhouette IS NULL AS unscored, note
FROM userseg_compare('dbscan_runs', ARRAY['x', 'y'], 2, scale => 'none',
                     params => '{"dbscan": {"eps": 0.01, "min_samples": 2}}')
WHERE algorithm = 'dbscan';

-- errors: message, then SQLSTATE
SELECT userseg_dbscan(ARRAY[x], 0) OVER () FROM dbscan_runs LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_dbscan(ARRAY[x], -1) OVER () FROM dbscan_runs LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_dbscan(ARRAY[x], 'Infinity') OVER () FROM dbscan_runs LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_dbscan(ARRAY[x], 'NaN') OVER () FROM dbscan_runs LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_dbscan(ARRAY[x], 0.5, 0) OVER () FROM dbscan_runs LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_dbscan(ARRAY[x], NULL) OVER () FROM dbscan_runs LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_dbscan(ARRAY[x], 0.5, NULL) OVER () FROM dbscan_runs LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_dbscan(ARRAY[x], 0.5, 5, 'unit') OVER () FROM dbscan_runs LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_dbscan('dbscan_runs', ARRAY['x'], 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_dbscan('dbscan_runs', ARRAY['x'], 0.5, -3);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_dbscan('dbscan_runs', ARRAY['x'], NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_dbscan('dbscan_runs', ARRAY['nope'], 0.5);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_dbscan_eps('dbscan_runs', ARRAY['x'], 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare('dbscan_runs', ARRAY['x'], 2, params => '{"dbscan": {"eps": 0}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare('dbscan_runs', ARRAY['x'], 2, params => '{"dbscan": {"radius": 1}}');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE dbscan_empty (x float8);
SELECT * FROM userseg_dbscan('dbscan_empty', ARRAY['x'], 0.5);
\echo :LAST_ERROR_SQLSTATE
-- over the memory budget: 54000 naming both sizes
SET userseg.memory_limit = '1MB';
CREATE TABLE dbscan_big AS SELECT g::float8 AS x FROM generate_series(1, 30000) g;
SELECT * FROM userseg_dbscan('dbscan_big', ARRAY['x'], 0.5);
\echo :LAST_ERROR_SQLSTATE
RESET userseg.memory_limit;

DROP TABLE dbscan_runs, dbscan_empty, dbscan_big;
