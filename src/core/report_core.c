/*-------------------------------------------------------------------------
 *
 * report_core.c
 *	  Per group column moments for the profiles and segment sentences.
 *
 * Input: an n x d matrix whose NaN cells are missing values, and a group index per
 * row in 0..k-1, or -1 for a row in no group (a NULL label).  Output per group and
 * column, and for all grouped rows together (group k): the count of non-missing
 * values, their sum, mean, sum of squared deviations from the mean, minimum and
 * maximum.  Two passes: compensated sums (Neumaier 1974) and extrema, then the squared
 * deviations from each mean; the same figures pandas' groupby gives (mean, std with
 * ddof = 1, min, max) to rounding.  A one-hot column's sum is a count and its mean a
 * share.  Time O(n d), memory O(k d); interrupts are checked every US_CHECK_EVERY
 * rows.  Values too large for float8 arithmetic overflow a sum or a sum of squares:
 * the caller learns the first such column and reports it.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "uscore.h"

/*
 * Moments per group (and overall in group k); returns -1, or the first column
 * whose sum or sum of squared deviations is not finite
 */
int
UsGroupMoments(const UsCore *core, const UsMatrix *m, const int32_t *group, int k,
			   UsGroupStats *out)
{
	int			d = m->d;
	size_t		cells = (size_t) (k + 1) * (size_t) d;
	double	   *comp = UsAlloc(core, sizeof(double) * cells);
	int			bad = -1;

	out->k = k;
	out->d = d;
	out->count = UsAlloc(core, sizeof(int64_t) * cells);
	out->sum = UsAlloc(core, sizeof(double) * cells);
	out->mean = UsAlloc(core, sizeof(double) * cells);
	out->m2 = UsAlloc(core, sizeof(double) * cells);
	out->min = UsAlloc(core, sizeof(double) * cells);
	out->max = UsAlloc(core, sizeof(double) * cells);
	for (size_t c = 0; c < cells; c++)
	{
		out->min[c] = INFINITY;
		out->max[c] = -INFINITY;
	}

	/* pass 1: counts, compensated sums, extrema */
	for (int64_t i = 0; i < m->n; i++)
	{
		const double *row = m->x + i * d;
		int			g = group[i];

		if ((i + 1) % US_CHECK_EVERY == 0)
			UsCheck(core);
		if (g < 0)
			continue;
		for (int pass = 0; pass < 2; pass++)
		{
			size_t		base = (size_t) (pass == 0 ? g : k) * (size_t) d;

			for (int j = 0; j < d; j++)
			{
				double		v = row[j];

				if (isnan(v))
					continue;
				out->count[base + j]++;
				UsNeumaierAdd(&out->sum[base + j], &comp[base + j], v);
				if (v < out->min[base + j])
					out->min[base + j] = v;
				if (v > out->max[base + j])
					out->max[base + j] = v;
			}
		}
	}
	for (size_t c = 0; c < cells; c++)
	{
		out->sum[c] += comp[c];
		out->mean[c] = out->count[c] > 0 ? out->sum[c] / (double) out->count[c] : NAN;
		if (!isfinite(out->sum[c]) && (bad < 0 || (int) (c % (size_t) d) < bad))
			bad = (int) (c % (size_t) d);
	}
	if (bad >= 0)
	{
		UsFree(core, comp);
		return bad;
	}

	/* pass 2: squared deviations from each group's mean and from the overall mean */
	for (int64_t i = 0; i < m->n; i++)
	{
		const double *row = m->x + i * d;
		int			g = group[i];

		if ((i + 1) % US_CHECK_EVERY == 0)
			UsCheck(core);
		if (g < 0)
			continue;
		for (int pass = 0; pass < 2; pass++)
		{
			size_t		base = (size_t) (pass == 0 ? g : k) * (size_t) d;

			for (int j = 0; j < d; j++)
			{
				double		v = row[j];
				double		dev;

				if (isnan(v))
					continue;
				dev = v - out->mean[base + j];
				out->m2[base + j] += dev * dev;
			}
		}
	}
	for (size_t c = 0; c < cells; c++)
		if (!isfinite(out->m2[c]))
		{
			int			j = (int) (c % (size_t) d);

			if (bad < 0 || j < bad)
				bad = j;
		}
	UsFree(core, comp);
	return bad;
}
