"""Parity of the category counts (userseg_category_counts) with pandas value_counts.

Builds 20,000 sample users (userseg_sample_users), with a segment per user and some
NULL platforms and emotions, reads the rows back, and compares per segment the counts
and shares of userseg_counts_rows with pandas value_counts(dropna=False), in a serial
plan and in a forced parallel plan; the lift of each category in each segment (from
the per-segment counts and their userseg_counts_merge) with pd.crosstab's; the
order of the rows (byte order, the NULL category last); the text and binary forms.
Prints one line per check.
"""
import io
import math
import struct

import pandas as pd
import psycopg2

from tap import check

N = 20000
SEED = 7
TOL = 1e-12
COLUMNS = ["platform", "dominant_emotion", "gender"]

PARALLEL = ["SET parallel_setup_cost = 0", "SET parallel_tuple_cost = 0",
            "SET min_parallel_table_scan_size = 0", "SET max_parallel_workers_per_gather = 2"]
SERIAL = ["SET max_parallel_workers_per_gather = 0"]


def make_table(cur):
    cur.execute("DROP TABLE IF EXISTS counts_parity")
    cur.execute(f"""CREATE TABLE counts_parity AS
                    SELECT u.*, (u.user_id * 2654435761) % 5 AS seg
                    FROM userseg_sample_users({N}, {SEED}) u""")
    cur.execute("UPDATE counts_parity SET platform = NULL WHERE user_id % 17 = 0")
    cur.execute("UPDATE counts_parity SET dominant_emotion = NULL WHERE user_id % 29 = 3")
    cur.execute("ANALYZE counts_parity")


def counts_per_segment(cur, column, settings):
    for s in settings:
        cur.execute(s)
    cur.execute(f"""SELECT s.seg, r.category, r.n, r.share, r.o
                    FROM (SELECT seg, userseg_category_counts({column}) AS c
                          FROM counts_parity GROUP BY seg) s,
                         userseg_counts_rows(s.c) WITH ORDINALITY r(category, n, share, o)
                    ORDER BY s.seg, r.o""")
    rows = cur.fetchall()
    if settings is PARALLEL:
        cur.execute(f"""EXPLAIN (COSTS OFF) SELECT seg, userseg_category_counts({column})
                        FROM counts_parity GROUP BY seg""")
        plan = "\n".join(r[0] for r in cur.fetchall())
        check("Partial" in plan and "Finalize" in plan,
              f"{column}: the parallel plan has Partial and Finalize aggregates", plan)
    cur.execute("RESET ALL")
    return rows


def compare_counts(rows, df, column, what):
    got = {(seg, cat): (n, share) for seg, cat, n, share, _ in rows}
    want = {}
    for seg, part in df.groupby("seg"):
        vc = part[column].value_counts(dropna=False)
        for cat, n in vc.items():
            key = None if cat is None or (isinstance(cat, float) and math.isnan(cat)) else cat
            want[(int(seg), key)] = (int(n), n / len(part))
    bad = [k for k in set(got) | set(want)
           if k not in got or k not in want or got[k][0] != want[k][0]
           or abs(got[k][1] - want[k][1]) > TOL * want[k][1]]
    check(not bad, f"{column}: counts and shares per segment as value_counts(dropna=False), {what}",
          f"{len(bad)} differ, e.g. {sorted(bad, key=str)[:3]}")


def compare_order(rows, column):
    ok = True
    for seg in sorted({r[0] for r in rows}):
        cats = [r[1] for r in rows if r[0] == seg]
        named = [c for c in cats if c is not None]
        ok = ok and named == sorted(named, key=lambda c: c.encode())
        ok = ok and (None not in cats or cats[-1] is None)
    check(ok, f"{column}: categories in byte order, the NULL category last")


