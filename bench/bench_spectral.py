#!/usr/bin/python3
"""Spectral clustering: userseg against scikit-learn's SpectralClustering.

Run with `scripts/bench spectral` (PGHOST/PGPORT/PGUSER/PGDATABASE point at a database
with userseg).  `--help` for options.

Data: make_blobs(n_samples=5000, centers=8, n_features=8, cluster_std=1.0,
random_state=0), standardized once with StandardScaler before loading, so both sides
cluster the same numbers (userseg runs with scale 'none'); n_clusters 8, n_init 10,
affinity 'rbf' (gamma 1.0) and 'nearest_neighbors' (n_neighbors 10).

- userseg: the window form userseg_spectral(f, 8, affinity, ..., 'none') OVER () over
  the float8[] rows, the server's "Execution Time" of EXPLAIN (ANALYZE, TIMING OFF)
  (table scan, window partition, affinity, eigenvectors, K-Means); the median of
  --runs runs after one warm-up.
- scikit-learn: SpectralClustering(n_clusters=8, affinity, gamma, n_neighbors,
  random_state=0).fit(X) in a child process, the median of --sklearn-runs runs, and
  its peak RSS from wait4 (the process's whole peak, numpy and the data included).
  Its eigen-solve alone (spectral_embedding on its affinity matrix) is timed too.
- Labels: the adjusted Rand index between the two partitions.  The k-NN graph of these
  blobs has several components (eigenvalue 1 repeated), where the two can only agree
  on keeping components apart: the line says whether each side does.
- Peak backend memory of the window form, in a fresh connection: (VmHWM - RssShmem)
  after the call minus (VmRSS - RssShmem) before it, from /proc/<pid>/status.
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
from scipy.sparse.csgraph import connected_components
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import kneighbors_graph
from sklearn.preprocessing import StandardScaler

CASES = [("rbf", 1.0, 10), ("nearest_neighbors", 1.0, 10)]
K = 8

SKLEARN_CHILD = r"""
import sys, time, warnings
import numpy as np
warnings.filterwarnings("ignore", "Graph is not fully connected")
from sklearn.cluster import SpectralClustering
from sklearn.manifold import spectral_embedding
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.neighbors import kneighbors_graph
X = np.load(sys.argv[1])
affinity, gamma, nn, runs = sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
times, eig = [], []
for _ in range(runs):
    t = time.perf_counter()
    labels = SpectralClustering(n_clusters=8, affinity=affinity, gamma=gamma, n_neighbors=nn,
                                random_state=0).fit(X).labels_
    times.append(time.perf_counter() - t)
    if affinity == "rbf":
        A = rbf_kernel(X, gamma=gamma)
    else:
        C = kneighbors_graph(X, n_neighbors=nn, include_self=True)
        A = 0.5 * (C + C.T)
    t = time.perf_counter()
    spectral_embedding(A, n_components=8, drop_first=False, random_state=0)
    eig.append(time.perf_counter() - t)
