-- Settings of userseg
LOAD 'userseg';
SHOW userseg.memory_limit;
SET userseg.memory_limit = '64MB';
SHOW userseg.memory_limit;
-- below the minimum of 64kB
SET userseg.memory_limit = '1kB';
SHOW userseg.progress;
SET userseg.progress = on;
SHOW userseg.progress;
-- the userseg prefix is reserved: a misspelt setting is an error
SET userseg.memory_limt = '1GB';
RESET userseg.memory_limit;
RESET userseg.progress;
-- threads of one call: the default is the number of CPUs, at most 4
SELECT current_setting('userseg.max_workers')::int BETWEEN 1 AND 4 AS default_in_range;
SET userseg.max_workers = 2;
SHOW userseg.max_workers;
-- out of range (1 to 64) and not a number
SET userseg.max_workers = 0;
SET userseg.max_workers = 65;
SET userseg.max_workers = 'two';
-- the same results, to the last bit, with one thread and with three
CREATE TEMP TABLE guc_rows AS
  SELECT g, ARRAY[sin(g), cos(g * 0.7), (g % 13)::float8] AS f, (g % 5)::int AS l
  FROM generate_series(1, 9000) g;
CREATE TEMP TABLE guc_results (workers int, silhouette float8, labels text);
SET userseg.max_workers = 1;
INSERT INTO guc_results
  SELECT 1, (SELECT userseg_silhouette(f, l) FROM guc_rows),
         (SELECT string_agg(k::text, '' ORDER BY g)
          FROM (SELECT g, userseg_kmeans(f, 6, 3, 2) OVER () AS k FROM guc_rows) q);
SET userseg.max_workers = 3;
INSERT INTO guc_results
  SELECT 3, (SELECT userseg_silhouette(f, l) FROM guc_rows),
         (SELECT string_agg(k::text, '' ORDER BY g)
          FROM (SELECT g, userseg_kmeans(f, 6, 3, 2) OVER () AS k FROM guc_rows) q);
SELECT count(DISTINCT float8send(silhouette)) AS silhouettes,
       count(DISTINCT labels) AS labelings, min(length(labels)) AS labelled
FROM guc_results;
RESET userseg.max_workers;
