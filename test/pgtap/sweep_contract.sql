-- Contract of choosing k and comparing algorithms: signatures, labels, SQLSTATEs
BEGIN;
SELECT plan(33);

SELECT has_function('userseg_kmeans_sweep',
    ARRAY['regclass', 'text[]', 'integer', 'integer', 'integer', 'integer', 'integer',
          'double precision', 'text', 'text', 'integer', 'integer', 'boolean'],
    'userseg_kmeans_sweep exists');
SELECT has_function('userseg_compare',
    ARRAY['regclass', 'text[]', 'integer', 'integer', 'text', 'text', 'integer', 'jsonb',
          'integer', 'boolean'],
    'userseg_compare exists');
SELECT volatility_is('userseg_kmeans_sweep',
    ARRAY['regclass', 'text[]', 'integer', 'integer', 'integer', 'integer', 'integer',
          'double precision', 'text', 'text', 'integer', 'integer', 'boolean'],
    'volatile', 'the sweep reads a table: volatile');
SELECT volatility_is('userseg_compare',
    ARRAY['regclass', 'text[]', 'integer', 'integer', 'text', 'text', 'integer', 'jsonb',
          'integer', 'boolean'],
    'volatile', 'the comparison reads a table: volatile');
SELECT isnt_strict('userseg_kmeans_sweep',
    ARRAY['regclass', 'text[]', 'integer', 'integer', 'integer', 'integer', 'integer',
          'double precision', 'text', 'text', 'integer', 'integer', 'boolean'],
    'a NULL argument of the sweep is an error, not an empty result');
SELECT isnt_strict('userseg_compare',
    ARRAY['regclass', 'text[]', 'integer', 'integer', 'text', 'text', 'integer', 'jsonb',
          'integer', 'boolean'],
    'a NULL argument of the comparison is an error, not an empty result');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'userseg_kmeans_sweep(regclass, text[], int, int, int, int, int, float8, text, text, int, int, boolean)'::regprocedure),
          'r'::"char", 'the sweep is PARALLEL RESTRICTED (reads through SPI in the leader)');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'userseg_compare(regclass, text[], int, int, text, text, int, jsonb, int, boolean)'::regprocedure),
          'r'::"char", 'the comparison is PARALLEL RESTRICTED (reads through SPI in the leader)');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
    WHERE p.proname IN ('userseg_kmeans_sweep', 'userseg_compare')
      AND obj_description(p.oid, 'pg_proc') IS NULL$$,
    'the sweep and the comparison have comments');
SELECT is((SELECT array_agg(a ORDER BY n) FROM pg_proc p,
                  unnest(p.proargnames, p.proargmodes) WITH ORDINALITY u(a, m, n)
           WHERE p.oid = 'userseg_kmeans_sweep(regclass, text[], int, int, int, int, int, float8, text, text, int, int, boolean)'::regprocedure
             AND m = 't'),
          ARRAY['k', 'inertia', 'silhouette', 'calinski_harabasz', 'davies_bouldin', 'best', 'elbow']::text[],
          'the sweep''s columns');
SELECT is((SELECT array_agg(a ORDER BY n) FROM pg_proc p,
                  unnest(p.proargnames, p.proargmodes) WITH ORDINALITY u(a, m, n)
           WHERE p.oid = 'userseg_compare(regclass, text[], int, int, text, text, int, jsonb, int, boolean)'::regprocedure
             AND m = 't'),
          ARRAY['algorithm', 'n_clusters', 'noise', 'silhouette', 'calinski_harabasz',
                'davies_bouldin', 'inertia', 'elapsed_ms', 'note']::text[],
          'the comparison''s columns');

-- three separated groups of 30 rows, around (0, 0), (20, 0) and (10, 17)
CREATE TABLE sweep_tap AS
SELECT g AS id, (ARRAY[0, 20, 10])[g % 3 + 1] + sin(g) AS x,
       (ARRAY[0, 0, 17])[g % 3 + 1] + cos(g * 1.3) AS y
FROM generate_series(1, 90) g;

SELECT results_eq(
    $$SELECT k FROM userseg_kmeans_sweep('sweep_tap', ARRAY['x', 'y'], 2, 6, seed => 4) WHERE best$$,
    ARRAY[3], 'the best k of three separated groups is 3');
SELECT results_eq(
    $$SELECT k FROM userseg_kmeans_sweep('sweep_tap', ARRAY['x', 'y'], 1, 6, seed => 4) WHERE elbow$$,
    ARRAY[3], 'the elbow of three separated groups is at 3');
SELECT is((SELECT count(*) FROM userseg_kmeans_sweep('sweep_tap', ARRAY['x', 'y'], 2, 6)),
          5::bigint, 'one row per k');
SELECT is((SELECT silhouette IS NULL AND calinski_harabasz IS NULL AND davies_bouldin IS NULL
                  AND inertia > 0
           FROM userseg_kmeans_sweep('sweep_tap', ARRAY['x', 'y'], 1, 2) WHERE k = 1),
          true, 'k = 1 has an inertia and no other score');
