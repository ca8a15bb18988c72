-- Contract of spectral clustering: signatures, labels, SQLSTATEs
BEGIN;
SELECT plan(30);

SELECT has_function('userseg_spectral',
    ARRAY['double precision[]', 'integer', 'text', 'double precision', 'integer', 'integer',
          'bigint', 'text'],
    'the window form exists');
SELECT has_function('userseg_spectral',
    ARRAY['regclass', 'text[]', 'integer', 'name', 'text', 'double precision', 'integer',
          'integer', 'bigint', 'text', 'text', 'name', 'integer', 'boolean'],
    'the table form exists');
SELECT has_function('userseg_spectral_embedding',
    ARRAY['double precision[]', 'integer', 'text', 'double precision', 'integer', 'bigint', 'text'],
    'the embedding exists');
SELECT is_window('userseg_spectral',
    ARRAY['double precision[]', 'integer', 'text', 'double precision', 'integer', 'integer',
          'bigint', 'text'],
    'the window form is a window function');
SELECT is_window('userseg_spectral_embedding',
    ARRAY['double precision[]', 'integer', 'text', 'double precision', 'integer', 'bigint', 'text'],
    'the embedding is a window function');
SELECT is((SELECT provolatile::text || proparallel::text FROM pg_proc
           WHERE oid = 'userseg_spectral(float8[], int, text, float8, int, int, bigint, text)'::regprocedure),
          'is', 'the window form is IMMUTABLE PARALLEL SAFE, as the K-Means window form');
SELECT is((SELECT provolatile::text || proparallel::text FROM pg_proc
           WHERE oid = 'userseg_spectral_embedding(float8[], int, text, float8, int, bigint, text)'::regprocedure),
          'is', 'the embedding is IMMUTABLE PARALLEL SAFE');
SELECT is((SELECT provolatile::text || proparallel::text FROM pg_proc
           WHERE oid = 'userseg_spectral(regclass, text[], int, name, text, float8, int, int, bigint, text, text, name, int, boolean)'::regprocedure),
          'vu', 'the table form writes labels: VOLATILE PARALLEL UNSAFE');
SELECT isnt_strict('userseg_spectral',
    ARRAY['regclass', 'text[]', 'integer', 'name', 'text', 'double precision', 'integer',
          'integer', 'bigint', 'text', 'text', 'name', 'integer', 'boolean'],
    'a NULL argument of the table form is an error, not NULL');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
    WHERE p.proname IN ('userseg_spectral', 'userseg_spectral_embedding')
      AND obj_description(p.oid, 'pg_proc') IS NULL$$,
    'every spectral clustering function has a comment');
SELECT is_empty($$SELECT 1 FROM pg_proc WHERE proname = 'userseg_spectral_predict'$$,
    'no predict, as in scikit-learn');

-- two groups of 20 and 10 rows, 10 apart
CREATE TABLE spectral_tap AS
SELECT g AS id, CASE WHEN g <= 20 THEN g * 0.05 ELSE 10 + g * 0.05 END AS x
FROM generate_series(1, 30) g;

SELECT results_eq(
    $$SELECT l, count(*), min(id), max(id)
      FROM (SELECT id, userseg_spectral(ARRAY[x], 2, 'rbf', 0.1, scale => 'none') OVER (ORDER BY id) l
            FROM spectral_tap) s GROUP BY l ORDER BY l$$,
    $$VALUES (0, 20::bigint, 1, 20), (1, 10::bigint, 21, 30)$$,
    'rbf: the two groups, numbered by decreasing size');
SELECT results_eq(
    $$SELECT l, count(*)
      FROM (SELECT userseg_spectral(ARRAY[x], 2, 'nearest_neighbors', n_neighbors => 5) OVER () l
            FROM spectral_tap) s GROUP BY l ORDER BY l$$,
    $$VALUES (0, 20::bigint), (1, 10::bigint)$$,
    'nearest_neighbors: the two groups');
SELECT results_eq(
    $$SELECT clusters_found, rows_used FROM userseg_spectral('spectral_tap', ARRAY['x'], 2,
          'seg', gamma => 0.1, scale => 'none')$$,
    $$VALUES (2, 30::bigint)$$, 'the table form''s summary');
SELECT results_eq(
    $$SELECT seg, count(*) FROM spectral_tap GROUP BY seg ORDER BY seg$$,
    $$VALUES (0, 20::bigint), (1, 10::bigint)$$, 'the table form writes the label column');
