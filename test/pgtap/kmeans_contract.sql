-- Contract of the K-Means functions: signatures, labels, SQLSTATEs
BEGIN;
SELECT plan(105);

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

-- the window forms are PARALLEL SAFE; the table form writes: PARALLEL UNSAFE
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
    WHERE p.proname = 'userseg_kmeans' AND p.prokind = 'w' AND p.proparallel <> 's'$$,
    'the window forms of K-Means are PARALLEL SAFE');

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

-- table form
SELECT has_function('userseg_kmeans',
    ARRAY['regclass', 'text[]', 'integer', 'name', 'text', 'text', 'integer', 'integer', 'integer',
          'double precision', 'double precision[]', 'text', 'name', 'integer', 'boolean', 'text', 'integer'], 'table form exists');
SELECT volatility_is('userseg_kmeans',
    ARRAY['regclass', 'text[]', 'integer', 'name', 'text', 'text', 'integer', 'integer', 'integer',
          'double precision', 'double precision[]', 'text', 'name', 'integer', 'boolean', 'text', 'integer'], 'volatile', 'the table form writes');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'userseg_kmeans(regclass, text[], int, name, text, text, int, int, int, float8, float8[], text, name, int, boolean, text, int)'::regprocedure),
    'u', 'the table form is PARALLEL UNSAFE');
SELECT volatility_is('userseg_predict', ARRAY['text', 'double precision[]'], 'stable',
    'userseg_predict reads the models table');
SELECT has_table('userseg_models', 'the models table exists');
SELECT ok((SELECT 'userseg_models'::regclass = ANY (extconfig) FROM pg_extension WHERE extname = 'userseg'),
    'the models table is kept by pg_dump');

CREATE TEMP TABLE ku (id int, a float8, b float8);
INSERT INTO ku SELECT g, (g % 3) * 10 + sin(g), (g % 3) * 5 + cos(g) FROM generate_series(1, 90) g;
SELECT results_eq($$SELECT model, k, rows_used, rows_skipped, silhouette_sampled
    FROM userseg_kmeans('ku', ARRAY['a', 'b'], 3, label_column => 'seg', model => 'kc_m', seed => 5)$$,
    $$VALUES ('kc_m'::text, 3, 90::bigint, 0::bigint, false)$$, 'summary row');
SELECT is((SELECT count(DISTINCT (id % 3, seg)) FROM ku), 3::bigint,
    'labels written: one label per group');
SELECT is((SELECT count(*) FROM ku WHERE seg = userseg_predict('kc_m', ARRAY[a, b])), 90::bigint,
    'predict gives each row its own label');
-- grow the cluster numbered 2 to the largest: by size alone it would become number 0
CREATE TEMP TABLE ku_before AS SELECT id, seg FROM ku;
INSERT INTO ku SELECT 1000 + id, a + 0.01, b - 0.01 FROM ku WHERE seg = 2;
INSERT INTO ku SELECT 2000 + id, a - 0.01, b + 0.01 FROM ku WHERE seg = 2 AND id < 1000;
SELECT lives_ok($$SELECT userseg_kmeans('ku', ARRAY['a', 'b'], 3, label_column => 'seg',
    model => 'kc_m', seed => 77)$$, 'refit under the same name');
SELECT is((SELECT count(*) FROM ku JOIN ku_before USING (id) WHERE ku.seg <> ku_before.seg), 0::bigint,
    'refit keeps each cluster''s number although sizes changed');
SELECT is((SELECT DISTINCT seg FROM ku WHERE id > 1000), 2, 'the grown cluster keeps number 2');
SELECT lives_ok($$SELECT userseg_kmeans('ku', ARRAY['a', 'b'], 3, label_column => 'seg_free', seed => 77)$$,
    'a fit without a model');
SELECT is((SELECT DISTINCT seg_free FROM ku WHERE id > 1000), 0,
    'without the model the grown cluster is number 0');

