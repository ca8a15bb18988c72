-- Every entry point works with the extension's schema off the search_path: the SQL
-- bodies qualify what they call.
CREATE TABLE public.nsp_users AS SELECT * FROM public.userseg_sample_users(600, 3);
SET search_path = pg_catalog;
SELECT count(*) FROM public.userseg_describe('public.nsp_users', ARRAY['age', 'platform']);
SELECT (public.userseg_scaler_fit(ARRAY[daily_usage_minutes]::float8[], 'robust')).method
FROM public.nsp_users;
SELECT count(*) AS labelled
FROM (SELECT public.userseg_kmeans(ARRAY[daily_usage_minutes, posts_per_day]::float8[], 3, 1)
               OVER () AS l
      FROM public.nsp_users) x
WHERE l IS NOT NULL;
SELECT k, rows_used FROM public.userseg_kmeans('public.nsp_users',
    ARRAY['daily_usage_minutes', 'posts_per_day'], 3, seed => 1,
    label_column => 'segment', model => 'nsp');
SELECT public.userseg_predict('nsp', ARRAY[100, 3]::float8[]) IS NOT NULL AS predicted;
SELECT public.userseg_silhouette(ARRAY[daily_usage_minutes]::float8[], segment) > 0 AS scored
FROM public.nsp_users;
SELECT count(*) FROM public.userseg_profile('public.nsp_users', 'segment',
    ARRAY['daily_usage_minutes']);
SELECT count(*) FROM public.userseg_crosstab('public.nsp_users', 'segment', 'platform');
SELECT count(*) FROM public.userseg_describe_segments('public.nsp_users', 'segment',
    ARRAY['daily_usage_minutes', 'posts_per_day'], ARRAY['platform']);
SELECT count(*) FROM public.userseg_kmeans_sweep('public.nsp_users',
    ARRAY['daily_usage_minutes', 'posts_per_day'], 2, 4, n_init => 2);
SELECT algorithm FROM public.userseg_compare('public.nsp_users',
    ARRAY['daily_usage_minutes', 'posts_per_day'], 3);
RESET search_path;
DELETE FROM userseg_models WHERE name = 'nsp';
DROP TABLE nsp_users;
