-- userseg_describe: what the data layer sees in a relation
SET extra_float_digits = 0;
SET client_min_messages = notice;

-- an error's SQLSTATE, message, detail and hint on one line
CREATE FUNCTION pg_temp.err(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  st text; msg text; det text; hnt text;
BEGIN
  EXECUTE sql;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                          det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
  RETURN st || ': ' || msg || coalesce(' | DETAIL: ' || nullif(det, ''), '')
            || coalesce(' | HINT: ' || nullif(hnt, ''), '');
END $$;

-- enum labels whose declared order differs from their byte order
CREATE TYPE mood AS ENUM ('sad', 'happy', 'Angry');
CREATE TABLE users (
  id int PRIMARY KEY,
  age int2, minutes int4, posts int8, score float4, ratio float8, spend numeric(8,2),
  platform text, code varchar(5), grade char(3), feeling mood, active bool,
  extra json, "MixedCase" int, "x; DROP TABLE t; --" int, nothing text
);
INSERT INTO users VALUES
  (1, 21, 120, 3, 1.5, 0.25, 10.50, 'Instagram', 'b', 'A', 'happy', true,  '{}', 1, 10, NULL),
  (2, 34, 45,  0, 2.5, 0.75, NULL,  'twitter',   'a', 'B', 'sad',   false, '{}', 2, 20, NULL),
  (3, NULL, 300, 12, 0.5, 0.5, 99.99, 'Instagram', 'B', 'A ', 'Angry', true, '{}', 3, 30, NULL),
  (4, 28, NULL, 7, NULL, 1.0, 0.01,  NULL,       'a', NULL, 'happy', NULL,  '{}', 4, 40, NULL),
  (5, 45, 60,  1, 3.5, 0.0, 5.00,   'Facebook',  NULL, 'C', NULL,   true,  '{}', 5, 50, NULL),
  (6, 19, 200, 25, 4.5, 0.5, 12.25, 'twitter',   'b', 'B', 'happy', false, '{}', 6, 60, NULL);

-- numeric columns of every numeric type: NULLs left out of the statistics
SELECT column_name, category, type, rows, nulls, round(mean::numeric, 6) AS mean,
       round(stddev::numeric, 6) AS stddev, min, max
FROM userseg_describe('users', ARRAY['age', 'minutes', 'posts', 'score', 'ratio', 'spend']);

-- categorical columns one-hot, categories in byte order (enum and char too; char
-- without trailing blanks); mean is the share of all rows, NULL counting as 0
SELECT column_name, category, type, rows, nulls, round(mean::numeric, 6) AS mean,
       round(stddev::numeric, 6) AS stddev, min, max
FROM userseg_describe('users', ARRAY['platform', 'code', 'grade', 'feeling', 'active']);

-- a categorical column of only NULLs has no encoded column: one row without a category
SELECT * FROM userseg_describe('users', ARRAY['nothing', 'age']);

-- names exactly as written: mixed case and a hostile name that exists
SELECT column_name, rows, nulls, mean FROM userseg_describe('users', ARRAY['MixedCase', 'x; DROP TABLE t; --']);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('users', ARRAY['mixedcase'])$$);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('users', ARRAY['y; DROP TABLE users; --'])$$);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('users', ARRAY['age"); DROP TABLE users; --'])$$);
SELECT count(*) AS users_still_there FROM users;

-- a relation whose schema and name need quotes, with a column that does too
CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."User Table" ("Daily Minutes" float8, "select" text);
INSERT INTO "Odd Schema"."User Table" VALUES (10, 'x'), (20, 'y'), (60, 'x');
SELECT column_name, category, rows, mean, stddev, min, max
FROM userseg_describe('"Odd Schema"."User Table"', ARRAY['Daily Minutes', 'select']);

-- views and materialized views are read like tables
CREATE VIEW young AS SELECT * FROM users WHERE age < 30;
SELECT column_name, rows, nulls, mean FROM userseg_describe('young', ARRAY['age']);

-- an empty relation: counts of zero, no statistics
CREATE TABLE empty_users (age int, platform text);
SELECT * FROM userseg_describe('empty_users', ARRAY['age', 'platform']);

-- error cases
SELECT pg_temp.err($$SELECT * FROM userseg_describe('users', ARRAY['nope'])$$);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('users', ARRAY['ctid'])$$);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('users', ARRAY['extra'])$$);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('users', NULL)$$);
SELECT pg_temp.err($$SELECT * FROM userseg_describe(NULL, ARRAY['age'])$$);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('users', '{}')$$);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('users', ARRAY['age', NULL])$$);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('users', ARRAY['age', 'minutes', 'age'])$$);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('users', ARRAY[['age'], ['minutes']])$$);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('users_pkey', ARRAY['id'])$$);

-- NaN and Infinity are data errors naming the column
CREATE TABLE odd_values (f float8, n numeric, r real);
INSERT INTO odd_values VALUES (1, 1, 1), ('NaN', 2, 2);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('odd_values', ARRAY['f'])$$);
TRUNCATE odd_values;
INSERT INTO odd_values VALUES (1, 'Infinity', 1), (2, 2, '-Infinity');
SELECT pg_temp.err($$SELECT * FROM userseg_describe('odd_values', ARRAY['n'])$$);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('odd_values', ARRAY['r'])$$);

-- the memory budget is checked before the matrix is allocated
CREATE TABLE many AS SELECT g AS v FROM generate_series(1, 10000) g;
SET userseg.memory_limit = '64kB';
SELECT pg_temp.err($$SELECT * FROM userseg_describe('many', ARRAY['v'])$$);
RESET userseg.memory_limit;
SELECT column_name, rows, mean, min, max FROM userseg_describe('many', ARRAY['v']);

-- privileges: SELECT on the table, or on every feature column
CREATE ROLE userseg_describe_reader;
GRANT SELECT (age, platform) ON users TO userseg_describe_reader;
SET ROLE userseg_describe_reader;
SELECT column_name, category, rows, nulls FROM userseg_describe('users', ARRAY['age', 'platform']);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('users', ARRAY['age', 'minutes'])$$);
SELECT pg_temp.err($$SELECT * FROM userseg_describe('empty_users', ARRAY['age'])$$);
RESET ROLE;
REVOKE ALL ON users FROM userseg_describe_reader;
DROP ROLE userseg_describe_reader;