-- errors leave the table unchanged
CREATE TEMP TABLE ku_snap AS SELECT id, seg FROM ku;
SELECT throws_ok($$SELECT userseg_kmeans('ku', ARRAY['a', 'b'], 0, label_column => 'seg')$$,
    '22023', 'k must be at least 1', 'table form: k < 1');
SELECT throws_ok($$SELECT userseg_kmeans('ku', ARRAY['a', 'b'], 1000, label_column => 'seg')$$,
    '22023', 'k is greater than the number of rows', 'table form: k > rows');
SELECT throws_ok($$SELECT userseg_kmeans('ku', ARRAY['a', 'b'], 3, n_init => 0)$$,
    '22023', 'n_init must be at least 1', 'table form: n_init < 1');
SELECT throws_ok($$SELECT userseg_kmeans('ku', ARRAY['a', 'b'], 3, max_iter => 0)$$,
    '22023', 'max_iter must be at least 1', 'table form: max_iter < 1');
SELECT throws_ok($$SELECT userseg_kmeans('ku', ARRAY['a', 'b'], 3, tol => -1)$$,
    '22023', 'tol must be a finite number of at least 0', 'table form: tol < 0');
SELECT throws_ok($$SELECT userseg_kmeans('ku', ARRAY['a', 'b'], 3, scale => 'x')$$,
    '22023', 'unknown scaling method "x"', 'table form: unknown scale');
SELECT throws_ok($$SELECT userseg_kmeans('ku', ARRAY['a', 'b'], 3, init => ARRAY[[1, 2]]::float8[])$$,
    '22023', 'init must be a 3 x 2 array', 'table form: init of the wrong shape');
ALTER TABLE ku ADD COLUMN tlab text;
SELECT throws_ok($$SELECT userseg_kmeans('ku', ARRAY['a', 'b'], 3, label_column => 'tlab')$$,
    '42804', NULL, 'a label column of another type');
SELECT throws_ok($$SELECT userseg_predict('kc_nope', ARRAY[1, 2]::float8[])$$,
    '42704', 'unknown model "kc_nope"', 'predict: unknown model');
SELECT throws_ok($$SELECT userseg_predict('kc_m', ARRAY[1, 2, 3]::float8[])$$,
    '22023', 'features has 3 elements where the model has 2', 'predict: wrong feature count');
CREATE ROLE kc_reader;
GRANT SELECT ON ku TO kc_reader;
SET LOCAL ROLE kc_reader;
SELECT throws_ok($$SELECT userseg_kmeans('ku', ARRAY['a', 'b'], 3, label_column => 'seg')$$,
    '42501', NULL, 'label column of a table the caller may not update');
RESET ROLE;
SELECT is((SELECT count(*) FROM ku JOIN ku_snap USING (id) WHERE ku.seg IS DISTINCT FROM ku_snap.seg),
    0::bigint, 'the table is unchanged after the errors');

-- id_column: rows read in the id's order, so the labels do not depend on the physical
-- order; the same table in another physical order (k-means++ with one run: the
-- seeding follows the row order)
CREATE TEMP TABLE kid (user_id int PRIMARY KEY, a float8, b float8, c float8);
INSERT INTO kid SELECT g, (g * 0.6180339887) % 1, (g * 0.7548776662) % 1, (g * 0.5698402910) % 1
FROM generate_series(1, 400) g;
CREATE TEMP TABLE kid_shuffled AS SELECT * FROM kid ORDER BY md5(user_id::text);
SELECT lives_ok($$SELECT userseg_kmeans('kid', ARRAY['a', 'b', 'c'], 8, label_column => 'seg_scan',
    seed => 3, n_init => 1); SELECT userseg_kmeans('kid_shuffled', ARRAY['a', 'b', 'c'], 8,
    label_column => 'seg_scan', seed => 3, n_init => 1)$$, 'without id_column: fits in scan order');
SELECT ok((SELECT count(*) FROM kid JOIN kid_shuffled s USING (user_id) WHERE kid.seg_scan IS DISTINCT FROM s.seg_scan) > 0,
    'without id_column the physical order changes the labels of this data (the check above means something)');

