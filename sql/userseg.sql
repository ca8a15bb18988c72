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

-- Table form.  The saved models: one row per name, kept by pg_dump.
CREATE TABLE userseg_models (
    name                text PRIMARY KEY,
    algorithm           text NOT NULL,
    features            text[] NOT NULL,
    columns             text[] NOT NULL,
    scaler              text NOT NULL,
    scale_center        float8[] NOT NULL,
    scale_scale         float8[] NOT NULL,
    parameters          jsonb NOT NULL,
    centroids           float8[] NOT NULL,
    centroids_original  float8[] NOT NULL,
    sizes               bigint[] NOT NULL,
    inertia             float8,
    silhouette          float8,
    silhouette_sampled  boolean,
    rows                bigint NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    owner               name NOT NULL DEFAULT CURRENT_USER
);
SELECT pg_catalog.pg_extension_config_dump('userseg_models', '');

COMMENT ON TABLE userseg_models IS
'Fitted userseg models: features, scaler, centroids in scaled and original units, metrics; each row visible to and writable by its owner only';

-- Any role may save models (the table form writes this table with the caller's
-- privileges, never more), but each model is private to the role that fitted it:
-- row-level security lets a role read, refit and delete only the rows it owns, so no
-- one can read another's centroids (means of a table they may not read) or overwrite
-- another's model.  The table's owner (the extension's owner) and superusers bypass
-- the policy and see every model; to share a model, they may add a permissive policy,
-- e.g. CREATE POLICY ... FOR SELECT TO dashboard USING (name = 'nightly').  The owner
-- is compared by name (a dropped role's rows stay, visible to the table's owner).
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

-- The work of the table form: reads the relation (in id_column's order when given),
-- fits, writes the label column.  VOLATILE PARALLEL UNSAFE: it may write the source
-- table.
CREATE FUNCTION userseg_kmeans_fit(source regclass, features text[], k int,
    label_column name, scale text, nulls text, seed int, n_init int, max_iter int,
    tol float8, init float8[], previous float8[], id_column name,
    OUT k int, OUT rows_used bigint, OUT rows_skipped bigint, OUT iterations int,
    OUT inertia float8, OUT silhouette float8, OUT silhouette_sampled boolean,
    OUT elapsed_ms float8, OUT columns text[], OUT scale_center float8[],
    OUT scale_scale float8[], OUT centroids float8[], OUT centroids_original float8[],
    OUT sizes bigint[], OUT converged boolean)
AS 'MODULE_PATHNAME', 'userseg_kmeans_fit'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION userseg_kmeans_fit(regclass, text[], int, name, text, text, int, int, int, float8, float8[], float8[], name) IS
'internal: the fit behind the table form of userseg_kmeans';

CREATE FUNCTION userseg_kmeans(source regclass, features text[], k int,
    label_column name DEFAULT NULL, scale text DEFAULT 'zscore', nulls text DEFAULT 'skip',
    seed int DEFAULT 0, n_init int DEFAULT 10, max_iter int DEFAULT 300,
    tol float8 DEFAULT 1e-4, init float8[] DEFAULT NULL, model text DEFAULT NULL,
    id_column name DEFAULT NULL)
RETURNS @extschema@.userseg_kmeans_summary
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
AS $$
#variable_conflict use_column
DECLARE
    prev float8[];
    r record;
BEGIN
    IF userseg_kmeans.model IS NOT NULL THEN
        -- the previous fit under this name, locked until the transaction ends
        SELECT m.centroids_original INTO prev
        FROM @extschema@.userseg_models m
        WHERE m.name OPERATOR(pg_catalog.=) userseg_kmeans.model
          AND m.algorithm OPERATOR(pg_catalog.=) 'kmeans'
          AND m.features OPERATOR(pg_catalog.=) userseg_kmeans.features
        FOR UPDATE;
    END IF;
    SELECT * INTO r FROM @extschema@.userseg_kmeans_fit(userseg_kmeans.source,
        userseg_kmeans.features, userseg_kmeans.k, userseg_kmeans.label_column,
        userseg_kmeans.scale, userseg_kmeans.nulls, userseg_kmeans.seed,
        userseg_kmeans.n_init, userseg_kmeans.max_iter, userseg_kmeans.tol,
        userseg_kmeans.init, prev, userseg_kmeans.id_column);
    IF userseg_kmeans.model IS NOT NULL THEN
      BEGIN
        INSERT INTO @extschema@.userseg_models AS m (name, algorithm, features, columns,
            scaler, scale_center, scale_scale, parameters, centroids, centroids_original,
            sizes, inertia, silhouette, silhouette_sampled, rows, created_at, owner)
        VALUES (userseg_kmeans.model, 'kmeans', userseg_kmeans.features, r.columns,
            userseg_kmeans.scale, r.scale_center, r.scale_scale,
            pg_catalog.jsonb_build_object('k', r.k, 'seed', userseg_kmeans.seed,
                'n_init', userseg_kmeans.n_init, 'max_iter', userseg_kmeans.max_iter,
                'tol', userseg_kmeans.tol, 'nulls', userseg_kmeans.nulls,
                'source', userseg_kmeans.source::text, 'id_column', userseg_kmeans.id_column,
                'iterations', r.iterations,
                'converged', r.converged),
            r.centroids, r.centroids_original, r.sizes, r.inertia, r.silhouette,
            r.silhouette_sampled, r.rows_used, pg_catalog.now(), CURRENT_USER)
        ON CONFLICT (name) DO UPDATE SET algorithm = EXCLUDED.algorithm,
            features = EXCLUDED.features, columns = EXCLUDED.columns,
            scaler = EXCLUDED.scaler, scale_center = EXCLUDED.scale_center,
            scale_scale = EXCLUDED.scale_scale, parameters = EXCLUDED.parameters,
            centroids = EXCLUDED.centroids, centroids_original = EXCLUDED.centroids_original,
            sizes = EXCLUDED.sizes, inertia = EXCLUDED.inertia,
            silhouette = EXCLUDED.silhouette, silhouette_sampled = EXCLUDED.silhouette_sampled,
            rows = EXCLUDED.rows, created_at = EXCLUDED.created_at;
      EXCEPTION WHEN insufficient_privilege THEN
        -- the name is taken by a model of another role (row-level security)
        RAISE EXCEPTION 'model "%" belongs to another role', userseg_kmeans.model
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Saved models are private to the role that fitted them; nothing was written.',
                  HINT = 'Choose another model name, or refit as the role that owns the model.';
      END;
    END IF;
    RETURN ROW(userseg_kmeans.model, r.k, r.rows_used, r.rows_skipped, r.iterations,
               r.inertia, r.silhouette, r.silhouette_sampled,
               r.elapsed_ms)::@extschema@.userseg_kmeans_summary;
END
$$;

COMMENT ON FUNCTION userseg_kmeans(regclass, text[], int, name, text, text, int, int, int, float8, float8[], text, name) IS
'K-Means on columns of a table: rows in the order of an optional unique id column, optional label column written in the same transaction, optional saved model with stable cluster numbers; one summary row';

-- The nearest scaled centroid to a scaled row: behind userseg_predict.
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
'Label of a new row by a saved model: its scaler, then the nearest centroid';

-- (end of k-means)

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
                                     sample_size int DEFAULT 10000)
RETURNS TABLE(k int, inertia float8, silhouette float8, calinski_harabasz float8,
              davies_bouldin float8, best boolean, elbow boolean)
AS 'MODULE_PATHNAME', 'userseg_kmeans_sweep'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_kmeans_sweep(regclass, text[], int, int, int, int, int, float8, text, text, int) IS
'K-Means for each k from k_min to k_max on the same scaled data: inertia, silhouette, Calinski-Harabasz, Davies-Bouldin, the best k by silhouette and the elbow of the inertia curve';

-- One row per clustering algorithm (K-Means for now; each algorithm adds its row)
-- on the same scaled data: clusters found, noise rows, scores, the time of the fit
-- alone, and a note.  A single cluster or only noise gives NULL silhouette,
-- Calinski-Harabasz and Davies-Bouldin, and the note says so.
CREATE FUNCTION userseg_compare(source regclass, features text[], k int, seed int DEFAULT 0,
                                scale text DEFAULT 'zscore', nulls text DEFAULT 'skip',
                                sample_size int DEFAULT 10000)
RETURNS TABLE(algorithm text, n_clusters int, noise bigint, silhouette float8,
              calinski_harabasz float8, davies_bouldin float8, inertia float8,
              elapsed_ms float8, note text)
AS 'MODULE_PATHNAME', 'userseg_compare'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL RESTRICTED;

COMMENT ON FUNCTION userseg_compare(regclass, text[], int, int, text, text, int) IS
'each clustering algorithm on the same scaled data: clusters, noise, silhouette, Calinski-Harabasz, Davies-Bouldin, inertia, fit time and a note';

-- (end of choosing k and comparing)

------------------------------------------------------------------------------
-- Profiles and reports
------------------------------------------------------------------------------

-- Profiles and reports work on any integer label column of any table, view or
-- materialized view, so they serve every clustering algorithm.  They are written in
-- PL/pgSQL: each builds one aggregate query with format('%I') for column names and the
-- regclass's own quoted output for the relation, and binds every value as a parameter.
-- Rules shared by all of them (docs/reference.md, "Profiles and reports"):
--   * rows whose label is NULL belong to no cluster and are left out of every figure,
--     shares included; a source without a single labelled row is error 22000;
--   * the caller needs SELECT on the source (42501), every named column must exist
--     (42703), labels are smallint/integer/bigint or domains over them (42804);
--   * they read a relation by name: VOLATILE PARALLEL RESTRICTED;
--   * search_path is pinned to pg_catalog, pg_temp, so the relation is always named
--     schema-qualified in the generated queries and in messages.

-- Internal: check a report's source and columns, raising the report errors.
-- STABLE: reads the catalogs and the caller's privileges only.
CREATE FUNCTION @extschema@.userseg_report_check(source regclass, label_column name,
                                                  features text[], categories text[])
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED  -- checks the catalog for the reporting functions, which run in the leader
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    kind "char";
    col record;
    base oid;
    btype "char";
    dup text;
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'source must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF label_column IS NULL THEN
        RAISE EXCEPTION 'label_column must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT c.relkind INTO kind FROM pg_class AS c WHERE c.oid = source;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'relation with OID % does not exist', source::oid
            USING ERRCODE = '42P01';
    END IF;
    IF kind NOT IN ('r', 'p', 'v', 'm', 'f') THEN
        RAISE EXCEPTION '% is not a table, view or materialized view', source
            USING ERRCODE = '42809';
    END IF;
    IF NOT has_any_column_privilege(source, 'SELECT') THEN
        RAISE EXCEPTION 'permission denied for table %', source
            USING ERRCODE = '42501',
                  DETAIL = 'Reports read the source with the privileges of the current role.',
                  HINT = 'Grant SELECT on the table, or on the columns the report names.';
    END IF;
    IF array_position(features, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'feature names must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF array_position(categories, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'category column names must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT u.f INTO dup FROM unnest(features) AS u(f) GROUP BY u.f HAVING count(*) > 1
        ORDER BY u.f COLLATE "C" LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'feature "%" is named more than once', dup
            USING ERRCODE = '22023', HINT = 'Name each feature once.';
    END IF;
    SELECT u.f INTO dup FROM unnest(categories) AS u(f) GROUP BY u.f HAVING count(*) > 1
        ORDER BY u.f COLLATE "C" LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'category column "%" is named more than once', dup
            USING ERRCODE = '22023', HINT = 'Name each category column once.';
    END IF;

    FOR col IN
        SELECT w.name, w.role, a.attnum, a.atttypid
        FROM (SELECT label_column::text, 1, 0::bigint
              UNION ALL
              SELECT f.name, 2, f.pos FROM unnest(features) WITH ORDINALITY AS f(name, pos)
              UNION ALL
              SELECT g.name, 3, g.pos FROM unnest(categories) WITH ORDINALITY AS g(name, pos))
             AS w(name, role, pos)
        LEFT JOIN pg_attribute AS a
               ON a.attrelid = source AND a.attname::text = w.name
              AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY w.role, w.pos
    LOOP
        IF col.attnum IS NULL THEN
            RAISE EXCEPTION 'column "%" of relation % does not exist', col.name, source
                USING ERRCODE = '42703',
                      HINT = 'Column names are matched exactly as written, with no case folding.';
        END IF;
        IF NOT has_column_privilege(source, col.attnum, 'SELECT') THEN
            RAISE EXCEPTION 'permission denied for column "%" of relation %', col.name, source
                USING ERRCODE = '42501',
                      HINT = 'Grant SELECT on the column or on the table.';
        END IF;
        CONTINUE WHEN col.role = 3;     -- a category may be of any type
        base := col.atttypid;
        LOOP
            SELECT t.typtype, t.typbasetype INTO btype, dup FROM pg_type AS t WHERE t.oid = base;
            EXIT WHEN btype IS DISTINCT FROM 'd';
            base := dup::oid;
        END LOOP;
        IF col.role = 1 AND base NOT IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) THEN
            RAISE EXCEPTION 'label column "%" must be of an integer type', col.name
                USING ERRCODE = '42804',
                      DETAIL = format('Its type is %s.', format_type(col.atttypid, NULL)),
                      HINT = 'Labels are smallint, integer or bigint; cast them in a view.';
        END IF;
        IF col.role = 2 AND base NOT IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype,
                                         'float4'::regtype, 'float8'::regtype,
                                         'numeric'::regtype) THEN
            RAISE EXCEPTION 'feature column "%" must be of a numeric type', col.name
                USING ERRCODE = '42804',
                      DETAIL = format('Its type is %s.', format_type(col.atttypid, NULL)),
                      HINT = 'Features are smallint, integer, bigint, real, double precision or numeric; name categories as categories.';
        END IF;
    END LOOP;
