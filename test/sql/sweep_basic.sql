-- userseg_kmeans_sweep: scores per k, best and elbow, errors
SET extra_float_digits = 0;
\set VERBOSITY default

-- four well-separated blobs of 100 rows each, corners of a square of side 10
CREATE TABLE sweep_blobs AS
SELECT g AS id, (g % 2) * 10 + sin(g * 1.7) AS x, ((g / 2) % 2) * 10 + cos(g * 2.3) AS y
FROM generate_series(0, 399) g;

-- k = 1 has an inertia only; k = 4 is both the best silhouette and the elbow
SELECT k, round(inertia::numeric, 6) AS inertia, round(silhouette::numeric, 6) AS silhouette,
       round(calinski_harabasz::numeric, 4) AS ch, round(davies_bouldin::numeric, 6) AS db,
       best, elbow
FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 1, 8, seed => 1);

-- one best and one elbow, both at 4, from k = 2 too
SELECT k, best, elbow FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 2, 7, seed => 5)
WHERE best OR elbow;

-- inertia is scale-dependent: with scale 'none' it is in the data's own units
SELECT k, round(inertia::numeric, 4) AS inertia, best, elbow
FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 3, 5, seed => 1, scale => 'none');

-- above sample_size rows the silhouette is sampled (NOTICE); the other scores are not
SELECT k, round(silhouette::numeric, 6) AS silhouette, round(calinski_harabasz::numeric, 4) AS ch
FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 3, 5, seed => 1, sample_size => 100);

-- same arguments, same result
SELECT count(*) AS differing FROM (
  (SELECT * FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 2, 5, seed => 3))
  EXCEPT
  (SELECT * FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 2, 5, seed => 3))) s;

-- the sweep's inertia at k = 4 is that of the window form's labels (converged, so
-- its centers are its clusters' means), on the same scaled rows
WITH scaled AS (
  SELECT id, ARRAY[(x - avg(x) OVER ()) / stddev_pop(x) OVER (),
                   (y - avg(y) OVER ()) / stddev_pop(y) OVER ()] AS f, x, y
  FROM sweep_blobs),
labelled AS (
  SELECT f, userseg_kmeans(ARRAY[x, y], 4, 1) OVER () AS label FROM scaled)
SELECT round((SELECT userseg_inertia(f, label) FROM labelled)::numeric, 6) AS window_inertia,
       round((SELECT inertia FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 4, 4, seed => 1))::numeric, 6) AS sweep_inertia;

-- NULL features: rows skipped (NOTICE) or an error
CREATE TABLE sweep_nulls AS SELECT * FROM sweep_blobs;
UPDATE sweep_nulls SET x = NULL WHERE id < 3;
SELECT k, best FROM userseg_kmeans_sweep('sweep_nulls', ARRAY['x', 'y'], 3, 5, seed => 1) WHERE best;
SELECT * FROM userseg_kmeans_sweep('sweep_nulls', ARRAY['x', 'y'], 3, 5, nulls => 'error');

-- a run that reaches max_iter is kept, with one WARNING naming the k
SELECT k, round(inertia::numeric, 6) AS inertia, best
FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 2, 4, max_iter => 1, n_init => 1);

-- a curve with fewer than three k has no elbow (NOTICE)
SELECT k, best, elbow FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 3, 4, seed => 1);

-- fewer distinct rows than k: NOTICE, scores of the clusters found
CREATE TABLE sweep_two AS SELECT g AS id, (g % 2)::float8 AS x FROM generate_series(1, 10) g;
SELECT k, round(inertia::numeric, 6) AS inertia, round(silhouette::numeric, 6) AS silhouette, best, elbow
FROM userseg_kmeans_sweep('sweep_two', ARRAY['x'], 1, 3);

-- errors (with their SQLSTATEs)
SELECT * FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 0, 4);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 5, 4);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 2, 401);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 2, 4, n_init => 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 2, 4, max_iter => 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 2, 4, tol => -1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 2, 4, scale => 'unit');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 2, 4, nulls => 'drop');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 2, 4, sample_size => 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_kmeans_sweep('sweep_blobs', NULL, 2, 4);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], NULL, 4);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'nope'], 2, 4);
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE sweep_empty (x float8);
SELECT * FROM userseg_kmeans_sweep('sweep_empty', ARRAY['x'], 2, 4);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 2, 4, max_categories => 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_kmeans_sweep('sweep_blobs', ARRAY['x', 'y'], 2, 4, drop_first => NULL);
\echo :LAST_ERROR_SQLSTATE
DROP TABLE sweep_blobs, sweep_nulls, sweep_two, sweep_empty;
