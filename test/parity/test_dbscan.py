#!/usr/bin/python3
"""Parity of userseg_dbscan (window and table forms) with scikit-learn's DBSCAN.

Every case is loaded into the database and fetched back, so both sides see the same
numbers; scikit-learn runs in this process on the same rows in the same order.  The
labels must be identical, numbers included (clusters in the order of their lowest
core row, noise -1), and so must the core rows (userseg's core_rows against
len(core_sample_indices_)).

scikit-learn runs with algorithm='kd_tree' (its choice for up to 15 columns), whose
distances are summed exactly over the columns, as userseg's; its brute-force path
computes distances through dot products, off by a few ulps, which can move a pair
at exactly eps in or out.  One case also runs with algorithm='auto'.

Cases: blobs in 2-D and 8-D; touching clusters and border rows reachable from two
clusters; duplicate rows; min_samples 1; eps at exactly a pairwise distance of a
lattice; one-hot columns through the table form (pandas' get_dummies, StandardScaler);
and the reference data of ../shared/data, read at test time.

sample_weight: the table form with a weight column against fit(X, sample_weight=w),
zero, fractional and negative weights included.  Models: the table form with model =>
'name', then userseg_predict on new rows (as float8[], jsonb and a record) against the
label of the nearest of scikit-learn's core rows (components_, with
labels_[core_sample_indices_]) within eps, computed naively, else -1.

Cancel: on 1,000,000 rows with a min_samples no row reaches (every neighbourhood is
counted in full, hours of work), a statement_timeout set past the read lands within
LATE_S seconds, in the window and the table form (on a grid, weighted, and on a k-d
tree).
"""
import io
import os
import sys
import time

import numpy as np
import pandas as pd
import psycopg2
import psycopg2.errors
from sklearn.cluster import DBSCAN
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler

from tap import check

LATE_S = 1.0

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data",
                                       "social-media-wellbeing", "train_cleaned.csv"))


def load(cur, X):
    cur.execute("DROP TABLE IF EXISTS dbscan_parity")
    cur.execute("CREATE TABLE dbscan_parity (id int PRIMARY KEY, f float8[])")
    buf = io.StringIO()
    for i, row in enumerate(X):
        buf.write("%d\t{%s}\n" % (i, ",".join(repr(float(v)) for v in row)))
    buf.seek(0)
    cur.copy_from(buf, "dbscan_parity", columns=("id", "f"))
    cur.execute("SELECT f FROM dbscan_parity ORDER BY id")
    return np.array([r[0] for r in cur.fetchall()], dtype=np.float64)


def window_labels(cur, eps, min_samples, scale):
    cur.execute("SELECT userseg_dbscan(f, %s, %s, %s) OVER (ORDER BY id) FROM dbscan_parity"
                " ORDER BY id", (eps, min_samples, scale))
    return np.array([r[0] for r in cur.fetchall()])


def compare(name, got, want):
    bad = np.flatnonzero(got != want)
    detail = ""
    if len(bad):
        detail = "%d rows differ, first %d: userseg %s, scikit-learn %s" % (
            len(bad), bad[0], got[bad[0]], want[bad[0]])
    return check(len(bad) == 0, name, detail)


def window_case(cur, name, X, eps, min_samples, scale="none", algorithm="kd_tree"):
    X = load(cur, X)
    Xs = StandardScaler().fit_transform(X) if scale == "zscore" else X
    want = DBSCAN(eps=eps, min_samples=min_samples, algorithm=algorithm).fit(Xs).labels_
    got = window_labels(cur, eps, min_samples, scale)
    compare("window form, %s (n %d, d %d, eps %g, min_samples %d, %s): the labels and the "
            "noise of scikit-learn's DBSCAN, %d clusters, %d noise"
            % (name, X.shape[0], X.shape[1], eps, min_samples, scale, want.max() + 1,
               (want == -1).sum()), got, want)