END
$fn$;

COMMENT ON FUNCTION @extschema@.userseg_report_check(regclass, name, text[], text[]) IS
'internal: checks the source, privileges and column types of a profile or report';

-- Internal: raise 22000 for a source without a labelled row, saying which case it is.
CREATE FUNCTION @extschema@.userseg_report_no_rows(source regclass, label_column name)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    total bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', source) INTO total;
    RAISE EXCEPTION 'no labelled rows in %', source
        USING ERRCODE = '22000',
              DETAIL = CASE WHEN total = 0 THEN 'The relation is empty.'
                            ELSE format('All %s rows have a NULL label in column "%s".',
                                        total, label_column) END,
              HINT = 'Reports describe the rows of a labelled relation; label it first.';
END
$fn$;

COMMENT ON FUNCTION @extschema@.userseg_report_no_rows(regclass, name) IS
'internal: raises the error for a report source without labelled rows';

-- Internal: the per cluster and feature statistics behind userseg_profile,
-- userseg_profile_wide and userseg_describe_segments, with cluster sizes and the
-- overall standard deviation beside them.  One scan of the source: one aggregate query
-- grouped by cluster and by nothing (the overall row), each feature's aggregates
-- gathered in arrays, unpivoted here into one row per cluster and feature.
CREATE FUNCTION @extschema@.userseg_report_profile_stats(source regclass, label_column name,
                                                          features text[])
