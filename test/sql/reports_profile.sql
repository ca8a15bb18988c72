-- Profiles of clusters: userseg_profile and userseg_profile_wide on a hand-made table.
SET extra_float_digits = 0;
\set SHOW_CONTEXT never

-- Three clusters and one unlabelled row (left out of every figure).
--   minutes: cluster 0 = 1, 2, 3; cluster 1 = 5, 7; cluster 2 = 9; unlabelled 1000
--   posts:   cluster 0 = 4, 4, 4; cluster 1 = 2, NULL; cluster 2 = 10
--   steady:  7 everywhere (no spread: z is NULL)
CREATE TABLE report_users (id int, seg int, minutes float8, posts int, steady numeric,
                           platform text);
INSERT INTO report_users VALUES
  (1, 0, 1, 4, 7, 'Instagram'), (2, 0, 2, 4, 7, 'Instagram'), (3, 0, 3, 4, 7, 'Twitter'),
  (4, 1, 5, 2, 7, 'Twitter'), (5, 1, 7, NULL, 7, NULL),
  (6, 2, 9, 10, 7, 'Instagram'),
  (7, NULL, 1000, 1000, 7, 'Instagram');

-- By hand, over the 6 labelled rows (sample standard deviations, n - 1):
--   minutes: overall mean 27/6 = 4.5, squares 12.25+6.25+2.25+0.25+6.25+20.25 = 47.5,
--            overall sd sqrt(47.5/5) = 3.08220700148449
--            cluster 0: mean 2, sd 1, z = -2.5/3.0822... = -0.811107105653813
--            cluster 1: mean 6, sd sqrt(2), z = 1.5/3.0822... = 0.486664263392288
--            cluster 2: mean 9, sd NULL (one value), z = 4.5/3.0822... = 1.45999279017686
--   posts (5 values, the NULL left out): overall mean 24/5 = 4.8, squares
--            3*0.64+7.84+27.04 = 36.8, overall sd sqrt(36.8/4) = 3.03315017762062
--            cluster 0: n 3, mean 4, sd 0, z = -0.8/3.0331... = -0.263752189358315
--            cluster 1: n 1, mean 2, sd NULL, z = -2.8/3.0331... = -0.923132662754102
--            cluster 2: n 1, mean 10, z = 5.2/3.0331... = 1.71438923082905
--   share: 3/6, 2/6, 1/6 (cluster rows over labelled rows, whatever the NULLs)
SELECT * FROM userseg_profile('report_users', 'seg', ARRAY['minutes', 'posts', 'steady']);

-- the same figures checked against the hand computation
SELECT p.cluster, p.feature,
       abs(p.z - (p.mean - p.overall_mean) / s.sd) < 1e-15 AS z_is_mean_gap_over_sd
FROM userseg_profile('report_users', 'seg', ARRAY['minutes', 'posts']) AS p
JOIN (VALUES ('minutes', sqrt(47.5 / 5)), ('posts', sqrt(36.8 / 4))) AS s(feature, sd)
  USING (feature);

-- features come back in the order given
SELECT cluster, feature, mean FROM userseg_profile('report_users', 'seg', ARRAY['posts', 'minutes']);

-- the wide form: one row per cluster, n is the cluster's row count
SELECT * FROM userseg_profile_wide('report_users', 'seg', ARRAY['minutes', 'posts', 'steady']);
-- ... and as columns for a BI tool
SELECT w.cluster, w.n, m.minutes, m.posts
FROM userseg_profile_wide('report_users', 'seg', ARRAY['minutes', 'posts']) AS w,
     jsonb_to_record(w.means) AS m(minutes float8, posts float8);

-- a view, a bigint label, a domain over integer and a smallint feature all work
CREATE DOMAIN report_label AS int CHECK (VALUE >= 0);
CREATE VIEW report_users_v AS
  SELECT seg::bigint AS seg8, seg::report_label AS segd, minutes, posts::int2 AS posts2
  FROM report_users;
SELECT cluster, feature, n, mean FROM userseg_profile('report_users_v', 'seg8', ARRAY['posts2']);
SELECT cluster, n FROM userseg_profile_wide('report_users_v', 'segd', ARRAY['minutes']);

-- hostile identifiers: they work when they exist and fail cleanly when they do not
CREATE TABLE "report ""odd""; table" ("se;g" int, "x""y; DROP TABLE report_users; --" float8,
                                      "Minutes" int);
INSERT INTO "report ""odd""; table" VALUES (1, 1, 10), (1, 3, 20), (2, 5, 30);
SELECT * FROM userseg_profile('"report ""odd""; table"', 'se;g',
                              ARRAY['x"y; DROP TABLE report_users; --', 'Minutes']);
SELECT * FROM userseg_profile('"report ""odd""; table"', 'se;g', ARRAY['x"y; DROP TABLE x']);
\echo :LAST_ERROR_SQLSTATE
-- names are matched exactly as written: "minutes" is not "Minutes"
SELECT * FROM userseg_profile('"report ""odd""; table"', 'se;g', ARRAY['minutes']);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM report_users;

-- the extension's schema off the search_path
SET search_path = pg_catalog;
SELECT cluster, feature, mean FROM public.userseg_profile('public.report_users', 'seg', ARRAY['minutes']);
RESET search_path;

-- errors
SELECT * FROM userseg_profile('report_users', 'segment', ARRAY['minutes']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_profile('report_users', 'seg', ARRAY['minutes', 'likes']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_profile('report_users', 'minutes', ARRAY['posts']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_profile('report_users', 'seg', ARRAY['platform']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_profile('report_users', 'seg', ARRAY['minutes', 'minutes']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_profile('report_users', 'seg', ARRAY['minutes', NULL]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_profile('report_users', 'seg', ARRAY[]::text[]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_profile('report_users', NULL, ARRAY['minutes']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_profile(NULL, 'seg', ARRAY['minutes']);
\echo :LAST_ERROR_SQLSTATE
-- an empty table, and a table whose labels are all NULL
CREATE TABLE report_empty (seg int, minutes float8);
SELECT * FROM userseg_profile('report_empty', 'seg', ARRAY['minutes']);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO report_empty VALUES (NULL, 1), (NULL, 2);
SELECT * FROM userseg_profile_wide('report_empty', 'seg', ARRAY['minutes']);
\echo :LAST_ERROR_SQLSTATE
-- NaN and infinities in a labelled row
INSERT INTO report_empty VALUES (1, 'NaN'), (1, 'Infinity'), (2, 3);
SELECT * FROM userseg_profile('report_empty', 'seg', ARRAY['minutes']);
\echo :LAST_ERROR_SQLSTATE
-- not a relation one can read rows from
CREATE TYPE report_pair AS (seg int, minutes float8);
SELECT * FROM userseg_profile('report_pair', 'seg', ARRAY['minutes']);
\echo :LAST_ERROR_SQLSTATE

-- privileges: none at all, then some columns only
CREATE ROLE report_reader;
SET ROLE report_reader;
SELECT * FROM userseg_profile('report_users', 'seg', ARRAY['minutes']);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT SELECT (seg, minutes) ON report_users TO report_reader;
SET ROLE report_reader;
SELECT cluster, feature, mean FROM userseg_profile('report_users', 'seg', ARRAY['minutes']);
SELECT * FROM userseg_profile('report_users', 'seg', ARRAY['minutes', 'posts']);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE ALL ON report_users FROM report_reader;
DROP ROLE report_reader;
