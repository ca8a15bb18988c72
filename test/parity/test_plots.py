#!/usr/bin/python3
"""Parity of the plots' figures with scikit-learn and pandas on the same rows.

The marks that stand for a figure carry it in data-value (17 significant digits): a
centroid's coordinates, a heatmap cell's z, a mix bar's share and lift, a box's
whiskers and quartiles, a row's silhouette.  On generated users segmented by K-Means
(and by DBSCAN, with noise), fetched back so both sides see the same numbers:
  * scatter / 3-D centroids: the mean per segment of PCA(svd_solver='full') coordinates
    of the z-scored (StandardScaler) labelled rows with every feature present;
  * heatmap: (segment mean - overall mean) / overall std (ddof 1), pandas, NaN skipped;
  * mix: pandas.crosstab shares, lift = share / overall share;
  * box: pandas quantile (linear), Tukey's whiskers at 1.5 IQR clipped to the data;
  * silhouette: silhouette_samples of the z-scored rows, noise left out, per segment.
"""
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import psycopg2
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_samples
from sklearn.preprocessing import StandardScaler

from tap import check

NS = "{http://www.w3.org/2000/svg}"
FEATURES = ["age", "daily_usage_minutes", "posts_per_day", "likes_received_per_day",
            "comments_received_per_day", "messages_sent_per_day"]
TOL = 1e-9


def values(svg):
    """data-value of every mark, in document order, as arrays."""
    root = ET.fromstring(svg)
    return [np.array([float(v) for v in e.get("data-value").split()])
            for e in root.iter() if e.get("data-value") is not None]


def close(a, b, tol=TOL):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and np.allclose(a, b, rtol=tol, atol=tol, equal_nan=True)


def main():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET client_min_messages = warning")
    cur.execute("DROP TABLE IF EXISTS plot_par")
    cur.execute("CREATE TABLE plot_par AS SELECT * FROM userseg_sample_users(3000, 5)")
    cur.execute("SELECT userseg_kmeans('plot_par', %s, 4, label_column => 'seg')", (FEATURES,))
    cur.execute("SELECT userseg_dbscan('plot_par', %s, 0.35, 10, label_column => 'dense')",
                (FEATURES[:3],))
    cur.execute("SELECT %s, platform, seg, dense FROM plot_par" % ", ".join(FEATURES))
    df = pd.DataFrame(cur.fetchall(), columns=FEATURES + ["platform", "seg", "dense"])
    df[FEATURES] = df[FEATURES].astype(float)

    for label, feats in (("seg", FEATURES), ("dense", FEATURES[:3])):
        rows = df.dropna(subset=feats + [label])
        seg = rows[label].astype(int).to_numpy()
        x = StandardScaler().fit_transform(rows[feats].to_numpy())
        segments = sorted(set(seg))

        # centroids of the scatter (2) and the 3-D view (3); noise has none
        for k, fn in ((2, "userseg_plot_scatter"), (3, "userseg_plot_3d")):
            xy = PCA(k, svd_solver="full").fit_transform(x)
            want = [xy[seg == s].mean(axis=0) for s in segments if s != -1]
            cur.execute(f"SELECT {fn}('plot_par', %s, %s)", (label, feats))
            got = values(cur.fetchone()[0])
            check(len(got) == len(want) and all(close(g, w) for g, w in zip(got, want)),
                  f"{fn} by {label}: centroids are the mean PCA coordinates per segment",
                  f"{got[:2]} against {want[:2]}")

        # silhouettes: every row (sample_size above the rows), noise left out
        keep = seg != -1
        check(label == "seg" or (not keep.all() and len(set(seg[keep])) >= 2),
              f"the {label} labelling has noise and two clusters or more")
        if len(set(seg[keep])) >= 2:
            sil = silhouette_samples(x[keep], seg[keep])
            cur.execute("SELECT userseg_plot_silhouette('plot_par', %s, %s, sample_size => 10000)",
                        (label, feats))
            root = ET.fromstring(cur.fetchone()[0])
            got = {}
            for e in root.iter():
                if e.get("data-segment") is not None:
                    got.setdefault(int(e.get("data-segment")), []).append(float(e.get("data-value")))
            ok = sorted(got) == sorted(set(seg[keep])) and all(
                close(np.sort(got[s]), np.sort(sil[seg[keep] == s])) for s in got)
            check(ok, f"userseg_plot_silhouette by {label}: each row's silhouette as "
                  "silhouette_samples, per segment")
            desc = root.find(NS + "desc").text
            check(f"average, {sil.mean():.4f}" in desc,
                  f"userseg_plot_silhouette by {label}: the average as silhouette_score",
                  desc[:160])

    # heatmap: z per segment and feature, over labelled rows, NaN skipped per feature
    lab = df.dropna(subset=["seg"])
    means = lab.groupby("seg")[FEATURES].mean()
    z = (means - lab[FEATURES].mean()) / lab[FEATURES].std(ddof=1)
    cur.execute("SELECT userseg_plot_heatmap('plot_par', 'seg', %s)", (FEATURES,))
    got = np.concatenate(values(cur.fetchone()[0]))
    check(close(got, z.to_numpy().ravel()), "userseg_plot_heatmap: z as pandas computes it",
          f"{got[:3]} against {z.to_numpy().ravel()[:3]}")

    # mix: share and lift of each platform per segment
    share = pd.crosstab(lab["seg"], lab["platform"], normalize="index")
    overall = lab["platform"].value_counts(normalize=True)[share.columns]
    lift = share / overall
    cur.execute("SELECT userseg_plot_mix('plot_par', 'seg', 'platform')")
    got = values(cur.fetchone()[0])
    # bars are drawn category by category (ascending, as userseg_crosstab), segment by segment
    want = [np.array([share.at[s, c], lift.at[s, c]]) for c in sorted(share.columns)
            for s in share.index]
    check(len(got) == len(want) and all(close(g, w, 1e-12) for g, w in zip(got, want)),
          "userseg_plot_mix: shares and lifts as pandas.crosstab")

    # box: whiskers and quartiles per segment and feature, in original units
    want = []
    for s in sorted(lab["seg"].unique()):
        for f in FEATURES[:4]:
            v = np.sort(lab.loc[lab["seg"] == s, f].dropna().to_numpy())
            q1, med, q3 = np.quantile(v, [0.25, 0.5, 0.75])
            lo = v[v >= q1 - 1.5 * (q3 - q1)].min()
            hi = v[v <= q3 + 1.5 * (q3 - q1)].max()
            want.append(np.array([lo, q1, med, q3, hi]))
    cur.execute("SELECT userseg_plot_box('plot_par', 'seg', %s)", (FEATURES[:4],))
    got = values(cur.fetchone()[0])
    # boxes are drawn feature by feature, segment by segment
    k = lab["seg"].nunique()
    order = [c * 4 + j for j in range(4) for c in range(k)]
    check(len(got) == len(want) and all(close(got[i], want[o], 1e-12) for i, o in enumerate(order)),
          "userseg_plot_box: quartiles (linear) and Tukey's whiskers as pandas/numpy")

    cur.execute("DROP TABLE plot_par")
    conn.close()


if __name__ == "__main__":
    sys.exit(main())
