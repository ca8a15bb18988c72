-- Contract of the sample-data functions: signatures, labels, errors
BEGIN;
SELECT plan(39);

SELECT has_function('userseg_sample_users', ARRAY['bigint', 'bigint', 'double precision']);
SELECT volatility_is('userseg_sample_users', ARRAY['bigint', 'bigint', 'double precision'], 'immutable');
SELECT is_strict('userseg_sample_users', ARRAY['bigint', 'bigint', 'double precision']);
SELECT is((SELECT proparallel FROM pg_proc
           WHERE oid = 'userseg_sample_users(bigint, bigint, float8)'::regprocedure), 's',
          'userseg_sample_users is PARALLEL SAFE');
SELECT is((SELECT prosupport::text FROM pg_proc
           WHERE oid = 'userseg_sample_users(bigint, bigint, float8)'::regprocedure),
          'userseg_sample_users_support', 'userseg_sample_users has its planner support function');
SELECT isnt(obj_description('userseg_sample_users(bigint, bigint, float8)'::regprocedure, 'pg_proc'),
            NULL, 'userseg_sample_users has a comment');
SELECT isnt(obj_description('userseg_sample_users_support(internal)'::regprocedure, 'pg_proc'),
            NULL, 'userseg_sample_users_support has a comment');

SELECT has_function('userseg_sample_segments', ARRAY['bigint', 'bigint', 'double precision']);
SELECT volatility_is('userseg_sample_segments', ARRAY['bigint', 'bigint', 'double precision'], 'immutable');
SELECT is_strict('userseg_sample_segments', ARRAY['bigint', 'bigint', 'double precision']);
SELECT is((SELECT proparallel FROM pg_proc
           WHERE oid = 'userseg_sample_segments(bigint, bigint, float8)'::regprocedure), 's',
          'userseg_sample_segments is PARALLEL SAFE');
SELECT is((SELECT prosupport::text FROM pg_proc
           WHERE oid = 'userseg_sample_segments(bigint, bigint, float8)'::regprocedure),
          'userseg_sample_users_support', 'userseg_sample_segments has the planner support function');
SELECT isnt(obj_description('userseg_sample_segments(bigint, bigint, float8)'::regprocedure, 'pg_proc'),
            NULL, 'userseg_sample_segments has a comment');

SELECT throws_ok('SELECT * FROM userseg_sample_users(0)', '22023', NULL, 'n = 0 is 22023');
SELECT throws_ok('SELECT * FROM userseg_sample_users(-1, 5)', '22023', NULL, 'n < 0 is 22023');
SELECT throws_ok('SELECT * FROM userseg_sample_users(100000001, 5)', '22023', NULL,
                 'n over 100,000,000 is 22023');
SELECT throws_ok('SELECT * FROM userseg_sample_users(10, 5, 0)', '22023', NULL, 'spread 0 is 22023');
SELECT throws_ok('SELECT * FROM userseg_sample_users(10, 5, -1)', '22023', NULL, 'spread < 0 is 22023');
SELECT throws_ok('SELECT * FROM userseg_sample_users(10, 5, 1.000001)', '22023', NULL,
                 'spread over 1 is 22023');
SELECT throws_ok($$SELECT * FROM userseg_sample_users(10, 5, 'NaN')$$, '22023', NULL,
                 'spread NaN is 22023');
SELECT throws_ok($$SELECT * FROM userseg_sample_users(10, 5, 'Infinity')$$, '22023', NULL,
                 'spread Infinity is 22023');
SELECT throws_ok('SELECT * FROM userseg_sample_segments(0)', '22023', NULL,
                 'userseg_sample_segments: n = 0 is 22023');
SELECT throws_ok($$SELECT * FROM userseg_sample_segments(10, 5, 'NaN')$$, '22023', NULL,
                 'userseg_sample_segments: spread NaN is 22023');