def lattice_cases(cur):
    # a 2-D lattice of spacing 0.5 with holes: eps at exactly the spacing and the diagonal
    rng = np.random.RandomState(7)
    pts = np.array([(i * 0.5, j * 0.5) for i in range(30) for j in range(30)
                    if rng.rand() < 0.55])
    for eps in (0.5, np.sqrt(0.5), 1.0):
        for ms in (3, 5):
            window_case(cur, "lattice, eps at a pairwise distance", pts, float(eps), ms)

    # runs of spacing 0.125 (exact), eps 0.25, min_samples 4: a row between two runs,
    # 0.25 from the end of each, is a border row of both (3 rows within eps)
    a = np.column_stack([np.arange(10) * 0.125, np.zeros(10)])
    b = a + [1.625, 0.0]
    bridge = np.array([[1.375, 0.0]])
    window_case(cur, "border row reachable from two clusters", np.vstack([a, bridge, b]),
                0.25, 4)
    window_case(cur, "border row reachable from two clusters, the second run first",
                np.vstack([b, bridge, a]), 0.25, 4)
    window_case(cur, "border row reachable from two clusters, the border row first",
                np.vstack([bridge, b, a]), 0.25, 4)
    # touching clusters: runs whose ends are exactly eps apart are one cluster; a
    # spacing more apart, two
    window_case(cur, "touching clusters, ends at exactly eps", np.vstack([a, a + [1.375, 0]]),
                0.25, 4)
    window_case(cur, "clusters one spacing apart", np.vstack([a + [1.5, 0], a]), 0.25, 4)

    # duplicates: each point repeated, some enough times to be core by themselves
    base = rng.rand(60, 2) * 4
    reps = rng.randint(1, 6, size=60)
    X = np.repeat(base, reps, axis=0)
    X = X[rng.permutation(len(X))]
    for ms in (1, 3, 5):
        window_case(cur, "duplicate rows", X, 0.3, ms)
    window_case(cur, "min_samples 1 (every row core)", rng.rand(300, 3), 0.1, 1)


def blob_cases(cur):
    X, _ = make_blobs(n_samples=3000, centers=8, n_features=2, cluster_std=1.0,
                      random_state=3)
    for eps, ms in ((0.05, 10), (0.1, 5), (0.3, 10)):
        window_case(cur, "blobs", X, eps, ms, "zscore")
    window_case(cur, "blobs, scikit-learn's algorithm 'auto'", X, 0.1, 5, "zscore", "auto")
    X, _ = make_blobs(n_samples=2000, centers=8, n_features=8, cluster_std=1.0,
                      random_state=4)
    for eps, ms in ((0.5, 10), (0.8, 5)):
        window_case(cur, "8-D blobs", X, eps, ms, "zscore")
    X, _ = make_blobs(n_samples=600, centers=4, n_features=20, cluster_std=1.0,
                      random_state=5)
    window_case(cur, "20-D blobs (k-d tree in userseg)", X, 2.5, 5, "zscore")
    X, _ = make_blobs(n_samples=600, centers=4, n_features=30, cluster_std=1.0,
                      random_state=6)
    window_case(cur, "30-D blobs (brute force in userseg)", X, 3.0, 5, "zscore")


def table_case(cur, name, df, features, eps, min_samples):
    """The table form on df (id column first) against get_dummies + StandardScaler."""
    cols = ", ".join('"%s" %s' % (c, "text" if df[c].dtype == object else "float8")
                     for c in df.columns)
    cur.execute("DROP TABLE IF EXISTS dbscan_table")
    cur.execute("CREATE TABLE dbscan_table (%s)" % cols)
    buf = io.StringIO()
    df.to_csv(buf, index=False, header=False)
    buf.seek(0)
    cur.copy_expert("COPY dbscan_table FROM STDIN WITH (FORMAT csv)", buf)
    # userseg's encoding: features in order, categories one-hot in byte order
    # (pandas' get_dummies does the same per column, numeric columns aside)
    parts = []
    for f in features:
        if df[f].dtype == object:
            parts.append(pd.get_dummies(df[f], dtype=float)[sorted(df[f].unique())])
        else:
            parts.append(df[[f]].astype(float))
    enc = pd.concat(parts, axis=1)
    Xs = StandardScaler().fit_transform(enc.to_numpy())
    model = DBSCAN(eps=eps, min_samples=min_samples, algorithm="kd_tree").fit(Xs)
    want = model.labels_
    cur.execute("SELECT n_clusters, core_rows, noise FROM userseg_dbscan('dbscan_table', %s, %s, %s,"
                " label_column => 'seg', id_column => 'id')", (features, eps, min_samples))
    k, ncore, noise = cur.fetchone()
    cur.execute("SELECT seg FROM dbscan_table ORDER BY id")
    got = np.array([r[0] for r in cur.fetchall()])
    ok = compare("table form, %s (n %d, %d encoded columns, eps %g, min_samples %d): the label "
                 "column is scikit-learn's labels, %d clusters, %d noise"
                 % (name, len(df), enc.shape[1], eps, min_samples, want.max() + 1,
                    (want == -1).sum()), got, want)
    check(k == want.max() + 1 and ncore == len(model.core_sample_indices_)
          and noise == (want == -1).sum(),
          "table form, %s: the summary's clusters, core rows and noise are scikit-learn's" % name,
          "userseg %s, scikit-learn %s" % ((k, ncore, noise),
                                           (want.max() + 1, len(model.core_sample_indices_),
                                            (want == -1).sum())))
    return ok


