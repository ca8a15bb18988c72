-- Contract of the K-Means functions: signatures, labels, SQLSTATEs
BEGIN;
SELECT plan(24);

SELECT has_function('userseg_kmeans',
    ARRAY['double precision[]', 'integer', 'integer', 'integer', 'integer', 'double precision', 'text'],
    'window form with k exists');
SELECT has_function('userseg_kmeans',
    ARRAY['double precision[]', 'double precision[]', 'integer', 'double precision', 'text'],
    'window form with initial centers exists');
SELECT is_window('userseg_kmeans',
    ARRAY['double precision[]', 'integer', 'integer', 'integer', 'integer', 'double precision', 'text'],
    'userseg_kmeans(features, k, ...) is a window function');
SELECT is_window('userseg_kmeans',
    ARRAY['double precision[]', 'double precision[]', 'integer', 'double precision', 'text'],
    'userseg_kmeans(features, init, ...) is a window function');
SELECT function_returns('userseg_kmeans',
    ARRAY['double precision[]', 'integer', 'integer', 'integer', 'integer', 'double precision', 'text'],
    'integer', 'the label is an integer');
SELECT volatility_is('userseg_kmeans',
    ARRAY['double precision[]', 'integer', 'integer', 'integer', 'integer', 'double precision', 'text'],
    'immutable', 'labels depend only on the partition and the arguments');
SELECT isnt_strict('userseg_kmeans',
    ARRAY['double precision[]', 'integer', 'integer', 'integer', 'integer', 'double precision', 'text'],
    'NULL features give a NULL label, not a skipped call');

-- every K-Means function has a comment and a parallel label of PARALLEL SAFE
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
    WHERE p.proname LIKE 'userseg\_kmeans%' AND (obj_description(p.oid, 'pg_proc') IS NULL
          OR p.proparallel <> 's')$$,
    'every K-Means function has a comment and is PARALLEL SAFE');

CREATE TEMP TABLE kc AS
SELECT g AS id, ARRAY[(g % 2) * 10 + sin(g), cos(g)]::float8[] AS f FROM generate_series(1, 40) g;

SELECT results_eq(
    $$SELECT count(DISTINCT l)::int FROM (SELECT userseg_kmeans(f, 2, 3) OVER () AS l FROM kc) s$$,
    ARRAY[2], 'two separated groups give two labels');
SELECT results_eq(
    $$SELECT l FROM (SELECT id, userseg_kmeans(f, 2, 9) OVER (ORDER BY id) AS l FROM kc) s ORDER BY id$$,
    $$SELECT l FROM (SELECT id, userseg_kmeans(f, 2, 9) OVER (ORDER BY id) AS l FROM kc) s ORDER BY id$$,
    'same seed, same labels');
SELECT is((SELECT count(*) FROM (SELECT userseg_kmeans(CASE WHEN id > 1 THEN f END, 2) OVER () AS l
           FROM kc) s WHERE l IS NULL), 1::bigint, 'a NULL vector gets a NULL label');
SELECT results_eq(
    $$SELECT DISTINCT (id % 2 = 1) = (l = 0) FROM (SELECT id, userseg_kmeans(f,
        ARRAY[[10, 0], [0, 0]]::float8[], scale => 'none') OVER () AS l FROM kc) s$$,
    ARRAY[true], 'initial centers: the nearest group takes each center''s number');
SELECT lives_ok($$SELECT userseg_kmeans(f, 3, 0, 1, 1) OVER () FROM kc$$,
    'max_iter reached is not an error');

-- errors
SELECT throws_ok($$SELECT userseg_kmeans(f, 0) OVER () FROM kc$$, '22023',
    'k must be at least 1', 'k < 1');
SELECT throws_ok($$SELECT userseg_kmeans(f, 41) OVER () FROM kc$$, '22023',
    'k is greater than the number of rows', 'k > rows');
SELECT throws_ok($$SELECT userseg_kmeans(f, 2, 0, 0) OVER () FROM kc$$, '22023',
    'n_init must be at least 1', 'n_init < 1');
SELECT throws_ok($$SELECT userseg_kmeans(f, 2, 0, 10, 0) OVER () FROM kc$$, '22023',
    'max_iter must be at least 1', 'max_iter < 1');
SELECT throws_ok($$SELECT userseg_kmeans(f, 2, 0, 10, 300, -0.5) OVER () FROM kc$$, '22023',
    'tol must be a finite number of at least 0', 'tol < 0');
SELECT throws_ok($$SELECT userseg_kmeans(f, 2, scale => 'l2') OVER () FROM kc$$, '22023',
    'unknown scaling method "l2"', 'unknown scale');
SELECT throws_ok($$SELECT userseg_kmeans(f, NULL::int) OVER () FROM kc$$, '22004',
    'k must not be NULL', 'NULL k');
SELECT throws_ok($$SELECT userseg_kmeans(f, ARRAY[[1, 2, 3]]::float8[]) OVER () FROM kc$$, '22023',
    'init has centers of 3 elements where 2 were expected', 'init of the wrong width');
SELECT throws_ok($$SELECT userseg_kmeans(f, ARRAY[[1, NULL]]::float8[]) OVER () FROM kc$$, '22004',
    'init must not contain NULL elements', 'NULL in init');
SELECT throws_ok($$SELECT userseg_kmeans(CASE WHEN id = 5 THEN ARRAY[1] ELSE f END, 2) OVER () FROM kc$$,
    '22000', NULL, 'ragged features');
SELECT throws_ok($$SELECT userseg_kmeans(CASE WHEN id = 5 THEN ARRAY[1, 'Infinity'::float8] ELSE f END, 2)
    OVER () FROM kc$$, '22000', NULL, 'Infinity in features');

SELECT * FROM finish();
ROLLBACK;
