#!/usr/bin/python3
"""K-Means on a table larger than memory, and combinable aggregates in parallel: a long
benchmark.

Run with `scripts/bench scale` (PGHOST/PGPORT/PGUSER/PGDATABASE point at a database
with userseg).  The size is USERSEG_SCALE_N rows (default 200,000; 10,000,000 for the
full run, which takes a long time: the table alone is about 2 GB) of generated users
(userseg_sample_users(n, 1)) with 16 numeric features: the six numeric columns and ten
derived ones (logarithms and ratios of them).  `bench/bench_scale.py --help` lists the
options; through scripts/bench, USERSEG_SCALE_RUNS sets the runs of part b and
USERSEG_SCALE_NO_PYTHON=1 leaves out scikit-learn (its fetch of 10,000,000 rows as Python
objects would take about 12 GB).

a. Table-form K-Means (k = 8, n_init = 1, seed 1, zscore scaling, rows with a NULL
   feature skipped) three ways on the same rows:
     - userseg by scan (method => 'scan'): statistics pass, a reservoir sample for the
       k-means++ seeding, one userseg_kmeans_step pass per Lloyd iteration;
     - userseg's mini-batch K-Means (method => 'minibatch', batch_size 1024) on a
       sample of the table, then the label pass;
     - userseg in memory (method => 'memory', userseg.memory_limit raised for it);
     - scikit-learn's MiniBatchKMeans (batch_size 1024, n_init 1, the same k) after a
       psycopg2 fetch of the same rows and StandardScaler: the fetch is included.
   Time (client wall clock), peak memory (the backend's private peak, VmHWM - RssShmem
   - RssFile over its baseline, in a fresh connection; for Python, the growth of its
   ru_maxrss), inertia (each side's own, in the zscore-scaled space).  Parallel
   workers of the scan's passes are separate processes whose memory is not counted
   (each holds one O(k d) state).
b. Dashboard aggregates over the table and its labels, in parallel (the planner's
   choice with max_parallel_workers_per_gather = 2) against serial (0): per-segment
   profile statistics (userseg_stats over the 16 features, GROUP BY label), the
   crosstab counts (count(*) GROUP BY label, platform, and the combinable aggregate
   userseg_category_counts(platform) GROUP BY label, whose parallel and serial results
   are compared) and the clustering's inertia and Calinski-Harabasz
   (userseg_cluster_stats).  Server time (EXPLAIN ANALYZE's Execution Time), median of
   --runs runs after a warm-up.  With --parts b alone on a table that part a never
   labelled, the segments are 8 buckets of a hash of user_id (the label column "seg" is
   added once); the aggregates' cost does not depend on how rows are segmented.
"""
import argparse
import os
import resource
import statistics
import threading
import time

import numpy as np
import psycopg2

from backend_memory import proc_status
from sklearn.cluster import MiniBatchKMeans
from sklearn.preprocessing import StandardScaler

BASE = ["age", "daily_usage_minutes", "posts_per_day", "likes_received_per_day",
        "comments_received_per_day", "messages_sent_per_day"]
DERIVED = [
    ("l_usage", "ln(1 + daily_usage_minutes)"),
    ("l_posts", "ln(1 + posts_per_day)"),
    ("l_likes", "ln(1 + likes_received_per_day)"),
    ("l_comments", "ln(1 + comments_received_per_day)"),
    ("l_messages", "ln(1 + messages_sent_per_day)"),
    ("likes_per_post", "likes_received_per_day::float8 / (1 + posts_per_day)"),
    ("comments_per_like", "comments_received_per_day::float8 / (1 + likes_received_per_day)"),
    ("messages_per_minute", "messages_sent_per_day::float8 / (1 + daily_usage_minutes)"),
    ("posts_per_hour", "60.0 * posts_per_day / (1 + daily_usage_minutes)"),
    ("age_usage", "age * ln(1 + daily_usage_minutes)"),
]
FEATURES = BASE + [name for name, _ in DERIVED]


def connect():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT pg_backend_pid()")
    return conn, cur, cur.fetchone()[0]


def timed_query(sql, params=None, settings=()):
    """(rows, seconds, private peak bytes of the backend over its baseline)"""
    conn, cur, pid = connect()
    for s in settings:
        cur.execute(s)
    before = proc_status(pid)
    t0 = time.perf_counter()
    cur.execute(sql, params)
    rows = cur.fetchall()
    secs = time.perf_counter() - t0
    after = proc_status(pid)
    conn.close()
    # pages of files and shared memory that the scans mapped are not the backend's own:
    # a count(*) over a 1.3 GB table alone adds about 50 MB of RssFile (they stay mapped,
    # so the values after the call bound what they were at the peak)
    base = before["VmRSS"] - before.get("RssShmem", 0) - before.get("RssFile", 0)
    return rows, secs, (after["VmHWM"] - after.get("RssShmem", 0) - after.get("RssFile", 0)
                        - base)


