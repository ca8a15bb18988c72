-- Contract of the profiles and reports: signatures, labels, comments and SQLSTATEs.
BEGIN;
SELECT plan(44);

SELECT has_function('userseg_profile', ARRAY['regclass', 'name', 'text[]']);
SELECT has_function('userseg_profile_wide', ARRAY['regclass', 'name', 'text[]']);
SELECT has_function('userseg_crosstab', ARRAY['regclass', 'name', 'name']);
SELECT has_function('userseg_describe_segments',
                    ARRAY['regclass', 'name', 'text[]', 'text[]', 'integer']);

SELECT is(pg_get_function_result('userseg_profile(regclass,name,text[])'::regprocedure),
          'TABLE(cluster integer, feature text, category text, n bigint, share double precision, mean double precision, stddev double precision, min double precision, max double precision, overall_mean double precision, z double precision, lift double precision)',
          'userseg_profile returns its documented columns');
SELECT is(pg_get_function_result('userseg_profile_wide(regclass,name,text[])'::regprocedure),
          'TABLE(cluster integer, n bigint, share double precision, means jsonb, z jsonb, lift jsonb)',
          'userseg_profile_wide returns its documented columns');
SELECT is(pg_get_function_result('userseg_crosstab(regclass,name,name)'::regprocedure),
          'TABLE(cluster integer, category text, n bigint, share_in_cluster double precision, share_overall double precision, lift double precision)',
          'userseg_crosstab returns its documented columns');
SELECT is(pg_get_function_result('userseg_describe_segments(regclass,name,text[],text[],integer)'::regprocedure),
          'TABLE(cluster integer, n bigint, share double precision, description text)',
          'userseg_describe_segments returns its documented columns');

-- they read a relation by name: volatile, parallel restricted
SELECT volatility_is('userseg_profile', ARRAY['regclass', 'name', 'text[]'], 'volatile');
SELECT volatility_is('userseg_profile_wide', ARRAY['regclass', 'name', 'text[]'], 'volatile');
SELECT volatility_is('userseg_crosstab', ARRAY['regclass', 'name', 'name'], 'volatile');
SELECT volatility_is('userseg_describe_segments',
                     ARRAY['regclass', 'name', 'text[]', 'text[]', 'integer'], 'volatile');
SELECT is(proparallel, 'r', p.oid::regprocedure::text || ' is parallel restricted')
FROM pg_proc AS p
WHERE p.oid IN ('userseg_profile(regclass,name,text[])'::regprocedure,
                'userseg_profile_wide(regclass,name,text[])'::regprocedure,
                'userseg_crosstab(regclass,name,name)'::regprocedure,
                'userseg_describe_segments(regclass,name,text[],text[],integer)'::regprocedure)
ORDER BY p.oid::regprocedure::text;

SELECT is_empty($$
    SELECT p.oid::regprocedure
    FROM pg_proc AS p
    WHERE (p.proname LIKE 'userseg\_report\_%' OR p.proname IN
           ('userseg_profile', 'userseg_profile_wide', 'userseg_crosstab',
            'userseg_describe_segments'))
      AND obj_description(p.oid, 'pg_proc') IS NULL$$,
    'every report function has a comment');

-- no internal helper a user could call: every report function is one the reference documents
SELECT is_empty($$
    SELECT p.oid::regprocedure
    FROM pg_proc AS p
    WHERE p.proname LIKE 'userseg\_report\_%'$$,
    'no internal report helper is callable');

-- not STRICT: a NULL argument is error 22004 naming it
SELECT is(proisstrict, false, p.oid::regprocedure::text || ' is not strict')
FROM pg_proc AS p
WHERE p.oid IN ('userseg_profile(regclass,name,text[])'::regprocedure,
                'userseg_profile_wide(regclass,name,text[])'::regprocedure,
                'userseg_crosstab(regclass,name,name)'::regprocedure,
                'userseg_describe_segments(regclass,name,text[],text[],integer)'::regprocedure)
ORDER BY p.oid::regprocedure::text;

