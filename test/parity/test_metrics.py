#!/usr/bin/python3
"""Parity of userseg's scores with scikit-learn on the same data.

Seeded numpy data sets are loaded into the database, read back, and scored by
userseg (aggregates and the window function) and by scikit-learn / numpy on the
rows read back.  Prints one line per check: "ok - ..." or "not ok - ...".
"""
import sys

import numpy as np
import psycopg2
import psycopg2.extras
from sklearn.datasets import make_blobs
from sklearn import metrics

REL = 1e-9
from tap import check, rel_diff


def load(cur, name, X, y):
    cur.execute(f"DROP TABLE IF EXISTS {name}")
    cur.execute(f"CREATE TABLE {name} (id int, f float8[], lab int)")
    rows = [(i, [float(v) for v in X[i]], None if y[i] is None else int(y[i]))
            for i in range(len(X))]
    psycopg2.extras.execute_values(cur, f"INSERT INTO {name} VALUES %s", rows, page_size=1000)
    cur.execute(f"SELECT f, lab FROM {name} ORDER BY id")
    back = cur.fetchall()
    Xb = np.array([r[0] for r in back], dtype=np.float64)
    yb = np.array([-1 if r[1] is None else r[1] for r in back])
    keep = np.array([r[1] is not None and r[1] != -1 for r in back])
    return Xb, yb, keep


def datasets():
    # well separated blobs
    X, y = make_blobs(n_samples=1500, n_features=2, centers=3, cluster_std=0.8, random_state=11)
    yield "blobs n=1500 d=2 k=3", X, y
    # overlapping clusters
    X, y = make_blobs(n_samples=3000, n_features=5, centers=4, cluster_std=3.0, random_state=12)
    yield "overlapping n=3000 d=5 k=4", X, y
    # a singleton cluster
    X, y = make_blobs(n_samples=600, n_features=8, centers=3, random_state=13)
    y = y.copy()
    y[17] = 3
    yield "singleton n=600 d=8 k=4", X, y
    # arbitrary labels, noise (-1) and NULL labels, d = 20
    X, y = make_blobs(n_samples=900, n_features=20, centers=6, cluster_std=4.0, random_state=14)
    y = (y * 7 - 3).astype(object)
    rng = np.random.default_rng(14)
    for i in rng.choice(900, 40, replace=False):
        y[i] = -1
    for i in rng.choice(900, 10, replace=False):
        y[i] = None
    yield "noise and arbitrary labels n=900 d=20 k=6", X, y
    # many clusters: the silhouette's row-streaming path
    X, y = make_blobs(n_samples=2000, n_features=3, centers=120, cluster_std=1.0, random_state=15)
    yield "many clusters n=2000 d=3 k=120", X, y


def main():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    fetched = {}
    for t, (name, X, y) in enumerate(datasets()):
        table = f"metrics_parity_{t}"
        Xb, yb, keep = load(cur, table, X, y)   # sklearn has no noise: leave it out
        Xk, yk = Xb[keep], yb[keep]
        fetched[t] = (Xk, yk)

        cur.execute(f"""SELECT userseg_silhouette(f, lab), userseg_calinski_harabasz(f, lab),
                               userseg_davies_bouldin(f, lab), userseg_inertia(f, lab)
                        FROM {table}""")
        sil, ch, db, inertia = cur.fetchone()

        ref = metrics.silhouette_score(Xk, yk)
        check(rel_diff(sil, ref) < REL, f"{name}: silhouette", f"userseg {sil!r} sklearn {ref!r}")
        ref = metrics.calinski_harabasz_score(Xk, yk)
        check(rel_diff(ch, ref) < REL, f"{name}: calinski_harabasz", f"userseg {ch!r} sklearn {ref!r}")
        ref = metrics.davies_bouldin_score(Xk, yk)
        check(rel_diff(db, ref) < REL, f"{name}: davies_bouldin", f"userseg {db!r} sklearn {ref!r}")
        ref = 0.0
        for c in np.unique(yk):
            Z = Xk[yk == c]
            ref += float(((Z - Z.mean(axis=0)) ** 2).sum())
        check(rel_diff(inertia, ref) < REL, f"{name}: inertia", f"userseg {inertia!r} numpy {ref!r}")

        # per row, in the window function
        cur.execute(f"""SELECT userseg_silhouette_sample(f, lab) OVER () AS s, id
                        FROM {table} ORDER BY id""")
        got = [r[0] for r in cur.fetchall()]
        nulls_ok = all((g is None) == (not k) for g, k in zip(got, keep))
        check(nulls_ok, f"{name}: silhouette_sample is NULL exactly for noise and NULL labels")
        g = np.array([v for v in got if v is not None], dtype=np.float64)
        ref = metrics.silhouette_samples(Xk, yk)
        worst = float(np.max(np.abs(g - ref) / np.maximum(np.abs(ref), 1e-3))) if len(g) == len(ref) else np.inf
        check(worst < REL, f"{name}: silhouette_samples per row", f"worst relative difference {worst!r}")

    # the sampled silhouette, on the overlapping data set (n = 3000)
    table = "metrics_parity_1"
    cur.execute(f"SELECT userseg_silhouette(f, lab) FROM {table}")
    exact = cur.fetchone()[0]
    cur.execute(f"""SELECT userseg_silhouette(f, lab, 3000, 5), userseg_silhouette(f, lab, 5000, 5)
                    FROM {table}""")
    a, b = cur.fetchone()
    check(a == exact and b == exact, "sampled silhouette with sample_size >= n equals the exact one",
          f"{a!r} {b!r} exact {exact!r}")
    draws = []
    for seed in (1, 2, 3):
        cur.execute(f"SELECT userseg_silhouette(f, lab, 1000, %s) FROM {table}", (seed,))
        s1 = cur.fetchone()[0]
        cur.execute(f"SELECT userseg_silhouette(f, lab, 1000, %s) FROM {table}", (seed,))
        s2 = cur.fetchone()[0]
        check(s1 == s2, f"sampled silhouette is deterministic for seed {seed}", f"{s1!r} {s2!r}")
        check(abs(s1 - exact) < 0.05, f"sampled silhouette (1000 of 3000, seed {seed}) is near the exact one",
              f"sampled {s1!r} exact {exact!r}")
        draws.append(s1)
    check(len(set(draws)) > 1, "different seeds draw different samples", repr(draws))
    # the sample is a uniform subset: sklearn's estimator on random subsets spreads alike
    Xb, yb = fetched[1]
    rng_scores = [metrics.silhouette_score(Xb, yb, sample_size=1000, random_state=s) for s in range(5)]
    check(abs(np.mean(rng_scores) - np.mean(draws)) < 0.05,
          "sampled silhouette agrees in mean with sklearn's sample_size estimate",
          f"userseg {np.mean(draws)!r} sklearn {np.mean(rng_scores)!r}")

    conn.close()
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
