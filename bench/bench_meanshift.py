#!/usr/bin/python3
"""Mean Shift: userseg against scikit-learn.

Run with `scripts/bench meanshift` (PGHOST/PGPORT/PGUSER/PGDATABASE point at a database
with userseg).  `--help` for options.

Data: make_blobs(n_samples=20,000, n_features=8, centers=8, cluster_std=1.0,
random_state=0), standardized once with StandardScaler before loading, so both sides
cluster the same numbers (userseg runs with scale 'none').  Cases, both with bin
seeding:
- the estimated bandwidth: scikit-learn's MeanShift(bin_seeding=True).fit(X), which
  estimates it with estimate_bandwidth(X) (quantile 0.3, every row: a k-NN query with
  k = 6,000 for every row, most of its time); userseg's bandwidth NULL;
- quantile 0.05 and n_samples 2,000 (a bandwidth at the blobs' scale):
  estimate_bandwidth(X, quantile=0.05, n_samples=2000, random_state=0), then
  MeanShift(bandwidth=that, bin_seeding=True).fit(X), timed together; userseg's
  quantile => 0.05, n_samples => 2000, seed => 0.

- userseg: the window form userseg_meanshift(f, ...) OVER () over the float8[] rows, the
  server's "Execution Time" of EXPLAIN (ANALYZE, TIMING OFF) (table scan, window
  partition, bandwidth, fit); and the table form on the same rows as 8 float8 columns
  (read, fit, scores; no label column), wall time.
- scikit-learn: in a child process, once (tens of seconds), its time and peak RSS.
- Labels and centres: userseg's must equal scikit-learn's (labels exactly, centres
  within 1e-9).
- Peak backend memory of the table form, in a fresh connection: (VmHWM - RssShmem)
  after the call minus (VmRSS - RssShmem) before it, from /proc/<pid>/status, against
  the n x d matrix's bytes.  The "peak" column is that, measured first thing in the
  connection, as before; it is then broken down in one more fresh connection, with
  the peak (VmHWM) reset before each step by writing 5 to /proc/<pid>/clear_refs
  (where that is not allowed, the steps' peaks include the earlier ones and say so):
  first use: the same call on 100 rows (the library and the libraries it links,
  the catalog caches, the plan: a fixed cost whatever the data); read: the same rows
  read and encoded by userseg_describe (the reader the table form uses, without the
  fit); call: the table form on every row after both (read, bandwidth, fit,
  silhouette of a sample, the summary); fit beyond the read: call minus read.

Times are the median of --runs runs after one warm-up (userseg).
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
from sklearn.preprocessing import StandardScaler

N = 20000
D = 8
# (name, quantile, n_samples): bin seeding in both
CASES = [("estimated bandwidth", 0.3, None), ("quantile 0.05, n_samples 2000", 0.05, 2000)]

SKLEARN_CHILD = r"""
import sys, time
import numpy as np
from sklearn.cluster import MeanShift, estimate_bandwidth
X = np.load(sys.argv[1])
quantile = float(sys.argv[2])
n_samples = None if sys.argv[3] == "None" else int(sys.argv[3])
t = time.perf_counter()
if n_samples is None and quantile == 0.3:
    ms = MeanShift(bin_seeding=True).fit(X)
else:
    bw = estimate_bandwidth(X, quantile=quantile, n_samples=n_samples, random_state=0)
    ms = MeanShift(bandwidth=bw, bin_seeding=True).fit(X)
print(time.perf_counter() - t)
np.save(sys.argv[4], ms.labels_)
np.save(sys.argv[5], ms.cluster_centers_)
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
    cur.execute("DROP TABLE IF EXISTS bench_meanshift, bench_meanshift_cols")
    cur.execute("CREATE TABLE bench_meanshift (id int PRIMARY KEY, f float8[])")
    buf = io.StringIO()
    for i, row in enumerate(X):
        buf.write(f"{i}\t{{{','.join(repr(float(v)) for v in row)}}}\n")
    buf.seek(0)
    cur.copy_expert("COPY bench_meanshift FROM STDIN", buf)
    cur.execute("CREATE TABLE bench_meanshift_cols AS SELECT id, "
                + ", ".join(f"f[{j + 1}] AS c{j + 1}" for j in range(d))
                + " FROM bench_meanshift")
    cur.execute("VACUUM ANALYZE bench_meanshift")
    cur.execute("VACUUM ANALYZE bench_meanshift_cols")


def run_sklearn(X, quantile, n_samples):
    with tempfile.TemporaryDirectory() as tmp:
        xf = os.path.join(tmp, "x.npy")
        lf = os.path.join(tmp, "l.npy")
        cf = os.path.join(tmp, "c.npy")
        np.save(xf, X)
        p = subprocess.Popen([sys.executable, "-c", SKLEARN_CHILD, xf, str(quantile),
                              str(n_samples), lf, cf], stdout=subprocess.PIPE)
        out = p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)
        if status != 0:
            return None, None, None, usage.ru_maxrss * 1024
        return float(out), np.load(lf), np.load(cf), usage.ru_maxrss * 1024


WINDOW_SQL = ("SELECT max(l) FROM (SELECT userseg_meanshift(f, NULL, true, quantile => %s,"
              " n_samples => %s, scale => 'none') OVER () AS l FROM bench_meanshift) s")
