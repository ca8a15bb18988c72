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
\set features 'ARRAY[''age'', ''daily_usage_minutes'', ''posts_per_day'', ''likes_received_per_day'', ''comments_received_per_day'', ''messages_sent_per_day'']'
\echo
\echo '== 5. Choosing k: userseg_kmeans_sweep on the six behaviour columns (z-scored) =='
\echo '   (silhouette sampled on 10,000 rows above that size; best = highest silhouette;'
\echo '    elbow = where the inertia curve bends)'
SELECT k, round(inertia::numeric) AS inertia, round(silhouette::numeric, 4) AS silhouette,
       round(calinski_harabasz::numeric, 1) AS calinski_harabasz,
       round(davies_bouldin::numeric, 4) AS davies_bouldin, best, elbow
FROM userseg_kmeans_sweep('users', :features, 2, 8, seed => 42, n_init => 4);

------------------------------------------------------------------------------
-- 6. K-Means segmentation
------------------------------------------------------------------------------
\echo
\echo '== 6. K-Means: labels written into users.segment, model ''demo'' saved =='
SELECT model, k, rows_used, rows_skipped, iterations, round(inertia::numeric) AS inertia,
       round(silhouette::numeric, 4) AS silhouette, silhouette_sampled
FROM userseg_kmeans('users', :features, 6, seed => 42, nulls => 'impute',
                    label_column => 'segment', model => 'demo', id_column => 'user_id');

\echo
\echo 'Segment sizes (0 = largest)'
SELECT segment, count(*) AS users, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS "share %"
FROM users GROUP BY segment ORDER BY segment;

\echo
\echo 'The labels scored with the metric aggregates on the same z-scored, mean-imputed features'
SELECT round(userseg_silhouette(f, segment, 10000, 42)::numeric, 4) AS silhouette_sampled,
       round(userseg_calinski_harabasz(f, segment)::numeric, 1) AS calinski_harabasz,
       round(userseg_davies_bouldin(f, segment)::numeric, 4) AS davies_bouldin,
       round(userseg_inertia(f, segment)::numeric) AS inertia
FROM (SELECT segment,
             userseg_scale(ARRAY[coalesce(u.age, a.age), daily_usage_minutes, posts_per_day,
                                 likes_received_per_day, comments_received_per_day,
                                 coalesce(messages_sent_per_day, a.messages)]::float8[]) OVER () AS f
      FROM users u,
           (SELECT avg(age) AS age, avg(messages_sent_per_day) AS messages FROM users) a) x;

\echo
\echo 'The saved model: centroids in original units'
SELECT c.segment, (SELECT array_agg(round(v::numeric, 1))
                   FROM unnest(m.centroids_original[c.segment + 1:c.segment + 1][:]) v) AS centroid
FROM userseg_models m, generate_series(0, array_length(m.centroids_original, 1) - 1) AS c(segment)
WHERE m.name = 'demo'
ORDER BY c.segment;

\echo
\echo 'Refitting under the same name keeps segment numbers matched to the nearest previous centroid'
SELECT k, round(inertia::numeric) AS inertia FROM userseg_kmeans('users', :features, 6, seed => 7,
       nulls => 'impute', label_column => 'segment_refit', model => 'demo', id_column => 'user_id');
SELECT count(*) FILTER (WHERE segment = segment_refit) AS same_segment,
       count(*) FILTER (WHERE segment <> segment_refit) AS moved
FROM users;

------------------------------------------------------------------------------
-- 7. Understanding the segments
------------------------------------------------------------------------------
\echo
\echo '== 7. Segment profiles: means in original units, z = (mean - overall) / overall sd =='
SELECT cluster AS segment, feature, n, round(mean::numeric, 1) AS mean,
       round(overall_mean::numeric, 1) AS overall, round(z::numeric, 2) AS z
FROM userseg_profile('users', 'segment', :features)
WHERE abs(z) >= 0.5
ORDER BY cluster, abs(z) DESC;

\echo
\echo 'Platform mix per segment (lift = share in segment / share overall; top 2 per segment)'
SELECT cluster AS segment, category AS platform, n,
       round((100 * share_in_cluster)::numeric, 1) AS "in segment %",
       round((100 * share_overall)::numeric, 1) AS "overall %", round(lift::numeric, 2) AS lift
FROM (SELECT *, row_number() OVER (PARTITION BY cluster ORDER BY lift DESC) AS r
      FROM userseg_crosstab('users', 'segment', 'platform')) x
