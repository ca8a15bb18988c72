-- Contract of DBSCAN: signatures, labels, SQLSTATEs
BEGIN;
SELECT plan(32);

SELECT has_function('userseg_dbscan', ARRAY['double precision[]', 'double precision', 'integer', 'text'],
    'the window form exists');
SELECT has_function('userseg_dbscan',
    ARRAY['regclass', 'text[]', 'double precision', 'integer', 'name', 'text', 'text', 'name',
          'integer', 'boolean', 'text', 'name'],
    'the table form exists');
SELECT has_function('userseg_dbscan_eps',
    ARRAY['regclass', 'text[]', 'integer', 'text', 'text', 'integer', 'boolean'],
    'the eps helper exists');
SELECT is_window('userseg_dbscan', ARRAY['double precision[]', 'double precision', 'integer', 'text'],
    'the window form is a window function');
SELECT volatility_is('userseg_dbscan', ARRAY['double precision[]', 'double precision', 'integer', 'text'],
    'immutable', 'the window form is immutable, as the K-Means window form');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'userseg_dbscan(float8[], float8, int, text)'::regprocedure),
          's'::"char", 'the window form is PARALLEL SAFE');
SELECT volatility_is('userseg_dbscan',
    ARRAY['regclass', 'text[]', 'double precision', 'integer', 'name', 'text', 'text', 'name',
          'integer', 'boolean', 'text', 'name'],
    'volatile', 'the table form writes labels: volatile');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'userseg_dbscan(regclass, text[], float8, int, name, text, text, name, int, boolean, text, name)'::regprocedure),
          'u'::"char", 'the table form is PARALLEL UNSAFE (it writes the source table)');
SELECT volatility_is('userseg_dbscan_eps',
    ARRAY['regclass', 'text[]', 'integer', 'text', 'text', 'integer', 'boolean'],
    'volatile', 'the eps helper reads a table: volatile');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'userseg_dbscan_eps(regclass, text[], int, text, text, int, boolean)'::regprocedure),
          'r'::"char", 'the eps helper is PARALLEL RESTRICTED (reads through SPI in the leader)');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
    WHERE p.proname IN ('userseg_dbscan', 'userseg_dbscan_eps')
      AND obj_description(p.oid, 'pg_proc') IS NULL$$,
    'every DBSCAN function has a comment');
SELECT isnt_strict('userseg_dbscan',
    ARRAY['regclass', 'text[]', 'double precision', 'integer', 'name', 'text', 'text', 'name',
          'integer', 'boolean', 'text', 'name'],
    'a NULL argument of the table form is an error, not NULL');

-- two groups of 20 rows and a far row
CREATE TABLE dbscan_tap AS
SELECT g AS id, CASE WHEN g <= 20 THEN g * 0.1 WHEN g <= 40 THEN 10 + g * 0.1 ELSE 50 END AS x
FROM generate_series(1, 41) g;

SELECT results_eq(
    $$SELECT l, count(*) FROM (SELECT userseg_dbscan(ARRAY[x], 0.25, 3, 'none') OVER (ORDER BY id) l
                             FROM dbscan_tap) s GROUP BY l ORDER BY l$$,
    $$VALUES (-1, 1::bigint), (0, 20::bigint), (1, 20::bigint)$$,
    'two clusters numbered in row order and one noise row');
SELECT results_eq(
    $$SELECT n_clusters, core_rows, noise FROM userseg_dbscan('dbscan_tap', ARRAY['x'], 0.25, 3,
                                                              scale => 'none')$$,
    $$VALUES (2, 40::bigint, 1::bigint)$$, 'the table form''s summary');
SELECT results_eq(
    $$SELECT algorithm, n_clusters, noise FROM userseg_compare('dbscan_tap', ARRAY['x'], 2,
          scale => 'none', params => '{"dbscan": {"eps": 0.25, "min_samples": 3}}')
      WHERE algorithm = 'dbscan'$$,
    $$VALUES ('dbscan'::text, 2, 1::bigint)$$, 'the comparison''s DBSCAN row takes its params');
SELECT is((SELECT count(*) FROM userseg_dbscan_eps('dbscan_tap', ARRAY['x'], 3)), 9::bigint,
          'the eps helper gives nine quantiles');

-- a model: the nearest core row within eps labels a new row, else -1 (noise)
SELECT results_eq(
    $$SELECT core_rows FROM userseg_dbscan('dbscan_tap', ARRAY['x'], 0.25, 3, scale => 'none',
                                           model => 'dbscan_tap_m')$$,
    $$VALUES (40::bigint)$$, 'the table form saves a model');
