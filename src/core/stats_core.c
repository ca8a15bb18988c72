/*-------------------------------------------------------------------------
 *
 * stats_core.c
 *	  Combinable moments: count, mean, sum of squared deviations (M2), min and
 *	  max, row by row (Welford) and merged (Chan), for aggregates whose partial
 *	  states are flat arrays of doubles.
 *
 * A moment block is 5 doubles: n, mean, M2, min, max.  Adding x (B. P. Welford,
 * "Note on a method for calculating corrected sums of squares and products",
 * Technometrics 1962): n += 1, delta = x - mean, mean += delta / n,
 * M2 += delta (x - mean).  Merging a and b (T. F. Chan, G. H. Golub, R. J. LeVeque,
 * "Updating formulae and a pairwise algorithm for computing sample variances", 1979):
 * delta = mean_b - mean_a, n = n_a + n_b, mean = mean_a + delta n_b / n,
 * M2 = M2_a + M2_b + delta^2 n_a n_b / n.  Both are stable where the textbook
 * sum-of-squares formula cancels; merging in another order changes only rounding
 * (relative differences of a few ulps per merge), which is why a parallel plan agrees
 * with the serial one to about 1e-15.
 *
 * Cluster moments (for inertia and Calinski-Harabasz given labels): per label a
 * block of label, n, M2 (summed over the columns: the cluster's sum of squared
 * distances to its mean) and the d column means; blocks sorted by label, so merging
 * two states is a merge of sorted lists.  Inertia is the sum of the M2s; with the
 * overall mean as the count-weighted mean of the cluster means, the between-cluster
 * dispersion is sum n_c |mean_c - mean|^2 (scikit-learn's calinski_harabasz_score).
 *
 * No loop here runs over rows: callers add one row at a time (the executor checks
 * interrupts between rows).  O(d) per row, O(labels x d) per merge.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "uscore.h"

void
UsMomentInit(double *m)
{
	m[0] = 0.0;
	m[1] = 0.0;
	m[2] = 0.0;
	m[3] = HUGE_VAL;
	m[4] = -HUGE_VAL;
}

void
UsMomentAdd(double *m, double x)
{
	double		delta;

	m[0] += 1.0;
	delta = x - m[1];
	m[1] += delta / m[0];
	m[2] += delta * (x - m[1]);
	if (x < m[3])
		m[3] = x;
	if (x > m[4])
		m[4] = x;
}

void
UsMomentMerge(double *a, const double *b)
{
	double		n;
	double		delta;

	if (b[0] == 0.0)
		return;
	if (a[0] == 0.0)
	{
		memcpy(a, b, sizeof(double) * US_MOMENT_LEN);
		return;
	}
	n = a[0] + b[0];
	delta = b[1] - a[1];
	a[1] += delta * (b[0] / n);
	a[2] += b[2] + delta * delta * (a[0] * (b[0] / n));
	a[0] = n;
	if (b[3] < a[3])
		a[3] = b[3];
	if (b[4] > a[4])
		a[4] = b[4];
}

/* ---- cluster moments ---- */

int64_t
UsClusterFind(const double *blocks, int64_t m, int d, double label, bool *found)
{
	int64_t		lo = 0;
	int64_t		hi = m;
	int64_t		bs = US_CLUSTER_BLOCK(d);

	while (lo < hi)
	{
		int64_t		mid = lo + (hi - lo) / 2;
		double		l = blocks[mid * bs];

		if (l < label)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < m && blocks[lo * bs] == label;
	return lo;
}

void
UsClusterAdd(double *block, const double *x, int d)
{
	double		n = block[1] + 1.0;
	double	   *mean = block + 3;
	double		m2 = 0.0;

	block[1] = n;
	for (int j = 0; j < d; j++)
	{
		double		delta = x[j] - mean[j];

		mean[j] += delta / n;
		m2 += delta * (x[j] - mean[j]);
	}
	block[2] += m2;
}

void
UsClusterMergeBlock(double *a, const double *b, int d)
{
	double		n = a[1] + b[1];
	double		w = a[1] * (b[1] / n);
	double		m2 = 0.0;

	for (int j = 0; j < d; j++)
	{
		double		delta = b[3 + j] - a[3 + j];

		a[3 + j] += delta * (b[1] / n);
		m2 += delta * delta;
	}
	a[2] += b[2] + m2 * w;
	a[1] = n;
}

int64_t
UsClusterMerge(const double *a, int64_t ma, const double *b, int64_t mb, int d, double *out)
{
	int64_t		bs = US_CLUSTER_BLOCK(d);
	int64_t		i = 0,
				j = 0,
				m = 0;

	while (i < ma || j < mb)
	{
		double	   *o = out + m * bs;

		if (j >= mb || (i < ma && a[i * bs] < b[j * bs]))
			memcpy(o, a + (i++) * bs, sizeof(double) * bs);
		else if (i >= ma || b[j * bs] < a[i * bs])
			memcpy(o, b + (j++) * bs, sizeof(double) * bs);
		else
		{
			memcpy(o, a + (i++) * bs, sizeof(double) * bs);
			UsClusterMergeBlock(o, b + (j++) * bs, d);
		}
		m++;
	}
	return m;
}

void
UsClusterScores(const double *blocks, int64_t m, int d, double *rows, double *inertia,
				double *between)
{
	int64_t		bs = US_CLUSTER_BLOCK(d);
	double		n = 0.0;
	double		w = 0.0;
	double		b = 0.0;

	for (int64_t c = 0; c < m; c++)
	{
		n += blocks[c * bs + 1];
		w += blocks[c * bs + 2];
	}
	for (int j = 0; j < d; j++)
	{
		double		mean = 0.0;

		/* the overall mean of column j, weighted by the cluster sizes */
		for (int64_t c = 0; c < m; c++)
			mean += blocks[c * bs + 1] * blocks[c * bs + 3 + j];
		mean /= n;
		for (int64_t c = 0; c < m; c++)
		{
			double		delta = blocks[c * bs + 3 + j] - mean;

			b += blocks[c * bs + 1] * delta * delta;
		}
	}
	*rows = n;
	*inertia = w;
	*between = b;
}
