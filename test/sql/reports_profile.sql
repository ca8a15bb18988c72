-- Profiles of clusters: userseg_profile and userseg_profile_wide on a hand-made table.
SET extra_float_digits = 0;
-- CONTEXT lines are shown: errors read as coming from the function called, with no
-- internal call quoted
\set SHOW_CONTEXT errors

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
-- NaN and infinities: refused in any row, as the clustering functions refuse them
INSERT INTO report_empty VALUES (1, 'NaN'), (1, 'Infinity'), (2, 3);
SELECT * FROM userseg_profile('report_empty', 'seg', ARRAY['minutes']);
\echo :LAST_ERROR_SQLSTATE
-- not a relation one can read rows from
CREATE TYPE report_pair AS (seg int, minutes float8);
SELECT * FROM userseg_profile('report_pair', 'seg', ARRAY['minutes']);
\echo :LAST_ERROR_SQLSTATE

-- The same feature list as the clustering functions: a categorical column is
-- reported as its mix, one row per category (the reader's categories, COLLATE "C",
-- then NULL): n rows of the category, mean = its share of the cluster's rows,
-- overall_mean = its share of all labelled rows, lift = their ratio.
--   platform over the 6 labelled rows: Instagram 3/6 = 0.5, Twitter 2/6, NULL 1/6
--   (the unlabelled row's Instagram does not count)
--   cluster 0 (Instagram, Instagram, Twitter): Instagram 2/3, lift (2/3)/0.5 = 4/3;
--             Twitter 1/3, lift 1; NULL 0, lift 0
--   cluster 1 (Twitter, NULL): Instagram 0; Twitter 1/2, lift 1.5; NULL 1/2, lift 3
--   cluster 2 (Instagram): Instagram 1, lift 2; Twitter 0; NULL 0
SELECT * FROM userseg_profile('report_users', 'seg', ARRAY['minutes', 'platform']);
-- the shares of a column add up to 1 in each cluster
SELECT cluster, sum(n) AS n, sum(mean) AS shares
FROM userseg_profile('report_users', 'seg', ARRAY['platform']) GROUP BY cluster ORDER BY cluster;
-- the wide form: a categorical feature's shares and lifts as objects keyed by category
-- (the NULL category has no key)
SELECT * FROM userseg_profile_wide('report_users', 'seg', ARRAY['minutes', 'platform']);
SELECT w.cluster, (w.means -> 'platform' ->> 'Instagram')::float8 AS instagram,
       (w.lift -> 'platform' ->> 'Instagram')::float8 AS instagram_lift
FROM userseg_profile_wide('report_users', 'seg', ARRAY['platform']) AS w;

-- every type the reader one-hot encodes (text, varchar, char, enum, boolean, a domain
-- over text), with its categories named as the reader names them
CREATE TYPE report_tier AS ENUM ('gold', 'silver', 'bronze');
CREATE DOMAIN report_country AS text;
CREATE TABLE report_kinds (seg int, v varchar(10), c char(4), t report_tier, b bool,
                           d report_country);
INSERT INTO report_kinds VALUES
  (0, 'a', 'x', 'gold', true, 'FR'), (0, 'a', 'x', 'silver', true, 'FR'),
  (1, 'b', 'yy', 'bronze', false, 'DE'), (1, 'a', 'x', 'gold', NULL, NULL);
SELECT cluster, feature, category, n, mean, overall_mean, lift
FROM userseg_profile('report_kinds', 'seg', ARRAY['v', 'c', 't', 'b', 'd']);
-- the categories are the reader's: the same as userseg_describe gives (NULL left out)
SELECT feature, category FROM userseg_profile('report_kinds', 'seg', ARRAY['v', 'c', 't', 'b', 'd'])
WHERE cluster = 0 AND category IS NOT NULL
EXCEPT ALL
SELECT column_name, category FROM userseg_describe('report_kinds', ARRAY['v', 'c', 't', 'b', 'd']);

-- Noise: label -1 (as density-based algorithms give it) is a cluster row of its own,
-- first, counted in the overall figures; NULL labels are left out.
CREATE TABLE report_noise (seg int, x float8, kind text);
INSERT INTO report_noise VALUES (-1, 100, 'a'), (0, 1, 'a'), (0, 3, 'b'), (1, 5, 'b'),
                                (NULL, 1000, 'c');
SELECT cluster, feature, category, n, share, mean, overall_mean, lift
FROM userseg_profile('report_noise', 'seg', ARRAY['x', 'kind']);
SELECT cluster, n, share, means FROM userseg_profile_wide('report_noise', 'seg', ARRAY['x']);

-- a label column that is not an integer, and labels beyond the integer range
CREATE TABLE report_badlabel (seg text, segf float8, seg8 bigint, x float8);
INSERT INTO report_badlabel VALUES ('0', 0, 0, 1), ('1', 1, 3000000000, 2);
SELECT * FROM userseg_profile('report_badlabel', 'seg', ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_profile_wide('report_badlabel', 'segf', ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_profile('report_badlabel', 'seg8', ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
-- a system column, and a type the reader cannot encode, as features
SELECT * FROM userseg_profile('report_users', 'seg', ARRAY['ctid']);
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE report_dates (seg int, joined date);
INSERT INTO report_dates VALUES (1, '2024-01-01');
SELECT * FROM userseg_profile('report_dates', 'seg', ARRAY['joined']);
\echo :LAST_ERROR_SQLSTATE

-- the features list is checked as the clustering functions check it
SELECT * FROM userseg_profile('report_users', 'seg', ARRAY[['minutes'], ['posts']]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_profile_wide('report_users', 'seg', ARRAY[['minutes', 'posts']]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_profile('report_users', 'seg', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_profile_wide('report_users', NULL, ARRAY['minutes']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_profile_wide(NULL, 'seg', ARRAY['minutes']);
\echo :LAST_ERROR_SQLSTATE
-- the label column may be a feature too
SELECT cluster, feature, mean, z FROM userseg_profile('report_noise', 'seg', ARRAY['seg']);

-- Values too large for float8 arithmetic: 22003 naming the column, whether the mean
-- (a sum past 1.8e308) or the standard deviation (squares past it) overflows
CREATE TABLE report_huge (seg int, fine float8, big float8, wide float8);
INSERT INTO report_huge VALUES (0, 1, 1e308, 1e308), (0, 2, 1e308, -1e308),
                               (1, 3, 1, 1e308), (1, 4, 1, -1e308);
SELECT * FROM userseg_profile('report_huge', 'seg', ARRAY['fine', 'big']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_profile_wide('report_huge', 'seg', ARRAY['fine', 'wide']);
\echo :LAST_ERROR_SQLSTATE
SELECT cluster, feature, mean FROM userseg_profile('report_huge', 'seg', ARRAY['fine']);

-- privileges: none at all, then some columns only
CREATE ROLE report_reader;
SET ROLE report_reader;
SELECT * FROM userseg_profile('report_users', 'seg', ARRAY['minutes']);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT SELECT (seg, minutes) ON report_users TO report_reader;
SET ROLE report_reader;
SELECT cluster, feature, mean FROM userseg_profile('report_users', 'seg', ARRAY['minutes']);
-- every report function works for a role that is not a superuser
SELECT cluster, n, means FROM userseg_profile_wide('report_users', 'seg', ARRAY['minutes']);
SELECT cluster, description FROM userseg_describe_segments('report_users', 'seg', ARRAY['minutes']);
SELECT cluster, category, n FROM userseg_crosstab('report_users', 'seg', 'seg');
SELECT * FROM userseg_profile('report_users', 'seg', ARRAY['minutes', 'posts']);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE SELECT (seg) ON report_users FROM report_reader;
SET ROLE report_reader;
SELECT * FROM userseg_profile('report_users', 'seg', ARRAY['minutes']);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE ALL ON report_users FROM report_reader;
DROP ROLE report_reader;
