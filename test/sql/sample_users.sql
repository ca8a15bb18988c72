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

-- spread: 1 (the default) gives the default rows, bit for bit
SELECT count(*) AS differing FROM (
  (SELECT * FROM userseg_sample_users(10000, 42)
   EXCEPT ALL SELECT * FROM userseg_sample_users(10000, 42, 1.0))
  UNION ALL
  (SELECT * FROM userseg_sample_users(10000, 42, 1.0)
   EXCEPT ALL SELECT * FROM userseg_sample_users(10000, 42))) d;
SELECT * FROM userseg_sample_users(8, 42, spread => 0.1);

-- a smaller spread: deterministic, the same prefix property, other activity values
SELECT count(*) AS differing FROM (
  (SELECT * FROM userseg_sample_users(5000, 42, 0.1)
   EXCEPT ALL SELECT * FROM userseg_sample_users(5000, 42, 0.1))
  UNION ALL
  (SELECT * FROM userseg_sample_users(5000, 42, 0.1)
   EXCEPT ALL SELECT * FROM userseg_sample_users(5000, 42, 0.1))) d;
SELECT count(*) AS differing FROM (
  SELECT * FROM userseg_sample_users(100, 7, 0.3)
  EXCEPT ALL SELECT * FROM userseg_sample_users(5000, 7, 0.3) WHERE user_id <= 100) d;
SELECT count(*) > 4000 AS mostly_different FROM (
  SELECT * FROM userseg_sample_users(5000, 42, 0.1)
  EXCEPT ALL SELECT * FROM userseg_sample_users(5000, 42)) d;

-- spread moves the numeric draws only: the categories stay (drawn first), the NULLs
-- keep their rates
SELECT count(*) AS rows,
       count(*) FILTER (WHERE a.gender <> b.gender OR a.platform <> b.platform
                           OR a.dominant_emotion <> b.dominant_emotion) AS categories_differing,
       count(*) FILTER (WHERE b.age IS NULL) BETWEEN 10 AND 100 AS age_nulls_ok,
       count(*) FILTER (WHERE b.messages_sent_per_day IS NULL) BETWEEN 10 AND 100 AS messages_nulls_ok
FROM userseg_sample_users(10000, 5) a JOIN userseg_sample_users(10000, 5, 0.2) b USING (user_id);

-- the latent segments: shares near the documented weights, ids 1..n
SELECT latent_segment, count(*) FROM userseg_sample_segments(10000, 1) GROUP BY 1 ORDER BY 1;
SELECT count(*), count(DISTINCT user_id), min(user_id), max(user_id)
FROM userseg_sample_segments(10000, 1);
SELECT * FROM userseg_sample_segments(8, 42);
-- deterministic, with the prefix property, and the same for every spread
SELECT count(*) AS differing FROM (
  SELECT * FROM userseg_sample_segments(100, 7)
  EXCEPT ALL SELECT * FROM userseg_sample_segments(10000, 7, 1.0) WHERE user_id <= 100) d;
SELECT count(*) AS differing FROM (
  (SELECT * FROM userseg_sample_segments(10000, 7)
   EXCEPT ALL SELECT * FROM userseg_sample_segments(10000, 7, 0.1))
  UNION ALL
  (SELECT * FROM userseg_sample_segments(10000, 7, 0.1)
   EXCEPT ALL SELECT * FROM userseg_sample_segments(10000, 7))) d;
SELECT count(*) > 6000 AS mostly_different FROM (
  SELECT * FROM userseg_sample_segments(10000, 7)
  EXCEPT ALL SELECT * FROM userseg_sample_segments(10000, 8)) d;

-- the segments are the users' own: LinkedIn marks the professionals, Twitter the
-- debaters; a small spread shrinks each segment's spread of log usage and age
SELECT s.latent_segment, round(avg(u.daily_usage_minutes)) AS usage, round(avg(u.age), 1) AS age,
       round(100.0 * count(*) FILTER (WHERE u.platform = 'LinkedIn') / count(*)) AS linkedin_pct,
       round(100.0 * count(*) FILTER (WHERE u.platform = 'Twitter') / count(*)) AS twitter_pct
FROM userseg_sample_users(10000, 3) u JOIN userseg_sample_segments(10000, 3) s USING (user_id)
GROUP BY 1 ORDER BY 1;
SELECT s.latent_segment,
       round(stddev(ln(u1.daily_usage_minutes))::numeric, 2) AS sd_log_usage_1,
       round(stddev(ln(u2.daily_usage_minutes))::numeric, 2) AS sd_log_usage_01,
       stddev(u2.age) < 0.6 * stddev(u1.age) AS age_tighter,
       stddev(ln(1 + u2.likes_received_per_day)) < 0.5 * stddev(ln(1 + u1.likes_received_per_day))
         AS likes_tighter
