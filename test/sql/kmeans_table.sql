-- K-Means, table form: its summary, NOTICEs, WARNINGs and errors, saved models,
-- predict from a row, stable numbering on refit, the memory budget
SET extra_float_digits = 0;

-- three groups of 30 users, with a categorical column and a few NULLs
CREATE TABLE kt_users (id int PRIMARY KEY, usage float8, posts float8, platform text,
                       plan char(6), active boolean);
INSERT INTO kt_users
SELECT g, (g % 3) * 10 + sin(g), (g % 3) * 5 + cos(g),
       (ARRAY['android', 'ios', 'web'])[g % 3 + 1],
       (ARRAY['free', 'pro'])[g % 2 + 1], g % 4 <> 0
FROM generate_series(1, 90) g;
UPDATE kt_users SET usage = NULL WHERE id IN (7, 8);

-- the summary row; the rows skipped for NULLs get a NOTICE
SELECT model, k, rows_used, rows_skipped, iterations > 0 AS iterated,
       round(inertia::numeric, 4) AS inertia, round(silhouette::numeric, 4) AS silhouette,
       silhouette_sampled
FROM userseg_kmeans('kt_users', ARRAY['usage', 'posts', 'platform'], 3, seed => 1,
                    label_column => 'seg', model => 'kt_m', id_column => 'id');
SELECT count(*) FILTER (WHERE seg IS NULL) AS unlabelled, count(DISTINCT seg) AS segments
FROM kt_users;

-- the model row: algorithm, features and their encoding, parameters
SELECT name, algorithm, features, columns, scaler, rows, owner = current_user AS mine,
       array_dims(centroids) AS centroids, array_length(sizes, 1) AS sizes
FROM userseg_models WHERE name = 'kt_m';
SELECT jsonb_pretty(encoding) FROM userseg_models WHERE name = 'kt_m';
SELECT parameters - 'iterations' AS parameters FROM userseg_models WHERE name = 'kt_m';

-- predict from the row as jsonb: the labels written, for every labelled user
SELECT count(*) AS differing FROM kt_users
WHERE seg IS NOT NULL AND userseg_predict('kt_m', to_jsonb(kt_users)) <> seg;
-- predict from the row itself: the same labels
SELECT count(*) AS differing FROM kt_users u
WHERE userseg_predict('kt_m', u) IS DISTINCT FROM userseg_predict('kt_m', to_jsonb(u));
-- any composite whose columns are named as the features; a missing column, a number of
-- another type
SELECT userseg_predict('kt_m', s) = userseg_predict('kt_m', ARRAY[20, 10, 0, 1, 0]::float8[])
  AS from_a_subquery
FROM (SELECT 20 AS usage, 10::numeric AS posts, 'ios'::varchar AS platform) s;
SELECT userseg_predict('kt_m', ROW(1, 2));
SELECT userseg_predict('kt_m', s) FROM (SELECT 'x'::text AS usage, 1 AS posts, 'ios' AS platform) s;
-- a category the fit did not see is all zeros (handle_unknown='ignore'): the label of
-- a row with every platform column 0, by the vector form
SELECT userseg_predict('kt_m', '{"usage": 20, "posts": 10, "platform": "tv"}'::jsonb) =
       userseg_predict('kt_m', ARRAY[20, 10, 0, 0, 0]::float8[]) AS unknown_is_zeros;
-- a NULL feature: the model was fitted with nulls => 'skip', so no label
SELECT userseg_predict('kt_m', '{"usage": null, "posts": 10, "platform": "ios"}'::jsonb) IS NULL
  AS null_label;
-- errors of predict: the expected columns are listed in order
SELECT userseg_predict('kt_m', ARRAY[1, 2]::float8[]);
SELECT userseg_predict('kt_m', '{"usage": 1, "posts": 2}'::jsonb);
SELECT userseg_predict('kt_m', '{"usage": 1, "posts": 2, "platform": [1]}'::jsonb);
SELECT userseg_predict('kt_nope', ARRAY[1, 2]::float8[]);

-- nulls => 'impute': the imputed values are kept in the model and used by predict
SELECT rows_used, rows_skipped
FROM userseg_kmeans('kt_users', ARRAY['usage', 'posts', 'platform'], 3, seed => 1,
                    nulls => 'impute', model => 'kt_imp', id_column => 'id');
SELECT f->>'name' AS feature, round((f->>'imputed')::numeric, 6) AS imputed
FROM userseg_models, jsonb_array_elements(encoding->'features') f
WHERE name = 'kt_imp' AND f->>'kind' = 'numeric';
SELECT round(avg(usage)::numeric, 6) AS mean_usage FROM kt_users;
SELECT userseg_predict('kt_imp', '{"usage": null, "posts": 10, "platform": "ios"}'::jsonb) =
       userseg_predict('kt_imp', jsonb_build_object('usage', (SELECT avg(usage) FROM kt_users),
                                                    'posts', 10, 'platform', 'ios')) AS imputed_mean;
