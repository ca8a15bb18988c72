#!/usr/bin/python3
"""Time userseg's window-form K-Means against scikit-learn's KMeans on the same data.

Usage (with PGHOST/PGPORT/PGUSER/PGDATABASE pointing at a database with userseg):
    /usr/bin/python3 scripts/bench_kmeans.py [n] [d] [k]

The data (make_blobs, seed 0) is loaded into a table once; each timing is the best of
three.  userseg's time is the whole query (reading the rows, clustering, returning the
labels), and the fit alone (scaling and K-Means, from the DEBUG1 message); scikit-learn's
is KMeans.fit on an array already in memory.  The query runs with work_mem = 1GB so the
window partition stays in memory.
"""
import re
import io
import sys
import time

import numpy as np
import psycopg2
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
d = int(sys.argv[2]) if len(sys.argv) > 2 else 8
k = int(sys.argv[3]) if len(sys.argv) > 3 else 8

X, _ = make_blobs(n_samples=n, n_features=d, centers=k, cluster_std=2.0, random_state=0)
conn = psycopg2.connect("")
conn.autocommit = True
cur = conn.cursor()
cur.execute("DROP TABLE IF EXISTS bench_kmeans")
cur.execute("CREATE TABLE bench_kmeans (id int, f float8[])")
buf = io.StringIO()
for i, row in enumerate(X):
    buf.write("%d\t{%s}\n" % (i, ",".join(repr(float(v)) for v in row)))
buf.seek(0)
cur.copy_from(buf, "bench_kmeans", columns=("id", "f"))
cur.execute("VACUUM ANALYZE bench_kmeans")
cur.execute("SET work_mem = '1GB'")
cur.execute("SET client_min_messages = debug1")
fit_ms = []


def best_of(f, times=3):
    best = None
    for _ in range(times):
        t = time.perf_counter()
        f()
        e = time.perf_counter() - t
        best = e if best is None else min(best, e)
    return best


for n_init in (1, 10):
    def ours():
        cur.execute("SELECT sum(l) FROM (SELECT userseg_kmeans(f, %s, 0, %s, 300, 1e-4, 'none')"
                    " OVER (ORDER BY id) AS l FROM bench_kmeans) s", (k, n_init))
        cur.fetchall()
        took = [float(m.group(1)) for m in
                (re.search(r"took ([0-9.]+) ms", n) for n in conn.notices) if m]
        if took:
            fit_ms.append(took[-1])
        del conn.notices[:]

    def theirs():
        KMeans(n_clusters=k, n_init=n_init, max_iter=300, tol=1e-4, random_state=0,
               algorithm="lloyd").fit(X)

    del fit_ms[:]
    t_us = best_of(ours)
    t_fit = min(fit_ms) / 1000.0
    t_sk = best_of(theirs)
    print("n=%d d=%d k=%d n_init=%d: userseg query %.3f s (fit %.3f s), scikit-learn %.3f s,"
          " ratio query %.2f, fit %.2f" % (n, d, k, n_init, t_us, t_fit, t_sk, t_us / t_sk,
                                           t_fit / t_sk))
cur.execute("DROP TABLE bench_kmeans")
