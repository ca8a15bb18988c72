-- The contract of the scalers: signatures, labels, the aggregate's shape, SQLSTATEs.
BEGIN;
SELECT plan(55);

-- the type
SELECT has_composite('userseg_scaler', 'userseg_scaler is a composite type');
SELECT is((SELECT array_agg(attname || ' ' || format_type(atttypid, atttypmod) ORDER BY attnum)
           FROM pg_catalog.pg_attribute
           WHERE attrelid = (SELECT typrelid FROM pg_catalog.pg_type WHERE typname = 'userseg_scaler')
             AND attnum > 0 AND NOT attisdropped),
          ARRAY['method text', 'n bigint', 'center double precision[]', 'scale double precision[]'],
          'userseg_scaler has the fields method, n, center, scale');

-- the functions exist
SELECT has_function('userseg_scale', ARRAY['double precision[]', 'text']);
SELECT has_function('userseg_scaler_fit', ARRAY['double precision[]', 'text']);
SELECT has_function('userseg_scaler_fit', ARRAY['double precision[]']);
SELECT has_function('userseg_scale_apply', ARRAY['double precision[]', 'userseg_scaler']);
SELECT has_function('userseg_scale_inverse', ARRAY['double precision[]', 'userseg_scaler']);
SELECT has_function('userseg_scaler_fit_trans', ARRAY['double precision[]', 'double precision[]', 'text']);
SELECT has_function('userseg_scaler_fit_trans', ARRAY['double precision[]', 'double precision[]']);
SELECT has_function('userseg_scaler_fit_combine', ARRAY['double precision[]', 'double precision[]']);
SELECT has_function('userseg_scaler_fit_final', ARRAY['double precision[]']);

-- kinds
SELECT is_window('userseg_scale', ARRAY['double precision[]', 'text']);
SELECT is_aggregate('userseg_scaler_fit', ARRAY['double precision[]', 'text']);
SELECT is_aggregate('userseg_scaler_fit', ARRAY['double precision[]']);
SELECT isnt_window('userseg_scale_apply', ARRAY['double precision[]', 'userseg_scaler']);
SELECT isnt_aggregate('userseg_scale_apply', ARRAY['double precision[]', 'userseg_scaler']);
SELECT is((SELECT pg_catalog.pg_get_function_arguments('userseg_scale(float8[], text)'::regprocedure)),
          'features double precision[], method text DEFAULT ''zscore''::text',
          'userseg_scale: method defaults to zscore');

-- volatility
SELECT volatility_is('userseg_scale', ARRAY['double precision[]', 'text'], 'immutable');
SELECT volatility_is('userseg_scale_apply', ARRAY['double precision[]', 'userseg_scaler'], 'immutable');
SELECT volatility_is('userseg_scale_inverse', ARRAY['double precision[]', 'userseg_scaler'], 'immutable');
SELECT volatility_is('userseg_scaler_fit_trans', ARRAY['double precision[]', 'double precision[]', 'text'], 'immutable');
SELECT volatility_is('userseg_scaler_fit_trans', ARRAY['double precision[]', 'double precision[]'], 'immutable');
SELECT volatility_is('userseg_scaler_fit_combine', ARRAY['double precision[]', 'double precision[]'], 'immutable');
SELECT volatility_is('userseg_scaler_fit_final', ARRAY['double precision[]'], 'immutable');

-- strictness: apply, inverse, combine and final are strict; the window function and the
-- transition functions handle NULLs themselves
SELECT is_strict('userseg_scale_apply', ARRAY['double precision[]', 'userseg_scaler']);
SELECT is_strict('userseg_scale_inverse', ARRAY['double precision[]', 'userseg_scaler']);
SELECT is_strict('userseg_scaler_fit_combine', ARRAY['double precision[]', 'double precision[]']);
SELECT is_strict('userseg_scaler_fit_final', ARRAY['double precision[]']);
SELECT isnt_strict('userseg_scale', ARRAY['double precision[]', 'text']);
SELECT isnt_strict('userseg_scaler_fit_trans', ARRAY['double precision[]', 'double precision[]', 'text']);
SELECT isnt_strict('userseg_scaler_fit_trans', ARRAY['double precision[]', 'double precision[]']);

-- parallel labels: everything of the scalers is PARALLEL SAFE
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY 1)
           FROM pg_catalog.pg_proc p
           WHERE p.proname IN ('userseg_scale', 'userseg_scaler_fit', 'userseg_scale_apply',
                               'userseg_scale_inverse', 'userseg_scaler_fit_trans',
                               'userseg_scaler_fit_combine', 'userseg_scaler_fit_final')
             AND p.proparallel <> 's'),
          NULL, 'every scaler function and aggregate is PARALLEL SAFE');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc p
           WHERE p.proname IN ('userseg_scale', 'userseg_scaler_fit', 'userseg_scale_apply',
                               'userseg_scale_inverse', 'userseg_scaler_fit_trans',
                               'userseg_scaler_fit_combine', 'userseg_scaler_fit_final')),
          9, 'nine scaler functions and aggregates');

-- the aggregates: a combine function and a state that is not internal (Citus can push
-- them down), no serialization functions, no initial value
SELECT is(a.aggcombinefn::text, 'userseg_scaler_fit_combine',
          'userseg_scaler_fit(' || pg_catalog.pg_get_function_arguments(a.aggfnoid) || ') has a combine function')
