#!/usr/bin/python3
"""Parity of userseg_meanshift (window and table forms, the model) with scikit-learn's
MeanShift and estimate_bandwidth.

Every case is loaded into the database and fetched back, so both sides see the same
numbers; scikit-learn runs in this process on the same rows in the same order.  The
labels must be identical, numbers included (centres by intensity, then coordinates,
-1 for rows beyond every centre with cluster_all false), the centres equal within
1e-9 (relative to the data's magnitude), and so must n_iter and the number of seeds.

An estimated bandwidth is checked against estimate_bandwidth(X, quantile, n_samples,
random_state=seed) run here, to 1e-12 (relative): with n_samples the sample is
numpy's RandomState(seed).permutation, drawn the same way; scikit-learn's k-d tree
sums squared distances as userseg does, its brute force (quantile >= 0.5, or more
than 15 columns) through dot products, a few ulps away.  The fit then runs with the
bandwidth scikit-learn estimated (MeanShift(bandwidth=...)); with n_samples None and
quantile 0.3 that is MeanShift's own estimate.

Cases: blobs in 1, 2, 3 and 8 columns, with a given and an estimated bandwidth, with
and without bin seeding, min_bin_freq, cluster_all both ways; one-hot columns through
the table form (pandas' get_dummies, StandardScaler), its model's predict against
MeanShift.predict; and the reference data of ../shared/data, read at test time.
"""
import io
import os
import sys

import numpy as np
import pandas as pd
import psycopg2
from sklearn.cluster import MeanShift, estimate_bandwidth, get_bin_seeds
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler

from tap import check, rel_diff

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data",
                                       "social-media-wellbeing", "train_cleaned.csv"))


def load(cur, X):
    cur.execute("DROP TABLE IF EXISTS ms_parity")
    cur.execute("CREATE TABLE ms_parity (id int PRIMARY KEY, f float8[])")
    buf = io.StringIO()
    for i, row in enumerate(X):
        buf.write("%d\t{%s}\n" % (i, ",".join(repr(float(v)) for v in row)))
    buf.seek(0)
    cur.copy_from(buf, "ms_parity", columns=("id", "f"))
    cur.execute("SELECT f FROM ms_parity ORDER BY id")
    return np.array([r[0] for r in cur.fetchall()], dtype=np.float64)


def labels_detail(got, want):
    bad = np.flatnonzero(got != want)
    if len(bad) == 0:
        return ""
    return "%d rows differ, first %d: userseg %s, scikit-learn %s" % (
        len(bad), bad[0], got[bad[0]], want[bad[0]])


def sk_fit(Xs, bandwidth, quantile, n_samples, seed, **kw):
    """scikit-learn's bandwidth (given or estimated) and MeanShift with it"""
    bw = bandwidth
    if bw is None:
        bw = estimate_bandwidth(Xs, quantile=quantile, n_samples=n_samples, random_state=seed)
    return bw, MeanShift(bandwidth=bw, **kw).fit(Xs)


