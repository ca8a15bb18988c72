#!/usr/bin/python3
"""Parity of userseg_kmeans (window form) with scikit-learn's KMeans.

For several generated data sets, loaded into the database and fetched back so both
sides see the same numbers:
  (a) from the same initial centers: the same partition (labels equal up to a one to
      one renaming), the same number of iterations, and inertia within 1e-9 relative
      of KMeans(init=centers, n_init=1, algorithm='lloyd');
  (b) k-means++ with n_init = 10: userseg's inertia at most scikit-learn's * 1.001.
With scale 'none' both run on the raw data; with 'zscore' scikit-learn runs on
StandardScaler's output (and the initial centers are scaled the same way).
userseg's inertia and iterations are read from the NOTICE that userseg.progress
prints at the end of a fit.
"""
import io
import re
import sys

import numpy as np
import psycopg2
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler

from tap import check


def datasets():
    rng = np.random.RandomState(20240601)
    out = []
    X, _ = make_blobs(n_samples=3000, n_features=4, centers=5, cluster_std=1.0, random_state=1)
    out.append(("separated blobs", X, 5))
    X, _ = make_blobs(n_samples=2500, n_features=3, centers=4, cluster_std=1.5, random_state=2)
    X = X @ np.array([[0.6, -0.6, 0.1], [-0.4, 0.8, 0.3], [0.2, 0.1, 1.5]])
    out.append(("anisotropic", X, 4))
    X, _ = make_blobs(n_samples=[1800, 400, 90, 30], n_features=5,
                      cluster_std=[1.0, 2.5, 0.5, 0.3], random_state=3)
    out.append(("unequal sizes", X, 4))
    protos = rng.rand(6, 14) < 0.4
    which = rng.randint(0, 6, size=2400)
    bits = protos[which] ^ (rng.rand(2400, 14) < 0.08)
    X = np.column_stack([bits.astype(float), rng.randn(2400) + which])
    out.append(("one-hot columns", X, 6))
    X = rng.rand(2000, 3)
    out.append(("uniform noise", X, 7))
    return out


def load(cur, X):
    cur.execute("DROP TABLE IF EXISTS kmeans_parity")
    cur.execute("CREATE TABLE kmeans_parity (id int PRIMARY KEY, f float8[])")
    buf = io.StringIO()
    for i, row in enumerate(X):
        buf.write("%d\t{%s}\n" % (i, ",".join(repr(float(v)) for v in row)))
    buf.seek(0)
    cur.copy_from(buf, "kmeans_parity", columns=("id", "f"))
    cur.execute("SELECT f FROM kmeans_parity ORDER BY id")
    return np.array([r[0] for r in cur.fetchall()], dtype=np.float64)


def run(conn, cur, sql, params):
    del conn.notices[:]
    cur.execute(sql, params)
    labels = np.array([r[0] for r in cur.fetchall()], dtype=np.int64)
    done = [n for n in conn.notices if "k-means done" in n]
    m = re.search(r"inertia ([-+0-9.eE]+), iterations (\d+)", done[-1]) if done else None
    if m is None:
        return labels, float("nan"), -1
    return labels, float(m.group(1)), int(m.group(2))


def same_partition(a, b):
    fwd, back = {}, {}
    for x, y in zip(a.tolist(), b.tolist()):
        if fwd.setdefault(x, y) != y or back.setdefault(y, x) != x:
            return False
    return True