WHERE r <= 2 ORDER BY cluster, lift DESC;

\echo
\echo 'Dominant emotion per segment (top 2 by lift)'
SELECT cluster AS segment, coalesce(category, '(none)') AS emotion, n,
       round((100 * share_in_cluster)::numeric, 1) AS "in segment %", round(lift::numeric, 2) AS lift
FROM (SELECT *, row_number() OVER (PARTITION BY cluster ORDER BY lift DESC) AS r
      FROM userseg_crosstab('users', 'segment', 'dominant_emotion')) x
WHERE r <= 2 ORDER BY cluster, lift DESC;

\echo
\echo 'Each segment in one sentence'
SELECT cluster AS segment, description
FROM userseg_describe_segments('users', 'segment', :features,
                               ARRAY['platform', 'dominant_emotion', 'gender']);

\echo
\echo 'Comparing the five algorithms on the same scaled data, on a sample of 5,000 users'
\echo '(agglomerative and spectral clustering take O(n^2) time, the dense rbf affinity O(n^2) memory;'
\echo ' DBSCAN with scikit-learn''s default eps 0.5; params tunes each algorithm)'
CREATE VIEW users_sample AS SELECT * FROM users WHERE user_id % 20 = 0;
SELECT algorithm, n_clusters, noise, round(silhouette::numeric, 4) AS silhouette,
       round(calinski_harabasz::numeric, 1) AS calinski_harabasz,
       round(davies_bouldin::numeric, 4) AS davies_bouldin, round(inertia::numeric) AS inertia,
       round(elapsed_ms::numeric) AS ms, note
FROM userseg_compare('users_sample', :features, 6, seed => 42, nulls => 'impute');

------------------------------------------------------------------------------
-- 7b. Density: DBSCAN next to K-Means
------------------------------------------------------------------------------
-- The behaviour counts are right-skewed: DBSCAN runs on their logarithms (a view),
-- z-scored, where dense regions show; eps from the k-distances of userseg_dbscan_eps.
\set dbscan_features 'ARRAY[''age'', ''log_minutes'', ''log_posts'', ''log_likes'', ''log_comments'', ''log_messages'']'
\set dbscan_eps 0.6
\set dbscan_min_samples 10
CREATE VIEW users_log AS
SELECT user_id, age, ln(1 + daily_usage_minutes) AS log_minutes, ln(1 + posts_per_day) AS log_posts,
       ln(1 + likes_received_per_day) AS log_likes, ln(1 + comments_received_per_day) AS log_comments,
       ln(1 + messages_sent_per_day) AS log_messages, segment
FROM users;

\echo
\echo '== 7b. DBSCAN on the log-scaled behaviour (z-scored): which eps? =='
\echo '   (distance of each user to the 10th nearest, by quantile: eps near the median keeps most users in dense regions)'
SELECT quantile, round(k_distance::numeric, 3) AS k_distance
FROM userseg_dbscan_eps('users_log', :dbscan_features, :dbscan_min_samples, nulls => 'impute');

\echo
\echo 'DBSCAN with eps 0.6, min_samples 10: labels into users.dbscan_segment (-1 = noise), model ''demo_dbscan'' saved'
CREATE VIEW users_log_sample AS SELECT * FROM users_log WHERE user_id % 20 = 0;
CREATE TABLE users_dbscan AS SELECT * FROM users_log;
ALTER TABLE users_dbscan ADD PRIMARY KEY (user_id);
SELECT n_clusters, rows_used, core_rows, noise, round(silhouette::numeric, 4) AS silhouette,
       silhouette_sampled, round(elapsed_ms::numeric) AS ms
FROM userseg_dbscan('users_dbscan', :dbscan_features, :dbscan_eps, :dbscan_min_samples,
                    label_column => 'dbscan_segment', nulls => 'impute', id_column => 'user_id',
                    model => 'demo_dbscan');

\echo
\echo 'DBSCAN segment sizes (-1 = noise)'
SELECT dbscan_segment, count(*) AS users,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS "share %"
FROM users_dbscan GROUP BY dbscan_segment ORDER BY dbscan_segment;

\echo
\echo 'Where the K-Means segments went (rows: K-Means segment; columns: DBSCAN segment, top 3 by users)'
SELECT segment AS kmeans_segment, dbscan_segment, users,
       round(100.0 * users / sum(users) OVER (PARTITION BY segment), 1) AS "of the K-Means segment %"
