-- Contract of PCA and the box statistics: signatures, labels, comments and SQLSTATEs.
BEGIN;
SELECT plan(58);

SELECT has_function('userseg_pca', ARRAY['double precision[]', 'integer', 'boolean', 'text']);
SELECT has_function('userseg_pca', ARRAY['regclass', 'text[]', 'integer', 'text', 'text', 'text',
                                         'boolean', 'name', 'integer', 'boolean', 'text', 'name']);
SELECT has_function('userseg_pca_summary', ARRAY['text']);
SELECT has_function('userseg_pca_loadings', ARRAY['text']);
SELECT has_function('userseg_project', ARRAY['text', 'double precision[]']);
SELECT has_function('userseg_project', ARRAY['text', 'jsonb']);
SELECT has_function('userseg_project', ARRAY['text', 'record']);
SELECT has_function('userseg_profile_box', ARRAY['regclass', 'name', 'text[]']);

SELECT is_window('userseg_pca', ARRAY['double precision[]', 'integer', 'boolean', 'text'],
                 'the array form of userseg_pca is a window function');
SELECT is(pg_get_function_result('userseg_pca(regclass,text[],integer,text,text,text,boolean,name,integer,boolean,text,name)'::regprocedure),
          'TABLE(component integer, explained_variance double precision, explained_variance_ratio double precision, cumulative double precision, singular_value double precision)',
          'the table form returns the summary columns');
SELECT is(pg_get_function_result('userseg_pca_summary(text)'::regprocedure),
          'TABLE(component integer, explained_variance double precision, explained_variance_ratio double precision, cumulative double precision, singular_value double precision)',
          'userseg_pca_summary returns the summary columns');
SELECT is(pg_get_function_result('userseg_pca_loadings(text)'::regprocedure),
          'TABLE(component integer, feature text, loading double precision)',
          'userseg_pca_loadings returns its documented columns');
SELECT is(pg_get_function_result('userseg_profile_box(regclass,name,text[])'::regprocedure),
          'TABLE(cluster integer, feature text, n bigint, min double precision, q1 double precision, median double precision, q3 double precision, max double precision, whisker_low double precision, whisker_high double precision, outliers_low bigint, outliers_high bigint)',
          'userseg_profile_box returns its documented columns');

-- labels: decided per function (sql/userseg.sql says why)
SELECT volatility_is('userseg_pca', ARRAY['double precision[]', 'integer', 'boolean', 'text'], 'immutable');
SELECT volatility_is('userseg_pca', ARRAY['regclass', 'text[]', 'integer', 'text', 'text', 'text',
                                          'boolean', 'name', 'integer', 'boolean', 'text', 'name'], 'volatile');
SELECT volatility_is('userseg_pca_summary', ARRAY['text'], 'stable');
SELECT volatility_is('userseg_pca_loadings', ARRAY['text'], 'stable');
SELECT volatility_is('userseg_project', ARRAY['text', 'record'], 'stable');
SELECT volatility_is('userseg_profile_box', ARRAY['regclass', 'name', 'text[]'], 'volatile');
SELECT is(p.proparallel::text || (CASE WHEN p.proisstrict THEN ' strict' ELSE '' END), want,
          p.oid::regprocedure::text || ' is labelled ' || want)
FROM pg_proc AS p
JOIN (VALUES ('userseg_pca(double precision[],integer,boolean,text)', 's'),
             ('userseg_pca(regclass,text[],integer,text,text,text,boolean,name,integer,boolean,text,name)', 'u'),
             ('userseg_pca_summary(text)', 's strict'),
             ('userseg_pca_loadings(text)', 's strict'),
             ('userseg_project(text,double precision[])', 's strict'),
             ('userseg_project(text,jsonb)', 's strict'),
             ('userseg_project(text,record)', 's strict'),
             ('userseg_profile_box(regclass,name,text[])', 'r')) AS w(fn, want)
  ON p.oid = w.fn::regprocedure
ORDER BY w.fn;

SELECT is_empty($$
    SELECT p.oid::regprocedure
    FROM pg_proc AS p
    WHERE p.proname IN ('userseg_pca', 'userseg_pca_summary', 'userseg_pca_loadings',
                        'userseg_project', 'userseg_profile_box')
      AND obj_description(p.oid, 'pg_proc') IS NULL$$,
    'every PCA and box function has a comment');

-- data
CREATE TABLE pca_tap (id int, seg int, x float8, y float8, platform text, grade numeric);
INSERT INTO pca_tap VALUES (1, 0, 1, 2, 'a', 1), (2, 0, 2, 1, 'b', 2), (3, 1, 3, 5, 'a', 3),
                           (4, 1, 5, 3, 'b', 5), (5, NULL, 4, 4, 'a', 4);
