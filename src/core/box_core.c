/*-------------------------------------------------------------------------
 *
 * box_core.c
 *	  Box-plot statistics: quartiles and Tukey's whiskers, of sorted values and of
 *	  each column of a matrix per group.
 *
 * Quantiles by linear interpolation between order statistics (percentile_cont,
 * numpy's and pandas' default, UsQuantileSorted), Tukey's whiskers at 1.5 IQR beyond
 * the quartiles, clipped to the data: the lowest value at or above Q1 - 1.5 IQR and
 * the highest at or below Q3 + 1.5 IQR (Tukey 1977; matplotlib's boxplot).
 *
 * Per group: each column's values (NaN left out) are gathered group by group into one
 * buffer of n doubles (a counting pass, then a placing pass) and each group's run is
 * sorted (sort_core.c, which checks interrupts).  O(n log n) time per column, n
 * doubles of memory beyond the k x d results; interrupts every US_CHECK_EVERY rows.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "uscore.h"

void
UsBoxStats(const double *sorted, int64_t n, UsBox *box)
{
	double		lo;
	double		hi;
	int64_t		i;

	memset(box, 0, sizeof(*box));
	box->n = n;
	if (n < 1)
	{
		box->min = box->q1 = box->median = box->q3 = box->max = NAN;
		box->whisker_low = box->whisker_high = NAN;
		return;
	}
	box->min = sorted[0];
	box->max = sorted[n - 1];
	box->q1 = UsQuantileSorted(sorted, n, 0.25);
	box->median = UsQuantileSorted(sorted, n, 0.5);
	box->q3 = UsQuantileSorted(sorted, n, 0.75);
	lo = box->q1 - 1.5 * (box->q3 - box->q1);
	hi = box->q3 + 1.5 * (box->q3 - box->q1);
	for (i = 0; i < n && sorted[i] < lo; i++)
		box->outliers_low++;
	box->whisker_low = sorted[i];
	for (i = n - 1; i >= 0 && sorted[i] > hi; i--)
		box->outliers_high++;
	box->whisker_high = sorted[i];
}

UsBox *
UsGroupBoxStats(const UsCore *core, const UsMatrix *m, const int32_t *group, int k)
{
	int64_t		n = m->n;
	int			d = m->d;
	UsBox	   *out = UsAlloc(core, sizeof(UsBox) * (size_t) (k > 0 ? k : 1) * (size_t) (d > 0 ? d : 1));
	double	   *buf = UsAlloc(core, sizeof(double) * (size_t) (n > 0 ? n : 1));
	int64_t    *start = UsAlloc(core, sizeof(int64_t) * (size_t) (k + 1));
	int64_t    *fill = UsAlloc(core, sizeof(int64_t) * (size_t) (k + 1));

	for (int j = 0; j < d; j++)
	{
		memset(start, 0, sizeof(int64_t) * (size_t) (k + 1));
		for (int64_t i = 0; i < n; i++)
			if (group[i] >= 0 && !isnan(m->x[i * d + j]))
				start[group[i] + 1]++;
		for (int c = 0; c < k; c++)
			start[c + 1] += start[c];
		memcpy(fill, start, sizeof(int64_t) * (size_t) (k + 1));
		for (int64_t i = 0; i < n; i++)
		{
			if (group[i] >= 0 && !isnan(m->x[i * d + j]))
				buf[fill[group[i]]++] = m->x[i * d + j];
			if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
				UsCheck(core);
		}
		for (int c = 0; c < k; c++)
		{
			UsSortDoubles(core, buf + start[c], start[c + 1] - start[c]);
			UsBoxStats(buf + start[c], start[c + 1] - start[c], &out[(size_t) c * d + j]);
		}
	}
	UsFree(core, buf);
	UsFree(core, start);
	UsFree(core, fill);
	return out;
}