SELECT lives_ok($$SELECT userseg_kmeans('kid', ARRAY['a', 'b', 'c'], 8, label_column => 'seg',
    seed => 3, n_init => 1, id_column => 'user_id', model => 'kid_a')$$, 'id_column: a fit');
SELECT lives_ok($$SELECT userseg_kmeans('kid_shuffled', ARRAY['a', 'b', 'c'], 8, label_column => 'seg',
    seed => 3, n_init => 1, id_column => 'user_id', model => 'kid_b')$$,
    'id_column: the same rows in another physical order');
SELECT is((SELECT count(*) FROM kid JOIN kid_shuffled s USING (user_id) WHERE kid.seg IS DISTINCT FROM s.seg),
    0::bigint, 'id_column: the same labels whatever the physical order');
SELECT ok((SELECT a.centroids = b.centroids AND a.inertia = b.inertia
           FROM userseg_models a, userseg_models b WHERE a.name = 'kid_a' AND b.name = 'kid_b'),
    'id_column: the same model whatever the physical order');
SELECT is((SELECT parameters->>'id_column' FROM userseg_models WHERE name = 'kid_a'), 'user_id',
    'id_column is kept in the model''s parameters');
CREATE TEMP TABLE kid_snap AS SELECT user_id, seg FROM kid_shuffled;
SELECT throws_ok($$SELECT userseg_kmeans('kid_shuffled', ARRAY['a', 'b'], 3, id_column => 'uid')$$,
    '42703', 'id column "uid" of relation "kid_shuffled" does not exist', 'id_column: unknown column');
SELECT throws_ok($$SELECT userseg_kmeans('kid_shuffled', ARRAY['a', 'b'], 3, id_column => 'ctid')$$,
    '42703', NULL, 'id_column: a system column');
SELECT throws_ok($$SELECT userseg_kmeans('kid_shuffled', ARRAY['a', 'b'], 3, label_column => 'seg',
    id_column => 'seg')$$, '22023', 'id column "seg" is also the label column', 'id_column: the label column');
ALTER TABLE kid_shuffled ADD COLUMN pt point;
SELECT throws_ok($$SELECT userseg_kmeans('kid_shuffled', ARRAY['a', 'b'], 3, id_column => 'pt')$$,
    '42804', 'id column "pt" has type point, which cannot be sorted', 'id_column: a type without ordering');
INSERT INTO kid_shuffled (user_id, a, b, c) VALUES (7, 0.5, 0.5, 0.5);
SELECT throws_ok($$SELECT userseg_kmeans('kid_shuffled', ARRAY['a', 'b'], 3, label_column => 'seg',
    id_column => 'user_id')$$, '23505', 'id column "user_id" is not unique', 'id_column: duplicate ids');
UPDATE kid_shuffled SET user_id = NULL WHERE user_id = 7 AND seg IS NULL;
SELECT throws_ok($$SELECT userseg_kmeans('kid_shuffled', ARRAY['a', 'b'], 3, label_column => 'seg',
    id_column => 'user_id')$$, '22004', 'id column "user_id" contains NULL', 'id_column: a NULL id');
SELECT is((SELECT count(*) FROM kid_shuffled JOIN kid_snap USING (user_id)
           WHERE kid_shuffled.seg IS DISTINCT FROM kid_snap.seg), 0::bigint,
    'id_column errors leave the labels unchanged');

-- predict caches the parsed model with the calling expression: a refit between two
-- statements of one PL/pgSQL function (where the cache outlives a statement) is seen
CREATE TEMP TABLE kp (id int PRIMARY KEY, a float8, b float8);
INSERT INTO kp SELECT g, (g % 3) * 10 + sin(g), (g % 3) * 5 + cos(g) FROM generate_series(1, 90) g;
SELECT lives_ok($$SELECT userseg_kmeans('kp', ARRAY['a', 'b'], 2, model => 'kp_m', seed => 1, id_column => 'id')$$,
    'predict: a model with k = 2');
