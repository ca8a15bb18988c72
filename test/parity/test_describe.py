"""Parity of userseg_describe with pandas' describe() and get_dummies().

Builds a table of random data (numpy, seeded) with every numeric type, text, varchar,
enum and boolean columns and NULLs, then compares, column by column, userseg_describe
with pandas on the same rows fetched from the database in the same run:
counts exactly, mean / stddev (sample, ddof=1) / min / max within 1e-9 relative,
one-hot categories in the order of pd.get_dummies (sorted by code point, which is the
byte order of UTF-8).  Prints one line per check: "ok - ..." or "not ok - ...".
"""
import io
import math
import sys

import numpy as np
import pandas as pd
import psycopg2

SEED = 20261126
N = 5000
RTOL = 1e-9
ATOL = 1e-12

NUMERIC = [("age", "int2"), ("minutes", "int4"), ("views", "int8"), ("score", "float4"),
           ("ratio", "float8"), ("spend", "numeric(12,4)")]
CATEGORICAL = [("platform", "text"), ("code", "varchar(8)"), ("mood", "userseg_parity_mood"),
               ("active", "bool")]
PLATFORMS = ["Instagram", "twitter", "Facebook", "LinkedIn", "Ärger", "zeta", "Zeta", "日本"]
MOODS = ["sad", "happy", "Angry", "neutral"]

from tap import check as report


def close(a, b):
    if a is None or b is None or (isinstance(b, float) and math.isnan(b)):
        return (a is None) == (b is None or (isinstance(b, float) and math.isnan(b)))
    return abs(a - b) <= max(ATOL, RTOL * abs(b))


def build_table(cur):
    rng = np.random.default_rng(SEED)
    cols = {
        "age": rng.integers(13, 80, N),
        "minutes": rng.integers(0, 1440, N),
        "views": rng.integers(0, 10**12, N),
        "score": rng.normal(3.0, 2.0, N).astype(np.float32),
        "ratio": rng.lognormal(0.0, 1.5, N),
        "spend": np.round(rng.exponential(50.0, N), 4),
        "platform": rng.choice(PLATFORMS, N, p=[.3, .2, .15, .1, .1, .05, .05, .05]),
        "code": rng.choice(["a", "B", "b", "A1", "a "], N),
        "mood": rng.choice(MOODS, N),
        "active": rng.choice(["true", "false"], N, p=[.7, .3]),
    }
    buf = io.StringIO()
    for i in range(N):
        fields = [str(i + 1)]
        for name, _ in NUMERIC + CATEGORICAL:
            # about 5% NULLs, more in some columns, none in views
            rate = {"views": 0.0, "mood": 0.2}.get(name, 0.05)
            if rng.random() < rate:
                fields.append("\\N")
            elif name == "score":
                fields.append(repr(float(cols[name][i])))
            else:
                fields.append(str(cols[name][i]))
        buf.write("\t".join(fields) + "\n")
    buf.seek(0)
    cur.execute("DROP TABLE IF EXISTS userseg_parity_users")
    cur.execute("DROP TYPE IF EXISTS userseg_parity_mood")
    cur.execute("CREATE TYPE userseg_parity_mood AS ENUM ('sad', 'happy', 'Angry', 'neutral')")
    cur.execute("CREATE TABLE userseg_parity_users (id int, "
                + ", ".join(f"{n} {t}" for n, t in NUMERIC + CATEGORICAL) + ")")
    cur.copy_from(buf, "userseg_parity_users")


def main():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    build_table(cur)

    # the rows as the data layer reads them: numbers as float8, categories as text
    sel = ", ".join([f"{n}::float8" for n, _ in NUMERIC] + [f"{n}::text" for n, _ in CATEGORICAL])
    cur.execute(f"SELECT {sel} FROM userseg_parity_users")
    names = [n for n, _ in NUMERIC + CATEGORICAL]
    df = pd.DataFrame(cur.fetchall(), columns=names)
    for n, _ in NUMERIC:
        df[n] = df[n].astype(float)

    cur.execute("SELECT column_name, category, type, rows, nulls, mean, stddev, min, max "
                "FROM userseg_describe('userseg_parity_users', %s)", (names,))
    got = cur.fetchall()

    # expected rows, in order: each numeric column, then each categorical's dummies
    expected = []
    for n, _ in NUMERIC:
        d = df[n].describe()
        expected.append((n, None, len(df), int(df[n].isna().sum()), int(d["count"]),
                         d["mean"], d["std"], d["min"], d["max"]))
    for n, _ in CATEGORICAL:
        dummies = pd.get_dummies(df[n]).astype(float)
        cats = sorted(dummies.columns)
        report(list(dummies.columns) == cats, f"{n}: get_dummies order is the sorted order")
        for c in cats:
            d = dummies[c].describe()
            expected.append((n, c, len(df), int(df[n].isna().sum()), int(d["count"]),
                             d["mean"], d["std"], d["min"], d["max"]))

    report(len(got) == len(expected), "one row per encoded column",
           f"{len(got)} rows, pandas has {len(expected)}")
    for g, e in zip(got, expected):
        name = f"{e[0]}" + (f" = {e[1]!r}" if e[1] is not None else "")
        report((g[0], g[1]) == (e[0], e[1]), f"{name}: column and category",
               f"userseg {g[0]!r}/{g[1]!r}")
        report(g[3] == e[2] and g[4] == e[3], f"{name}: rows and NULLs",
               f"userseg {g[3]}/{g[4]}, pandas {e[2]}/{e[3]}")
        bad = [(k, gv, ev) for k, gv, ev in zip(("mean", "stddev", "min", "max"), g[5:9], e[5:9])
               if not close(gv, float(ev))]
        report(not bad, f"{name}: mean, stddev, min, max within {RTOL} relative",
               "; ".join(f"{k} userseg {gv!r} pandas {ev!r}" for k, gv, ev in bad))

    # drop_first: pandas' get_dummies(drop_first=True) leaves out each column's first
    # category in sorted order; the rest must match column for column
    cur.execute("SELECT column_name, category, rows, nulls, mean, stddev, min, max "
                "FROM userseg_describe('userseg_parity_users', %s, drop_first => true)",
                ([n for n, _ in CATEGORICAL],))
    got = cur.fetchall()
    expected = []
    for n, _ in CATEGORICAL:
        dummies = pd.get_dummies(df[n], drop_first=True).astype(float)
        for c in dummies.columns:
            d = dummies[c].describe()
            expected.append((n, c, len(df), int(df[n].isna().sum()),
                             d["mean"], d["std"], d["min"], d["max"]))
    report([(g[0], g[1]) for g in got] == [(e[0], e[1]) for e in expected],
           "drop_first: the same encoded columns as get_dummies(drop_first=True), in order",
           f"userseg {[(g[0], g[1]) for g in got]}, pandas {[(e[0], e[1]) for e in expected]}")
    bad = [(e[0], e[1]) for g, e in zip(got, expected)
           if (g[2], g[3]) != (e[2], e[3])
           or not all(close(gv, float(ev)) for gv, ev in zip(g[4:8], e[4:8]))]
    report(not bad and len(got) == len(expected),
           f"drop_first: rows, NULLs, mean, stddev, min, max of every column within {RTOL} relative",
           f"differ: {bad}")

    cur.execute("DROP TABLE userseg_parity_users")
    cur.execute("DROP TYPE userseg_parity_mood")
    conn.close()


if __name__ == "__main__":
    main()
    sys.exit(0)
