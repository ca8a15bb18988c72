#!/usr/bin/python3
"""The latent segments of the sample users, and the adjusted Rand index.

1. userseg_adjusted_rand_score against sklearn.metrics.adjusted_rand_score, run here on
   the same labels: random labelings of several sizes and numbers of groups, text and
   bigint true labels, noise (-1) as a label, NULLs left out, full agreement, a single
   group, every row its own group, and a parallel plan.  The same bits are expected
   (both round the exact integer numerator and denominator once).

2. On 20,000 users of userseg_sample_users(20000, 42, spread => 0.1), with age and the
   log-scaled activity (ln(1 + x)) z-scored and the users with a NULL feature skipped:
   DBSCAN (eps 0.8, min_samples 10, table form) and Mean Shift (bin seeding, bins of at
   least 20 users, the bandwidth estimated with quantile 0.15 on 2,000 users, seed 42)
   each find the six latent segments of userseg_sample_segments, with an adjusted Rand
   index of at least 0.9, DBSCAN's noise counted as one more group and left out; and
   scikit-learn's DBSCAN and MeanShift on the same rows give the same labels.  On the
   default rows (spread 1) the same DBSCAN finds far less of the latent structure.

Prints one line per check, "ok - ..." or "not ok - ..." with the numbers.
"""
import sys
import warnings

import numpy as np
import psycopg2
from sklearn.cluster import DBSCAN, MeanShift, estimate_bandwidth
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

from tap import check

warnings.filterwarnings("ignore")

N = 20000
SEED = 42
SPREAD = 0.1
EPS = 0.8
MIN_SAMPLES = 10
FEATURES = ["age", "log_minutes", "log_posts", "log_likes", "log_comments", "log_messages"]


def ari_cases(cur):
    rng = np.random.default_rng(9)
    cur.execute("CREATE TEMP TABLE ari_rows (t text, ti bigint, p bigint)")
    cases = [
        ("4 rows, full agreement up to renumbering", [0, 0, 1, 1], [1, 1, 0, 0]),
        ("4 rows, discordant", [0, 0, 1, 1], [0, 1, 0, 1]),
        ("every row its own group", [0, 0, 0, 0], [0, 1, 2, 3]),
        ("a single group on both sides", [3] * 7, [5] * 7),
        ("one row", [1], [2]),
    ]
    for n, kt, kp in [(50, 2, 3), (1000, 6, 6), (5000, 6, 20), (20000, 30, 4), (3000, 3000, 7)]:
        t = rng.integers(0, kt, n)
        p = np.where(rng.random(n) < 0.7, t % kp, rng.integers(-1, kp, n))
        cases.append((f"{n} rows, {kt} true groups, {kp} predicted and noise", list(t), list(p)))
    for what, t, p in cases:
        cur.execute("TRUNCATE ari_rows")
        cur.executemany("INSERT INTO ari_rows VALUES (%s, %s, %s)",
                        [("seg%d" % a, int(a), int(b)) for a, b in zip(t, p)])
        cur.execute("SELECT userseg_adjusted_rand_score(t, p), userseg_adjusted_rand_score(ti, p)"
                    " FROM ari_rows")
        got_t, got_i = cur.fetchone()
        want = adjusted_rand_score(t, p)
        check(got_t == want and got_i == want,
              f"adjusted Rand index, {what}: scikit-learn's, to the bit",
              f"text {got_t!r}, bigint {got_i!r}, scikit-learn {want!r}")

    # NULLs are left out; no row gives NULL
    cur.execute("TRUNCATE ari_rows")
    cur.execute("INSERT INTO ari_rows VALUES ('a', 1, 0), ('a', 1, 0), ('b', 2, 1), ('b', 2, 0),"
                " (NULL, NULL, 1), ('b', 2, NULL)")
    cur.execute("SELECT userseg_adjusted_rand_score(t, p), userseg_adjusted_rand_score(ti, p)"
                " FROM ari_rows")
    got = cur.fetchone()
    want = adjusted_rand_score(["a", "a", "b", "b"], [0, 0, 1, 0])
    check(got == (want, want), "rows with a NULL label are left out", f"{got} vs {want}")
    cur.execute("SELECT userseg_adjusted_rand_score(t, p) FROM ari_rows WHERE false")
    got = cur.fetchone()[0]
    check(got is None, "no row gives NULL", repr(got))

    # A parallel plan (partial states serialized, combined) gives the serial result
    # (a plain table: temporary tables are not scanned in parallel)
    cur.execute("DROP TABLE IF EXISTS ari_big")
    cur.execute("CREATE TABLE ari_big AS SELECT s.latent_segment AS t, (u.age / 3) AS p"
                " FROM userseg_sample_segments(200000, 5) s"
                " JOIN userseg_sample_users(200000, 5) u USING (user_id)")
    cur.execute("SELECT userseg_adjusted_rand_score(t, p) FROM ari_big")
    serial = cur.fetchone()[0]
    cur.execute("SELECT t, p FROM ari_big WHERE p IS NOT NULL")
    rows = cur.fetchall()
    want = adjusted_rand_score([r[0] for r in rows], [r[1] for r in rows])
    check(serial == want, "200,000 rows: scikit-learn's, to the bit", f"{serial!r} vs {want!r}")
    cur.execute("SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;"
                " SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2")
    cur.execute("EXPLAIN SELECT userseg_adjusted_rand_score(t, p) FROM ari_big")
    plan = "\n".join(r[0] for r in cur.fetchall())
    cur.execute("SELECT userseg_adjusted_rand_score(t, p) FROM ari_big")
    par = cur.fetchone()[0]
    cur.execute("RESET parallel_setup_cost; RESET parallel_tuple_cost;"
                " RESET min_parallel_table_scan_size; RESET max_parallel_workers_per_gather")
    check("Partial Aggregate" in plan and par == serial,
          "a parallel plan (partial aggregates) gives the serial result",
          f"{par!r} vs {serial!r}; plan:\n{plan}")
    cur.execute("DROP TABLE ari_big")


