-- Window forms read each argument once per row: a volatile argument gives the fit and
-- the output the same values (the scaled non-NULL rows have mean 0 and stddev 1).
SELECT setseed(0.5);
SELECT count(s) BETWEEN 400 AND 600 AS about_half_kept,
       abs(avg(s[1])) < 1e-9 AS mean_zero,
       abs(stddev_pop(s[1]) - 1) < 1e-9 AS stddev_one
FROM (SELECT userseg_scale(CASE WHEN random() < 0.5 THEN NULL
                                ELSE ARRAY[g, random()]::float8[] END) OVER () AS s
      FROM generate_series(1, 1000) g) x;
-- a NULL element drops the row the same way
SELECT count(s) BETWEEN 400 AND 600 AS about_half_kept, abs(avg(s[1])) < 1e-9 AS mean_zero
FROM (SELECT userseg_scale(ARRAY[g, CASE WHEN random() < 0.5 THEN NULL ELSE 1 END]::float8[])
               OVER () AS s
      FROM generate_series(1, 1000) g) x;
-- silhouette per row with a volatile label
SELECT count(s) BETWEEN 400 AND 600 AS about_half_scored
FROM (SELECT userseg_silhouette_sample(ARRAY[g]::float8[],
               CASE WHEN random() < 0.5 THEN NULL ELSE g % 3 END) OVER () AS s
      FROM generate_series(1, 1000) g) x;
-- Values too large for plain float8 sums: the z-score's moments are taken on the
-- values times a power of two, so the scaled features are finite; a scaled value
-- that itself leaves float8 is an error instead of NaN features (22003)
\set VERBOSITY sqlstate
SELECT userseg_scale(ARRAY[g * 1e306]::float8[]) OVER () FROM generate_series(1, 3) g;
SELECT userseg_scale(ARRAY[CASE g WHEN 1 THEN 1.7e308 ELSE -1.7e308 END]::float8[]) OVER ()
FROM generate_series(1, 3) g;
SELECT userseg_kmeans(ARRAY[g * 1e306]::float8[], 2) OVER () FROM generate_series(1, 3) g;
CREATE TABLE huge_values AS SELECT g * 1e306::float8 AS v FROM generate_series(1, 3) g;
SELECT k FROM userseg_kmeans('huge_values', ARRAY['v'], 2);
SELECT k FROM userseg_kmeans_sweep('huge_values', ARRAY['v'], 1, 2);
-- with scale 'none' their squared distances overflow float8: 22003
SELECT count(DISTINCT l) FROM (SELECT userseg_kmeans(ARRAY[g * 1e306]::float8[], 2, scale => 'none')
                                 OVER () AS l FROM generate_series(1, 3) g) x;
\set VERBOSITY default
DROP TABLE huge_values;