def server_ms(cur, sql):
    cur.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql)
    plan = cur.fetchone()[0][0]
    return plan["Execution Time"], plan["Plan"]


def workers(plan):
    n = plan.get("Workers Launched", 0)
    for p in plan.get("Plans", []):
        n = max(n, workers(p))
    return n


def setup(cur, n):
    cur.execute("SELECT to_regclass('bench_scale_users') IS NOT NULL")
    if cur.fetchone()[0]:
        cur.execute("SELECT count(*) FROM bench_scale_users")
        if cur.fetchone()[0] == n:
            return
    cur.execute("DROP TABLE IF EXISTS bench_scale_users")
    cols = ", ".join(BASE + [f"{expr} AS {name}" for name, expr in DERIVED])
    t0 = time.perf_counter()
    cur.execute(f"CREATE TABLE bench_scale_users AS SELECT user_id, platform, {cols} "
                f"FROM userseg_sample_users({n}, 1)")
    cur.execute("VACUUM ANALYZE bench_scale_users")
    print(f"# table of {n:,} rows x {len(FEATURES)} features made in "
          f"{time.perf_counter() - t0:.0f} s")


def part_a(args, rows):
    k = args.k
    common = (f"'bench_scale_users', %s, {k}, seed => 1, n_init => 1, max_iter => {args.max_iter}")
    scan, t_scan, m_scan = timed_query(
        f"SELECT iterations, inertia, rows_used FROM userseg_kmeans({common}, "
        "label_column => 'seg', method => 'scan')", (FEATURES,))
    rows.append(("a", "K-Means by scan (label column written)", t_scan, m_scan, scan[0][1],
                 f"{scan[0][0]} Lloyd passes, {scan[0][2]:,} rows"))
    mb_rows, t_mbu, m_mbu = timed_query(
        f"SELECT iterations, inertia FROM userseg_kmeans({common}, "
        "label_column => 'seg_mb', method => 'minibatch')", (FEATURES,))
    rows.append(("a", "K-Means method => 'minibatch' (label column written)", t_mbu, m_mbu,
                 mb_rows[0][1], f"n_iter {mb_rows[0][0]}, batch_size 1024, sample of 102,400 rows"))
    mem_limit = args.memory_limit
    try:
        mem, t_mem, m_mem = timed_query(
            f"SELECT iterations, inertia FROM userseg_kmeans({common}, "
            "label_column => 'seg_mem', method => 'memory')", (FEATURES,),
            (f"SET userseg.memory_limit = '{mem_limit}'",))
        rows.append(("a", "K-Means in memory (label column written)", t_mem, m_mem, mem[0][1],
                     f"{mem[0][0]} iterations, userseg.memory_limit {mem_limit}"))
    except psycopg2.Error as e:
        rows.append(("a", "K-Means in memory", float("nan"), float("nan"), float("nan"),
                     f"failed: {e.pgerror.splitlines()[0] if e.pgerror else e}"))

    # scikit-learn's MiniBatchKMeans, fetch included
    if args.no_python:
        return
    conn, cur, _ = connect()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0 = time.perf_counter()
    notnull = " AND ".join(f"{c} IS NOT NULL" for c in FEATURES)
    cur.execute(f"SELECT {', '.join(FEATURES)} FROM bench_scale_users WHERE {notnull}")
    X = np.array(cur.fetchall(), dtype=np.float64)
    t_fetch = time.perf_counter() - t0
    Xs = StandardScaler().fit_transform(X)
    mb = MiniBatchKMeans(n_clusters=k, batch_size=1024, n_init=1, random_state=1,
                         max_iter=args.max_iter).fit(Xs)
    t_py = time.perf_counter() - t0
    m_py = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss0
    conn.close()
    rows.append(("a", "scikit-learn MiniBatchKMeans (fetch + StandardScaler + fit)", t_py, m_py,
                 float(mb.inertia_), f"fetch {t_fetch:.1f} s, {mb.n_steps_} steps"))
    del X, Xs


def ensure_segments(cur):
    """A label column seg when part a has not written one: 8 buckets of a hash"""
    cur.execute("SELECT 1 FROM pg_attribute WHERE attrelid = 'bench_scale_users'::regclass "
                "AND attname = 'seg' AND NOT attisdropped")
    if cur.fetchone():
        return
    t0 = time.perf_counter()
    cur.execute("ALTER TABLE bench_scale_users ADD COLUMN seg int")
    cur.execute("UPDATE bench_scale_users SET seg = hashint4(user_id::int) & 7")
    cur.execute("VACUUM FULL bench_scale_users")
    cur.execute("ANALYZE bench_scale_users")
    print(f"# label column seg: 8 buckets of hashint4(user_id), made in "
          f"{time.perf_counter() - t0:.0f} s")