CREATE FUNCTION pg_temp.kp_refit() RETURNS int[] LANGUAGE plpgsql AS $$
DECLARE r int[] := '{}'; x float8[];
BEGIN
  FOR x IN SELECT ARRAY[a, b] FROM kp ORDER BY id LOOP
    r := r || userseg_predict('kp_m', x);
  END LOOP;
  PERFORM userseg_kmeans('kp', ARRAY['a', 'b'], 3, model => 'kp_m', seed => 1, id_column => 'id');
  FOR x IN SELECT ARRAY[a, b] FROM kp ORDER BY id LOOP
    r := r || userseg_predict('kp_m', x);
  END LOOP;
  RETURN r;
END $$;
SELECT results_eq($$SELECT (SELECT count(DISTINCT v)::int FROM unnest(r[1:90]) v),
                           (SELECT count(DISTINCT v)::int FROM unnest(r[91:180]) v) FROM pg_temp.kp_refit() r$$,
    $$VALUES (2, 3)$$, 'predict sees a refit made between two statements of one function');
SELECT is((SELECT count(*) FROM kp, userseg_models m WHERE m.name = 'kp_m'
           AND userseg_predict('kp_m', ARRAY[a, b]) IS DISTINCT FROM
               userseg_kmeans_nearest(ARRAY[a, b], m.centroids, m.scale_center, m.scale_scale)),
    0::bigint, 'predict labels as the nearest scaled centroid of the stored model');

-- a role without special rights that owns its table saves, refits and uses its own
-- models; others' models are invisible to it and their names are not its to take
CREATE ROLE kc_owner;
CREATE TABLE public.kc_owned (id int PRIMARY KEY, a float8, b float8);
INSERT INTO public.kc_owned SELECT g, (g % 3) * 10 + sin(g), (g % 3) * 5 + cos(g) FROM generate_series(1, 60) g;
ALTER TABLE public.kc_owned OWNER TO kc_owner;
CREATE TEMP TABLE kc_m_before AS SELECT centroids, created_at FROM userseg_models WHERE name = 'kc_m';
SET LOCAL ROLE kc_owner;
SELECT lives_ok($$SELECT userseg_kmeans('public.kc_owned', ARRAY['a', 'b'], 3, label_column => 'seg',
    model => 'kc_owned_m', id_column => 'id', seed => 1)$$, 'a plain role saves a model of its own table');
SELECT lives_ok($$SELECT userseg_kmeans('public.kc_owned', ARRAY['a', 'b'], 3, label_column => 'seg',
    model => 'kc_owned_m', id_column => 'id', seed => 2)$$, 'a plain role refits its own model');
SELECT is((SELECT count(*) FROM public.kc_owned WHERE seg = userseg_predict('kc_owned_m', ARRAY[a, b])),
    60::bigint, 'a plain role predicts with its own model');
SELECT results_eq($$SELECT name, owner::text COLLATE "default" FROM userseg_models$$, $$VALUES ('kc_owned_m', 'kc_owner')$$,
    'a plain role sees its own models only');
SELECT throws_ok($$SELECT userseg_kmeans('public.kc_owned', ARRAY['a', 'b'], 3, model => 'kc_m')$$,
    '42501', 'model "kc_m" belongs to another role', 'the name of another role''s model is not free');
SELECT throws_ok($$SELECT userseg_predict('kc_m', ARRAY[1, 2]::float8[])$$,
    '42704', 'unknown model "kc_m"', 'another role''s model is invisible to predict');
RESET ROLE;
SELECT ok((SELECT m.centroids = b.centroids AND m.created_at = b.created_at
           FROM userseg_models m, kc_m_before b WHERE m.name = 'kc_m'),
    'another role''s model is unchanged');

-- a model belongs to the role that fitted it, whoever refits: a superuser (who bypasses
-- row-level security) may not take kc_owner's name either, before any work
CREATE TEMP TABLE kc_owned_before AS
SELECT centroids, created_at, owner FROM userseg_models WHERE name = 'kc_owned_m';
CREATE TEMP TABLE ku_seg_before AS SELECT id, seg FROM ku;
SELECT ok((SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = current_user),
    'this suite runs as a role that bypasses row-level security');
