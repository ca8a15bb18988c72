-- Contract of the plots and the report: signatures, labels, comments and SQLSTATEs.
BEGIN;
SELECT plan(40);

SELECT has_function('userseg_plot_scatter', ARRAY['regclass', 'name', 'text[]', 'text', 'text', 'integer', 'integer']);
SELECT has_function('userseg_plot_3d', ARRAY['regclass', 'name', 'text[]', 'integer', 'integer']);
SELECT has_function('userseg_plot_heatmap', ARRAY['regclass', 'name', 'text[]']);
SELECT has_function('userseg_plot_mix', ARRAY['regclass', 'name', 'name']);
SELECT has_function('userseg_plot_box', ARRAY['regclass', 'name', 'text[]']);
SELECT has_function('userseg_plot_silhouette', ARRAY['regclass', 'name', 'text[]', 'integer', 'integer']);
SELECT has_function('userseg_plot_sweep', ARRAY['regclass', 'text[]', 'integer', 'integer', 'integer']);
SELECT has_function('userseg_plot_compare', ARRAY['regclass', 'text[]', 'integer', 'integer']);
SELECT has_function('userseg_report', ARRAY['regclass', 'name', 'text[]', 'text[]', 'integer', 'integer', 'integer']);

-- every one returns text, is VOLATILE PARALLEL RESTRICTED, not STRICT, and has a comment
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc AS p
    WHERE (p.proname LIKE 'userseg\_plot\_%' OR p.proname = 'userseg_report')
      AND (p.prorettype <> 'text'::regtype OR p.provolatile <> 'v' OR p.proparallel <> 'r'
           OR p.proisstrict)$$,
    'plots and the report return text, VOLATILE PARALLEL RESTRICTED, not STRICT');
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc AS p
    WHERE (p.proname LIKE 'userseg\_plot\_%' OR p.proname = 'userseg_report')
      AND obj_description(p.oid, 'pg_proc') IS NULL$$,
    'every plot function and the report have a comment');
SELECT is((SELECT count(*)::int FROM pg_proc WHERE proname LIKE 'userseg\_plot\_%'), 8,
          'eight plot functions');

-- data
CREATE TABLE plot_tap (id int, seg int, one int, tag text, x float8, y float8, z float8,
                       platform text);
INSERT INTO plot_tap
SELECT i, i % 3, 1, 's' || (i % 3), i, (i * 7) % 11, (i * 5) % 13,
       (ARRAY['a', 'b', 'c'])[i % 3 + 1]
