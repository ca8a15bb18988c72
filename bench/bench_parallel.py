#!/usr/bin/python3
"""userseg.max_workers: one worker against two, and K-Means against scikit-learn.

Run with `scripts/bench parallel` (PGHOST/PGPORT/PGUSER/PGDATABASE point at a
database with userseg).  `--runs` and `--kmeans-rows` shrink it for a quick run.

Data: make_blobs (d = 8, 8 centers, seeded), standardized once with StandardScaler
before loading, so both sides cluster the same numbers and userseg runs with
scale => 'none'.  The silhouette uses the first 20,000 rows and their blob labels.

a. Exact silhouette, n = 20,000: SELECT userseg_silhouette(f, lab) with
   userseg.max_workers 1 and 2 (goal: 2 workers at least 1.7 times as fast).
b. K-Means window form, n = 200,000, k = 8, n_init = 10 (the default), max_iter 300,
   tol 1e-4: max_workers 1 and 2 (goal 1.7x); the labels of both are compared.
c. K-Means n_init = 1 against sklearn.cluster.KMeans(n_init=1, algorithm='lloyd')
   on the same array (goal: userseg at most 0.7 times scikit-learn's time), and,
   to show where the time goes, the same call with max_iter = 1 and
   row_number() OVER () over the same rows (the window's spool and read alone).

userseg's time is the server's: "Execution Time" of EXPLAIN (ANALYZE, TIMING OFF)
(table scan, window partition or aggregate, the algorithm).  scikit-learn's is the
wall time of fit / silhouette_score on an array already in memory (its OpenMP and
BLAS threads use every core).  Each time is the median of --runs runs after one
warm-up run; the backend's CPU time (/proc/<pid>/stat, all its threads) and
scikit-learn's (time.process_time) are printed beside, since the machine may be
shared: CPU time over wall time shows how many cores a run really got.
"""
import argparse
import io
import os
import platform
import statistics
import time

import numpy as np
import psycopg2
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

D = 8
K = 8
SIL_N = 20000


