-- Sample users: determinism, shape, categories, NULLs, ranges, errors
SET extra_float_digits = 0;

-- a few rows with a fixed seed
SELECT * FROM userseg_sample_users(8, 42);

-- the same n and seed give the same rows (both ways), another seed other rows
SELECT count(*) AS differing FROM (
  (SELECT * FROM userseg_sample_users(10000, 42)
   EXCEPT ALL SELECT * FROM userseg_sample_users(10000, 42))
  UNION ALL
  (SELECT * FROM userseg_sample_users(10000, 42)
   EXCEPT ALL SELECT * FROM userseg_sample_users(10000, 42))) d;
SELECT count(*) > 9000 AS mostly_different FROM (
  SELECT * FROM userseg_sample_users(10000, 42)
  EXCEPT ALL SELECT * FROM userseg_sample_users(10000, 43)) d;
-- the default seed is 0
SELECT count(*) AS differing FROM (
  SELECT * FROM userseg_sample_users(1000)
  EXCEPT ALL SELECT * FROM userseg_sample_users(1000, 0)) d;

-- prefix: the first 100 rows of 10,000 are the 100-row sample
SELECT count(*) AS differing FROM (
  SELECT * FROM userseg_sample_users(100, 7)
  EXCEPT ALL SELECT * FROM userseg_sample_users(10000, 7) WHERE user_id <= 100) d;

-- counts and ids 1..n
SELECT count(*), count(DISTINCT user_id), min(user_id), max(user_id)
FROM userseg_sample_users(10000, 1);
SELECT count(*) FROM userseg_sample_users(1, 1);

-- category sets
SELECT gender, count(*) FROM userseg_sample_users(10000, 1) GROUP BY 1 ORDER BY 1;
SELECT platform, count(*) FROM userseg_sample_users(10000, 1) GROUP BY 1 ORDER BY 1;
SELECT dominant_emotion, count(*) FROM userseg_sample_users(10000, 1) GROUP BY 1 ORDER BY 1;

-- NULLs: a few in age, messages_sent_per_day and dominant_emotion, none elsewhere
SELECT count(*) FILTER (WHERE age IS NULL) AS age_nulls,
       count(*) FILTER (WHERE messages_sent_per_day IS NULL) AS messages_nulls,
       count(*) FILTER (WHERE dominant_emotion IS NULL) AS emotion_nulls,
       count(*) FILTER (WHERE user_id IS NULL OR gender IS NULL OR platform IS NULL
                          OR daily_usage_minutes IS NULL OR posts_per_day IS NULL
                          OR likes_received_per_day IS NULL
                          OR comments_received_per_day IS NULL) AS other_nulls
FROM userseg_sample_users(10000, 1);
SELECT count(*) FILTER (WHERE age IS NULL) BETWEEN 10 AND 100 AS age_nulls_ok,
       count(*) FILTER (WHERE messages_sent_per_day IS NULL) BETWEEN 10 AND 100 AS messages_nulls_ok,
       count(*) FILTER (WHERE dominant_emotion IS NULL) BETWEEN 10 AND 100 AS emotion_nulls_ok
FROM userseg_sample_users(10000, 2);

-- ranges: age 21..35, usage 10..1440 minutes, counts non-negative
SELECT min(age), max(age),
       min(daily_usage_minutes) >= 10 AS usage_min_ok,
       max(daily_usage_minutes) <= 1440 AS usage_max_ok,
       min(least(posts_per_day, likes_received_per_day, comments_received_per_day,
                 messages_sent_per_day)) >= 0 AS counts_ok
FROM userseg_sample_users(100000, 3);

-- outliers: rare rows far above the bulk (usage over 720 minutes only for them)
SELECT count(*) FILTER (WHERE daily_usage_minutes > 720) BETWEEN 20 AND 200 AS rare_heavy_users,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY daily_usage_minutes) BETWEEN 60 AND 130
         AS median_usage_ok
FROM userseg_sample_users(100000, 3);

-- structure: activity columns rise together; platforms and emotions differ
SELECT corr(daily_usage_minutes, likes_received_per_day) > 0.5 AS usage_likes,
       corr(posts_per_day, likes_received_per_day) > 0.5 AS posts_likes,
       corr(likes_received_per_day, comments_received_per_day) > 0.5 AS likes_comments,
       corr(daily_usage_minutes, messages_sent_per_day) > 0.2 AS usage_messages,
       corr(age, posts_per_day) < 0 AS age_posts
FROM userseg_sample_users(10000, 4);
SELECT platform, round(avg(daily_usage_minutes)) AS usage,
       round(avg(likes_received_per_day)) AS likes,
       round(avg(messages_sent_per_day)) AS messages,
       round(avg(age), 1) AS age
FROM userseg_sample_users(10000, 4) GROUP BY 1 ORDER BY 2 DESC;

-- NULL arguments: no rows (STRICT)
SELECT count(*) FROM userseg_sample_users(NULL);
SELECT count(*) FROM userseg_sample_users(10, NULL);

-- the planner knows the row count of a constant n
EXPLAIN (COSTS ON) SELECT * FROM userseg_sample_users(12345, 1);

-- in a select list
SELECT (userseg_sample_users(2, 42)).user_id;

-- errors: n outside [1, 100000000] is 22023
SELECT * FROM userseg_sample_users(0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_sample_users(-5, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_sample_users(100000001, 1);
\echo :LAST_ERROR_SQLSTATE