TABLE_SQL = ("SELECT n_clusters, bandwidth, centers FROM userseg_meanshift("
             "'bench_meanshift_cols', %s, NULL, true, quantile => %s, n_samples => %s,"
             " scale => 'none')")


def userseg_window(cur, quantile, n_samples, runs):
    # max(l), not count(*): the planner drops an unused immutable window call
    explain_seconds(cur, WINDOW_SQL, (quantile, n_samples))
    return statistics.median(explain_seconds(cur, WINDOW_SQL, (quantile, n_samples))
                             for _ in range(runs))


def userseg_table(cur, quantile, n_samples, runs):
    feats = [f"c{j + 1}" for j in range(D)]
    times = []
    for _ in range(runs + 1):
        t = time.perf_counter()
        cur.execute(TABLE_SQL, (feats, quantile, n_samples))
        row = cur.fetchone()
        times.append(time.perf_counter() - t)
    return statistics.median(times[1:]), row


def userseg_labels(cur, quantile, n_samples):
    cur.execute("SELECT userseg_meanshift(f, NULL, true, quantile => %s, n_samples => %s,"
                " scale => 'none') OVER (ORDER BY id) FROM bench_meanshift ORDER BY id",
                (quantile, n_samples))
    return np.array([r[0] for r in cur.fetchall()])


def table_form_memory(quantile, n_samples):
    conn, cur, pid = connect()
    feats = [f"c{j + 1}" for j in range(D)]
    before = proc_status(pid)
    cur.execute(TABLE_SQL, (feats, quantile, n_samples))
    cur.fetchone()
    after = proc_status(pid)
    conn.close()
    base = before["VmRSS"] - before.get("RssShmem", 0)
    return after["VmHWM"] - after.get("RssShmem", 0) - base


def memory_breakdown(quantile, n_samples):
    """First use, read alone and the whole call, each its own peak (see the docstring)"""
    conn, cur, pid = connect()
    feats = [f"c{j + 1}" for j in range(D)]
    cur.execute("CREATE TEMP TABLE bench_meanshift_warm AS SELECT * FROM bench_meanshift_cols"
                " ORDER BY id LIMIT 100")
    start = rss(pid)
    # the estimated bandwidth's path on 100 rows: what every call loads first
    cur.execute(TABLE_SQL.replace("'bench_meanshift_cols'", "'bench_meanshift_warm'"),
                (feats, 0.3, None))
    cur.fetchall()
    first = hwm(pid) - start
    read, r1 = step_peak(cur, pid, "SELECT * FROM userseg_describe('bench_meanshift_cols', %s)",
                         (feats,))
    call, r2 = step_peak(cur, pid, TABLE_SQL, (feats, quantile, n_samples))
    conn.close()
    return {"first use": first, "read": read, "call": call, "reset": r1 and r2}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-sklearn", action="store_true", help="userseg's side only")
    args = ap.parse_args()

    conn, cur, pid = connect()
    X, _ = make_blobs(n_samples=N, centers=8, n_features=D, cluster_std=1.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    load(cur, X)
    print(f"{'case (n 20000, d 8, bin seeding)':<36} {'window s':>9} {'table s':>8} "
          f"{'sklearn s':>10} {'ratio':>8} {'peak MB':>8} {'x matrix':>9}  result")
    for name, quantile, n_samples in CASES:
        win = userseg_window(cur, quantile, n_samples, args.runs)
        tab, (k, bw, centers) = userseg_table(cur, quantile, n_samples, args.runs)
        ours = userseg_labels(cur, quantile, n_samples)
        peak = table_form_memory(quantile, n_samples)
        mem = memory_breakdown(quantile, n_samples)
        matrix = N * D * 8
        notes = [f"bandwidth {bw:.6g}, {k} clusters"]
        sk_s = None
        if not args.no_sklearn:
            sk_s, sk_labels, sk_centers, sk_rss = run_sklearn(X, quantile, n_samples)
            if sk_s is None:
                notes.append("scikit-learn failed")
            else:
                C = np.array(centers, dtype=np.float64).reshape(k, D)
                bad = int((sk_labels != ours).sum())
                same_c = C.shape == sk_centers.shape and np.abs(C - sk_centers).max() <= 1e-9
                notes.append("scikit-learn's labels exactly" if bad == 0 else
                             f"{bad} rows differ from scikit-learn")
                notes.append("centres within 1e-9" if same_c else "centres differ")
                notes.append(f"scikit-learn peak {sk_rss / 1e6:.0f} MB")
        ratio = f"{win / sk_s:8.4f}" if sk_s else f"{'':>8}"
        print(f"{name:<36} {win:9.3f} {tab:8.3f} "
              f"{sk_s if sk_s is not None else float('nan'):10.3f} {ratio} "
              f"{peak / 1e6:8.1f} {peak / matrix:9.2f}  {'; '.join(notes)}", flush=True)
        print(breakdown_line(mem, matrix, 36), flush=True)
    cur.execute("DROP TABLE IF EXISTS bench_meanshift, bench_meanshift_cols")
    print("# ratio: userseg's window form time over scikit-learn's; peak: the table form's "
          "backend memory beyond its start, against the n x d matrix (1.28 MB)")


if __name__ == "__main__":
    main()
