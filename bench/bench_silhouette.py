#!/usr/bin/python3
"""Exact silhouette: userseg's aggregate against sklearn.metrics.silhouette_score.

The same data (make_blobs, d = 8, k = 8, seeded) is loaded into a table of
float8[] features and read back for scikit-learn.  userseg's time is the
server's: "Execution Time" of EXPLAIN (ANALYZE, TIMING OFF) of
SELECT userseg_silhouette(f, lab) FROM <table> (the whole query: table scan,
transition, final function), in one backend (no parallel workers).
scikit-learn's is the wall time of silhouette_score in this process.  Each is
the median of 5 runs after one warm-up run.

The machine may be shared, so CPU times are printed too: the backend's from
/proc/<pid>/schedstat (nanoseconds on a CPU), scikit-learn's from
time.process_time() (the sum over its threads).
"""
import io
import os
import platform
import statistics
import time

import numpy as np
import psycopg2
from sklearn.datasets import make_blobs
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_info

SIZES = (5000, 20000)
D = 8
K = 8
RUNS = 5


def load(cur, table, X, y):
    cur.execute(f"DROP TABLE IF EXISTS {table}")
    cur.execute(f"CREATE TABLE {table} (id int, f float8[], lab int)")
    buf = io.StringIO()
    for i in range(len(X)):
        buf.write(f"{i}\t{{{','.join(repr(float(v)) for v in X[i])}}}\t{int(y[i])}\n")
    buf.seek(0)
    cur.copy_expert(f"COPY {table} FROM STDIN", buf)
    cur.execute(f"VACUUM ANALYZE {table}")
    cur.execute(f"SELECT f, lab FROM {table} ORDER BY id")
    rows = cur.fetchall()
    return (np.array([r[0] for r in rows], dtype=np.float64),
            np.array([r[1] for r in rows], dtype=np.int64))


def backend_cpu(pid):
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9
    except OSError:
        return float("nan")


def server_run(cur, pid, sql):
    """Server wall time (EXPLAIN ANALYZE) and backend CPU time of one run, in seconds"""
    c0 = backend_cpu(pid)
    cur.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql)
    ms = cur.fetchone()[0][0]["Execution Time"]
    return ms / 1000.0, backend_cpu(pid) - c0


def main():
    blas = [(i.get("internal_api"), i.get("architecture"), i.get("num_threads"))
            for i in threadpool_info()]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"scikit-learn threadpools (threadpoolctl): {blas}")
    print("OPENBLAS_CORETYPE=%s OPENBLAS_L2_SIZE=%s" % (
        os.environ.get("OPENBLAS_CORETYPE", "(unset)"), os.environ.get("OPENBLAS_L2_SIZE", "(unset)")))

    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET max_parallel_workers_per_gather = 0")
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]

    results = []
    for n in SIZES:
        X, y = make_blobs(n_samples=n, n_features=D, centers=K, random_state=42)
        table = f"bench_silhouette_{n}"
        Xb, yb = load(cur, table, X, y)
        sql = f"SELECT userseg_silhouette(f, lab) FROM {table}"

        cur.execute(sql)
        ours = cur.fetchone()[0]
        server_run(cur, pid, sql)                            # warm-up
        runs = [server_run(cur, pid, sql) for _ in range(RUNS)]
        t_ours = statistics.median(r[0] for r in runs)
        c_ours = statistics.median(r[1] for r in runs)

        ref = silhouette_score(Xb, yb)                       # warm-up
        times = []
        cpus = []
        for _ in range(RUNS):
            c0 = time.process_time()
            t0 = time.perf_counter()
            silhouette_score(Xb, yb)
            times.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        t_ref = statistics.median(times)
        c_ref = statistics.median(cpus)

        agree = abs(ours - ref) <= 1e-9 * abs(ref)
        results.append((n, t_ours, t_ref, t_ref / t_ours, ours, ref, agree, c_ours, c_ref))

    print()
    print(f"exact silhouette, d = {D}, k = {K}, median of {RUNS} runs")
    print(f"{'n':>7} {'userseg s':>10} {'sklearn s':>10} {'sklearn/userseg':>16} "
          f"{'agree 1e-9':>10} {'userseg cpu':>12} {'sklearn cpu':>12}  userseg score / sklearn score")
    for n, a, b, r, s1, s2, ok, ca, cb in results:
        print(f"{n:>7} {a:>10.3f} {b:>10.3f} {r:>15.1f}x {('yes' if ok else 'NO'):>10} "
              f"{ca:>12.3f} {cb:>12.3f}  {s1!r} / {s2!r}")
    print()
    print("| n | userseg (s) | scikit-learn (s) | ratio sklearn/userseg | scores agree within 1e-9 "
          "| userseg CPU (s) | scikit-learn CPU, both threads (s) |")
    print("|---:|---:|---:|---:|:---:|---:|---:|")
    for n, a, b, r, s1, s2, ok, ca, cb in results:
        print(f"| {n:,} | {a:.3f} | {b:.3f} | {r:.1f}x | {'yes' if ok else 'no'} | {ca:.3f} | {cb:.3f} |")
    print(f"load average after the run: {os.getloadavg()[0]:.2f}")
    conn.close()
    return 0 if all(r[6] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
