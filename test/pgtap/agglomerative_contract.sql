-- Contract of agglomerative clustering: signatures, labels, the merge table, SQLSTATEs
BEGIN;
SELECT plan(30);

SELECT has_function('userseg_agglomerative',
    ARRAY['double precision[]', 'integer', 'text', 'double precision', 'text'],
    'the window form exists');
SELECT has_function('userseg_agglomerative',
    ARRAY['regclass', 'text[]', 'integer', 'text', 'double precision', 'name', 'text', 'text',
          'name', 'text', 'integer', 'boolean'],
    'the table form exists');
SELECT has_function('userseg_agglomerative_tree',
    ARRAY['regclass', 'text[]', 'text', 'text', 'text', 'name', 'integer', 'boolean'],
    'the merge table exists');
SELECT is_window('userseg_agglomerative',
    ARRAY['double precision[]', 'integer', 'text', 'double precision', 'text'],
    'the window form is a window function');
SELECT volatility_is('userseg_agglomerative',
    ARRAY['double precision[]', 'integer', 'text', 'double precision', 'text'],
    'immutable', 'the window form is immutable, as the other window forms');
SELECT is((SELECT proparallel FROM pg_proc
           WHERE oid = 'userseg_agglomerative(float8[], int, text, float8, text)'::regprocedure),
          's'::"char", 'the window form is PARALLEL SAFE');
SELECT volatility_is('userseg_agglomerative',
    ARRAY['regclass', 'text[]', 'integer', 'text', 'double precision', 'name', 'text', 'text',
          'name', 'text', 'integer', 'boolean'],
    'volatile', 'the table form writes labels and models: volatile');
SELECT is((SELECT proparallel FROM pg_proc
           WHERE oid = 'userseg_agglomerative(regclass, text[], int, text, float8, name, text, text, name, text, int, boolean)'::regprocedure),
          'u'::"char", 'the table form is PARALLEL UNSAFE (it writes the source table)');
SELECT is((SELECT proparallel FROM pg_proc
           WHERE oid = 'userseg_agglomerative_tree(regclass, text[], text, text, text, name, int, boolean)'::regprocedure),
          'r'::"char", 'the merge table is PARALLEL RESTRICTED (reads through SPI in the leader)');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
    WHERE p.proname IN ('userseg_agglomerative', 'userseg_agglomerative_tree')
      AND obj_description(p.oid, 'pg_proc') IS NULL$$,
    'every agglomerative function has a comment');
SELECT isnt_strict('userseg_agglomerative',
    ARRAY['double precision[]', 'integer', 'text', 'double precision', 'text'],
    'the window form takes NULL n_clusters or distance_threshold');
SELECT isnt_strict('userseg_agglomerative',
    ARRAY['regclass', 'text[]', 'integer', 'text', 'double precision', 'name', 'text', 'text',
          'name', 'text', 'integer', 'boolean'],
    'a NULL argument of the table form is an error or a choice, not NULL');

-- three groups of 10 rows on a line, 100 apart
CREATE TABLE agglo_tap AS
SELECT g AS id, ((g - 1) / 10) * 100 + g * 0.1 AS x FROM generate_series(1, 30) g;

SELECT results_eq(
    $$SELECT l, count(*), min(id) FROM (SELECT id, userseg_agglomerative(ARRAY[x], 3, 'single', NULL, 'none')
                                       OVER (ORDER BY id) l FROM agglo_tap) s GROUP BY l ORDER BY l$$,
    $$VALUES (0, 10::bigint, 21), (1, 10::bigint, 11), (2, 10::bigint, 1)$$,
    'three groups, numbered by _hc_cut (the last merged group first)');
SELECT results_eq(
    $$SELECT n_clusters, rows_used FROM userseg_agglomerative('agglo_tap', ARRAY['x'], NULL, 'average',
                                                             50.0, scale => 'none')$$,
    $$VALUES (3, 30::bigint)$$, 'a distance threshold between the groups leaves three');
