#!/usr/bin/python3
"""K-Means: userseg against scikit-learn, PostGIS and the Python round trip.

Run with `scripts/bench kmeans` (PGHOST/PGPORT/PGUSER/PGDATABASE point at a
database with userseg; PostGIS is created here).  Options shrink the sizes for a
quick run: `bench/bench_kmeans.py --help`.

a. userseg's window form against sklearn.cluster.KMeans(algorithm='lloyd') with
   the same data (make_blobs, standardized once with StandardScaler before
   loading, so both sides cluster the same numbers and userseg runs with
   scale 'none'), k, n_init, max_iter, tol; n_init 1 and 10.  userseg's time is
   the server's ("Execution Time" of EXPLAIN (ANALYZE, TIMING OFF): table scan,
   window partition, clustering); scikit-learn's is KMeans.fit on an array
   already in memory.  Inertias are computed the same way for both from the
   labels (sum of squared distances to the label means).
b. userseg against PostGIS ST_ClusterKMeans on the same POINTZ geometries
   (ST_ClusterKMeans clusters in 3-D when the points have Z since PostGIS 3.1;
   checked below).  PostGIS makes one run from a deterministic farthest-point
   start and iterates until no label changes; userseg is timed with n_init 1 and
   tol 0 (also until no label changes) and with n_init 10, tol 1e-4.  Both read
   the same geometry column (userseg through ARRAY[ST_X, ST_Y, ST_Z]).
c. End to end on generated users (userseg_sample_users(n, 1), the six numeric
   columns; rows with a NULL among them, about 1%, get no label on either side):
   the Python round trip (psycopg2 fetch, StandardScaler + KMeans with
   the same n_init, max_iter, tol, labels back with COPY into a temporary table
   and UPDATE ... FROM, commit) against (1) userseg writing a label column (the
   table form when installed; otherwise UPDATE ... FROM (SELECT user_id,
   userseg_kmeans(...) OVER ()) as a stand-in, labelled as such) and (2) CREATE
   TABLE AS SELECT user_id, userseg_kmeans(...) OVER ().  Client wall times of
   the whole thing, committed; the table is recreated (untimed) before each run.
d. Peak backend memory of one K-Means call on n x d float8[] rows: in a fresh
   connection, (VmHWM - RssShmem) after the query minus (VmRSS - RssShmem)
   before it, from /proc/<backend pid>/status; RssShmem is taken out because
   shared_buffers pages the backend touches count toward its RSS.  The RssAnon
   peak sampled every 10 ms by a thread is printed beside it.

Each time is the median of --runs runs after one warm-up run; CPU times are
printed beside wall times (the backend's from /proc/<pid>/schedstat, the
Python process's from time.process_time(), summed over its threads).
"""
import argparse
import io
import os
import platform
import re
import statistics
import threading
import time

import numpy as np
import psycopg2

from backend_memory import proc_status
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info

USER_FEATURES = ["age", "daily_usage_minutes", "posts_per_day", "likes_received_per_day",
                 "comments_received_per_day", "messages_sent_per_day"]

ROWS = []   # (part, case, userseg, other, ratio, goal, met, note, (cpu, cpu), userseg fit s)
SPOOL = []  # the window partition alone, for comparison


def backend_cpu(pid):
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9
    except OSError:
        return float("nan")


def connect():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET max_parallel_workers_per_gather = 0")
    # JIT off: PostGIS's window function has a high cost estimate, and JIT compilation
    # (about 0.1-0.2 s here) would be charged to it without speeding it up
    cur.execute("SET jit = off")
    # userseg logs "k-means on N rows of D columns took X ms" at DEBUG1: the fit alone
    cur.execute("SET client_min_messages = debug1")
    cur.execute("SELECT pg_backend_pid()")
    return conn, cur, cur.fetchone()[0]


FIT_RE = re.compile(r"k-means on \d+ rows of \d+ columns took ([0-9.]+) ms")


def fit_seconds(conn):
    """Total of the fit times userseg logged since the last call, in seconds (or None)"""
    found = [float(m.group(1)) / 1000.0 for m in map(FIT_RE.search, conn.notices) if m]
    del conn.notices[:]
    return sum(found) if found else None