def window_case(cur, name, X, bandwidth=None, bin_seeding=False, min_bin_freq=1,
                cluster_all=True, quantile=0.3, n_samples=None, seed=0, scale="none"):
    X = load(cur, X)
    Xs = StandardScaler().fit_transform(X) if scale == "zscore" else X
    bw, ms = sk_fit(Xs, bandwidth, quantile, n_samples, seed, bin_seeding=bin_seeding,
                    min_bin_freq=min_bin_freq, cluster_all=cluster_all)
    cur.execute("SELECT userseg_meanshift(f, %s, %s, %s, %s, %s, %s, %s, 300, %s)"
                " OVER (ORDER BY id) FROM ms_parity ORDER BY id",
                (bandwidth, bin_seeding, min_bin_freq, cluster_all, quantile, n_samples, seed,
                 scale))
    got = np.array([r[0] for r in cur.fetchall()])
    want = ms.labels_
    what = "window form, %s (n %d, d %d, bandwidth %s, bin_seeding %s, min_bin_freq %d, " \
           "cluster_all %s, %s)" % (name, X.shape[0], X.shape[1],
                                    "%g" % bandwidth if bandwidth else
                                    "estimated q %g n_samples %s" % (quantile, n_samples),
                                    bin_seeding, min_bin_freq, cluster_all, scale)
    check((got == want).all(), "%s: scikit-learn's labels, %d clusters, %d unlabelled"
          % (what, len(ms.cluster_centers_), (want == -1).sum()), labels_detail(got, want))
    # the same fit through the table form: bandwidth, centres, n_iter, seeds
    cur.execute("DROP TABLE IF EXISTS ms_cols")
    cols = ", ".join("f[%d] AS c%d" % (j + 1, j) for j in range(X.shape[1]))
    cur.execute("CREATE TABLE ms_cols AS SELECT id, %s FROM ms_parity" % cols)
    cur.execute("SELECT bandwidth, n_clusters, n_iter, seeds, unlabelled, centers FROM"
                " userseg_meanshift('ms_cols', %s, %s, %s, %s, %s, %s, %s, %s, 300,"
                " label_column => 'seg', scale => %s, id_column => 'id')",
                (["c%d" % j for j in range(X.shape[1])], bandwidth, bin_seeding, min_bin_freq,
                 cluster_all, quantile, n_samples, seed, scale))
    g_bw, k, n_iter, seeds, unlabelled, centers = cur.fetchone()
    C = np.array(centers, dtype=np.float64).reshape(k, X.shape[1]) if k else np.zeros((0, 1))
    want_c = ms.cluster_centers_
    if scale == "zscore":
        sc = StandardScaler().fit(X)
        want_c = sc.inverse_transform(want_c)
    mag = max(np.abs(X).max(), 1.0)
    ok_c = C.shape == want_c.shape and np.abs(C - want_c).max() <= 1e-9 * mag
    check(ok_c, "%s: the centres (original units) are scikit-learn's within 1e-9" % what,
          "shapes %s %s" % (C.shape, want_c.shape) if C.shape != want_c.shape else
          "max difference %g" % np.abs(C - want_c).max())
    want_seeds = len(get_bin_seeds(Xs, bw, min_bin_freq)) if bin_seeding else len(Xs)
    check(rel_diff(g_bw, bw) <= 1e-12 and n_iter == ms.n_iter_ and seeds == want_seeds
          and unlabelled == (want == -1).sum(),
          "%s: the bandwidth (%.10g), n_iter (%d) and seeds (%d) are scikit-learn's"
          % (what, bw, ms.n_iter_, want_seeds),
          "userseg %r, scikit-learn %r" % ((g_bw, n_iter, seeds, unlabelled),
                                           (bw, ms.n_iter_, want_seeds, (want == -1).sum())))
    cur.execute("SELECT seg FROM ms_cols ORDER BY id")
    got = np.array([r[0] for r in cur.fetchall()])
    check((got == want).all(), "%s: the table form's label column is the same" % what,
          labels_detail(got, want))


def blob_cases(cur):
    X, _ = make_blobs(600, n_features=2, centers=5, cluster_std=0.8, random_state=3)
    window_case(cur, "2-D blobs", X, bandwidth=1.2)
    window_case(cur, "2-D blobs", X, bandwidth=1.2, bin_seeding=True)
    window_case(cur, "2-D blobs", X, bandwidth=0.6, bin_seeding=True, min_bin_freq=3,
                cluster_all=False)
    window_case(cur, "2-D blobs", X, bandwidth=0.5, cluster_all=False)
    window_case(cur, "2-D blobs", X, scale="zscore")
    window_case(cur, "2-D blobs", X, bin_seeding=True, quantile=0.1, n_samples=200, seed=42,
                scale="zscore")
    X, _ = make_blobs(500, n_features=8, centers=4, cluster_std=1.0, random_state=8)
    window_case(cur, "8-D blobs", X, bin_seeding=True, scale="zscore")
    window_case(cur, "8-D blobs", X, quantile=0.05, n_samples=300, seed=7, scale="zscore")
    window_case(cur, "8-D blobs", X, quantile=0.05, n_samples=300, seed=7, bin_seeding=True,
                cluster_all=False, scale="zscore")
    X, _ = make_blobs(400, n_features=1, centers=3, random_state=1)
    window_case(cur, "1-D blobs", X, bin_seeding=True)
    window_case(cur, "1-D blobs", X, bandwidth=0.7, cluster_all=False)
    X, _ = make_blobs(700, n_features=3, centers=6, cluster_std=0.6, random_state=5)
    window_case(cur, "3-D blobs", X, bandwidth=1.0, bin_seeding=True)
    window_case(cur, "3-D blobs", X, quantile=0.2, scale="zscore", cluster_all=False)


