-- One readable sentence per segment: userseg_describe_segments.
SET extra_float_digits = 0;
-- CONTEXT lines are shown: errors read as coming from the function called, with no
-- internal call quoted
\set SHOW_CONTEXT errors

-- 10,000 labelled rows in four clusters of 2,314, 7,600, 85 and 1 rows.
CREATE TABLE report_seg (id serial, seg int, daily_usage_minutes int,
                         likes_received_per_day int, posts numeric, platform text,
                         dominant_emotion text, premium bool);
-- cluster 0: heavy users, mostly Instagram, half anxious, half premium
INSERT INTO report_seg (seg, daily_usage_minutes, likes_received_per_day, posts, platform,
                        dominant_emotion, premium)
SELECT 0, 150 + i % 21, 80 + i % 11, 3,
       CASE WHEN i % 10 < 7 THEN 'Instagram' ELSE 'Twitter' END,
       CASE WHEN i % 2 = 0 THEN 'Anxiety' ELSE 'Happiness' END, i % 2 = 0
FROM generate_series(1, 2314) AS i;
-- cluster 1: light users; Snapchat is rare (1%): its lift is above 1.2 but its share
-- in the cluster is below 5%, so no sentence names it
INSERT INTO report_seg (seg, daily_usage_minutes, likes_received_per_day, posts, platform,
                        dominant_emotion, premium)
SELECT 1, 60 + i % 21, 20 + i % 11, 3,
       CASE WHEN i % 100 = 0 THEN 'Snapchat' WHEN i % 10 < 2 THEN 'Instagram'
            WHEN i % 10 < 6 THEN 'Twitter' ELSE 'Facebook' END,
       CASE WHEN i % 5 = 0 THEN 'Anxiety' ELSE 'Happiness' END, i % 10 = 0
FROM generate_series(1, 7600) AS i;
-- cluster 2: all on LinkedIn, emotion mostly unknown (NULL categories are never named)
INSERT INTO report_seg (seg, daily_usage_minutes, likes_received_per_day, posts, platform,
                        dominant_emotion, premium)
SELECT 2, 100 + i % 5, 20, 3, 'LinkedIn', CASE WHEN i <= 5 THEN 'Boredom' END, false
FROM generate_series(1, 85) AS i;
-- cluster 3: a single user: too few rows for any category to be named
INSERT INTO report_seg (seg, daily_usage_minutes, likes_received_per_day, posts, platform,
                        dominant_emotion, premium)
VALUES (3, 100, 50, 3, 'LinkedIn', 'Boredom', true);
-- unlabelled rows are left out
INSERT INTO report_seg (seg, daily_usage_minutes, likes_received_per_day, posts, platform)
VALUES (NULL, 10000, 10000, 3, 'Snapchat');

-- the figures behind the sentences
SELECT cluster, feature, n, round(mean::numeric, 3) AS mean, round(z::numeric, 3) AS z
FROM userseg_profile('report_seg', 'seg',
                     ARRAY['daily_usage_minutes', 'likes_received_per_day', 'posts']);
SELECT cluster, category, n, round(share_in_cluster::numeric, 4) AS share_in_cluster,
       round(lift::numeric, 3) AS lift
FROM userseg_crosstab('report_seg', 'seg', 'platform');
SELECT cluster, category, n, round(share_in_cluster::numeric, 4) AS share_in_cluster,
       round(lift::numeric, 3) AS lift
FROM userseg_crosstab('report_seg', 'seg', 'dominant_emotion');

-- features only (posts is constant: no z, never named)
SELECT * FROM userseg_describe_segments('report_seg', 'seg',
    ARRAY['daily_usage_minutes', 'likes_received_per_day', 'posts']);
-- with categories; a boolean category is named with its column
SELECT * FROM userseg_describe_segments('report_seg', 'seg',
    ARRAY['daily_usage_minutes', 'likes_received_per_day', 'posts'],
    ARRAY['platform', 'dominant_emotion', 'premium']);
-- top = 1: the one feature and the one category that stand out most
SELECT cluster, description FROM userseg_describe_segments('report_seg', 'seg',
    ARRAY['daily_usage_minutes', 'likes_received_per_day'],
    ARRAY['platform', 'dominant_emotion'], top => 1);

-- ties are broken by the order the features and category columns are given
CREATE TABLE report_tie (seg int, a_b int, c_d int, p text, q text);
INSERT INTO report_tie
SELECT i % 2, i % 2, i % 2, CASE WHEN i % 2 = 0 THEN 'P' ELSE 'other' END,
       CASE WHEN i % 2 = 0 THEN 'Q' ELSE 'other' END
