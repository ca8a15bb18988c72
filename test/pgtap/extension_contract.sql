-- The contract every object of userseg keeps: a comment, a userseg_ prefix, a
-- deliberate parallel label, combine functions on aggregates.
BEGIN;
SELECT plan(6);

CREATE TEMP VIEW userseg_functions AS
SELECT p.oid, p.oid::regprocedure::text AS signature, p.prokind, p.proparallel, p.provolatile,
       pg_catalog.pg_get_function_arguments(p.oid) AS args
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_depend d
  ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'userseg');

SELECT cmp_ok((SELECT count(*) FROM userseg_functions), '>', 0::bigint,
              'the extension has functions');

SELECT is((SELECT array_agg(signature ORDER BY signature) FROM userseg_functions
           WHERE pg_catalog.obj_description(oid, 'pg_proc') IS NULL),
          NULL, 'every function and aggregate has a comment');

SELECT is((SELECT array_agg(t.typname::text ORDER BY 1)
           FROM pg_catalog.pg_type t
           JOIN pg_catalog.pg_depend d
             ON d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
           WHERE d.refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'userseg')
             AND pg_catalog.obj_description(t.oid, 'pg_type') IS NULL),
          NULL, 'every type has a comment');

SELECT is((SELECT array_agg(signature ORDER BY signature) FROM userseg_functions
           WHERE signature NOT LIKE 'userseg\_%'),
          NULL, 'every function is named userseg_*');

SELECT is((SELECT array_agg(f.signature ORDER BY f.signature)
           FROM userseg_functions f JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = f.oid
           WHERE a.aggcombinefn = 0),
          NULL, 'every aggregate has a combine function');

-- A function that reads or writes a relation named by a regclass argument must run in
-- the leader: it may not be labelled PARALLEL SAFE.
SELECT is((SELECT array_agg(signature ORDER BY signature) FROM userseg_functions
           WHERE args LIKE '%regclass%' AND proparallel = 's'),
          NULL, 'no function that takes a relation is PARALLEL SAFE');

SELECT * FROM finish();
ROLLBACK;
