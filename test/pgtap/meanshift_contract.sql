-- Contract of Mean Shift: signatures, labels, the model, SQLSTATEs
BEGIN;
SELECT plan(26);

SELECT has_function('userseg_meanshift',
    ARRAY['double precision[]', 'double precision', 'boolean', 'integer', 'boolean',
          'double precision', 'integer', 'bigint', 'integer', 'text'],
    'the window form exists');
SELECT has_function('userseg_meanshift',
    ARRAY['regclass', 'text[]', 'double precision', 'boolean', 'integer', 'boolean',
          'double precision', 'integer', 'bigint', 'integer', 'name', 'text', 'text', 'text',
          'name', 'integer', 'boolean'],
    'the table form exists');
SELECT is_window('userseg_meanshift',
    ARRAY['double precision[]', 'double precision', 'boolean', 'integer', 'boolean',
          'double precision', 'integer', 'bigint', 'integer', 'text'],
    'the window form is a window function');
SELECT is((SELECT provolatile::text || proparallel::text FROM pg_proc
           WHERE oid = 'userseg_meanshift(float8[], float8, boolean, int, boolean, float8, int, bigint, int, text)'::regprocedure),
          'is', 'the window form is IMMUTABLE PARALLEL SAFE, as the other window forms');
SELECT is((SELECT provolatile::text || proparallel::text FROM pg_proc
           WHERE oid = 'userseg_meanshift(regclass, text[], float8, boolean, int, boolean, float8, int, bigint, int, name, text, text, text, name, int, boolean)'::regprocedure),
          'vu', 'the table form writes labels and models: VOLATILE PARALLEL UNSAFE');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
    WHERE p.proname = 'userseg_meanshift' AND obj_description(p.oid, 'pg_proc') IS NULL$$,
    'every Mean Shift function has a comment');
SELECT isnt_strict('userseg_meanshift',
    ARRAY['regclass', 'text[]', 'double precision', 'boolean', 'integer', 'boolean',
          'double precision', 'integer', 'bigint', 'integer', 'name', 'text', 'text', 'text',
          'name', 'integer', 'boolean'],
    'NULL bandwidth and n_samples are defaults, other NULL arguments errors: not STRICT');
SELECT has_type('userseg_meanshift_summary', 'the summary type exists');

-- two groups of 20 rows (spacing 0.1) and a far row
CREATE TABLE meanshift_tap AS
SELECT g AS id, CASE WHEN g <= 20 THEN g * 0.1 WHEN g <= 40 THEN 10 + g * 0.1 ELSE 50 END AS x
FROM generate_series(1, 41) g;

SELECT results_eq(
    $$SELECT l, count(*) FROM (SELECT userseg_meanshift(ARRAY[x], 3, scale => 'none') OVER () l
                             FROM meanshift_tap) s GROUP BY l ORDER BY l$$,
    $$VALUES (0, 20::bigint), (1, 20::bigint), (2, 1::bigint)$$,
    'three centres, numbered by their rows within the bandwidth');
SELECT results_eq(
    $$SELECT l, count(*) FROM (SELECT userseg_meanshift(ARRAY[x], 3, true, 2, false,
                                                        scale => 'none') OVER () l
                             FROM meanshift_tap) s GROUP BY l ORDER BY l$$,
    $$VALUES (-1, 1::bigint), (0, 20::bigint), (1, 20::bigint)$$,
    'bin seeding with min_bin_freq 2 and cluster_all false leaves the far row out (-1)');
SELECT results_eq(
    $$SELECT n_clusters, rows_used, seeds, unlabelled, bandwidth_estimated
      FROM userseg_meanshift('meanshift_tap', ARRAY['x'], 3, model => 'meanshift_tap_model',
                             scale => 'none')$$,
    $$VALUES (3, 41::bigint, 41::bigint, 0::bigint, false)$$, 'the table form''s summary');