def onehot_cases(cur):
    rng = np.random.RandomState(11)
    n = 800
    seg = rng.randint(0, 4, size=n)
    df = pd.DataFrame({
        "id": np.arange(n),
        "spend": np.round(seg * 3.0 + rng.randn(n) * 0.4, 2),
        "plan": np.array(["basic", "plus", "pro", "team"])[seg],
        "region": np.where(rng.rand(n) < 0.8, np.array(["eu", "us", "eu", "apac"])[seg], "us"),
    })
    for eps, ms in ((0.3, 5), (0.8, 10)):
        table_case(cur, "one-hot columns", df, ["spend", "plan", "region"], eps, ms)


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
    for eps, ms in ((0.35, 5), (0.6, 8)):
        table_case(cur, "reference data, numeric", df, numeric, eps, ms)
    table_case(cur, "reference data with gender and platform one-hot", df,
               numeric + ["gender", "platform"], 0.9, 5)


def load_columns(cur, table, X, w=None):
    """X (and weights w) as the float8 columns c1..cd (and w) of table, with an id."""
    d = X.shape[1]
    cols = ", ".join("c%d float8" % (j + 1) for j in range(d))
    cur.execute("DROP TABLE IF EXISTS %s" % table)
    cur.execute("CREATE TABLE %s (id int PRIMARY KEY, %s%s)"
                % (table, cols, ", w float8" if w is not None else ""))
    buf = io.StringIO()
    for i, row in enumerate(X):
        vals = [repr(float(v)) for v in row] + ([repr(float(w[i]))] if w is not None else [])
        buf.write("%d\t%s\n" % (i, "\t".join(vals)))
    buf.seek(0)
    cur.copy_from(buf, table)
    cur.execute("SELECT %s FROM %s ORDER BY id" % (", ".join("c%d" % (j + 1) for j in range(d)),
                                                   table))
    return np.array(cur.fetchall(), dtype=np.float64), ["c%d" % (j + 1) for j in range(d)]


def weight_case(cur, name, X, w, eps, min_samples, scale):
    X, feats = load_columns(cur, "dbscan_weighted", X, w)
    cur.execute("SELECT w FROM dbscan_weighted ORDER BY id")
    w = np.array([r[0] for r in cur.fetchall()], dtype=np.float64)
    Xs = StandardScaler().fit_transform(X) if scale == "zscore" else X
    model = DBSCAN(eps=eps, min_samples=min_samples, algorithm="kd_tree").fit(
        Xs, sample_weight=w)
    want = model.labels_
    cur.execute("SELECT n_clusters, core_rows, noise FROM userseg_dbscan('dbscan_weighted', %s,"
                " %s, %s, label_column => 'seg', id_column => 'id', scale => %s,"
                " sample_weight => 'w')", (feats, eps, min_samples, scale))
    k, ncore, noise = cur.fetchone()
    cur.execute("SELECT seg FROM dbscan_weighted ORDER BY id")
    got = np.array([r[0] for r in cur.fetchall()])
    compare("sample_weight, %s (n %d, d %d, eps %g, min_samples %d, %s): the label column is "
            "scikit-learn's fit(X, sample_weight=w), %d clusters, %d noise"
            % (name, X.shape[0], X.shape[1], eps, min_samples, scale, want.max() + 1,
               (want == -1).sum()), got, want)
    check(ncore == len(model.core_sample_indices_) and k == want.max() + 1,
          "sample_weight, %s: the core rows are scikit-learn's (%d)"
          % (name, len(model.core_sample_indices_)), "userseg %d" % ncore)


