-- Contract of the scores: functions, labels, aggregate support and SQLSTATEs
BEGIN;
SELECT plan(51);

-- the SQL entry points
SELECT has_function('userseg_silhouette', ARRAY['double precision[]', 'integer']);
SELECT has_function('userseg_silhouette', ARRAY['double precision[]', 'integer', 'integer', 'integer']);
SELECT has_function('userseg_calinski_harabasz', ARRAY['double precision[]', 'integer']);
SELECT has_function('userseg_davies_bouldin', ARRAY['double precision[]', 'integer']);
SELECT has_function('userseg_inertia', ARRAY['double precision[]', 'integer']);
SELECT has_function('userseg_silhouette_sample', ARRAY['double precision[]', 'integer']);

SELECT is_aggregate('userseg_silhouette', ARRAY['double precision[]', 'integer']);
SELECT is_aggregate('userseg_silhouette', ARRAY['double precision[]', 'integer', 'integer', 'integer']);
SELECT is_aggregate('userseg_calinski_harabasz', ARRAY['double precision[]', 'integer']);
SELECT is_aggregate('userseg_davies_bouldin', ARRAY['double precision[]', 'integer']);
SELECT is_aggregate('userseg_inertia', ARRAY['double precision[]', 'integer']);
SELECT is_window('userseg_silhouette_sample', ARRAY['double precision[]', 'integer']);
SELECT isnt_aggregate('userseg_silhouette_sample', ARRAY['double precision[]', 'integer']);

SELECT function_returns('userseg_silhouette', ARRAY['double precision[]', 'integer'], 'double precision');
SELECT function_returns('userseg_silhouette_sample', ARRAY['double precision[]', 'integer'], 'double precision');

-- volatility: everything depends on its input only
SELECT volatility_is('userseg_silhouette', ARRAY['double precision[]', 'integer'], 'immutable');
SELECT volatility_is('userseg_silhouette', ARRAY['double precision[]', 'integer', 'integer', 'integer'], 'immutable');
SELECT volatility_is('userseg_silhouette_sample', ARRAY['double precision[]', 'integer'], 'immutable');
SELECT volatility_is('userseg_metrics_trans', ARRAY['internal', 'double precision[]', 'integer'], 'immutable');
SELECT volatility_is('userseg_metrics_deserialize', ARRAY['bytea', 'internal'], 'immutable');

-- strictness: NULL rows are left out, so transition and window functions are not strict
SELECT isnt_strict('userseg_metrics_trans', ARRAY['internal', 'double precision[]', 'integer']);
SELECT isnt_strict('userseg_metrics_trans_sampled', ARRAY['internal', 'double precision[]', 'integer', 'integer', 'integer']);
SELECT isnt_strict('userseg_metrics_combine', ARRAY['internal', 'internal']);
SELECT isnt_strict('userseg_silhouette_sample', ARRAY['double precision[]', 'integer']);
SELECT is_strict('userseg_metrics_serialize', ARRAY['internal']);
SELECT is_strict('userseg_metrics_deserialize', ARRAY['bytea', 'internal']);

-- every function of the scores is PARALLEL SAFE and has a comment
SELECT is(
  (SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_proc p
   WHERE p.proname ~ '^userseg_(silhouette|calinski|davies|inertia|metrics_)' AND p.proparallel <> 's'),
  NULL, 'every function of the scores is PARALLEL SAFE');
SELECT is(
  (SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_proc p
   WHERE p.proname ~ '^userseg_(silhouette|calinski|davies|inertia|metrics_)'
     AND obj_description(p.oid, 'pg_proc') IS NULL),
  NULL, 'every function of the scores has a comment');
SELECT is(
  (SELECT count(*)::int FROM pg_proc p
   WHERE p.proname ~ '^userseg_(silhouette|calinski|davies|inertia|metrics_)'),
  15, 'the scores have 15 functions (6 entry points, 9 support functions)');

-- aggregate support: combine, serialize, deserialize; internal state
SELECT is(
  (SELECT array_agg(a.aggfnoid::regprocedure::text ORDER BY 1) FROM pg_aggregate a
   JOIN pg_proc p ON p.oid = a.aggfnoid
   WHERE p.proname ~ '^userseg_(silhouette|calinski|davies|inertia)'
     AND (a.aggcombinefn = 0 OR a.aggserialfn = 0 OR a.aggdeserialfn = 0
          OR a.aggtranstype <> 'internal'::regtype)),
  NULL, 'every score aggregate has combine, serialize and deserialize functions');
