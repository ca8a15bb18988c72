#!/usr/bin/python3
"""Plots and the HTML report: userseg against pandas + matplotlib on the same table.

Run with `scripts/bench plots` (PGHOST/PGPORT/PGUSER/PGDATABASE point at a database
with userseg).  For each size (--sizes, default 100,000 and 1,000,000 sample users,
userseg_sample_users(n, 1)), the table is segmented once by K-Means (k = 4, not timed),
then each figure is made both ways, side by side in one run:

  userseg   SELECT userseg_plot_...(...) / userseg_report(...), the SVG or HTML text
            fetched by the client;
  python    fetch the columns (COPY ... TO STDOUT as CSV into pandas.read_csv, the
            fastest way pandas has), compute the same figures (StandardScaler, PCA with
            the full SVD, the same 5,000-point sample size, group means and z, crosstab
            shares and lift, matplotlib's boxplot (the same quartiles and 1.5 IQR
            whiskers), silhouette_samples of 2,000 rows) and draw them with matplotlib
            (Agg) as SVG text, with the same titles, legends and marks.  The report is
            one fetch, every figure and the scores (silhouette on 2,000 rows,
            Calinski-Harabasz and Davies-Bouldin on all rows) as SVG in one HTML page;
            it has no sentences (userseg's page has them, from one more read).

Times are wall-clock as the client sees them, the median of --runs runs after one
warm-up run.  Peak backend memory: (VmHWM - RssShmem) after one call in a fresh
connection minus (VmRSS - RssShmem) before it, from /proc/<pid>/status.  The sweep and
comparison plots are left out: their cost is that of userseg_kmeans_sweep and
userseg_compare, whose own benchmarks measure it.
"""
import argparse
import io
import statistics
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import psycopg2  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.metrics import (calinski_harabasz_score, davies_bouldin_score,  # noqa: E402
                             silhouette_samples)
from sklearn.preprocessing import StandardScaler  # noqa: E402

from backend_memory import proc_status  # noqa: E402

FEATURES = ["age", "daily_usage_minutes", "posts_per_day", "likes_received_per_day",
            "comments_received_per_day", "messages_sent_per_day"]
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442",
             "#000000"]
POINTS = 5000
SIL_ROWS = 2000
TABLE = "bench_plots"


def colour(s):
    return "#999999" if s < 0 else OKABE_ITO[s % 8]


def fetch(cur, cols):
    buf = io.StringIO()
    cur.copy_expert("COPY (SELECT %s FROM %s) TO STDOUT WITH (FORMAT csv, HEADER)"
                    % (", ".join(cols), TABLE), buf)
    buf.seek(0)
    return pd.read_csv(buf)


def svg_of(fig):
    out = io.StringIO()
    fig.savefig(out, format="svg")
    plt.close(fig)
    return out.getvalue()


def complete(df):
    return df.dropna(subset=FEATURES + ["segment"])


def py_projection(df, k, rng):
    rows = complete(df)
    x = StandardScaler().fit_transform(rows[FEATURES].to_numpy(float))
    pca = PCA(k, svd_solver="full")
    xy = pca.fit_transform(x)
    seg = rows["segment"].to_numpy(int)
    cent = pd.DataFrame(xy).groupby(seg).mean()
    pick = rng.choice(len(xy), size=min(POINTS, len(xy)), replace=False)
    fig = plt.figure(figsize=(7.6, 5.5))
    ax = fig.add_subplot(111, projection="3d" if k == 3 else None)
    pts = [xy[pick, a] for a in range(k)]
    ax.scatter(*pts, c=[colour(s) for s in seg[pick]], s=5, alpha=0.7)
    for s, row in cent.iterrows():
        ax.scatter(*[[row[a]] for a in range(k)], marker="D", s=60, c=colour(s),
                   edgecolors="black", label=f"segment {s}")
    for a, setter in enumerate([ax.set_xlabel, ax.set_ylabel] + ([ax.set_zlabel] if k == 3 else [])):
        setter(f"PC{a + 1} ({100 * pca.explained_variance_ratio_[a]:.1f}% of the variance)")
    ax.legend(title="segment")
    ax.set_title(f"Segments of {TABLE} by segment")
    return svg_of(fig)


