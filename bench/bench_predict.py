#!/usr/bin/python3
"""userseg_predict: labelling rows with a saved model, by the form of the row.

Run with `scripts/bench predict` (PGHOST/PGPORT/PGUSER/PGDATABASE point at a database
with userseg).  On userseg_sample_users(--rows, 1), two models are fitted with the table
form (k = 4, seed 1, nulls => 'impute'): one on the four numeric usage columns, one on
the same columns plus the categorical platform and dominant_emotion.  Each form of
userseg_predict then labels every row:
  vector  userseg_predict(m, ARRAY[...]::float8[])  (numeric model: the encoded vector)
  jsonb   userseg_predict(m, to_jsonb(u))            (both models)
  record  userseg_predict(m, u)                      (both models)
timed by the server ("Execution Time" of EXPLAIN (ANALYZE, TIMING OFF) of
SELECT count(...) FROM users u), against the scan alone (SELECT count(*)), the median of
--runs runs after one warm-up run.  The cost beyond the scan includes building the
argument (the array, to_jsonb, the row value).  The model is looked up and parsed once per
statement (cached with the calling expression).
"""
import argparse
import re
import statistics

import psycopg2

NUMERIC = ["daily_usage_minutes", "posts_per_day", "likes_received_per_day",
           "messages_sent_per_day"]
CATEGORIES = ["platform", "dominant_emotion"]


def server_ms(cur, sql, runs):
    times = []
    for i in range(runs + 1):
        cur.execute("EXPLAIN (ANALYZE, TIMING OFF) " + sql)
        plan = "\n".join(r[0] for r in cur.fetchall())
        ms = float(re.search(r"Execution Time: ([0-9.]+) ms", plan).group(1))
        if i > 0:
            times.append(ms)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET max_parallel_workers_per_gather = 0")
    cur.execute("DROP TABLE IF EXISTS bench_predict")
    cur.execute("CREATE TABLE bench_predict AS SELECT * FROM userseg_sample_users(%s, 1)",
                (args.rows,))
    arr = lambda cols: "ARRAY[%s]" % ", ".join("'%s'" % c for c in cols)
    for name, cols in (("bench_num", NUMERIC), ("bench_cat", NUMERIC + CATEGORIES)):
        cur.execute("DELETE FROM userseg_models WHERE name = %s", (name,))
        cur.execute("SELECT k FROM userseg_kmeans('bench_predict', %s, 4, seed => 1, "
                    "nulls => 'impute', model => '%s')" % (arr(cols), name))
    cur.execute("SELECT array_length(columns, 1) FROM userseg_models WHERE name = 'bench_cat'")
    d_cat = cur.fetchone()[0]
    base = server_ms(cur, "SELECT count(*) FROM bench_predict u", args.runs)
    vec = "ARRAY[%s]::float8[]" % ", ".join("coalesce(%s, 0)" % c for c in NUMERIC)
    cases = [
        ("to_jsonb(u) alone, no predict", "to_jsonb(u)"),
        ("numeric model (d = 4), vector", "userseg_predict('bench_num', %s)" % vec),
        ("numeric model (d = 4), jsonb", "userseg_predict('bench_num', to_jsonb(u))"),
        ("numeric model (d = 4), record", "userseg_predict('bench_num', u)"),
        ("with categories (d = %d), jsonb" % d_cat, "userseg_predict('bench_cat', to_jsonb(u))"),
        ("with categories (d = %d), record" % d_cat, "userseg_predict('bench_cat', u)"),
    ]
    print("%d rows, median of %d runs; the scan alone: %.1f ms" % (args.rows, args.runs, base))
    print("%-36s %10s %14s %12s" % ("form", "total ms", "beyond scan ms", "ns per row"))
    for label, call in cases:
        ms = server_ms(cur, "SELECT count(%s) FROM bench_predict u" % call, args.runs)
        print("%-36s %10.1f %14.1f %12.0f" % (label, ms, ms - base, (ms - base) * 1e6 / args.rows))
    cur.execute("DELETE FROM userseg_models WHERE name IN ('bench_num', 'bench_cat')")
    cur.execute("DROP TABLE bench_predict")
    conn.close()


if __name__ == "__main__":
    main()