SELECT is((SELECT algorithm || ' ' || cardinality(sizes) FROM userseg_models
           WHERE name = 'meanshift_tap_model'), 'meanshift 3', 'the model keeps the centres');
SELECT is(userseg_predict('meanshift_tap_model', ARRAY[48]::float8[]), 2,
          'predict: the nearest centre');
SELECT ok((SELECT bandwidth_estimated AND bandwidth > 0
           FROM userseg_meanshift('meanshift_tap', ARRAY['x'], scale => 'none')),
          'a NULL bandwidth is estimated');
SELECT results_eq(
    $$SELECT algorithm, n_clusters FROM userseg_compare('meanshift_tap', ARRAY['x'], 2,
          scale => 'none', params => '{"meanshift": {"bandwidth": 3}}')
      WHERE algorithm = 'meanshift'$$,
    $$VALUES ('meanshift'::text, 3)$$, 'the comparison''s Mean Shift row takes its params');

-- errors
SELECT throws_ok($$SELECT userseg_meanshift(ARRAY[x], 0) OVER () FROM meanshift_tap$$,
                 '22023', 'bandwidth must be a finite number above 0', 'window form: bandwidth 0');
SELECT throws_ok($$SELECT userseg_meanshift(ARRAY[x], 'NaN') OVER () FROM meanshift_tap$$,
                 '22023', 'bandwidth must be a finite number above 0', 'window form: bandwidth NaN');
SELECT throws_ok($$SELECT userseg_meanshift(ARRAY[x], quantile => 0) OVER () FROM meanshift_tap$$,
                 '22023', 'quantile must be above 0 and at most 1', 'window form: quantile 0');
SELECT throws_ok($$SELECT userseg_meanshift(ARRAY[x], min_bin_freq => 0) OVER () FROM meanshift_tap$$,
                 '22023', 'min_bin_freq must be at least 1', 'window form: min_bin_freq 0');
SELECT throws_ok($$SELECT * FROM userseg_meanshift('meanshift_tap', ARRAY['x'], max_iter => 0)$$,
                 '22023', 'max_iter must be at least 1', 'table form: max_iter 0');
SELECT throws_ok($$SELECT * FROM userseg_meanshift('meanshift_tap', ARRAY['x'], n_samples => 0)$$,
                 '22023', 'n_samples must be at least 1', 'table form: n_samples 0');
SELECT throws_ok($$SELECT * FROM userseg_meanshift('meanshift_tap', ARRAY['x'], quantile => NULL)$$,
                 '22004', 'quantile must not be NULL', 'table form: NULL quantile');
SELECT throws_ok($$SELECT * FROM userseg_meanshift('meanshift_tap', ARRAY['x'], 0.01,
                                                   bin_seeding => true, min_bin_freq => 5,
                                                   scale => 'none')$$,
                 '22023', 'no row is within bandwidth = 0.01 of any seed', 'no seed with a row within the bandwidth');
SELECT throws_ok($$SELECT * FROM userseg_compare('meanshift_tap', ARRAY['x'], 2,
                     params => '{"meanshift": {"quantile": 2}}')$$,
                 '22023', 'quantile must be above 0 and at most 1', 'comparison: quantile 2');
SET LOCAL userseg.memory_limit = '1MB';
CREATE TABLE meanshift_tap_big AS SELECT g::float8 AS x FROM generate_series(1, 30000) g;
SELECT throws_like($$SELECT * FROM userseg_meanshift('meanshift_tap_big', ARRAY['x'], 1)$$,
                   '%needs % kB of memory, more than userseg.memory_limit (1024 kB)',
                   'over the memory budget: both sizes named');
SELECT throws_ok($$SELECT * FROM userseg_meanshift('meanshift_tap_big', ARRAY['x'], 1)$$,
                 '54000', NULL, 'over the memory budget: 54000');

SELECT * FROM finish();
ROLLBACK;
