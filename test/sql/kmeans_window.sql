-- K-Means, window form
SET extra_float_digits = 0;

-- three separated blobs of 20 points each in two groups (grp), a seeded formula
CREATE TABLE km_pts AS
SELECT g AS id,
       g % 2 AS grp,
       (g % 3) AS blob,
       ARRAY[(g % 3) * 10 + sin(g * 1.3), ((g % 3) * 7 - 5) + cos(g * 0.7)]::float8[] AS f
FROM generate_series(1, 120) g;

-- each blob is one cluster: blob -> label is one to one
SELECT blob, count(DISTINCT lab) AS labels, count(*) AS rows
FROM (SELECT blob, userseg_kmeans(f, 3, 42) OVER () AS lab FROM km_pts) s
GROUP BY blob ORDER BY blob;
SELECT count(DISTINCT (blob, lab)) AS pairs
FROM (SELECT blob, userseg_kmeans(f, 3, 42) OVER () AS lab FROM km_pts) s;

-- labels are numbered by decreasing cluster size: drop rows to make sizes differ
SELECT lab, count(*)
FROM (SELECT userseg_kmeans(f, 3, 7) OVER () AS lab
      FROM km_pts WHERE blob <> 1 OR id % 4 = 0) s
GROUP BY lab ORDER BY lab;

-- PARTITION BY clusters each partition on its own
SELECT grp, lab, count(*), min(blob) = max(blob) AS one_blob
FROM (SELECT grp, blob, userseg_kmeans(f, 3, 1) OVER (PARTITION BY grp ORDER BY id) AS lab
      FROM km_pts) s
GROUP BY grp, lab ORDER BY grp, lab;

-- NULL features get a NULL label; the other rows are still clustered
SELECT id, userseg_kmeans(CASE WHEN id % 5 <> 0 THEN f END, 3, 42) OVER (ORDER BY id) AS lab
FROM km_pts ORDER BY id LIMIT 10;
-- a NULL element counts as a NULL vector
SELECT id, userseg_kmeans(CASE WHEN id = 2 THEN ARRAY[1, NULL]::float8[] ELSE f END, 2)
  OVER (ORDER BY id) AS lab
FROM km_pts WHERE id <= 4 ORDER BY id;
-- a partition with no features at all: NULL labels, no error
SELECT userseg_kmeans(NULL::float8[], 3) OVER () FROM generate_series(1, 2);

-- the same seed gives the same labels: two separate statements compared (two
-- identical window calls in one SELECT are evaluated once, so they could not differ);
-- another seed, compared the same way, gives other labels of this data
CREATE TEMP TABLE km_run1 AS
SELECT id, userseg_kmeans(f, 6, 11, 1) OVER (ORDER BY id) AS lab FROM km_pts;
CREATE TEMP TABLE km_run2 AS
SELECT id, userseg_kmeans(f, 6, 11, 1) OVER (ORDER BY id) AS lab FROM km_pts;
CREATE TEMP TABLE km_run3 AS
SELECT id, userseg_kmeans(f, 6, 12, 1) OVER (ORDER BY id) AS lab FROM km_pts;
SELECT count(*) AS same_seed_differing
FROM km_run1 a JOIN km_run2 b USING (id) WHERE a.lab IS DISTINCT FROM b.lab;
SELECT count(*) > 0 AS other_seed_differs
FROM km_run1 a JOIN km_run3 b USING (id) WHERE a.lab IS DISTINCT FROM b.lab;
-- every scaling method works
SELECT scale, count(DISTINCT lab) AS labels
FROM (VALUES ('zscore'), ('minmax'), ('robust'), ('none')) v(scale),
     LATERAL (SELECT userseg_kmeans(f, 3, 5, scale => v.scale) OVER () AS lab FROM km_pts) s
GROUP BY scale ORDER BY scale;

-- k = 1 and k = rows
SELECT DISTINCT userseg_kmeans(f, 1) OVER () FROM km_pts;
SELECT count(DISTINCT lab)
FROM (SELECT userseg_kmeans(f, 10, 3) OVER () AS lab FROM km_pts WHERE id <= 10) s;

-- fewer distinct points than k: a NOTICE, labels 0 only
SELECT userseg_kmeans(ARRAY[1.0, 2.0]::float8[], 2) OVER () FROM generate_series(1, 3);

-- k = rows with only 3 distinct points: 3 clusters, converged, a NOTICE
SELECT lab, count(*)
FROM (SELECT userseg_kmeans(ARRAY[(g % 3) * 0.1, 0.3]::float8[], 12, 4, scale => 'none')
        OVER (ORDER BY g) AS lab FROM generate_series(1, 12) g) s
GROUP BY lab ORDER BY lab;

-- max_iter reached: a WARNING, labels still returned
SELECT count(lab) FROM (SELECT userseg_kmeans(f, 5, 2, 1, 1) OVER () AS lab FROM km_pts) s;

-- from initial centers (in the features' units), one run
SELECT blob, min(lab), max(lab)
FROM (SELECT blob, userseg_kmeans(f, ARRAY[[20, 9], [0, -5], [10, 2]]::float8[], scale => 'none')
        OVER () AS lab FROM km_pts) s
GROUP BY blob ORDER BY blob;

-- progress NOTICEs
SET userseg.progress = on;
SELECT count(lab) FROM (SELECT userseg_kmeans(f, 3, 42, 1, 2, scale => 'none') OVER () AS lab
                        FROM km_pts WHERE id <= 6) s;
RESET userseg.progress;

-- errors: message, then SQLSTATE
SELECT userseg_kmeans(f, 0) OVER () FROM km_pts;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_kmeans(f, 121) OVER () FROM km_pts;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_kmeans(f, 3, 0, 0) OVER () FROM km_pts;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_kmeans(f, 3, 0, 10, 0) OVER () FROM km_pts;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_kmeans(f, 3, 0, 10, 300, -1) OVER () FROM km_pts;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_kmeans(f, 3, 0, 10, 300, 'NaN') OVER () FROM km_pts;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_kmeans(f, 3, scale => 'unit') OVER () FROM km_pts;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_kmeans(f, NULL::int) OVER () FROM km_pts;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_kmeans(f, 3, NULL) OVER () FROM km_pts;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_kmeans(f, ARRAY[1, 2]::float8[]) OVER () FROM km_pts;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_kmeans(f, ARRAY[[1, 2, 3]]::float8[]) OVER () FROM km_pts;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_kmeans(CASE WHEN id = 3 THEN ARRAY[1, 2, 3] ELSE f END, 2) OVER () FROM km_pts;
\echo :LAST_ERROR_SQLSTATE
SELECT userseg_kmeans(CASE WHEN id = 3 THEN ARRAY[1, 'NaN'::float8] ELSE f END, 2) OVER () FROM km_pts;
\echo :LAST_ERROR_SQLSTATE

DROP TABLE km_pts;