SELECT results_eq('SELECT * FROM userseg_sample_users(500, 9)',
                  'SELECT * FROM userseg_sample_users(1000, 9) WHERE user_id <= 500',
                  'the first rows do not depend on n');
SELECT results_eq('SELECT * FROM userseg_sample_users(2000, 9)',
                  'SELECT * FROM userseg_sample_users(2000, 9, 1.0)',
                  'spread 1 gives the default rows');
SELECT results_eq('SELECT * FROM userseg_sample_users(300, 9, 0.1)',
                  'SELECT * FROM userseg_sample_users(900, 9, 0.1) WHERE user_id <= 300',
                  'with a small spread, the first rows do not depend on n');
SELECT results_eq('SELECT * FROM userseg_sample_segments(300, 9)',
                  'SELECT * FROM userseg_sample_segments(900, 9, 0.5) WHERE user_id <= 300',
                  'the latent segments do not depend on n or spread');
SELECT is((SELECT count(*) FROM userseg_sample_segments(1000, 9) s
           JOIN userseg_sample_users(1000, 9, 0.1) u USING (user_id)), 1000::bigint,
          'every sample user has its latent segment');
SELECT is((SELECT count(*) FROM userseg_sample_segments(20000, 9) s
           JOIN userseg_sample_users(20000, 9) u USING (user_id)
           WHERE u.platform = 'LinkedIn' AND s.latent_segment = 'professionals')::float8
          / (SELECT count(*) FROM userseg_sample_users(20000, 9) WHERE platform = 'LinkedIn') > 0.5,
          true, 'most LinkedIn users are latent professionals');

-- the adjusted Rand index: aggregates with combine, serialize and deserialize
SELECT is_aggregate('userseg_adjusted_rand_score', ARRAY['text', 'bigint']);
SELECT is_aggregate('userseg_adjusted_rand_score', ARRAY['bigint', 'bigint']);
SELECT is((SELECT count(*)::int FROM pg_aggregate
           WHERE aggfnoid IN ('userseg_adjusted_rand_score(text, bigint)'::regprocedure,
                              'userseg_adjusted_rand_score(bigint, bigint)'::regprocedure)
             AND aggcombinefn <> 0 AND aggserialfn <> 0 AND aggdeserialfn <> 0), 2,
          'userseg_adjusted_rand_score has combine, serialize and deserialize functions');
SELECT is((SELECT count(*)::int FROM pg_proc
           WHERE oid IN ('userseg_adjusted_rand_score(text, bigint)'::regprocedure,
                         'userseg_adjusted_rand_score(bigint, bigint)'::regprocedure)
             AND proparallel = 's'), 2, 'userseg_adjusted_rand_score is PARALLEL SAFE');
SELECT isnt(obj_description('userseg_adjusted_rand_score(text, bigint)'::regprocedure, 'pg_proc'),
            NULL, 'userseg_adjusted_rand_score(text, bigint) has a comment');
SELECT isnt(obj_description('userseg_adjusted_rand_score(bigint, bigint)'::regprocedure, 'pg_proc'),
            NULL, 'userseg_adjusted_rand_score(bigint, bigint) has a comment');
SELECT is((SELECT userseg_adjusted_rand_score(t, p) FROM (VALUES ('a', 1), ('a', 1), ('b', 2), ('b', 2)) v(t, p)),
          1::float8, 'the same partition renumbered scores 1');
SELECT is((SELECT userseg_adjusted_rand_score(t, p) FROM (VALUES (0, 0), (0, 1), (1, 0), (1, 1)) v(t, p)),
          -0.5::float8, 'the discordant case scores -0.5');
SELECT is((SELECT userseg_adjusted_rand_score(t, p) FROM (VALUES ('a', NULL::int), (NULL, 1)) v(t, p)),
          NULL, 'only NULL labels give NULL');
SELECT throws_ok($$SELECT userseg_ari_deserialize('\x00'::bytea, NULL)$$, NULL, NULL,
                 'the deserializer refuses to run outside an aggregate');

SELECT * FROM finish();
ROLLBACK;