def main():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET userseg.progress = on")
    for name, X0, k in datasets():
        X = load(cur, X0)
        rng = np.random.RandomState(7)
        init = X[rng.choice(len(X), k, replace=False)]
        init_sql = "{%s}" % ",".join("{%s}" % ",".join(repr(float(v)) for v in c) for c in init)
        for scale in ("none", "zscore"):
            if scale == "zscore":
                sc = StandardScaler().fit(X)
                Xs, init_s = sc.transform(X), sc.transform(init)
            else:
                Xs, init_s = X, init
            tag = "%s, scale %s" % (name, scale)

            # (a) same initial centers
            ours, inertia, iters = run(
                conn, cur,
                "SELECT userseg_kmeans(f, %s::float8[], 300, 1e-4, %s) OVER (ORDER BY id)"
                " FROM kmeans_parity ORDER BY id", (init_sql, scale))
            ref = KMeans(n_clusters=k, init=init_s, n_init=1, max_iter=300, tol=1e-4,
                         algorithm="lloyd").fit(Xs)
            check(same_partition(ours, ref.labels_), "%s: same labels from given centers" % tag,
                  "(sizes userseg %s, scikit-learn %s)" %
                  (np.bincount(ours).tolist(), np.bincount(ref.labels_).tolist()))
            rel = abs(inertia - ref.inertia_) / max(ref.inertia_, 1e-300)
            check(rel <= 1e-9, "%s: inertia from given centers within 1e-9" % tag,
                  "(userseg %.17g, scikit-learn %.17g, relative %.3g)" % (inertia, ref.inertia_, rel))
            check(iters == ref.n_iter_, "%s: iterations from given centers" % tag,
                  "(userseg %d, scikit-learn %d)" % (iters, ref.n_iter_))

            # (b) k-means++, n_init = 10
            ours, inertia, iters = run(
                conn, cur,
                "SELECT userseg_kmeans(f, %s, 42, 10, 300, 1e-4, %s) OVER (ORDER BY id)"
                " FROM kmeans_parity ORDER BY id", (k, scale))
            ref = KMeans(n_clusters=k, init="k-means++", n_init=10, max_iter=300, tol=1e-4,
                         random_state=0, algorithm="lloyd").fit(Xs)
            check(inertia <= ref.inertia_ * 1.001,
                  "%s: k-means++ inertia within 0.1%% of scikit-learn's" % tag,
                  "(userseg %.17g, scikit-learn %.17g)" % (inertia, ref.inertia_))
            sizes = np.bincount(ours, minlength=k)
            check(len(set(ours.tolist())) == k and all(sizes[:-1] >= sizes[1:]),
                  "%s: k-means++ labels 0..k-1 by decreasing size" % tag, "(sizes %s)" % sizes)
    table_form(cur)
    predict_rows(cur)
    cur.execute("DROP TABLE IF EXISTS kmeans_parity")
    conn.close()


def table_form(cur):
    """The table form: labels written, inertia and silhouette of the summary row."""
    from sklearn.metrics import silhouette_score
    X0, _ = make_blobs(n_samples=[700, 300, 150], n_features=3, cluster_std=[1.0, 1.5, 0.7],
                       random_state=11)
    cur.execute("DROP TABLE IF EXISTS kmeans_parity_t")
    cur.execute("CREATE TABLE kmeans_parity_t (id int PRIMARY KEY, c0 float8, c1 float8, c2 float8)")
    buf = io.StringIO()
    for i, row in enumerate(X0):
        buf.write("%d\t%s\n" % (i, "\t".join(repr(float(v)) for v in row)))
    buf.seek(0)
    cur.copy_from(buf, "kmeans_parity_t", columns=("id", "c0", "c1", "c2"))
    cur.execute("SELECT c0, c1, c2 FROM kmeans_parity_t ORDER BY id")
    X = np.array(cur.fetchall(), dtype=np.float64)
    init = X[[5, 800, 1100]]
    init_sql = "{%s}" % ",".join("{%s}" % ",".join(repr(float(v)) for v in c) for c in init)
    cur.execute("SELECT inertia, silhouette, silhouette_sampled, iterations FROM userseg_kmeans("
                "'kmeans_parity_t', ARRAY['c0', 'c1', 'c2'], 3, label_column => 'seg',"
                " init => %s::float8[])", (init_sql,))
    inertia, sil, sampled, iters = cur.fetchone()
    cur.execute("SELECT seg FROM kmeans_parity_t ORDER BY id")
    ours = np.array([r[0] for r in cur.fetchall()])
    sc = StandardScaler().fit(X)
    Xs = sc.transform(X)
    ref = KMeans(n_clusters=3, init=sc.transform(init), n_init=1, algorithm="lloyd").fit(Xs)
    check(same_partition(ours, ref.labels_), "table form: same labels from given centers")
    rel = abs(inertia - ref.inertia_) / ref.inertia_
    check(rel <= 1e-9, "table form: inertia within 1e-9",
          "(userseg %.17g, scikit-learn %.17g)" % (inertia, ref.inertia_))
    ref_sil = silhouette_score(Xs, ref.labels_)
    check(not sampled and abs(sil - ref_sil) <= 1e-9 * abs(ref_sil),
          "table form: exact silhouette within 1e-9",
          "(userseg %r sampled %r, scikit-learn %.17g)" % (sil, sampled, ref_sil))
    check(iters == ref.n_iter_, "table form: iterations",
          "(userseg %d, scikit-learn %d)" % (iters, ref.n_iter_))
    cur.execute("DROP TABLE kmeans_parity_t")


