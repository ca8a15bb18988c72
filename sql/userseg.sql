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
'planner support for userseg_sample_users and userseg_sample_segments: the row count of a call with a constant n';

-- IMMUTABLE: the rows depend only on n, seed and spread (each row's generator is a
-- local pg_prng_state seeded from the seed and the row number; no global state, no
-- table, no setting is read).  PARALLEL SAFE: nothing is shared or written, so a worker
-- produces the same rows as the leader.  STRICT: a NULL n, seed or spread gives no
-- rows.  spread in (0, 1] scales the within-segment spread: 1 (the default) gives
-- overlapping segments, smaller values well-separated ones.
CREATE FUNCTION userseg_sample_users(n bigint, seed bigint DEFAULT 0, spread float8 DEFAULT 1.0)
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

COMMENT ON FUNCTION userseg_sample_users(bigint, bigint, float8) IS
'n generated social-media users (1 to 100,000,000) with latent behavioral segments, deterministic for a seed; spread in (0, 1] shrinks the segments around their centres (1 = overlapping, 0.1 = well separated)';

-- The truth of userseg_sample_users: the latent segment of each of the same n users
-- (the first draw of the same per-row stream), to score a segmentation against.
-- Labels as userseg_sample_users; spread is checked but does not change the segment.
CREATE FUNCTION userseg_sample_segments(n bigint, seed bigint DEFAULT 0, spread float8 DEFAULT 1.0)
RETURNS TABLE (
  user_id bigint,
  latent_segment text)
AS 'MODULE_PATHNAME', 'userseg_sample_segments'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
ROWS 1000
SUPPORT userseg_sample_users_support;

COMMENT ON FUNCTION userseg_sample_segments(bigint, bigint, float8) IS
'latent segment (creators, scrollers, messengers, professionals, casual, debaters) of each of the n users userseg_sample_users gives for the same n, seed and spread';

-- (end of sample data)

------------------------------------------------------------------------------
-- Data layer
------------------------------------------------------------------------------

-- What the data layer sees in a relation: one row per encoded column.  VOLATILE
-- PARALLEL RESTRICTED: it reads a table named by a regclass through SPI (with a fresh
-- snapshot), which must happen in the leader.  Not STRICT: a NULL features array is
-- error 22004 rather than an empty result.
CREATE FUNCTION userseg_describe(source regclass, features text[],
                                 max_categories int DEFAULT 100,
                                 drop_first boolean DEFAULT false)
RETURNS TABLE(column_name text, category text, type text, rows bigint, nulls bigint,
              mean float8, stddev float8, min float8, max float8)
AS 'MODULE_PATHNAME', 'userseg_describe'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_describe(regclass, text[], int, boolean) IS
'one row per encoded feature column (one-hot categories sorted by byte order, at most max_categories per column, the first left out with drop_first): rows, NULLs, mean, sample stddev, min, max';

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

-- The adjusted Rand index of two labelings of the same rows (scikit-learn's
-- adjusted_rand_score), e.g. a segmentation against the latent segments of
-- userseg_sample_segments.  labels_true text or bigint, labels_pred bigint; rows
-- where either is NULL are left out; -1 (noise) counts as a label like any other
-- (FILTER (WHERE labels_pred <> -1) leaves the noise out); no row gives NULL.  The
-- state is internal (the contingency table: distinct labels and a count per pair),
-- with serialize/deserialize for parallel plans.  Support functions IMMUTABLE and
-- not STRICT, as above.
CREATE FUNCTION userseg_ari_trans_text(internal, text, bigint)
RETURNS internal
AS 'MODULE_PATHNAME', 'userseg_ari_trans_text'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION userseg_ari_trans_text(internal, text, bigint) IS
'transition function of userseg_adjusted_rand_score(text, bigint): counts a row in its pair of labels';

CREATE FUNCTION userseg_ari_trans_bigint(internal, bigint, bigint)
RETURNS internal
AS 'MODULE_PATHNAME', 'userseg_ari_trans_bigint'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION userseg_ari_trans_bigint(internal, bigint, bigint) IS
'transition function of userseg_adjusted_rand_score(bigint, bigint): counts a row in its pair of labels';

CREATE FUNCTION userseg_ari_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'userseg_ari_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION userseg_ari_combine(internal, internal) IS
'combine function of userseg_adjusted_rand_score: adds the counts of one contingency table to another';

CREATE FUNCTION userseg_ari_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'userseg_ari_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_ari_serialize(internal) IS
'serialize function of userseg_adjusted_rand_score';

CREATE FUNCTION userseg_ari_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'userseg_ari_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_ari_deserialize(bytea, internal) IS
'deserialize function of userseg_adjusted_rand_score: validates lengths, label numbers and counts';

