-- Scalers: the window form, the fitted scaler, apply and inverse, errors
SET extra_float_digits = 0;   -- 15 significant digits

-- show the SQLSTATE and message of an error
CREATE FUNCTION scale_try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE TABLE scale_t (id int PRIMARY KEY, g text, f float8[]);
INSERT INTO scale_t VALUES
  (1, 'a', '{1,10,-3}'),
  (2, 'a', '{2,10,-1}'),
  (3, 'a', '{3,10,0}'),
  (4, 'a', '{4,10,8}'),
  (5, 'a', NULL),              -- NULL vector: NULL result, left out of the fit
  (6, 'a', '{5,NULL,1}'),      -- NULL element: the same
  (7, 'b', '{-5,0,100}'),
  (8, 'b', '{5,0,200}'),
  (9, 'b', '{0,0,150}');

-- zscore (the default): group a, column 1 {1,2,3,4} has mean 2.5 and population
-- standard deviation sqrt(1.25); the constant column 2 maps to 0
SELECT id, g, userseg_scale(f) OVER (PARTITION BY g) AS zscore
FROM scale_t ORDER BY id;

-- minmax: (x - min) / (max - min)
SELECT id, g, userseg_scale(f, 'minmax') OVER (PARTITION BY g) AS minmax
FROM scale_t ORDER BY id;

-- robust: group a, column 1 has median 2.5 and IQR 3.25 - 1.75 = 1.5;
-- column 3 {-3,-1,0,8} has median -0.5 and IQR 2 - (-1.5) = 3.5
SELECT id, g, userseg_scale(f, 'robust') OVER (PARTITION BY g) AS robust
FROM scale_t ORDER BY id;

-- none: the vectors as they are (a vector with a NULL element is still left out)
SELECT id, g, userseg_scale(f, 'none') OVER (PARTITION BY g) AS unscaled
FROM scale_t ORDER BY id;

-- the frame and ORDER BY of the window change nothing: the whole partition is used
SELECT count(*) AS rows,
       count(*) FILTER (WHERE whole IS NOT DISTINCT FROM framed) AS same