FROM generate_series(1, 20) AS i;
SELECT cluster, description FROM userseg_describe_segments('report_tie', 'seg',
    ARRAY['a_b', 'c_d'], ARRAY['p', 'q'], 1);
SELECT cluster, description FROM userseg_describe_segments('report_tie', 'seg',
    ARRAY['c_d', 'a_b'], ARRAY['q', 'p'], 1);
-- one feature list: categorical features are named by their mix, exactly as when
-- they are given as categories
SELECT cluster, description FROM userseg_describe_segments('report_seg', 'seg',
    ARRAY['daily_usage_minutes', 'likes_received_per_day', 'posts', 'platform',
          'dominant_emotion', 'premium']);
SELECT count(*) AS sentences_that_differ
FROM userseg_describe_segments('report_seg', 'seg',
         ARRAY['daily_usage_minutes', 'likes_received_per_day', 'posts', 'platform',
               'dominant_emotion', 'premium']) AS a
FULL JOIN userseg_describe_segments('report_seg', 'seg',
         ARRAY['daily_usage_minutes', 'likes_received_per_day', 'posts'],
         ARRAY['platform', 'dominant_emotion', 'premium']) AS b USING (cluster)
WHERE a.description IS DISTINCT FROM b.description;
-- categorical features only
SELECT cluster, description FROM userseg_describe_segments('report_seg', 'seg',
    ARRAY['platform'], top => 1);
-- categories may be of any type, compared as text (an integer column here)
SELECT cluster, description FROM userseg_describe_segments('report_seg', 'seg',
    ARRAY['daily_usage_minutes'], ARRAY['likes_received_per_day'], top => 1);

-- noise (label -1) is described as such; NULL labels are left out
CREATE TABLE report_seg_noise (seg int, x float8, kind text);
INSERT INTO report_seg_noise
SELECT CASE WHEN i <= 10 THEN -1 WHEN i <= 55 THEN 0 WHEN i <= 100 THEN 1 END,
       CASE WHEN i <= 10 THEN 100 ELSE i % 2 END,
       CASE WHEN i <= 10 THEN 'odd' ELSE 'usual' END
FROM generate_series(1, 110) AS i;
SELECT * FROM userseg_describe_segments('report_seg_noise', 'seg', ARRAY['x', 'kind']);

-- close to average everywhere
CREATE TABLE report_flat (seg int, x float8);
INSERT INTO report_flat VALUES (1, 1), (1, 2), (2, 1), (2, 2);
SELECT * FROM userseg_describe_segments('report_flat', 'seg', ARRAY['x']);

-- errors
SELECT * FROM userseg_describe_segments('report_seg', 'seg', ARRAY['posts'], top => 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_describe_segments('report_seg', 'seg', ARRAY['posts'], top => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_describe_segments('report_seg', 'seg', ARRAY['posts'], ARRAY['country']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_describe_segments('report_seg', 'platform', ARRAY['posts']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_describe_segments('report_seg', 'seg', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_describe_segments('report_seg', 'seg', ARRAY['posts'],
                                        ARRAY['platform', 'platform']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_describe_segments('report_seg', 'seg', ARRAY['posts', 'platform'],
                                        ARRAY['platform']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_describe_segments('report_seg', 'seg', ARRAY[['posts']]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_describe_segments('report_seg', 'seg', ARRAY['posts'],
                                        ARRAY[['platform'], ['premium']]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_describe_segments('report_seg', 'seg', ARRAY['posts'],
                                        ARRAY['platform', NULL]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_describe_segments('report_seg', NULL, ARRAY['posts']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_describe_segments(NULL, 'seg', ARRAY['posts']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_describe_segments('report_seg', 'dominant_emotion', ARRAY['posts']);
\echo :LAST_ERROR_SQLSTATE
-- values too large for float8 arithmetic
CREATE TABLE report_seg_huge (seg int, usage float8);
INSERT INTO report_seg_huge VALUES (0, 1e308), (0, -1e308), (1, 1), (1, 2);
SELECT * FROM userseg_describe_segments('report_seg_huge', 'seg', ARRAY['usage']);
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE report_seg_empty (seg int, posts int, platform text);
SELECT * FROM userseg_describe_segments('report_seg_empty', 'seg', ARRAY['posts'],
                                        ARRAY['platform']);
\echo :LAST_ERROR_SQLSTATE
CREATE ROLE report_seg_reader;
GRANT SELECT (seg, posts) ON report_seg TO report_seg_reader;
SET ROLE report_seg_reader;
SELECT * FROM userseg_describe_segments('report_seg', 'seg', ARRAY['posts'], ARRAY['platform']);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE ALL ON report_seg FROM report_seg_reader;
DROP ROLE report_seg_reader;