SELECT results_eq(
    $$SELECT algorithm, n_clusters, noise FROM userseg_compare('sweep_tap', ARRAY['x', 'y'], 3)
      WHERE algorithm = 'kmeans'$$,
    $$VALUES ('kmeans'::text, 3, 0::bigint)$$, 'the comparison has a K-Means row');
SELECT is((SELECT note LIKE '%one cluster: no scores' AND silhouette IS NULL
           FROM userseg_compare('sweep_tap', ARRAY['x', 'y'], 1) WHERE algorithm = 'kmeans'),
          true, 'a single cluster: the note says so and the scores are NULL');

-- errors
SELECT throws_ok($$SELECT * FROM userseg_kmeans_sweep('sweep_tap', ARRAY['x', 'y'], 0, 3)$$,
                 '22023', 'k_min must be at least 1', 'sweep: k_min < 1');
SELECT throws_ok($$SELECT * FROM userseg_kmeans_sweep('sweep_tap', ARRAY['x', 'y'], 4, 3)$$,
                 '22023', 'k_min must not be greater than k_max', 'sweep: k_min > k_max');
SELECT throws_ok($$SELECT * FROM userseg_kmeans_sweep('sweep_tap', ARRAY['x', 'y'], 2, 91)$$,
                 '22023', 'k_max is greater than the number of rows', 'sweep: k_max > rows');
SELECT throws_ok($$SELECT * FROM userseg_kmeans_sweep('sweep_tap', ARRAY['x', 'y'], 2, 3, n_init => 0)$$,
                 '22023', 'n_init must be at least 1', 'sweep: n_init < 1');
SELECT throws_ok($$SELECT * FROM userseg_kmeans_sweep('sweep_tap', ARRAY['x', 'y'], 2, 3, tol => 'NaN')$$,
                 '22023', 'tol must be a finite number of at least 0', 'sweep: tol NaN');
SELECT throws_ok($$SELECT * FROM userseg_kmeans_sweep('sweep_tap', ARRAY['x', 'y'], 2, 3, sample_size => 1)$$,
                 '22023', 'sample_size must be at least 2', 'sweep: sample_size < 2');
SELECT throws_ok($$SELECT * FROM userseg_kmeans_sweep('sweep_tap', ARRAY['x', 'y'], 2, 3, scale => 'max')$$,
                 '22023', 'unknown scaling method "max"', 'sweep: unknown scale');
SELECT throws_ok($$SELECT * FROM userseg_kmeans_sweep(NULL, ARRAY['x', 'y'], 2, 3)$$,
                 '22004', 'source must not be NULL', 'sweep: NULL source');
SELECT throws_ok($$SELECT * FROM userseg_kmeans_sweep('sweep_tap', ARRAY['x', 'q'], 2, 3)$$,
                 '42703', 'column "q" of relation "sweep_tap" does not exist', 'sweep: unknown column');
SELECT throws_ok($$SELECT * FROM userseg_compare('sweep_tap', ARRAY['x', 'y'], 0)$$,
                 '22023', 'k must be at least 1', 'compare: k < 1');
SELECT throws_ok($$SELECT * FROM userseg_compare('sweep_tap', ARRAY['x', 'y'], 91)$$,
                 '22023', 'k is greater than the number of rows', 'compare: k > rows');
SELECT throws_ok($$SELECT * FROM userseg_compare('sweep_tap', ARRAY['x', 'y'], 2, nulls => 'zero')$$,
                 '22023', 'unknown NULL policy "zero"', 'compare: unknown NULL policy');
SELECT throws_ok($$SELECT * FROM userseg_compare('sweep_tap', NULL, 2)$$,
                 '22004', 'features must not be NULL', 'compare: NULL features');

CREATE TABLE sweep_tap_empty (x float8);
SELECT throws_ok($$SELECT * FROM userseg_kmeans_sweep('sweep_tap_empty', ARRAY['x'], 2, 3)$$,
                 '22000', 'no rows to cluster in public.sweep_tap_empty', 'sweep: empty table');

CREATE ROLE sweep_tap_nobody;
CREATE FUNCTION pg_temp.as_nobody(q text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    SET LOCAL ROLE sweep_tap_nobody;
    EXECUTE q;
END $$;
SELECT throws_ok($$SELECT pg_temp.as_nobody('SELECT * FROM userseg_kmeans_sweep(''sweep_tap'', ARRAY[''x''], 2, 3)')$$,
                 '42501', NULL, 'sweep: a table the caller may not read is 42501');
SELECT throws_ok($$SELECT pg_temp.as_nobody('SELECT * FROM userseg_compare(''sweep_tap'', ARRAY[''x''], 2)')$$,
                 '42501', NULL, 'compare: a table the caller may not read is 42501');

SELECT * FROM finish();
ROLLBACK;