FROM (SELECT userseg_scale(f, 'robust') OVER (PARTITION BY g) AS whole,
             userseg_scale(f, 'robust') OVER (PARTITION BY g ORDER BY id DESC
                                              ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS framed
      FROM scale_t) q;

-- one partition for the whole table
SELECT id, userseg_scale(f, 'minmax') OVER () FROM scale_t WHERE g = 'b' ORDER BY id;

-- the fitted scalers
SELECT g, userseg_scaler_fit(f) AS zscore FROM scale_t GROUP BY g ORDER BY g;
SELECT g, userseg_scaler_fit(f, 'minmax') AS minmax FROM scale_t GROUP BY g ORDER BY g;
SELECT g, userseg_scaler_fit(f, 'robust') AS robust FROM scale_t GROUP BY g ORDER BY g;
SELECT g, userseg_scaler_fit(f, 'none') AS unscaled FROM scale_t GROUP BY g ORDER BY g;
SELECT (s).method, (s).n, (s).center, (s).scale
FROM (SELECT userseg_scaler_fit(f, 'robust') AS s FROM scale_t WHERE g = 'a') q;

-- no rows, or only NULL vectors: NULL
SELECT userseg_scaler_fit(f) IS NULL AS no_rows FROM scale_t WHERE false;
SELECT userseg_scaler_fit(f, 'robust') IS NULL AS only_nulls FROM scale_t WHERE f IS NULL;

-- fit + apply gives the window form: minmax and robust exactly, zscore up to rounding
-- of the last bits (the aggregate sums in one pass, the window form in two)
WITH fits AS (
  SELECT g, m, userseg_scaler_fit(f, m) AS s
  FROM scale_t, unnest('{zscore,minmax,robust,none}'::text[]) AS m
  GROUP BY g, m
), win AS (
  SELECT id, g, m, f, userseg_scale(f, m) OVER (PARTITION BY g, m) AS w
  FROM scale_t, unnest('{zscore,minmax,robust,none}'::text[]) AS m
  WHERE f IS NOT NULL AND array_position(f, NULL) IS NULL
)
SELECT m, count(*) AS rows,
       count(*) FILTER (WHERE userseg_scale_apply(win.f, fits.s) = win.w) AS identical,
       max((SELECT max(abs(a - b)) FROM unnest(userseg_scale_apply(win.f, fits.s), win.w) AS u(a, b)))
         < 1e-14 AS within_1e_14
FROM win JOIN fits USING (g, m)
GROUP BY m ORDER BY m;

-- inverse(apply(x)) gives x back
WITH fits AS (
  SELECT g, m, userseg_scaler_fit(f, m) AS s
  FROM scale_t, unnest('{zscore,minmax,robust}'::text[]) AS m
  GROUP BY g, m
)
SELECT m, count(*) AS rows,
       max((SELECT max(abs(a - b)) FROM
            unnest(userseg_scale_inverse(userseg_scale_apply(t.f, fits.s), fits.s), t.f) AS u(a, b)))
         < 1e-12 AS round_trip
FROM scale_t t JOIN fits USING (g)
WHERE t.f IS NOT NULL AND array_position(t.f, NULL) IS NULL
GROUP BY m ORDER BY m;

-- a scaler written by hand: only center and scale are used
SELECT userseg_scale_apply('{10,20}', ('zscore', 2, '{8,10}', '{2,5}')::userseg_scaler);
SELECT userseg_scale_inverse('{1,2}', ('zscore', 2, '{8,10}', '{2,5}')::userseg_scaler);
SELECT userseg_scale_apply(NULL, ('zscore', 2, '{8,10}', '{2,5}')::userseg_scaler) IS NULL AS strict;

-- a stored scaler applied to new rows
CREATE TABLE scale_model AS SELECT userseg_scaler_fit(f, 'minmax') AS s FROM scale_t WHERE g = 'a';
SELECT userseg_scale_apply('{2.5,10,19}', s) FROM scale_model;

-- partial states survive a text round trip, as Citus ships them between nodes: two
-- partial fits (odd and even rows) combined and finished give the same scaler through
-- text as without it (the text must be exact: float8 output with extra_float_digits
-- >= 1, the default; 0 rounds to 15 digits), and the scaler of one aggregate over all
-- rows: exactly for minmax, robust and none, within 1e-13 for zscore (other order of sums)
SET extra_float_digits = 1;
CREATE AGGREGATE scale_partial(float8[], text) (
  SFUNC = userseg_scaler_fit_trans, STYPE = float8[]);
CREATE TABLE scale_rt AS
SELECT i AS id, ARRAY[sqrt(i::float8) * 1e3 + 1e6, ln(i::float8) - 7, 1.0 / i]::float8[] AS f
FROM generate_series(1, 1001) i;
WITH parts AS (
  SELECT m, (SELECT scale_partial(f, m) FROM scale_rt WHERE id % 2 = 0) AS even,
            (SELECT scale_partial(f, m) FROM scale_rt WHERE id % 2 = 1) AS odd,
            (SELECT userseg_scaler_fit(f, m) FROM scale_rt) AS whole
  FROM unnest('{zscore,minmax,robust,none}'::text[]) AS m
), fits AS (
  SELECT m, whole,
         userseg_scaler_fit_final(userseg_scaler_fit_combine(even, odd)) AS direct,
         userseg_scaler_fit_final(userseg_scaler_fit_combine(even::text::float8[],
                                                             odd::text::float8[])) AS via_text
  FROM parts
)
SELECT m, via_text = direct AS same_through_text,
       via_text = whole AS same_as_whole,
       (SELECT bool_and(abs(a - b) <= 1e-13 * abs(b))
        FROM unnest((via_text).center || (via_text).scale, (whole).center || (whole).scale) u(a, b))
         AS within_1e_13
FROM fits ORDER BY m;
SET extra_float_digits = 0;

-- errors, with their SQLSTATEs
SELECT userseg_scale(f, 'zscorre') OVER () FROM scale_t;
SELECT scale_try($$SELECT userseg_scale(f, 'zscorre') OVER () FROM scale_t$$);
SELECT scale_try($$SELECT userseg_scale(f, NULL) OVER () FROM scale_t$$);
SELECT scale_try($$SELECT userseg_scale(f, CASE WHEN id < 3 THEN 'zscore' ELSE 'minmax' END) OVER () FROM scale_t$$);
SELECT scale_try($$SELECT userseg_scale(f) OVER () FROM (VALUES ('{1,2}'::float8[]), ('{1,2,3}')) v(f)$$);
SELECT scale_try($$SELECT userseg_scale(f) OVER () FROM (VALUES ('{1,2}'::float8[]), ('{1,NaN}')) v(f)$$);
SELECT scale_try($$SELECT userseg_scale(f) OVER () FROM (VALUES ('{{1,2},{3,4}}'::float8[])) v(f)$$);
SELECT scale_try($$SELECT userseg_scaler_fit(f, 'zscorre') FROM scale_t$$);
SELECT scale_try($$SELECT userseg_scaler_fit(f, NULL) FROM scale_t$$);
SELECT scale_try($$SELECT userseg_scaler_fit(f, CASE WHEN id < 3 THEN 'robust' ELSE 'minmax' END) FROM scale_t$$);
SELECT scale_try($$SELECT userseg_scaler_fit(f) FROM (VALUES ('{1,2}'::float8[]), ('{1,2,3}')) v(f)$$);
SELECT scale_try($$SELECT userseg_scaler_fit(f) FROM (VALUES ('{1,2}'::float8[]), ('{1,Infinity}')) v(f)$$);
SELECT scale_try($$SELECT userseg_scaler_fit(f) FROM (VALUES ('{}'::float8[])) v(f)$$);
SELECT scale_try($$SELECT userseg_scale_apply('{1,2,3}', ('zscore', 2, '{8,10}', '{2,5}'))$$);
SELECT scale_try($$SELECT userseg_scale_apply('{1,2}', ('zscore', 2, '{8,10}', '{2,0}'))$$);
SELECT scale_try($$SELECT userseg_scale_apply('{1,2}', ('zscore', 2, NULL, '{2,5}'))$$);
SELECT scale_try($$SELECT userseg_scale_apply('{1,2}', ('zscore', 2, '{8}', '{2,5}'))$$);
SELECT scale_try($$SELECT userseg_scale_apply('{1,NULL}', ('zscore', 2, '{8,10}', '{2,5}'))$$);
SELECT scale_try($$SELECT userseg_scale_inverse('{1e308,1}', ('zscore', 2, '{0,0}', '{10,1}'))$$);
-- a state that was not made by the transition function (states may arrive as text)
SELECT scale_try($$SELECT userseg_scaler_fit_final('{1,3,1,5}')$$);
SELECT scale_try($$SELECT userseg_scaler_fit_final('{1,7,1,1,1}')$$);
SELECT scale_try($$SELECT userseg_scaler_fit_final('{1,1,2,1,5,0,NaN,0,0,0}')$$);
SELECT scale_try($$SELECT userseg_scaler_fit_combine('{1,2,1,1,1,1}', '{1,2,2,1,1,1,1,1}')$$);
SELECT scale_try($$SELECT userseg_scaler_fit_combine('{1,2,1,1,1,1}', '{1,3,1,1,1}')$$);

-- the robust fit keeps every value: its state is checked against userseg.memory_limit
-- (the sizes in the message are left out of the output)
SET userseg.memory_limit = '64kB';
SELECT scale_try($$SELECT userseg_scaler_fit(ARRAY[i::float8], 'robust') FROM generate_series(1, 20000) i$$)
  LIKE '54000: the robust scaler''s state needs % of memory, more than userseg.memory_limit (%)' AS robust_state_54000;
SELECT scale_try($$SELECT userseg_scale(ARRAY[i::float8], 'robust') OVER () FROM generate_series(1, 20000) i$$)
  LIKE '54000: % needs % of memory, more than userseg.memory_limit (%)' AS window_54000;
SELECT (userseg_scaler_fit(ARRAY[i::float8], 'zscore')).n AS zscore_needs_little
FROM generate_series(1, 20000) i;
RESET userseg.memory_limit;

-- a growing robust state: 100001 rows, median and quartiles of 1..100001
SELECT userseg_scaler_fit(ARRAY[i::float8, (i % 7)::float8], 'robust')
FROM generate_series(1, 100001) i;

-- Overflow is 22003 naming the column, in every form.  The zscore aggregate sums its
-- values: a sum beyond float8 is 22003 at once (not an invalid state at the end)
SELECT userseg_scaler_fit(f, 'zscore') FROM (VALUES ('{1, 1e308}'::float8[]), ('{2, 1e308}')) v(f);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT scale_try($$SELECT userseg_scaler_fit(f, 'minmax') FROM (VALUES ('{1, 1e308}'::float8[]), ('{2, -1e308}')) v(f)$$);
SELECT scale_try($$SELECT userseg_scaler_fit(f, 'robust') FROM (VALUES ('{1, 1.7e308}'::float8[]), ('{2, -1.7e308}'), ('{3, 1.7e308}'), ('{4, -1.7e308}')) v(f)$$);
-- quartiles more than the largest float8 apart are interpolated without overflow
-- (numpy.percentile of -1e308, 1e308: -5e307 and 5e307, an IQR of 1e308)
SELECT (userseg_scaler_fit(f, 'robust')).*
FROM (VALUES ('{1, 1e308}'::float8[]), ('{2, -1e308}')) v(f);
-- the window form takes its moments on the column times a power of two: finite, and
-- for values times 2^1000 the same as for the values, bit for bit
SELECT userseg_scale(f, 'zscore') OVER () = userseg_scale(g, 'zscore') OVER () AS same_as_small
FROM (SELECT ARRAY[i * power(2::float8, 1000)] AS f, ARRAY[i::float8] AS g
      FROM generate_series(1, 4) i) x;
-- K-Means with scale => 'none' on values whose squared distances overflow: 22003 naming
-- the feature (with a scaler the same rows cluster)
SELECT userseg_kmeans(ARRAY[1, v], 2, scale => 'none') OVER ()
FROM (VALUES (1e308::float8), (-1e308), (1e308), (-1e308)) t(v);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(DISTINCT l) AS clusters_zscore
FROM (SELECT userseg_kmeans(ARRAY[1, v], 2) OVER () AS l
      FROM (VALUES (1e308::float8), (-1e308), (1e308), (-1e308)) t(v)) x;
-- describe: the mean of huge values is finite; a standard deviation beyond float8 is
-- 22003 naming the column
CREATE TABLE scale_huge AS SELECT * FROM (VALUES (1e308::float8, 1.7e308::float8),
  (-1e308, -1.7e308), (1e308, 1.7e308), (-1e308, -1.7e308)) v(a, b);
SELECT column_name, mean, stddev, min, max FROM userseg_describe('scale_huge', ARRAY['a']);
SELECT * FROM userseg_describe('scale_huge', ARRAY['a', 'b']);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP TABLE scale_huge;
-- a constant column has a standard deviation of exactly 0 (never a negative M2, an error)
CREATE TABLE scale_const AS SELECT 0.1::float8 AS a FROM generate_series(1, 7);
SELECT column_name, mean, stddev FROM userseg_describe('scale_const', ARRAY['a']);
DROP TABLE scale_const;