SELECT results_eq(
    $$SELECT count(*), max(size), min(distance) >= 0, bool_and(a <> b)
      FROM userseg_agglomerative_tree('agglo_tap', ARRAY['x'], 'complete', 'none')$$,
    $$VALUES (29::bigint, 30::bigint, true, true)$$, 'the merge table has n - 1 merges up to all rows');
SELECT results_eq(
    $$SELECT algorithm, n_clusters FROM userseg_compare('agglo_tap', ARRAY['x'], 3, scale => 'none',
          params => '{"agglomerative": {"linkage": "complete"}}') WHERE algorithm = 'agglomerative'$$,
    $$VALUES ('agglomerative'::text, 3)$$, 'the comparison''s agglomerative row takes its params');

-- errors
SELECT throws_ok($$SELECT userseg_agglomerative(ARRAY[x], 2, 'centroid') OVER () FROM agglo_tap$$,
                 '22023', 'unknown linkage "centroid"', 'window form: unknown linkage');
SELECT throws_ok($$SELECT userseg_agglomerative(ARRAY[x], 0) OVER () FROM agglo_tap$$,
                 '22023', 'n_clusters must be at least 1', 'window form: n_clusters 0');
SELECT throws_ok($$SELECT userseg_agglomerative(ARRAY[x], 31) OVER () FROM agglo_tap$$,
                 '22023', 'n_clusters = 31 is more than the 30 rows', 'window form: n_clusters above the rows');
SELECT throws_ok($$SELECT userseg_agglomerative(ARRAY[x], 2, 'ward', 1.0) OVER () FROM agglo_tap$$,
                 '22023', 'exactly one of n_clusters and distance_threshold must be given',
                 'window form: both n_clusters and distance_threshold');
SELECT throws_ok($$SELECT userseg_agglomerative(ARRAY[x], NULL) OVER () FROM agglo_tap$$,
                 '22023', 'exactly one of n_clusters and distance_threshold must be given',
                 'window form: neither');
SELECT throws_ok($$SELECT userseg_agglomerative(ARRAY[x], NULL, 'ward', -0.5) OVER () FROM agglo_tap$$,
                 '22023', 'distance_threshold must be a number at least 0', 'window form: negative threshold');
SELECT throws_ok($$SELECT userseg_agglomerative(ARRAY[x], 2, NULL) OVER () FROM agglo_tap$$,
                 '22004', 'linkage must not be NULL', 'window form: NULL linkage');
SELECT throws_ok($$SELECT * FROM userseg_agglomerative('agglo_tap', ARRAY['x'], 2, 'median')$$,
                 '22023', 'unknown linkage "median"', 'table form: unknown linkage');
SELECT throws_ok($$SELECT * FROM userseg_agglomerative('agglo_tap', ARRAY['x'], NULL, 'ward', NULL)$$,
                 '22023', 'exactly one of n_clusters and distance_threshold must be given',
                 'table form: neither');
SELECT throws_ok($$SELECT * FROM userseg_agglomerative_tree('agglo_tap', NULL)$$,
                 '22004', NULL, 'merge table: NULL features');
SELECT throws_ok($$SELECT * FROM userseg_compare('agglo_tap', ARRAY['x'], 2,
                     params => '{"agglomerative": {"linkage": "median"}}')$$,
                 '22023', 'unknown linkage "median"', 'comparison: unknown linkage');
SET LOCAL userseg.memory_limit = '1MB';
CREATE TABLE agglo_tap_big AS SELECT g::float8 AS x FROM generate_series(1, 5000) g;
SELECT throws_ok($$SELECT * FROM userseg_agglomerative('agglo_tap_big', ARRAY['x'], 2, 'complete')$$,
                 '54000', NULL, 'complete linkage over the budget: 54000 before the work');
SELECT throws_ok($$SELECT max(l) FROM (SELECT userseg_agglomerative(ARRAY[x], 2, 'average') OVER () AS l
                                       FROM agglo_tap_big) s$$,
                 '54000', NULL, 'average linkage over the budget in the window form: 54000');
SELECT lives_ok($$SELECT * FROM userseg_agglomerative('agglo_tap_big', ARRAY['x'], 2, 'single')$$,
                'single linkage needs no distance matrix: it fits the same budget');

SELECT * FROM finish();
ROLLBACK;
