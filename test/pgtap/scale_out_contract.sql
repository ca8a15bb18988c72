-- The contract of the aggregates for tables larger than memory and Citus: every one is
-- an aggregate with a combine function, a float8[] state (never internal), parallel
-- safe, with immutable parallel-safe support functions; the table form takes method
-- and batch_size; SQLSTATEs.
BEGIN;
SELECT plan(45);

-- the aggregates: combinable, float8[] states, parallel safe
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_aggregate a
           JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
           WHERE p.proname IN ('userseg_kmeans_step', 'userseg_stats', 'userseg_cluster_stats')),
          4, 'four aggregates: userseg_kmeans_step, userseg_stats (two forms), userseg_cluster_stats');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_aggregate a
           JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
           WHERE p.proname IN ('userseg_kmeans_step', 'userseg_stats', 'userseg_cluster_stats')
             AND a.aggtranstype = 'float8[]'::regtype AND a.aggcombinefn <> 0
             AND a.aggserialfn = 0 AND p.proparallel = 's'),
          4, 'each has a float8[] state, a combine function, no serialization, PARALLEL SAFE');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_aggregate a
           JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
           WHERE p.proname = 'userseg_scaler_fit' AND a.aggtranstype = 'float8[]'::regtype
             AND a.aggcombinefn <> 0),
          2, 'userseg_scaler_fit (both forms) has a float8[] state and a combine function');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc
           WHERE proname IN ('userseg_kmeans_step_trans', 'userseg_kmeans_step_combine',
                             'userseg_kmeans_step_final', 'userseg_stats_trans',
                             'userseg_stats_combine', 'userseg_stats_final',
                             'userseg_stats_array_final', 'userseg_cluster_stats_trans',
                             'userseg_cluster_stats_combine', 'userseg_cluster_stats_final')
             AND provolatile = 'i' AND proparallel = 's'),
          11, 'the eleven support functions (two transition functions of userseg_stats) are IMMUTABLE PARALLEL SAFE');
SELECT is((SELECT bool_and(proisstrict = (proname NOT LIKE '%trans'))
           FROM pg_catalog.pg_proc
           WHERE proname LIKE 'userseg_kmeans_step_%' OR proname LIKE 'userseg_stats_%'
              OR proname LIKE 'userseg_cluster_stats_%'),
          true, 'transition functions are CALLED ON NULL INPUT, combine and final STRICT');

-- result types
SELECT has_composite('userseg_kmeans_step_result');
SELECT has_composite('userseg_stats_result');
SELECT has_composite('userseg_stats_arrays');
SELECT has_composite('userseg_cluster_stats_result');
SELECT is((SELECT array_agg(attname::text ORDER BY attnum) FROM pg_catalog.pg_attribute
           WHERE attrelid = 'userseg_kmeans_step_result'::regclass AND attnum > 0),
          ARRAY['centers', 'sizes', 'inertia', 'rows'], 'userseg_kmeans_step_result fields');
SELECT is((SELECT array_agg(attname::text ORDER BY attnum) FROM pg_catalog.pg_attribute
           WHERE attrelid = 'userseg_cluster_stats_result'::regclass AND attnum > 0),
          ARRAY['clusters', 'rows', 'inertia', 'calinski_harabasz'], 'userseg_cluster_stats_result fields');

-- the table form's method and batch_size
SELECT is((SELECT pg_catalog.pg_get_function_arguments(p.oid) ~ 'method text DEFAULT ''auto''::text, batch_size integer DEFAULT 1024$'
           FROM pg_catalog.pg_proc p
           WHERE p.proname = 'userseg_kmeans' AND p.proargtypes[0] = 'regclass'::regtype),
          true, 'userseg_kmeans (table form) ends with method DEFAULT auto, batch_size DEFAULT 1024');

-- results
SELECT is((SELECT (userseg_kmeans_step(x, '{{0,0},{10,10}}')).sizes
           FROM (VALUES ('{1,1}'::float8[]), ('{9,9}'), ('{8,8}')) v(x)),
          ARRAY[1, 2]::bigint[], 'userseg_kmeans_step: rows per nearest center');
SELECT is((SELECT (userseg_stats(x)).mean FROM (VALUES (1::float8), (2), (6)) v(x)), 3::float8,
          'userseg_stats: the mean');
SELECT is((SELECT (userseg_cluster_stats(x, l)).inertia
           FROM (VALUES ('{0}'::float8[], 0), ('{2}', 0), ('{10}', 1)) v(x, l)), 2::float8,
          'userseg_cluster_stats: the inertia');