SELECT results_eq(
    $$SELECT algorithm, centroids IS NULL, (state->>'n_core')::int FROM userseg_models
      WHERE name = 'dbscan_tap_m'$$,
    $$VALUES ('dbscan'::text, true, 40)$$, 'the model holds its core rows in its state');
SELECT results_eq(
    $$SELECT userseg_predict('dbscan_tap_m', ARRAY[v]) FROM unnest(ARRAY[1.05, 13.0, 2.25, 2.3, 30.0]) v$$,
    $$VALUES (0), (1), (0), (-1), (-1)$$,
    'predict: the label of the nearest core row within eps (inclusive), else -1');
SELECT results_eq(
    $$SELECT userseg_predict('dbscan_tap_m', to_jsonb(t)) FROM dbscan_tap t ORDER BY id$$,
    $$SELECT userseg_dbscan(ARRAY[x], 0.25, 3, 'none') OVER (ORDER BY id) FROM dbscan_tap ORDER BY id$$,
    'predict on the fitted rows gives their labels back');

-- sample weights: a far row weighing min_samples is core alone
ALTER TABLE dbscan_tap ADD COLUMN w float8;
UPDATE dbscan_tap SET w = CASE WHEN id = 41 THEN 3 ELSE 1 END;
SELECT results_eq(
    $$SELECT n_clusters, core_rows, noise FROM userseg_dbscan('dbscan_tap', ARRAY['x'], 0.25, 3,
          scale => 'none', sample_weight => 'w')$$,
    $$VALUES (3, 41::bigint, 0::bigint)$$, 'sample_weight: a heavy row is core alone');
SELECT throws_ok($$SELECT * FROM userseg_dbscan('dbscan_tap', ARRAY['x'], 0.25, 3,
                     sample_weight => 'x')$$,
                 '22023', 'sample_weight column "x" is also a feature', 'sample_weight: a feature');
UPDATE dbscan_tap SET w = NULL WHERE id = 2;
SELECT throws_ok($$SELECT * FROM userseg_dbscan('dbscan_tap', ARRAY['x'], 0.25, 3,
                     sample_weight => 'w', nulls => 'impute')$$,
                 '22004', 'sample_weight column "w" is NULL in 1 rows', 'sample_weight: a NULL weight');
SELECT throws_ok($$SELECT * FROM userseg_dbscan('dbscan_tap', ARRAY['x'], 0.25, 3,
                     model => repeat('m', 64))$$,
                 '22023', 'model name must be 1 to 63 bytes long', 'model: a name too long');

-- errors
SELECT throws_ok($$SELECT userseg_dbscan(ARRAY[x], 0) OVER () FROM dbscan_tap$$,
                 '22023', 'eps must be a finite number above 0', 'window form: eps 0');
SELECT throws_ok($$SELECT userseg_dbscan(ARRAY[x], 'Infinity') OVER () FROM dbscan_tap$$,
                 '22023', 'eps must be a finite number above 0', 'window form: eps Infinity');
SELECT throws_ok($$SELECT userseg_dbscan(ARRAY[x], 0.5, 0) OVER () FROM dbscan_tap$$,
                 '22023', 'min_samples must be at least 1', 'window form: min_samples 0');
SELECT throws_ok($$SELECT * FROM userseg_dbscan('dbscan_tap', ARRAY['x'], -0.5)$$,
                 '22023', 'eps must be a finite number above 0', 'table form: eps < 0');
SELECT throws_ok($$SELECT * FROM userseg_dbscan('dbscan_tap', ARRAY['x'], NULL)$$,
                 '22004', 'eps must not be NULL', 'table form: NULL eps');
SELECT throws_ok($$SELECT * FROM userseg_dbscan_eps('dbscan_tap', ARRAY['x'], 0)$$,
                 '22023', 'min_samples must be at least 1', 'eps helper: min_samples 0');
SELECT throws_ok($$SELECT * FROM userseg_compare('dbscan_tap', ARRAY['x'], 2,
                     params => '{"dbscan": {"min_samples": 0}}')$$,
                 '22023', 'min_samples must be at least 1', 'comparison: min_samples 0');
SET LOCAL userseg.memory_limit = '1MB';
CREATE TABLE dbscan_tap_big AS SELECT g::float8 AS x FROM generate_series(1, 30000) g;
SELECT throws_like($$SELECT * FROM userseg_dbscan('dbscan_tap_big', ARRAY['x'], 0.5)$$,
                   '%needs % kB of memory, more than userseg.memory_limit (1024 kB)',
                   'over the budget: 54000 naming both sizes');

SELECT * FROM finish();
ROLLBACK;