FROM generate_series(1, 30) AS i;
CREATE TABLE plot_tap_empty (seg int, x float8, y float8);
CREATE ROLE plot_tap_reader;
CREATE FUNCTION pg_temp.as_reader(q text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    SET LOCAL ROLE plot_tap_reader;
    EXECUTE q;
END $$;

SELECT ok(xml_is_well_formed_document(userseg_plot_scatter('plot_tap', 'seg', ARRAY['x', 'y', 'z'])),
          'the scatter is well-formed XML');
SELECT is((xpath('/s:svg/@data-marks', userseg_plot_scatter('plot_tap', 'seg', ARRAY['x', 'y', 'z'])::xml,
                 ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text, '33',
          'the scatter draws 30 points and 3 centroids');
SELECT is((xpath('/s:svg/@data-marks', userseg_plot_scatter('plot_tap', 'seg', ARRAY['x', 'y', 'z'],
                                                             max_points => 10)::xml,
                 ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text, '13',
          'max_points bounds the points drawn');
SELECT is(userseg_plot_scatter('plot_tap', 'seg', ARRAY['x', 'y', 'z'], max_points => 10, seed => 4),
          userseg_plot_scatter('plot_tap', 'seg', ARRAY['x', 'y', 'z'], max_points => 10, seed => 4),
          'the sample is the same for the same seed');
SELECT ok(xml_is_well_formed_document(userseg_plot_3d('plot_tap', 'seg', ARRAY['x', 'y', 'z'])), 'the 3-D view is well-formed XML');
SELECT ok(xml_is_well_formed_document(userseg_plot_heatmap('plot_tap', 'seg', ARRAY['x', 'y'])), 'the heatmap is well-formed XML');
SELECT ok(xml_is_well_formed_document(userseg_plot_mix('plot_tap', 'seg', 'platform')), 'the mix is well-formed XML');
SELECT ok(xml_is_well_formed_document(userseg_plot_box('plot_tap', 'seg', ARRAY['x', 'y'])), 'the box plot is well-formed XML');
SELECT ok(xml_is_well_formed_document(userseg_plot_silhouette('plot_tap', 'seg', ARRAY['x', 'y'])), 'the silhouette plot is well-formed XML');
SELECT ok(userseg_report('plot_tap', 'seg', ARRAY['x', 'y', 'z'], ARRAY['platform']) ~ '^<!DOCTYPE html>',
          'the report is an HTML page');

-- errors
SELECT throws_ok($$SELECT userseg_plot_scatter('plot_tap', 'tag', ARRAY['x', 'y'])$$,
                 '42804', 'label column "tag" has type text, not an integer type',
                 'a label column that is not an integer');
SELECT throws_ok($$SELECT userseg_plot_heatmap('plot_tap', 'seg', ARRAY['x', 'nope'])$$,
                 '42703', NULL, 'an unknown feature');
SELECT throws_ok($$SELECT userseg_plot_box('plot_tap', 'seg', ARRAY['platform'])$$,
                 '42804', NULL, 'a categorical feature in the box plot');
SELECT throws_ok($$SELECT userseg_plot_silhouette('plot_tap', 'one', ARRAY['x', 'y'])$$,
                 '22023', 'the silhouette of "plot_tap" by "one" needs at least two segments, not 1',
                 'a single segment: the silhouette needs two');
SELECT lives_ok($$SELECT userseg_plot_scatter('plot_tap', 'one', ARRAY['x', 'y'])$$,
                'a single segment is drawn (with a NOTICE)');
SELECT throws_ok($$SELECT userseg_plot_3d('plot_tap', 'seg', ARRAY['x', 'y'])$$,
                 '22023', NULL, 'the 3-D view needs three encoded columns');
SELECT throws_ok($$SELECT userseg_plot_scatter('plot_tap', 'seg', ARRAY['x', 'y'], 'x')$$,
                 '22023', 'x and y must be given together', 'x without y');
SELECT throws_ok($$SELECT userseg_plot_scatter('plot_tap', 'seg', ARRAY['x', 'y'], 'x', 'z')$$,
                 '22023', 'y "z" is not one of the features', 'y not among the features');
SELECT throws_ok($$SELECT userseg_plot_scatter('plot_tap', 'seg', ARRAY['x', 'y'], max_points => 0)$$,
                 '22023', 'max_points must be between 1 and 100000, not 0', 'max_points out of range');
SELECT throws_ok($$SELECT userseg_plot_silhouette('plot_tap', 'seg', ARRAY['x'], sample_size => 10001)$$,
                 '22023', NULL, 'sample_size out of range');
SELECT throws_ok($$SELECT userseg_plot_sweep('plot_tap', ARRAY['x'], 3, 2)$$,
                 '22023', NULL, 'k_max below k_min');
SELECT throws_ok($$SELECT userseg_plot_scatter(NULL, 'seg', ARRAY['x'])$$,
                 '22004', 'source must not be NULL', 'a NULL source');
SELECT throws_ok($$SELECT userseg_report('plot_tap', 'seg', ARRAY['x'], seed => NULL)$$,
                 '22004', 'seed must not be NULL', 'a NULL seed');
SELECT throws_ok($$SELECT userseg_plot_mix('plot_tap', 'seg', 'nope')$$,
                 '42703', NULL, 'an unknown category column');
SELECT throws_ok($$SELECT userseg_plot_scatter('plot_tap_empty', 'seg', ARRAY['x', 'y'])$$,
                 '22000', NULL, 'an empty table');
SELECT throws_ok($$SELECT pg_temp.as_reader('SELECT userseg_plot_heatmap(''plot_tap'', ''seg'', ARRAY[''x''])')$$,
                 '42501', NULL, 'no SELECT privilege');
SELECT throws_ok($$SELECT userseg_plot_sweep('plot_tap', ARRAY['nope'], 2, 3)$$,
                 '42703', NULL, 'the sweep plot: an unknown feature, as the sweep says');
SELECT throws_ok($$SELECT userseg_report('plot_tap', 'seg', ARRAY['x'], ARRAY['nope'])$$,
                 '42703', NULL, 'the report: an unknown category column');

SELECT * FROM finish();
ROLLBACK;