SELECT throws_ok($$SELECT userseg_kmeans('ku', ARRAY['a', 'b'], 2, label_column => 'seg',
    model => 'kc_owned_m')$$,
    '42501', 'model "kc_owned_m" belongs to another role',
    'a superuser''s refit of another role''s model is refused');
SELECT ok((SELECT m.centroids = b.centroids AND m.created_at = b.created_at AND m.owner = b.owner
           FROM userseg_models m, kc_owned_before b WHERE m.name = 'kc_owned_m'),
    'the other role''s model keeps its owner and centroids');
SELECT is((SELECT count(*) FROM ku JOIN ku_seg_before b USING (id) WHERE ku.seg IS DISTINCT FROM b.seg),
    0::bigint, 'the refused refit wrote no labels');
SELECT throws_ok($$SELECT userseg_kmeans('ku', ARRAY['a', 'b'], 2, model => repeat('m', 64))$$,
    '22023', 'model name must be 1 to 63 bytes long', 'a model name too long to index, before any work');
SELECT throws_ok($$SELECT userseg_kmeans('ku', ARRAY['a', 'b'], 2, model => '')$$,
    '22023', 'model name must be 1 to 63 bytes long', 'an empty model name');
SELECT lives_ok($$SELECT userseg_kmeans('ku', ARRAY['a', 'b'], 2, model => repeat('m', 63))$$,
    'a model name of 63 bytes');

-- predict from the row's columns as jsonb gives the labels of the vector form
SELECT is((SELECT count(*) FROM ku WHERE userseg_predict('kc_m', to_jsonb(ku)) IS DISTINCT FROM
           userseg_predict('kc_m', ARRAY[a, b])), 0::bigint,
    'predict from to_jsonb(row) labels as from the vector');
SELECT volatility_is('userseg_predict', ARRAY['text', 'jsonb'], 'stable',
    'userseg_predict(model, jsonb) reads the models table');
SELECT volatility_is('userseg_predict', ARRAY['text', 'record'], 'stable',
    'userseg_predict(model, record) reads the models table');
SELECT is((SELECT count(*) FROM ku WHERE userseg_predict('kc_m', ku) IS DISTINCT FROM seg), 0::bigint,
    'predict from the row itself gives each row its label');
SELECT throws_ok($$SELECT userseg_predict('kc_m', '{"a": 1}'::jsonb)$$,
    '22023', 'features has no key "b"', 'predict from jsonb: a missing column');
SELECT throws_ok($$SELECT userseg_predict('kc_m', '{"a": 1, "b": "x"}'::jsonb)$$,
    '22023', 'feature "b" must be a JSON number', 'predict from jsonb: a string for a number');
SELECT throws_ok($$SELECT userseg_predict('kc_m', '[1, 2]'::jsonb)$$,
    '22023', 'features must be a jsonb object', 'predict from jsonb: not an object');
SELECT is(userseg_predict('kc_m', '{"a": null, "b": 1}'::jsonb), NULL::int,
    'predict from jsonb: a NULL feature of a model fitted with nulls => skip gives NULL');

-- one check of a scaler's scale in every form
SELECT throws_ok($$SELECT userseg_kmeans_nearest(ARRAY[1, 2]::float8[], ARRAY[[0, 0]]::float8[],
    ARRAY[0, 0]::float8[], ARRAY[1, 0]::float8[])$$,
    '22000', 'the scaler''s scale must not be zero', 'nearest: a zero scale');
SELECT throws_ok($$SELECT userseg_kmeans_nearest(ARRAY[1, 2]::float8[], ARRAY[[0, 0]]::float8[],
    ARRAY[0, 0]::float8[], ARRAY[1, 1e-310]::float8[])$$,
    '22000', 'the scaler''s scale must be a normal float8', 'nearest: a denormal scale');
SELECT throws_ok($$SELECT userseg_scale_apply(ARRAY[1, 2]::float8[],
    ROW('zscore', 2, ARRAY[0, 0], ARRAY[1, 1e-310])::userseg_scaler)$$,
    '22000', 'the scaler''s scale must be a normal float8', 'scale_apply: the same check');
