"""Parity of userseg's scalers with scikit-learn's StandardScaler, MinMaxScaler and
RobustScaler, on the same data in the same run.

The data is generated here with a seeded numpy generator, inserted through psycopg2,
then read back from the database: scikit-learn fits on exactly the doubles userseg sees.
Two partitions (an even and an odd number of rows, so both median cases occur) and a
few NULL vectors, which both the window form and the aggregate leave out.

Columns: normal, constant, negative, a large offset with small noise (1e6 + N(0, 1)),
skewed (lognormal), small counts with many ties (Poisson), and tiny values (1e-6 scale).

Tolerances, stated once:
- scaled values, per column j: max_i |a_ij - b_ij| <= 1e-9 * max(max_i |b_ij|, 1e-3).
  Relative to the column's largest scaled value: an absolute error in the scaled values
  comes from rounding in the center, which is amplified by |center| / scale (for the
  1e6 + N(0, 1) column one ulp of the mean is ~1e-10 in scaled units), and MinMaxScaler
  computes x * scale_ + min_ where userseg computes (x - min) / range, which differ in the
  last bits where the two terms cancel.  The floor 1e-3 matters only for columns whose
  scaled values are all near 0.
- fitted parameters, per element: |a - b| <= 1e-9 * max(|b|, 1e-3).
The largest ratio error / allowed is printed with every check.

Where the zscore results differ, it is mostly scikit-learn's mean: numpy sums a
C-ordered array along axis 0 row after row (not pairwise), so mean_ carries an error
of about sqrt(n) eps |mean|, while userseg's mean is a compensated sum, nearly
correctly rounded.  In scaled units that error is multiplied by |mean| / std: the
1e6 + N(0, 1) column with 3000 rows stays well inside 1e-9, a column like
1e6 + N(0, 1e-4) would not (in scikit-learn's result, not in userseg's).  So the zscore
fit is also checked against the exact mean and standard deviation, computed with
rational arithmetic: center within one ulp, scale within 1e-13 relative.
"""
from fractions import Fraction
import math
import sys

import numpy as np
import psycopg2
import psycopg2.extras
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

SEED = 20240517
REL = 1e-9
FLOOR = 1e-3
EPS = np.finfo(np.float64).eps

from tap import check as report


def cmp_columns(a, b, what):
    """Scaled values: per column, max |a - b| <= REL * max(max |b|, FLOOR)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        report(False, "%s: shapes %s and %s differ" % (what, a.shape, b.shape))
        return
    err = np.max(np.abs(a - b), axis=0)
    allowed = REL * np.maximum(np.max(np.abs(b), axis=0), FLOOR)
    ratio = err / allowed
    j = int(np.argmax(ratio))
    ok = bool(np.all(err <= allowed))
    report(ok, "%s: worst column %d, max |a-b| = %.3g, allowed %.3g (%.3g of it)"
           % (what, j, err[j], allowed[j], ratio[j]))


def cmp_elements(a, b, what):
    """Fitted parameters: per element |a - b| <= REL * max(|b|, FLOOR)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        report(False, "%s: shapes %s and %s differ" % (what, a.shape, b.shape))
        return
    err = np.abs(a - b)
    allowed = REL * np.maximum(np.abs(b), FLOOR)
    ratio = err / allowed
    j = int(np.argmax(ratio))
    ok = bool(np.all(err <= allowed))
    report(ok, "%s: worst element %d, ours %r, sklearn %r, |a-b| = %.3g (%.3g of allowed)"
           % (what, j, float(a[j]), float(b[j]), err[j], ratio[j]))


def generate(rng, n):
    return np.column_stack([
        rng.normal(50.0, 10.0, n),                 # normal
        np.full(n, 7.5),                           # constant
        rng.normal(-100.0, 30.0, n),               # negative
        1e6 + rng.normal(0.0, 1.0, n),             # large offset, small noise
        rng.lognormal(0.0, 1.5, n),                # skewed
        rng.poisson(3.0, n).astype(np.float64),    # ties
        rng.normal(0.0, 1e-6, n),                  # tiny, centered on 0
    ])


def exact_moments(x):
    """Mean (rounded once) and population standard deviation of each column, exactly."""
    means, stds = [], []
    for j in range(x.shape[1]):
        col = [Fraction(float(v)) for v in x[:, j]]
        m = sum(col, Fraction(0)) / len(col)
        var = sum(((v - m) ** 2 for v in col), Fraction(0)) / len(col)
        means.append(float(m))
        stds.append(math.sqrt(float(var)))
    return np.array(means), np.array(stds)


def sklearn_scaler(method):
    return {"zscore": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}[method]()


def sklearn_params(method, s):
    """sklearn's fitted parameters in userseg's center / scale form."""
    if method == "zscore":
        return s.mean_, s.scale_
    if method == "minmax":
        # userseg's scale is the range, 1 for a zero range (sklearn's scale_ is 1 / that)
        rng = np.where(s.data_range_ < 10 * EPS, 1.0, s.data_range_)
        return s.data_min_, rng
    return s.center_, s.scale_