def bandwidth_cases(cur):
    """estimate_bandwidth alone, through the summary, over several seeds and quantiles"""
    X, _ = make_blobs(2500, n_features=4, centers=6, random_state=12)
    X = load(cur, X)
    cur.execute("DROP TABLE IF EXISTS ms_cols")
    cur.execute("CREATE TABLE ms_cols AS SELECT id, f[1] AS a, f[2] AS b, f[3] AS c, f[4] AS d"
                " FROM ms_parity")
    worst = 0.0
    cases = 0
    for quantile, n_samples, seed in ((0.3, None, 0), (0.3, 500, 0), (0.1, 1000, 1),
                                      (0.02, 2000, 123456), (0.25, 2500, 4294967295),
                                      (0.4, 3000, 9), (0.01, None, 0)):
        want = estimate_bandwidth(X, quantile=quantile, n_samples=n_samples, random_state=seed)
        cur.execute("SELECT bandwidth FROM userseg_meanshift('ms_cols', ARRAY['a','b','c','d'],"
                    " bin_seeding => true, quantile => %s, n_samples => %s, seed => %s,"
                    " scale => 'none')", (quantile, n_samples, seed))
        got = cur.fetchone()[0]
        worst = max(worst, rel_diff(got, want))
        cases += 1
    check(worst <= 1e-12, "estimate_bandwidth: %d quantiles, n_samples and seeds (2,500 rows, "
          "4 columns, samples drawn as numpy's RandomState) within 1e-12 of scikit-learn's"
          % cases, "worst relative difference %g" % worst)


