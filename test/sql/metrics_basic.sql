-- Scores of a clustering on small hand-checkable data
SET extra_float_digits = 0;

-- Two well separated clusters on a line: {0, 1} and {10, 11}.
-- Row 0: a = 1, b = (10 + 11) / 2 = 10.5, s = 9.5 / 10.5; row 1: a = 1, b = 9.5,
-- s = 8.5 / 9.5; by symmetry the mean is (9.5/10.5 + 8.5/9.5) / 2 = 0.899749373...
CREATE TABLE two (id int, f float8[], lab int);
INSERT INTO two VALUES (1, '{0}', 0), (2, '{1}', 0), (3, '{10}', 1), (4, '{11}', 1);
SELECT round(userseg_silhouette(f, lab)::numeric, 12) AS silhouette,
       round(((9.5 / 10.5 + 8.5 / 9.5) / 2)::numeric, 12) AS by_hand
FROM two;
-- inertia: each cluster has mean +-0.5 from its rows: 4 * 0.25 = 1
-- Calinski-Harabasz: between = 4 * 5^2 = 100 with 1 degree of freedom,
-- within = 1 with 2: 100 * 2 / 1 = 200
-- Davies-Bouldin: s = 0.5 for both, centroid distance 10: (0.5 + 0.5) / 10 = 0.1
SELECT userseg_inertia(f, lab) AS inertia,
       userseg_calinski_harabasz(f, lab) AS ch,
       round(userseg_davies_bouldin(f, lab)::numeric, 12) AS db
FROM two;
-- per row, with the labels renumbered from arbitrary integers
SELECT id, round(userseg_silhouette_sample(f, lab * 100 + 7) OVER ()::numeric, 12) AS s
FROM two ORDER BY id;

-- A singleton cluster gets silhouette 0: {0, 1}, {10}
-- row 0: a = 1, b = 10, s = 0.9; row 1: a = 1, b = 9, s = 8/9; row 10: 0
SELECT round(userseg_silhouette(f, lab)::numeric, 12) AS silhouette,
       round(((0.9 + 8.0 / 9) / 3)::numeric, 12) AS by_hand
FROM two WHERE id <> 4;
SELECT id, round(userseg_silhouette_sample(f, lab) OVER ()::numeric, 12) AS s
FROM two WHERE id <> 4 ORDER BY id;

-- One cluster: NULL with a NOTICE
SELECT userseg_silhouette(f, 0) FROM two;
SELECT userseg_calinski_harabasz(f, 0) FROM two;
SELECT userseg_davies_bouldin(f, 0) FROM two;
-- inertia is defined for one cluster: squares around the mean 5.5
SELECT userseg_inertia(f, 0) FROM two;
SELECT id, userseg_silhouette_sample(f, 0) OVER () FROM two ORDER BY id;
-- every row its own cluster: NULL with a NOTICE
SELECT userseg_silhouette(f, id) FROM two;

-- Noise (-1), NULL labels, NULL features and NULL elements are left out: the same scores as two clusters
INSERT INTO two VALUES (5, '{5}', -1), (6, '{6}', NULL), (7, NULL, 1), (8, '{NULL}', 0);
SELECT round(userseg_silhouette(f, lab)::numeric, 12) AS silhouette,
       userseg_inertia(f, lab) AS inertia,
       userseg_calinski_harabasz(f, lab) AS ch
FROM two;
SELECT id, round(userseg_silhouette_sample(f, lab) OVER ()::numeric, 12) AS s
FROM two ORDER BY id;
-- only noise
SELECT userseg_silhouette(f, -1) FROM two;
-- no rows at all: NULL without a NOTICE
SELECT userseg_silhouette(f, lab) FROM two WHERE false;
DELETE FROM two WHERE id > 4;

-- The sampled silhouette: a sample of at least the number of rows is exact
SELECT userseg_silhouette(f, lab, 4, 1) = userseg_silhouette(f, lab) AS exact,
       userseg_silhouette(f, lab, 100, 1) = userseg_silhouette(f, lab) AS exact_too
FROM two;

-- GROUP BY gives a score per group
CREATE TABLE grouped (g text, f float8[], lab int);
INSERT INTO grouped
SELECT g, ARRAY[i % 2 * 10 + i / 2 * 0.5 + off, off], i % 2
FROM (VALUES ('a', 0.0), ('b', 3.0)) AS v(g, off), generate_series(0, 9) AS i;
INSERT INTO grouped VALUES ('c', '{1,1}', 0), ('c', '{2,2}', 0);
SELECT g, round(userseg_silhouette(f, lab)::numeric, 12) AS silhouette,
       round(userseg_calinski_harabasz(f, lab)::numeric, 9) AS ch,
       round(userseg_davies_bouldin(f, lab)::numeric, 12) AS db,
       round(userseg_inertia(f, lab)::numeric, 12) AS inertia
FROM grouped GROUP BY g ORDER BY g;
-- a window partition per group
SELECT g, count(*) AS rows, round(avg(s)::numeric, 12) AS mean_of_rows
FROM (SELECT g, userseg_silhouette_sample(f, lab) OVER (PARTITION BY g) AS s FROM grouped) t
GROUP BY g ORDER BY g;