def main():
    rng = np.random.default_rng(SEED)
    sizes = {1: 3000, 2: 101}
    rows = []
    rid = 0
    for g, n in sizes.items():
        x = generate(rng, n)
        for i in range(n):
            rid += 1
            rows.append((rid, g, [float(v) for v in x[i]]))
        for _ in range(3):  # NULL vectors, left out by both forms
            rid += 1
            rows.append((rid, g, None))
    rng.shuffle(rows)

    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS scale_parity")
    cur.execute("CREATE TABLE scale_parity (id int PRIMARY KEY, g int, f float8[])")
    psycopg2.extras.execute_values(cur, "INSERT INTO scale_parity VALUES %s", rows,
                                   template="(%s, %s, %s::float8[])", page_size=1000)

    # the data as the database holds it
    cur.execute("SELECT id, g, f FROM scale_parity WHERE f IS NOT NULL ORDER BY id")
    data = cur.fetchall()
    ids = {g: [r[0] for r in data if r[1] == g] for g in sizes}
    X = {g: np.array([r[2] for r in data if r[1] == g], dtype=np.float64) for g in sizes}
    report(all(X[g].shape == (sizes[g], 7) for g in sizes),
           "data read back: %s" % {g: X[g].shape for g in sizes})

    for method in ("zscore", "minmax", "robust"):
        fitted = {g: sklearn_scaler(method).fit(X[g]) for g in sizes}
        expect = {g: fitted[g].transform(X[g]) for g in sizes}

        # window form, partitioned; NULL vectors give NULL
        cur.execute("""SELECT id, g, userseg_scale(f, %s) OVER (PARTITION BY g)
                       FROM scale_parity ORDER BY id""", (method,))
        got = cur.fetchall()
        nulls_ok = all((r[2] is None) == (r[0] not in ids[r[1]]) for r in got)
        report(nulls_ok, "%s window: NULL vectors give NULL, the others a result" % method)
        for g in sizes:
            ours = np.array([r[2] for r in got if r[1] == g and r[2] is not None])
            cmp_columns(ours, expect[g], "%s window, partition %d (%d rows) vs sklearn"
                        % (method, g, sizes[g]))

        # window form with ORDER BY and a frame: still fitted on the whole partition
        cur.execute("""SELECT id, userseg_scale(f, %s) OVER (PARTITION BY g ORDER BY id DESC
                                                          ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
                       FROM scale_parity WHERE g = 1 AND f IS NOT NULL ORDER BY id""", (method,))
        ours = np.array([r[1] for r in cur.fetchall()])
        cmp_columns(ours, expect[1], "%s window with ORDER BY and a ROWS frame vs sklearn"
                    % method)

        # the aggregate's fitted parameters
        cur.execute("""SELECT g, (s).method, (s).n, (s).center, (s).scale FROM
                       (SELECT g, userseg_scaler_fit(f, %s) AS s FROM scale_parity GROUP BY g) q
                       ORDER BY g""", (method,))
        fits = {r[0]: r for r in cur.fetchall()}
        for g in sizes:
            _, m, n, center, scale = fits[g]
            report(m == method and n == sizes[g],
                   "%s fit, partition %d: method %r, n %r (expected %d)" % (method, g, m, n, sizes[g]))
            c, s = sklearn_params(method, fitted[g])
            cmp_elements(center, c, "%s fit, partition %d: center vs sklearn" % (method, g))
            cmp_elements(scale, s, "%s fit, partition %d: scale vs sklearn" % (method, g))
        if method == "zscore":
            for g in sizes:
                exact_mean, exact_std = exact_moments(X[g])
                center = np.array(fits[g][3])
                scale = np.array(fits[g][4])
                ulps = np.abs(center - exact_mean) / np.spacing(np.abs(exact_mean))
                live = exact_std > 0
                rel = np.abs(scale[live] - exact_std[live]) / exact_std[live]
                report(bool(np.all(ulps <= 1.0)) and bool(np.all(rel <= 1e-13)),
                       "zscore fit, partition %d vs exact rational mean and std: center within "
                       "%.3g ulp, scale within %.3g relative" % (g, ulps.max(), rel.max()))
        report(fits[1][4][1] == 1.0 and fits[1][3][1] == 7.5,
               "%s fit: the constant column has center 7.5 and scale 1 (%r, %r)"
               % (method, fits[1][3][1], fits[1][4][1]))

        # fit + apply and the inverse
        cur.execute("""WITH s AS (SELECT g, userseg_scaler_fit(f, %s) AS s FROM scale_parity GROUP BY g)
                       SELECT t.g, userseg_scale_apply(t.f, s.s),
                              userseg_scale_inverse(userseg_scale_apply(t.f, s.s), s.s)
                       FROM scale_parity t JOIN s USING (g) WHERE t.f IS NOT NULL
                       ORDER BY t.id""", (method,))
        got = cur.fetchall()
        for g in sizes:
            ours = np.array([r[1] for r in got if r[0] == g])
            cmp_columns(ours, expect[g], "%s fit + apply, partition %d vs sklearn transform"
                        % (method, g))
            back = np.array([r[2] for r in got if r[0] == g])
            cmp_columns(back, fitted[g].inverse_transform(expect[g]),
                        "%s inverse, partition %d vs sklearn inverse_transform" % (method, g))

    # the one-argument aggregate is zscore
    cur.execute("""SELECT (userseg_scaler_fit(f)).center = (userseg_scaler_fit(f, 'zscore')).center
                      AND (userseg_scaler_fit(f)).scale = (userseg_scaler_fit(f, 'zscore')).scale
                   FROM scale_parity""")
    report(cur.fetchone()[0] is True, "userseg_scaler_fit(f) is the zscore fit")

    cur.execute("DROP TABLE scale_parity")
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