FROM userseg_sample_segments(10000, 3) s
JOIN userseg_sample_users(10000, 3) u1 USING (user_id)
JOIN userseg_sample_users(10000, 3, 0.1) u2 USING (user_id)
WHERE u1.daily_usage_minutes <= 720
GROUP BY 1 ORDER BY 1;

-- NULL arguments: no rows (STRICT)
SELECT count(*) FROM userseg_sample_users(10, 1, NULL);
SELECT count(*) FROM userseg_sample_segments(NULL);
SELECT count(*) FROM userseg_sample_segments(10, 1, NULL);

-- the planner knows the row count of the segments too
EXPLAIN (COSTS ON) SELECT * FROM userseg_sample_segments(54321, 1);

-- errors: spread outside (0, 1] or not a number is 22023, for both functions
SELECT * FROM userseg_sample_users(10, 1, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_sample_users(10, 1, -0.5);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_sample_users(10, 1, 1.5);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_sample_users(10, 1, 'NaN');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_sample_users(10, 1, 'Infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_sample_segments(10, 1, '-Infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_sample_segments(10, 1, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_sample_segments(0);
\echo :LAST_ERROR_SQLSTATE

-- the adjusted Rand index: 1 for the same partition renumbered, -0.5 for the
-- discordant case, 0 for one group against singletons; NULLs left out; no row, NULL
SELECT userseg_adjusted_rand_score(t, p) AS same,
       userseg_adjusted_rand_score(t, q) AS discordant,
       userseg_adjusted_rand_score('x', r) AS singletons,
       userseg_adjusted_rand_score(t::bigint, p) AS same_bigint
FROM (VALUES ('0', 1, 0, 0), ('0', 1, 1, 1), ('1', 0, 0, 2), ('1', 0, 1, 3), (NULL, 7, 7, NULL))
     v(t, p, q, r);
SELECT userseg_adjusted_rand_score(t, p) FROM (VALUES ('a', 1)) v(t, p) WHERE false;
-- noise (-1) is a label like any other; FILTER leaves it out
SELECT round(userseg_adjusted_rand_score(t, p)::numeric, 6) AS noise_counted,
       userseg_adjusted_rand_score(t, p) FILTER (WHERE p <> -1) AS noise_left_out
FROM (VALUES ('a', 0), ('a', 0), ('a', -1), ('b', 1), ('b', 1), ('b', -1)) v(t, p);

-- the latent segments against labels derived from them, and against the platform
SELECT userseg_adjusted_rand_score(s.latent_segment,
         CASE s.latent_segment WHEN 'creators' THEN 4 WHEN 'scrollers' THEN 0 ELSE 9 END)
         < 0.9 AS merged_segments_lower,
       userseg_adjusted_rand_score(s.latent_segment, length(s.latent_segment)) AS by_name_length,
       userseg_adjusted_rand_score(s.latent_segment, hashtext(u.platform)) BETWEEN 0.05 AND 0.5
         AS platform_informative
FROM userseg_sample_segments(5000, 11, 0.1) s JOIN userseg_sample_users(5000, 11, 0.1) u USING (user_id);

-- K-Means on well-separated users finds the latent segments
CREATE TABLE sep_users AS
SELECT u.user_id, u.age, ln(1 + u.daily_usage_minutes) AS log_minutes,
       ln(1 + u.posts_per_day) AS log_posts, ln(1 + u.likes_received_per_day) AS log_likes,
       ln(1 + u.comments_received_per_day) AS log_comments,
       ln(1 + u.messages_sent_per_day) AS log_messages, s.latent_segment
FROM userseg_sample_users(3000, 42, 0.1) u JOIN userseg_sample_segments(3000, 42, 0.1) s USING (user_id);
SET client_min_messages = warning;
SELECT k, rows_used FROM userseg_kmeans('sep_users', ARRAY['age', 'log_minutes', 'log_posts',
  'log_likes', 'log_comments', 'log_messages'], 6, seed => 1, label_column => 'kmeans',
  id_column => 'user_id');
RESET client_min_messages;
SELECT userseg_adjusted_rand_score(latent_segment, kmeans) > 0.95 AS kmeans_finds_them,
       count(*) FILTER (WHERE kmeans IS NULL) AS unlabelled
FROM sep_users;
DROP TABLE sep_users;