RETURNS TABLE(cluster int, feature_pos int, feature text, size bigint, total bigint,
              n bigint, mean float8, stddev float8, min float8, max float8,
              overall_mean float8, overall_stddev float8, z float8)
LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    q text;
    r record;
    o record;
    i int;
    d int;
BEGIN
    IF features IS NULL THEN
        RAISE EXCEPTION 'features must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF cardinality(features) = 0 THEN
        RAISE EXCEPTION 'features must name at least one column' USING ERRCODE = '22023';
    END IF;
    PERFORM @extschema@.userseg_report_check(source, label_column, features, NULL);
    d := cardinality(features);

    SELECT format($q$
        SELECT grouping(s.%1$I) AS grp, s.%1$I::int4 AS c, count(*) AS size,
               ARRAY[%2$s]::bigint[] AS n, ARRAY[%3$s]::float8[] AS mean,
               ARRAY[%4$s]::float8[] AS sd, ARRAY[%5$s]::float8[] AS mn,
               ARRAY[%6$s]::float8[] AS mx, ARRAY[%7$s]::bigint[] AS bad
        FROM %8$s AS s
        WHERE s.%1$I IS NOT NULL
        GROUP BY GROUPING SETS ((s.%1$I), ())
        ORDER BY 1 DESC, 2$q$,
        label_column,
        string_agg(format('count(%s)', fe.e), ', ' ORDER BY fe.pos),
        string_agg(format('avg(%s)', fe.e), ', ' ORDER BY fe.pos),
        string_agg(format('stddev_samp(%s)', fe.e), ', ' ORDER BY fe.pos),
        string_agg(format('min(%s)', fe.e), ', ' ORDER BY fe.pos),
        string_agg(format('max(%s)', fe.e), ', ' ORDER BY fe.pos),
        string_agg(format($b$count(*) FILTER (WHERE %1$s = 'NaN'::float8 OR %1$s = 'Infinity'::float8 OR %1$s = '-Infinity'::float8)$b$, fe.e),
                   ', ' ORDER BY fe.pos),
        source)
    INTO q
    FROM (SELECT format('s.%I::float8', f.name) AS e, f.pos
          FROM unnest(features) WITH ORDINALITY AS f(name, pos)) AS fe;

    FOR r IN EXECUTE q LOOP
        IF r.grp = 1 THEN
            -- the overall row comes first
            o := r;
            IF o.size = 0 THEN
                PERFORM @extschema@.userseg_report_no_rows(source, label_column);
            END IF;
            FOR i IN 1 .. d LOOP
                IF o.bad[i] > 0 THEN
                    RAISE EXCEPTION 'feature "%" has NaN or infinite values', features[i]
                        USING ERRCODE = '22000',
                              DETAIL = format('%s labelled rows hold NaN, Infinity or -Infinity.',
                                              o.bad[i]),
                              HINT = 'Replace them with NULL or filter them out in a view.';
                END IF;
            END LOOP;
            CONTINUE;
        END IF;
        FOR i IN 1 .. d LOOP
            cluster := r.c;
            feature_pos := i;
            feature := features[i];
            size := r.size;
            total := o.size;
            n := r.n[i];
            mean := r.mean[i];
            stddev := r.sd[i];
            min := r.mn[i];
            max := r.mx[i];
            overall_mean := o.mean[i];
            overall_stddev := o.sd[i];
            -- a feature without spread (constant, or a single value) has no z
            z := CASE WHEN o.sd[i] > 0 THEN (r.mean[i] - o.mean[i]) / o.sd[i] END;
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$fn$;

