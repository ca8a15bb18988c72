#!/usr/bin/python3
"""Parity of K-Means by scan (userseg_kmeans(..., method => 'scan')) and of the step
aggregate (userseg_kmeans_step) with scikit-learn, on the same rows in the same run.

  (a) the step aggregate from given centers: sizes equal to the counts of
      pairwise_distances_argmin, means and inertia within 1e-12 relative of numpy's;
  (b) the table form by scan from the same initial centers: the same partition as
      scikit-learn's KMeans(init=centers, n_init=1, algorithm='lloyd') on
      StandardScaler's output, the same iterations, inertia within 1e-9 relative;
  (c) by scan seeded from its sample, on a table larger than the sample: inertia
      within 1% of scikit-learn's KMeans(n_init=10) and no worse than 1.01 times its
      MiniBatchKMeans (batch_size 1024, n_init=3);
  (d) method => 'minibatch' against MiniBatchKMeans with the same batch_size, n_init,
      max_iter and tol = 0: the generators differ (numpy's Mersenne Twister there), so
      the check is in distribution: over seven seeds each, the median inertia within 5%
      of scikit-learn's median, and the fit deterministic for a seed;
  (e) the models of the scan and of the in-memory path from the same initial centers:
      the same scaler and centroids (scaled and in original units) within 1e-9, the
      same sizes, and userseg_predict on each gives every row the label written;
  (f) nulls => 'impute' by scan against in memory and against scikit-learn's
      SimpleImputer(strategy='mean') + StandardScaler + KMeans from the same initial
      centers: the same imputed values and centroids within 1e-9, the same labels.
"""
import io

import numpy as np
import psycopg2
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import pairwise_distances_argmin
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler

from tap import check


def load(cur, name, X):
    cur.execute("DROP TABLE IF EXISTS %s" % name)
    cols = ", ".join("c%d float8" % j for j in range(X.shape[1]))
    cur.execute("CREATE TABLE %s (id int PRIMARY KEY, %s)" % (name, cols))
    buf = io.StringIO()
    for i, row in enumerate(X):
        buf.write("%d\t%s\n" % (i, "\t".join(repr(float(v)) for v in row)))
    buf.seek(0)
    cur.copy_from(buf, name, columns=["id"] + ["c%d" % j for j in range(X.shape[1])])
    cur.execute("ANALYZE %s" % name)
    cur.execute("SELECT %s FROM %s ORDER BY id" %
                (", ".join("c%d" % j for j in range(X.shape[1])), name))
    return np.array(cur.fetchall(), dtype=np.float64)


def array2(a):
    return "{%s}" % ",".join("{%s}" % ",".join(repr(float(v)) for v in r) for r in a)


def same_partition(a, b):
    fwd, back = {}, {}
    for x, y in zip(a.tolist(), b.tolist()):
        if fwd.setdefault(x, y) != y or back.setdefault(y, x) != x:
            return False
    return True


