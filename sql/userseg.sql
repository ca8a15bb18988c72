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

-- Planner support for userseg_sample_users: reports n rows for a constant n.
CREATE FUNCTION userseg_sample_users_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'userseg_sample_users_support'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION userseg_sample_users_support(internal) IS
'planner support for userseg_sample_users: the row count of a call with a constant n';

-- IMMUTABLE: the rows depend only on n and seed (each row's generator is a local
-- pg_prng_state seeded from the seed and the row number; no global state, no table,
-- no setting is read).  PARALLEL SAFE: nothing is shared or written, so a worker
-- produces the same rows as the leader.  STRICT: a NULL n or seed gives no rows.
CREATE FUNCTION userseg_sample_users(n bigint, seed bigint DEFAULT 0)
RETURNS TABLE (
  user_id bigint,
  age integer,
  gender text,
  platform text,
  daily_usage_minutes integer,
  posts_per_day integer,
  likes_received_per_day integer,
  comments_received_per_day integer,
  messages_sent_per_day integer,
  dominant_emotion text)
AS 'MODULE_PATHNAME', 'userseg_sample_users'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
ROWS 1000
SUPPORT userseg_sample_users_support;

COMMENT ON FUNCTION userseg_sample_users(bigint, bigint) IS
'n generated social-media users (1 to 100,000,000) with latent behavioral segments, deterministic for a seed';

-- (end of sample data)

------------------------------------------------------------------------------
-- Data layer
------------------------------------------------------------------------------

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