def weight_cases(cur):
    rng = np.random.RandomState(21)
    X, _ = make_blobs(n_samples=2000, centers=6, n_features=2, cluster_std=1.0,
                      random_state=8)
    weight_case(cur, "weights in [0, 3)", X, rng.rand(len(X)) * 3, 0.1, 5, "zscore")
    weight_case(cur, "integer weights 0 to 3", X, rng.randint(0, 4, size=len(X)), 0.08, 6,
                "zscore")
    weight_case(cur, "negative weights among them", X, rng.rand(len(X)) * 4 - 1, 0.12, 5,
                "zscore")
    # a row heavy enough to be core alone, in a sparse region
    sparse = rng.rand(300, 2) * 10
    w = np.ones(len(sparse))
    w[::37] = 12.0
    weight_case(cur, "heavy rows core by themselves", sparse, w, 0.3, 10, "none")
    X, _ = make_blobs(n_samples=1500, centers=5, n_features=8, cluster_std=1.0,
                      random_state=9)
    weight_case(cur, "8-D, weights in [0.5, 2)", X, rng.rand(len(X)) * 1.5 + 0.5, 0.8, 8,
                "zscore")


def model_case(cur, name, X, eps, min_samples, Q):
    """Fit with model =>, then label the rows Q by the three forms of userseg_predict
    against the nearest core row within eps of scikit-learn's fit (components_,
    labels_[core_sample_indices_]), computed naively."""
    X, feats = load_columns(cur, "dbscan_model_fit", X)
    scaler = StandardScaler().fit(X)
    model = DBSCAN(eps=eps, min_samples=min_samples, algorithm="kd_tree").fit(
        scaler.transform(X))
    cores = model.components_
    core_labels = model.labels_[model.core_sample_indices_]
    cur.execute("SELECT core_rows FROM userseg_dbscan('dbscan_model_fit', %s, %s, %s,"
                " id_column => 'id', model => 'dbscan_parity_model')", (feats, eps, min_samples))
    ncore = cur.fetchone()[0]
    check(ncore == len(cores), "model, %s: the model holds scikit-learn's %d core rows"
          % (name, len(cores)), "userseg %d" % ncore)
    Q, _ = load_columns(cur, "dbscan_model_new", Q)
    Qs = scaler.transform(Q)
    want = np.full(len(Q), -1)
    if len(cores):
        dist = np.sqrt(((Qs[:, None, :] - cores[None, :, :]) ** 2).sum(axis=2))
        nearest = dist.argmin(axis=1)
        within = dist[np.arange(len(Q)), nearest] <= eps
        want[within] = core_labels[nearest[within]]
    arr = ", ".join("c%d" % (j + 1) for j in range(X.shape[1]))
    for form, sql in (
            ("float8[]", "SELECT userseg_predict('dbscan_parity_model', ARRAY[%s]) "
                         "FROM dbscan_model_new ORDER BY id" % arr),
            ("jsonb", "SELECT userseg_predict('dbscan_parity_model', to_jsonb(q)) "
                      "FROM dbscan_model_new q ORDER BY id"),
            ("record", "SELECT userseg_predict('dbscan_parity_model', q) "
                       "FROM dbscan_model_new q ORDER BY id")):
        cur.execute(sql)
        got = np.array([r[0] for r in cur.fetchall()])
        compare("predict (%s), %s (%d new rows, %d core rows, eps %g): the label of the "
                "nearest of scikit-learn's core rows within eps, else -1 (%d noise)"
                % (form, name, len(Q), len(cores), eps, (want == -1).sum()), got, want)


