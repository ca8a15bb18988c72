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

-- Scores of a clustering, with scikit-learn's semantics, as aggregates over
-- (features float8[], label int).  Rows with NULL features, a NULL element, a NULL
-- label or label -1 (noise) are left out; fewer than 2 clusters gives NULL with a
-- NOTICE.  The state is internal (the rows themselves: the exact silhouette needs
-- them all), so these aggregates have serialize/deserialize functions for parallel
-- plans; they are not for Citus push-down.  Support functions are IMMUTABLE: they
-- depend on their arguments only.  Transition and combine functions are not
-- STRICT (an internal state must start from NULL, and NULL rows are left out).

CREATE FUNCTION userseg_metrics_trans(internal, float8[], int)
RETURNS internal
AS 'MODULE_PATHNAME', 'userseg_metrics_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION userseg_metrics_trans(internal, float8[], int) IS
'transition function of the userseg scores: keeps a row';

CREATE FUNCTION userseg_metrics_trans_sampled(internal, float8[], int, int, int)
RETURNS internal
AS 'MODULE_PATHNAME', 'userseg_metrics_trans_sampled'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION userseg_metrics_trans_sampled(internal, float8[], int, int, int) IS
'transition function of the sampled silhouette: keeps a row, checks sample_size and seed';

CREATE FUNCTION userseg_metrics_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'userseg_metrics_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION userseg_metrics_combine(internal, internal) IS
'combine function of the userseg scores: appends the rows of one partial state to another';

CREATE FUNCTION userseg_metrics_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'userseg_metrics_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_metrics_serialize(internal) IS
'serialize function of the userseg scores';

CREATE FUNCTION userseg_metrics_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'userseg_metrics_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_metrics_deserialize(bytea, internal) IS
'deserialize function of the userseg scores: validates lengths, dimensions and values';

CREATE FUNCTION userseg_silhouette_final(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'userseg_silhouette_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION userseg_silhouette_final(internal) IS
'final function of userseg_silhouette';

CREATE FUNCTION userseg_calinski_harabasz_final(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'userseg_calinski_harabasz_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION userseg_calinski_harabasz_final(internal) IS
'final function of userseg_calinski_harabasz';

CREATE FUNCTION userseg_davies_bouldin_final(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'userseg_davies_bouldin_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION userseg_davies_bouldin_final(internal) IS
'final function of userseg_davies_bouldin';

CREATE FUNCTION userseg_inertia_final(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'userseg_inertia_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION userseg_inertia_final(internal) IS
'final function of userseg_inertia';

CREATE AGGREGATE userseg_silhouette(features float8[], label int) (
    SFUNC = userseg_metrics_trans,
    STYPE = internal,
    FINALFUNC = userseg_silhouette_final,
    COMBINEFUNC = userseg_metrics_combine,
    SERIALFUNC = userseg_metrics_serialize,
    DESERIALFUNC = userseg_metrics_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE userseg_silhouette(float8[], int) IS
'exact mean silhouette coefficient of a clustering (sklearn.metrics.silhouette_score)';

-- sample_size >= the number of rows gives the exact score; the subset is drawn with
-- a local generator seeded from seed (not numpy's subset)
CREATE AGGREGATE userseg_silhouette(features float8[], label int, sample_size int, seed int) (
    SFUNC = userseg_metrics_trans_sampled,
    STYPE = internal,
    FINALFUNC = userseg_silhouette_final,
    COMBINEFUNC = userseg_metrics_combine,
    SERIALFUNC = userseg_metrics_serialize,
    DESERIALFUNC = userseg_metrics_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE userseg_silhouette(float8[], int, int, int) IS
'mean silhouette coefficient of a random subset of sample_size rows, seeded';

CREATE AGGREGATE userseg_calinski_harabasz(features float8[], label int) (
    SFUNC = userseg_metrics_trans,
    STYPE = internal,
    FINALFUNC = userseg_calinski_harabasz_final,
    COMBINEFUNC = userseg_metrics_combine,
    SERIALFUNC = userseg_metrics_serialize,
    DESERIALFUNC = userseg_metrics_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE userseg_calinski_harabasz(float8[], int) IS
'Calinski-Harabasz score (variance ratio) of a clustering (sklearn.metrics.calinski_harabasz_score)';

CREATE AGGREGATE userseg_davies_bouldin(features float8[], label int) (
    SFUNC = userseg_metrics_trans,
    STYPE = internal,
    FINALFUNC = userseg_davies_bouldin_final,
    COMBINEFUNC = userseg_metrics_combine,
    SERIALFUNC = userseg_metrics_serialize,
    DESERIALFUNC = userseg_metrics_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE userseg_davies_bouldin(float8[], int) IS
'Davies-Bouldin score of a clustering (sklearn.metrics.davies_bouldin_score)';

CREATE AGGREGATE userseg_inertia(features float8[], label int) (
    SFUNC = userseg_metrics_trans,
    STYPE = internal,
    FINALFUNC = userseg_inertia_final,
    COMBINEFUNC = userseg_metrics_combine,
    SERIALFUNC = userseg_metrics_serialize,
    DESERIALFUNC = userseg_metrics_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE userseg_inertia(float8[], int) IS
'sum of squared distances of rows to their cluster''s mean (K-Means inertia)';

-- A window function reads its whole partition: IMMUTABLE as the built-in window
-- functions are (the result depends on the partition, which is its input).  Not
-- STRICT: rows with NULL features or label get NULL, the others are still scored.
CREATE FUNCTION userseg_silhouette_sample(features float8[], label int)
RETURNS float8
AS 'MODULE_PATHNAME', 'userseg_silhouette_sample'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION userseg_silhouette_sample(float8[], int) IS
'silhouette coefficient of each row of the window partition (sklearn.metrics.silhouette_samples)';

-- (end of metrics)

------------------------------------------------------------------------------
-- K-Means
------------------------------------------------------------------------------

-- (end of k-means)

------------------------------------------------------------------------------
-- Profiles and reports
------------------------------------------------------------------------------

-- (end of profiles and reports)
