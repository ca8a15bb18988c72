-- Contract of the sample-data functions: signatures, labels, errors
BEGIN;
SELECT plan(11);

SELECT has_function('userseg_sample_users', ARRAY['bigint', 'bigint']);
SELECT volatility_is('userseg_sample_users', ARRAY['bigint', 'bigint'], 'immutable');
SELECT is_strict('userseg_sample_users', ARRAY['bigint', 'bigint']);
SELECT is((SELECT proparallel FROM pg_proc
           WHERE oid = 'userseg_sample_users(bigint, bigint)'::regprocedure), 's',
          'userseg_sample_users is PARALLEL SAFE');
SELECT is((SELECT prosupport::text FROM pg_proc
           WHERE oid = 'userseg_sample_users(bigint, bigint)'::regprocedure),
          'userseg_sample_users_support', 'userseg_sample_users has its planner support function');
SELECT isnt(obj_description('userseg_sample_users(bigint, bigint)'::regprocedure, 'pg_proc'),
            NULL, 'userseg_sample_users has a comment');
SELECT isnt(obj_description('userseg_sample_users_support(internal)'::regprocedure, 'pg_proc'),
            NULL, 'userseg_sample_users_support has a comment');

SELECT throws_ok('SELECT * FROM userseg_sample_users(0)', '22023', NULL, 'n = 0 is 22023');
SELECT throws_ok('SELECT * FROM userseg_sample_users(-1, 5)', '22023', NULL, 'n < 0 is 22023');
SELECT throws_ok('SELECT * FROM userseg_sample_users(100000001, 5)', '22023', NULL,
                 'n over 100,000,000 is 22023');
SELECT results_eq('SELECT * FROM userseg_sample_users(500, 9)',
                  'SELECT * FROM userseg_sample_users(1000, 9) WHERE user_id <= 500',
                  'the first rows do not depend on n');

SELECT * FROM finish();
ROLLBACK;