def model_cases(cur):
    rng = np.random.RandomState(31)
    X, _ = make_blobs(n_samples=3000, centers=8, n_features=2, cluster_std=1.0,
                      random_state=3)
    lo, hi = X.min(axis=0), X.max(axis=0)
    Q = np.vstack([lo + rng.rand(1500, 2) * (hi - lo), X[rng.choice(len(X), 300)] +
                   rng.randn(300, 2) * 0.05])
    model_case(cur, "2-D blobs (grid)", X, 0.1, 5, Q)
    X, _ = make_blobs(n_samples=2000, centers=8, n_features=8, cluster_std=1.0,
                      random_state=4)
    lo, hi = X.min(axis=0), X.max(axis=0)
    Q = np.vstack([X[rng.choice(len(X), 800)] + rng.randn(800, 8) * 0.3,
                   lo + rng.rand(200, 8) * (hi - lo)])
    model_case(cur, "8-D blobs (k-d tree)", X, 0.8, 5, Q)
    X = rng.rand(200, 2)
    model_case(cur, "no core row (every new row noise)", X, 0.001, 5, rng.rand(50, 2))
    cur.execute("DELETE FROM userseg_models WHERE name = 'dbscan_parity_model'")


def cancel_cases(cur):
    cur.execute("DROP TABLE IF EXISTS dbscan_cancel")
    cur.execute("CREATE TABLE dbscan_cancel AS SELECT g AS id, (g % 1000) * 0.001 AS x,"
                " (g / 1000) * 0.001 AS y, (g % 100) * 0.001 AS z, (g % 7) * 0.01 AS v,"
                " 1.0::float8 AS w"
                " FROM generate_series(0, 999999) g")
    cur.execute("VACUUM ANALYZE dbscan_cancel")
    # how long reading the rows takes: the same call on a small eps and min_samples 1
    t0 = time.monotonic()
    cur.execute("SELECT n_clusters FROM userseg_dbscan('dbscan_cancel', ARRAY['x', 'y'], 1e-6, 1,"
                " scale => 'none')")
    read_s = time.monotonic() - t0
    timeout_s = 1.5 * read_s + 1.0
    for form, sql in (
            ("table form", "SELECT * FROM userseg_dbscan('dbscan_cancel', ARRAY['x', 'y'], 0.5,"
                           " 2000000, scale => 'none')"),
            ("window form", "SELECT max(l) FROM (SELECT userseg_dbscan(ARRAY[x, y], 0.5, 2000000,"
                            " 'none') OVER () AS l FROM dbscan_cancel) s"),
            ("table form with sample_weight",
             "SELECT * FROM userseg_dbscan('dbscan_cancel', ARRAY['x', 'y'], 0.5, 2000000,"
             " scale => 'none', sample_weight => 'w')"),
            ("table form on a k-d tree (4 columns)",
             "SELECT * FROM userseg_dbscan('dbscan_cancel', ARRAY['x', 'y', 'z', 'v'], 0.5,"
             " 2000000, scale => 'none')")):
        cur.execute("SET statement_timeout = %d" % int(timeout_s * 1000))
        t0 = time.monotonic()
        late = None
        try:
            cur.execute(sql)
        except psycopg2.errors.QueryCanceled:
            late = time.monotonic() - t0 - timeout_s
        cur.execute("RESET statement_timeout")
        check(late is not None and late <= LATE_S,
              "%s on 1,000,000 rows: a statement_timeout of %.1f s lands within %.0f s"
              % (form, timeout_s, LATE_S),
              "it finished" if late is None else "%.2f s late" % late)
    cur.execute("DROP TABLE dbscan_cancel")


def main():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET extra_float_digits = 3")
    lattice_cases(cur)
    blob_cases(cur)
    onehot_cases(cur)
    shared_cases(cur)
    weight_cases(cur)
    model_cases(cur)
    cancel_cases(cur)
    cur.execute("DROP TABLE IF EXISTS dbscan_parity, dbscan_table, dbscan_weighted,"
                " dbscan_model_fit, dbscan_model_new")
    return 0


if __name__ == "__main__":
    sys.exit(main())