COMMENT ON FUNCTION @extschema@.userseg_report_profile_stats(regclass, name, text[]) IS
'internal: per cluster and feature statistics with cluster sizes, behind the profile functions';

CREATE FUNCTION @extschema@.userseg_profile(source regclass, label_column name,
                                             features text[])
RETURNS TABLE(cluster int, feature text, n bigint, share float8, mean float8,
              stddev float8, min float8, max float8, overall_mean float8, z float8)
LANGUAGE sql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT p.cluster, p.feature, p.n, p.size::float8 / p.total, p.mean, p.stddev,
           p.min, p.max, p.overall_mean, p.z
    FROM @extschema@.userseg_report_profile_stats(source, label_column, features) AS p
    ORDER BY p.cluster, p.feature_pos
$fn$;

COMMENT ON FUNCTION @extschema@.userseg_profile(regclass, name, text[]) IS
'profile of each cluster: per feature count, share, mean, sample stddev, min, max, overall mean and z in overall standard deviations';

-- The wide form for BI tools: one row per cluster, the feature means and z scores as
-- jsonb objects keyed by feature name (see the reference for turning them into columns).
CREATE FUNCTION @extschema@.userseg_profile_wide(source regclass, label_column name,
                                                  features text[])
RETURNS TABLE(cluster int, n bigint, share float8, means jsonb, z jsonb)
LANGUAGE sql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT p.cluster, p.size, p.size::float8 / p.total,
           jsonb_object_agg(p.feature, p.mean ORDER BY p.feature_pos),
           jsonb_object_agg(p.feature, p.z ORDER BY p.feature_pos)
    FROM @extschema@.userseg_report_profile_stats(source, label_column, features) AS p
    GROUP BY p.cluster, p.size, p.total
    ORDER BY p.cluster