def compare_lift(cur, df, column):
    cur.execute(f"""WITH s AS (SELECT seg, userseg_category_counts({column}) AS c
                               FROM counts_parity GROUP BY seg),
                         o AS (SELECT userseg_counts_merge(c) AS c FROM s)
                    SELECT s.seg, r.category, r.share / a.share
                    FROM s CROSS JOIN LATERAL userseg_counts_rows(s.c) r
                    JOIN userseg_counts_rows((SELECT c FROM o)) a
                      ON a.category IS NOT DISTINCT FROM r.category""")
    got = {(seg, cat): lift for seg, cat, lift in cur.fetchall()}
    filled = df[column].fillna("\0NULL")
    ct = pd.crosstab(df["seg"], filled)
    share_in = ct.div(ct.sum(axis=1), axis=0)
    overall = ct.sum(axis=0) / ct.values.sum()
    lift = share_in.div(overall, axis=1)
    bad = []
    for seg in lift.index:
        for cat in lift.columns:
            if ct.loc[seg, cat] == 0:
                continue
            key = (int(seg), None if cat == "\0NULL" else cat)
            if key not in got or abs(got[key] - lift.loc[seg, cat]) > 1e-9 * lift.loc[seg, cat]:
                bad.append(key)
    check(not bad and len(got) == int((ct.values > 0).sum()),
          f"{column}: lift per segment as pd.crosstab's (share in segment / share overall)",
          f"{len(bad)} differ, {len(got)} rows")


def binary_copy(cur):
    """Binary COPY out and in (send and receive) keeps every value; a damaged one is 22P03"""
    cur.execute("DROP TABLE IF EXISTS counts_bin_a, counts_bin_b")
    cur.execute("""CREATE TABLE counts_bin_a AS SELECT seg, userseg_category_counts(platform) AS c
                   FROM counts_parity GROUP BY seg""")
    cur.execute("CREATE TABLE counts_bin_b (LIKE counts_bin_a)")
    buf = io.BytesIO()
    cur.copy_expert("COPY counts_bin_a TO STDOUT (FORMAT binary)", buf)
    buf.seek(0)
    cur.copy_expert("COPY counts_bin_b FROM STDIN (FORMAT binary)", buf)
    cur.execute("""SELECT count(*), count(*) FILTER (WHERE a.c::text = b.c::text)
                   FROM counts_bin_a a JOIN counts_bin_b b USING (seg)""")
    n, same = cur.fetchone()
    check(n == 5 and same == n, "binary COPY out and back in gives the same counts", f"{same} of {n}")
    # one column, one row: the value's bytes with a count of 0
    payload = struct.pack("!iiq", 3, 1, 0) + struct.pack("!i", 1) + b"a" + struct.pack("!q", 0)
    data = (b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0) + struct.pack("!hi", 1, len(payload))
            + payload + struct.pack("!h", -1))
    cur.execute("CREATE TEMP TABLE counts_bin_c (c userseg_counts)")
    code = None
    try:
        cur.copy_expert("COPY counts_bin_c FROM STDIN (FORMAT binary)", io.BytesIO(data))
    except psycopg2.Error as e:
        code = e.pgcode
    check(code == "22P03", "a binary value with a count of 0 is error 22P03", f"got {code}")
    cur.execute("DROP TABLE counts_bin_a, counts_bin_b, counts_bin_c")


def main():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    make_table(cur)
    cur.execute("SELECT seg, " + ", ".join(COLUMNS) + " FROM counts_parity")
    df = pd.DataFrame(cur.fetchall(), columns=["seg"] + COLUMNS)
    for column in COLUMNS:
        serial = counts_per_segment(cur, column, SERIAL)
        parallel = counts_per_segment(cur, column, PARALLEL)
        compare_counts(serial, df, column, "serial plan")
        compare_counts(parallel, df, column, "parallel plan")
        check(serial == parallel, f"{column}: the parallel plan gives the serial plan's rows")
        compare_order(serial, column)
        compare_lift(cur, df, column)
    cur.execute("""SELECT bool_and(c::text::userseg_counts::text = c::text)
                   FROM (SELECT userseg_category_counts(platform) AS c
                         FROM counts_parity GROUP BY seg) s""")
    check(cur.fetchone()[0], "per-segment states read back from their text form unchanged")
    binary_copy(cur)
    cur.execute("DROP TABLE counts_parity")


if __name__ == "__main__":
    main()
