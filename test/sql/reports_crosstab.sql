-- Categorical mixes per cluster: userseg_crosstab on a hand-made table.
SET extra_float_digits = 0;
-- CONTEXT lines are shown: errors read as coming from the function called, with no
-- internal call quoted
\set SHOW_CONTEXT errors

-- 8 labelled rows and one unlabelled row (left out):
--   cluster 0: Instagram, Instagram, Instagram, Twitter        (4 rows)
--   cluster 1: Twitter, Twitter, NULL                          (3 rows)
--   cluster 2: Instagram                                       (1 row)
CREATE TABLE report_mix (seg int, platform text, premium bool, posts int, joined date);
INSERT INTO report_mix VALUES
  (0, 'Instagram', true, 2, '2024-01-01'), (0, 'Instagram', true, 10, '2024-01-01'),
  (0, 'Instagram', false, 2, '2024-02-01'), (0, 'Twitter', false, 10, '2024-02-01'),
  (1, 'Twitter', false, 2, '2024-01-01'), (1, 'Twitter', false, 2, '2024-01-01'),
  (1, NULL, NULL, 2, '2024-01-01'),
  (2, 'Instagram', true, 10, '2024-02-01'),
  (NULL, 'LinkedIn', true, 2, '2024-03-01');

-- By hand: overall Instagram 4/8 = 0.5, Twitter 3/8 = 0.375, NULL 1/8 = 0.125.
--   cluster 0: Instagram 3/4 = 0.75, lift 0.75/0.5 = 1.5; Twitter 1/4, lift 0.25/0.375 = 2/3;
--              NULL 0/4, lift 0
--   cluster 1: Instagram 0, lift 0; Twitter 2/3, lift (2/3)/0.375 = 16/9 = 1.777...;
--              NULL 1/3, lift (1/3)/0.125 = 8/3 = 2.666...
--   cluster 2: Instagram 1/1, lift 2; Twitter 0; NULL 0
-- Every cluster meets every category (n = 0 where they never meet); the NULL category
-- is a row of its own, last; LinkedIn only occurs unlabelled, so it does not show.
SELECT * FROM userseg_crosstab('report_mix', 'seg', 'platform');

-- shares within each cluster add up to 1, and count over labelled rows
SELECT cluster, sum(n) AS n, sum(share_in_cluster) AS shares
FROM userseg_crosstab('report_mix', 'seg', 'platform') GROUP BY cluster ORDER BY cluster;

-- any type that casts to text: booleans, integers (ordered as text), dates
SELECT cluster, category, n, share_in_cluster, lift
FROM userseg_crosstab('report_mix', 'seg', 'premium');
SELECT cluster, category, n FROM userseg_crosstab('report_mix', 'seg', 'posts');
SELECT cluster, category, n FROM userseg_crosstab('report_mix', 'seg', 'joined');

-- the label column itself as the category: lift 1/share_overall on the diagonal
SELECT cluster, category, n, lift FROM userseg_crosstab('report_mix', 'seg', 'seg')
WHERE n > 0;

-- hostile identifiers
CREATE TABLE "report mix; ""x""" ("Seg""" int, "plat;form --" text);
INSERT INTO "report mix; ""x""" VALUES (1, 'a'), (1, 'b'), (2, 'a');
SELECT * FROM userseg_crosstab('"report mix; ""x"""', 'Seg"', 'plat;form --');
SELECT * FROM userseg_crosstab('"report mix; ""x"""', 'Seg"', 'plat;form');
\echo :LAST_ERROR_SQLSTATE

-- errors
SELECT * FROM userseg_crosstab('report_mix', 'seg', 'country');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_crosstab('report_mix', 'cluster', 'platform');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_crosstab('report_mix', 'platform', 'seg');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_crosstab('report_mix', 'premium', 'platform');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_crosstab('report_mix', 'seg', NULL);
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE report_mix_empty (seg int, platform text);
SELECT * FROM userseg_crosstab('report_mix_empty', 'seg', 'platform');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO report_mix_empty VALUES (NULL, 'Instagram');
SELECT * FROM userseg_crosstab('report_mix_empty', 'seg', 'platform');
\echo :LAST_ERROR_SQLSTATE

CREATE ROLE report_mix_reader;
SET ROLE report_mix_reader;
SELECT * FROM userseg_crosstab('report_mix', 'seg', 'platform');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE report_mix_reader;

-- noise (label -1) is a cluster of its own; a label beyond the integer range is 22003
CREATE TABLE report_mix_noise (seg bigint, platform text);
INSERT INTO report_mix_noise VALUES (-1, 'a'), (0, 'a'), (0, 'b'), (NULL, 'c');
SELECT * FROM userseg_crosstab('report_mix_noise', 'seg', 'platform');
INSERT INTO report_mix_noise VALUES (-3000000000, 'a');
SELECT * FROM userseg_crosstab('report_mix_noise', 'seg', 'platform');
\echo :LAST_ERROR_SQLSTATE
-- NULL arguments name the argument
SELECT * FROM userseg_crosstab(NULL, 'seg', 'platform');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM userseg_crosstab('report_mix', NULL, 'platform');
\echo :LAST_ERROR_SQLSTATE
