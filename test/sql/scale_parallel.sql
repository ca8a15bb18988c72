-- The scaler aggregate in a parallel plan: partial states combined in the leader
SET extra_float_digits = 0;

-- 50000 rows, deterministic (no random generator), with a large offset in column 2
CREATE TABLE scale_par AS
SELECT i AS id, i % 3 AS g,
       ARRAY[(i % 97)::float8 * 1.5 - 20,
             1e6 + sin(i::float8),
             ln(i::float8),
             3.25]::float8[] AS f
FROM generate_series(1, 50000) i;
ANALYZE scale_par;

-- the serial results
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS
SELECT m, userseg_scaler_fit(f, m) AS s
FROM scale_par, unnest('{zscore,minmax,robust,none}'::text[]) AS m
GROUP BY m;
CREATE TEMP TABLE serial1 AS SELECT userseg_scaler_fit(f) AS s FROM scale_par;

-- force a parallel plan
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;   -- every row goes through a worker

EXPLAIN (COSTS OFF) SELECT userseg_scaler_fit(f, 'zscore') FROM scale_par;
EXPLAIN (COSTS OFF) SELECT userseg_scaler_fit(f) FROM scale_par;

-- the workers really ran
CREATE FUNCTION scale_workers(q text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, COSTS OFF, TIMING OFF) ' || q INTO plan;
  RETURN (plan -> 0 -> 'Plan' -> 'Plans' -> 0 ->> 'Workers Launched')::int;
END $$;
SELECT scale_workers('SELECT userseg_scaler_fit(f, ''robust'') FROM scale_par') > 0 AS workers_launched;

-- the same results as the serial plan: minmax, robust and none exactly, zscore within
-- 1e-12 relative (partial sums combine in another order)
SELECT m, (p).n,
       (p).center = (s).center AND (p).scale = (s).scale AS identical,
       (SELECT bool_and(abs(a - b) <= 1e-12 * abs(b)) FROM unnest((p).center, (s).center) u(a, b))
       AND (SELECT bool_and(abs(a - b) <= 1e-12 * abs(b)) FROM unnest((p).scale, (s).scale) u(a, b))
         AS within_1e_12
FROM (SELECT 'zscore' AS m, userseg_scaler_fit(f, 'zscore') AS p FROM scale_par
      UNION ALL SELECT 'minmax', userseg_scaler_fit(f, 'minmax') FROM scale_par
      UNION ALL SELECT 'robust', userseg_scaler_fit(f, 'robust') FROM scale_par
      UNION ALL SELECT 'none', userseg_scaler_fit(f, 'none') FROM scale_par) par
JOIN serial USING (m)
ORDER BY m;

SELECT (SELECT bool_and(abs(a - b) <= 1e-12 * abs(b))
        FROM unnest((p).center || (p).scale, (s).center || (s).scale) u(a, b)) AS zscore_within_1e_12
FROM (SELECT userseg_scaler_fit(f) AS p FROM scale_par) q, serial1;

-- the fitted values, shown with 9 significant digits (the precision of the checks
-- against scikit-learn)
SET extra_float_digits = -6;
SELECT m, (s).n, (s).center, (s).scale FROM serial ORDER BY m;
SET extra_float_digits = 0;

-- grouped, with partial aggregation per group, checked against the window form
EXPLAIN (COSTS OFF)
SELECT g, userseg_scaler_fit(f, 'robust') FROM scale_par GROUP BY g;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE userseg_scale_apply(t.f, fits.s) = w.scaled) AS identical
FROM scale_par t
JOIN (SELECT g, userseg_scaler_fit(f, 'robust') AS s FROM scale_par GROUP BY g) fits USING (g)
JOIN (SELECT id, userseg_scale(f, 'robust') OVER (PARTITION BY g) AS scaled FROM scale_par) w
  USING (id);

RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
