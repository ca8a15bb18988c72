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
