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

-- Category counts (userseg_category_counts): the counts of count(*) per category, the
-- figures of userseg_crosstab, serial and parallel plans alike, states through text
CREATE TABLE agc AS
SELECT i AS id, i % 4 AS seg,
       CASE WHEN i % 13 = 0 THEN NULL
            ELSE (ARRAY['android', 'ios', 'web', 'Tv', 'tv "4k"'])[1 + (i * 7 + i / 5 + (i % 4) * (i % 3)) % 5]
       END AS platform
FROM generate_series(1, 60000) i;
ANALYZE agc;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE cser AS
SELECT seg, userseg_category_counts(platform) AS c FROM agc GROUP BY seg;
SELECT seg, c FROM cser ORDER BY seg;
-- every (segment, category, count) of count(*), NULL a category of its own, and no other
SELECT count(*) AS missing FROM (
  SELECT seg, platform, count(*) FROM agc GROUP BY 1, 2
  EXCEPT ALL
  SELECT s.seg, r.category, r.n FROM cser s, userseg_counts_rows(s.c) r) d;
SELECT count(*) AS extra FROM (
  SELECT s.seg, r.category, r.n FROM cser s, userseg_counts_rows(s.c) r
  EXCEPT ALL
  SELECT seg, platform, count(*) FROM agc GROUP BY 1, 2) d;
-- rows in byte order, the NULL category last; shares of the segment's rows
SELECT seg, array_agg(coalesce(category, 'NULL') ORDER BY o) AS categories,
       abs(sum(share) - 1) <= 1e-12 AS shares_add_up
FROM cser s, userseg_counts_rows(s.c) WITH ORDINALITY r(category, n, share, o)
GROUP BY seg ORDER BY seg;
-- the crosstab of each segment from the counts: userseg_crosstab's counts, shares and lifts
CREATE TEMP TABLE cmine AS
SELECT s.seg, r.category, r.n, r.share, r.share / a.share AS lift
FROM cser s CROSS JOIN LATERAL userseg_counts_rows(s.c) r
JOIN userseg_counts_rows((SELECT userseg_counts_merge(c) FROM cser)) a
  ON a.category IS NOT DISTINCT FROM r.category;
SELECT count(*) AS rows_compared,
       count(*) = (SELECT count(*) FROM cmine) AS every_row,
       bool_and(x.n = m.n AND abs(x.share_in_cluster - m.share) <= 1e-12 * m.share
                AND abs(x.lift - m.lift) <= 1e-12 * m.lift) AS as_userseg_crosstab
FROM userseg_crosstab('agc', 'seg', 'platform') x
JOIN cmine m ON m.seg = x.cluster AND m.category IS NOT DISTINCT FROM x.category
WHERE x.n > 0;

-- parallel: Partial and Finalize Aggregate, the same counts as the serial plan
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT seg, userseg_category_counts(platform) FROM agc GROUP BY seg;
EXPLAIN (COSTS OFF)
SELECT userseg_category_counts(platform), userseg_category_counts(platform, 10) FROM agc;
SELECT ag_workers('SELECT userseg_category_counts(platform) FROM agc') > 0 AS workers_launched;
SELECT count(*) AS groups, bool_and(p.c::text = s.c::text) AS same_counts
FROM (SELECT seg, userseg_category_counts(platform) AS c FROM agc GROUP BY seg) p
JOIN cser s USING (seg);
SET enable_hashagg = off;
SELECT count(*) AS groups, bool_and(p.c::text = s.c::text) AS same_counts_sorted
FROM (SELECT seg, userseg_category_counts(platform) AS c FROM agc GROUP BY seg) p
JOIN cser s USING (seg);
RESET enable_hashagg;
SELECT (SELECT userseg_category_counts(platform) FROM agc)::text =
       (SELECT userseg_counts_merge(c) FROM cser)::text AS merge_as_one_group;
SET parallel_leader_participation = on;
SELECT (SELECT userseg_category_counts(platform) FROM agc)::text =
       (SELECT userseg_counts_merge(c) FROM cser)::text AS with_the_leader;
-- the whole query in a worker: the result comes back through the worker's tuple queue
SET force_parallel_mode = on;
SELECT count(*) AS groups, bool_and(p.c::text = s.c::text) AS same_counts_in_a_worker
FROM (SELECT seg, userseg_category_counts(platform) AS c FROM agc GROUP BY seg) p
JOIN cser s USING (seg);
RESET force_parallel_mode;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- partial states through text (as Citus ships them): a state per third of the rows, as
-- text, read back and merged, gives the one-scan counts
SELECT userseg_counts_merge(t::userseg_counts)::text =
       (SELECT userseg_category_counts(platform)::text FROM agc) AS thirds_through_text
FROM (SELECT userseg_category_counts(platform)::text AS t FROM agc GROUP BY id % 3) p;
SELECT bool_and(c::text::userseg_counts::text = c::text) AS text_round_trip FROM cser;
-- the binary form (binary COPY and clients): max_categories, categories, NULL count, then
-- per category its length, bytes and count
SELECT userseg_counts_send('max_categories=3 {"a": 2, NULL: 1}');
-- the transition and combine functions called directly
SELECT userseg_counts_combine(userseg_category_counts_trans(userseg_category_counts_trans(NULL, 'b'), NULL),
                              userseg_category_counts_trans(NULL, 'a'));