$fn$;

COMMENT ON FUNCTION @extschema@.userseg_profile_wide(regclass, name, text[]) IS
'profile of each cluster in one row: size, share, and the feature means and z scores as jsonb objects';

CREATE FUNCTION @extschema@.userseg_crosstab(source regclass, label_column name,
                                              category_column name)
RETURNS TABLE(cluster int, category text, n bigint, share_in_cluster float8,
              share_overall float8, lift float8)
LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    q text;
BEGIN
    IF category_column IS NULL THEN
        RAISE EXCEPTION 'category_column must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM @extschema@.userseg_report_check(source, label_column, NULL,
                                             ARRAY[category_column::text]);
    -- Counts per (cluster, category text); then every cluster meets every category
    -- seen, with 0 where they never meet.  NULL categories are a category of their own,
    -- joined through a flag so that the join stays a hash join.
    q := format($q$
        WITH cnt AS (
            SELECT s.%1$I::int4 AS c, s.%2$I::text AS k, count(*) AS n
            FROM %3$s AS s
            WHERE s.%1$I IS NOT NULL
            GROUP BY 1, 2),
        cl AS (SELECT cnt.c, sum(cnt.n)::bigint AS size FROM cnt GROUP BY cnt.c),
        ca AS (SELECT cnt.k, sum(cnt.n)::bigint AS kn FROM cnt GROUP BY cnt.k),
        tot AS (SELECT sum(cnt.n)::bigint AS total FROM cnt)
        SELECT cl.c, ca.k, coalesce(cnt.n, 0) AS n,
               coalesce(cnt.n, 0)::float8 / cl.size AS sc,
               ca.kn::float8 / tot.total AS so,
               (coalesce(cnt.n, 0)::float8 / cl.size) / (ca.kn::float8 / tot.total) AS lift
        FROM cl CROSS JOIN ca CROSS JOIN tot
        LEFT JOIN cnt ON cnt.c = cl.c AND (cnt.k IS NULL) = (ca.k IS NULL)
                     AND coalesce(cnt.k, '') = coalesce(ca.k, '')
        ORDER BY cl.c, ca.k COLLATE "C" NULLS LAST$q$, label_column, category_column, source);
    RETURN QUERY EXECUTE q;
    IF NOT FOUND THEN
        PERFORM @extschema@.userseg_report_no_rows(source, label_column);
    END IF;
