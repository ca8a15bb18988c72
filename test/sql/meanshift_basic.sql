-- userseg_meanshift: window and table forms, bin seeding, cluster_all, the estimated
-- bandwidth, the model and predict, the comparison, errors
SET extra_float_digits = 0;
\set VERBOSITY default

-- two runs and a far row, in one column, scale 'none', bandwidth 2: every seed of the
-- first run climbs to 0.5 (3 rows within 2), of the second to 10.75 (4 rows); the
-- centres are numbered by those counts, most first, so the second run is 0
CREATE TABLE ms_runs AS
SELECT i AS id, v AS x
FROM unnest(ARRAY[0, 0.5, 1, 10, 10.5, 11, 11.5, 30]::float8[]) WITH ORDINALITY u(v, i);

SELECT id, x, userseg_meanshift(ARRAY[x], 2, scale => 'none') OVER (ORDER BY id) AS label
FROM ms_runs ORDER BY id;

-- the labels do not depend on the rows' order
SELECT id, userseg_meanshift(ARRAY[x], 2, scale => 'none') OVER (ORDER BY -id) AS label
FROM ms_runs ORDER BY id;

-- bin seeding: bins of side 2 rounded half to even (x = 1 is bin 0, x = 11 is bin 6),
-- so 4 bins; with min_bin_freq 2 the bin of 30 gives no seed and no centre is near it:
-- it is -1 with cluster_all false, and joins the nearest centre otherwise
SELECT seeds, n_clusters, n_iter, unlabelled, centers
FROM userseg_meanshift('ms_runs', ARRAY['x'], 2, bin_seeding => true, scale => 'none');
SELECT seeds, n_clusters, unlabelled, centers
FROM userseg_meanshift('ms_runs', ARRAY['x'], 2, bin_seeding => true, min_bin_freq => 2,
                       cluster_all => false, label_column => 'seg', scale => 'none');
SELECT id, seg FROM ms_runs ORDER BY id;
SELECT id, userseg_meanshift(ARRAY[x], 2, true, 2, true, scale => 'none') OVER () AS label
FROM ms_runs ORDER BY id;

-- the estimated bandwidth: quantile 0.5 of 4 rows is the 2nd nearest (itself
-- included): 1, 1, 2 and 4 for 0, 1, 3, 7, so 2; the centres 4/3 and 7 (0.5 is
-- within 2 of 4/3, which has more rows)
CREATE TABLE ms_four AS
SELECT i AS id, v AS x FROM unnest(ARRAY[0, 1, 3, 7]::float8[]) WITH ORDINALITY u(v, i);
SELECT bandwidth, bandwidth_estimated, n_clusters, n_iter, centers
FROM userseg_meanshift('ms_four', ARRAY['x'], quantile => 0.5, scale => 'none');
SELECT id, userseg_meanshift(ARRAY[x], quantile => 0.5, scale => 'none') OVER () AS label
FROM ms_four ORDER BY id;
-- n_samples 2 drawn as numpy's RandomState(seed).permutation(4)[:2]: seed 0 draws
-- rows 3 and 7 (bandwidth 4 with quantile 1), seed 5 draws rows 0 and 1 (bandwidth 1)
SELECT seed, (userseg_meanshift('ms_four', ARRAY['x'], quantile => 1, n_samples => 2,
                                seed => seed, scale => 'none')).bandwidth