UPDATE userseg_models SET scale_scale = ARRAY[1, 1e-310] WHERE name = 'kc_m';
SELECT throws_ok($$SELECT userseg_predict('kc_m', ARRAY[1, 2]::float8[])$$,
    '22000', 'the model''s scale must be a normal float8', 'predict: a denormal scale in a model');

-- models from the scan and mini-batch methods: saved as in memory, predict gives the
-- labels written; what the scan still refuses
CREATE TABLE kscan AS
SELECT i AS id, (i % 4) * 10 + sin(i) AS a, (i % 4) * 5 + cos(i) AS b FROM generate_series(1, 2000) i;
SELECT lives_ok($$SELECT userseg_kmeans('kscan', ARRAY['a', 'b'], 4, label_column => 'seg',
    seed => 1, method => 'scan', model => 'kc_scan')$$, 'method => scan saves a model');
SELECT is((SELECT parameters ->> 'method' FROM userseg_models WHERE name = 'kc_scan'), 'scan',
    'the scan''s model records its method');
SELECT is((SELECT count(*) FROM kscan WHERE userseg_predict('kc_scan', kscan) IS DISTINCT FROM seg),
    0::bigint, 'predict on the scan''s model gives each row the label the scan wrote');
SELECT lives_ok($$SELECT userseg_kmeans('kscan', ARRAY['a', 'b'], 4, label_column => 'seg_mb',
    seed => 1, method => 'minibatch', batch_size => 128, model => 'kc_mb')$$,
    'method => minibatch saves a model');
SELECT is((SELECT count(*) FROM kscan WHERE userseg_predict('kc_mb', kscan) IS DISTINCT FROM seg_mb),
    0::bigint, 'predict on the mini-batch model gives each row the label written');
SELECT throws_ok($$SELECT userseg_kmeans('kscan', ARRAY['a', 'b'], 4, method => 'scan',
    scale => 'robust', model => 'kc_robust')$$,
    '0A000', 'method => ''scan'' does not support scale => ''robust''', 'the scan still refuses the robust scaler');
ALTER TABLE kscan ADD COLUMN t text DEFAULT 'x';
SELECT throws_ok($$SELECT userseg_kmeans('kscan', ARRAY['a', 't'], 4, method => 'scan',
    model => 'kc_cat')$$,
    '0A000', 'method => ''scan'' does not support the categorical feature "t"',
    'the scan still refuses categorical features');
SELECT is((SELECT count(*) FROM userseg_models WHERE name IN ('kc_robust', 'kc_cat')), 0::bigint,
    'a refused fit saves no model');
UPDATE kscan SET a = NULL WHERE id % 50 = 0;
SELECT lives_ok($$SELECT userseg_kmeans('kscan', ARRAY['a', 'b'], 4, label_column => 'seg_imp',
    nulls => 'impute', seed => 1, method => 'scan', model => 'kc_imp')$$,
    'method => scan with nulls => impute');
SELECT is((SELECT count(*) FROM kscan WHERE seg_imp IS NULL OR
           seg_imp IS DISTINCT FROM userseg_predict('kc_imp', kscan)), 0::bigint,
    'impute by scan: every row labelled, as predict labels it');
SELECT ok((SELECT abs((encoding -> 'features' -> 0 ->> 'imputed')::float8 - (SELECT avg(a) FROM kscan))
           <= 1e-12 * abs((SELECT avg(a) FROM kscan)) FROM userseg_models WHERE name = 'kc_imp'),
    'impute by scan: the model records the column mean');
ALTER TABLE kscan ADD COLUMN z float8;
SELECT throws_ok($$SELECT userseg_kmeans('kscan', ARRAY['a', 'z'], 4, nulls => 'impute',
    method => 'scan')$$, '22000', 'column "z" has only NULLs, nothing to impute from',
    'impute by scan: a column of NULLs only');

SELECT * FROM finish();
ROLLBACK;
