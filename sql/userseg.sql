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

-- Window form: each window partition is clustered on its own, once, when its first
-- row is asked for.  Labels depend only on the partition's rows (in their window
-- order) and the arguments, as row_number() depends only on its partition: IMMUTABLE,
-- like the built-in window functions.  PARALLEL SAFE: window functions run above any
-- Gather, on rows the node has already collected.  Not STRICT: a row with NULL
-- features gets a NULL label and the other rows are still clustered.
CREATE FUNCTION userseg_kmeans(features float8[], k int, seed int DEFAULT 0,
                               n_init int DEFAULT 10, max_iter int DEFAULT 300,
                               tol float8 DEFAULT 1e-4, scale text DEFAULT 'zscore')
RETURNS int
AS 'MODULE_PATHNAME', 'userseg_kmeans'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION userseg_kmeans(float8[], int, int, int, int, float8, text) IS
'K-Means label (0 = largest cluster) of each row of the window partition: k-means++ seeding, n_init runs, scikit-learn semantics';

-- From given initial centers: init is a k x d array in the features' own units
-- (scaled with the partition's scaler like the features); one run, no seeding.
-- Labels as above.
CREATE FUNCTION userseg_kmeans(features float8[], init float8[], max_iter int DEFAULT 300,
                               tol float8 DEFAULT 1e-4, scale text DEFAULT 'zscore')
RETURNS int
AS 'MODULE_PATHNAME', 'userseg_kmeans_init'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION userseg_kmeans(float8[], float8[], int, float8, text) IS
'K-Means label (0 = largest cluster) of each row of the window partition, starting from the given k x d initial centers';

-- (end of k-means)

------------------------------------------------------------------------------
-- Profiles and reports
------------------------------------------------------------------------------

-- (end of profiles and reports)