def table_case(cur, name, df, features, bandwidth=None, bin_seeding=False, cluster_all=True):
    """The table form on df (id column first) against get_dummies + StandardScaler."""
    cols = ", ".join('"%s" %s' % (c, "text" if df[c].dtype == object else "float8")
                     for c in df.columns)
    cur.execute("DROP TABLE IF EXISTS ms_table")
    cur.execute("CREATE TABLE ms_table (%s)" % cols)
    buf = io.StringIO()
    df.to_csv(buf, index=False, header=False)
    buf.seek(0)
    cur.copy_expert("COPY ms_table FROM STDIN WITH (FORMAT csv)", buf)
    parts = []
    for f in features:
        if df[f].dtype == object:
            parts.append(pd.get_dummies(df[f], dtype=float)[sorted(df[f].unique())])
        else:
            parts.append(df[[f]].astype(float))
    enc = pd.concat(parts, axis=1).to_numpy()
    sc = StandardScaler().fit(enc)
    Xs = sc.transform(enc)
    bw, ms = sk_fit(Xs, bandwidth, 0.3, None, 0, bin_seeding=bin_seeding,
                    cluster_all=cluster_all)
    cur.execute("SELECT bandwidth, n_clusters, n_iter, centers FROM userseg_meanshift("
                "'ms_table', %s, %s, %s, cluster_all => %s, label_column => 'seg',"
                " model => 'ms_parity_model', id_column => 'id')",
                (features, bandwidth, bin_seeding, cluster_all))
    g_bw, k, n_iter, centers = cur.fetchone()
    cur.execute("SELECT seg FROM ms_table ORDER BY id")
    got = np.array([r[0] for r in cur.fetchall()])
    want = ms.labels_
    what = "table form, %s (n %d, %d encoded columns, bandwidth %s, bin_seeding %s, " \
           "cluster_all %s)" % (name, len(df), enc.shape[1],
                                "%g" % bandwidth if bandwidth else "estimated",
                                bin_seeding, cluster_all)
    check((got == want).all(), "%s: the label column is scikit-learn's labels, %d clusters"
          % (what, len(ms.cluster_centers_)), labels_detail(got, want))
    C = np.array(centers, dtype=np.float64).reshape(k, enc.shape[1])
    want_c = sc.inverse_transform(ms.cluster_centers_)
    mag = max(np.abs(enc).max(), 1.0)
    check(C.shape == want_c.shape and np.abs(C - want_c).max() <= 1e-9 * mag
          and rel_diff(g_bw, bw) <= 1e-12 and n_iter == ms.n_iter_,
          "%s: centres within 1e-9, bandwidth and n_iter are scikit-learn's" % what,
          "userseg %r, scikit-learn %r" % ((g_bw, n_iter, C.shape),
                                           (bw, ms.n_iter_, want_c.shape)))
    # the model: the nearest centre of each row, as MeanShift.predict
    cur.execute("SELECT userseg_predict('ms_parity_model', to_jsonb(t)) FROM ms_table t"
                " ORDER BY id")
    got = np.array([r[0] for r in cur.fetchall()])
    want = ms.predict(Xs)
    check((got == want).all(), "%s: userseg_predict with the saved model is MeanShift.predict"
          % what, labels_detail(got, want))


def onehot_cases(cur):
    rng = np.random.RandomState(11)
    n = 600
    seg = rng.randint(0, 4, size=n)
    df = pd.DataFrame({
        "id": np.arange(n),
        "spend": np.round(seg * 3.0 + rng.randn(n) * 0.4, 2),
        "plan": np.array(["basic", "plus", "pro", "team"])[seg],
        "region": np.where(rng.rand(n) < 0.8, np.array(["eu", "us", "eu", "apac"])[seg], "us"),
    })
    table_case(cur, "one-hot columns", df, ["spend", "plan", "region"])
    table_case(cur, "one-hot columns", df, ["spend", "plan", "region"], bandwidth=1.5,
               bin_seeding=True, cluster_all=False)


def shared_cases(cur):
    if not os.path.exists(SHARED):
        # CI always has the reference data beside the checkout; elsewhere it may not be
        if os.environ.get("CI") == "true":
            check(False, "the reference data is at %s" % SHARED)
        else:
            print("# skipped: no reference data at %s" % SHARED)
        return
    df = pd.read_csv(SHARED)
    df = df.rename(columns=lambda c: c.split(" ")[0].lower())
    df = df.dropna()
    df = df[["user_id", "age", "gender", "platform", "daily_usage_time", "posts_per_day",
             "likes_received_per_day"]].rename(columns={"user_id": "id"})
    df["id"] = np.arange(len(df))
    for c in ("age", "daily_usage_time", "posts_per_day", "likes_received_per_day"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    df = df.dropna()
    numeric = ["age", "daily_usage_time", "posts_per_day", "likes_received_per_day"]
    table_case(cur, "reference data, numeric", df, numeric)
    table_case(cur, "reference data, numeric", df, numeric, bandwidth=0.8, bin_seeding=True,
               cluster_all=False)
    table_case(cur, "reference data with gender and platform one-hot", df,
               numeric + ["gender", "platform"], bin_seeding=True)


def main():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET extra_float_digits = 3")
    blob_cases(cur)
    bandwidth_cases(cur)
    onehot_cases(cur)
    shared_cases(cur)
    cur.execute("DROP TABLE IF EXISTS ms_parity, ms_cols, ms_table")
    cur.execute("DELETE FROM userseg_models WHERE name = 'ms_parity_model'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