def main():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    X0, _ = make_blobs(n_samples=[9000, 6000, 3000, 1500], n_features=4,
                       cluster_std=[1.0, 1.5, 0.8, 2.0], random_state=5)
    X = load(cur, "kscan_parity", X0)
    d = X.shape[1]
    cols = "ARRAY[%s]" % ", ".join("'c%d'" % j for j in range(d))
    vec = "ARRAY[%s]" % ", ".join("c%d" % j for j in range(d))
    init = X[[3, 9500, 15500, 18600]]

    # (a) the step aggregate, serial and parallel
    ref_lab = pairwise_distances_argmin(X, init)
    ref_sizes = np.bincount(ref_lab, minlength=4)
    ref_means = np.array([X[ref_lab == c].mean(axis=0) for c in range(4)])
    ref_inertia = float(((X - init[ref_lab]) ** 2).sum())
    for par in (0, 2):
        cur.execute("SET max_parallel_workers_per_gather = %d" % par)
        cur.execute("SET parallel_setup_cost = 0")
        cur.execute("SET min_parallel_table_scan_size = 0")
        cur.execute("SELECT (s).centers, (s).sizes, (s).inertia FROM "
                    "(SELECT userseg_kmeans_step(%s, %%s::float8[]) AS s FROM kscan_parity) q"
                    % vec, (array2(init),))
        centers, sizes, inertia = cur.fetchone()
        tag = "step aggregate (%s)" % ("parallel" if par else "serial")
        check(list(sizes) == ref_sizes.tolist(), "%s: sizes of the nearest centers" % tag,
              "(userseg %s, scikit-learn %s)" % (sizes, ref_sizes.tolist()))
        rel = np.max(np.abs(np.array(centers) - ref_means) / np.abs(ref_means))
        check(rel <= 1e-12, "%s: means within 1e-12" % tag, "(relative %.3g)" % rel)
        rel = abs(inertia - ref_inertia) / ref_inertia
        check(rel <= 1e-12, "%s: inertia within 1e-12" % tag, "(relative %.3g)" % rel)
    cur.execute("RESET max_parallel_workers_per_gather")

    # (b) the table form by scan from given centers
    sc = StandardScaler().fit(X)
    Xs = sc.transform(X)
    cur.execute("SELECT inertia, iterations FROM userseg_kmeans('kscan_parity', %s, 4,"
                " label_column => 'seg', init => %%s::float8[], method => 'scan')" % cols,
                (array2(init),))
    inertia, iters = cur.fetchone()
    cur.execute("SELECT seg FROM kscan_parity ORDER BY id")
    ours = np.array([r[0] for r in cur.fetchall()])
    ref = KMeans(n_clusters=4, init=sc.transform(init), n_init=1, max_iter=300, tol=1e-4,
                 algorithm="lloyd").fit(Xs)
    check(same_partition(ours, ref.labels_), "scan from given centers: same labels",
          "(sizes userseg %s, scikit-learn %s)" %
          (np.bincount(ours).tolist(), np.bincount(ref.labels_).tolist()))
    rel = abs(inertia - ref.inertia_) / ref.inertia_
    check(rel <= 1e-9, "scan from given centers: inertia within 1e-9",
          "(userseg %.17g, scikit-learn %.17g)" % (inertia, ref.inertia_))
    check(iters == ref.n_iter_, "scan from given centers: iterations",
          "(userseg %d, scikit-learn %d)" % (iters, ref.n_iter_))

    # (e) models: by scan and in memory from the same initial centers
    for method in ("memory", "scan"):
        cur.execute("SELECT 1 FROM userseg_kmeans('kscan_parity', %s, 4,"
                    " label_column => 'seg_%s', init => %%s::float8[], method => '%s',"
                    " model => 'kscan_parity_%s')" % (cols, method, method, method),
                    (array2(init),))
    models = {}
    for method in ("memory", "scan"):
        cur.execute("SELECT scale_center, scale_scale, centroids, centroids_original, sizes"
                    " FROM userseg_models WHERE name = %s", ("kscan_parity_" + method,))
        models[method] = [np.array(v, dtype=np.float64) for v in cur.fetchone()]
    names = ["scaler center", "scaler scale", "centroids", "centroids in original units"]
    for j, name in enumerate(names):
        a, b = models["scan"][j], models["memory"][j]
        rel = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0)))
        check(a.shape == b.shape and rel <= 1e-9, "model by scan: %s within 1e-9 of in memory" % name,
              "(relative %.3g)" % rel)
    check(models["scan"][4].tolist() == models["memory"][4].tolist(),
          "model by scan: the sizes of in memory",
          "(%s, %s)" % (models["scan"][4].tolist(), models["memory"][4].tolist()))
    # the centroids in original units are scikit-learn's, mapped back by StandardScaler
    ref_orig = sc.inverse_transform(ref.cluster_centers_)
    cur.execute("SELECT seg_scan FROM kscan_parity ORDER BY id")
    lab = np.array([r[0] for r in cur.fetchall()])
    perm = [int(np.bincount(lab[ref.labels_ == c], minlength=4).argmax()) for c in range(4)]
    rel = float(np.max(np.abs(models["scan"][3][perm] - ref_orig) / np.maximum(np.abs(ref_orig), 1.0)))
    check(rel <= 1e-9, "model by scan: centroids in original units within 1e-9 of scikit-learn's",
          "(relative %.3g)" % rel)
    for method in ("memory", "scan"):
        cur.execute("SELECT count(*) FILTER (WHERE seg_%s IS DISTINCT FROM"
                    " userseg_predict('kscan_parity_%s', to_jsonb(k))),"
                    " count(*) FILTER (WHERE seg_%s IS DISTINCT FROM seg_scan) FROM kscan_parity k"
                    % (method, method, method))
        differ, other = cur.fetchone()
        check(differ == 0, "model %s: predict gives every row the label written" % method,
              "(%d rows differ)" % differ)
        check(other == 0, "model %s: the labels of the scan" % method, "(%d rows differ)" % other)
    cur.execute("DELETE FROM userseg_models WHERE name LIKE 'kscan\\_parity\\_%'")

    # (f) nulls => 'impute': a NULL stands for the column mean, the scaler fitted with it
    cur.execute("UPDATE kscan_parity SET c0 = NULL WHERE id % 13 = 0")
    cur.execute("UPDATE kscan_parity SET c2 = NULL WHERE id % 29 = 1")
    cur.execute("SELECT %s FROM kscan_parity ORDER BY id" % ", ".join("c%d" % j for j in range(d)))
    Xn = np.array([[np.nan if v is None else v for v in r] for r in cur.fetchall()], dtype=np.float64)
    imp = SimpleImputer(strategy="mean").fit(Xn)
    sci = StandardScaler().fit(imp.transform(Xn))
    Xi = sci.transform(imp.transform(Xn))
    refi = KMeans(n_clusters=4, init=sci.transform(init), n_init=1, max_iter=300, tol=1e-4,
                  algorithm="lloyd").fit(Xi)
    fitted = {}
    for method in ("memory", "scan"):
        cur.execute("SELECT inertia FROM userseg_kmeans('kscan_parity', %s, 4, nulls => 'impute',"
                    " label_column => 'imp_%s', init => %%s::float8[], method => '%s',"
                    " model => 'kscan_parity_imp_%s')" % (cols, method, method, method),
                    (array2(init),))
        inertia = cur.fetchone()[0]
        cur.execute("SELECT centroids_original, ARRAY(SELECT (f ->> 'imputed')::float8 FROM"
                    " jsonb_array_elements(encoding -> 'features') f) FROM userseg_models"
                    " WHERE name = %s", ("kscan_parity_imp_" + method,))
        orig, imputed = [np.array(v, dtype=np.float64) for v in cur.fetchone()]
        cur.execute("SELECT imp_%s FROM kscan_parity ORDER BY id" % method)
        lab = np.array([r[0] for r in cur.fetchall()])
        fitted[method] = (orig, lab)
        rel = float(np.max(np.abs(imputed - imp.statistics_) / np.abs(imp.statistics_)))
        check(rel <= 1e-12, "impute %s: imputed values are SimpleImputer's means" % method,
              "(relative %.3g)" % rel)
        check(same_partition(lab, refi.labels_), "impute %s: scikit-learn's labels" % method,
              "(sizes userseg %s, scikit-learn %s)" %
              (np.bincount(lab).tolist(), np.bincount(refi.labels_).tolist()))
        rel = abs(inertia - refi.inertia_) / refi.inertia_
        check(rel <= 1e-9, "impute %s: inertia within 1e-9 of scikit-learn's" % method,
              "(userseg %.17g, scikit-learn %.17g)" % (inertia, refi.inertia_))
    (om, lm), (os_, ls) = fitted["memory"], fitted["scan"]
    rel = float(np.max(np.abs(os_ - om) / np.maximum(np.abs(om), 1.0)))
    check(rel <= 1e-9, "impute: the scan's centroids within 1e-9 of in memory", "(relative %.3g)" % rel)
    check(lm.tolist() == ls.tolist(), "impute: the scan's labels are in memory's",
          "(%d rows differ)" % int(np.sum(lm != ls)))
    cur.execute("SELECT count(*) FROM kscan_parity k WHERE imp_scan IS DISTINCT FROM"
                " userseg_predict('kscan_parity_imp_scan', to_jsonb(k))")
    differ = cur.fetchone()[0]
    check(differ == 0, "impute: predict on the scan's model gives every row its label",
          "(%d rows differ)" % differ)
    cur.execute("DELETE FROM userseg_models WHERE name LIKE 'kscan\\_parity\\_%'")
    cur.execute("UPDATE kscan_parity k SET c0 = X.c0, c2 = X.c2 FROM (SELECT * FROM"
                " unnest(%s::int[], %s::float8[], %s::float8[]) u(id, c0, c2)) X WHERE X.id = k.id",
                (list(range(len(X))), X[:, 0].tolist(), X[:, 2].tolist()))

    # (c) seeded from the sample (10000 of 19500 rows)
    cur.execute("SELECT inertia FROM userseg_kmeans('kscan_parity', %s, 4, seed => 3,"
                " method => 'scan')" % cols)
    inertia = cur.fetchone()[0]
    full = KMeans(n_clusters=4, n_init=10, random_state=0, algorithm="lloyd").fit(Xs)
    mb = MiniBatchKMeans(n_clusters=4, batch_size=1024, n_init=3, random_state=0).fit(Xs)
    check(inertia <= full.inertia_ * 1.01, "scan seeded from a sample: inertia within 1% of KMeans",
          "(userseg %.17g, scikit-learn %.17g)" % (inertia, full.inertia_))
    check(inertia <= mb.inertia_ * 1.01,
          "scan seeded from a sample: inertia at most MiniBatchKMeans' + 1%",
          "(userseg %.17g, MiniBatchKMeans %.17g)" % (inertia, mb.inertia_))

    # (d) mini-batch K-Means, in distribution over seeds
    ours = []
    for seed in range(7):
        cur.execute("SELECT inertia FROM userseg_kmeans('kscan_parity', %s, 4, seed => %%s,"
                    " n_init => 3, max_iter => 100, tol => 0, batch_size => 256,"
                    " method => 'minibatch')" % cols, (seed,))
        ours.append(cur.fetchone()[0])
    cur.execute("SELECT inertia FROM userseg_kmeans('kscan_parity', %s, 4, seed => 0,"
                " n_init => 3, max_iter => 100, tol => 0, batch_size => 256,"
                " method => 'minibatch')" % cols)
    again = cur.fetchone()[0]
    check(abs(again - ours[0]) <= 1e-12 * ours[0], "minibatch: the same fit for the same seed",
          "(%.17g, %.17g)" % (ours[0], again))
    ref = [MiniBatchKMeans(n_clusters=4, batch_size=256, n_init=3, max_iter=100, tol=0.0,
                           random_state=s).fit(Xs).inertia_ for s in range(7)]
    mo, mr = float(np.median(ours)), float(np.median(ref))
    check(abs(mo - mr) <= 0.05 * mr, "minibatch: median inertia within 5% of MiniBatchKMeans'",
          "(userseg %s, scikit-learn %s)" % (sorted(round(x) for x in ours),
                                             sorted(round(x) for x in ref)))
    cur.execute("DROP TABLE kscan_parity")
    conn.close()


if __name__ == "__main__":
    main()