-- SQLSTATEs
CREATE TABLE sc_t (a float8, b int, t text);
INSERT INTO sc_t VALUES (1, 1, 'x'), (2, 2, 'y'), (10, 9, 'x');
SELECT throws_ok($$SELECT userseg_kmeans_step(ARRAY[1]::float8[], NULL)$$, '22004');
SELECT throws_ok($$SELECT userseg_kmeans_step(ARRAY[1]::float8[], '{1}')$$, '22023');
SELECT throws_ok($$SELECT userseg_kmeans_step(ARRAY[1, 2]::float8[], '{{1}}')$$, '22000');
SELECT throws_ok($$SELECT userseg_kmeans_step_final('{1,2}')$$, '22000');
SELECT throws_ok($$SELECT userseg_stats('NaN'::float8)$$, '22000');
SELECT throws_ok($$SELECT userseg_stats_final('{5}')$$, '22000');
SELECT throws_ok($$SELECT userseg_cluster_stats_final('{103,1,1,-1,1,0,3}')$$, '22000');
SELECT throws_ok($$SELECT * FROM userseg_kmeans('sc_t', '{a,b}', 2, method => 'nope')$$, '22023');
SELECT throws_ok($$SELECT * FROM userseg_kmeans('sc_t', '{a,b}', 2, method => NULL)$$, '22004');
SELECT throws_ok($$SELECT * FROM userseg_kmeans('sc_t', '{a,t}', 2, method => 'scan')$$, '0A000');
SELECT throws_ok($$SELECT * FROM userseg_kmeans('sc_t', '{a,b}', 2, method => 'scan', scale => 'robust')$$, '0A000');
SELECT throws_ok($$SELECT * FROM userseg_kmeans('sc_t', '{a,b}', 2, method => 'minibatch', batch_size => 0)$$, '22023');
SELECT is((SELECT model FROM userseg_kmeans('sc_t', '{a,b}', 2, method => 'scan', model => 'sc_scan_model')),
          'sc_scan_model', 'method => scan fits with a model');
SELECT is((SELECT algorithm FROM userseg_models WHERE name = 'sc_scan_model'), 'kmeans',
          'method => scan saves its model');
SELECT throws_ok($$SELECT * FROM userseg_kmeans('sc_t', '{a,b}', 5, method => 'scan')$$, '22023');

-- category counts: a combinable aggregate over a real state type with a text round trip
SELECT has_type('userseg_counts');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_aggregate a
           JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
           WHERE p.proname IN ('userseg_category_counts', 'userseg_counts_merge')
             AND a.aggtranstype = 'userseg_counts'::regtype
             AND a.aggcombinefn = 'userseg_counts_combine'::regproc
             AND a.aggserialfn = 0 AND a.aggfinalfn = 0 AND p.proparallel = 's'),
          3, 'userseg_category_counts (two forms) and userseg_counts_merge: a userseg_counts state, a combine function, no serialization, PARALLEL SAFE');
SELECT is((SELECT typtype::text || typlen::text || typcategory::text FROM pg_catalog.pg_type
           WHERE oid = 'userseg_counts'::regtype),
          'b-1U', 'userseg_counts is a variable-length base type (not a pseudo-type)');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc
           WHERE proname IN ('userseg_counts_in', 'userseg_counts_out', 'userseg_counts_recv',
                             'userseg_counts_send', 'userseg_category_counts_trans',
                             'userseg_counts_combine', 'userseg_counts_rows')
             AND provolatile = 'i' AND proparallel = 's'
             AND proisstrict = (proname <> 'userseg_category_counts_trans')),
          8, 'the eight support functions are IMMUTABLE PARALLEL SAFE, strict but the transition functions');
SELECT is((SELECT typreceive::text || ' ' || typsend::text FROM pg_catalog.pg_type
           WHERE oid = 'userseg_counts'::regtype),
          'userseg_counts_recv userseg_counts_send', 'userseg_counts has binary receive and send functions');
SELECT is((SELECT pg_catalog.pg_get_function_result('userseg_counts_rows'::regproc)),
          'TABLE(category text, n bigint, share double precision)', 'userseg_counts_rows returns category, n, share');
SELECT is((SELECT userseg_category_counts(x)::text FROM (VALUES ('b'), (NULL), ('a'), ('b')) v(x)),
          'max_categories=100 {"a": 1, "b": 2, NULL: 1}', 'userseg_category_counts: counts in byte order, NULL last');
SELECT is((SELECT 'max_categories=9 {"b": 2, NULL: 1, "a\"": 1}'::userseg_counts::text::userseg_counts::text),
          'max_categories=9 {"a\"": 1, "b": 2, NULL: 1}', 'the text form reads back to the same canonical text');
SELECT results_eq($$SELECT category, n FROM userseg_counts_rows(
                      (SELECT userseg_category_counts(t) FROM sc_t))$$,
                  $$SELECT t, count(*) FROM sc_t GROUP BY t ORDER BY t COLLATE "C"$$,
                  'userseg_counts_rows: the counts of count(*) per category');
SELECT throws_ok($$SELECT userseg_category_counts(g::text, 2) FROM generate_series(1, 3) g$$, '54000');
SELECT throws_ok($$SELECT userseg_category_counts(t, 0) FROM sc_t$$, '22023');
SELECT throws_ok($$SELECT userseg_category_counts(t, NULL) FROM sc_t$$, '22004');
SELECT throws_ok($$SELECT 'max_categories=2 {"a": 1'::userseg_counts$$, '22P02');
SELECT throws_ok($$SELECT 'max_categories=2 {"a": 1, "a": 1}'::userseg_counts$$, '22P02');
SELECT throws_ok($$SELECT userseg_counts_merge(c) FROM (VALUES ('max_categories=1 {"a": 1}'::userseg_counts),
                                                            ('max_categories=1 {"b": 1}')) v(c)$$, '54000');

SELECT * FROM finish();
ROLLBACK;
