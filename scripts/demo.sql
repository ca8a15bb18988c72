-- userseg demo: generated users, then each segmentation step that exists.
-- Run by scripts/demo (psql -v users=N); connects to the maintenance database first.
\set ON_ERROR_STOP on
\if :{?users}
\else
\set users 100000
\endif
\pset pager off
\pset null '(null)'
\pset footer off
\pset linestyle unicode
\pset border 1

SET client_min_messages = warning;
DROP DATABASE IF EXISTS userseg_demo;
CREATE DATABASE userseg_demo;
\connect userseg_demo
SET client_min_messages = warning;
CREATE EXTENSION userseg;

------------------------------------------------------------------------------
-- 1. Sample users
------------------------------------------------------------------------------
SELECT format('== 1. Sample users: %s rows from userseg_sample_users(%s, 42) ==',
              to_char(:users, 'FM999,999,999'), :users) AS heading,
       format('Done: database userseg_demo, table users with %s rows.',
              to_char(:users, 'FM999,999,999')) AS done \gset
\echo
\echo :heading
CREATE TABLE users AS SELECT * FROM userseg_sample_users(:users, 42);
ALTER TABLE users ADD PRIMARY KEY (user_id);
ANALYZE users;

\echo
\echo 'The first users'
SELECT * FROM users ORDER BY user_id LIMIT 8;

------------------------------------------------------------------------------
-- 2. What the data looks like (plain SQL)
------------------------------------------------------------------------------
\echo
\echo '== 2. Per-column summaries =='
\echo
\echo 'Numeric columns (skewed: mean above median; a few outliers at the top; a few NULLs)'
SELECT c.col AS "column",
       count(*) AS rows,
       count(*) - count(c.v) AS nulls,
       round(avg(c.v), 1) AS mean,
       round(stddev_samp(c.v), 1) AS stddev,
       min(c.v) AS min,
       percentile_disc(0.25) WITHIN GROUP (ORDER BY c.v) AS p25,
       percentile_disc(0.50) WITHIN GROUP (ORDER BY c.v) AS median,
       percentile_disc(0.75) WITHIN GROUP (ORDER BY c.v) AS p75,
       percentile_disc(0.99) WITHIN GROUP (ORDER BY c.v) AS p99,
       max(c.v) AS max
FROM users u
CROSS JOIN LATERAL (VALUES
  (1, 'age', u.age),
  (2, 'daily_usage_minutes', u.daily_usage_minutes),
  (3, 'posts_per_day', u.posts_per_day),
  (4, 'likes_received_per_day', u.likes_received_per_day),
  (5, 'comments_received_per_day', u.comments_received_per_day),
  (6, 'messages_sent_per_day', u.messages_sent_per_day)) AS c(ord, col, v)
GROUP BY c.ord, c.col
ORDER BY c.ord;

\echo
\echo 'Categorical columns'
SELECT c.col AS "column", c.category, count(*) AS users,
       round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY c.col), 1) AS "share %"
FROM users u
CROSS JOIN LATERAL (VALUES
  (1, 'gender', u.gender),
  (2, 'platform', u.platform),
  (3, 'dominant_emotion', u.dominant_emotion)) AS c(ord, col, category)
GROUP BY c.ord, c.col, c.category
ORDER BY c.ord, users DESC;

\echo
\echo 'Activity moves together (Pearson correlation with daily usage)'
SELECT round(corr(daily_usage_minutes, posts_per_day)::numeric, 2) AS posts,
       round(corr(daily_usage_minutes, likes_received_per_day)::numeric, 2) AS likes,
       round(corr(daily_usage_minutes, comments_received_per_day)::numeric, 2) AS comments,
       round(corr(daily_usage_minutes, messages_sent_per_day)::numeric, 2) AS messages,
       round(corr(daily_usage_minutes, age)::numeric, 2) AS age
FROM users;

\echo
\echo 'By platform: hints of the segments to come'
SELECT platform, count(*) AS users,
       round(avg(daily_usage_minutes)) AS usage_min,
       round(avg(posts_per_day), 1) AS posts,
       round(avg(likes_received_per_day)) AS likes,
       round(avg(messages_sent_per_day)) AS messages,
       round(avg(age), 1) AS age