FROM pg_catalog.pg_aggregate a
WHERE a.aggfnoid IN ('userseg_scaler_fit(float8[], text)'::regprocedure,
                     'userseg_scaler_fit(float8[])'::regprocedure)
ORDER BY a.aggfnoid::regprocedure::text;
SELECT is(format_type(a.aggtranstype, NULL), 'double precision[]',
          'userseg_scaler_fit(' || pg_catalog.pg_get_function_arguments(a.aggfnoid) || ') keeps a float8[] state')
FROM pg_catalog.pg_aggregate a
WHERE a.aggfnoid IN ('userseg_scaler_fit(float8[], text)'::regprocedure,
                     'userseg_scaler_fit(float8[])'::regprocedure)
ORDER BY a.aggfnoid::regprocedure::text;
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_aggregate a
           WHERE a.aggfnoid IN ('userseg_scaler_fit(float8[], text)'::regprocedure,
                                'userseg_scaler_fit(float8[])'::regprocedure)
             AND a.aggserialfn = 0 AND a.aggdeserialfn = 0 AND a.agginitval IS NULL
             AND a.aggfinalfn = 'userseg_scaler_fit_final'::regproc
             AND a.aggkind = 'n'),
          2, 'the aggregates have a final function, no serialization and no initial value');
SELECT is(format_type(prorettype, NULL), 'userseg_scaler', 'userseg_scaler_fit returns a userseg_scaler')
FROM pg_catalog.pg_proc WHERE oid = 'userseg_scaler_fit(float8[])'::regprocedure;

-- SQLSTATEs
SELECT throws_ok($$SELECT userseg_scale(f, 'zscorre') OVER () FROM (VALUES ('{1}'::float8[])) v(f)$$,
                 '22023', NULL, 'window form: unknown method is 22023');
SELECT throws_ok($$SELECT userseg_scale(f, NULL) OVER () FROM (VALUES ('{1}'::float8[])) v(f)$$,
                 '22004', NULL, 'window form: NULL method is 22004');
SELECT throws_ok($$SELECT userseg_scale(f, m) OVER () FROM (VALUES ('{1}'::float8[], 'zscore'), ('{2}', 'robust')) v(f, m)$$,
                 '22023', NULL, 'window form: two methods in one partition is 22023');
SELECT throws_ok($$SELECT userseg_scale(f) OVER () FROM (VALUES ('{1}'::float8[]), ('{1,2}')) v(f)$$,
                 '22000', NULL, 'window form: ragged vectors are 22000');
SELECT throws_ok($$SELECT userseg_scale(f) OVER () FROM (VALUES ('{1,NaN}'::float8[])) v(f)$$,
                 '22000', NULL, 'window form: NaN is 22000');
SELECT throws_ok($$SELECT userseg_scaler_fit(f, 'zscorre') FROM (VALUES ('{1}'::float8[])) v(f)$$,
                 '22023', NULL, 'aggregate: unknown method is 22023');
SELECT throws_ok($$SELECT userseg_scaler_fit(f, NULL) FROM (VALUES ('{1}'::float8[])) v(f)$$,
                 '22004', NULL, 'aggregate: NULL method is 22004');
SELECT throws_ok($$SELECT userseg_scaler_fit(f, m) FROM (VALUES ('{1}'::float8[], 'zscore'), ('{2}', 'minmax')) v(f, m)$$,
                 '22023', NULL, 'aggregate: two methods in one group is 22023');
SELECT throws_ok($$SELECT userseg_scaler_fit(f) FROM (VALUES ('{1}'::float8[]), ('{1,2}')) v(f)$$,
                 '22000', NULL, 'aggregate: ragged vectors are 22000');
SELECT throws_ok($$SELECT userseg_scaler_fit(f) FROM (VALUES ('{-Infinity}'::float8[])) v(f)$$,
                 '22000', NULL, 'aggregate: Infinity is 22000');
SELECT throws_ok($$SELECT userseg_scale_apply('{1,2,3}', ('zscore', 2, '{0,0}', '{1,1}'))$$,
                 '22000', NULL, 'apply: a vector of the wrong length is 22000');
SELECT throws_ok($$SELECT userseg_scale_inverse('{1,2,3}', ('zscore', 2, '{0,0}', '{1,1}'))$$,
                 '22000', NULL, 'inverse: a vector of the wrong length is 22000');
SELECT throws_ok($$SELECT userseg_scale_apply('{1,2}', ('zscore', 2, '{0,0}', NULL))$$,
                 '22004', NULL, 'apply: a scaler without a scale is 22004');
SELECT throws_ok($$SELECT userseg_scale_apply('{1,2}', ('zscore', 2, '{0,0}', '{1,0}'))$$,
                 '22000', NULL, 'apply: a zero scale is 22000');
SELECT throws_ok($$SELECT userseg_scaler_fit_final('{1,3,2,5,0}')$$,
                 '22000', NULL, 'final: a malformed state is 22000');
SELECT throws_ok($$SET LOCAL userseg.memory_limit = '64kB';
                   SELECT userseg_scaler_fit(ARRAY[i::float8], 'robust') FROM generate_series(1, 20000) i$$,
                 '54000', NULL, 'aggregate: a robust state over userseg.memory_limit is 54000');

SELECT * FROM finish();
ROLLBACK;