def predict_rows(cur):
    """A saved model labels new rows given as jsonb as scikit-learn's pipeline encodes
    them: SimpleImputer (mean; most frequent category), OneHotEncoder(handle_unknown=
    'ignore') and StandardScaler fitted on the same rows, then the model's nearest
    centroid.  New rows include categories the fit did not see and NULLs."""
    import json
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder
    rng = np.random.RandomState(7)
    n = 600
    num = rng.randn(n, 2) * [3.0, 1.0] + rng.randint(0, 3, size=(n, 1)) * 4.0
    cat = rng.choice(["android", "ios", "web"], size=n, p=[0.5, 0.3, 0.2])
    num[rng.rand(n) < 0.05, 0] = np.nan
    cat = np.where(rng.rand(n) < 0.05, None, cat)
    cur.execute("DROP TABLE IF EXISTS kmeans_parity_p")
    cur.execute("CREATE TABLE kmeans_parity_p (id int PRIMARY KEY, a float8, b float8, p text)")
    for i in range(n):
        cur.execute("INSERT INTO kmeans_parity_p VALUES (%s, %s, %s, %s)",
                    (i, None if np.isnan(num[i, 0]) else float(num[i, 0]), float(num[i, 1]),
                     cat[i]))
    cur.execute("SELECT rows_used FROM userseg_kmeans('kmeans_parity_p', ARRAY['a', 'b', 'p'], 4,"
                " nulls => 'impute', model => 'kmeans_parity_p', id_column => 'id', seed => 1)")
    cur.execute("SELECT centroids, scale_center, scale_scale FROM userseg_models"
                " WHERE name = 'kmeans_parity_p'")
    centroids, center, scale = cur.fetchone()
    centroids = np.array(centroids)
    num_imp = SimpleImputer(strategy="mean").fit(num)
    cat_col = np.array([c if c is not None else np.nan for c in cat], dtype=object).reshape(-1, 1)
    cat_imp = SimpleImputer(strategy="most_frequent").fit(cat_col)
    enc = OneHotEncoder(handle_unknown="ignore").fit(cat_imp.transform(cat_col))

    def encode(nums, cats):
        c = np.array([x if x is not None else np.nan for x in cats], dtype=object).reshape(-1, 1)
        return np.column_stack([num_imp.transform(nums), enc.transform(cat_imp.transform(c)).toarray()])
    sc = StandardScaler().fit(encode(num, cat))
    check(np.allclose(center, sc.mean_, rtol=1e-12, atol=1e-12) and
          np.allclose(scale, sc.scale_, rtol=1e-12, atol=1e-12),
          "predict: the model's scaler is StandardScaler's on the imputed, one-hot encoded rows")
    m = 200
    new_num = rng.randn(m, 2) * [3.0, 1.0] + rng.randint(0, 3, size=(m, 1)) * 4.0
    new_num[::10, 0] = np.nan
    new_cat = rng.choice(["android", "ios", "web", "tv", "car"], size=m).astype(object)
    new_cat[::7] = None
    ref = np.argmin(((sc.transform(encode(new_num, new_cat))[:, None, :] -
                      centroids[None, :, :]) ** 2).sum(axis=2), axis=1)
    ours = []
    for i in range(m):
        row = {"a": None if np.isnan(new_num[i, 0]) else float(new_num[i, 0]),
               "b": float(new_num[i, 1]), "p": new_cat[i], "extra": "ignored"}
        cur.execute("SELECT userseg_predict('kmeans_parity_p', %s::jsonb)", (json.dumps(row),))
        ours.append(cur.fetchone()[0])
    bad = int((np.array(ours) != ref).sum())
    check(bad == 0, "predict: %d new rows (unknown categories, NULLs) labelled as scikit-learn's "
          "pipeline encodes them" % m, "(%d differ)" % bad)
    cur.execute("DELETE FROM userseg_models WHERE name = 'kmeans_parity_p'")
    cur.execute("DROP TABLE kmeans_parity_p")


if __name__ == "__main__":
    main()
    sys.exit(0)