print(sorted(times)[len(times) // 2], sorted(eig)[len(eig) // 2])
np.save(sys.argv[6], labels)
"""


def connect():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET max_parallel_workers_per_gather = 0")
    cur.execute("SET jit = off")
    cur.execute("SET userseg.memory_limit = '8GB'")
    cur.execute("SELECT pg_backend_pid()")
    return conn, cur, cur.fetchone()[0]


def explain_seconds(cur, sql, args=None):
    cur.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql, args)
    return cur.fetchone()[0][0]["Execution Time"] / 1000.0


def load(cur, X):
    cur.execute("DROP TABLE IF EXISTS bench_spectral")
    cur.execute("CREATE TABLE bench_spectral (id int PRIMARY KEY, f float8[])")
    buf = io.StringIO()
    for i, row in enumerate(X):
        buf.write(f"{i}\t{{{','.join(repr(float(v)) for v in row)}}}\n")
    buf.seek(0)
    cur.copy_expert("COPY bench_spectral FROM STDIN", buf)
    cur.execute("VACUUM ANALYZE bench_spectral")


# max(l), not count(*): the planner drops an unused immutable window call
WINDOW_SQL = ("SELECT max(l) FROM (SELECT userseg_spectral(f, %s, %s, %s, %s, 10, 0, 'none') "
              "OVER () AS l FROM bench_spectral) s")


def userseg_window(cur, case, runs):
    args = (K,) + case
    explain_seconds(cur, WINDOW_SQL, args)
    return statistics.median(explain_seconds(cur, WINDOW_SQL, args) for _ in range(runs))


def userseg_labels(cur, case):
    cur.execute("SELECT userseg_spectral(f, %s, %s, %s, %s, 10, 0, 'none') OVER (ORDER BY id) "
                "FROM bench_spectral ORDER BY id", (K,) + case)
    return np.array([r[0] for r in cur.fetchall()])


def window_memory(case):
    conn, cur, pid = connect()
    before = proc_status(pid)
    cur.execute(WINDOW_SQL, (K,) + case)
    cur.fetchone()
    after = proc_status(pid)
    conn.close()
    base = before["VmRSS"] - before.get("RssShmem", 0)
    return after["VmHWM"] - after.get("RssShmem", 0) - base


def run_sklearn(X, case, runs):
    with tempfile.TemporaryDirectory() as tmp:
        xf, lf = os.path.join(tmp, "x.npy"), os.path.join(tmp, "l.npy")
        np.save(xf, X)
        p = subprocess.Popen([sys.executable, "-c", SKLEARN_CHILD, xf, case[0], str(case[1]),
                              str(case[2]), str(runs), lf], stdout=subprocess.PIPE)
        out = p.stdout.read().split()
        _, status, usage = os.wait4(p.pid, 0)
        if status != 0:
            return None, None, None, usage.ru_maxrss * 1024
        return float(out[0]), float(out[1]), np.load(lf), usage.ru_maxrss * 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sklearn-runs", type=int, default=3)
    ap.add_argument("--n", type=int, default=5000)
    args = ap.parse_args()

    conn, cur, pid = connect()
    X, _ = make_blobs(n_samples=args.n, centers=8, n_features=8, cluster_std=1.0,
                      random_state=0)
    X = StandardScaler().fit_transform(X)
    load(cur, X)
    print(f"{'case (n %d, d 8, 8 clusters)' % args.n:<34} {'userseg s':>10} {'sklearn s':>10} "
          f"{'ratio':>7} {'sk eigen s':>11} {'peak MB':>8} {'sk peak MB':>11}  labels")
    for case in CASES:
        ours_s = userseg_window(cur, case, args.runs)
        ours = userseg_labels(cur, case)
        peak = window_memory(case)
        sk_s, sk_eig, sk_labels, sk_rss = run_sklearn(X, case, args.sklearn_runs)
        name = case[0] + (f" gamma {case[1]:g}" if case[0] == "rbf" else f" n_neighbors {case[2]}")
        if sk_s is None:
            print(f"{name:<34} {ours_s:10.3f}  scikit-learn failed")
            continue
        note = f"ARI {adjusted_rand_score(sk_labels, ours):.4f}"
        if case[0] == "nearest_neighbors":
            # a graph of several components: eigenvalue 1 repeated; say whether each
            # side keeps every component within one cluster (or every cluster within
            # one component, with fewer components than clusters)
            C = kneighbors_graph(X, n_neighbors=case[2], include_self=True)
            ncomp, comp = connected_components(0.5 * (C + C.T))

            def fits(lab):
                a, b = (comp, lab) if ncomp > K else (lab, comp)
                return all(len(set(b[a == g].tolist())) == 1 for g in set(a.tolist()))
            note += (f"; a graph of {ncomp} components, kept apart by userseg: "
                     f"{'yes' if fits(ours) else 'no'}, by scikit-learn: "
                     f"{'yes' if fits(sk_labels) else 'no'}")
        print(f"{name:<34} {ours_s:10.3f} {sk_s:10.3f} {ours_s / sk_s:7.3f} {sk_eig:11.3f} "
              f"{peak / 1e6:8.1f} {sk_rss / 1e6:11.1f}  {note}", flush=True)
    cur.execute("DROP TABLE IF EXISTS bench_spectral")
    print("# ratio: userseg's window form time over scikit-learn's fit; sk eigen: scikit-learn's "
          "spectral_embedding alone; peak: the backend's memory beyond its start "
          "(scikit-learn's: the child process's whole peak RSS)")


if __name__ == "__main__":
    main()