FROM (VALUES (0::bigint), (5)) v(seed);
-- an estimated bandwidth of 0 (quantile 0.25 of 4 rows: each row's nearest is itself):
-- no step moves less than 0, so every seed runs max_iter steps and every distinct row
-- is a centre, as in scikit-learn
SELECT bandwidth, n_clusters, n_iter, centers
FROM userseg_meanshift('ms_four', ARRAY['x'], quantile => 0.25, max_iter => 20, scale => 'none');
-- n_samples beyond the rows: every row
SELECT bandwidth FROM userseg_meanshift('ms_four', ARRAY['x'], quantile => 0.5,
                                         n_samples => 100, scale => 'none');

-- NULL features: NULL label, the other rows clustered; an empty partition
SELECT i, userseg_meanshift(f, 1.0, scale => 'none') OVER (ORDER BY i) AS label
FROM (VALUES (1, ARRAY[0.0]), (2, NULL), (3, ARRAY[0.5]), (4, ARRAY[9.0])) t(i, f) ORDER BY i;
SELECT userseg_meanshift(NULL::float8[], 1.0) OVER () FROM generate_series(1, 2);

-- the model: the centres as centroids (original units), predict the nearest centre
SELECT model, n_clusters, rows_used, rows_skipped, silhouette IS NOT NULL AS scored,
       elapsed_ms >= 0 AS timed
FROM userseg_meanshift('ms_runs', ARRAY['x'], 2, model => 'ms_model', id_column => 'id',
                       scale => 'none');
SELECT algorithm, cardinality(sizes) AS k, centroids_original, sizes, parameters->>'bandwidth' AS bandwidth,
       parameters->>'n_iter' AS n_iter
FROM userseg_models WHERE name = 'ms_model';
SELECT v, userseg_predict('ms_model', ARRAY[v]) AS label
FROM unnest(ARRAY[-3, 5.6, 5.7, 12, 25]::float8[]) v ORDER BY v;
SELECT userseg_predict('ms_model', '{"x": 29}'::jsonb) AS label;

-- zscore (the default): the bandwidth is in scaled units, the centres in original ones
SELECT n_clusters, centers
FROM userseg_meanshift('ms_runs', ARRAY['x'], 0.3);

-- in the comparison: scikit-learn's defaults (estimated bandwidth) or params
SELECT algorithm, n_clusters, note
FROM userseg_compare('ms_runs', ARRAY['x'], 2, scale => 'none') WHERE algorithm = 'meanshift';
SELECT algorithm, n_clusters, noise, note
FROM userseg_compare('ms_runs', ARRAY['x'], 2, scale => 'none',
                     params => '{"meanshift": {"bandwidth": 2, "bin_seeding": true, "min_bin_freq": 2, "cluster_all": false}}')
WHERE algorithm = 'meanshift';

-- errors: 22023 with a hint for values out of range, 22004 for NULL arguments
SELECT userseg_meanshift(ARRAY[x], 0) OVER () FROM ms_runs;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_meanshift(ARRAY[x], -1) OVER () FROM ms_runs;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_meanshift(ARRAY[x], 'Infinity') OVER () FROM ms_runs;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_meanshift(ARRAY[x], 'NaN') OVER () FROM ms_runs;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_meanshift(ARRAY[x], quantile => 0) OVER () FROM ms_runs;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_meanshift(ARRAY[x], quantile => 1.5) OVER () FROM ms_runs;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_meanshift(ARRAY[x], quantile => 'NaN') OVER () FROM ms_runs;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_meanshift(ARRAY[x], min_bin_freq => 0) OVER () FROM ms_runs;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_meanshift(ARRAY[x], max_iter => 0) OVER () FROM ms_runs;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_meanshift(ARRAY[x], n_samples => 0) OVER () FROM ms_runs;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_meanshift(ARRAY[x], seed => -1) OVER () FROM ms_runs;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_meanshift(ARRAY[x], seed => 4294967296) OVER () FROM ms_runs;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_meanshift(ARRAY[x], bin_seeding => NULL) OVER () FROM ms_runs;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_meanshift(ARRAY[x], scale => 'bogus') OVER () FROM ms_runs;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_meanshift('ms_runs', ARRAY['x'], -2);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_meanshift('ms_runs', ARRAY['x'], quantile => 2);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_meanshift('ms_runs', ARRAY['x'], max_iter => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_meanshift('ms_runs', ARRAY['nope']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_meanshift('ms_runs', ARRAY['x'], model => '');
\echo :LAST_ERROR_SQLSTATE
SELECT algorithm FROM userseg_compare('ms_runs', ARRAY['x'], 2,
                                      params => '{"meanshift": {"bandwidth": -1}}');
\echo :LAST_ERROR_SQLSTATE
SELECT algorithm FROM userseg_compare('ms_runs', ARRAY['x'], 2,
                                      params => '{"meanshift": {"bin_seeding": 1}}');
\echo :LAST_ERROR_SQLSTATE
SELECT algorithm FROM userseg_compare('ms_runs', ARRAY['x'], 2,
                                      params => '{"meanshift": {"kernel": "flat"}}');
\echo :LAST_ERROR_SQLSTATE
-- no seed with a row within the bandwidth: bins of one row each with min_bin_freq 2
SELECT * FROM userseg_meanshift('ms_four', ARRAY['x'], 0.1, bin_seeding => true,
                                min_bin_freq => 2, scale => 'none');
\echo :LAST_ERROR_SQLSTATE
-- an empty table, a table of NULLs
CREATE TABLE ms_empty (x float8);
SELECT * FROM userseg_meanshift('ms_empty', ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO ms_empty VALUES (NULL), (NULL);
SELECT * FROM userseg_meanshift('ms_empty', ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_meanshift(ARRAY[x]) OVER () FROM ms_empty;
-- a memory budget too small: 54000 naming both sizes; the label column is untouched
SET userseg.memory_limit = '1MB';
CREATE TABLE ms_big AS SELECT g::float8 AS x, 0 AS seg FROM generate_series(1, 30000) g;
SELECT * FROM userseg_meanshift('ms_big', ARRAY['x'], 1, label_column => 'seg');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FILTER (WHERE seg <> 0) AS changed FROM ms_big;
RESET userseg.memory_limit;
-- the model name is still free after the errors
SELECT count(*) FROM userseg_models WHERE name <> 'ms_model';

DROP TABLE ms_runs, ms_four, ms_empty, ms_big;
DELETE FROM userseg_models WHERE name = 'ms_model';