END
$fn$;

COMMENT ON FUNCTION @extschema@.userseg_crosstab(regclass, name, name) IS
'mix of a category column in each cluster: count, share in the cluster, share overall and lift';

-- Internal: a feature or category column name as words (underscores to spaces).
-- IMMUTABLE: text in, text out.
CREATE FUNCTION @extschema@.userseg_report_words(name text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN pg_catalog.btrim(pg_catalog.regexp_replace(name, '_+', ' ', 'g'));

COMMENT ON FUNCTION @extschema@.userseg_report_words(text) IS
'internal: a column name as words for segment sentences (underscores become spaces)';

CREATE FUNCTION @extschema@.userseg_describe_segments(source regclass, label_column name,
                                                       features text[],
                                                       categories text[] DEFAULT NULL,
                                                       top int DEFAULT 3)
RETURNS TABLE(cluster int, n bigint, share float8, description text)
LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
    IF top IS NULL THEN
        RAISE EXCEPTION 'top must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF top < 1 THEN
        RAISE EXCEPTION 'top must be at least 1' USING ERRCODE = '22023',
            DETAIL = format('top is %s.', top),
            HINT = 'top is how many features and how many categories each sentence names.';
    END IF;
    IF features IS NULL THEN
        RAISE EXCEPTION 'features must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF cardinality(features) = 0 THEN
        RAISE EXCEPTION 'features must name at least one column' USING ERRCODE = '22023';
    END IF;
    PERFORM @extschema@.userseg_report_check(source, label_column, features, categories);

    RETURN QUERY
    WITH p AS MATERIALIZED (
        SELECT * FROM @extschema@.userseg_report_profile_stats(source, label_column, features)),
    sizes AS (
        SELECT DISTINCT p.cluster, p.size, p.total FROM p),
    -- features that set the cluster apart: |z| >= 0.1, largest first, ties in the
    -- order the features were given
    fz AS (
        SELECT p.cluster,
               string_agg(format('%s %s%s sd',
                                 @extschema@.userseg_report_words(p.feature),
                                 CASE WHEN p.z < 0 THEN '-' ELSE '+' END,
                                 to_char(round(abs(p.z)::numeric, 1), 'FM999,999,990.0')),
                          ', ' ORDER BY p.rank) AS words
        FROM (SELECT p.*, row_number() OVER (PARTITION BY p.cluster
                                             ORDER BY abs(p.z) DESC, p.feature_pos) AS rank
              FROM p WHERE p.z IS NOT NULL AND abs(p.z) >= 0.1) AS p
        WHERE p.rank <= top
        GROUP BY p.cluster),
    -- categories over-represented in the cluster: lift >= 1.2 with at least 5 rows and
    -- 5% of the cluster, NULL categories left out; largest lift first, then count,
    -- then column order, then category text
    cc AS (
        SELECT x.cluster, x.category, x.n, x.share_in_cluster, x.lift, k.pos,
               CASE WHEN k.textual THEN x.category
                    ELSE format('%s = %s', @extschema@.userseg_report_words(k.name),
                                x.category) END AS label
        FROM (SELECT k0.name, k0.pos, ty.typcategory IN ('S', 'E') AS textual
              FROM unnest(categories) WITH ORDINALITY AS k0(name, pos)
              JOIN pg_attribute AS a
                ON a.attrelid = source AND a.attname::text = k0.name
               AND a.attnum > 0 AND NOT a.attisdropped
              JOIN pg_type AS ty ON ty.oid = a.atttypid) AS k
        CROSS JOIN LATERAL @extschema@.userseg_crosstab(source, label_column, k.name::name)
             AS x),
    cz AS (
        SELECT c.cluster,
               string_agg(format('%s x%s', c.label,
                                 to_char(round(c.lift::numeric, 1), 'FM999,999,990.0')),
                          ', ' ORDER BY c.rank) AS words
        FROM (SELECT cc.*, row_number() OVER (PARTITION BY cc.cluster
                                              ORDER BY cc.lift DESC, cc.n DESC, cc.pos,
                                                       cc.category COLLATE "C") AS rank
              FROM cc
              WHERE cc.category IS NOT NULL AND cc.n >= 5 AND cc.share_in_cluster >= 0.05
                AND cc.lift >= 1.2) AS c
        WHERE c.rank <= top
        GROUP BY c.cluster)
    SELECT s.cluster, s.size, s.size::float8 / s.total,
           format('%s %s (%s): %s%s',
                  to_char(s.size, 'FM999,999,999,999,999,990'),
                  CASE WHEN s.size = 1 THEN 'user' ELSE 'users' END,
                  CASE WHEN round(100.0 * s.size / s.total) = 0 THEN '<1%'
                       WHEN round(100.0 * s.size / s.total) = 100 AND s.size < s.total
                            THEN '>99%'
                       ELSE round(100.0 * s.size / s.total)::text || '%' END,
                  coalesce(fz.words, 'close to average on every feature'),
                  CASE WHEN cz.words IS NOT NULL THEN '; ' || cz.words ELSE '' END)
    FROM sizes AS s
    LEFT JOIN fz ON fz.cluster = s.cluster
    LEFT JOIN cz ON cz.cluster = s.cluster
    ORDER BY s.cluster;
END
$fn$;

COMMENT ON FUNCTION @extschema@.userseg_describe_segments(regclass, name, text[], text[], int) IS
'one readable sentence per cluster: size, share, the features with the largest |z| and the categories with the largest lift';

-- (end of profiles and reports)
