"""Parity of the profiles and crosstabs with pandas on the same rows.

Builds a seeded table with numpy (several thousand rows, a few clusters, noise rows
labelled -1, NULL labels, NULL features, NULL categories), reads it back from the
database, and compares userseg_profile with pandas groupby count/mean/std/min/max for
the numeric features and with pd.get_dummies shares and lifts for the categorical
features of the same list, userseg_crosstab with pd.crosstab counts, shares and lift,
and the segment sentences with the same rules applied to the pandas figures.  Prints
one line per check.
"""
import math
import sys
from decimal import Decimal, ROUND_HALF_UP

import numpy as np
import pandas as pd
import psycopg2
import psycopg2.extras

SEED = 20240515
N = 6000
TOL = 1e-9
FEATURES = ["daily_usage_minutes", "likes_received_per_day", "age", "score"]
CATEGORIES = ["platform", "premium", "age_group"]
CAT_FEATURES = ["platform", "premium"]          # categorical columns in the feature list
ALL = FEATURES + CAT_FEATURES

from tap import check


def close(a, b):
    """Equal, both missing, or within TOL relative (absolute below 1)."""
    a_missing = a is None or (isinstance(a, float) and math.isnan(a))
    b_missing = b is None or (isinstance(b, float) and math.isnan(b))
    if a_missing or b_missing:
        return a_missing and b_missing
    return abs(float(a) - float(b)) <= TOL * max(1.0, abs(float(b)))


