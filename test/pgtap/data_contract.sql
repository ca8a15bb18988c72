-- The data layer's contract: userseg_describe's signature and labels, and the SQLSTATE
-- of every bad input of a relation read (and of a label column write).
BEGIN;
SELECT plan(29);

SELECT has_function('userseg_describe', ARRAY['regclass', 'text[]', 'integer', 'boolean'],
                    'userseg_describe(regclass, text[], int, boolean) exists');
SELECT function_returns('userseg_describe', ARRAY['regclass', 'text[]', 'integer', 'boolean'], 'setof record',
                        'userseg_describe returns a set of rows');
SELECT volatility_is('userseg_describe', ARRAY['regclass', 'text[]', 'integer', 'boolean'], 'volatile',
                     'userseg_describe is VOLATILE: it reads a table with a fresh snapshot');
SELECT isnt_strict('userseg_describe', ARRAY['regclass', 'text[]', 'integer', 'boolean'],
                   'userseg_describe is not STRICT: NULL arguments are errors');
SELECT is((SELECT proparallel FROM pg_proc
           WHERE oid = 'userseg_describe(regclass, text[], int, boolean)'::regprocedure),
          'r'::"char", 'userseg_describe is PARALLEL RESTRICTED');
SELECT is((SELECT pg_catalog.obj_description(
             'userseg_describe(regclass, text[], int, boolean)'::regprocedure, 'pg_proc') IS NOT NULL),
          true, 'userseg_describe has a comment');

CREATE TABLE tap_users (id int, age int, platform text, active bool, extra json,
                        score float8, spend numeric, label text);
INSERT INTO tap_users VALUES (1, 20, 'a', true, '{}', 1.0, 1, NULL),
                             (2, NULL, 'b', false, '{}', 2.0, 2, NULL);
CREATE FUNCTION pg_temp.write_labels(source regclass, features text[], label_column text,
                                     nulls text)
