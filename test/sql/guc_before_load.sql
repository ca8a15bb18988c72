-- userseg.memory_limit set before the library is loaded: PostgreSQL can check the value
-- only when userseg loads, and drops an invalid one with a WARNING.  userseg then refuses
-- to run with a budget nobody asked for, until a valid value is set.
SET userseg.memory_limit = '1kB';
SELECT userseg_inertia(f, l) FROM (VALUES ('{0}'::float8[], 0), ('{1}', 1)) v(f, l);
\echo :LAST_ERROR_SQLSTATE
-- still refused: the setting shows the default, which was never asked for
SHOW userseg.memory_limit;
SELECT userseg_inertia(f, l) FROM (VALUES ('{0}'::float8[], 0), ('{1}', 1)) v(f, l);
\echo :LAST_ERROR_SQLSTATE
-- a valid value set now is used
SET userseg.memory_limit = '64MB';
SELECT userseg_inertia(f, l) FROM (VALUES ('{0}'::float8[], 0), ('{1}', 1)) v(f, l);
RESET userseg.memory_limit;
SELECT userseg_inertia(f, l) FROM (VALUES ('{0}'::float8[], 0), ('{1}', 1)) v(f, l);