-- quoting, byte order, other types through their text, NULLs, empty groups, bounds
SELECT userseg_category_counts(x)
FROM (VALUES ('b'), ('a'), (NULL), ('B'), (''), (E'q"\\/'), (E'tab\there'), (E'\x01'), ('é'), ('b')) v(x);
SELECT c::text::userseg_counts::text = c::text AS escapes_round_trip
FROM (SELECT userseg_category_counts(x) AS c
      FROM (VALUES (E'q"\\/'), (E'tab\there\r\n\f\b'), (E'\x01\x1f\x7f'), ('é')) v(x)) s;
SELECT userseg_category_counts(x::text) FROM (VALUES (10), (2), (2), (NULL)) v(x);
SELECT * FROM userseg_counts_rows((SELECT userseg_category_counts(x::text)
                                   FROM (VALUES (true), (false), (true), (NULL)) v(x)));
SELECT userseg_category_counts(x) FROM (VALUES (NULL::text), (NULL)) v(x);
SELECT userseg_category_counts(x) IS NULL AS no_rows FROM agc, LATERAL (SELECT platform) v(x) WHERE false;
SELECT userseg_category_counts(x, 3) FROM (VALUES ('a'), ('b'), (NULL), ('a')) v(x);
SELECT 'max_categories=4 { NULL:1 ,"b" : 2,"a":3}'::userseg_counts AS any_order_and_spacing;
SELECT * FROM userseg_counts_rows('max_categories=1 {}');
SELECT userseg_counts_merge(c)
FROM (VALUES ('max_categories=2 {"a": 1}'::userseg_counts), ('max_categories=3 {"b": 1, NULL: 4}'),
             (NULL)) v(c);

-- errors
SELECT userseg_category_counts(x) FROM generate_series(1, 101) g, LATERAL (SELECT g::text) v(x);
SELECT userseg_category_counts(x, 2) FROM (VALUES ('a'), (NULL), ('b')) v(x);
SELECT userseg_category_counts(x, 0) FROM (VALUES ('a')) v(x);
SELECT userseg_category_counts(x, 1000001) FROM (VALUES ('a')) v(x);
SELECT userseg_category_counts(x, NULL) FROM (VALUES ('a')) v(x);
SELECT userseg_category_counts(x, 2 + (x = 'b')::int) FROM (VALUES ('a'), ('b')) v(x);
SELECT userseg_counts_merge(c)
FROM (VALUES ('max_categories=2 {"a": 1, "b": 1}'::userseg_counts), ('max_categories=2 {"c": 1}')) v(c);
SELECT userseg_counts_merge(c)
FROM (VALUES ('max_categories=2 {"a": 9223372036854775806}'::userseg_counts), ('max_categories=2 {"a": 2}')) v(c);
SELECT ''::userseg_counts;
SELECT 'garbage'::userseg_counts;
SELECT 'max_categories=0 {}'::userseg_counts;
SELECT 'max_categories=1000001 {}'::userseg_counts;
SELECT 'max_categories=99999999999999999999 {}'::userseg_counts;
SELECT 'max_categories=3'::userseg_counts;
SELECT 'max_categories=3 {"a": 1'::userseg_counts;
SELECT 'max_categories=3 {"a": 1,}'::userseg_counts;
SELECT 'max_categories=3 {"a" 1}'::userseg_counts;
SELECT 'max_categories=3 {a: 1}'::userseg_counts;
SELECT 'max_categories=3 {"a: 1}'::userseg_counts;
SELECT 'max_categories=3 {"a": 0}'::userseg_counts;
SELECT 'max_categories=3 {"a": -1}'::userseg_counts;
SELECT 'max_categories=3 {"a": 1.5}'::userseg_counts;
SELECT 'max_categories=3 {"a": 9223372036854775808}'::userseg_counts;
SELECT 'max_categories=3 {"a": 9223372036854775807, NULL: 1}'::userseg_counts;
SELECT 'max_categories=3 {"a": 1, "a": 2}'::userseg_counts;
SELECT 'max_categories=3 {NULL: 1, null: 2}'::userseg_counts;
SELECT 'max_categories=1 {"a": 1, NULL: 2}'::userseg_counts;
SELECT 'max_categories=3 {"\u0000": 1}'::userseg_counts;
SELECT 'max_categories=3 {"\u00e9": 1}'::userseg_counts;
SELECT 'max_categories=3 {"\u00g1": 1}'::userseg_counts;
SELECT 'max_categories=3 {"\x": 1}'::userseg_counts;
SELECT E'max_categories=3 {"a\tb": 1}'::userseg_counts;
SELECT 'max_categories=3 {"a": 1} trailing'::userseg_counts;
-- an aggregate of the user's with these functions and a hostile initial state: a clean
-- error when the initial state is read, never a crash
CREATE AGGREGATE ag_bad_counts(text) (
    SFUNC = userseg_category_counts_trans, STYPE = userseg_counts,
    INITCOND = 'max_categories=2 {"b": 1, "a": 1}');
SELECT ag_bad_counts(platform) FROM agc;
CREATE AGGREGATE ag_bad_counts2(text) (
    SFUNC = userseg_category_counts_trans, STYPE = userseg_counts,
    INITCOND = 'max_categories=2 {"a": 9223372036854775807}');
SELECT ag_bad_counts2(platform) FROM agc;
CREATE AGGREGATE ag_bad_counts3(text) (
    SFUNC = userseg_category_counts_trans, STYPE = userseg_counts,
    INITCOND = 'max_categories=2 {"a": 1');
DROP AGGREGATE ag_bad_counts(text);
DROP AGGREGATE ag_bad_counts2(text);
DROP TABLE agc;