RETURNS bigint AS '$libdir/userseg', 'userseg_test_write_labels' LANGUAGE C;
CREATE FUNCTION pg_temp.as_role(r text, q text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('role', r, true);
  EXECUTE q;
END $$;
CREATE ROLE userseg_tap_nobody;

SELECT throws_ok($$SELECT * FROM userseg_describe('tap_users', ARRAY['nope'])$$,
                 '42703', 'column "nope" of relation "tap_users" does not exist',
                 'an unknown column is 42703');
SELECT throws_ok($$SELECT * FROM userseg_describe('tap_users', ARRAY['AGE'])$$,
                 '42703', NULL, 'names are matched as written: 42703 for another case');
SELECT throws_ok($$SELECT * FROM userseg_describe('tap_users', ARRAY['xmin'])$$,
                 '42703', NULL, 'a system column is 42703');
SELECT throws_ok($$SELECT * FROM userseg_describe('tap_users', ARRAY['extra'])$$,
                 '42804', 'column "extra" has type json, which cannot be a feature',
                 'a json column is 42804');
SELECT throws_ok($$SELECT * FROM userseg_describe('tap_users', NULL)$$,
                 '22004', 'features must not be NULL', 'a NULL features array is 22004');
SELECT throws_ok($$SELECT * FROM userseg_describe('tap_users', ARRAY['age', NULL])$$,
                 '22004', 'features must not contain NULL elements',
                 'a NULL feature name is 22004');
SELECT throws_ok($$SELECT * FROM userseg_describe('tap_users', '{}')$$,
                 '22023', 'features must not be empty', 'an empty features array is 22023');
SELECT throws_ok($$SELECT * FROM userseg_describe('tap_users', ARRAY['age', 'age'])$$,
                 '22023', 'feature "age" is named more than once', 'a duplicate name is 22023');
SELECT throws_ok($$SELECT pg_temp.as_role('userseg_tap_nobody',
                     'SELECT * FROM userseg_describe(''tap_users'', ARRAY[''age''])')$$,
                 '42501', 'permission denied for table tap_users',
                 'a table the caller may not read is 42501');

UPDATE tap_users SET score = 'NaN' WHERE id = 2;
SELECT throws_ok($$SELECT * FROM userseg_describe('tap_users', ARRAY['score'])$$,
                 '22000', 'column "score" contains NaN', 'NaN in a float column is 22000');
UPDATE tap_users SET spend = 'Infinity' WHERE id = 2;
SELECT throws_ok($$SELECT * FROM userseg_describe('tap_users', ARRAY['spend'])$$,
                 '22000', 'column "spend" contains Infinity',
                 'Infinity in a numeric column is 22000');
CREATE TABLE tap_many AS SELECT g::float8 AS v FROM generate_series(1, 10000) g;
CREATE INDEX tap_many_v_idx ON tap_many (v);
SET userseg.memory_limit = '64kB';
SELECT throws_ok($$SELECT * FROM userseg_describe('tap_many', ARRAY['v'])$$,
                 '54000', 'the feature matrix needs more memory than userseg.memory_limit (64 kB)',
                 'a matrix over userseg.memory_limit is 54000, naming the limit (the detail: the rows read)');
RESET userseg.memory_limit;
SELECT throws_ok($$SELECT * FROM userseg_describe('tap_many_v_idx', ARRAY['v'])$$,
                 '42809', NULL, 'an index is 42809');

SELECT throws_ok($$SELECT * FROM userseg_describe('tap_users', ARRAY['platform'], max_categories => 1)$$,
                 '54000', 'column "platform" has 2 distinct values, more than max_categories (1)',
                 'a categorical column past max_categories is 54000, naming it and its count');
SELECT throws_ok($$SELECT * FROM userseg_describe('tap_users', ARRAY['platform'], max_categories => 0)$$,
                 '22023', 'max_categories must be at least 1, not 0',
                 'max_categories below 1 is 22023');

-- writing labels
SELECT throws_ok($$SELECT pg_temp.write_labels('tap_users', ARRAY['age'], 'id', 'error')$$,
                 '22004', 'column "age" contains NULL', 'a NULL with nulls => error is 22004');
SELECT throws_ok($$SELECT pg_temp.write_labels('tap_users', ARRAY['age'], 'id', 'nothing')$$,
                 '22023', 'unknown NULL policy "nothing"', 'an unknown NULL policy is 22023');
SELECT throws_ok($$SELECT pg_temp.write_labels('tap_users', ARRAY['age'], 'label', 'skip')$$,
                 '42804', 'label column "label" has type text, not an integer type',
                 'a label column of another type is 42804');
GRANT SELECT ON tap_users TO userseg_tap_nobody;
SELECT throws_ok($$SELECT pg_temp.as_role('userseg_tap_nobody',
                     'SELECT pg_temp.write_labels(''tap_users'', ARRAY[''age''], ''id'', ''skip'')')$$,
                 '42501', 'permission denied for table tap_users',
                 'a table the caller may not update is 42501');
SELECT throws_ok($$SELECT pg_temp.write_labels('tap_users', ARRAY['age'], 'ctid', 'skip')$$,
                 '22023', 'label column "ctid" is a system column',
                 'a system label column is 22023');
CREATE TABLE tap_ruled (id int, v int, seg int);
INSERT INTO tap_ruled VALUES (1, 1, NULL);
CREATE RULE tap_instead AS ON UPDATE TO tap_ruled DO INSTEAD NOTHING;
SELECT throws_ok($$SELECT pg_temp.write_labels('tap_ruled', ARRAY['v'], 'seg', 'skip')$$,
                 '0A000', 'cannot write labels into table "tap_ruled", which has an INSTEAD rule on UPDATE',
                 'a label table with an INSTEAD rule on UPDATE is 0A000');
CREATE TABLE tap_trigger (id int, v int, seg int);
INSERT INTO tap_trigger VALUES (1, 1, NULL), (2, 2, NULL);
CREATE FUNCTION pg_temp.tap_skip() RETURNS trigger LANGUAGE plpgsql AS $t$
BEGIN RETURN NULL; END $t$;
CREATE TRIGGER tap_skip BEFORE UPDATE ON tap_trigger FOR EACH ROW EXECUTE FUNCTION pg_temp.tap_skip();
SELECT throws_ok($$SELECT pg_temp.write_labels('tap_trigger', ARRAY['v'], 'seg', 'skip')$$,
                 '27000', 'a trigger kept 2 of 2 labels from being written',
                 'a trigger that keeps labels from being written is 27000');
SELECT is((SELECT count(*) FROM tap_users WHERE label IS NOT NULL), 0::bigint,
          'the table is unchanged after the errors');

SELECT * FROM finish();
ROLLBACK;