def same_result(cur, sql):
    """Whether the parallel and the serial plan give the same rows (as text)"""
    out = {}
    for par in (0, 2):
        cur.execute(f"SET max_parallel_workers_per_gather = {par}")
        cur.execute(f"SELECT array_agg(r::text ORDER BY r::text) FROM ({sql}) r")
        out[par] = cur.fetchone()[0]
    return out[0] == out[2]


def part_b(args, rows):
    conn, cur, _ = connect()
    ensure_segments(cur)
    vec = "ARRAY[" + ", ".join(f"{c}::float8" for c in FEATURES) + "]"
    cases = [
        ("profile: userseg_stats per segment",
         f"SELECT seg, userseg_stats({vec}) FROM bench_scale_users GROUP BY seg"),
        ("crosstab: count(*) per segment and platform",
         "SELECT seg, platform, count(*) FROM bench_scale_users GROUP BY seg, platform"),
        ("crosstab: userseg_category_counts(platform) per segment",
         "SELECT seg, userseg_category_counts(platform) FROM bench_scale_users GROUP BY seg"),
        ("userseg_cluster_stats (inertia, Calinski-Harabasz)",
         f"SELECT userseg_cluster_stats({vec}, seg) FROM bench_scale_users"),
    ]
    for name, sql in cases:
        res = {}
        for par in (0, 2):
            cur.execute(f"SET max_parallel_workers_per_gather = {par}")
            server_ms(cur, sql)
            times = []
            w = 0
            for _ in range(args.runs):
                ms, plan = server_ms(cur, sql)
                times.append(ms / 1000)
                w = workers(plan)
            res[par] = (statistics.median(times), w)
        note = f"parallel {res[2][1]} workers launched"
        if "userseg_category_counts" in sql:
            note += ("; the same counts as serial" if same_result(cur, sql)
                     else "; COUNTS DIFFER FROM SERIAL")
        rows.append(("b", name, res[2][0], res[0][0], res[0][0] / res[2][0], note))
    conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", "--rows", dest="n", type=int,
                    default=int(os.environ.get("USERSEG_SCALE_N", 200000)),
                    help="rows of the table (also USERSEG_SCALE_N)")
    ap.add_argument("--parts", default=os.environ.get("USERSEG_SCALE_PARTS", "ab"),
                    choices=["ab", "a", "b"],
                    help="a: K-Means over the table; b: the dashboard aggregates (default both; "
                         "also USERSEG_SCALE_PARTS)")
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--max-iter", type=int, default=100)
    ap.add_argument("--runs", type=int, default=int(os.environ.get("USERSEG_SCALE_RUNS", 3)))
    ap.add_argument("--memory-limit", default="16GB")
    ap.add_argument("--no-python", action="store_true",
                    default=os.environ.get("USERSEG_SCALE_NO_PYTHON") == "1",
                    help="leave out scikit-learn (its fetch of 10,000,000 rows needs about 12 GB); "
                         "also USERSEG_SCALE_NO_PYTHON=1")
    args = ap.parse_args()
    conn, cur, _ = connect()
    setup(cur, args.n)
    cur.execute("SELECT pg_size_pretty(pg_total_relation_size('bench_scale_users'))")
    print(f"# n = {args.n:,}, d = {len(FEATURES)}, k = {args.k}, table "
          f"{cur.fetchone()[0]}, {os.cpu_count()} cores")
    conn.close()
    rows = []
    if "a" in args.parts:
        part_a(args, rows)
        print("\n## a. K-Means over the table")
        print(f"| case | time s | peak memory MB | inertia | note |\n|---|---|---|---|---|")
        for r in rows:
            print(f"| {r[1]} | {r[2]:.2f} | {r[3] / 1e6:.0f} | {r[4]:.6g} | {r[5]} |")
    if "b" not in args.parts:
        return
    brows = []
    part_b(args, brows)
    print("\n## b. Dashboard aggregates, parallel against serial (server time, median of "
          f"{args.runs})")
    print("| query | parallel s | serial s | speed-up | note |\n|---|---|---|---|---|")
    for r in brows:
        print(f"| {r[1]} | {r[2]:.2f} | {r[3]:.2f} | {r[4]:.2f}x | {r[5]} |")


if __name__ == "__main__":
    main()
