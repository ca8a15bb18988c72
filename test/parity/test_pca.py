"""Parity of PCA with scikit-learn and of the box statistics with pandas, same rows.

Builds a seeded table with numpy (correlated features of different scales, a
categorical column, a few clusters, NULL labels and NULL features), fits
scikit-learn's PCA(svd_solver='full') on the rows as the database holds them and
compares, within 1e-9 (relative above 1), signs included:
  * the window form userseg_pca(...) OVER () with fit_transform, plain and whitened,
    on more rows than columns and on fewer;
  * the table form with scale 'zscore' and a one-hot feature: the summary rows
    (explained variance, ratio, cumulative, singular values), the saved model's
    summary, loadings (components_), userseg_project of every row (transform) and
    the projection table (id, segment, coordinates);
  * userseg_profile_box with pandas' quantile(interpolation='linear') per cluster and
    Tukey's whiskers computed from the same values.
Prints one line per check.
"""
import math
import sys

import numpy as np
import pandas as pd
import psycopg2
import psycopg2.extras
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from tap import check

SEED = 20261202
N = 3000
TOL = 1e-9
NUMERIC = ["minutes", "posts", "likes", "comments"]


def worst(got, want):
    """Largest |got - want| relative to max(1, |want|) over matching arrays."""
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    if got.shape != want.shape:
        return math.inf
    if got.size == 0:
        return 0.0
    return float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))))


def make_table(cur):
    rng = np.random.default_rng(SEED)
    seg = rng.choice([0, 1, 2], size=N, p=[0.5, 0.3, 0.2])
    base = rng.normal(size=N)
    minutes = 60 + 40 * seg + 25 * base + rng.normal(0, 5, N)
    posts = np.round(2 + 0.05 * minutes + rng.normal(0, 1, N), 2)
    likes = rng.poisson(5 + 10 * seg).astype(float) + 0.3 * base
    comments = rng.exponential(3.0, N) + 2 * seg
    platform = np.array(["Instagram", "Twitter", "Facebook"])[rng.integers(0, 3, N)]
    label = seg.astype(object)
    label[rng.random(N) < 0.03] = None
    minutes_box = minutes.astype(object)
    minutes_box[rng.random(N) < 0.05] = None             # NULLs the box statistics skip
    rows = [(i + 1, label[i], float(minutes[i]), float(posts[i]), float(likes[i]),
             float(comments[i]), str(platform[i]),
             None if minutes_box[i] is None else float(minutes_box[i])) for i in range(N)]
    cur.execute("DROP TABLE IF EXISTS pca_parity")
    cur.execute("""CREATE TABLE pca_parity (id int PRIMARY KEY, seg int, minutes float8,
                   posts float8, likes float8, comments float8, platform text,
                   minutes_box float8)""")
    psycopg2.extras.execute_values(cur, "INSERT INTO pca_parity VALUES %s", rows)


def check_window(cur, df):
    x = df[NUMERIC].to_numpy(dtype=float)
    for k, whiten in [(2, False), (4, False), (3, True)]:
        cur.execute(f"""SELECT userseg_pca(ARRAY[{', '.join(NUMERIC)}], %s, %s)
                        OVER () FROM pca_parity ORDER BY id""", (k, whiten))
        got = np.array([r[0] for r in cur.fetchall()])
        want = PCA(n_components=k, svd_solver="full", whiten=whiten).fit_transform(x)
        err = worst(got, want)
        check(err <= TOL, f"window form, n_components {k}{', whiten' if whiten else ''}: "
              f"coordinates as fit_transform (worst {err:.1e})", f"worst {err:.3g}")
    # fewer rows than columns: 3 rows of 4 features, 2 components
    cur.execute(f"""SELECT userseg_pca(ARRAY[{', '.join(NUMERIC)}], 2) OVER ()
                    FROM pca_parity WHERE id <= 3 ORDER BY id""")
    got = np.array([r[0] for r in cur.fetchall()])
    want = PCA(n_components=2, svd_solver="full").fit_transform(x[:3])
    err = worst(got, want)
    check(err <= TOL, f"window form, 3 rows of 4 columns: coordinates (worst {err:.1e})",
          f"worst {err:.3g}")