-- data
CREATE TABLE report_tap (seg int, x float8, platform text);
INSERT INTO report_tap VALUES (0, 1, 'a'), (0, 2, 'b'), (1, 3, 'a'), (NULL, 4, 'b');
CREATE TABLE report_tap_empty (seg int, x float8, platform text);
CREATE TABLE report_tap_unlabelled (seg int, x float8, platform text);
INSERT INTO report_tap_unlabelled VALUES (NULL, 1, 'a');
CREATE ROLE report_tap_reader;
CREATE FUNCTION pg_temp.as_reader(q text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    SET LOCAL ROLE report_tap_reader;
    EXECUTE q;
END $$;

SELECT is((SELECT count(*) FROM userseg_profile('report_tap', 'seg', ARRAY['x'])), 2::bigint,
          'one profile row per cluster and feature, the NULL label left out');

-- userseg_profile
SELECT throws_ok($$SELECT pg_temp.as_reader('SELECT * FROM userseg_profile(''report_tap'', ''seg'', ARRAY[''x''])')$$,
                 '42501', 'permission denied for table report_tap', 'profile: no SELECT privilege');
SELECT throws_ok($$SELECT * FROM userseg_profile('report_tap', 'label', ARRAY['x'])$$,
                 '42703', NULL, 'profile: unknown label column');
SELECT throws_ok($$SELECT * FROM userseg_profile('report_tap', 'seg', ARRAY['x', 'y'])$$,
                 '42703', NULL, 'profile: unknown feature');
SELECT throws_ok($$SELECT * FROM userseg_profile('report_tap', 'x', ARRAY['seg'])$$,
                 '42804', NULL, 'profile: non-integer label column');
SELECT is((SELECT count(*) FROM userseg_profile('report_tap', 'seg', ARRAY['platform'])), 4::bigint,
          'profile: a categorical feature gives one row per cluster and category');
SELECT throws_ok($$SELECT * FROM userseg_profile('report_tap', 'seg', ARRAY['ctid'])$$,
                 '42703', NULL, 'profile: a system column');
SELECT throws_ok($$SELECT * FROM userseg_profile('report_tap', 'seg', ARRAY[['x']])$$,
                 '22023', 'features must be a one-dimensional array', 'profile: a 2-D features array');
SELECT throws_ok($$SELECT * FROM userseg_profile('report_tap', 'seg', NULL)$$,
                 '22004', 'features must not be NULL', 'profile: NULL features');
SELECT throws_ok($$SELECT * FROM userseg_describe_segments('report_tap', 'seg', ARRAY['x'], ARRAY[['platform']])$$,
                 '22023', 'categories must be a one-dimensional array', 'describe_segments: a 2-D categories array');
SELECT throws_ok($$SELECT * FROM userseg_profile('report_tap_empty', 'seg', ARRAY['x'])$$,
                 '22000', NULL, 'profile: empty table');
SELECT throws_ok($$SELECT * FROM userseg_profile('report_tap_unlabelled', 'seg', ARRAY['x'])$$,
                 '22000', NULL, 'profile: no labelled row');
SELECT throws_ok($$SELECT * FROM userseg_profile_wide('report_tap_empty', 'seg', ARRAY['x'])$$,
                 '22000', NULL, 'profile_wide: empty table');

-- userseg_crosstab
SELECT throws_ok($$SELECT pg_temp.as_reader('SELECT * FROM userseg_crosstab(''report_tap'', ''seg'', ''platform'')')$$,
                 '42501', 'permission denied for table report_tap', 'crosstab: no SELECT privilege');
SELECT throws_ok($$SELECT * FROM userseg_crosstab('report_tap', 'seg', 'country')$$,
                 '42703', NULL, 'crosstab: unknown category column');
SELECT throws_ok($$SELECT * FROM userseg_crosstab('report_tap', 'platform', 'seg')$$,
                 '42804', NULL, 'crosstab: non-integer label column');
SELECT throws_ok($$SELECT * FROM userseg_crosstab('report_tap_empty', 'seg', 'platform')$$,
                 '22000', NULL, 'crosstab: empty table');

-- userseg_describe_segments
SELECT throws_ok($$SELECT pg_temp.as_reader('SELECT * FROM userseg_describe_segments(''report_tap'', ''seg'', ARRAY[''x''])')$$,
                 '42501', 'permission denied for table report_tap', 'describe_segments: no SELECT privilege');
SELECT throws_ok($$SELECT * FROM userseg_describe_segments('report_tap', 'seg', ARRAY['x'], ARRAY['country'])$$,
                 '42703', NULL, 'describe_segments: unknown category column');
SELECT throws_ok($$SELECT * FROM userseg_describe_segments('report_tap', 'x', ARRAY['x'])$$,
                 '42804', NULL, 'describe_segments: non-integer label column');
SELECT throws_ok($$SELECT * FROM userseg_describe_segments('report_tap_empty', 'seg', ARRAY['x'], ARRAY['platform'])$$,
                 '22000', NULL, 'describe_segments: empty table');
SELECT throws_ok($$SELECT * FROM userseg_describe_segments('report_tap', 'seg', ARRAY['x'], top => 0)$$,
                 '22023', NULL, 'describe_segments: top below 1');

SELECT * FROM finish();
ROLLBACK;
