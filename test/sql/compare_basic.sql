-- userseg_compare: one row per algorithm on the same scaled data, errors
SET extra_float_digits = 0;
\set VERBOSITY default

CREATE TABLE compare_blobs AS
SELECT g AS id, (g % 2) * 10 + sin(g * 1.7) AS x, ((g / 2) % 2) * 10 + cos(g * 2.3) AS y,
       CASE WHEN g % 3 = 0 THEN 'a' ELSE 'b' END AS tag
FROM generate_series(0, 399) g;

-- elapsed_ms varies: only its sign is shown
SELECT algorithm, n_clusters, noise, round(silhouette::numeric, 6) AS silhouette,
       round(calinski_harabasz::numeric, 4) AS ch, round(davies_bouldin::numeric, 6) AS db,
       round(inertia::numeric, 6) AS inertia, elapsed_ms >= 0 AS timed, note
FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4, 1);

-- the same scores as the sweep's row for that k
SELECT count(*) AS differing
FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4, 1) c,
     userseg_kmeans_sweep('compare_blobs', ARRAY['x', 'y'], 4, 4, seed => 1) s
WHERE c.algorithm = 'kmeans'
  AND (c.silhouette, c.calinski_harabasz, c.davies_bouldin, c.inertia)
      IS DISTINCT FROM (s.silhouette, s.calinski_harabasz, s.davies_bouldin, s.inertia);

-- one cluster: the note says so, silhouette, CH and DB are NULL
SELECT algorithm, n_clusters, silhouette, calinski_harabasz, davies_bouldin,
       round(inertia::numeric, 6) AS inertia, note
FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 1);

-- sampled silhouette is said in the note; a categorical feature is one-hot encoded
SELECT algorithm, n_clusters, round(silhouette::numeric, 6) AS silhouette, note
FROM userseg_compare('compare_blobs', ARRAY['x', 'y', 'tag'], 4, 2, sample_size => 50);

-- fewer distinct rows than k
CREATE TABLE compare_two AS SELECT g AS id, (g % 2)::float8 AS x FROM generate_series(1, 10) g;
SELECT algorithm, n_clusters, round(silhouette::numeric, 6) AS silhouette, note
FROM userseg_compare('compare_two', ARRAY['x'], 3);

-- parameters per algorithm: params keyed by algorithm; K-Means with n_init 1 and
-- max_iter 1 says so in its note, and its scores are those of that fit
SELECT algorithm, note FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4,
                                            params => '{"kmeans": {"n_init": 1, "max_iter": 1}}');
SELECT a.inertia = s.inertia AS same_as_sweep
FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4, seed => 3,
                     params => '{"kmeans": {"n_init": 2, "tol": 0.01}}') a,
     userseg_kmeans_sweep('compare_blobs', ARRAY['x', 'y'], 4, 4, seed => 3, n_init => 2,
                          tol => 0.01) s
WHERE a.algorithm = 'kmeans';
-- the defaults are those of an empty object
SELECT a.inertia = b.inertia AS defaults
FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4) a,
     userseg_compare('compare_blobs', ARRAY['x', 'y'], 4,
                     params => '{"kmeans": {"n_init": 10, "max_iter": 300, "tol": 0.0001}}') b
WHERE a.algorithm = b.algorithm;
SELECT * FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4, params => '{"optics": {}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4, params => '{"kmeans": {"init": 1}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4, params => '{"kmeans": 3}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4, params => '[]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4, params => '{"kmeans": {"n_init": 1.5}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4, params => '{"kmeans": {"n_init": 0}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4, params => '{"kmeans": {"tol": "x"}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4, params => NULL);
\echo :LAST_ERROR_SQLSTATE

-- an algorithm whose work exceeds userseg.memory_limit is skipped, not the comparison:
-- its row has NULL scores and a note naming what it needs; the others are scored
SET userseg.memory_limit = '512kB';
SELECT algorithm, n_clusters, noise, silhouette IS NULL AS no_silhouette,
       calinski_harabasz IS NULL AS no_ch, inertia IS NULL AS no_inertia, note
FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4, 1,
                     params => '{"agglomerative": {"linkage": "complete"}}');
-- the k-NN affinity fits where the dense rbf one does not
SELECT algorithm, n_clusters, note FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4, 1,
                     params => '{"spectral": {"affinity": "nearest_neighbors"}}')
WHERE algorithm = 'spectral';
-- a bad parameter is still an error, not a skip
SELECT * FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4,
                              params => '{"spectral": {"gamma": 0}}');
\echo :LAST_ERROR_SQLSTATE
RESET userseg.memory_limit;

-- errors (with their SQLSTATEs)
SELECT * FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 401);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4, scale => 'unit');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4, nulls => 'drop');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], 4, sample_size => 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare('compare_blobs', ARRAY['x', 'y'], NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare(NULL, ARRAY['x', 'y'], 4);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_compare('compare_blobs', ARRAY['x', 'z'], 4);
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE compare_empty (x float8);
SELECT * FROM userseg_compare('compare_empty', ARRAY['x'], 2);
\echo :LAST_ERROR_SQLSTATE
SET userseg.memory_limit = '512kB';
CREATE TABLE compare_big AS SELECT g::float8 AS x, (g % 7)::float8 AS y FROM generate_series(1, 20000) g;
-- the rows fit, no algorithm does: every row is a skip (elapsed_ms varies)
SELECT algorithm, n_clusters IS NULL AS skipped, note
FROM userseg_compare('compare_big', ARRAY['x', 'y'], 3);
RESET userseg.memory_limit;
DROP TABLE compare_blobs, compare_two, compare_empty, compare_big;