CREATE TABLE pca_tap_empty (seg int, x float8, y float8);
CREATE ROLE pca_tap_reader;
CREATE FUNCTION pg_temp.as_reader(q text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    SET LOCAL ROLE pca_tap_reader;
    EXECUTE q;
END $$;

SELECT is((SELECT count(*) FROM userseg_pca('pca_tap', ARRAY['x', 'y', 'platform'], 3,
                                            model => 'pca_tap')), 3::bigint,
          'one summary row per component; a categorical feature is one-hot encoded');
SELECT is((SELECT count(*) FROM userseg_pca_loadings('pca_tap')), 12::bigint,
          'loadings: components x encoded columns (x, y, platform=a, platform=b)');
SELECT is(array_length(userseg_project('pca_tap', t), 1), 3, 'a row projects on 3 components')
FROM pca_tap t WHERE id = 1;

-- n_components outside 1..d, fewer rows than components
SELECT throws_ok($$SELECT * FROM userseg_pca('pca_tap', ARRAY['x', 'y'], 3)$$,
                 '22023', 'n_components must be between 1 and the number of encoded columns (2)',
                 'table form: n_components above the columns');
SELECT throws_ok($$SELECT * FROM userseg_pca('pca_tap', ARRAY['x', 'y'], 0)$$,
                 '22023', 'n_components must be at least 1', 'table form: n_components 0');
SELECT throws_ok($$SELECT userseg_pca(ARRAY[x, y], 3) OVER () FROM pca_tap$$,
                 '22023', NULL, 'window form: n_components above the columns');
SELECT throws_ok($$SELECT userseg_pca(ARRAY[x, y], 2) OVER () FROM pca_tap WHERE id = 1$$,
                 '22000', NULL, 'window form: fewer rows than components');
SELECT throws_ok($$SELECT * FROM userseg_pca('pca_tap_empty', ARRAY['x', 'y'], 1)$$,
                 '22000', NULL, 'table form: no rows');
SELECT throws_ok($$SELECT * FROM userseg_pca('pca_tap', ARRAY['x', 'z'], 1)$$,
                 '42703', NULL, 'table form: unknown feature');
SELECT throws_ok($$SELECT pg_temp.as_reader('SELECT * FROM userseg_pca(''pca_tap'', ARRAY[''x''], 1)')$$,
                 '42501', 'permission denied for table pca_tap', 'table form: no SELECT privilege');
SELECT throws_ok($$SELECT * FROM userseg_pca('pca_tap', ARRAY['x', 'y'], 1, nulls => 'drop')$$,
                 '22023', NULL, 'table form: unknown NULL policy');
SELECT throws_ok($$SELECT * FROM userseg_pca('pca_tap', NULL, 1)$$,
                 '22004', NULL, 'table form: NULL features');
SELECT throws_ok($$SELECT * FROM userseg_pca_summary('pca_tap_none')$$,
                 '42704', NULL, 'summary: unknown model');
SELECT throws_ok($$SELECT userseg_project('pca_tap', ARRAY[1]::float8[])$$,
                 '22023', NULL, 'project: a vector of the wrong length');
SELECT lives_ok($$SELECT * FROM userseg_kmeans('pca_tap', ARRAY['x', 'y'], 2, model => 'pca_tap_km')$$,
                'a K-Means model to ask PCA figures of');
SELECT throws_ok($$SELECT * FROM userseg_pca_loadings('pca_tap_km')$$,
                 '42809', 'model "pca_tap_km" is a kmeans model, not a PCA',
                 'loadings: a model of another algorithm');
SELECT throws_ok($$SELECT userseg_predict('pca_tap', ARRAY[1, 2, 0, 1]::float8[])$$,
                 '0A000', NULL, 'predict: a PCA model labels no rows');

-- the projection table
SELECT is((SELECT count(*) FROM userseg_pca('pca_tap', ARRAY['x', 'y'], 2, id_column => 'id',
                                            projection => 'pca_tap_proj', label_column => 'seg')),
          2::bigint, 'a projection table is written with the summary');
SELECT is((SELECT string_agg(attname, ', ' ORDER BY attnum) FROM pg_attribute
           WHERE attrelid = 'pca_tap_proj'::regclass AND attnum > 0),
          'id, segment, pc1, pc2', 'the projection table: id, segment, one column per component');
SELECT is((SELECT count(*) FROM pca_tap_proj), 5::bigint, 'one row per projected row');
SELECT throws_ok($$SELECT * FROM userseg_pca('pca_tap', ARRAY['x', 'y'], 2, id_column => 'id',
                                            projection => 'pca_tap_proj')$$,
                 '42P07', 'relation "pca_tap_proj" already exists', 'projection: the table exists');
SELECT throws_ok($$SELECT * FROM userseg_pca('pca_tap', ARRAY['x', 'y'], 2, projection => 'pca_tap_p2')$$,
                 '22023', 'a projection table needs id_column', 'projection: no id column');
SELECT throws_ok($$SELECT * FROM userseg_pca('pca_tap', ARRAY['x', 'y'], 2, id_column => 'id',
                                            projection => 'pca_tap_p2', label_column => 'platform')$$,
                 '42804', NULL, 'projection: a label column that is not an integer');
SELECT throws_ok($$SELECT pg_temp.as_reader('SELECT * FROM userseg_pca(''pca_tap'', ARRAY[''x''], 1, id_column => ''id'', projection => ''pca_tap_p3'')')$$,
                 '42501', NULL, 'projection: no SELECT privilege on the source');
SELECT hasnt_table('pca_tap_p2', 'a refused projection creates no table');

-- userseg_profile_box
SELECT is((SELECT count(*) FROM userseg_profile_box('pca_tap', 'seg', ARRAY['x', 'grade'])),
          4::bigint, 'box: one row per cluster and feature, the NULL label left out');
SELECT throws_ok($$SELECT * FROM userseg_profile_box('pca_tap', 'seg', ARRAY['platform'])$$,
                 '42804', 'feature "platform" of type text has no quartiles',
                 'box: a categorical feature');
SELECT throws_ok($$SELECT * FROM userseg_profile_box('pca_tap', 'platform', ARRAY['x'])$$,
                 '42804', NULL, 'box: a label column that is not an integer');
SELECT throws_ok($$SELECT * FROM userseg_profile_box('pca_tap', 'seg', ARRAY['z'])$$,
                 '42703', NULL, 'box: unknown feature');
SELECT throws_ok($$SELECT * FROM userseg_profile_box('pca_tap_empty', 'seg', ARRAY['x'])$$,
                 '22000', NULL, 'box: empty table');

SELECT * FROM finish();
ROLLBACK;
