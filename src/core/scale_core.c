/*-------------------------------------------------------------------------
 *
 * scale_core.c
 *	  Scalers of the numeric core, with scikit-learn's semantics.
 *
 * zscore (StandardScaler): center is the mean, scale the population standard
 * deviation, both from the column moments (moments_core.c: two passes with the
 * rounding correction of scikit-learn's _incremental_mean_and_var, Chan, Golub &
 * LeVeque 1983, the first compensated, Neumaier 1974, so that the mean is nearly
 * correctly rounded whatever the row order; columns of huge magnitude are summed
 * times a power of two, so their mean and deviation stay finite when they are).  A column is constant, and gets
 * scale 1, exactly when its variance is within n * eps * var + (n * mean * eps)^2
 * (_is_constant_feature); scikit-learn applies no other threshold to it.
 *
 * minmax (MinMaxScaler to [0, 1]): center is the minimum, scale the range.
 *
 * robust (RobustScaler): center is the median (the mean of the two middle values
 * for an even count, as numpy.median), scale the interquartile range (25th to
 * 75th percentile, linear interpolation as numpy.percentile).  This needs a
 * sorted copy of one column at a time: O(n) extra memory, O(d n log n), sorted
 * with the interruptible introsort of sort_core.c.
 *
 * For minmax and robust a scale below 10 * eps becomes 1 (_handle_zeros_in_scale),
 * so a constant column maps to 0 and never to NaN.  Interrupts are checked once
 * per column, every US_CHECK_EVERY * 16 rows in the row loops and inside sorts.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "uscore.h"

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
	/* values more than DBL_MAX apart: a weighted mean, which cannot overflow */
	if (!isfinite(sorted[lo + 1] - sorted[lo]))
		return sorted[lo] * (1.0 - frac) + sorted[lo + 1] * frac;
	/* numpy's _lerp: a + (b - a) * t, or b - (b - a) * (1 - t) past the middle */
	if (frac >= 0.5)
		return sorted[lo + 1] - (sorted[lo + 1] - sorted[lo]) * (1.0 - frac);
	return sorted[lo] + (sorted[lo + 1] - sorted[lo]) * frac;
}

/*
 * Median of sorted values: the middle one, or the mean of the two middle ones
 * (numpy.median's (a + b) / 2, written so that it cannot overflow)
 */
double
UsMedianSorted(const double *sorted, int64_t n)
{
	if (n <= 0)
		return NAN;
	if (n % 2 == 1)
		return sorted[n / 2];
	return 0.5 * sorted[n / 2 - 1] + 0.5 * sorted[n / 2];
}

/* A scale near 0 becomes 1; one out of the range of float8 stays (for a 22003) */
static inline double
HandleZeroScale(double scale)
{
	return (isfinite(scale) && scale < 10.0 * DBL_EPSILON) ? 1.0 : scale;
}

/*
 * Is a column of this variance indistinguishable from a constant one?
 * (scikit-learn's _is_constant_feature)
 */
bool
UsZscoreIsConstant(double var, double mean, int64_t n)
{
	double		nme = (double) n * mean * DBL_EPSILON;

	return var <= (double) n * DBL_EPSILON * var + nme * nme;
}

static void
FitZscore(const UsCore *core, const UsMatrix *m, double *center, double *scale)
{
	int			d = m->d;
	int64_t		n = m->n;
	UsMoments	mo;

	mo.count = NULL;
	mo.mean = center;
	mo.m2 = UsAlloc(core, sizeof(double) * d);
	mo.shift = UsAlloc(core, sizeof(int) * d);
	UsColumnMoments(core, m, false, &mo);
	for (int j = 0; j < d; j++)
	{
		/* the constant test is scale-free: take it in the units of m2 */
		double		var = mo.m2[j] / (double) n;

		scale[j] = UsZscoreIsConstant(var, ldexp(center[j], mo.shift[j]), n) ? 1.0 :
			UsMomentsStddev(&mo, j, (double) n);
	}
	UsFree(core, mo.m2);
	UsFree(core, mo.shift);
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

/*
 * Sort one column of n >= 1 values in place; its median and interquartile range
 */
void
UsRobustColumn(const UsCore *core, double *col, int64_t n, double *center, double *scale)
{
	UsSortDoubles(core, col, n);
	*center = UsMedianSorted(col, n);
	*scale = HandleZeroScale(UsQuantileSorted(col, n, 0.75) -
							 UsQuantileSorted(col, n, 0.25));
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
		{
			col[i] = m->x[i * d + j];
			if (i % (US_CHECK_EVERY * 16) == US_CHECK_EVERY * 16 - 1)
				UsCheck(core);
		}
		UsRobustColumn(core, col, n, &center[j], &scale[j]);
	}
	UsFree(core, col);
}