def separated_table(cur, name, spread):
    cur.execute(f"""
        CREATE TABLE {name} AS
        SELECT u.user_id, u.age, ln(1 + u.daily_usage_minutes) AS log_minutes,
               ln(1 + u.posts_per_day) AS log_posts, ln(1 + u.likes_received_per_day) AS log_likes,
               ln(1 + u.comments_received_per_day) AS log_comments,
               ln(1 + u.messages_sent_per_day) AS log_messages, s.latent_segment
        FROM userseg_sample_users(%s, %s, %s) u
        JOIN userseg_sample_segments(%s, %s, %s) s USING (user_id);
        ALTER TABLE {name} ADD PRIMARY KEY (user_id);""", (N, SEED, spread, N, SEED, spread))


def fetch(cur, name, cols):
    cur.execute(f"SELECT {', '.join(cols)} FROM {name} WHERE age IS NOT NULL"
                " AND log_messages IS NOT NULL ORDER BY user_id")
    return cur.fetchall()


def agreement(cur, name, column):
    cur.execute(f"SELECT userseg_adjusted_rand_score(latent_segment, {column}),"
                f" userseg_adjusted_rand_score(latent_segment, {column})"
                f"   FILTER (WHERE {column} <> -1),"
                f" count(DISTINCT {column}) FILTER (WHERE {column} <> -1),"
                f" count(*) FILTER (WHERE {column} = -1) FROM {name}")
    return cur.fetchone()