FROM (SELECT segment, dbscan_segment, count(*) AS users,
             row_number() OVER (PARTITION BY segment ORDER BY count(*) DESC) AS r
      FROM users_dbscan GROUP BY segment, dbscan_segment) x
WHERE r <= 3 ORDER BY segment, users DESC;

\echo
\echo 'Each DBSCAN segment in one sentence (the noise named as such)'
SELECT cluster AS dbscan_segment, description
FROM userseg_describe_segments('users_dbscan', 'dbscan_segment', :dbscan_features);

\echo
\echo 'The comparison with DBSCAN''s eps and min_samples from params, and Mean Shift with bin seeding, on the same log-scaled features (5,000 users)'
SELECT algorithm, n_clusters, noise, round(silhouette::numeric, 4) AS silhouette,
       round(calinski_harabasz::numeric, 1) AS calinski_harabasz,
       round(davies_bouldin::numeric, 4) AS davies_bouldin, round(elapsed_ms::numeric) AS ms, note
FROM userseg_compare('users_log_sample', :dbscan_features, 6, seed => 42, nulls => 'impute',
                     params => '{"dbscan": {"eps": 0.6, "min_samples": 10},
                                 "meanshift": {"bin_seeding": true}}');

------------------------------------------------------------------------------
-- 7c. Mean Shift: the number of segments is found, not given
------------------------------------------------------------------------------
\echo
\echo 'Mean Shift on the same log-scaled features: bin seeding, the bandwidth estimated on 2,000 sampled users'
SELECT n_clusters, rows_used, seeds, n_iter, round(bandwidth::numeric, 4) AS bandwidth,
       bandwidth_estimated, round(silhouette::numeric, 4) AS silhouette, round(elapsed_ms::numeric) AS ms
FROM userseg_meanshift('users_dbscan', :dbscan_features, bin_seeding => true, n_samples => 2000,
                       seed => 42, label_column => 'meanshift_segment', model => 'users_meanshift',
                       nulls => 'impute');

\echo
\echo 'Each Mean Shift segment in one sentence'
SELECT cluster AS meanshift_segment, description
FROM userseg_describe_segments('users_dbscan', 'meanshift_segment', :dbscan_features);

------------------------------------------------------------------------------
-- 7d. The truth known: well-separated segments found by density
------------------------------------------------------------------------------
-- On the default rows the six latent segments overlap, so density methods find few
-- groups (7b, 7c).  spread => 0.1 shrinks each segment around its centres; the latent
-- segment of every user comes from userseg_sample_segments (same n, seed, spread), and
-- each algorithm's labels are scored against it with the adjusted Rand index (1 = the
-- same partition up to renumbering, about 0 = chance).  20,000 users (fewer if the demo
-- has fewer); users with a NULL age or messages count (about 1%) are skipped and get
-- no label.
SELECT least(:users, 20000) AS sep_users \gset
\set sep_spread 0.1
CREATE TABLE users_separated AS
SELECT u.user_id, u.age, ln(1 + u.daily_usage_minutes) AS log_minutes,
       ln(1 + u.posts_per_day) AS log_posts, ln(1 + u.likes_received_per_day) AS log_likes,
       ln(1 + u.comments_received_per_day) AS log_comments,
       ln(1 + u.messages_sent_per_day) AS log_messages, s.latent_segment
FROM userseg_sample_users(:sep_users, 42, :sep_spread) u
JOIN userseg_sample_segments(:sep_users, 42, :sep_spread) s USING (user_id);
ALTER TABLE users_separated ADD PRIMARY KEY (user_id);

SELECT format('== 7d. The truth known: %s users from userseg_sample_users(%s, 42, spread => %s) ==',
              to_char(count(*), 'FM999,999,999'), count(*), :sep_spread) AS heading
FROM users_separated \gset
\echo
\echo :heading
\echo '   (the same log-scaled features, z-scored; the latent segment of each user from userseg_sample_segments;'
\echo '    the users with a NULL age or messages count, about 1%, are skipped)'
\echo
\echo 'Which eps? The distance to the 10th nearest user, by quantile: inside a segment users are close,'
\echo 'between segments far apart, so an eps well above the 0.99 quantile joins each segment and no two'
SELECT quantile, round(k_distance::numeric, 3) AS k_distance
FROM userseg_dbscan_eps('users_separated', :dbscan_features, :dbscan_min_samples);

