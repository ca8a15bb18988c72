-- Combinable statistics (userseg_stats, userseg_cluster_stats): serial and parallel
-- plans agree within 1e-12, states survive their text form, NULLs, errors
SET extra_float_digits = 0;

-- 60000 rows in 4 separated groups, deterministic, some NULL elements
CREATE TABLE ag AS
SELECT i AS id, i % 4 AS g,
       ARRAY[100 + (i % 4) * 20 + sin(i::float8) * 5, (i % 4) * 3 + (i % 17)::float8 / 4,
             CASE WHEN i % 11 = 0 THEN NULL ELSE 50 + cos(i::float8) END]::float8[] AS f
FROM generate_series(1, 60000) i;
ANALYZE ag;

-- serial, against PostgreSQL's own aggregates
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE ser AS
SELECT userseg_stats((f)[1]) AS s1, userseg_stats(f) AS sa,
       userseg_cluster_stats(f[1:2], g) AS cs
FROM ag;
SELECT (s1).n, abs((s1).mean - avg((f)[1])) <= 1e-12 * avg((f)[1]) AS mean_as_avg,
       abs((s1).stddev - stddev((f)[1])) <= 1e-12 * stddev((f)[1]) AS stddev_as_stddev,
       abs((s1).variance - variance((f)[1])) <= 1e-12 * variance((f)[1]) AS variance_as_variance,
       abs((s1).var_pop - var_pop((f)[1])) <= 1e-12 * var_pop((f)[1]) AS var_pop_as_var_pop,
       (s1).min = min((f)[1]) AS same_min, (s1).max = max((f)[1]) AS same_max
FROM ser, ag GROUP BY s1;
SELECT (sa).n AS counts_per_element, (sa).n[3] = count((f)[3]) AS nulls_left_out,
       abs((sa).mean[3] - avg((f)[3])) <= 1e-12 * avg((f)[3]) AS mean3_as_avg
FROM ser, ag GROUP BY sa;
-- the same inertia and Calinski-Harabasz as the row-based aggregates
SELECT (cs).clusters, (cs).rows,
       abs((cs).inertia - userseg_inertia(f[1:2], g)) <= 1e-12 * (cs).inertia AS inertia_as_userseg_inertia,
       abs((cs).calinski_harabasz - userseg_calinski_harabasz(f[1:2], g))
         <= 1e-12 * (cs).calinski_harabasz AS ch_as_userseg_calinski_harabasz
FROM ser, ag GROUP BY cs;

-- parallel: Partial and Finalize Aggregate
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT userseg_stats((f)[1]), userseg_stats(f), userseg_cluster_stats(f[1:2], g) FROM ag;
EXPLAIN (COSTS OFF)
SELECT g, userseg_stats(f) FROM ag GROUP BY g;
CREATE FUNCTION ag_workers(q text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, COSTS OFF, TIMING OFF) ' || q INTO plan;
  RETURN (plan -> 0 -> 'Plan' -> 'Plans' -> 0 ->> 'Workers Launched')::int;
END $$;
SELECT ag_workers('SELECT userseg_cluster_stats(f, g) FROM ag') > 0 AS workers_launched;
CREATE FUNCTION ag_close(a float8, b float8) RETURNS boolean LANGUAGE sql AS
$$ SELECT abs(a - b) <= 1e-12 * abs(b) $$;
SELECT (p1).n = (s1).n AS same_n, ag_close((p1).mean, (s1).mean) AS mean,
       ag_close((p1).stddev, (s1).stddev) AS stddev, ag_close((p1).variance, (s1).variance) AS variance,
       (p1).min = (s1).min AND (p1).max = (s1).max AS same_min_max
FROM (SELECT userseg_stats((f)[1]) AS p1 FROM ag) p, ser;
SELECT (pa).n = (sa).n AS same_n,
       (SELECT bool_and(ag_close(a, b)) FROM unnest((pa).mean || (pa).variance,
                                                   (sa).mean || (sa).variance) u(a, b)) AS within_1e_12
FROM (SELECT userseg_stats(f) AS pa FROM ag) p, ser;
SELECT (pc).clusters = (cs).clusters AND (pc).rows = (cs).rows AS same_counts,
       ag_close((pc).inertia, (cs).inertia) AS inertia,
       ag_close((pc).calinski_harabasz, (cs).calinski_harabasz) AS calinski_harabasz
FROM (SELECT userseg_cluster_stats(f[1:2], g) AS pc FROM ag) p, ser;
-- per group, against the serial plan
SELECT count(*) AS groups, bool_and(ag_close((p).mean[1], (s).mean[1])
                                    AND ag_close((p).stddev[2], (s).stddev[2])) AS within_1e_12