FROM users GROUP BY platform ORDER BY usage_min DESC;

\echo
\echo 'By dominant emotion'
SELECT dominant_emotion, count(*) AS users,
       round(avg(daily_usage_minutes)) AS usage_min,
       round(avg(likes_received_per_day)) AS likes,
       round(avg(comments_received_per_day)) AS comments
FROM users GROUP BY dominant_emotion ORDER BY usage_min DESC;

------------------------------------------------------------------------------
-- 3. What userseg sees: userseg_describe
------------------------------------------------------------------------------
\echo
\echo '== 3. What userseg sees: userseg_describe (one row per encoded column) =='
SELECT column_name, category, type, rows, nulls,
       round(mean::numeric, 3) AS mean, round(stddev::numeric, 3) AS stddev,
       round(min::numeric, 2) AS min, round(max::numeric, 2) AS max
FROM userseg_describe('users', ARRAY['age', 'daily_usage_minutes', 'posts_per_day',
       'likes_received_per_day', 'comments_received_per_day', 'messages_sent_per_day',
       'gender', 'platform', 'dominant_emotion']);

------------------------------------------------------------------------------
-- 4. Scaling
------------------------------------------------------------------------------
\echo
\echo '== 4. Scaling =='
\echo
\echo 'A scaler fitted with the userseg_scaler_fit aggregate and stored (z-score, as StandardScaler)'
CREATE TABLE scalers AS
SELECT 'activity'::text AS name,
       userseg_scaler_fit(ARRAY[daily_usage_minutes, posts_per_day, likes_received_per_day,
                                comments_received_per_day]::float8[], 'zscore') AS scaler
FROM users;
SELECT name, (scaler).method, (scaler).n,
       (SELECT array_agg(round(c::numeric, 2)) FROM unnest((scaler).center) c) AS center,
       (SELECT array_agg(round(s::numeric, 2)) FROM unnest((scaler).scale) s) AS scale
FROM scalers;

\echo
\echo 'Scaled with the window form (fitted per platform with PARTITION BY) and with the stored scaler'
SELECT x.user_id, x.platform, x.minutes, x.posts,
       (SELECT array_agg(round(v::numeric, 2)) FROM unnest(x.robust) v) AS robust_within_platform,
       (SELECT array_agg(round(v::numeric, 2))
        FROM unnest(userseg_scale_apply(x.activity, s.scaler)) v) AS zscore_with_stored_scaler
FROM (SELECT user_id, platform, daily_usage_minutes AS minutes, posts_per_day AS posts,
             ARRAY[daily_usage_minutes, posts_per_day, likes_received_per_day,
                   comments_received_per_day]::float8[] AS activity,
             userseg_scale(ARRAY[daily_usage_minutes, posts_per_day]::float8[], 'robust')
               OVER (PARTITION BY platform) AS robust
      FROM users) x
JOIN scalers s ON s.name = 'activity'
WHERE x.user_id <= 6
ORDER BY x.user_id;

------------------------------------------------------------------------------
-- 5. Choosing k and scoring
------------------------------------------------------------------------------
-- >>> DEMO STEP (metrics / k sweep): silhouette, Calinski-Harabasz, Davies-Bouldin and
--     inertia of candidate labellings; userseg_kmeans_sweep(...) goes here.

------------------------------------------------------------------------------
-- 6. K-Means segmentation
------------------------------------------------------------------------------
-- >>> DEMO STEP (K-Means): userseg_kmeans('users', ARRAY[...], k, seed => 42,
--     label_column => 'segment', model => 'demo') goes here: labels written, model
--     saved, silhouette and inertia shown.

------------------------------------------------------------------------------
-- 7. Understanding the segments
------------------------------------------------------------------------------
-- >>> DEMO STEP (profiles and reports): userseg_profile, userseg_crosstab by platform
--     and by dominant_emotion, userseg_describe_segments, userseg_compare go here.

------------------------------------------------------------------------------
-- 8. New users
------------------------------------------------------------------------------
-- >>> DEMO STEP (predict): userseg_predict('demo', ...) for a few new users, e.g.
--     SELECT * FROM userseg_sample_users(5, 4242), goes here.

\echo
\echo :done
