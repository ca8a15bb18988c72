-- userseg_dbscan's model (userseg_predict by the core rows) and sample_weight, errors
SET extra_float_digits = 0;
\set VERBOSITY default

-- runs of spacing 0.125 (exact) and a row 0.25 from the end of each, a far row: with
-- eps 0.25 and min_samples 4 the core rows are 1 to 9 (cluster 0) and 11 to 19
-- (cluster 1); 0, 10 and 20 are border rows, 21 is noise
CREATE TABLE dbscan_m AS
SELECT g AS id, CASE WHEN g < 10 THEN g * 0.125
                     WHEN g = 10 THEN 1.375
                     WHEN g < 21 THEN 1.625 + (g - 11) * 0.125
                     ELSE 9.0 END AS x,
       0.0::float8 AS y,
       CASE WHEN g = 21 THEN 4 ELSE 1 END AS w,
       CASE WHEN g = 4 THEN -1.0 ELSE 1.0 END AS wneg,
       'a'::text AS note
FROM generate_series(0, 21) g;

SELECT n_clusters, core_rows, noise
FROM userseg_dbscan('dbscan_m', ARRAY['x', 'y'], 0.25, 4, label_column => 'seg',
                    scale => 'none', id_column => 'id', model => 'dbscan_m1');
SELECT algorithm, parameters, state->'n_core' AS n_core, state->'labels' AS labels,
       state->'core_points'->0 AS first_core, centroids IS NULL AS no_centroids, rows
FROM userseg_models WHERE name = 'dbscan_m1';

-- new rows: the label of the nearest core row within eps (inclusive), else -1; only
-- core rows count (0.2 from border row 0 but 0.325 from core row 1 is noise); at equal
-- distance from core rows 9 and 11 the lower-numbered one wins
SELECT v.x, v.y, userseg_predict('dbscan_m1', ARRAY[v.x, v.y]) AS label
FROM (VALUES (0.5, 0.0), (0.5, 0.2), (1.25, 0.0), (1.5, 0.0), (1.375, 0.0), (-0.125, 0.0),
             (-0.2, 0.0), (3.0, 0.0), (9.0, 0.0)) v(x, y);
SELECT userseg_predict('dbscan_m1', '{"x": 1.5, "y": 0, "other": "ignored"}'::jsonb) AS label;
SELECT userseg_predict('dbscan_m1', '{"x": null, "y": 0}'::jsonb) AS skipped;
-- the fitted rows, given back as records, get their own labels
SELECT seg, userseg_predict('dbscan_m1', d) AS predicted, count(*)
FROM dbscan_m d GROUP BY 1, 2 ORDER BY 1, 2;

-- a refit under the same name replaces the model: no core row, every new row noise
SELECT n_clusters, core_rows, noise
FROM userseg_dbscan('dbscan_m', ARRAY['x'], 0.1, 4, scale => 'none', model => 'dbscan_m1');
SELECT state->'n_core' AS n_core, userseg_predict('dbscan_m1', ARRAY[0.5]) AS label
FROM userseg_models WHERE name = 'dbscan_m1';

-- sample_weight: row 21 weighs 4, so it is core alone (a cluster of its own)
SELECT n_clusters, core_rows, noise
FROM userseg_dbscan('dbscan_m', ARRAY['x', 'y'], 0.25, 4, label_column => 'seg',
                    scale => 'none', id_column => 'id', sample_weight => 'w');
SELECT seg, array_agg(id ORDER BY id) FROM dbscan_m GROUP BY seg ORDER BY seg;
-- a negative weight (row 4) takes rows 2 to 6 below min_samples: row 1 is core alone,
-- rows 7 to 9 make the next cluster, row 4 is noise, the bridge joins cluster 1
SELECT n_clusters, core_rows, noise
FROM userseg_dbscan('dbscan_m', ARRAY['x', 'y'], 0.25, 4, label_column => 'seg',
                    scale => 'none', id_column => 'id', sample_weight => 'wneg');
SELECT seg, array_agg(id ORDER BY id) FROM dbscan_m GROUP BY seg ORDER BY seg;
-- the model records its weight column
SELECT n_clusters FROM userseg_dbscan('dbscan_m', ARRAY['x', 'y'], 0.25, 4, scale => 'none',
                                      sample_weight => 'w', model => 'dbscan_m2');
SELECT parameters->'sample_weight' AS sample_weight, state->'n_core' AS n_core
FROM userseg_models WHERE name = 'dbscan_m2';

-- errors: message, then SQLSTATE
SELECT * FROM userseg_dbscan('dbscan_m', ARRAY['x', 'y'], 0.25, 4, sample_weight => 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_dbscan('dbscan_m', ARRAY['x', 'y'], 0.25, 4, sample_weight => 'nope');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_dbscan('dbscan_m', ARRAY['x', 'y'], 0.25, 4, sample_weight => 'note');
\echo :LAST_ERROR_SQLSTATE
UPDATE dbscan_m SET w = NULL WHERE id = 3;
SELECT * FROM userseg_dbscan('dbscan_m', ARRAY['x', 'y'], 0.25, 4, sample_weight => 'w');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_dbscan('dbscan_m', ARRAY['x', 'y'], 0.25, 4, sample_weight => 'w',
                             nulls => 'impute');
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE dbscan_m ALTER COLUMN wneg TYPE float8;
UPDATE dbscan_m SET wneg = 'NaN' WHERE id = 3;
SELECT * FROM userseg_dbscan('dbscan_m', ARRAY['x', 'y'], 0.25, 4, sample_weight => 'wneg');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_dbscan('dbscan_m', ARRAY['x'], 0.25, 4, model => '');
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_predict('dbscan_m2', ARRAY[0.5]);
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_predict('dbscan_m2', '{"x": 0.5}'::jsonb);
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_predict('dbscan_m2', ARRAY[0.5, 'NaN']);
\echo :LAST_ERROR_SQLSTATE
-- a state that does not parse
UPDATE userseg_models SET state = '{"eps": 0.25, "n_core": 2, "labels": [0]}' WHERE name = 'dbscan_m2';
SELECT userseg_predict('dbscan_m2', ARRAY[0.5, 0.0]);
\echo :LAST_ERROR_SQLSTATE

DELETE FROM userseg_models WHERE name IN ('dbscan_m1', 'dbscan_m2');
DROP TABLE dbscan_m;