-- nulls => 'error': a NULL in predict is 22004, as in the fit
UPDATE kt_users SET usage = 1 WHERE id IN (7, 8);
SELECT rows_used FROM userseg_kmeans('kt_users', ARRAY['usage', 'posts', 'plan', 'active'], 2,
                                     nulls => 'error', model => 'kt_err', id_column => 'id');
SELECT userseg_predict('kt_err', '{"usage": 1, "posts": 2, "plan": null, "active": true}'::jsonb);
-- char(n) categories without trailing blanks, booleans as the reader writes them
SELECT columns FROM userseg_models WHERE name = 'kt_err';
SELECT count(*) AS differing FROM kt_users u
WHERE userseg_predict('kt_err', u) IS DISTINCT FROM userseg_predict('kt_err', to_jsonb(u));
SELECT count(*) AS differing FROM kt_users
WHERE userseg_predict('kt_err', to_jsonb(kt_users)) IS DISTINCT FROM
      userseg_predict('kt_err', ARRAY[usage, posts, (plan = 'free')::int, (plan = 'pro')::int,
                                      (NOT active)::int, active::int]::float8[]);

-- a refit with the same k and features keeps each segment's number; with another k
-- or other features the model is replaced, with a NOTICE naming what changed
SELECT k FROM userseg_kmeans('kt_users', ARRAY['usage', 'posts', 'platform'], 3, seed => 2,
                             model => 'kt_m', id_column => 'id');
SELECT k FROM userseg_kmeans('kt_users', ARRAY['usage', 'posts', 'platform'], 4, seed => 2,
                             model => 'kt_m', id_column => 'id');
SELECT k FROM userseg_kmeans('kt_users', ARRAY['usage', 'posts'], 4, seed => 2,
                             model => 'kt_m', id_column => 'id');
SELECT features, array_dims(centroids) FROM userseg_models WHERE name = 'kt_m';

-- a run that reaches max_iter is kept, with a WARNING; fewer distinct rows than k is a
-- NOTICE
SELECT k, rows_used FROM userseg_kmeans('kt_users', ARRAY['usage', 'posts'], 5, seed => 3,
                                        n_init => 2, max_iter => 1);
CREATE TABLE kt_dup AS SELECT (g % 2)::float8 AS x FROM generate_series(1, 10) g;
SELECT k, rows_used, round(inertia::numeric, 6) AS inertia
FROM userseg_kmeans('kt_dup', ARRAY['x'], 3);

-- errors, each raised by userseg_kmeans itself (no CONTEXT of internal calls)
\set VERBOSITY default
SELECT * FROM userseg_kmeans('kt_users', ARRAY['usage', 'posts'], 0);
SELECT * FROM userseg_kmeans('kt_users', ARRAY['usage', 'posts'], 3, nulls => 'drop');
SELECT * FROM userseg_kmeans('kt_users', ARRAY['usage', 'nope'], 3);
SELECT * FROM userseg_kmeans('kt_users', ARRAY['usage', 'posts'], 3, model => repeat('x', 64));
-- a name too long for the models table's index is 22023, checked with the arguments
-- before the fit and the label write
SELECT * FROM userseg_kmeans('kt_users', ARRAY['usage', 'posts'], 2, label_column => 'seg',
                             model => repeat('x', 3000));
SELECT * FROM userseg_kmeans('kt_users', ARRAY['usage', 'posts'], 3, max_categories => 0);
SELECT * FROM userseg_kmeans('kt_users', ARRAY['usage', 'posts'], NULL);
SELECT * FROM userseg_kmeans('kt_users', ARRAY['usage', 'posts'], 3,
                             init => ARRAY[[1, 2, 3]]::float8[]);
CREATE TABLE kt_empty (x float8);
SELECT * FROM userseg_kmeans('kt_empty', ARRAY['x'], 2);

-- the memory budget covers a refit with many clusters: the k x k matching to the
-- previous centers is charged too (54000, not an allocation outside the budget)
CREATE TABLE kt_many AS
SELECT g AS id, (g * 0.6180339887) % 1 AS a, (g * 0.7548776662) % 1 AS b
FROM generate_series(1, 600) g;
SET userseg.memory_limit = '2MB';
SELECT k FROM userseg_kmeans('kt_many', ARRAY['a', 'b'], 500, n_init => 1, model => 'kt_many',
                             id_column => 'id');
SELECT k FROM userseg_kmeans('kt_many', ARRAY['a', 'b'], 500, n_init => 1, model => 'kt_many',
                             id_column => 'id', seed => 1);
\echo :LAST_ERROR_SQLSTATE
RESET userseg.memory_limit;
SELECT k FROM userseg_kmeans('kt_many', ARRAY['a', 'b'], 500, n_init => 1, model => 'kt_many',
                             id_column => 'id', seed => 1);

DELETE FROM userseg_models WHERE name LIKE 'kt\_%';
DROP TABLE kt_users, kt_dup, kt_empty, kt_many;
