/*-------------------------------------------------------------------------
 *
 * scale_core.c
 *	  Scalers of the numeric core, with scikit-learn's semantics.
 *
 * zscore (StandardScaler): center is the mean, scale the population standard
 * deviation, both computed in two passes with the rounding correction of
 * scikit-learn's _incremental_mean_and_var; a column is constant when its
 * variance is within n * eps * var + (n * mean * eps)^2 (_is_constant_feature).
 *
 * minmax (MinMaxScaler to [0, 1]): center is the minimum, scale the range.
 *
 * robust (RobustScaler): center is the median, scale the interquartile range
 * (25th to 75th percentile, linear interpolation as numpy.percentile).  This
 * needs a sorted copy of one column at a time: O(n) extra memory, O(d n log n).
 *
 * A scale below 10 * eps (or a constant column) becomes 1, so a constant column
 * maps to 0 and never to NaN.  Interrupts are checked once per column.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "uscore.h"

static int
CompareDoubles(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * Sort doubles ascending
 */
void
UsSortDoubles(double *x, int64_t n)
{
	qsort(x, (size_t) n, sizeof(double), CompareDoubles);
}

/*
 * Quantile of sorted values with linear interpolation
 */
double
UsQuantileSorted(const double *sorted, int64_t n, double q)
{
	double		pos;
	int64_t		lo;
	double		frac;

	if (n <= 0)
		return NAN;
	pos = q * (double) (n - 1);
	lo = (int64_t) floor(pos);
	if (lo >= n - 1)
		return sorted[n - 1];
	frac = pos - (double) lo;
	/* numpy's _lerp: a + (b - a) * t, or b - (b - a) * (1 - t) past the middle */
	if (frac >= 0.5)
		return sorted[lo + 1] - (sorted[lo + 1] - sorted[lo]) * (1.0 - frac);
	return sorted[lo] + (sorted[lo + 1] - sorted[lo]) * frac;
}

static inline double
HandleZeroScale(double scale)
{
	return (scale < 10.0 * DBL_EPSILON) ? 1.0 : scale;
}

static void
FitZscore(const UsCore *core, const UsMatrix *m, double *center, double *scale)
{
	int			d = m->d;
	int64_t		n = m->n;
	double	   *corr = UsAlloc(core, sizeof(double) * d);
	double	   *ssq = UsAlloc(core, sizeof(double) * d);

	for (int j = 0; j < d; j++)
		center[j] = 0.0;
	for (int64_t i = 0; i < n; i++)
	{
		const double *row = m->x + i * d;

		for (int j = 0; j < d; j++)
			center[j] += row[j];
		if (i % (US_CHECK_EVERY * 16) == 0)
			UsCheck(core);
	}
	for (int j = 0; j < d; j++)
		center[j] /= (double) n;

	for (int64_t i = 0; i < n; i++)
	{
		const double *row = m->x + i * d;

		for (int j = 0; j < d; j++)
		{
			double		t = row[j] - center[j];

			corr[j] += t;
			ssq[j] += t * t;
		}
		if (i % (US_CHECK_EVERY * 16) == 0)
			UsCheck(core);
	}
	for (int j = 0; j < d; j++)
	{
		double		var = (ssq[j] - corr[j] * corr[j] / (double) n) / (double) n;
		double		bound = (double) n * DBL_EPSILON * var +
			((double) n * center[j] * DBL_EPSILON) * ((double) n * center[j] * DBL_EPSILON);

		if (var <= bound)
			scale[j] = 1.0;
		else
			scale[j] = HandleZeroScale(sqrt(var));
	}
	UsFree(core, corr);
	UsFree(core, ssq);
}

static void
FitMinmax(const UsCore *core, const UsMatrix *m, double *center, double *scale)
{
	int			d = m->d;

	for (int j = 0; j < d; j++)
	{
		center[j] = INFINITY;
		scale[j] = -INFINITY;	/* the maximum, until the end */
	}
	for (int64_t i = 0; i < m->n; i++)
	{
		const double *row = m->x + i * d;

		for (int j = 0; j < d; j++)
		{
			if (row[j] < center[j])
				center[j] = row[j];
			if (row[j] > scale[j])
				scale[j] = row[j];
		}
		if (i % (US_CHECK_EVERY * 16) == 0)
			UsCheck(core);
	}
	for (int j = 0; j < d; j++)
		scale[j] = HandleZeroScale(scale[j] - center[j]);
}

static void
FitRobust(const UsCore *core, const UsMatrix *m, double *center, double *scale)
{
	int			d = m->d;
	int64_t		n = m->n;
	double	   *col = UsAlloc(core, sizeof(double) * (size_t) n);

	for (int j = 0; j < d; j++)
	{
		UsCheck(core);
		for (int64_t i = 0; i < n; i++)
			col[i] = m->x[i * d + j];
		UsSortDoubles(col, n);
		center[j] = UsQuantileSorted(col, n, 0.5);
		scale[j] = HandleZeroScale(UsQuantileSorted(col, n, 0.75) -
								   UsQuantileSorted(col, n, 0.25));
	}
	UsFree(core, col);
}

/*
 * Fit a scaler on the rows of m (n >= 1)
 */
void
UsScaleFit(const UsCore *core, const UsMatrix *m, UsScaleMethod method,
		   double *center, double *scale)
{
	switch (method)
	{
		case US_SCALE_ZSCORE:
			FitZscore(core, m, center, scale);
			break;
		case US_SCALE_MINMAX:
			FitMinmax(core, m, center, scale);
			break;
		case US_SCALE_ROBUST:
			FitRobust(core, m, center, scale);
			break;
		case US_SCALE_NONE:
		default:
			for (int j = 0; j < m->d; j++)
			{
				center[j] = 0.0;
				scale[j] = 1.0;
			}
			break;
	}
}

/*
 * Scale in place
 */
void
UsScaleApply(const UsMatrix *m, const double *center, const double *scale)
{
	int			d = m->d;

	for (int64_t i = 0; i < m->n; i++)
	{
		double	   *row = m->x + i * d;

		for (int j = 0; j < d; j++)
			row[j] = (row[j] - center[j]) / scale[j];
	}
}

/*
 * Unscale in place
 */
void
UsScaleInverse(const UsMatrix *m, const double *center, const double *scale)
{
	int			d = m->d;

	for (int64_t i = 0; i < m->n; i++)
	{
		double	   *row = m->x + i * d;

		for (int j = 0; j < d; j++)
			row[j] = row[j] * scale[j] + center[j];
	}
}