SELECT results_eq(
    $$SELECT algorithm, n_clusters FROM userseg_compare('spectral_tap', ARRAY['x'], 2,
          scale => 'none', params => '{"spectral": {"gamma": 0.1}}')
      WHERE algorithm = 'spectral'$$,
    $$VALUES ('spectral'::text, 2)$$, 'the comparison''s spectral row takes its params');
SELECT is((SELECT count(*) FROM (SELECT userseg_spectral_embedding(ARRAY[x], 3) OVER () e
                                 FROM spectral_tap) s WHERE array_length(e, 1) = 3),
          30::bigint, 'the embedding gives n_components coordinates per row');

-- errors
SELECT throws_ok($$SELECT userseg_spectral(ARRAY[x], 2, 'cosine') OVER () FROM spectral_tap$$,
                 '22023', 'unknown affinity "cosine"', 'window form: unknown affinity');
SELECT throws_ok($$SELECT userseg_spectral(ARRAY[x], 2, 'rbf', 0) OVER () FROM spectral_tap$$,
                 '22023', 'gamma must be a finite number above 0', 'window form: gamma 0');
SELECT throws_ok($$SELECT userseg_spectral(ARRAY[x], 2, 'nearest_neighbors', n_neighbors => 0) OVER () FROM spectral_tap$$,
                 '22023', 'n_neighbors must be at least 1', 'window form: n_neighbors 0');
SELECT throws_ok($$SELECT userseg_spectral(ARRAY[x], 2, 'nearest_neighbors', n_neighbors => 30) OVER () FROM spectral_tap$$,
                 '22023', 'n_neighbors must be less than the number of rows', 'window form: n_neighbors = rows');
SELECT throws_ok($$SELECT userseg_spectral(ARRAY[x], 0) OVER () FROM spectral_tap$$,
                 '22023', 'n_clusters must be at least 1', 'window form: n_clusters 0');
SELECT throws_ok($$SELECT * FROM userseg_spectral('spectral_tap', ARRAY['x'], 31)$$,
                 '22023', 'n_clusters is greater than the number of rows', 'table form: n_clusters above the rows');
SELECT throws_ok($$SELECT * FROM userseg_spectral('spectral_tap', ARRAY['x'], 2, gamma => NULL)$$,
                 '22004', 'gamma must not be NULL', 'table form: NULL gamma');
SELECT throws_ok($$SELECT * FROM userseg_compare('spectral_tap', ARRAY['x'], 2,
                     params => '{"spectral": {"affinity": "precomputed"}}')$$,
                 '22023', 'unknown affinity "precomputed"', 'comparison: unknown affinity');
SET LOCAL userseg.memory_limit = '8MB';
CREATE TABLE spectral_tap_big AS SELECT g::float8 AS x FROM generate_series(1, 3000) g;
SELECT throws_like($$SELECT * FROM userseg_spectral('spectral_tap_big', ARRAY['x'], 2)$$,
                   '%dense rbf affinity of 3000 x 3000 rows% needs % MB of memory, more than userseg.memory_limit (8192 kB)',
                   'over the budget: the message names both sizes');
SELECT throws_ok($$SELECT max(l) FROM (SELECT userseg_spectral(ARRAY[x], 2) OVER () l FROM spectral_tap_big) s$$,
                 '54000', NULL, 'over the budget in the window form: 54000');
-- in a comparison, spectral clustering over the budget is skipped, not the comparison
SELECT results_eq(
    $$SELECT algorithm, n_clusters IS NULL, silhouette IS NULL,
             note LIKE 'skipped on 3000 rows: spectral clustering''s dense rbf affinity of 3000 x 3000 rows% needs % MB of memory, more than userseg.memory_limit (8192 kB).%Compare a sample of the rows%'
      FROM userseg_compare('spectral_tap_big', ARRAY['x'], 2, params => '{"agglomerative": {"linkage": "single"}}')
      WHERE algorithm IN ('kmeans', 'spectral') ORDER BY algorithm$$,
    $$VALUES ('kmeans'::text, false, false, false), ('spectral', true, true, true)$$,
    'comparison over the budget: the spectral row is skipped with a note naming both sizes, K-Means is scored');
SELECT lives_ok($$SELECT * FROM userseg_compare('spectral_tap_big', ARRAY['x'], 2,
                     params => '{"spectral": {"affinity": "nearest_neighbors"}}')$$,
                'comparison over the budget with the k-NN affinity: runs');
SELECT throws_ok($$SELECT * FROM userseg_compare('spectral_tap_big', ARRAY['x'], 2,
                     params => '{"spectral": {"gamma": 0}}')$$,
                 '22023', 'gamma must be a finite number above 0',
                 'comparison over the budget: a bad parameter is still 22023, not a skip');

SELECT * FROM finish();
ROLLBACK;