def make_table(cur):
    rng = np.random.default_rng(SEED)
    seg = rng.choice([0, 1, 2, 3], size=N, p=[0.4, 0.3, 0.2, 0.1])
    centre = np.array([60.0, 180.0, 120.0, 30.0])
    usage = rng.normal(centre[seg], 15.0)
    likes = rng.poisson(np.array([10, 60, 30, 5])[seg])
    age = rng.integers(16, 60, size=N) + 5 * seg
    score = np.round(rng.normal(50 + 3 * seg, 10.0), 3)
    platforms = np.array(["Instagram", "Twitter", "Facebook", "LinkedIn", "Snapchat"])
    mix = np.array([[0.5, 0.2, 0.1, 0.1, 0.1],
                    [0.1, 0.5, 0.2, 0.1, 0.1],
                    [0.2, 0.2, 0.2, 0.3, 0.1],
                    [0.1, 0.1, 0.1, 0.1, 0.6]])
    platform = np.array([platforms[rng.choice(5, p=mix[s])] for s in seg], dtype=object)
    premium = rng.random(N) < np.array([0.1, 0.5, 0.3, 0.2])[seg]
    label = seg.astype(object)
    label[rng.random(N) < 0.02] = -1                         # noise, as DBSCAN labels it
    label[rng.random(N) < 0.03] = None                       # unlabelled rows
    usage = usage.astype(object)
    usage[rng.random(N) < 0.05] = None                       # missing features
    likes = likes.astype(object)
    likes[rng.random(N) < 0.02] = None
    platform[rng.random(N) < 0.04] = None                    # missing categories
    premium = premium.astype(object)
    premium[rng.random(N) < 0.02] = None
    rows = [(i + 1, label[i], usage[i], likes[i], int(age[i]), str(score[i]), platform[i],
             premium[i], int(age[i]) // 10 * 10) for i in range(N)]
    cur.execute("DROP TABLE IF EXISTS report_parity")
    cur.execute("""CREATE TABLE report_parity (id int PRIMARY KEY, seg int,
                   daily_usage_minutes float8, likes_received_per_day int, age smallint,
                   score numeric(10,3), platform text, premium bool, age_group int)""")
    psycopg2.extras.execute_values(
        cur, "INSERT INTO report_parity VALUES %s",
        [tuple(None if v is None else (v.item() if hasattr(v, "item") else v) for v in r)
         for r in rows])


def to_text(v):
    """The text form PostgreSQL gives a category value (None stays None)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def main():
    conn = psycopg2.connect()
    conn.autocommit = True
    cur = conn.cursor()
    make_table(cur)

    # the same rows, as the database holds them
    cur.execute("SELECT * FROM report_parity ORDER BY id")
    cols = [d[0] for d in cur.description]
    df = pd.DataFrame(cur.fetchall(), columns=cols)
    for f in FEATURES:
        df[f] = pd.to_numeric(df[f].map(lambda v: None if v is None else float(v)))
    lab = df[df["seg"].notna()].copy()
    lab["seg"] = lab["seg"].astype(int)
    check(len(lab) < len(df) and df[FEATURES].isna().any().any(),
          f"table of {len(df)} rows with {len(df) - len(lab)} NULL labels and NULL features")

    # --- profile: one feature list, numeric and categorical columns
    cur.execute("SELECT * FROM userseg_profile('report_parity', 'seg', %s)", (ALL,))
    prof_all = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
    prof = prof_all[prof_all["feature"].isin(FEATURES)].reset_index(drop=True)
    g = lab.groupby("seg")
    size = g.size()
    check(-1 in size.index and prof_all["cluster"].iloc[0] == -1,
          "noise (-1) is a cluster row of its own, first")
    dummies = {}
    for cat in CAT_FEATURES:
        txt = lab[cat].map(to_text)
        cats = sorted(txt.dropna().unique(), key=lambda v: v.encode())
        dummies[cat] = (cats, txt)
    expected_keys = []
    for c in sorted(size.index):
        for f in ALL:
            if f in FEATURES:
                expected_keys.append((c, f, None))
            else:
                cats, txt = dummies[f]
                expected_keys += [(c, f, k) for k in cats]
                if txt.isna().any():
                    expected_keys.append((c, f, None))
    got_keys = [(r.cluster, r.feature, r.category) for r in prof_all.itertuples()]
    check(got_keys == expected_keys,
          "profile rows ordered by cluster, then features as given, categories in byte order",
          f"{got_keys[:6]} ...")
    ref = {
        "n": g[FEATURES].count(),
        "mean": g[FEATURES].mean(),
        "stddev": g[FEATURES].std(),          # pandas default: sample, ddof=1
        "min": g[FEATURES].min(),
        "max": g[FEATURES].max(),
    }
    omean = lab[FEATURES].mean()
    ostd = lab[FEATURES].std()
    for col in ["n", "mean", "stddev", "min", "max", "share", "overall_mean", "z"]:
        worst, bad = 0.0, []
        for _, r in prof.iterrows():
            c, f = r["cluster"], r["feature"]
            if col in ref:
                want = ref[col].loc[c, f]
            elif col == "share":
                want = size[c] / len(lab)
            elif col == "overall_mean":
                want = omean[f]
            else:
                want = (ref["mean"].loc[c, f] - omean[f]) / ostd[f]
            got = r[col]
            if not close(got, want):
                bad.append((c, f, got, want))
            elif got is not None and not (isinstance(got, float) and math.isnan(got)):
                worst = max(worst, abs(float(got) - float(want)) / max(1.0, abs(float(want))))
        check(not bad, f"profile {col} matches pandas ({len(prof)} values, max rel err {worst:.1e})",
              f"{bad[:3]}")

    # categorical features: shares and lifts against pd.get_dummies on the same rows
    for cat in CAT_FEATURES:
        cats, txt = dummies[cat]
        dm = pd.get_dummies(txt).astype(float)           # a NULL category: all zeros
        dm["\x00NULL"] = txt.isna().astype(float)
        share = dm.groupby(lab["seg"]).mean()
        count = dm.groupby(lab["seg"]).sum()
        overall = dm.mean()
        lift = share / overall
        rows = prof_all[prof_all["feature"] == cat]
        bad = {"n": [], "share in cluster (mean)": [], "overall share (overall_mean)": [],
               "lift": []}
        worst = 0.0
        for _, r in rows.iterrows():
            c = r["cluster"]
            k = "\x00NULL" if r["category"] is None else r["category"]
            if r["n"] != count.loc[c, k]:
                bad["n"].append((c, k, r["n"], count.loc[c, k]))
            for col, key, want in (("mean", "share in cluster (mean)", share.loc[c, k]),
                                   ("overall_mean", "overall share (overall_mean)", overall[k]),
                                   ("lift", "lift", lift.loc[c, k])):
                if not close(r[col], want):
                    bad[key].append((c, k, r[col], want))
                else:
                    worst = max(worst, abs(float(r[col]) - float(want)) / max(1.0, abs(float(want))))
        for key, b in bad.items():
            check(not b, f"profile {cat} {key} matches pd.get_dummies ({len(rows)} rows, "
                  f"max rel err {worst:.1e})", f"{b[:3]}")

    # --- profile, wide form: the same list; category shares and lifts keyed by category
    cur.execute("SELECT cluster, n, share, means, lift FROM userseg_profile_wide("
                "'report_parity', 'seg', %s)", (ALL,))
    wide = cur.fetchall()
    bad = [(c, n) for c, n, s, m, lf in wide
           if n != size[c] or not close(s, size[c] / len(lab))
           or any(not close(m[f], ref["mean"].loc[c, f]) for f in FEATURES)]
    check(len(wide) == len(size) and not bad,
          "profile_wide sizes, shares and means match pandas", f"{bad[:3]}")
    bad = []
    for c, n, s, m, lf in wide:
        for cat in CAT_FEATURES:
            cats, txt = dummies[cat]
            dm = pd.get_dummies(txt).astype(float)
            share = dm.groupby(lab["seg"]).mean()
            lift = share / dm.mean()
            if sorted(m[cat]) != sorted(cats) or sorted(lf[cat]) != sorted(cats):
                bad.append((c, cat, sorted(m[cat])))
            bad += [(c, cat, k) for k in cats
                    if not close(m[cat][k], share.loc[c, k]) or not close(lf[cat][k], lift.loc[c, k])]
    check(not bad, "profile_wide category shares and lifts match pd.get_dummies", f"{bad[:3]}")

    # --- crosstabs
    for cat in CATEGORIES:
        cur.execute("SELECT * FROM userseg_crosstab('report_parity', 'seg', %s)", (cat,))
        xt = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
        sentinel = "\x00NULL"
        catcol = lab[cat].map(to_text).fillna(sentinel)
        ct = pd.crosstab(lab["seg"], catcol)
        sic = ct.div(ct.sum(axis=1), axis=0)
        so = ct.sum(axis=0) / ct.values.sum()
        lift = sic.div(so, axis=1)
        check(len(xt) == ct.size,
              f"crosstab {cat}: every cluster meets every category ({len(xt)} rows)",
              f"{len(xt)} rows, pandas grid {ct.shape}")
        bad = {"n": [], "share_in_cluster": [], "share_overall": [], "lift": []}
        for _, r in xt.iterrows():
            c = r["cluster"]
            k = sentinel if r["category"] is None else r["category"]
            if r["n"] != ct.loc[c, k]:
                bad["n"].append((c, k, r["n"], ct.loc[c, k]))
            for col, want in (("share_in_cluster", sic.loc[c, k]),
                              ("share_overall", so[k]), ("lift", lift.loc[c, k])):
                if not close(r[col], want):
                    bad[col].append((c, k, r[col], want))
        for col, b in bad.items():
            check(not b, f"crosstab {cat} {col} matches pd.crosstab", f"{b[:3]}")

    # --- segment sentences: the documented rules applied to the pandas figures
    def r1(x):
        return Decimal("%.15g" % x).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    top = 3
    cur.execute("SELECT cluster, description FROM userseg_describe_segments("
                "'report_parity', 'seg', %s, %s, %s)", (FEATURES, CATEGORIES, top))
    got = dict(cur.fetchall())
    total = len(lab)
    tables = {}
    for pos, cat in enumerate(CATEGORIES):
        ct = pd.crosstab(lab["seg"], lab[cat].map(to_text).fillna("\x00NULL"))
        tables[cat] = (pos, ct, ct.sum(axis=0) / ct.values.sum())
    bad = []
    for c in sorted(size.index):
        zs = [(abs(z), i, f, z) for i, f in enumerate(FEATURES)
              for z in [(ref["mean"].loc[c, f] - omean[f]) / ostd[f]] if abs(z) >= 0.1]
        zs.sort(key=lambda t: (-t[0], t[1]))
        words = ", ".join(f"{f.replace('_', ' ')} {'-' if z < 0 else '+'}{r1(abs(z))} sd"
                          for _, _, f, z in zs[:top]) or "close to average on every feature"
        cats = []
        for cat, (pos, ct, so) in tables.items():
            for k in ct.columns:
                if k == "\x00NULL":
                    continue
                n = ct.loc[c, k]
                sic = n / size[c]
                lf = sic / so[k]
                if n >= 5 and sic >= 0.05 and lf >= 1.2:
                    label = k if cat == "platform" else f"{cat.replace('_', ' ')} = {k}"
                    cats.append((-lf, -n, pos, k.encode(), label, lf))
        cats.sort()
        catwords = ", ".join(f"{label} x{r1(lf)}" for *_, label, lf in cats[:top])
        pct = Decimal(100 * int(size[c])) / Decimal(total)
        pct = pct.quantize(Decimal("1"), rounding=ROUND_HALF_UP)
        want = ("noise, " if c == -1 else "") + (
                f"{size[c]:,} {'user' if size[c] == 1 else 'users'} ({pct}%): {words}"
                + (f"; {catwords}" if catwords else ""))
        if got.get(c) != want:
            bad.append((c, got.get(c), want))
    check(not bad, f"segment sentences follow the rules on the pandas figures ({len(got)} sentences)",
          f"{bad[:2]}")
    # one feature list: the categorical columns among the features say the same
    cur.execute("SELECT cluster, description FROM userseg_describe_segments("
                "'report_parity', 'seg', %s, %s, %s)", (ALL, ["age_group"], top))
    same = dict(cur.fetchall())
    check(same == got, "segment sentences are the same with the categorical columns among the features",
          f"{[(c, same.get(c), got.get(c)) for c in got if same.get(c) != got.get(c)][:2]}")
    for c in sorted(got):
        print(f"# {c}: {got[c]}")

    cur.execute("DROP TABLE report_parity")
    conn.close()
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
