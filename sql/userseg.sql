/*
 * userseg: user segmentation in SQL.
 *
 * The full install script.  The build copies it to userseg--<version>.sql; later
 * versions add upgrade scripts userseg--A--B.sql beside it.
 *
 * Labels: array-in/array-out functions are IMMUTABLE STRICT PARALLEL SAFE unless said
 * otherwise; functions that read a relation by name through SPI are VOLATILE PARALLEL
 * RESTRICTED (they must run in the leader, which holds the snapshot and the locks);
 * functions that write are VOLATILE PARALLEL UNSAFE.
 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION userseg" to load this file. \quit

------------------------------------------------------------------------------
-- Sample data
------------------------------------------------------------------------------

-- (end of sample data)

------------------------------------------------------------------------------
-- Data layer
------------------------------------------------------------------------------

-- What the data layer sees in a relation: one row per encoded column.  VOLATILE
-- PARALLEL RESTRICTED: it reads a table named by a regclass through SPI (with a fresh
-- snapshot), which must happen in the leader.  Not STRICT: a NULL features array is
-- error 22004 rather than an empty result.
CREATE FUNCTION userseg_describe(source regclass, features text[])
RETURNS TABLE(column_name text, category text, type text, rows bigint, nulls bigint,
              mean float8, stddev float8, min float8, max float8)
AS 'MODULE_PATHNAME', 'userseg_describe'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_describe(regclass, text[]) IS
'one row per encoded feature column (one-hot categories sorted by byte order): rows, NULLs, mean, sample stddev, min, max';

-- (end of data layer)

------------------------------------------------------------------------------
-- Scalers
------------------------------------------------------------------------------

-- (end of scalers)

------------------------------------------------------------------------------
-- Metrics
------------------------------------------------------------------------------

-- (end of metrics)

------------------------------------------------------------------------------
-- K-Means
------------------------------------------------------------------------------

-- (end of k-means)

------------------------------------------------------------------------------
-- Profiles and reports
------------------------------------------------------------------------------

-- (end of profiles and reports)