/*
 * Streaming zscore fit, for aggregates: per column three doubles, a compensated
 * sum (sum, compensation) and M2, the sum of squared deviations from the mean.
 * A row updates M2 as Welford (1962) does; two partial fits combine with the
 * formula of Chan, Golub & LeVeque (1979): M2 = M2a + M2b + (mean_b - mean_a)^2
 * na nb / n.
 *
 * The means in these updates are taken from the compensated sum as double-double
 * numbers (hi + lo, the remainder found with fma), and a deviation is computed as
 * (x - hi) - lo.  With a mean rounded to one double, a column like 1e6 + N(0, 1e-4)
 * loses the digits below one ulp of 1e6 in every deviation and M2 drifts by ~1e-9
 * relative; with the double-double mean, M2 stays within a few ulps of the two-pass
 * fit.  The mean itself is the compensated sum over n: nearly correctly rounded
 * whatever the order of rows or partial fits.
 */
static inline void
MeanDD(double hi, double lo, double n, double *mhi, double *mlo)
{
	double		m = (hi + lo) / n;

	*mhi = m;
	*mlo = (fma(-m, n, hi) + lo) / n;
}

void
UsZscoreAccAdd(double *acc, int64_t n_before, const double *row, int d)
{
	double		n0 = (double) n_before;
	double		n1 = (double) (n_before + 1);

	for (int j = 0; j < d; j++)
	{
		double	   *a = acc + 3 * j;
		double		x = row[j];
		double		ohi,
					olo,
					nhi,
					nlo;

		if (n_before == 0)
		{
			a[0] = x;
			a[1] = 0.0;
			a[2] = 0.0;
			continue;
		}
		MeanDD(a[0], a[1], n0, &ohi, &olo);
		UsNeumaierAdd(&a[0], &a[1], x);
		MeanDD(a[0], a[1], n1, &nhi, &nlo);
		a[2] += ((x - ohi) - olo) * ((x - nhi) - nlo);
	}
}

/* Combine the fit of nb rows (b) into that of na rows (a) */
void
UsZscoreAccCombine(double *a, int64_t na, const double *b, int64_t nb, int d)
{
	double		n = (double) na + (double) nb;

	if (nb == 0)
		return;
	for (int j = 0; j < d; j++)
	{
		double	   *aj = a + 3 * j;
		const double *bj = b + 3 * j;

		if (na == 0)
		{
			aj[0] = bj[0];
			aj[1] = bj[1];
			aj[2] = bj[2];
		}
		else
		{
			double		ahi,
						alo,
						bhi,
						blo,
						delta;

			MeanDD(aj[0], aj[1], (double) na, &ahi, &alo);
			MeanDD(bj[0], bj[1], (double) nb, &bhi, &blo);
			delta = (bhi - ahi) + (blo - alo);
			aj[2] += bj[2] + delta * delta * ((double) na / n) * (double) nb;
			UsNeumaierAdd(&aj[0], &aj[1], bj[0]);
			UsNeumaierAdd(&aj[0], &aj[1], bj[1]);
		}
	}
}

/* center (mean) and scale (population standard deviation, 1 if constant) of n >= 1 rows */
void
UsZscoreAccFinish(const double *acc, int64_t n, int d, double *center, double *scale)
{
	for (int j = 0; j < d; j++)
	{
		const double *a = acc + 3 * j;
		double		mean = (a[0] + a[1]) / (double) n;
		double		var = a[2] / (double) n;

		center[j] = mean;
		scale[j] = UsZscoreIsConstant(var, mean, n) ? 1.0 : sqrt(var);
	}
}

/* Streaming minmax fit: per column the minimum and the maximum */
void
UsMinmaxAccAdd(double *acc, int64_t n_before, const double *row, int d)
{
	for (int j = 0; j < d; j++)
	{
		double	   *a = acc + 2 * j;

		if (n_before == 0 || row[j] < a[0])
			a[0] = row[j];
		if (n_before == 0 || row[j] > a[1])
			a[1] = row[j];
	}
}

void
UsMinmaxAccCombine(double *a, int64_t na, const double *b, int64_t nb, int d)
{
	if (nb == 0)
		return;
	for (int j = 0; j < d; j++)
	{
		if (na == 0 || b[2 * j] < a[2 * j])
			a[2 * j] = b[2 * j];
		if (na == 0 || b[2 * j + 1] > a[2 * j + 1])
			a[2 * j + 1] = b[2 * j + 1];
	}
}

void
UsMinmaxAccFinish(const double *acc, int d, double *center, double *scale)
{
	for (int j = 0; j < d; j++)
	{
		center[j] = acc[2 * j];
		scale[j] = HandleZeroScale(acc[2 * j + 1] - acc[2 * j]);
	}
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
