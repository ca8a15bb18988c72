#!/usr/bin/python3
"""DBSCAN: userseg against scikit-learn and PostGIS ST_ClusterDBSCAN.

Run with `scripts/bench dbscan` (PGHOST/PGPORT/PGUSER/PGDATABASE point at a database
with userseg; PostGIS is created here when it is installed).  `--help` for options.

Data: make_blobs(centers=8, cluster_std=1.0, random_state=0), standardized once with
StandardScaler before loading, so every side clusters the same numbers (userseg runs
with scale 'none'); min_samples 10.  Cases (n, d, eps): (200,000, 2, 0.05),
(200,000, 2, 0.3), (50,000, 8, 0.5).

- userseg: the window form userseg_dbscan(f, eps, 10, 'none') OVER () over the float8[]
  rows, the server's "Execution Time" of EXPLAIN (ANALYZE, TIMING OFF) (table scan,
  window partition, index, fit); and the table form on the same rows as d float8
  columns (read, index, fit, scores; no label column), wall time.
- scikit-learn: DBSCAN(eps, min_samples=10).fit(X) in a child process (its time, and
  its peak RSS from wait4).  scikit-learn holds every neighbourhood at once (8 bytes
  per neighbour pair with its distances off); the neighbourhood sizes are estimated
  first from 2,000 sampled rows, and scikit-learn is NOT run when they would take more
  than --sklearn-max-gb (default 3): at eps 0.3 in 2-D they hold about 2.7 billion
  indices (over 20 GB), which the kernel kills.  Such a case prints "skipped" and the
  estimate.
- PostGIS: ST_ClusterDBSCAN(geom, eps, 10) OVER () on the same points as 2-D
  geometries (2-D cases only), EXPLAIN ANALYZE's Execution Time.  --no-postgis skips
  it (at eps 0.3 it takes about two minutes).
- Labels: userseg's must equal scikit-learn's exactly when scikit-learn ran; against
  PostGIS the partitions are compared up to a renumbering (PostGIS numbers clusters
  its own way and gives NULL for noise; a border row reachable from two clusters may
  join either there).
- Peak backend memory of the table form, in a fresh connection after a first call on
  100 rows (which loads the library and warms the catalog caches, about 7 MB whatever
  the data): (VmHWM - RssShmem) after the call minus (VmRSS - RssShmem) before it,
  from /proc/<pid>/status, against the n x d matrix's bytes.  Then broken down in one
  more fresh connection, with the peak (VmHWM) reset before each step by writing 5 to
  /proc/<pid>/clear_refs (where that is not allowed, the steps' peaks include the
  earlier ones and say so): first use: the call on 100 rows (the library and the
  libraries it links, the catalog caches, the plan); read: the same rows read and
  encoded by userseg_describe (the reader the table form uses, without the fit);
  call: the table form on every row after both (read, index, fit, silhouette of a
  sample, the summary); fit beyond the read: call minus read.

Times are the median of --runs runs after one warm-up (userseg); scikit-learn and
PostGIS run once each (they take seconds to minutes).
"""
import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import psycopg2

from backend_memory import breakdown_line, hwm, proc_status, rss, step_peak
from sklearn.datasets import make_blobs
from sklearn.neighbors import KDTree
from sklearn.preprocessing import StandardScaler

CASES = [(200000, 2, 0.05), (200000, 2, 0.3), (50000, 8, 0.5)]
MIN_SAMPLES = 10

SKLEARN_CHILD = r"""
import sys, time
import numpy as np
from sklearn.cluster import DBSCAN
X = np.load(sys.argv[1])
t = time.perf_counter()
labels = DBSCAN(eps=float(sys.argv[2]), min_samples=int(sys.argv[3])).fit(X).labels_
print(time.perf_counter() - t)
np.save(sys.argv[4], labels)
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
    d = X.shape[1]
    cur.execute("DROP TABLE IF EXISTS bench_dbscan, bench_dbscan_cols")
    cur.execute("CREATE TABLE bench_dbscan (id int PRIMARY KEY, f float8[])")
    buf = io.StringIO()
    for i, row in enumerate(X):
        buf.write(f"{i}\t{{{','.join(repr(float(v)) for v in row)}}}\n")
    buf.seek(0)
    cur.copy_expert("COPY bench_dbscan FROM STDIN", buf)
    cur.execute("CREATE TABLE bench_dbscan_cols AS SELECT id, "
                + ", ".join(f"f[{j + 1}] AS c{j + 1}" for j in range(d)) + " FROM bench_dbscan")
    cur.execute("VACUUM ANALYZE bench_dbscan")
    cur.execute("VACUUM ANALYZE bench_dbscan_cols")


def same_partition(a, b):
    """Rows whose labels differ after the best one-to-one renumbering of b's clusters"""
    a = np.asarray(a)
    b = np.asarray(b)
    pairs = {}
    for x, y in zip(a, b):
        pairs[(x, y)] = pairs.get((x, y), 0) + 1
    used_a, used_b, agree = set(), set(), 0
    for (x, y), c in sorted(pairs.items(), key=lambda t: -t[1]):
        if x not in used_a and y not in used_b:
            used_a.add(x)
            used_b.add(y)
            agree += c
    return len(a) - agree