SELECT is(
  (SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
   WHERE p.proname ~ '^userseg_(silhouette|calinski|davies|inertia)'),
  5, 'five score aggregates');

-- results
CREATE TEMP TABLE two (f float8[], lab int);
INSERT INTO two VALUES ('{0}', 0), ('{1}', 0), ('{10}', 1), ('{11}', 1);
SELECT is((SELECT userseg_inertia(f, lab) FROM two), 1::float8, 'inertia of two clusters');
SELECT is((SELECT userseg_calinski_harabasz(f, lab) FROM two), 200::float8, 'Calinski-Harabasz of two clusters');
SELECT is((SELECT round(userseg_silhouette(f, lab)::numeric, 12) FROM two),
          round(((9.5 / 10.5 + 8.5 / 9.5) / 2)::numeric, 12), 'silhouette of two clusters');
SET LOCAL client_min_messages = warning;
SELECT is((SELECT userseg_silhouette(f, 0) FROM two), NULL, 'one cluster gives NULL');
SELECT is((SELECT userseg_davies_bouldin(f, -1) FROM two), NULL, 'only noise gives NULL');
SELECT is((SELECT userseg_silhouette(f, lab) FROM two WHERE false), NULL, 'no rows give NULL');
RESET client_min_messages;

-- SQLSTATEs of bad input
SELECT throws_ok($$SELECT userseg_silhouette(f, l) FROM (VALUES ('{1,2}'::float8[], 0), ('{1}', 1)) v(f, l)$$,
                 '22000', NULL, 'ragged vectors: 22000');
SELECT throws_ok($$SELECT userseg_calinski_harabasz(f, l) FROM (VALUES ('{1,2}'::float8[], 0), ('{1,2,3}', 1)) v(f, l)$$,
                 '22000', NULL, 'ragged vectors in Calinski-Harabasz: 22000');
SELECT throws_ok($$SELECT userseg_inertia(f, l) FROM (VALUES ('{1,2}'::float8[], 0), ('{NaN,1}', 1)) v(f, l)$$,
                 '22000', NULL, 'NaN: 22000');
SELECT throws_ok($$SELECT userseg_davies_bouldin(f, l) FROM (VALUES ('{-Infinity}'::float8[], 0)) v(f, l)$$,
                 '22000', NULL, 'Infinity: 22000');
SELECT throws_ok($$SELECT userseg_silhouette_sample(f, l) OVER () FROM (VALUES ('{1}'::float8[], 0), ('{NaN}', 1)) v(f, l)$$,
                 '22000', NULL, 'NaN in the window function: 22000');
SELECT throws_ok($$SELECT userseg_silhouette_sample(f, l) OVER () FROM (VALUES ('{1}'::float8[], 0), ('{1,2}', 1)) v(f, l)$$,
                 '22000', NULL, 'ragged vectors in the window function: 22000');
SELECT throws_ok($$SELECT userseg_silhouette(f, l) FROM (VALUES ('{}'::float8[], 0)) v(f, l)$$,
                 '22000', NULL, 'empty vector: 22000');
SELECT throws_ok($$SELECT userseg_silhouette(f, l) FROM (VALUES ('{{1},{2}}'::float8[], 0)) v(f, l)$$,
                 '22000', NULL, 'two-dimensional array: 22000');
SELECT throws_ok($$SELECT userseg_silhouette(f, lab, 1, 0) FROM two$$,
                 '22023', NULL, 'sample_size below 2: 22023');
SELECT throws_ok($$SELECT userseg_silhouette(f, lab, -5, 0) FROM two$$,
                 '22023', NULL, 'negative sample_size: 22023');
SELECT throws_ok($$SELECT userseg_silhouette(f, lab, NULL, 0) FROM two$$,
                 '22004', NULL, 'NULL sample_size: 22004');
SELECT throws_ok($$SELECT userseg_silhouette(f, lab, 2, NULL) FROM two$$,
                 '22004', NULL, 'NULL seed: 22004');
SELECT throws_ok($$SELECT userseg_silhouette(f, lab, 2, lab) FROM two$$,
                 '22023', NULL, 'seed changing between rows: 22023');
SET LOCAL userseg.memory_limit = '64kB';
SELECT throws_ok($$SELECT userseg_silhouette(ARRAY[i, i], i % 2) FROM generate_series(1, 5000) i$$,
                 '54000', NULL, 'over userseg.memory_limit: 54000');

SELECT * FROM finish();
ROLLBACK;
