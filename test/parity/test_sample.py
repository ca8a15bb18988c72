"""Sample users: the latent segments are recoverable and the correlations have the
intended signs.

Fetches 5,000 generated users from the database (connection from the PG* environment),
then checks with scikit-learn and pandas:

- K-Means on the standardized numeric columns finds structure: its silhouette is clearly
  above that of two null models of the same data, each column shuffled on its own (no
  structure at all) and a Gaussian with the same covariance (correlation but no segments);
- the clusters found from the numeric columns alone carry information about the platform
  and the dominant emotion (normalized mutual information well above shuffled labels);
- correlations and group means point the intended way; activity is right-skewed;
- NULLs and outliers appear at about their documented rates.

Prints one line per check, "ok - ..." or "not ok - ..." with the numbers.
"""
import sys
import warnings

import numpy as np
import pandas as pd
import psycopg2
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score, silhouette_score
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")

N = 5000
SEED = 2024
K = 6
NUMERIC = ["age", "daily_usage_minutes", "posts_per_day", "likes_received_per_day",
           "comments_received_per_day", "messages_sent_per_day"]


from tap import check


def main():
    conn = psycopg2.connect("")
    with conn.cursor() as cur:
        cur.execute("SELECT * FROM userseg_sample_users(%s, %s) ORDER BY user_id", (N, SEED))
        cols = [c.name for c in cur.description]
        df = pd.DataFrame(cur.fetchall(), columns=cols)
    conn.close()

    check(len(df) == N and list(df.user_id) == list(range(1, N + 1)),
          "5,000 rows with user_id 1..n", f"{len(df)} rows")

    # NULLs about 0.5% in their three columns, none elsewhere
    rates = df.isna().mean()
    null_cols = {"age", "messages_sent_per_day", "dominant_emotion"}
    ok = all(0.001 <= rates[c] <= 0.012 for c in null_cols) and \
        all(rates[c] == 0 for c in df.columns if c not in null_cols)
    check(ok, "NULL rates about 0.5% in age, messages, emotion only",
          ", ".join(f"{c}={rates[c]:.4f}" for c in df.columns))

    data = df.dropna(subset=NUMERIC).reset_index(drop=True)
    X = data[NUMERIC].to_numpy(dtype=float)
    Z = StandardScaler().fit_transform(X)
    rng = np.random.default_rng(SEED)

    # Null models: independent shuffles, and a Gaussian with the same covariance
    shuffled = np.column_stack([rng.permutation(Z[:, j]) for j in range(Z.shape[1])])
    gauss = rng.multivariate_normal(np.zeros(Z.shape[1]), np.cov(Z.T), size=len(Z))

    def kmeans_silhouette(M):
        km = KMeans(n_clusters=K, n_init=4, random_state=0).fit(M)
        return silhouette_score(M, km.labels_), km.labels_

    s_data, labels = kmeans_silhouette(Z)
    s_shuf, _ = kmeans_silhouette(shuffled)
    s_gauss, _ = kmeans_silhouette(gauss)
    check(s_data > s_shuf + 0.05,
          f"K-Means (k={K}) silhouette clearly above column-shuffled data",
          f"data {s_data:.3f}, shuffled {s_shuf:.3f}")
    check(s_data > s_gauss + 0.05,
          f"K-Means (k={K}) silhouette clearly above a Gaussian of the same covariance",
          f"data {s_data:.3f}, gaussian {s_gauss:.3f}")

    # Clusters from numeric columns only tell about platform and emotion
    for col in ("platform", "dominant_emotion"):
        cat = data[col].fillna("(null)").to_numpy()
        nmi = normalized_mutual_info_score(cat, labels)
        nmi_null = max(normalized_mutual_info_score(rng.permutation(cat), labels)
                       for _ in range(5))
        check(nmi > 0.04 and nmi > 5 * nmi_null,
              f"numeric clusters carry information on {col}",
              f"NMI {nmi:.4f}, shuffled at most {nmi_null:.4f}")

    # Correlation signs
    corr = data[NUMERIC].corr()
    intended = [
        ("daily_usage_minutes", "likes_received_per_day", +1),
        ("daily_usage_minutes", "posts_per_day", +1),
        ("posts_per_day", "likes_received_per_day", +1),
        ("likes_received_per_day", "comments_received_per_day", +1),
        ("daily_usage_minutes", "messages_sent_per_day", +1),
        ("age", "posts_per_day", -1),
        ("age", "messages_sent_per_day", -1),
    ]
    for a, b, sign in intended:
        r = corr.loc[a, b]
        check(sign * r > 0.05, f"corr({a}, {b}) is {'positive' if sign > 0 else 'negative'}",
              f"{r:.3f}")

    # Group means point the intended way
    by_platform = df.groupby("platform")[["daily_usage_minutes", "likes_received_per_day",
                                          "messages_sent_per_day", "age"]].mean()
    check(by_platform.loc["Instagram", "daily_usage_minutes"] >
          by_platform.loc["LinkedIn", "daily_usage_minutes"] * 1.5,
          "Instagram users spend far more time than LinkedIn users",
          f"{by_platform.loc['Instagram', 'daily_usage_minutes']:.1f} vs "
          f"{by_platform.loc['LinkedIn', 'daily_usage_minutes']:.1f} minutes")
    check(by_platform.loc["Whatsapp", "messages_sent_per_day"] >
          by_platform.loc["Facebook", "messages_sent_per_day"] * 1.5,
          "Whatsapp users send far more messages than Facebook users",
          f"{by_platform.loc['Whatsapp', 'messages_sent_per_day']:.1f} vs "
          f"{by_platform.loc['Facebook', 'messages_sent_per_day']:.1f}")
    check(by_platform["age"].idxmax() == "LinkedIn", "LinkedIn users are the oldest",
          by_platform["age"].round(1).to_dict())
    by_emotion = df.groupby("dominant_emotion")["likes_received_per_day"].mean()
    check(by_emotion.idxmax() == "Happiness" and by_emotion["Happiness"] > 2 * by_emotion["Boredom"],
          "happy users receive the most likes, over twice the bored ones",
          by_emotion.round(1).to_dict())

    # Right skew and rare outliers
    # (skewness of the bulk: the top 1% of each column left out, so outliers do not decide)
    act = data[NUMERIC[1:]]
    skew = pd.Series({c: act[c][act[c] <= act[c].quantile(0.99)].skew() for c in act.columns})
    check((skew > 0.3).all(), "activity columns are right-skewed without their top 1%",
          skew.round(2).to_dict())
    heavy = (df.daily_usage_minutes > 720).mean()
    check(0 < heavy < 0.01, "a few outliers beyond 720 minutes a day", f"{heavy:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
