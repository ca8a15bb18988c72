/*-------------------------------------------------------------------------
 *
 * moments_core.c
 *	  Column moments of the numeric core: count, mean and sum of squared
 *	  deviations per column, for the zscore scaler, K-Means' tolerance and
 *	  userseg_describe.
 *
 * Two passes per column block: the first sums the values with compensation
 * (Neumaier 1974), so the mean is nearly correctly rounded whatever the row order;
 * the second sums the deviations t and their squares, and M2 = sum t^2 -
 * (sum t)^2 / n, the rounding correction of Chan, Golub & LeVeque (1983) that
 * scikit-learn's _incremental_mean_and_var applies.
 *
 * Range.  A column whose largest magnitude reaches 2^US_SAFE_EXP is summed as the
 * column times 2^shift (UsSafeShift: a power of two, exact), so neither the sum of
 * its values nor that of its squared deviations overflows; the mean is given back in
 * original units (it lies between the column's extremes, so it is finite) and M2
 * stays in the scaled units (UsMomentsStddev takes it back, Infinity when the
 * standard deviation itself is out of the range of float8).  Columns below the bound
 * have shift 0: their results are those of the plain formula, bit for bit.
 *
 * O(n d) time, O(d) memory beyond the outputs; interrupts are checked every
 * US_CHECK_EVERY * 16 rows.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "uscore.h"

/* The shift of each column (0 unless its magnitude calls for one) */
static void
MomentsShifts(const UsCore *core, const UsMatrix *m, int *shift)
{
	int			d = m->d;
	double	   *big = UsAlloc(core, sizeof(double) * (size_t) d);

	for (int64_t i = 0; i < m->n; i++)
	{
		const double *row = m->x + i * d;

		for (int j = 0; j < d; j++)
		{
			double		a = fabs(row[j]);

			/* NaN (a NULL kept by the caller) compares false: left out */
			big[j] = a > big[j] ? a : big[j];
		}
		if (i % (US_CHECK_EVERY * 16) == US_CHECK_EVERY * 16 - 1)
			UsCheck(core);
	}
	for (int j = 0; j < d; j++)
		shift[j] = UsSafeShift(core, &big[j], 1);
	UsFree(core, big);
}

void
UsColumnMoments(const UsCore *core, const UsMatrix *m, bool skip_nan, UsMoments *out)
{
	int			d = m->d;
	int64_t		n = m->n;
	int64_t    *count = UsAlloc(core, sizeof(int64_t) * (size_t) d);
	double	   *sum = UsAlloc(core, sizeof(double) * (size_t) d);
	double	   *comp = UsAlloc(core, sizeof(double) * (size_t) d);
	double	   *corr = UsAlloc(core, sizeof(double) * (size_t) d);
	double	   *ssq = UsAlloc(core, sizeof(double) * (size_t) d);
	double	   *mean = UsAlloc(core, sizeof(double) * (size_t) d);	/* scaled */
	double	   *factor = UsAlloc(core, sizeof(double) * (size_t) d);
	int		   *shift = UsAlloc(core, sizeof(int) * (size_t) d);
	bool		any_shift = false;

	MomentsShifts(core, m, shift);
	for (int j = 0; j < d; j++)
	{
		factor[j] = ldexp(1.0, shift[j]);
		any_shift |= shift[j] != 0;
	}

	/* first pass: compensated sums (x * 1.0 is x: no shift, no change) */
	for (int64_t i = 0; i < n; i++)
	{
		const double *row = m->x + i * d;

		for (int j = 0; j < d; j++)
		{
			double		v = row[j];

			if (skip_nan && isnan(v))
				continue;
			if (any_shift)
				v *= factor[j];
			UsNeumaierAdd(&sum[j], &comp[j], v);
			count[j]++;
		}
		if (i % (US_CHECK_EVERY * 16) == 0)
			UsCheck(core);
	}
	for (int j = 0; j < d; j++)
		mean[j] = count[j] > 0 ? (sum[j] + comp[j]) / (double) count[j] : NAN;

	/* second pass: deviations and their squares */
	for (int64_t i = 0; i < n; i++)
	{
		const double *row = m->x + i * d;

		for (int j = 0; j < d; j++)
		{
			double		v = row[j];
			double		t;

			if (skip_nan && isnan(v))
				continue;
			if (any_shift)
				v *= factor[j];
			t = v - mean[j];
			corr[j] += t;
			ssq[j] += t * t;
		}
		if (i % (US_CHECK_EVERY * 16) == 0)
			UsCheck(core);
	}

	for (int j = 0; j < d; j++)
	{
		double		m2 = count[j] > 0 ?
			ssq[j] - corr[j] * corr[j] / (double) count[j] : NAN;

		/* (sum t)^2 / n <= sum t^2, but rounding can cross it for a constant column */
		if (m2 < 0.0)
			m2 = 0.0;

		if (out->count)
			out->count[j] = count[j];
		if (out->mean)
			out->mean[j] = ldexp(mean[j], -shift[j]);
		if (out->m2)
			out->m2[j] = m2;
		if (out->shift)
			out->shift[j] = shift[j];
	}
	UsFree(core, count);
	UsFree(core, sum);
	UsFree(core, comp);
	UsFree(core, corr);
	UsFree(core, ssq);
	UsFree(core, mean);
	UsFree(core, factor);
	UsFree(core, shift);
}

/*
 * Standard deviation sqrt(m2 / divisor) of column j in original units
 */
double
UsMomentsStddev(const UsMoments *mo, int j, double divisor)
{
	return ldexp(sqrt(mo->m2[j] / divisor), -mo->shift[j]);
}