def latent_cases(cur):
    separated_table(cur, "latent_users", SPREAD)
    feats = "ARRAY[%s]" % ", ".join("'%s'" % f for f in FEATURES)
    cur.execute(f"SELECT n_clusters, rows_used, noise FROM userseg_dbscan('latent_users', {feats},"
                f" {EPS}, {MIN_SAMPLES}, label_column => 'dbscan', id_column => 'user_id')")
    db_clusters, rows_used, db_noise = cur.fetchone()
    cur.execute(f"SELECT n_clusters, bandwidth FROM userseg_meanshift('latent_users', {feats},"
                " bin_seeding => true, min_bin_freq => 20, quantile => 0.15, n_samples => 2000,"
                " seed => %s, label_column => 'meanshift', id_column => 'user_id')", (SEED,))
    ms_clusters, bandwidth = cur.fetchone()

    rows = fetch(cur, "latent_users", FEATURES + ["latent_segment", "dbscan", "meanshift"])
    X = np.array([r[:6] for r in rows], dtype=float)
    truth = [r[6] for r in rows]
    db = np.array([r[7] for r in rows])
    ms = np.array([r[8] for r in rows])
    check(len(rows) == rows_used and rows_used > 0.98 * N,
          "the users with every feature are the rows used", f"{len(rows)} vs {rows_used}")

    for what, column, clusters in [("DBSCAN", "dbscan", db_clusters),
                                   ("Mean Shift", "meanshift", ms_clusters)]:
        counted, without_noise, found, noise = agreement(cur, "latent_users", column)
        check(clusters == 6 and found == 6, f"{what} finds the six latent segments",
              f"{clusters} clusters")
        check(counted >= 0.9 and without_noise >= 0.9,
              f"{what}: adjusted Rand index against the latent segments at least 0.9",
              f"{counted:.4f} (noise counted), {without_noise:.4f} (noise left out)")
        labels = db if column == "dbscan" else ms
        sk = adjusted_rand_score(truth, labels)
        check(sk == counted, f"{what}: the index is scikit-learn's on the same labels",
              f"{counted!r} vs {sk!r}")
        print(f"# {what}: {clusters} clusters, noise {noise}, adjusted Rand {counted:.4f}"
              f" (noise counted), {without_noise:.4f} (left out)")

    # scikit-learn on the same rows, z-scored as userseg does
    Z = StandardScaler().fit_transform(X)
    sk_db = DBSCAN(eps=EPS, min_samples=MIN_SAMPLES).fit_predict(Z)
    check(np.array_equal(sk_db, db), "scikit-learn's DBSCAN gives the same labels",
          f"{np.sum(sk_db != db)} rows differ")
    sk_bw = estimate_bandwidth(Z, quantile=0.15, n_samples=2000, random_state=SEED)
    check(abs(sk_bw - bandwidth) <= 1e-12 * sk_bw, "the bandwidth is estimate_bandwidth's",
          f"{bandwidth!r} vs {sk_bw!r}")
    sk_ms = MeanShift(bandwidth=sk_bw, bin_seeding=True, min_bin_freq=20).fit_predict(Z)
    check(np.array_equal(sk_ms, ms), "scikit-learn's MeanShift gives the same labels",
          f"{np.sum(sk_ms != ms)} rows differ")
    print(f"# scikit-learn: DBSCAN adjusted Rand {adjusted_rand_score(truth, sk_db):.4f},"
          f" MeanShift {adjusted_rand_score(truth, sk_ms):.4f}")

    # On the default rows, the segments overlap: the same DBSCAN finds much less
    separated_table(cur, "latent_default", 1.0)
    cur.execute(f"SELECT n_clusters FROM userseg_dbscan('latent_default', {feats}, {EPS},"
                f" {MIN_SAMPLES}, label_column => 'dbscan', id_column => 'user_id')")
    default_clusters = cur.fetchone()[0]
    counted_default = agreement(cur, "latent_default", "dbscan")[0]
    check(counted_default < 0.5, "on the default rows (spread 1) DBSCAN recovers far less",
          f"{default_clusters} clusters, adjusted Rand {counted_default:.4f}")
    print(f"# default rows: DBSCAN {default_clusters} clusters, adjusted Rand {counted_default:.4f}")
    cur.execute("DROP TABLE latent_users; DROP TABLE latent_default")


def main():
    conn = psycopg2.connect("")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SET client_min_messages = warning")
        cur.execute("DROP TABLE IF EXISTS latent_users, latent_default")
        ari_cases(cur)
        latent_cases(cur)
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