def neighbourhood_gb(X, eps):
    """scikit-learn's neighbourhoods (int64 indices), estimated from 2,000 rows"""
    rng = np.random.RandomState(1)
    sample = X[rng.choice(len(X), size=min(2000, len(X)), replace=False)]
    counts = KDTree(X).query_radius(sample, eps, count_only=True)
    return float(counts.mean()) * len(X) * 8 / 1e9


def run_sklearn(X, eps):
    with tempfile.TemporaryDirectory() as tmp:
        xf, lf = os.path.join(tmp, "x.npy"), os.path.join(tmp, "l.npy")
        np.save(xf, X)
        p = subprocess.Popen([sys.executable, "-c", SKLEARN_CHILD, xf, str(eps),
                              str(MIN_SAMPLES), lf], stdout=subprocess.PIPE)
        out = p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)
        if status != 0:
            return None, None, usage.ru_maxrss * 1024
        return float(out), np.load(lf), usage.ru_maxrss * 1024


def userseg_window(cur, eps, runs):
    # max(l), not count(*): the planner drops an unused immutable window call
    sql = ("SELECT max(l) FROM (SELECT userseg_dbscan(f, %s, %s, 'none') OVER () AS l "
           "FROM bench_dbscan) s")
    explain_seconds(cur, sql, (eps, MIN_SAMPLES))
    return statistics.median(explain_seconds(cur, sql, (eps, MIN_SAMPLES)) for _ in range(runs))


def userseg_table(cur, d, eps, runs):
    feats = [f"c{j + 1}" for j in range(d)]
    times = []
    for _ in range(runs + 1):
        t = time.perf_counter()
        cur.execute("SELECT n_clusters, noise FROM userseg_dbscan('bench_dbscan_cols', %s, %s, %s,"
                    " scale => 'none')", (feats, eps, MIN_SAMPLES))
        cur.fetchone()
        times.append(time.perf_counter() - t)
    return statistics.median(times[1:])


def userseg_labels(cur, eps):
    cur.execute("SELECT userseg_dbscan(f, %s, %s, 'none') OVER (ORDER BY id) FROM bench_dbscan "
                "ORDER BY id", (eps, MIN_SAMPLES))
    return np.array([r[0] for r in cur.fetchall()])


def table_form_memory(d, eps):
    conn, cur, pid = connect()
    feats = [f"c{j + 1}" for j in range(d)]
    # a first call on 100 rows loads the library and warms the catalog caches (about
    # 7 MB whatever the data), so that the peak is the call's own
    cur.execute("CREATE TEMP TABLE bench_dbscan_warm AS SELECT * FROM bench_dbscan_cols LIMIT 100")
    cur.execute("SELECT n_clusters FROM userseg_dbscan('bench_dbscan_warm', %s, %s, %s,"
                " scale => 'none')", (feats, eps, MIN_SAMPLES))
    cur.fetchone()
    before = proc_status(pid)
    cur.execute("SELECT n_clusters FROM userseg_dbscan('bench_dbscan_cols', %s, %s, %s,"
                " scale => 'none')", (feats, eps, MIN_SAMPLES))
    cur.fetchone()
    after = proc_status(pid)
    conn.close()
    base = before["VmRSS"] - before.get("RssShmem", 0)
    return after["VmHWM"] - after.get("RssShmem", 0) - base


def memory_breakdown(d, eps):
    """First use, read alone and the whole call, each its own peak (see the docstring)"""
    conn, cur, pid = connect()
    feats = [f"c{j + 1}" for j in range(d)]
    cur.execute("CREATE TEMP TABLE bench_dbscan_warm AS SELECT * FROM bench_dbscan_cols LIMIT 100")
    start = rss(pid)
    cur.execute("SELECT n_clusters FROM userseg_dbscan('bench_dbscan_warm', %s, %s, %s,"
                " scale => 'none')", (feats, eps, MIN_SAMPLES))
    cur.fetchall()
    first = hwm(pid) - start
    read, r1 = step_peak(cur, pid, "SELECT * FROM userseg_describe('bench_dbscan_cols', %s)",
                         (feats,))
    call, r2 = step_peak(cur, pid, "SELECT n_clusters FROM userseg_dbscan('bench_dbscan_cols',"
                         " %s, %s, %s, scale => 'none')", (feats, eps, MIN_SAMPLES))
    conn.close()
    return {"first use": first, "read": read, "call": call, "reset": r1 and r2}