def median_runs(fn, runs, conn=None):
    """fn() -> (wall, cpu); one warm-up, then the medians of runs runs (and of the fit
    times userseg logged in conn, if given)"""
    fn()
    if conn is not None:
        fit_seconds(conn)
    res = []
    fits = []
    for _ in range(runs):
        res.append(fn())
        if conn is not None:
            fits.append(fit_seconds(conn))
    wall = statistics.median(r[0] for r in res)
    cpu = statistics.median(r[1] for r in res)
    if conn is None:
        return wall, cpu
    fits = [f for f in fits if f is not None]
    return wall, cpu, (statistics.median(fits) if fits else None)


def server_run(cur, pid, sql, args=None):
    c0 = backend_cpu(pid)
    cur.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql, args)
    ms = cur.fetchone()[0][0]["Execution Time"]
    return ms / 1000.0, backend_cpu(pid) - c0


def inertia_of(X, labels):
    total = 0.0
    for c in np.unique(labels):
        pts = X[labels == c]
        total += float(((pts - pts.mean(axis=0)) ** 2).sum())
    return total


def load_matrix(cur, table, X):
    cur.execute(f"DROP TABLE IF EXISTS {table}")
    cur.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, f float8[])")
    buf = io.StringIO()
    for i, row in enumerate(X):
        buf.write(f"{i}\t{{{','.join(repr(float(v)) for v in row)}}}\n")
    buf.seek(0)
    cur.copy_expert(f"COPY {table} FROM STDIN", buf)
    cur.execute(f"VACUUM ANALYZE {table}")
    cur.execute(f"SELECT f FROM {table} ORDER BY id")
    return np.array([r[0] for r in cur.fetchall()], dtype=np.float64)


def add(part, case, ours, theirs, goal, note="", cpu=None, fit=None):
    ratio = ours / theirs if theirs else float("nan")
    met = "" if goal is None else ("yes" if ratio <= goal else "no")
    ROWS.append((part, case, ours, theirs, ratio, goal, met, note, cpu, fit))


# ---------------------------------------------------------------------------
# a. scikit-learn
# ---------------------------------------------------------------------------

