#!/usr/bin/python3
"""Agglomerative clustering: userseg against scikit-learn and fastcluster.

Run with `scripts/bench agglomerative` (PGHOST/PGPORT/PGUSER/PGDATABASE point at a
database with userseg).  `--help` for options.

Data: make_blobs(centers=8, cluster_std=1.0, random_state=0), d = 8, standardized once
with StandardScaler before loading, so every side clusters the same numbers (userseg
runs with scale 'none'); n_clusters 8.  Cases: n = 10,000 and 20,000 with ward,
complete and average linkage; single linkage at n = 20,000 and 200,000.

- userseg: the window form userseg_agglomerative(f, 8, linkage, NULL, 'none') OVER ()
  over the float8[] rows, the server's "Execution Time" of EXPLAIN (ANALYZE, TIMING
  OFF) (table scan, window partition, fit, cut), median of --runs runs; its peak backend
  memory in a fresh connection: (VmHWM - RssShmem) after the call minus (VmRSS -
  RssShmem) before it, from /proc/<pid>/status, against the condensed matrix
  (n (n - 1) / 2 doubles).
- scikit-learn: AgglomerativeClustering(n_clusters=8, linkage).fit(X) in a child
  process, its time and peak RSS (wait4); ward and complete (and single at 20,000),
  once each (a minute each at n = 20,000).
- fastcluster (Debian's python3-fastcluster): linkage_vector(X, 'ward') and
  linkage(X, 'complete' / 'average') (which computes the condensed matrix itself),
  and linkage_vector(X, 'single'), in a child process, once each.
- Labels: userseg's must equal scikit-learn's exactly where it ran; against fastcluster
  the sorted merge distances are compared (largest relative difference).

Ratios are userseg's time over the other's.  The machine is shared and noisy.
"""
import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import psycopg2

from backend_memory import proc_status
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler

CHILD = r"""
import sys, time, resource
import numpy as np
X = np.load(sys.argv[1])
who, linkage = sys.argv[2], sys.argv[3]
t = time.perf_counter()
if who == "sklearn":
    from sklearn.cluster import AgglomerativeClustering
    m = AgglomerativeClustering(n_clusters=8, linkage=linkage, compute_distances=True).fit(X)
    out = m.labels_.astype(np.float64)
    dist = m.distances_
elif who == "fastcluster_vector":
    import fastcluster
    Z = fastcluster.linkage_vector(X, method=linkage)
    out = np.zeros(1)
    dist = Z[:, 2]
else:
    import fastcluster
    Z = fastcluster.linkage(X, method=linkage, metric="euclidean")
    out = np.zeros(1)
    dist = Z[:, 2]
print(time.perf_counter() - t)
np.save(sys.argv[4], out)
np.save(sys.argv[5], np.sort(dist))
"""


def connect():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET max_parallel_workers_per_gather = 0")
    cur.execute("SET jit = off")
    cur.execute("SET userseg.memory_limit = '16GB'")
    cur.execute("SELECT pg_backend_pid()")
    return conn, cur, cur.fetchone()[0]


def explain_seconds(cur, sql, args=None):
    cur.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql, args)
    return cur.fetchone()[0][0]["Execution Time"] / 1000.0


def load(cur, X):
    cur.execute("DROP TABLE IF EXISTS bench_agglo")
    cur.execute("CREATE TABLE bench_agglo (id int PRIMARY KEY, f float8[])")
    buf = io.StringIO()
    for i, row in enumerate(X):
        buf.write(f"{i}\t{{{','.join(repr(float(v)) for v in row)}}}\n")
    buf.seek(0)
    cur.copy_expert("COPY bench_agglo FROM STDIN", buf)
    cur.execute("VACUUM ANALYZE bench_agglo")


# max(l), not count(*): the planner drops an unused immutable window call
WINDOW = ("SELECT max(l) FROM (SELECT userseg_agglomerative(f, 8, %s, NULL, 'none') OVER () AS l "
          "FROM bench_agglo) s")


def userseg_time(cur, linkage, runs):
    return statistics.median(explain_seconds(cur, WINDOW, (linkage,)) for _ in range(runs))


def userseg_labels(cur, linkage):
    cur.execute("SELECT userseg_agglomerative(f, 8, %s, NULL, 'none') OVER (ORDER BY id) "
                "FROM bench_agglo ORDER BY id", (linkage,))
    return np.array([r[0] for r in cur.fetchall()])


