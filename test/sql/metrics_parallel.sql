-- The scores in a parallel plan: partial states serialized by the workers,
-- combined in the leader; the result equals the serial one to the last bit
-- (the final function sorts the rows into a canonical order first).
SET extra_float_digits = 3;
CREATE TABLE par (id int, f float8[], lab int) WITH (parallel_workers = 2);
-- three clusters in 3-d, a few noise and NULL rows; deterministic
INSERT INTO par
SELECT i, ARRAY[(i % 3) * 4 + sin(i), (i % 3) * -2 + cos(i * 1.3), sin(i * 0.7)],
       CASE WHEN i % 97 = 0 THEN -1 WHEN i % 89 = 0 THEN NULL ELSE i % 3 END
FROM generate_series(1, 30000) i;
ANALYZE par;

-- serial
SET max_parallel_workers_per_gather = 0;
CREATE TABLE serial_scores AS
SELECT userseg_silhouette(f, lab) AS sil,
       userseg_silhouette(f, lab, 2000, 7) AS sil_sampled,
       userseg_calinski_harabasz(f, lab) AS ch,
       userseg_davies_bouldin(f, lab) AS db,
       userseg_inertia(f, lab) AS inertia
FROM par WHERE id <= 6000;

-- parallel, forced
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT userseg_silhouette(f, lab), userseg_silhouette(f, lab, 2000, 7),
       userseg_calinski_harabasz(f, lab), userseg_davies_bouldin(f, lab),
       userseg_inertia(f, lab)
FROM par WHERE id <= 6000;
CREATE TABLE parallel_scores AS
SELECT userseg_silhouette(f, lab) AS sil,
       userseg_silhouette(f, lab, 2000, 7) AS sil_sampled,
       userseg_calinski_harabasz(f, lab) AS ch,
       userseg_davies_bouldin(f, lab) AS db,
       userseg_inertia(f, lab) AS inertia
FROM par WHERE id <= 6000;

SELECT s.sil = p.sil AS sil_same,
       s.sil_sampled = p.sil_sampled AS sampled_same,
       s.ch = p.ch AS ch_same,
       s.db = p.db AS db_same,
       s.inertia = p.inertia AS inertia_same,
       round(s.sil::numeric, 9) AS sil, round(s.ch::numeric, 6) AS ch,
       round(s.db::numeric, 9) AS db, round(s.inertia::numeric, 6) AS inertia
FROM serial_scores s, parallel_scores p;

-- GROUP BY under the parallel settings gives the serial scores per group
SELECT id % 2 AS half, round(userseg_silhouette(f, lab)::numeric, 9) AS sil
FROM par WHERE id <= 4000 GROUP BY 1 ORDER BY 1;
RESET ALL;
SELECT id % 2 AS half, round(userseg_silhouette(f, lab)::numeric, 9) AS sil
FROM par WHERE id <= 4000 GROUP BY 1 ORDER BY 1;