\echo
\echo 'DBSCAN with eps 0.8, min_samples 10: labels into users_separated.dbscan_segment'
SELECT n_clusters, rows_used, rows_skipped, core_rows, noise, round(elapsed_ms::numeric) AS ms
FROM userseg_dbscan('users_separated', :dbscan_features, 0.8, :dbscan_min_samples,
                    label_column => 'dbscan_segment', id_column => 'user_id');

\echo
\echo 'Mean Shift with bin seeding (bins of at least 20 users), the bandwidth estimated with quantile 0.15'
SELECT n_clusters, rows_used, seeds, round(bandwidth::numeric, 4) AS bandwidth,
       round(elapsed_ms::numeric) AS ms
FROM userseg_meanshift('users_separated', :dbscan_features, bin_seeding => true, min_bin_freq => 20,
                       quantile => 0.15, n_samples => 2000, seed => 42,
                       label_column => 'meanshift_segment', id_column => 'user_id');

\echo
\echo 'K-Means with k = 6, for comparison'
SELECT k, rows_used, round(silhouette::numeric, 4) AS silhouette, round(elapsed_ms::numeric) AS ms
FROM userseg_kmeans('users_separated', :dbscan_features, 6, seed => 42,
                    label_column => 'kmeans_segment', id_column => 'user_id');

\echo
\echo 'Each latent segment and where it went: the segment holding most of its users (and the share %)'
CREATE VIEW users_separated_found AS
SELECT latent_segment, algorithm, label
FROM users_separated,
     LATERAL (VALUES ('K-Means', kmeans_segment), ('DBSCAN', dbscan_segment),
                     ('Mean Shift', meanshift_segment)) v(algorithm, label)
WHERE kmeans_segment IS NOT NULL;
SELECT latent_segment, max(users) AS users,
       max(found) FILTER (WHERE algorithm = 'K-Means') AS kmeans,
       max(found) FILTER (WHERE algorithm = 'DBSCAN') AS dbscan,
       max(found) FILTER (WHERE algorithm = 'Mean Shift') AS meanshift,
       max(noise) FILTER (WHERE algorithm = 'DBSCAN') AS dbscan_noise
FROM (SELECT latent_segment, algorithm, sum(count(*)) OVER w AS users,
             format('%s (%s%%)', label, round(100.0 * count(*) / sum(count(*)) OVER w, 1)) AS found,
             sum(count(*) FILTER (WHERE label = -1)) OVER w AS noise,
             row_number() OVER (PARTITION BY latent_segment, algorithm
                                ORDER BY count(*) DESC, label) AS r
      FROM users_separated_found GROUP BY latent_segment, algorithm, label
      WINDOW w AS (PARTITION BY latent_segment, algorithm)) x
WHERE r = 1 GROUP BY latent_segment ORDER BY latent_segment;

\echo
\echo 'Agreement with the latent segments: the adjusted Rand index (DBSCAN''s noise counted as one more group)'
SELECT algorithm, count(DISTINCT label) FILTER (WHERE label >= 0) AS segments_found,
       count(*) FILTER (WHERE label = -1) AS noise,
       round(userseg_adjusted_rand_score(latent_segment, label)::numeric, 4) AS adjusted_rand
FROM users_separated_found GROUP BY algorithm
ORDER BY array_position(ARRAY['K-Means', 'DBSCAN', 'Mean Shift'], algorithm);

------------------------------------------------------------------------------
-- 8. New users
------------------------------------------------------------------------------
\echo
\echo '== 8. New users labelled with the saved model (userseg_predict on a row) =='
\echo '   (the model encodes the row as the fit did: its columns by name, NULLs imputed)'
SELECT u.user_id, u.platform, u.age, u.daily_usage_minutes AS minutes,
       u.posts_per_day AS posts, u.likes_received_per_day AS likes,
       userseg_predict('demo', u) AS segment,
       userseg_predict('demo_dbscan',
                       jsonb_build_object('age', u.age,
                                          'log_minutes', ln(1 + u.daily_usage_minutes),
                                          'log_posts', ln(1 + u.posts_per_day),
                                          'log_likes', ln(1 + u.likes_received_per_day),
                                          'log_comments', ln(1 + u.comments_received_per_day),
                                          'log_messages', ln(1 + u.messages_sent_per_day)))
         AS dbscan_segment
FROM userseg_sample_users(8, 4242) u;

\echo
\echo :done