def userseg_tree_dist(cur, linkage):
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS bench_agglo_cols AS SELECT id, "
                + ", ".join(f"f[{j + 1}] AS c{j + 1}" for j in range(8)) + " FROM bench_agglo")
    cur.execute("SELECT distance FROM userseg_agglomerative_tree('bench_agglo_cols', %s, %s, 'none',"
                " id_column => 'id') ORDER BY step", ([f"c{j + 1}" for j in range(8)], linkage))
    return np.array([r[0] for r in cur.fetchall()])


def userseg_peak(linkage):
    conn, cur, pid = connect()
    before = proc_status(pid)
    cur.execute(WINDOW, (linkage,))
    cur.fetchone()
    after = proc_status(pid)
    conn.close()
    base = before["VmRSS"] - before.get("RssShmem", 0)
    return after["VmHWM"] - after.get("RssShmem", 0) - base


def run_child(X, who, linkage):
    with tempfile.TemporaryDirectory() as tmp:
        xf = os.path.join(tmp, "x.npy")
        lf, df = os.path.join(tmp, "l.npy"), os.path.join(tmp, "d.npy")
        np.save(xf, X)
        p = subprocess.Popen([sys.executable, "-c", CHILD, xf, who, linkage, lf, df],
                             stdout=subprocess.PIPE)
        out = p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)
        if status != 0:
            return None
        return float(out), np.load(lf), np.load(df), usage.ru_maxrss * 1024


def rel(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="10000,20000")
    ap.add_argument("--single-n", type=int, default=200000)
    ap.add_argument("--only-single", action="store_true",
                    help="single linkage at --single-n only")
    ap.add_argument("--no-sklearn", action="store_true")
    args = ap.parse_args()

    conn, cur, pid = connect()
    print(f"{'case':<26} {'userseg s':>9} {'peak MB':>8} {'x matrix':>8} "
          f"{'sklearn s':>9} {'ratio':>7} {'skl MB':>7} {'fastcl s':>8} {'ratio':>7}  notes",
          flush=True)
    cases = [(int(n), lk) for n in args.sizes.split(",") for lk in ("ward", "complete", "average")]
    cases += [(20000, "single"), (args.single_n, "single")]
    if args.only_single:
        cases = [(args.single_n, "single")]
    loaded = None
    for n, linkage in cases:
        if loaded != n:
            X, _ = make_blobs(n_samples=n, centers=8, n_features=8, cluster_std=1.0,
                              random_state=0)
            X = StandardScaler().fit_transform(X)
            load(cur, X)
            cur.execute("DROP TABLE IF EXISTS bench_agglo_cols")
            loaded = n
        runs = args.runs if n <= 20000 else 1
        ours = userseg_time(cur, linkage, runs)
        peak = userseg_peak(linkage)
        matrix = n * (n - 1) / 2 * 8
        notes = []
        labels = userseg_labels(cur, linkage) if n <= 20000 else None
        dist = userseg_tree_dist(cur, linkage) if n <= 20000 else None

        sk = None
        if not args.no_sklearn and n <= 20000 and (linkage != "average" or n <= 10000):
            sk = run_child(X, "sklearn", linkage)
            if sk is None:
                notes.append("scikit-learn failed")
            else:
                bad = int((sk[1] != labels).sum())
                notes.append("scikit-learn's labels exactly" if bad == 0 else
                             f"{bad} labels differ from scikit-learn's")
                notes.append(f"distances within {rel(dist, sk[2]):.1e} of scikit-learn's")
        fc = None
        if n <= 20000:
            who = "fastcluster_vector" if linkage in ("ward", "single") else "fastcluster"
            fc = run_child(X, who, linkage)
            if fc is not None:
                notes.append("fastcluster %s: distances within %.1e"
                             % ("linkage_vector" if who.endswith("vector") else "linkage",
                                rel(np.sort(dist), fc[2])))

        def col(r):
            return (f"{r[0]:9.2f} {ours / r[0]:7.3f}") if r else f"{'':>9} {'':>7}"

        print(f"{f'{linkage} n {n}':<26} {ours:9.2f} {peak / 1e6:8.0f} {peak / matrix:8.3f} "
              f"{col(sk)} {sk[3] / 1e6 if sk else float('nan'):7.0f} "
              f"{fc[0] if fc else float('nan'):8.2f} {ours / fc[0] if fc else float('nan'):7.3f}"
              f"  {'; '.join(notes)}", flush=True)
    cur.execute("DROP TABLE IF EXISTS bench_agglo, bench_agglo_cols")
    print("# ratios: userseg's window form time over the other's; peak: the window form's "
          "backend memory beyond its start, against the condensed matrix n (n - 1) / 2 doubles")


if __name__ == "__main__":
    main()