def part_a(args):
    conn, cur, pid = connect()
    n, d, k = args.n, args.d, args.k
    X, _ = make_blobs(n_samples=n, n_features=d, centers=k, cluster_std=2.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    X = load_matrix(cur, "bench_kmeans_a", X)
    spool = median_runs(lambda: server_run(cur, pid, "SELECT id, count(f) OVER () "
                                           "FROM bench_kmeans_a"), args.runs)[0]
    SPOOL.append(f"a: SELECT id, count(f) OVER () {spool:.3f} s")
    for n_init in (1, 10):
        sql = ("SELECT id, userseg_kmeans(f, %s, 0, %s, 300, 1e-4, 'none') OVER () "
               "FROM bench_kmeans_a")
        params = (k, n_init)
        cur.execute(sql, params)
        got = dict(cur.fetchall())
        lab_us = np.array([got[i] for i in range(n)])
        t_us, c_us, f_us = median_runs(lambda: server_run(cur, pid, sql, params), args.runs, conn)

        def sk():
            c0 = time.process_time()
            t0 = time.perf_counter()
            km = KMeans(n_clusters=k, n_init=n_init, max_iter=300, tol=1e-4, random_state=0,
                        algorithm="lloyd").fit(X)
            sk.km = km
            return time.perf_counter() - t0, time.process_time() - c0
        t_sk, c_sk = median_runs(sk, args.runs)
        in_us = inertia_of(X, lab_us)
        in_sk = inertia_of(X, sk.km.labels_)
        note = (f"inertia userseg {in_us:.6g}, sklearn {in_sk:.6g} (inertia_ {sk.km.inertia_:.6g}); "
                f"userseg/sklearn {in_us / in_sk:.6f} {'<=' if in_us <= in_sk * 1.001 else '>'} 1.001; "
                f"sklearn iterations {sk.km.n_iter_}")
        add("a", f"sklearn KMeans lloyd, n={n:,} d={d} k={k} n_init={n_init}",
            t_us, t_sk, 1.0, note, (c_us, c_sk), f_us)
    conn.close()


# ---------------------------------------------------------------------------
# b. PostGIS
# ---------------------------------------------------------------------------

def part_b(args):
    conn, cur, pid = connect()
    cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    cur.execute("SELECT postgis_lib_version()")
    version = cur.fetchone()[0]
    # 3-D check: points that differ only in Z must be split by Z
    cur.execute("""
        WITH p AS (SELECT g, ST_MakePoint((g % 3) * 0.01, (g % 5) * 0.01,
                                          CASE WHEN g % 2 = 0 THEN 0 ELSE 100 END) AS geom
                   FROM generate_series(1, 20) g)
        SELECT count(DISTINCT (g % 2, c)) FROM (SELECT g, ST_ClusterKMeans(geom, 2) OVER () c
                                                FROM p) s""")
    uses_z = cur.fetchone()[0] == 2
    n, k = args.geo_n, args.k
    X, _ = make_blobs(n_samples=n, n_features=3, centers=k, cluster_std=2.0, random_state=1)
    cur.execute("DROP TABLE IF EXISTS bench_kmeans_geo")
    cur.execute("CREATE TABLE bench_kmeans_geo (id int PRIMARY KEY, geom geometry(PointZ))")
    buf = io.StringIO()
    for i, (x, y, z) in enumerate(X):
        buf.write(f"{i}\tPOINT Z ({x!r} {y!r} {z!r})\n")
    buf.seek(0)
    cur.copy_expert("COPY bench_kmeans_geo FROM STDIN", buf)
    cur.execute("VACUUM ANALYZE bench_kmeans_geo")
    cur.execute("SELECT ST_X(geom), ST_Y(geom), ST_Z(geom) FROM bench_kmeans_geo ORDER BY id")
    X = np.array(cur.fetchall(), dtype=np.float64)

    pg_sql = "SELECT id, ST_ClusterKMeans(geom, %s) OVER () FROM bench_kmeans_geo"
    cur.execute(pg_sql, (k,))
    got = dict(cur.fetchall())
    in_pg = inertia_of(X, np.array([got[i] for i in range(n)]))
    t_pg, c_pg = median_runs(lambda: server_run(cur, pid, pg_sql, (k,)), args.runs)
    spool = median_runs(lambda: server_run(
        cur, pid, "SELECT id, count(ARRAY[ST_X(geom), ST_Y(geom), ST_Z(geom)]) OVER () "
        "FROM bench_kmeans_geo"), args.runs)[0]
    SPOOL.append(f"b: SELECT id, count(ARRAY[ST_X(geom), ST_Y(geom), ST_Z(geom)]) OVER () "
                 f"{spool:.3f} s")

    for n_init, tol in ((1, 0.0), (10, 1e-4)):
        sql = ("SELECT id, userseg_kmeans(ARRAY[ST_X(geom), ST_Y(geom), ST_Z(geom)], %s, 0, %s, "
               "300, %s, 'none') OVER () FROM bench_kmeans_geo")
        params = (k, n_init, tol)
        cur.execute(sql, params)
        got = dict(cur.fetchall())
        in_us = inertia_of(X, np.array([got[i] for i in range(n)]))
        t_us, c_us, f_us = median_runs(lambda: server_run(cur, pid, sql, params), args.runs, conn)
        add("b", f"PostGIS {version} ST_ClusterKMeans, POINTZ n={n:,} k={k}; "
                 f"userseg n_init={n_init} tol={tol:g}",
            t_us, t_pg, 0.2,
            f"inertia userseg {in_us:.6g}, PostGIS {in_pg:.6g}; "
            f"PostGIS uses Z: {'yes' if uses_z else 'NO'}", (c_us, c_pg), f_us)
    conn.close()


# ---------------------------------------------------------------------------
# c. end to end
# ---------------------------------------------------------------------------

def has_table_form(cur):
    cur.execute("SELECT count(*) FROM pg_proc WHERE proname = 'userseg_kmeans' "
                "AND proargtypes[0] = 'regclass'::regtype")
    return cur.fetchone()[0] > 0


def reset_users(cur):
    cur.execute("DROP TABLE IF EXISTS bench_users")
    cur.execute("DROP TABLE IF EXISTS bench_users_labels")
    cur.execute("CREATE TABLE bench_users AS SELECT * FROM bench_users_src")
    cur.execute("ALTER TABLE bench_users ADD PRIMARY KEY (user_id)")
    cur.execute("ALTER TABLE bench_users ADD COLUMN segment int")
    cur.execute("VACUUM ANALYZE bench_users")


def part_c(args):
    conn, cur, pid = connect()
    n, k, n_init = args.e2e_n, args.k, 10
    cur.execute("DROP TABLE IF EXISTS bench_users_src")
    cur.execute("CREATE TABLE bench_users_src AS SELECT * FROM userseg_sample_users(%s, 1)", (n,))
    cols = ", ".join(USER_FEATURES)
    arr = "ARRAY[" + cols + "]::float8[]"
    split = {}

    def timed(body):
        def run():
            reset_users(cur)
            b0 = backend_cpu(pid)
            c0 = time.process_time()
            t0 = time.perf_counter()
            body()
            return (time.perf_counter() - t0,
                    time.process_time() - c0 + backend_cpu(pid) - b0)
        return run

    def python_round_trip(to_new_table=False):
        t0 = time.perf_counter()
        conn.autocommit = False
        cur.execute(f"SELECT user_id, {cols} FROM bench_users")
        rows = cur.fetchall()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        X = np.array([r[1:] for r in rows], dtype=np.float64)      # NULL -> NaN
        complete = ~np.isnan(X).any(axis=1)          # userseg skips such rows too
        ids, X = ids[complete], X[complete]
        t1 = time.perf_counter()
        Xs = StandardScaler().fit_transform(X)
        km = KMeans(n_clusters=k, n_init=n_init, max_iter=300, tol=1e-4, random_state=0,
                    algorithm="lloyd").fit(Xs)
        t2 = time.perf_counter()
        buf = io.StringIO()
        buf.write("".join(f"{i}\t{lab}\n" for i, lab in zip(ids.tolist(), km.labels_.tolist())))
        buf.seek(0)
        if to_new_table:
            cur.execute("CREATE TABLE bench_users_labels (user_id bigint, segment int)")
            cur.copy_expert("COPY bench_users_labels FROM STDIN", buf)
        else:
            cur.execute("CREATE TEMP TABLE bench_labels_tmp (user_id bigint, segment int) "
                        "ON COMMIT DROP")
            cur.copy_expert("COPY bench_labels_tmp FROM STDIN", buf)
            cur.execute("UPDATE bench_users u SET segment = t.segment FROM bench_labels_tmp t "
                        "WHERE u.user_id = t.user_id")
        conn.commit()
        conn.autocommit = True
        t3 = time.perf_counter()
        split.setdefault("new" if to_new_table else "update", []).append(
            (t1 - t0, t2 - t1, t3 - t2))

    t_py, c_py = median_runs(timed(python_round_trip), args.runs)
    t_pyn, c_pyn = median_runs(timed(lambda: python_round_trip(True)), args.runs)

    def med_split(key):
        s = split[key][1:]
        return tuple(statistics.median(x[i] for x in s) for i in range(3))
    f_u, k_u, w_u = med_split("update")
    f_n, k_n, w_n = med_split("new")

    table_form = has_table_form(cur)
    if table_form:
        label_sql = ("SELECT * FROM userseg_kmeans('bench_users', %s, %s, "
                     "label_column => 'segment', seed => 0, n_init => %s)")
        label_params = (USER_FEATURES, k, n_init)
        label_case = "userseg table form, label_column => 'segment'"
    else:
        label_sql = (f"UPDATE bench_users u SET segment = s.l FROM (SELECT user_id, "
                     f"userseg_kmeans({arr}, %s, 0, %s) OVER () AS l FROM bench_users) s "
                     f"WHERE u.user_id = s.user_id")
        label_params = (k, n_init)
        label_case = ("STAND-IN (table form not installed): UPDATE ... FROM "
                      "(SELECT user_id, userseg_kmeans(...) OVER ())")
    t_lab, c_lab, f_lab = median_runs(timed(lambda: cur.execute(label_sql, label_params)),
                                      args.runs, conn)
    ctas_sql = (f"CREATE TABLE bench_users_labels AS SELECT user_id, "
                f"userseg_kmeans({arr}, %s, 0, %s) OVER () AS segment FROM bench_users")
    t_ctas, c_ctas, f_ctas = median_runs(timed(lambda: cur.execute(ctas_sql, (k, n_init))),
                                         args.runs, conn)

    py_note = (f"Python round trip: fetch {f_u:.2f} s, StandardScaler + KMeans {k_u:.2f} s, "
               f"COPY + UPDATE + commit {w_u:.2f} s")
    add("c1", f"labels into a column, n={n:,} d={len(USER_FEATURES)} k={k} n_init={n_init}: "
              + label_case + " vs Python (COPY + UPDATE)",
        t_lab, t_py, 0.5, py_note, (c_lab, c_py), f_lab)
    add("c2", "labels into a new table: CREATE TABLE AS ... userseg_kmeans(...) OVER () "
              "vs Python (COPY + UPDATE)", t_ctas, t_py, 0.2, "", (c_ctas, c_py), f_ctas)
    add("c2'", "the same CREATE TABLE AS vs Python writing a new table (COPY, no UPDATE)",
        t_ctas, t_pyn, None,
        f"Python: fetch {f_n:.2f} s, StandardScaler + KMeans {k_n:.2f} s, "
        f"CREATE TABLE + COPY + commit {w_n:.2f} s", (c_ctas, c_pyn), f_ctas)
    cur.execute("DROP TABLE IF EXISTS bench_users_labels")
    cur.execute("DROP TABLE IF EXISTS bench_users")
    conn.close()


# ---------------------------------------------------------------------------
# d. memory
# ---------------------------------------------------------------------------

def peak_memory(sql, params=None):
    """(private peak over the baseline, sampled RssAnon peak over the baseline, seconds)"""
    conn, cur, pid = connect()
    before = proc_status(pid)
    peak = [before.get("RssAnon", 0)]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            try:
                peak[0] = max(peak[0], proc_status(pid).get("RssAnon", 0))
            except OSError:
                return
            time.sleep(0.01)
    th = threading.Thread(target=sample)
    th.start()
    t0 = time.perf_counter()
    cur.execute(sql, params)
    cur.fetchall()
    elapsed = time.perf_counter() - t0
    stop.set()
    th.join()
    after = proc_status(pid)
    conn.close()
    base = before["VmRSS"] - before.get("RssShmem", 0)
    private = after["VmHWM"] - after.get("RssShmem", 0) - base
    return private, peak[0] - before.get("RssAnon", 0), elapsed, after.get("RssShmem", 0)


def part_d(args):
    conn, cur, pid = connect()
    n, d, k = args.mem_n, args.mem_d, args.k
    # Blobs generated in SQL (deterministic: setseed): row g belongs to blob g % k, whose
    # center in column j is ((c * (j + 3)) % 7) * 3; noise is the sum of two uniforms.
    cur.execute("SELECT setseed(0.25)")
    cur.execute("DROP TABLE IF EXISTS bench_kmeans_mem")
    elems = ", ".join(f"((g % {k}) * {j + 3} % 7) * 3.0 + random() + random()" for j in range(d))
    cur.execute(f"CREATE TABLE bench_kmeans_mem AS SELECT g AS id, ARRAY[{elems}]::float8[] AS f "
                f"FROM generate_series(1, {int(n)}) g")
    cur.execute("VACUUM ANALYZE bench_kmeans_mem")
    # the same rows as d plain float8 columns, for the table form (which reads columns)
    cur.execute("DROP TABLE IF EXISTS bench_kmeans_mem_cols")
    cur.execute("CREATE TABLE bench_kmeans_mem_cols AS SELECT id, "
                + ", ".join(f"f[{j + 1}] AS c{j + 1}" for j in range(d))
                + " FROM bench_kmeans_mem")
    cur.execute("VACUUM ANALYZE bench_kmeans_mem_cols")
    cur.execute("SELECT pg_relation_size('bench_kmeans_mem'), "
                "current_setting('shared_buffers'), current_setting('work_mem')")
    relsize, sb, wm = cur.fetchone()
    conn.close()
    raw = n * d * 8
    sql = (f"SELECT count(l) FROM (SELECT userseg_kmeans(f, %s, 0, %s, 300, 1e-4, 'none') "
           f"OVER () AS l FROM bench_kmeans_mem) s")
    private, anon, secs, shmem = peak_memory(sql, (k, args.mem_n_init))
    ROWS.append(("d", f"peak backend memory, window form, n={n:,} d={d} k={k} "
                      f"n_init={args.mem_n_init}", private / 1e6, raw / 1e6, private / raw, 2.0,
                 "yes" if private <= 2 * raw else "no",
                 f"MB (1e6 bytes): other = the raw matrix n*d*8; sampled RssAnon peak "
                 f"{anon / 1e6:.0f} MB; RssShmem after {shmem / 1e6:.0f} MB (shared_buffers "
                 f"{sb}, work_mem {wm}, table {relsize / 1e6:.0f} MB); query {secs:.1f} s", None, None))
    conn, cur, pid = connect()
    if has_table_form(cur):
        conn.close()
        private, anon, secs, shmem = peak_memory(
            "SELECT * FROM userseg_kmeans('bench_kmeans_mem_cols', %s, %s, "
            "n_init => %s, scale => 'none')",
            ([f"c{j + 1}" for j in range(d)], k, args.mem_n_init))
        ROWS.append(("d", f"peak backend memory, table form (no label column), n={n:,} d={d} "
                          f"k={k} n_init={args.mem_n_init}",
                     private / 1e6, raw / 1e6, private / raw, 2.0,
                     "yes" if private <= 2 * raw else "no",
                     f"sampled RssAnon peak {anon / 1e6:.0f} MB; RssShmem after "
                     f"{shmem / 1e6:.0f} MB; query {secs:.1f} s", None, None))
        # with a label column: the first call adds and fills it, the second rewrites it
        for run in ("first", "second"):
            private, anon, secs, shmem = peak_memory(
                "SELECT * FROM userseg_kmeans('bench_kmeans_mem_cols', %s, %s, "
                "n_init => %s, scale => 'none', seed => 1, label_column => 'seg')",
                ([f"c{j + 1}" for j in range(d)], k, args.mem_n_init))
            ROWS.append(("d", f"peak backend memory, table form with a label column ({run} "
                              f"call), n={n:,} d={d} k={k} n_init={args.mem_n_init}",
                         private / 1e6, raw / 1e6, private / raw, 1.3,
                         "yes" if private <= 1.3 * raw else "no",
                         f"sampled RssAnon peak {anon / 1e6:.0f} MB; query {secs:.1f} s",
                         None, None))
    else:
        conn.close()
        ROWS.append(("d", "peak backend memory, table form", float("nan"), raw / 1e6,
                     float("nan"), 2.0, "", "not installed yet", None, None))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--parts", default="abcd", help="which parts to run (default abcd)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per figure (median)")
    ap.add_argument("--n", type=int, default=200000, help="rows for a (scikit-learn)")
    ap.add_argument("--d", type=int, default=8, help="columns for a")
    ap.add_argument("--k", type=int, default=8, help="clusters, all parts")
    ap.add_argument("--geo-n", type=int, default=200000, help="points for b (PostGIS)")
    ap.add_argument("--e2e-n", type=int, default=200000, help="users for c (end to end)")
    ap.add_argument("--mem-n", type=int, default=1000000, help="rows for d (memory)")
    ap.add_argument("--mem-d", type=int, default=16, help="columns for d")
    ap.add_argument("--mem-n-init", type=int, default=10, help="n_init for d")
    args = ap.parse_args()

    blas = [(i.get("internal_api"), i.get("architecture"), i.get("num_threads"))
            for i in threadpool_info()]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"scikit-learn threadpools (threadpoolctl): {blas}")
    t0 = time.perf_counter()
    for p in args.parts:
        {"a": part_a, "b": part_b, "c": part_c, "d": part_d}[p](args)
        print(f"part {p} done ({time.perf_counter() - t0:.0f} s)", flush=True)

    print()
    print(f"K-Means, median of {args.runs} runs after a warm-up; ratio = userseg / other "
          f"(lower is better; for d, MB over the raw matrix)")
    print("| part | case | userseg | of which fit | other | ratio | goal | met "
          "| CPU userseg / other (s) | notes |")
    print("|---|---|---:|---:|---:|---:|---:|:---:|---:|---|")
    for part, case, a, b, r, goal, met, note, cpu, fit in ROWS:
        unit = " MB" if part == "d" else " s"
        cpu_s = f"{cpu[0]:.2f} / {cpu[1]:.2f}" if cpu else ""
        fit_s = "" if fit is None else f"{fit:.3f} s"
        goal_s = "" if goal is None else f"<= {goal:g}x"
        print(f"| {part} | {case} | {a:.3f}{unit} | {fit_s} | {b:.3f}{unit} | {r:.2f}x | {goal_s} "
              f"| {met} | {cpu_s} | {note} |")
    for line in SPOOL:
        print(f"window partition alone (median): {line}")
    print(f"load average after the run: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