def backend_cpu(pid):
    """User + system CPU seconds of the backend, its worker threads included (the
    process's /proc/<pid>/stat counts threads that have ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def server_run(cur, pid, sql):
    """Server wall time (EXPLAIN ANALYZE) and backend CPU time of one run, seconds."""
    c0 = backend_cpu(pid)
    cur.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql)
    plan = cur.fetchone()[0]
    return plan[0]["Execution Time"] / 1000.0, backend_cpu(pid) - c0


def median_server(cur, pid, sql, runs):
    server_run(cur, pid, sql)       # warm-up
    res = [server_run(cur, pid, sql) for _ in range(runs)]
    return statistics.median(r[0] for r in res), statistics.median(r[1] for r in res)


def median_python(fn, runs):
    fn()
    walls, cpus = [], []
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def load(cur, table, X, y):
    cur.execute(f"DROP TABLE IF EXISTS {table}")
    cur.execute(f"CREATE TABLE {table} (id int, f float8[], lab int)")
    buf = io.StringIO()
    for i in range(len(X)):
        buf.write(f"{i}\t{{{','.join(repr(float(v)) for v in X[i])}}}\t{int(y[i])}\n")
    buf.seek(0)
    cur.copy_expert(f"COPY {table} FROM STDIN", buf)
    cur.execute(f"VACUUM ANALYZE {table}")
    # the numbers as the server holds them (float8 text round trip is exact)
    cur.execute(f"SELECT f FROM {table} ORDER BY id")
    return np.array([r[0] for r in cur.fetchall()], dtype=np.float64)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--kmeans-rows", type=int, default=200000)
    args = ap.parse_args()
    runs = args.runs

    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    cur.execute("SET max_parallel_workers_per_gather = 0")
    cur.execute("SET userseg.memory_limit = '2GB'")
    cur.execute("SHOW work_mem")
    work_mem = cur.fetchone()[0]
    # the setting exists once the library is loaded: call something cheap first
    cur.execute("SELECT userseg_kmeans_nearest('{0}', '{{0}}', '{0}', '{1}')")
    cur.execute("SELECT setting FROM pg_settings WHERE name = 'userseg.max_workers'")
    default_workers = cur.fetchone()[0]

    X, y = make_blobs(n_samples=args.kmeans_rows, n_features=D, centers=K, cluster_std=2.0,
                      random_state=42)
    X = StandardScaler().fit_transform(X)
    Xk = load(cur, "bench_par_km", X, y)
    Xs = load(cur, "bench_par_sil", X[:SIL_N], y[:SIL_N])
    ys = y[:SIL_N]

    rows = []   # (case, a, b, ratio, goal, met, note)

    def workers(n):
        cur.execute(f"SET userseg.max_workers = {n}")

    # a. exact silhouette
    sil_sql = "SELECT userseg_silhouette(f, lab) FROM bench_par_sil"
    workers(1)
    t1 = median_server(cur, pid, sil_sql, runs)
    cur.execute(sil_sql)
    s1 = cur.fetchone()[0]
    workers(2)
    t2 = median_server(cur, pid, sil_sql, runs)
    cur.execute(sil_sql)
    s2 = cur.fetchone()[0]
    tsk = median_python(lambda: silhouette_score(Xs, ys), runs)
    ssk = silhouette_score(Xs, ys)
    rows.append((f"a. exact silhouette n={SIL_N}: 1 worker vs 2", t1, t2, t1[0] / t2[0],
                 ">= 1.7x", t1[0] / t2[0] >= 1.7,
                 f"same value bit for bit: {s1 == s2}; scikit-learn {tsk[0]:.3f} s "
                 f"(cpu {tsk[1]:.3f}), |diff| {abs(s1 - ssk):.1e}"))

    # b. K-Means n_init = 10, 1 vs 2 workers
    km = ("SELECT sum(l) FROM (SELECT userseg_kmeans(f, 8, 0, {n_init}, {max_iter}, 1e-4, "
          "'none') OVER () AS l FROM bench_par_km) q")
    km_labels = ("SELECT md5(string_agg(l::text, ',' ORDER BY id)) FROM (SELECT id, "
                 "userseg_kmeans(f, 8, 0, {n_init}, 300, 1e-4, 'none') OVER () AS l "
                 "FROM bench_par_km) q")
    n = args.kmeans_rows
    workers(1)
    k1 = median_server(cur, pid, km.format(n_init=10, max_iter=300), runs)
    cur.execute(km_labels.format(n_init=10))
    h1 = cur.fetchone()[0]
    workers(2)
    k2 = median_server(cur, pid, km.format(n_init=10, max_iter=300), runs)
    cur.execute(km_labels.format(n_init=10))
    h2 = cur.fetchone()[0]
    rows.append((f"b. K-Means n={n} d={D} k={K} n_init=10: 1 worker vs 2", k1, k2,
                 k1[0] / k2[0], ">= 1.7x", k1[0] / k2[0] >= 1.7,
                 f"same labels: {h1 == h2}"))

    # c. n_init = 1 against scikit-learn
    def sk_fit():
        KMeans(n_clusters=K, n_init=1, max_iter=300, tol=1e-4, algorithm="lloyd",
               random_state=0).fit(Xk)
    tsk = median_python(sk_fit, runs)
    for w in (1, 2):
        workers(w)
        t = median_server(cur, pid, km.format(n_init=1, max_iter=300), runs)
        rows.append((f"c. K-Means n_init=1, {w} worker{'s' if w > 1 else ''} vs scikit-learn",
                     t, tsk, t[0] / tsk[0], "<= 0.7x" if w == 2 else "",
                     t[0] / tsk[0] <= 0.7 if w == 2 else None, ""))
    workers(2)
    t_it1 = median_server(cur, pid, km.format(n_init=1, max_iter=1), runs)
    t_rn = median_server(cur, pid, "SELECT sum(l) FROM (SELECT row_number() OVER () AS l "
                                   "FROM bench_par_km) q", runs)
    rows.append(("c. the same with max_iter=1 (2 workers) vs row_number() OVER ()", t_it1,
                 t_rn, t_it1[0] / t_rn[0], "", None,
                 "reading the partition is the second figure"))
    cur.execute("RESET userseg.max_workers")

    print(f"# {platform.node()}: {os.cpu_count()} CPUs, load average "
          f"{' '.join('%.2f' % v for v in os.getloadavg())}; work_mem {work_mem}; "
          f"userseg.max_workers default here {default_workers}; median of {runs} runs")
    print("| case | first s (cpu) | second s (cpu) | ratio | goal | met | note |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for case, a, b, ratio, goal, met, note in rows:
        print(f"| {case} | {a[0]:.3f} ({a[1]:.3f}) | {b[0]:.3f} ({b[1]:.3f}) | {ratio:.2f} | "
              f"{goal} | {'' if met is None else ('yes' if met else 'no')} | {note} |")
    cur.execute("DROP TABLE bench_par_km")
    cur.execute("DROP TABLE bench_par_sil")
    conn.close()


if __name__ == "__main__":
    main()