CREATE FUNCTION userseg_ari_final(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'userseg_ari_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION userseg_ari_final(internal) IS
'final function of userseg_adjusted_rand_score';

CREATE AGGREGATE userseg_adjusted_rand_score(labels_true text, labels_pred bigint) (
    SFUNC = userseg_ari_trans_text,
    STYPE = internal,
    FINALFUNC = userseg_ari_final,
    COMBINEFUNC = userseg_ari_combine,
    SERIALFUNC = userseg_ari_serialize,
    DESERIALFUNC = userseg_ari_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE userseg_adjusted_rand_score(text, bigint) IS
'adjusted Rand index of a labeling against true labels given as text (sklearn.metrics.adjusted_rand_score); NULLs left out, -1 a label like any other';

CREATE AGGREGATE userseg_adjusted_rand_score(labels_true bigint, labels_pred bigint) (
    SFUNC = userseg_ari_trans_bigint,
    STYPE = internal,
    FINALFUNC = userseg_ari_final,
    COMBINEFUNC = userseg_ari_combine,
    SERIALFUNC = userseg_ari_serialize,
    DESERIALFUNC = userseg_ari_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE userseg_adjusted_rand_score(bigint, bigint) IS
'adjusted Rand index of two labelings (sklearn.metrics.adjusted_rand_score); NULLs left out, -1 a label like any other';

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

-- Window form: each window partition is clustered on its own, once, when its first
-- row is asked for.  Labels depend only on the partition's rows (in their window
-- order: ORDER BY a unique key in OVER fixes it) and the arguments, as row_number() depends only on its partition: IMMUTABLE,
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
'K-Means label (0 = largest cluster) of each row of the window partition: k-means++ seeding, n_init runs, scikit-learn semantics; ORDER BY a unique key in OVER fixes the row order the labels depend on';

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

-- Table form.  The saved models: one row per name, kept by pg_dump, for every
-- algorithm that predicts (src/data/usmodel.h).  What all algorithms share has
-- columns of its own: the algorithm and its parameters, the source columns and their
-- encoding (kind, categories of one-hot columns, NULL policy, imputed values,
-- drop_first, max_categories: see docs/reference.md), the encoded columns, the
-- scaler, the scores.  The state is the centroids (scaled and in original units, with
-- sizes) for algorithms with centers, and the state jsonb for the others (core
-- points, components), so a new algorithm needs no new table.  Names are 1 to 63
-- bytes, as identifiers.
CREATE TABLE userseg_models (
    name                text PRIMARY KEY
                        CHECK (pg_catalog.octet_length(name) BETWEEN 1 AND 63),
    owner               name NOT NULL DEFAULT CURRENT_USER,
    algorithm           text NOT NULL,
    parameters          jsonb NOT NULL,
    features            text[] NOT NULL,
    columns             text[] NOT NULL,
    encoding            jsonb NOT NULL,
    scaler              text NOT NULL,
    scale_center        float8[] NOT NULL,
    scale_scale         float8[] NOT NULL,
    centroids           float8[],
    centroids_original  float8[],
    sizes               bigint[],
    state               jsonb NOT NULL DEFAULT '{}',
    inertia             float8,
    silhouette          float8,
    silhouette_sampled  boolean,
    rows                bigint NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now()
);
SELECT pg_catalog.pg_extension_config_dump('userseg_models', '');

COMMENT ON TABLE userseg_models IS
'Fitted userseg models: algorithm, parameters, features and their encoding, scaler, centroids or other state, metrics; each row visible to and writable by its owner only';

-- Any role may save models (the table form writes this table with the caller's
-- privileges, never more), but each model is private to the role that fitted it:
-- row-level security lets a role read, refit and delete only the rows it owns, so no
-- one can read another's centroids (means of a table they may not read).  A model
-- belongs to the role that fitted it, whoever refits: a name taken by another role is
-- refused (42501), also for the table's owner and superusers, who bypass the policy
-- and see every model.  To share a model, they may add a permissive policy, e.g.
-- CREATE POLICY ... FOR SELECT TO dashboard USING (name = 'nightly').  The owner is
-- compared by name (a dropped role's rows stay, visible to the table's owner).
ALTER TABLE userseg_models ENABLE ROW LEVEL SECURITY;
CREATE POLICY userseg_models_owner ON userseg_models
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER)
    WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
GRANT SELECT, INSERT, UPDATE, DELETE ON userseg_models TO PUBLIC;

CREATE TYPE userseg_kmeans_summary AS (
    model               text,
    k                   int,
    rows_used           bigint,
    rows_skipped        bigint,
    iterations          int,
    inertia             float8,
    silhouette          float8,
    silhouette_sampled  boolean,
    elapsed_ms          float8
);

COMMENT ON TYPE userseg_kmeans_summary IS
'Summary row of the table form of userseg_kmeans';

-- Reads the relation (in id_column's order when given), fits, writes the label
-- column and the model in the caller's transaction.  VOLATILE PARALLEL UNSAFE: it
-- writes the source table and the models table.  Not STRICT: label_column, init,
-- model and id_column may be NULL; other NULL arguments are error 22004.
CREATE FUNCTION userseg_kmeans(source regclass, features text[], k int,
    label_column name DEFAULT NULL, scale text DEFAULT 'zscore', nulls text DEFAULT 'skip',
    seed int DEFAULT 0, n_init int DEFAULT 10, max_iter int DEFAULT 300,
    tol float8 DEFAULT 1e-4, init float8[] DEFAULT NULL, model text DEFAULT NULL,
    id_column name DEFAULT NULL, max_categories int DEFAULT 100,
    drop_first boolean DEFAULT false, method text DEFAULT 'auto', batch_size int DEFAULT 1024)
RETURNS @extschema@.userseg_kmeans_summary
AS 'MODULE_PATHNAME', 'userseg_kmeans_table'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION userseg_kmeans(regclass, text[], int, name, text, text, int, int, int, float8, float8[], text, name, int, boolean, text, int) IS
'K-Means on columns of a table: rows in the order of an optional unique id column, optional label column written in the same transaction, optional saved model with stable cluster numbers; one summary row';

-- The nearest scaled centroid to a scaled row, from given arrays.
CREATE FUNCTION userseg_kmeans_nearest(features float8[], centroids float8[],
                                       scale_center float8[], scale_scale float8[])
RETURNS int
AS 'MODULE_PATHNAME', 'userseg_kmeans_nearest'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION userseg_kmeans_nearest(float8[], float8[], float8[], float8[]) IS
'Label of the nearest of k x d centroids to features scaled as (x - center) / scale';

-- STABLE: reads the models table (once per statement and model: the parsed model is
-- cached with the calling expression and looked up again when the snapshot moves on,
-- so a refit is seen by the next statement).  PARALLEL SAFE: a plain read of a table.
-- STRICT: a NULL model or features give NULL.
CREATE FUNCTION userseg_predict(model text, features float8[])
RETURNS int
AS 'MODULE_PATHNAME', 'userseg_predict'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION userseg_predict(text, float8[]) IS
'Label of a new row by a saved model, from its encoded vector: the model''s scaler, then the nearest centroid';

-- The row as its columns: {"column": value, ...}, e.g. to_jsonb(u) for a row u of the
-- source table (other keys are ignored).  Encoded as the fit encoded it; a category
-- the fit did not see is all zeros (OneHotEncoder(handle_unknown='ignore')); a JSON
-- null follows the model's NULL policy (imputed value, NULL label, or 22004).  Labels
-- as above.
CREATE FUNCTION userseg_predict(model text, features jsonb)
RETURNS int
AS 'MODULE_PATHNAME', 'userseg_predict_jsonb'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION userseg_predict(text, jsonb) IS
'Label of a new row by a saved model, from its columns as jsonb, encoded as the fit encoded them';

-- A row of the source table, or any composite value whose columns are named as the
-- features: userseg_predict('nightly', u) ... FROM users u.  Columns are converted as
-- the fit's reader converted them; NULLs and categories as above.  Labels as above.
CREATE FUNCTION userseg_predict(model text, features record)
RETURNS int
AS 'MODULE_PATHNAME', 'userseg_predict_record'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION userseg_predict(text, record) IS
'Label of a row of the source table by a saved model, from its columns, encoded as the fit encoded them';

-- (end of k-means)

------------------------------------------------------------------------------
-- DBSCAN
------------------------------------------------------------------------------

-- Window form: each partition is clustered on its own, once, when its first row is
-- asked for; eps is in the units of the scaled features.  Labels: 0, 1, ... in the
-- order of each cluster's first core row in the partition's window order, -1 for
-- noise (scikit-learn 1.2's DBSCAN).  IMMUTABLE PARALLEL SAFE as the K-Means window
-- form: the labels depend only on the partition's rows and the arguments.  Not
-- STRICT: a row with NULL features gets a NULL label.
CREATE FUNCTION userseg_dbscan(features float8[], eps float8, min_samples int DEFAULT 5,
                               scale text DEFAULT 'zscore')
RETURNS int
AS 'MODULE_PATHNAME', 'userseg_dbscan'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION userseg_dbscan(float8[], float8, int, text) IS
'DBSCAN label (-1 = noise) of each row of the window partition: Euclidean, eps inclusive in scaled units, core when min_samples rows (itself included) are within eps; scikit-learn semantics';

CREATE TYPE userseg_dbscan_summary AS (
    eps                 float8,
    min_samples         int,
    n_clusters          int,
    rows_used           bigint,
    rows_skipped        bigint,
    core_rows           bigint,
    noise               bigint,
    silhouette          float8,
    silhouette_sampled  boolean,
    elapsed_ms          float8
);

COMMENT ON TYPE userseg_dbscan_summary IS
'Summary row of the table form of userseg_dbscan';

-- Table form: reads the relation (in id_column's order when given), fits, writes
-- the label column (noise -1) and the model (model => 'name': its core rows, in
-- userseg_models, for userseg_predict) in the caller's transaction.  sample_weight
-- names a numeric column of weights (scikit-learn's fit(X, sample_weight=w): core
-- when the weights within eps sum to min_samples; negative weights allowed; a NULL
-- weight is error 22004).  VOLATILE PARALLEL UNSAFE: it writes the source table and
-- the models table.  Not STRICT: label_column, id_column, model and sample_weight may
-- be NULL; other NULL arguments are error 22004.
CREATE FUNCTION userseg_dbscan(source regclass, features text[], eps float8,
    min_samples int DEFAULT 5, label_column name DEFAULT NULL,
    scale text DEFAULT 'zscore', nulls text DEFAULT 'skip', id_column name DEFAULT NULL,
    max_categories int DEFAULT 100, drop_first boolean DEFAULT false,
    model text DEFAULT NULL, sample_weight name DEFAULT NULL)
RETURNS @extschema@.userseg_dbscan_summary
AS 'MODULE_PATHNAME', 'userseg_dbscan_table'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION userseg_dbscan(regclass, text[], float8, int, name, text, text, name, int, boolean, text, name) IS
'DBSCAN on columns of a table: rows in the order of an optional unique id column, optional sample weights, optional label column (noise -1) and model (core rows, for userseg_predict) written in the same transaction; one summary row';

-- The eps helper: quantiles of each row's distance to its min_samples-th nearest row
-- (itself included), in scaled units.  Reads a table named by a regclass through SPI:
-- VOLATILE PARALLEL RESTRICTED, as userseg_compare.  Not STRICT: NULL arguments are
-- error 22004.
CREATE FUNCTION userseg_dbscan_eps(source regclass, features text[], min_samples int DEFAULT 5,
                                   scale text DEFAULT 'zscore', nulls text DEFAULT 'skip',
                                   max_categories int DEFAULT 100,
                                   drop_first boolean DEFAULT false)
RETURNS TABLE(quantile float8, k_distance float8)
AS 'MODULE_PATHNAME', 'userseg_dbscan_eps'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_dbscan_eps(regclass, text[], int, text, text, int, boolean) IS
'Quantiles (0 to 1) of the distance of each row to its min_samples-th nearest row, itself included, in scaled units: where these distances bend upwards is a good eps for DBSCAN';

-- (end of dbscan)

------------------------------------------------------------------------------
-- Choosing k and comparing algorithms
------------------------------------------------------------------------------

-- Both read a table named by a regclass through SPI (with a fresh snapshot), which
-- must happen in the leader: VOLATILE PARALLEL RESTRICTED.  Not STRICT: a NULL
-- argument is error 22004 rather than an empty result.  The data are read and
-- scaled once; every k (every algorithm) is fitted and scored on the same scaled
-- rows.  The silhouette is exact up to sample_size rows and computed on
-- sample_size rows drawn with a generator seeded from seed above that (a NOTICE,
-- or the note, says so).

-- One row per k from k_min to k_max: K-Means inertia (to its centers), silhouette,
-- Calinski-Harabasz and Davies-Bouldin of its labels (NULL for k = 1); best marks the
-- highest silhouette (ties: the smaller k); elbow marks the k farthest below the
-- chord of the inertia curve scaled to the unit square (kneedle), also named in a
-- NOTICE.  Each k is seeded as the window form is, so its labels are those of
-- userseg_kmeans(ARRAY[...], k, seed, n_init, max_iter, tol, scale) OVER () on the
-- same rows in the same order.
CREATE FUNCTION userseg_kmeans_sweep(source regclass, features text[], k_min int, k_max int,
                                     seed int DEFAULT 0, n_init int DEFAULT 10,
                                     max_iter int DEFAULT 300, tol float8 DEFAULT 1e-4,
                                     scale text DEFAULT 'zscore', nulls text DEFAULT 'skip',
                                     sample_size int DEFAULT 10000,
                                     max_categories int DEFAULT 100,
                                     drop_first boolean DEFAULT false)
RETURNS TABLE(k int, inertia float8, silhouette float8, calinski_harabasz float8,
              davies_bouldin float8, best boolean, elbow boolean)
AS 'MODULE_PATHNAME', 'userseg_kmeans_sweep'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_kmeans_sweep(regclass, text[], int, int, int, int, int, float8, text, text, int, int, boolean) IS
'K-Means for each k from k_min to k_max on the same scaled data: inertia, silhouette, Calinski-Harabasz, Davies-Bouldin, the best k by silhouette and the elbow of the inertia curve';

-- One row per clustering algorithm (K-Means, DBSCAN; each algorithm adds its row)
-- on the same scaled data: clusters found, noise rows, scores, the time of the fit
-- alone, and a note.  A single cluster or only noise gives NULL silhouette,
-- Calinski-Harabasz and Davies-Bouldin, and the note says so.  params sets each
-- algorithm's parameters, keyed by algorithm ('{"kmeans": {"n_init": 3}}');
-- scikit-learn's defaults where none are given.
CREATE FUNCTION userseg_compare(source regclass, features text[], k int, seed int DEFAULT 0,
                                scale text DEFAULT 'zscore', nulls text DEFAULT 'skip',
                                sample_size int DEFAULT 10000, params jsonb DEFAULT '{}',
                                max_categories int DEFAULT 100,
                                drop_first boolean DEFAULT false)
RETURNS TABLE(algorithm text, n_clusters int, noise bigint, silhouette float8,
              calinski_harabasz float8, davies_bouldin float8, inertia float8,
              elapsed_ms float8, note text)
AS 'MODULE_PATHNAME', 'userseg_compare'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_compare(regclass, text[], int, int, text, text, int, jsonb, int, boolean) IS
'each clustering algorithm on the same scaled data: clusters, noise, silhouette, Calinski-Harabasz, Davies-Bouldin, inertia, fit time and a note';

-- (end of choosing k and comparing)

------------------------------------------------------------------------------
-- Profiles and reports
------------------------------------------------------------------------------

-- Profiles and reports work on any integer label column of any table, view,
-- materialized view or foreign table, so they serve every clustering algorithm.  They
-- are written in C (src/surface/report.c, segments.c) over the relation reader, and
-- take the same feature list as the clustering functions: numeric columns are
-- described by their moments, categorical ones (text, varchar, char, enum, boolean and
-- domains over them) by their mix.  Rules shared by all of them (docs/reference.md,
-- "Profiles and reports"):
--   * rows whose label is NULL belong to no cluster and are left out of every figure,
--     shares included; a source without a single labelled row is error 22000;
--   * every integer label is a cluster, -1 (noise, as density-based algorithms label
--     it) included: a row of its own, counted in the overall figures;
--   * the caller needs SELECT on the source or on the columns named (42501), every
--     named column must exist (42703), labels are smallint/integer/bigint or domains
--     over them (42804), a NULL argument is 22004 naming it;
--   * they read a relation by name through SPI (with a fresh snapshot), which must
--     happen in the leader: VOLATILE PARALLEL RESTRICTED.  Not STRICT, so that a NULL
--     argument is an error rather than an empty result.

CREATE FUNCTION userseg_profile(source regclass, label_column name, features text[])
RETURNS TABLE(cluster int, feature text, category text, n bigint, share float8,
              mean float8, stddev float8, min float8, max float8, overall_mean float8,
              z float8, lift float8)
AS 'MODULE_PATHNAME', 'userseg_profile'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_profile(regclass, name, text[]) IS
'profile of each cluster: per numeric feature count, share, mean, sample stddev, min, max, overall mean and z; per category of a categorical feature count, share in the cluster, share overall and lift';

-- The wide form for BI tools: one row per cluster, the feature means (a categorical
-- feature's category shares), z scores and lifts as jsonb objects keyed by feature name
-- (see the reference for turning them into columns).
CREATE FUNCTION userseg_profile_wide(source regclass, label_column name, features text[])
RETURNS TABLE(cluster int, n bigint, share float8, means jsonb, z jsonb, lift jsonb)
AS 'MODULE_PATHNAME', 'userseg_profile_wide'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_profile_wide(regclass, name, text[]) IS
'profile of each cluster in one row: size, share, and the feature means (category shares), z scores and lifts as jsonb objects';

CREATE FUNCTION userseg_crosstab(source regclass, label_column name, category_column name)
RETURNS TABLE(cluster int, category text, n bigint, share_in_cluster float8,
              share_overall float8, lift float8)
AS 'MODULE_PATHNAME', 'userseg_crosstab'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_crosstab(regclass, name, name) IS
'mix of a category column of any type in each cluster: count, share in the cluster, share overall and lift';

CREATE FUNCTION userseg_describe_segments(source regclass, label_column name,
                                          features text[], categories text[] DEFAULT NULL,
                                          top int DEFAULT 3)
RETURNS TABLE(cluster int, n bigint, share float8, description text)
AS 'MODULE_PATHNAME', 'userseg_describe_segments'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_describe_segments(regclass, name, text[], text[], int) IS
'one readable sentence per cluster: size, share, the numeric features with the largest |z| and the categories with the largest lift';

-- (end of profiles and reports)

------------------------------------------------------------------------------
-- Projections: PCA; box-plot statistics
------------------------------------------------------------------------------

-- PCA as scikit-learn's PCA(svd_solver='full'): centred data, LAPACK's SVD, the sign
-- convention of svd_flip (the largest |U| of each component positive), explained
-- variance with n - 1, optional whitening.  n_components from 1 to the encoded
-- columns (22023), at least max(n_components, 2) rows (22000).

-- Window form: the partition's rows (a NULL feature array, or one with a NULL element,
-- gives NULL and is left out of the fit), scaled with scale ('none' by default: PCA
-- itself does not scale), each row's coordinates as fit_transform gives them.
-- IMMUTABLE PARALLEL SAFE: the same rows in the same partition give the same
-- coordinates.  Not STRICT: a NULL n_components, whiten or scale is error 22004.
CREATE FUNCTION userseg_pca(features float8[], n_components int DEFAULT 2,
                            whiten boolean DEFAULT false, scale text DEFAULT 'none')
RETURNS float8[]
AS 'MODULE_PATHNAME', 'userseg_pca'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION userseg_pca(float8[], int, boolean, text) IS
'coordinates of each row of the window partition on its first n_components principal components (scikit-learn''s PCA, full SVD)';

-- Table form: reads, encodes and scales as every table form does (scale 'zscore' by
-- default), optionally saves the projection as a model (algorithm 'pca', the state
-- jsonb: mean, components, variances) for userseg_project, userseg_pca_summary and
-- userseg_pca_loadings, optionally writes the rows' coordinates into a new table
-- (projection: columns id, segment when label_column is named, pc1 ... pcN; needs
-- id_column); returns one summary row per component.  Reads a table by name through
-- SPI, writes the models table and creates a table: VOLATILE PARALLEL UNSAFE.
CREATE FUNCTION userseg_pca(source regclass, features text[], n_components int DEFAULT 2,
                            model text DEFAULT NULL, scale text DEFAULT 'zscore',
                            nulls text DEFAULT 'skip', whiten boolean DEFAULT false,
                            id_column name DEFAULT NULL, max_categories int DEFAULT 100,
                            drop_first boolean DEFAULT false, projection text DEFAULT NULL,
                            label_column name DEFAULT NULL)
RETURNS TABLE(component int, explained_variance float8, explained_variance_ratio float8,
              cumulative float8, singular_value float8)
AS 'MODULE_PATHNAME', 'userseg_pca_table'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION userseg_pca(regclass, text[], int, text, text, text, boolean, name, int, boolean, text, name) IS
'PCA of columns of a table (read, encoded and scaled as every table form); optionally saved as a model and written into a projection table (id, segment, pc1 ... pcN); one row per component: explained variance, ratio, cumulative ratio, singular value';

-- The saved model's figures.  STABLE: they read the models table (cached per
-- statement as userseg_predict does); PARALLEL SAFE: a plain read.  STRICT: a NULL
-- model gives no rows.  42704 for an unknown model, 42809 for one of another
-- algorithm.
CREATE FUNCTION userseg_pca_summary(model text)
RETURNS TABLE(component int, explained_variance float8, explained_variance_ratio float8,
              cumulative float8, singular_value float8)
AS 'MODULE_PATHNAME', 'userseg_pca_summary'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION userseg_pca_summary(text) IS
'explained variance, its ratio, the cumulative ratio and the singular value of each component of a saved PCA model';

CREATE FUNCTION userseg_pca_loadings(model text)
RETURNS TABLE(component int, feature text, loading float8)
AS 'MODULE_PATHNAME', 'userseg_pca_loadings'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION userseg_pca_loadings(text) IS
'coefficient of each encoded column in each component of a saved PCA model (scikit-learn''s components_), in the scaled units';

-- A new row's coordinates by a saved PCA model, as scikit-learn's transform: encoded
-- as the fit encoded it, scaled with the model's scaler, centred and projected.  The
-- row as its encoded vector, its columns as jsonb, or a row of the source table:
-- CREATE TABLE users_pca AS SELECT id, segment, p[1] AS pc1, p[2] AS pc2, p[3] AS pc3
-- FROM (SELECT id, segment, userseg_project('m', u) AS p FROM users u) s.
-- STABLE STRICT PARALLEL SAFE as userseg_predict.
CREATE FUNCTION userseg_project(model text, features float8[])
RETURNS float8[]
AS 'MODULE_PATHNAME', 'userseg_project'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION userseg_project(text, float8[]) IS
'coordinates of a new row by a saved PCA model, from its encoded vector';

CREATE FUNCTION userseg_project(model text, features jsonb)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'userseg_project_jsonb'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION userseg_project(text, jsonb) IS
'coordinates of a new row by a saved PCA model, from its columns as jsonb, encoded as the fit encoded them';

CREATE FUNCTION userseg_project(model text, features record)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'userseg_project_record'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION userseg_project(text, record) IS
'coordinates of a row of the source table by a saved PCA model, from its columns, encoded as the fit encoded them';

-- Box-plot statistics per cluster, the rows of userseg_profile (see its section): per
-- cluster and numeric feature the count, min, quartiles as percentile_cont
-- interpolates them, max, Tukey's whiskers (the furthest values within 1.5 IQR of the
-- quartiles) and the counts beyond them.  42804 for a categorical feature.  Reads a
-- table by name: VOLATILE PARALLEL RESTRICTED, not STRICT (22004 naming a NULL).
CREATE FUNCTION userseg_profile_box(source regclass, label_column name, features text[])
RETURNS TABLE(cluster int, feature text, n bigint, min float8, q1 float8, median float8,
              q3 float8, max float8, whisker_low float8, whisker_high float8,
              outliers_low bigint, outliers_high bigint)
AS 'MODULE_PATHNAME', 'userseg_profile_box'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_profile_box(regclass, name, text[]) IS
'box-plot statistics of numeric features per cluster: count, min, quartiles (percentile_cont), max, Tukey''s whiskers at 1.5 IQR and the outliers beyond them';

-- (end of projections)

------------------------------------------------------------------------------
-- Agglomerative clustering
------------------------------------------------------------------------------

-- scikit-learn 1.2's AgglomerativeClustering (no connectivity): linkage 'ward',
-- 'complete', 'average' or 'single'; exactly one of n_clusters and
-- distance_threshold (give n_clusters => NULL with a threshold, as scikit-learn wants
-- n_clusters=None); a merge at exactly the threshold is not made.  Distances are in
-- the units of the scaled features.  Labels are numbered as scikit-learn's _hc_cut
-- numbers them.  Ward and single linkage need O(n d) memory; complete and average a
-- condensed distance matrix of n (n - 1) / 2 float8, checked against
-- userseg.memory_limit first (54000).

-- Window form: each partition is clustered on its own, once, when its first row is
-- asked for.  IMMUTABLE PARALLEL SAFE as the other window forms: the labels depend only
-- on the partition's rows, their order and the arguments.  Not STRICT: a row with NULL
-- features gets a NULL label; n_clusters and distance_threshold may be NULL.
CREATE FUNCTION userseg_agglomerative(features float8[], n_clusters int DEFAULT 2,
                                      linkage text DEFAULT 'ward',
                                      distance_threshold float8 DEFAULT NULL,
                                      scale text DEFAULT 'zscore')
RETURNS int
AS 'MODULE_PATHNAME', 'userseg_agglomerative'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION userseg_agglomerative(float8[], int, text, float8, text) IS
'agglomerative clustering label of each row of the window partition: ward, complete, average or single linkage on the scaled features, cut at n_clusters or at distance_threshold; scikit-learn''s labels';

CREATE TYPE userseg_agglomerative_summary AS (
    model               text,
    linkage             text,
    n_clusters          int,
    distance_threshold  float8,
    rows_used           bigint,
    rows_skipped        bigint,
    silhouette          float8,
    silhouette_sampled  boolean,
    elapsed_ms          float8
);

COMMENT ON TYPE userseg_agglomerative_summary IS
'Summary row of the table form of userseg_agglomerative';

-- Table form: reads the relation (in id_column's order when given), fits, writes the
-- label column in the caller's transaction, saves a model of the segments' centroids
-- when model is named (userseg_predict then labels a new row by the nearest centroid:
-- an approximation, agglomerative clustering has no predict of its own).  VOLATILE
-- PARALLEL UNSAFE: it writes the source table and the models table.  Not STRICT.
CREATE FUNCTION userseg_agglomerative(source regclass, features text[],
    n_clusters int DEFAULT 2, linkage text DEFAULT 'ward',
    distance_threshold float8 DEFAULT NULL, label_column name DEFAULT NULL,
    scale text DEFAULT 'zscore', nulls text DEFAULT 'skip', id_column name DEFAULT NULL,
    model text DEFAULT NULL, max_categories int DEFAULT 100,
    drop_first boolean DEFAULT false)
RETURNS @extschema@.userseg_agglomerative_summary
AS 'MODULE_PATHNAME', 'userseg_agglomerative_table'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION userseg_agglomerative(regclass, text[], int, text, float8, name, text, text, name, text, int, boolean) IS
'agglomerative clustering of columns of a table: optional label column written in the same transaction, optional model of the segments'' centroids; one summary row';

-- The merge table: scipy's linkage matrix as rows (scikit-learn's children_ and
-- distances_), so a dendrogram can be drawn and the tree cut again without refitting.
-- The rows read are the leaves 0..n-1 (in id_column's order when given); merge step
-- (0..n-2) joins nodes a and b (a leaf, or the node n + an earlier step) at distance,
-- into size rows.  Reads a table by name: VOLATILE PARALLEL RESTRICTED.  Not STRICT.
CREATE FUNCTION userseg_agglomerative_tree(source regclass, features text[],
    linkage text DEFAULT 'ward', scale text DEFAULT 'zscore', nulls text DEFAULT 'skip',
    id_column name DEFAULT NULL, max_categories int DEFAULT 100,
    drop_first boolean DEFAULT false)
RETURNS TABLE(step bigint, a bigint, b bigint, distance float8, size bigint)
AS 'MODULE_PATHNAME', 'userseg_agglomerative_tree'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_agglomerative_tree(regclass, text[], text, text, text, name, int, boolean) IS
'the merges of agglomerative clustering of columns of a table, as scipy''s linkage matrix: step, the two nodes merged (rows 0..n-1, step s makes node n + s), distance, size';

-- (end of agglomerative)

------------------------------------------------------------------------------
-- Mean Shift
------------------------------------------------------------------------------

-- Window form: each partition is clustered on its own, once, when its first row is
-- asked for; the bandwidth is in the units of the scaled features, estimated when
-- NULL as scikit-learn's estimate_bandwidth(X, quantile, n_samples, random_state =
-- seed).  Labels: the centres numbered by the rows within the bandwidth of each
-- (most first), then by coordinates (scikit-learn 1.2's MeanShift); -1 for rows
-- farther than the bandwidth from every centre when cluster_all is false.
-- IMMUTABLE PARALLEL SAFE as the other window forms: the labels depend only on the
-- partition's rows and the arguments.  Not STRICT: a row with NULL features gets a
-- NULL label, bandwidth and n_samples may be NULL.
CREATE FUNCTION userseg_meanshift(features float8[], bandwidth float8 DEFAULT NULL,
                                  bin_seeding boolean DEFAULT false,
                                  min_bin_freq int DEFAULT 1,
                                  cluster_all boolean DEFAULT true,
                                  quantile float8 DEFAULT 0.3, n_samples int DEFAULT NULL,
                                  seed bigint DEFAULT 0, max_iter int DEFAULT 300,
                                  scale text DEFAULT 'zscore')
RETURNS int
AS 'MODULE_PATHNAME', 'userseg_meanshift'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION userseg_meanshift(float8[], float8, boolean, int, boolean, float8, int, bigint, int, text) IS
'Mean Shift label of each row of the window partition: flat kernel of radius bandwidth in scaled units (estimated when NULL), the number of clusters found; -1 for rows beyond the bandwidth of every centre with cluster_all false; scikit-learn semantics';

CREATE TYPE userseg_meanshift_summary AS (
    model               text,
    bandwidth           float8,
    bandwidth_estimated boolean,
    n_clusters          int,
    rows_used           bigint,
    rows_skipped        bigint,
    seeds               bigint,
    n_iter              int,
    unlabelled          bigint,
    silhouette          float8,
    silhouette_sampled  boolean,
    centers             float8[],
    elapsed_ms          float8
);

COMMENT ON TYPE userseg_meanshift_summary IS
'Summary row of the table form of userseg_meanshift; centers are the cluster centres in original units, one row per cluster';

-- Table form: reads the relation (in id_column's order when given), fits, writes the
-- label column and saves the model (the centres as its centroids: userseg_predict
-- gives a new row its nearest centre) in the caller's transaction.  VOLATILE
-- PARALLEL UNSAFE: it writes the source table and the models table.  Not STRICT:
-- bandwidth, n_samples, label_column, model and id_column may be NULL; other NULL
-- arguments are error 22004.
CREATE FUNCTION userseg_meanshift(source regclass, features text[],
    bandwidth float8 DEFAULT NULL, bin_seeding boolean DEFAULT false,
    min_bin_freq int DEFAULT 1, cluster_all boolean DEFAULT true,
    quantile float8 DEFAULT 0.3, n_samples int DEFAULT NULL, seed bigint DEFAULT 0,
    max_iter int DEFAULT 300, label_column name DEFAULT NULL,
    scale text DEFAULT 'zscore', nulls text DEFAULT 'skip', model text DEFAULT NULL,
    id_column name DEFAULT NULL, max_categories int DEFAULT 100,
    drop_first boolean DEFAULT false)
RETURNS @extschema@.userseg_meanshift_summary
AS 'MODULE_PATHNAME', 'userseg_meanshift_table'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION userseg_meanshift(regclass, text[], float8, boolean, int, boolean, float8, int, bigint, int, name, text, text, text, name, int, boolean) IS
'Mean Shift on columns of a table: rows in the order of an optional unique id column, optional label column (-1 beyond every centre with cluster_all false) and saved model (predict: the nearest centre) written in the same transaction; one summary row with the centres in original units';

-- (end of mean shift)

------------------------------------------------------------------------------
-- Spectral clustering
------------------------------------------------------------------------------

-- Window form: each partition is clustered on its own, once, when its first row is
-- asked for (scikit-learn 1.2's SpectralClustering with assign_labels 'kmeans':
-- affinity 'rbf', exp(-gamma ||x - y||^2) in scaled units, or 'nearest_neighbors',
-- the graph of each row's n_neighbors nearest rows, itself included, symmetrized;
-- the normalized Laplacian's eigenvectors by ARPACK, K-Means on them).  Labels
-- 0..n_clusters-1 numbered by decreasing cluster size.  The seed draws ARPACK's
-- start vector and K-Means' seeding: IMMUTABLE PARALLEL SAFE as the K-Means window
-- form, the labels depend only on the partition's rows and the arguments.  Not
-- STRICT: a row with NULL features gets a NULL label.  No model and no predict, as
-- in scikit-learn.
CREATE FUNCTION userseg_spectral(features float8[], n_clusters int DEFAULT 8,
                                 affinity text DEFAULT 'rbf', gamma float8 DEFAULT 1.0,
                                 n_neighbors int DEFAULT 10, n_init int DEFAULT 10,
                                 seed bigint DEFAULT 0, scale text DEFAULT 'zscore')
RETURNS int
AS 'MODULE_PATHNAME', 'userseg_spectral'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION userseg_spectral(float8[], int, text, float8, int, int, bigint, text) IS
'Spectral clustering label of each row of the window partition: rbf or nearest_neighbors affinity, normalized Laplacian embedding (ARPACK), K-Means on it; scikit-learn semantics';

CREATE TYPE userseg_spectral_summary AS (
    n_clusters          int,
    affinity            text,
    gamma               float8,
    n_neighbors         int,
    clusters_found      int,
    rows_used           bigint,
    rows_skipped        bigint,
    last_eigenvalue     float8,
    silhouette          float8,
    silhouette_sampled  boolean,
    elapsed_ms          float8
);

COMMENT ON TYPE userseg_spectral_summary IS
'Summary row of the table form of userseg_spectral';

-- Table form: reads the relation (in id_column's order when given), fits, writes
-- the label column in the caller's transaction.  VOLATILE PARALLEL UNSAFE: it writes
-- the source table.  Not STRICT: label_column and id_column may be NULL; other NULL
-- arguments are error 22004.
CREATE FUNCTION userseg_spectral(source regclass, features text[], n_clusters int DEFAULT 8,
    label_column name DEFAULT NULL, affinity text DEFAULT 'rbf', gamma float8 DEFAULT 1.0,
    n_neighbors int DEFAULT 10, n_init int DEFAULT 10, seed bigint DEFAULT 0,
    scale text DEFAULT 'zscore', nulls text DEFAULT 'skip', id_column name DEFAULT NULL,
    max_categories int DEFAULT 100, drop_first boolean DEFAULT false)
RETURNS @extschema@.userseg_spectral_summary
AS 'MODULE_PATHNAME', 'userseg_spectral_table'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION userseg_spectral(regclass, text[], int, name, text, float8, int, int, bigint, text, text, name, int, boolean) IS
'Spectral clustering on columns of a table: rows in the order of an optional unique id column, optional label column written in the same transaction; one summary row (no model: spectral clustering has no predict)';

-- The embedding spectral clustering clusters, for plotting it or clustering it
-- otherwise: each row's n_components coordinates, as scikit-learn's
-- spectral_embedding(affinity, n_components, drop_first=False) of the same affinity
-- (the first, near-constant coordinate kept; scikit-learn's SpectralEmbedding
-- transformer drops it and has other defaults).  The seed draws ARPACK's start vector.
-- IMMUTABLE PARALLEL SAFE, not STRICT, as the window form above.
CREATE FUNCTION userseg_spectral_embedding(features float8[], n_components int DEFAULT 8,
                                           affinity text DEFAULT 'rbf',
                                           gamma float8 DEFAULT 1.0,
                                           n_neighbors int DEFAULT 10,
                                           seed bigint DEFAULT 0,
                                           scale text DEFAULT 'zscore')
RETURNS float8[]
AS 'MODULE_PATHNAME', 'userseg_spectral_embedding'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION userseg_spectral_embedding(float8[], int, text, float8, int, bigint, text) IS
'Coordinates of each row of the window partition in the normalized Laplacian embedding spectral clustering clusters (scikit-learn''s spectral_embedding with drop_first=False)';

-- (end of spectral)

-- ---------------------------------------------------------------------------
-- K-Means at scale: one Lloyd iteration as an aggregate; combinable statistics
-- ---------------------------------------------------------------------------

-- One Lloyd iteration over the rows of a group: each row is assigned to the nearest of
-- the given centers (ties to the lower number), and the result holds the means of the
-- rows per center (the next centers), their counts and the inertia with respect to the
-- given centers.  The state is a float8[] (src/core/kmeans_step_core.c), not internal:
-- parallel query combines partial states, and Citus can push the aggregate down to its
-- workers and ship the partial states as text (float8 text output round-trips exactly).
-- Support functions are IMMUTABLE PARALLEL SAFE: they depend on their arguments only.
-- The transition function is not strict: the state starts at the first row with
-- features, and rows with NULL features (or a NULL element) are left out.
CREATE TYPE userseg_kmeans_step_result AS (
    centers float8[],
    sizes bigint[],
    inertia float8,
    rows bigint
);
COMMENT ON TYPE userseg_kmeans_step_result IS
'Result of userseg_kmeans_step: k x d means of the rows per center (an empty center keeps its value), rows per center, inertia to the given centers, rows';

CREATE FUNCTION userseg_kmeans_step_trans(state float8[], features float8[], centers float8[])
RETURNS float8[]
AS 'MODULE_PATHNAME', 'userseg_kmeans_step_trans'
LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_kmeans_step_trans(float8[], float8[], float8[]) IS
'Transition function of userseg_kmeans_step';

CREATE FUNCTION userseg_kmeans_step_combine(a float8[], b float8[])
RETURNS float8[]
AS 'MODULE_PATHNAME', 'userseg_kmeans_step_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_kmeans_step_combine(float8[], float8[]) IS
'Combine function of userseg_kmeans_step: adds two partial states of the same centers';

CREATE FUNCTION userseg_kmeans_step_final(state float8[])
RETURNS @extschema@.userseg_kmeans_step_result
AS 'MODULE_PATHNAME', 'userseg_kmeans_step_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_kmeans_step_final(float8[]) IS
'Final function of userseg_kmeans_step: the means per center, the sizes, the inertia and the rows';

CREATE AGGREGATE userseg_kmeans_step(features float8[], centers float8[]) (
    SFUNC = @extschema@.userseg_kmeans_step_trans,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.userseg_kmeans_step_combine,
    FINALFUNC = @extschema@.userseg_kmeans_step_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE userseg_kmeans_step(float8[], float8[]) IS
'One Lloyd iteration of K-Means over the rows of a group: next centers, sizes and inertia for the given k x d centers';

-- Combinable statistics for dashboards: states are float8[] (src/surface/aggregates.c),
-- not internal, so parallel query combines partial states and Citus can push these
-- aggregates down to its workers and ship the partial states as text.  Means and
-- variances are merged with Chan, Golub & LeVeque's formula.  NULL values (or NULL
-- elements, per element) are left out; NaN and Infinity are error 22000.  Support
-- functions are IMMUTABLE PARALLEL SAFE; transition functions are not strict (the state
-- starts at the first value), combine and final functions are.
CREATE TYPE userseg_stats_result AS (
    n bigint,
    mean float8,
    stddev float8,
    variance float8,
    var_pop float8,
    min float8,
    max float8
);
COMMENT ON TYPE userseg_stats_result IS
'Result of userseg_stats(float8): count, mean, sample standard deviation and variance (n - 1; NULL below 2 values), population variance, min, max';

CREATE TYPE userseg_stats_arrays AS (
    n bigint[],
    mean float8[],
    stddev float8[],
    variance float8[],
    var_pop float8[],
    min float8[],
    max float8[]
);
COMMENT ON TYPE userseg_stats_arrays IS
'Result of userseg_stats(float8[]): the statistics of userseg_stats_result, one array element per feature element';

CREATE FUNCTION userseg_stats_trans(state float8[], x float8)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'userseg_stats_trans'
LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_stats_trans(float8[], float8) IS
'Transition function of userseg_stats(float8)';

CREATE FUNCTION userseg_stats_trans(state float8[], features float8[])
RETURNS float8[]
AS 'MODULE_PATHNAME', 'userseg_stats_array_trans'
LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_stats_trans(float8[], float8[]) IS
'Transition function of userseg_stats(float8[])';

CREATE FUNCTION userseg_stats_combine(a float8[], b float8[])
RETURNS float8[]
AS 'MODULE_PATHNAME', 'userseg_stats_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_stats_combine(float8[], float8[]) IS
'Combine function of userseg_stats: merges two partial states (Chan''s formula)';

CREATE FUNCTION userseg_stats_final(state float8[])
RETURNS @extschema@.userseg_stats_result
AS 'MODULE_PATHNAME', 'userseg_stats_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_stats_final(float8[]) IS
'Final function of userseg_stats(float8)';

CREATE FUNCTION userseg_stats_array_final(state float8[])
RETURNS @extschema@.userseg_stats_arrays
AS 'MODULE_PATHNAME', 'userseg_stats_array_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_stats_array_final(float8[]) IS
'Final function of userseg_stats(float8[])';

CREATE AGGREGATE userseg_stats(x float8) (
    SFUNC = @extschema@.userseg_stats_trans,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.userseg_stats_combine,
    FINALFUNC = @extschema@.userseg_stats_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE userseg_stats(float8) IS
'Count, mean, standard deviation, variances, min and max of a column, combinable (parallel query, Citus)';

CREATE AGGREGATE userseg_stats(features float8[]) (
    SFUNC = @extschema@.userseg_stats_trans,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.userseg_stats_combine,
    FINALFUNC = @extschema@.userseg_stats_array_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE userseg_stats(float8[]) IS
'Per element of a feature array: count, mean, standard deviation, variances, min and max, combinable (parallel query, Citus)';

-- Inertia and Calinski-Harabasz of a clustering given its labels, with the semantics of
-- userseg_inertia and userseg_calinski_harabasz (rows with NULL features, a NULL element,
-- a NULL label or label -1 are left out; Calinski-Harabasz is NULL with a NOTICE for
-- fewer than 2 clusters or as many clusters as rows), from per-cluster moments merged
-- with Chan's formula instead of the rows: a state of O(clusters x d), combinable.
CREATE TYPE userseg_cluster_stats_result AS (
    clusters int,
    rows bigint,
    inertia float8,
    calinski_harabasz float8
);
COMMENT ON TYPE userseg_cluster_stats_result IS
'Result of userseg_cluster_stats: clusters, rows, inertia (squared distances to the cluster means), Calinski-Harabasz score';

CREATE FUNCTION userseg_cluster_stats_trans(state float8[], features float8[], label int)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'userseg_cluster_stats_trans'
LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_cluster_stats_trans(float8[], float8[], int) IS
'Transition function of userseg_cluster_stats';

CREATE FUNCTION userseg_cluster_stats_combine(a float8[], b float8[])
RETURNS float8[]
AS 'MODULE_PATHNAME', 'userseg_cluster_stats_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_cluster_stats_combine(float8[], float8[]) IS
'Combine function of userseg_cluster_stats: merges the per-cluster moments of two partial states';

CREATE FUNCTION userseg_cluster_stats_final(state float8[])
RETURNS @extschema@.userseg_cluster_stats_result
AS 'MODULE_PATHNAME', 'userseg_cluster_stats_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_cluster_stats_final(float8[]) IS
'Final function of userseg_cluster_stats';

CREATE AGGREGATE userseg_cluster_stats(features float8[], label int) (
    SFUNC = @extschema@.userseg_cluster_stats_trans,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.userseg_cluster_stats_combine,
    FINALFUNC = @extschema@.userseg_cluster_stats_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE userseg_cluster_stats(float8[], int) IS
'Inertia and Calinski-Harabasz of a clustering given its labels, combinable (parallel query, Citus)';

-- Category counts for the crosstab: how often each category occurs in a group, as a
-- combinable aggregate (src/surface/counts.c).  The state and the result are the type
-- userseg_counts (not internal): sorted (category, count) pairs with the bound, whose
-- text form round-trips exactly, e.g. max_categories=100 {"android": 120, "ios": 80,
-- NULL: 3}; parallel query combines partial states and Citus ships them as text.
-- Categories are values' text (value::text for other types, as userseg_crosstab reads
-- them), in byte order (COLLATE "C"); a NULL value is counted under the NULL category,
-- as the crosstab counts it.  At most max_categories distinct categories, the NULL
-- category included (100 by default, 1 to 1,000,000): one more is error 54000.
-- Support functions are IMMUTABLE PARALLEL SAFE: they depend on their arguments only;
-- the transition function is not strict (NULL values are counted), the others are.
CREATE TYPE userseg_counts;

CREATE FUNCTION userseg_counts_in(cstring)
RETURNS @extschema@.userseg_counts
AS 'MODULE_PATHNAME', 'userseg_counts_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_counts_in(cstring) IS
'Input function of userseg_counts: max_categories=N {"category": count, ..., NULL: count}';

CREATE FUNCTION userseg_counts_out(@extschema@.userseg_counts)
RETURNS cstring
AS 'MODULE_PATHNAME', 'userseg_counts_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_counts_out(userseg_counts) IS
'Output function of userseg_counts: the canonical text form, categories in byte order, NULL last';

CREATE FUNCTION userseg_counts_recv(internal)
RETURNS @extschema@.userseg_counts
AS 'MODULE_PATHNAME', 'userseg_counts_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_counts_recv(internal) IS
'Binary input function of userseg_counts (binary COPY and clients)';

CREATE FUNCTION userseg_counts_send(@extschema@.userseg_counts)
RETURNS bytea
AS 'MODULE_PATHNAME', 'userseg_counts_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_counts_send(userseg_counts) IS
'Binary output function of userseg_counts: max_categories, categories, NULL count, then length, bytes and count per category in byte order';

CREATE TYPE userseg_counts (
    INPUT = @extschema@.userseg_counts_in,
    OUTPUT = @extschema@.userseg_counts_out,
    RECEIVE = @extschema@.userseg_counts_recv,
    SEND = @extschema@.userseg_counts_send,
    INTERNALLENGTH = VARIABLE,
    -- double: the header's int64 is read in place from a stored value
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE userseg_counts IS
'Category counts: (category, count) pairs in byte order, the NULL category last, and the bound max_categories; the state and result of userseg_category_counts';

CREATE FUNCTION userseg_category_counts_trans(state @extschema@.userseg_counts, value text)
RETURNS @extschema@.userseg_counts
AS 'MODULE_PATHNAME', 'userseg_category_counts_trans'
LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_category_counts_trans(userseg_counts, text) IS
'Transition function of userseg_category_counts(text)';

CREATE FUNCTION userseg_category_counts_trans(state @extschema@.userseg_counts, value text,
                                              max_categories int)
RETURNS @extschema@.userseg_counts
AS 'MODULE_PATHNAME', 'userseg_category_counts_trans'
LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_category_counts_trans(userseg_counts, text, int) IS
'Transition function of userseg_category_counts(text, int)';

CREATE FUNCTION userseg_counts_combine(a @extschema@.userseg_counts, b @extschema@.userseg_counts)
RETURNS @extschema@.userseg_counts
AS 'MODULE_PATHNAME', 'userseg_counts_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION userseg_counts_combine(userseg_counts, userseg_counts) IS
'Combine function of userseg_category_counts and userseg_counts_merge: adds the counts of two states (the larger bound)';

CREATE AGGREGATE userseg_category_counts(value text) (
    SFUNC = @extschema@.userseg_category_counts_trans,
    STYPE = @extschema@.userseg_counts,
    COMBINEFUNC = @extschema@.userseg_counts_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE userseg_category_counts(text) IS
'Rows per category (NULL a category of its own) of a group, at most 100 categories, combinable (parallel query, Citus)';

CREATE AGGREGATE userseg_category_counts(value text, max_categories int) (
    SFUNC = @extschema@.userseg_category_counts_trans,
    STYPE = @extschema@.userseg_counts,
    COMBINEFUNC = @extschema@.userseg_counts_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE userseg_category_counts(text, int) IS
'Rows per category (NULL a category of its own) of a group, at most max_categories categories, combinable (parallel query, Citus)';

-- Counts of several groups added up, e.g. the overall mix from the per-segment states
CREATE AGGREGATE userseg_counts_merge(counts @extschema@.userseg_counts) (
    SFUNC = @extschema@.userseg_counts_combine,
    STYPE = @extschema@.userseg_counts,
    COMBINEFUNC = @extschema@.userseg_counts_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE userseg_counts_merge(userseg_counts) IS
'Category counts added up over rows of userseg_counts (the larger bound), combinable (parallel query, Citus)';

CREATE FUNCTION userseg_counts_rows(counts @extschema@.userseg_counts)
RETURNS TABLE(category text, n bigint, share float8)
AS 'MODULE_PATHNAME', 'userseg_counts_rows'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 20;
COMMENT ON FUNCTION userseg_counts_rows(userseg_counts) IS
'One row per category of category counts, in byte order, the NULL category last: its count and its share of the rows';

-- (end of K-Means at scale)

------------------------------------------------------------------------------
-- Plots and the HTML report
------------------------------------------------------------------------------

-- Each plot returns one SVG 1.1 document as text (valid XML, with <title>, <desc>,
-- axis titles and ticks and a legend): every data mark has class "mark" and the root
-- <svg> says how many were drawn in data-marks.  Segments keep one colour in every
-- plot (Okabe-Ito, by segment number; noise -1 grey).  The label column is any
-- integer column, as for the profiles (same errors: 42703, 42804, 42501, 22000); the
-- scatter and the 3-D view draw at most max_points points (1 to 100,000; a random
-- sample seeded with seed above that, stated in <desc>).  A single segment is drawn
-- with a NOTICE; the silhouette needs two segments (22023); more than 50 segments is
-- 22023.  They read a table by
-- name through SPI: VOLATILE PARALLEL RESTRICTED; not STRICT (22004 naming a NULL).

CREATE FUNCTION userseg_plot_scatter(source regclass, label_column name, features text[],
                                     x text DEFAULT NULL, y text DEFAULT NULL,
                                     max_points int DEFAULT 5000, seed int DEFAULT 0)
RETURNS text
AS 'MODULE_PATHNAME', 'userseg_plot_scatter'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_plot_scatter(regclass, name, text[], text, text, int, int) IS
'SVG scatter of the rows on their first two principal components (z-scored features), or on two named numeric features, coloured by segment, centroids marked';

CREATE FUNCTION userseg_plot_3d(source regclass, label_column name, features text[],
                                max_points int DEFAULT 5000, seed int DEFAULT 0)
RETURNS text
AS 'MODULE_PATHNAME', 'userseg_plot_3d'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_plot_3d(regclass, name, text[], int, int) IS
'SVG 3-D view (fixed oblique projection, drawn axes) of the rows on their first three principal components, coloured by segment';

CREATE FUNCTION userseg_plot_heatmap(source regclass, label_column name, features text[])
RETURNS text
AS 'MODULE_PATHNAME', 'userseg_plot_heatmap'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_plot_heatmap(regclass, name, text[]) IS
'SVG heatmap of the z of each numeric feature''s mean per segment (userseg_profile), diverging colours, values printed';

CREATE FUNCTION userseg_plot_mix(source regclass, label_column name, category name)
RETURNS text
AS 'MODULE_PATHNAME', 'userseg_plot_mix'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_plot_mix(regclass, name, name) IS
'SVG bars of the share of each category of a column per segment (userseg_crosstab), lift printed';

CREATE FUNCTION userseg_plot_box(source regclass, label_column name, features text[])
RETURNS text
AS 'MODULE_PATHNAME', 'userseg_plot_box'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_plot_box(regclass, name, text[]) IS
'SVG box plots per segment of numeric features (userseg_profile_box: quartiles, median, Tukey''s whiskers)';

CREATE FUNCTION userseg_plot_silhouette(source regclass, label_column name, features text[],
                                        sample_size int DEFAULT 2000, seed int DEFAULT 0)
RETURNS text
AS 'MODULE_PATHNAME', 'userseg_plot_silhouette'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_plot_silhouette(regclass, name, text[], int, int) IS
'SVG of each row''s silhouette (z-scored features, noise left out) sorted within its segment, the average marked; at most sample_size rows (3 to 10,000)';

-- The sweep and the comparison plots draw the rows of userseg_kmeans_sweep and
-- userseg_compare (their defaults otherwise); k_max - k_min is below 50.
CREATE FUNCTION userseg_plot_sweep(source regclass, features text[], k_min int DEFAULT 2,
                                   k_max int DEFAULT 10, seed int DEFAULT 0)
RETURNS text
AS 'MODULE_PATHNAME', 'userseg_plot_sweep'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_plot_sweep(regclass, text[], int, int, int) IS
'SVG of K-Means inertia (elbow marked) and silhouette (best marked) against k, from userseg_kmeans_sweep';

CREATE FUNCTION userseg_plot_compare(source regclass, features text[], k int,
                                     seed int DEFAULT 0)
RETURNS text
AS 'MODULE_PATHNAME', 'userseg_plot_compare'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_plot_compare(regclass, text[], int, int) IS
'SVG bars of the silhouette of each clustering algorithm of userseg_compare';

-- One self-contained HTML page (inline CSS and SVG, no script, nothing fetched):
-- sizes and sentences, scores, the scatter and 3-D views, the heatmap, a mix per
-- category column, box plots and the silhouette plot.  Arguments as the plots'.
CREATE FUNCTION userseg_report(source regclass, label_column name, features text[],
                               categories text[] DEFAULT NULL, max_points int DEFAULT 5000,
                               sample_size int DEFAULT 2000, seed int DEFAULT 0)
RETURNS text
AS 'MODULE_PATHNAME', 'userseg_report'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_report(regclass, name, text[], text[], int, int, int) IS
'one self-contained HTML page of a segmentation: sizes, sentences, scores, scatter, 3-D view, heatmap, category mixes, box plots and silhouettes';

-- (end of plots and the report)
