#!/usr/bin/python3
"""PCA: userseg against scikit-learn on the same table, and userseg_project per row.

Run with `scripts/bench pca` (PGHOST/PGPORT/PGUSER/PGDATABASE point at a database with
userseg).  On userseg_sample_users(--rows, 1), the four numeric usage columns with
nulls => 'impute' (the sample has NULLs), zscore-scaled, 3 components:
  table form   SELECT * FROM userseg_pca(...)                (read, scale, SVD, summary)
  window form  SELECT count(userseg_pca(ARRAY[...], 3, false, 'zscore') OVER ()) ...
  python       fetch the columns with psycopg2, impute with the means, StandardScaler,
               PCA(3, svd_solver='full').fit_transform (what the window form gives)
  project      SELECT count(userseg_project(m, u)) FROM users u, beyond the scan alone
Wall-clock times seen by the client, the median of --runs runs after a warm-up run.  The
Python side runs without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (scripts/bench), numpy
on every core it finds; the backend uses one thread.
"""
import argparse
import statistics
import time

import numpy as np
import psycopg2
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

NUMERIC = ["daily_usage_minutes", "posts_per_day", "likes_received_per_day",
           "messages_sent_per_day"]


def timed(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET max_parallel_workers_per_gather = 0")
    cur.execute("DROP TABLE IF EXISTS bench_pca")
    cur.execute("CREATE TABLE bench_pca AS SELECT * FROM userseg_sample_users(%s, 1)",
                (args.rows,))
    cur.execute("VACUUM ANALYZE bench_pca")
    cols = "ARRAY[%s]" % ", ".join("'%s'" % c for c in NUMERIC)
    imputed = ", ".join("coalesce(%s, (SELECT avg(%s) FROM bench_pca))" % (c, c)
                        for c in NUMERIC)

    def table_form():
        cur.execute("SELECT * FROM userseg_pca('bench_pca', %s, 3, model => 'bench_pca', "
                    "nulls => 'impute')" % cols)
        return cur.fetchall()

    def window_form():
        cur.execute("SELECT count(p) FROM (SELECT userseg_pca(ARRAY[%s], 3, false, 'zscore') "
                    "OVER () AS p FROM bench_pca) s" % imputed)
        return cur.fetchall()

    def python():
        cur.execute("SELECT %s FROM bench_pca" % ", ".join(NUMERIC))
        x = np.array(cur.fetchall(), dtype=float)
        x = np.where(np.isnan(x), np.nanmean(x, axis=0), x)
        return PCA(3, svd_solver="full").fit_transform(StandardScaler().fit_transform(x))

    def scan():
        cur.execute("SELECT count(*) FROM bench_pca u")
        return cur.fetchall()

    def project():
        cur.execute("SELECT count(userseg_project('bench_pca', u)) FROM bench_pca u")
        return cur.fetchall()

    # the figures agree before they are timed
    cur.execute("DELETE FROM userseg_models WHERE name = 'bench_pca'")
    ours = np.array([r[2] for r in table_form()])
    x = np.array(python())
    theirs = PCA(3, svd_solver="full")
    cur.execute("SELECT %s FROM bench_pca" % ", ".join(NUMERIC))
    raw = np.array(cur.fetchall(), dtype=float)
    raw = np.where(np.isnan(raw), np.nanmean(raw, axis=0), raw)
    theirs.fit(StandardScaler().fit_transform(raw))
    assert np.allclose(ours, theirs.explained_variance_ratio_, rtol=1e-9, atol=0), \
        (ours, theirs.explained_variance_ratio_)
    assert x.shape == (args.rows, 3)

    t_table = timed(table_form, args.runs)
    t_window = timed(window_form, args.runs)
    t_python = timed(python, args.runs)
    t_scan = timed(scan, args.runs)
    t_project = timed(project, args.runs)
    print("%d rows x %d columns, 3 components, median of %d runs" %
          (args.rows, len(NUMERIC), args.runs))
    print("%-52s %10s %8s" % ("what", "ms", "x python"))
    print("%-52s %10.1f %8.2f" % ("userseg_pca table form (summary, model saved)", t_table,
                                  t_table / t_python))
    print("%-52s %10.1f %8.2f" % ("userseg_pca window form (every row's coordinates)",
                                  t_window, t_window / t_python))
    print("%-52s %10.1f %8s" % ("fetch + StandardScaler + PCA.fit_transform", t_python, "1.00"))
    print("%-52s %10.1f %8s" % ("userseg_project of every row, beyond the scan",
                                t_project - t_scan, ""))
    cur.execute("DELETE FROM userseg_models WHERE name = 'bench_pca'")
    cur.execute("DROP TABLE bench_pca")
    conn.close()


if __name__ == "__main__":
    main()