def check_table(cur, df):
    feats = NUMERIC + ["platform"]
    enc = pd.concat([df[NUMERIC], pd.get_dummies(df["platform"]).astype(float)], axis=1)
    x = StandardScaler().fit_transform(enc.to_numpy(dtype=float))
    pca = PCA(n_components=3, svd_solver="full").fit(x)
    cur.execute("DELETE FROM userseg_models WHERE name = 'pca_parity'")
    cur.execute("""SELECT * FROM userseg_pca('pca_parity', %s, 3, model => 'pca_parity',
                   id_column => 'id')""", (feats,))
    rows = cur.fetchall()
    want = np.column_stack([np.arange(1, 4), pca.explained_variance_,
                            pca.explained_variance_ratio_,
                            np.cumsum(pca.explained_variance_ratio_), pca.singular_values_])
    err = worst(rows, want)
    check(err <= TOL, f"table form: explained variance, ratio, cumulative, singular values "
          f"(worst {err:.1e})", f"{rows} vs {want.tolist()}")
    cur.execute("SELECT * FROM userseg_pca_summary('pca_parity')")
    err = worst(cur.fetchall(), want)
    check(err <= TOL, f"userseg_pca_summary of the saved model (worst {err:.1e})")

    cur.execute("SELECT component, feature, loading FROM userseg_pca_loadings('pca_parity')")
    rows = cur.fetchall()
    names = list(NUMERIC) + [f"platform={c}" for c in sorted(df["platform"].unique())]
    got_names = [r[1] for r in rows[:len(names)]]
    got = np.array([r[2] for r in rows]).reshape(3, len(names))
    err = worst(got, pca.components_)
    check(got_names == names and err <= TOL,
          f"loadings: components_ with their signs (worst {err:.1e})",
          f"{got_names} vs {names}, worst {err:.3g}")

    cur.execute("SELECT userseg_project('pca_parity', p) FROM pca_parity p ORDER BY id")
    got = np.array([r[0] for r in cur.fetchall()])
    err = worst(got, pca.transform(x))
    check(err <= TOL, f"userseg_project of every row: transform (worst {err:.1e})",
          f"worst {err:.3g}")
    err = worst(got, pca.fit_transform(x))
    check(err <= TOL, f"userseg_project of every row: fit_transform (worst {err:.1e})",
          f"worst {err:.3g}")

    # the projection table: fit_transform's coordinates, the id and the segment of each row
    cur.execute("DROP TABLE IF EXISTS pca_parity_proj")
    cur.execute("""SELECT count(*) FROM userseg_pca('pca_parity', %s, 3, id_column => 'id',
                   projection => 'pca_parity_proj', label_column => 'seg')""", (feats,))
    cur.fetchall()
    cur.execute("SELECT id, segment, pc1, pc2, pc3 FROM pca_parity_proj ORDER BY id")
    rows = cur.fetchall()
    got = np.array([r[2:] for r in rows])
    err = worst(got, pca.fit_transform(x))
    same_ids = [r[0] for r in rows] == df["id"].tolist()
    same_seg = [r[1] for r in rows] == [None if pd.isna(v) else int(v) for v in df["seg"]]
    check(same_ids and same_seg and err <= TOL,
          f"projection table: every row's id and segment, coordinates as fit_transform "
          f"(worst {err:.1e})", f"ids {same_ids}, segments {same_seg}, worst {err:.3g}")

    # whitened, no scaling
    xr = enc.to_numpy(dtype=float)
    pw = PCA(n_components=2, svd_solver="full", whiten=True).fit(xr)
    cur.execute("""SELECT count(*) FROM userseg_pca('pca_parity', %s, 2, model => 'pca_w',
                   scale => 'none', whiten => true)""", (feats,))
    cur.fetchall()
    cur.execute("SELECT userseg_project('pca_w', to_jsonb(p)) FROM pca_parity p ORDER BY id")
    got = np.array([r[0] for r in cur.fetchall()])
    err = worst(got, pw.transform(xr))
    check(err <= TOL, f"whitened, unscaled: userseg_project from jsonb (worst {err:.1e})",
          f"worst {err:.3g}")


def check_box(cur, df):
    cur.execute("""SELECT * FROM userseg_profile_box('pca_parity', 'seg',
                   ARRAY['minutes_box', 'comments'])""")
    got = {(r[0], r[1]): r[2:] for r in cur.fetchall()}
    lab = df[df["seg"].notna()]
    ok = True
    detail = ""
    count = 0
    for (cl, feature), r in sorted(got.items()):
        v = lab.loc[lab["seg"] == cl, feature].dropna()
        q1, med, q3 = (v.quantile(q, interpolation="linear") for q in (0.25, 0.5, 0.75))
        lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
        want = [len(v), v.min(), q1, med, q3, v.max(), v[v >= lo].min(), v[v <= hi].max(),
                int((v < lo).sum()), int((v > hi).sum())]
        err = worst([float(a) for a in r], [float(b) for b in want])
        count += 1
        if err > TOL:
            ok = False
            detail += f" cluster {cl} {feature}: {list(r)} vs {want};"
    check(ok and count == 3 * 2, f"box statistics of {count} cluster features: count, min, "
          "quartiles, max, whiskers and outliers as pandas", detail)
    # the quartiles are percentile_cont's
    cur.execute("""SELECT bool_and(abs(b.q1 - p.q1) <= 1e-9 * greatest(1, abs(p.q1))
                              AND abs(b.median - p.med) <= 1e-9 * greatest(1, abs(p.med))
                              AND abs(b.q3 - p.q3) <= 1e-9 * greatest(1, abs(p.q3)))
                   FROM userseg_profile_box('pca_parity', 'seg', ARRAY['comments']) b
                   JOIN (SELECT seg, percentile_cont(0.25) WITHIN GROUP (ORDER BY comments) q1,
                                percentile_cont(0.5) WITHIN GROUP (ORDER BY comments) med,
                                percentile_cont(0.75) WITHIN GROUP (ORDER BY comments) q3
                         FROM pca_parity WHERE seg IS NOT NULL GROUP BY seg) p
                     ON p.seg = b.cluster""")
    check(cur.fetchone()[0] is True, "box quartiles equal percentile_cont's")


def main():
    conn = psycopg2.connect()
    conn.autocommit = True
    cur = conn.cursor()
    make_table(cur)
    cur.execute("SELECT * FROM pca_parity ORDER BY id")
    df = pd.DataFrame(cur.fetchall(), columns=[c.name for c in cur.description])
    check_window(cur, df)
    check_table(cur, df)
    check_box(cur, df)


if __name__ == "__main__":
    main()
    sys.exit(0)