-- Errors, with their SQLSTATEs
\echo ragged vectors
SELECT userseg_silhouette(f, lab) FROM (VALUES ('{1,2}'::float8[], 0), ('{1}', 1)) v(f, lab);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\echo NaN
SELECT userseg_inertia(f, lab) FROM (VALUES ('{1,2}'::float8[], 0), ('{NaN,1}', 1)) v(f, lab);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\echo Infinity in a window
SELECT userseg_silhouette_sample(f, lab) OVER () FROM (VALUES ('{1}'::float8[], 0), ('{Infinity}', 1)) v(f, lab);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\echo empty vector
SELECT userseg_davies_bouldin(f, lab) FROM (VALUES ('{}'::float8[], 0)) v(f, lab);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\echo two-dimensional array
SELECT userseg_calinski_harabasz(f, lab) FROM (VALUES ('{{1,2}}'::float8[], 0)) v(f, lab);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\echo sample_size below 2
SELECT userseg_silhouette(f, lab, 1, 0) FROM two;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\echo NULL sample_size or seed
SELECT userseg_silhouette(f, lab, NULL, 0) FROM two;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT userseg_silhouette(f, lab, 2, NULL) FROM two;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\echo sample_size changing between rows
SELECT userseg_silhouette(f, lab, id + 1, 0) FROM two;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\echo over the memory budget
SET userseg.memory_limit = '64kB';
\set VERBOSITY sqlstate
SELECT userseg_silhouette(ARRAY[i, i], i % 2) FROM generate_series(1, 5000) i;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY default
RESET userseg.memory_limit;

-- A long silhouette is cancellable: statement_timeout lands within a second or so
-- (60,000 rows take a few seconds of CPU)
SET statement_timeout = '500ms';
DO $$
DECLARE
  t0 timestamptz := clock_timestamp();
BEGIN
  PERFORM userseg_silhouette(ARRAY[sin(i), cos(i), sin(i * 3), cos(i * 5)], i % 4)
  FROM generate_series(1, 60000) i;
  RAISE NOTICE 'not canceled';
EXCEPTION WHEN query_canceled THEN
  RAISE NOTICE 'canceled within 3 seconds: %', clock_timestamp() - t0 < interval '3 seconds';
END
$$;
RESET statement_timeout;

-- Finite inputs give finite scores.  Rows near the largest float8 are scored on the
-- rows times a power of two, which is exact: a silhouette stays in [-1, 1], and the
-- scores of rows times 2^500 are those of the rows themselves, bit for bit
SELECT userseg_silhouette(f, l), userseg_calinski_harabasz(f, l), userseg_davies_bouldin(f, l)
FROM (VALUES ('{1e308}'::float8[], 0), ('{-1e308}', 0), ('{1e308}', 1), ('{-1e308}', 1)) v(f, l);
SELECT userseg_silhouette(f, l) BETWEEN -1 AND 1 AS silhouette_in_range
FROM (VALUES ('{1e308, -1e308}'::float8[], 0), ('{-1e308, 1e308}', 0), ('{1.5e308, 0}', 1),
             ('{-1.7e308, 1.7e308}', 1), ('{1e308, 1e308}', 2)) v(f, l);
WITH r(f, l) AS (VALUES ('{1, 5}'::float8[], 0), ('{2, -3}', 0), ('{10, 4}', 1), ('{11, 0}', 1),
                        ('{-7, 2}', 2), ('{-6, 1}', 2)),
     big AS (SELECT ARRAY[f[1] * power(2::float8, 500), f[2] * power(2::float8, 500)] AS f, l FROM r)
SELECT (SELECT userseg_silhouette(f, l) FROM big) = (SELECT userseg_silhouette(f, l) FROM r) AS silhouette_same,
       (SELECT userseg_calinski_harabasz(f, l) FROM big) = (SELECT userseg_calinski_harabasz(f, l) FROM r) AS ch_same,
       (SELECT userseg_davies_bouldin(f, l) FROM big) = (SELECT userseg_davies_bouldin(f, l) FROM r) AS db_same,
       (SELECT userseg_inertia(f, l) FROM big) = (SELECT userseg_inertia(f, l) FROM r) * power(2::float8, 1000) AS inertia_same;
-- the window form too
SELECT bool_and(s BETWEEN -1 AND 1) AS per_row_in_range, count(s)
FROM (SELECT userseg_silhouette_sample(f, l) OVER () AS s
      FROM (VALUES ('{1e308}'::float8[], 0), ('{-1e308}', 0), ('{1e308}', 1), ('{-1e308}', 1)) v(f, l)) x;
-- an inertia beyond float8 (a sum of squares in the data's units) is 22003 naming the element
SELECT userseg_inertia(f, l)
FROM (VALUES ('{1, 1e308}'::float8[], 0), ('{1, -1e308}', 0), ('{2, 1e308}', 1), ('{2, -1e308}', 1)) v(f, l);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