def py_heatmap(df):
    rows = df.dropna(subset=["segment"])
    means = rows.groupby("segment")[FEATURES].mean()
    z = (means - rows[FEATURES].mean()) / rows[FEATURES].std()
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.imshow(z.to_numpy(), cmap="RdBu_r", vmin=-2, vmax=2, aspect="auto")
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            ax.text(j, i, f"{z.iat[i, j]:+.2f}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(FEATURES)), FEATURES, rotation=35, ha="right")
    ax.set_yticks(range(len(z)), [f"segment {s}" for s in z.index])
    ax.set_xlabel("feature (z of the segment mean)")
    ax.set_title(f"Profile of the segments of {TABLE}")
    return svg_of(fig)


def py_mix(df, category):
    rows = df.dropna(subset=["segment"])
    share = pd.crosstab(rows["segment"], rows[category].fillna("NULL"), normalize="index")
    overall = rows[category].fillna("NULL").value_counts(normalize=True)
    lift = share / overall[share.columns]
    fig, ax = plt.subplots(figsize=(7.5, 6))
    k = len(share)
    for c, (s, r) in enumerate(share.iterrows()):
        y = np.arange(len(share.columns)) * (k + 1) + c
        ax.barh(y, r.to_numpy(), color=colour(int(s)), label=f"segment {int(s)}")
        for yy, v, lv in zip(y, r.to_numpy(), lift.loc[s].to_numpy()):
            ax.text(v, yy, f" {100 * v:.1f}% x{lv:.2f}", va="center", fontsize=7)
    ax.set_yticks(np.arange(len(share.columns)) * (k + 1) + (k - 1) / 2, share.columns)
    ax.set_xlabel("share of the segment's rows")
    ax.legend(title="segment")
    ax.set_title(f"{category} per segment of {TABLE}")
    return svg_of(fig)


def py_box(df):
    rows = df.dropna(subset=["segment"])
    segs = sorted(rows["segment"].unique())
    fig, axes = plt.subplots(2, 3, figsize=(10, 6))
    for ax, f in zip(axes.flat, FEATURES):
        data = [rows.loc[rows["segment"] == s, f].dropna().to_numpy() for s in segs]
        b = ax.boxplot(data, whis=1.5, patch_artist=True, labels=[str(int(s)) for s in segs])
        for patch, s in zip(b["boxes"], segs):
            patch.set_facecolor(colour(int(s)))
        ax.set_title(f)
        ax.set_xlabel("segment")
    fig.suptitle(f"Distributions per segment of {TABLE}")
    return svg_of(fig)


def py_silhouette(df, rng):
    rows = complete(df)
    x = StandardScaler().fit_transform(rows[FEATURES].to_numpy(float))
    seg = rows["segment"].to_numpy(int)
    pick = rng.choice(len(x), size=min(SIL_ROWS, len(x)), replace=False)
    vals = silhouette_samples(x[pick], seg[pick])
    fig, ax = plt.subplots(figsize=(7, 5.5))
    y = 0
    for s in sorted(set(seg[pick])):
        v = np.sort(vals[seg[pick] == s])[::-1]
        ax.barh(np.arange(y, y + len(v)), v, height=1.0, color=colour(s), label=f"segment {s}")
        y += len(v) + 10
    ax.axvline(vals.mean(), color="#D55E00", linestyle="--", label="average")
    ax.set_xlabel("silhouette coefficient")
    ax.set_ylabel("rows, by segment")
    ax.legend(title="segment")
    ax.set_title(f"Silhouettes of {TABLE} by segment")
    return svg_of(fig), vals.mean()


def py_report(cur, rng):
    df = fetch(cur, FEATURES + ["platform", "dominant_emotion", "segment"])
    rows = complete(df)
    x = StandardScaler().fit_transform(rows[FEATURES].to_numpy(float))
    seg = rows["segment"].to_numpy(int)
    sizes = df["segment"].value_counts().sort_index()
    sil_svg, sil = py_silhouette(df, rng)
    parts = ["<!DOCTYPE html><html><body><h1>Segments</h1><table>"]
    parts += [f"<tr><td>{s}</td><td>{n}</td></tr>" for s, n in sizes.items()]
    parts.append(f"</table><p>silhouette {sil:.4f}, CH {calinski_harabasz_score(x, seg):.4f}, "
                 f"DB {davies_bouldin_score(x, seg):.4f}</p>")
    parts += [py_projection(df, 2, rng), py_projection(df, 3, rng), py_heatmap(df),
              py_mix(df, "platform"), py_mix(df, "dominant_emotion"), py_box(df), sil_svg,
              "</body></html>"]
    return "".join(parts)


def timed(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_memory(sql, args):
    conn = psycopg2.connect("")
    cur = conn.cursor()
    cur.execute("SET client_min_messages = warning")
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    before = proc_status(pid)
    cur.execute(sql, args)
    cur.fetchone()
    after = proc_status(pid)
    conn.close()
    return (after["VmHWM"] - after.get("RssShmem", 0)) - (before["VmRSS"] - before.get("RssShmem", 0))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET client_min_messages = warning")
    cur.execute("SET max_parallel_workers_per_gather = 0")
    f = FEATURES
    ours = [
        ("scatter (PC1, PC2)", "SELECT userseg_plot_scatter(%s, 'segment', %s)", (TABLE, f)),
        ("3-D view", "SELECT userseg_plot_3d(%s, 'segment', %s)", (TABLE, f)),
        ("heatmap", "SELECT userseg_plot_heatmap(%s, 'segment', %s)", (TABLE, f)),
        ("mix (platform)", "SELECT userseg_plot_mix(%s, 'segment', 'platform')", (TABLE,)),
        ("box plots", "SELECT userseg_plot_box(%s, 'segment', %s)", (TABLE, f)),
        ("silhouette", "SELECT userseg_plot_silhouette(%s, 'segment', %s)", (TABLE, f)),
        ("report", "SELECT userseg_report(%s, 'segment', %s, ARRAY['platform', "
         "'dominant_emotion'])", (TABLE, f)),
    ]
    rng = np.random.default_rng(0)
    theirs = {
        "scatter (PC1, PC2)": lambda: py_projection(fetch(cur, f + ["segment"]), 2, rng),
        "3-D view": lambda: py_projection(fetch(cur, f + ["segment"]), 3, rng),
        "heatmap": lambda: py_heatmap(fetch(cur, f + ["segment"])),
        "mix (platform)": lambda: py_mix(fetch(cur, ["platform", "segment"]), "platform"),
        "box plots": lambda: py_box(fetch(cur, f + ["segment"])),
        "silhouette": lambda: py_silhouette(fetch(cur, f + ["segment"]), rng),
        "report": lambda: py_report(cur, rng),
    }
    goal = {"report": 0.5}
    for n in [int(s) for s in args.sizes.split(",")]:
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cur.execute(f"CREATE TABLE {TABLE} AS SELECT * FROM userseg_sample_users(%s, 1)", (n,))
        cur.execute("SELECT userseg_kmeans(%s, %s, 4, label_column => 'segment', n_init => 1)",
                    (TABLE, f))
        cur.execute(f"VACUUM ANALYZE {TABLE}")
        print(f"\n{n:,} sample users, k = 4, median of {args.runs} runs after a warm-up")
        print(f"{'figure':<20} {'userseg s':>10} {'pandas+mpl s':>13} {'ratio':>7} {'goal':>6} "
              f"{'peak MB':>8} {'bytes':>9}")
        for name, sql, qargs in ours:
            def run(sql=sql, qargs=qargs):
                cur.execute(sql, qargs)
                return cur.fetchone()[0]
            size = len(run())
            t_us = timed(run, args.runs)
            t_py = timed(theirs[name], args.runs)
            peak = peak_memory(sql, qargs)
            g = goal.get(name, 0.25)
            print(f"{name:<20} {t_us:>10.3f} {t_py:>13.3f} {t_us / t_py:>7.3f} {g:>6.2f} "
                  f"{peak / 2**20:>8.1f} {size:>9,}", flush=True)
    cur.execute(f"DROP TABLE {TABLE}")
    conn.close()


if __name__ == "__main__":
    main()