FROM (SELECT g, userseg_stats(f) AS p FROM ag GROUP BY g) par
JOIN (SELECT g, userseg_stats(f) AS s FROM ag GROUP BY g
      ORDER BY g OFFSET 0) ser1 USING (g);
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- partial states through text (as Citus ships them): a state per third of the rows,
-- through its text form, combined, gives the serial result
SET extra_float_digits = 1;
CREATE TEMP TABLE thirds AS
SELECT id % 3 AS part, f, g FROM ag;
-- the transition function called directly gives the same state as the aggregate
CREATE FUNCTION ag_fold(part int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st float8[]; r record;
BEGIN
  FOR r IN SELECT f, g FROM thirds WHERE thirds.part = ag_fold.part ORDER BY f[1] LOOP
    st := userseg_cluster_stats_trans(st, r.f[1:2], r.g);
  END LOOP;
  RETURN st::text;
END $$;
SELECT (userseg_cluster_stats_final(userseg_cluster_stats_combine(
          userseg_cluster_stats_combine(ag_fold(0)::float8[], ag_fold(1)::float8[]),
          ag_fold(2)::float8[]))).clusters AS clusters,
       ag_close((userseg_cluster_stats_final(userseg_cluster_stats_combine(
          userseg_cluster_stats_combine(ag_fold(0)::float8[], ag_fold(1)::float8[]),
          ag_fold(2)::float8[]))).inertia, (cs).inertia) AS inertia_within_1e_12
FROM ser;
SELECT ag_fold(0)::float8[]::text = ag_fold(0) AS text_round_trip;
SET extra_float_digits = 0;

-- NULLs, a group without values, a single value
SELECT (userseg_stats(x)).* FROM (VALUES (1::float8), (NULL), (3)) v(x);
SELECT userseg_stats(x) IS NULL AS no_values FROM (VALUES (NULL::float8)) v(x);
SELECT (userseg_stats(x)).* FROM (VALUES (5::float8)) v(x);
SELECT (userseg_stats(x)).* FROM (VALUES ('{1,NULL}'::float8[]), ('{3,NULL}'), (NULL)) v(x);
SELECT (userseg_cluster_stats(x, l)).*
FROM (VALUES ('{0,0}'::float8[], 0), ('{2,0}', 0), ('{10,10}', 1), ('{12,10}', 1),
             ('{5,5}', -1), (NULL, 1), ('{1,NULL}', 0), ('{7,7}', NULL)) v(x, l);
SELECT (userseg_cluster_stats(x, l)).*
FROM (VALUES ('{0,0}'::float8[], 3), ('{2,0}', 3)) v(x, l);
SELECT (userseg_cluster_stats(x, l)).*
FROM (VALUES ('{0,0}'::float8[], 3), ('{2,0}', 4)) v(x, l);
SELECT userseg_cluster_stats(x, l) IS NULL AS only_noise
FROM (VALUES ('{0,0}'::float8[], -1)) v(x, l);

-- errors
SELECT userseg_stats(x) FROM (VALUES ('NaN'::float8)) v(x);
SELECT userseg_stats(x) FROM (VALUES ('{1,Infinity}'::float8[])) v(x);
SELECT userseg_stats(x) FROM (VALUES ('{1,2}'::float8[]), ('{1,2,3}')) v(x);
SELECT userseg_stats(x) FROM (VALUES ('{{1,2},{3,4}}'::float8[])) v(x);
SELECT userseg_stats(x) FROM (VALUES ('{1e300}'::float8[]), ('{-1e300}')) v(x);
SELECT userseg_cluster_stats(x, 1) FROM (VALUES ('{1,2}'::float8[]), ('{1,2,3}')) v(x);
SELECT userseg_cluster_stats(x, 1) FROM (VALUES ('{1,NaN}'::float8[])) v(x);
SELECT userseg_stats_final('{101,0,0,0,Infinity,-Infinity}');
SELECT userseg_stats_final('{102,1,2,1,0,1,1}');
SELECT userseg_stats_final('{7}');
SELECT userseg_stats_array_final('{101,1,1,0,1,1}');
SELECT userseg_stats_combine('{101,1,1,0,1,1}', '{102,1,1,1,0,1,1}');
SELECT userseg_cluster_stats_final('{103,1,2,5,1,0,3,4,1,0,3}');
SELECT userseg_cluster_stats_final('{103,1,1,-1,1,0,3}');
SELECT userseg_cluster_stats_final('{103,1,1,2,1,-1,3}');
SELECT userseg_cluster_stats_final('{103,2,1,2,1,0,3}');
SELECT userseg_cluster_stats_combine('{103,1,1,2,1,0,3}', '{103,2,1,2,1,0,3,3}');

-- an aggregate of the user's with these transition functions and a hostile initial
-- state: a clean error, never a read or write outside the array
CREATE AGGREGATE ag_bad_step(float8[], float8[]) (
    SFUNC = userseg_kmeans_step_trans, STYPE = float8[], INITCOND = '{1,1000,1000,0,0}');
SELECT ag_bad_step(f, '{{1,2,3}}') FROM ag;
CREATE AGGREGATE ag_bad_stats(float8[]) (
    SFUNC = userseg_stats_trans, STYPE = float8[], INITCOND = '{102,1000}');
SELECT ag_bad_stats(f) FROM ag;
CREATE AGGREGATE ag_bad_stats1(float8) (
    SFUNC = userseg_stats_trans, STYPE = float8[], INITCOND = '{102,1,0,0,0,0,0}');
SELECT ag_bad_stats1((f)[1]) FROM ag;
CREATE AGGREGATE ag_bad_cluster(float8[], int) (
    SFUNC = userseg_cluster_stats_trans, STYPE = float8[], INITCOND = '{103,2,50,0,1,0,5,5}');
SELECT ag_bad_cluster(f[1:2], g) FROM ag;
DROP AGGREGATE ag_bad_step(float8[], float8[]);
DROP AGGREGATE ag_bad_stats(float8[]);
DROP AGGREGATE ag_bad_stats1(float8);
DROP AGGREGATE ag_bad_cluster(float8[], int);

DROP TABLE ag;
