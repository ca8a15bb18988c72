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

-- A fitted scaler.  The scaled value of x is (x - center) / scale, column by column,
-- for every method:
--   zscore  center = mean,    scale = population standard deviation (StandardScaler's
--                                     mean_ and scale_)
--   minmax  center = minimum, scale = range, max - min   (MinMaxScaler's data_min_ and
--                                     data_range_; its scale_ is 1 / range)
--   robust  center = median,  scale = 75th - 25th percentile (RobustScaler's center_
--                                     and scale_)
--   none    center = 0,       scale = 1
-- A column whose scale would be zero (constant) gets scale 1, as scikit-learn does.
-- n is the number of rows fitted on (n_samples_seen_).
CREATE TYPE userseg_scaler AS (
    method text,
    n bigint,
    center float8[],
    scale float8[]
);
COMMENT ON TYPE userseg_scaler IS
'A fitted scaler: method, rows fitted on, and per column center and scale; scaled = (x - center) / scale';

-- Window function.  IMMUTABLE and PARALLEL SAFE as PostgreSQL's own window functions
-- (row_number, ntile): the result depends only on the arguments and on the rows of the
-- partition, which the executor supplies.  CALLED ON NULL INPUT: a NULL vector gives NULL
-- and a NULL method is an error.  It reads the whole partition: the frame clause is
-- ignored.
CREATE FUNCTION userseg_scale(features float8[], method text DEFAULT 'zscore')
RETURNS float8[]
AS 'MODULE_PATHNAME', 'userseg_scale'
LANGUAGE C WINDOW IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_scale(float8[], text) IS
'Window function: the row''s features scaled by a scaler (zscore, minmax, robust or none) fitted on every row of the partition';

-- Aggregate support.  The state is a float8[] (see src/scale.c) so that partial states
-- need no serialization and Citus can push the aggregate down to its workers.  The
-- transition function is not strict: the state is created at the first row with features.
CREATE FUNCTION userseg_scaler_fit_trans(state float8[], features float8[], method text)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'userseg_scaler_fit_trans'
LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_scaler_fit_trans(float8[], float8[], text) IS
'Transition function of userseg_scaler_fit(features, method)';

CREATE FUNCTION userseg_scaler_fit_trans(state float8[], features float8[])
RETURNS float8[]
AS 'MODULE_PATHNAME', 'userseg_scaler_fit_trans'
LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_scaler_fit_trans(float8[], float8[]) IS
'Transition function of userseg_scaler_fit(features), the zscore fit';

CREATE FUNCTION userseg_scaler_fit_combine(a float8[], b float8[])
RETURNS float8[]
AS 'MODULE_PATHNAME', 'userseg_scaler_fit_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_scaler_fit_combine(float8[], float8[]) IS
'Combine function of userseg_scaler_fit: merges two partial fits';

CREATE FUNCTION userseg_scaler_fit_final(state float8[])
RETURNS @extschema@.userseg_scaler
AS 'MODULE_PATHNAME', 'userseg_scaler_fit_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_scaler_fit_final(float8[]) IS
'Final function of userseg_scaler_fit: the fitted userseg_scaler';

-- Aggregates take no defaults: the one-argument form fits a zscore scaler.
CREATE AGGREGATE userseg_scaler_fit(features float8[], method text) (
    SFUNC = @extschema@.userseg_scaler_fit_trans,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.userseg_scaler_fit_combine,
    FINALFUNC = @extschema@.userseg_scaler_fit_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE userseg_scaler_fit(float8[], text) IS
'Fits a scaler (zscore, minmax, robust or none) on the rows of a group; NULL vectors are left out';

CREATE AGGREGATE userseg_scaler_fit(features float8[]) (
    SFUNC = @extschema@.userseg_scaler_fit_trans,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.userseg_scaler_fit_combine,
    FINALFUNC = @extschema@.userseg_scaler_fit_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE userseg_scaler_fit(float8[]) IS
'Fits a zscore scaler (mean, population standard deviation) on the rows of a group; NULL vectors are left out';

CREATE FUNCTION userseg_scale_apply(features float8[], scaler @extschema@.userseg_scaler)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'userseg_scale_apply'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_scale_apply(float8[], userseg_scaler) IS
'Scales a feature vector with a fitted scaler: (x - center) / scale';

CREATE FUNCTION userseg_scale_inverse(features float8[], scaler @extschema@.userseg_scaler)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'userseg_scale_inverse'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_scale_inverse(float8[], userseg_scaler) IS
'Undoes userseg_scale_apply: x * scale + center';

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