def postgis(cur, eps):
    cur.execute("DROP TABLE IF EXISTS bench_dbscan_geom")
    cur.execute("CREATE TABLE bench_dbscan_geom AS SELECT id, ST_MakePoint(f[1], f[2]) AS g "
                "FROM bench_dbscan")
    cur.execute("VACUUM ANALYZE bench_dbscan_geom")
    secs = explain_seconds(cur, "SELECT max(l) FROM (SELECT ST_ClusterDBSCAN(g, %s, %s) OVER () "
                                "AS l FROM bench_dbscan_geom) s", (eps, MIN_SAMPLES))
    cur.execute("SELECT ST_ClusterDBSCAN(g, %s, %s) OVER (ORDER BY id) FROM bench_dbscan_geom "
                "ORDER BY id", (eps, MIN_SAMPLES))
    labels = np.array([-1 if r[0] is None else r[0] for r in cur.fetchall()])
    return secs, labels


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every n by this")
    ap.add_argument("--sklearn-max-gb", type=float, default=3.0,
                    help="skip scikit-learn when its neighbourhoods would exceed this")
    ap.add_argument("--no-postgis", action="store_true")
    args = ap.parse_args()

    conn, cur, pid = connect()
    have_postgis = False
    if not args.no_postgis:
        cur.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")
        if cur.fetchone()[0]:
            cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            have_postgis = True
        else:
            print("# PostGIS is not installed: its column is empty")

    print(f"{'case':<28} {'window s':>9} {'table s':>8} {'sklearn s':>10} {'ratio':>8} "
          f"{'postgis s':>10} {'ratio':>8} {'peak MB':>8} {'x matrix':>9}  labels")
    for n, d, eps in CASES:
        n = int(n * args.scale)
        X, _ = make_blobs(n_samples=n, centers=8, n_features=d, cluster_std=1.0, random_state=0)
        X = StandardScaler().fit_transform(X)
        load(cur, X)
        win = userseg_window(cur, eps, args.runs)
        tab = userseg_table(cur, d, eps, args.runs)
        ours = userseg_labels(cur, eps)
        peak = table_form_memory(d, eps)
        mem = memory_breakdown(d, eps)
        matrix = n * d * 8
        notes = [f"{ours.max() + 1} clusters, {(ours == -1).sum()} noise"]

        sk_s = None
        gb = neighbourhood_gb(X, eps)
        if gb > args.sklearn_max_gb:
            notes.append(f"scikit-learn skipped: its neighbourhoods would take about {gb:.0f} GB")
        else:
            sk_s, sk_labels, sk_rss = run_sklearn(X, eps)
            if sk_s is None:
                notes.append("scikit-learn failed")
            else:
                bad = int((sk_labels != ours).sum())
                notes.append("scikit-learn's labels exactly" if bad == 0 else
                             f"{bad} rows differ from scikit-learn")
                notes.append(f"scikit-learn peak {sk_rss / 1e6:.0f} MB")
        pg_s = None
        if have_postgis and d == 2:
            pg_s, pg_labels = postgis(cur, eps)
            notes.append(f"PostGIS partition: {same_partition(ours, pg_labels)} rows differ")

        def ratio(theirs):
            return f"{win / theirs:8.4f}" if theirs else f"{'':>8}"

        print(f"{f'n {n} d {d} eps {eps}':<28} {win:9.3f} {tab:8.3f} "
              f"{sk_s if sk_s is not None else float('nan'):10.3f} {ratio(sk_s)} "
              f"{pg_s if pg_s is not None else float('nan'):10.3f} {ratio(pg_s)} "
              f"{peak / 1e6:8.1f} {peak / matrix:9.2f}  {'; '.join(notes)}", flush=True)
        print(breakdown_line(mem, matrix, 28), flush=True)
    cur.execute("DROP TABLE IF EXISTS bench_dbscan, bench_dbscan_cols, bench_dbscan_geom")
    print("# ratios: userseg's window form time over the other's; peak: the table form's "
          "backend memory beyond its start, against the n x d matrix")


if __name__ == "__main__":
    main()
