/*-------------------------------------------------------------------------
 *
 * kmeans_step_core.c
 *	  One Lloyd step of K-Means as a combinable accumulator: per-center sums,
 *	  counts and inertia of rows assigned to given centers.
 *
 * This is what lets K-Means run over a table of any size: each iteration is one
 * pass over the rows that adds every row to the accumulator of its nearest center,
 * and accumulators of disjoint sets of rows (parallel workers, Citus shards) add up.
 * The accumulator is a flat array of doubles so that the SQL layer can hold it in a
 * float8[] whose text form round-trips exactly (PostgreSQL 15 prints float8 as the
 * shortest text that reads back as the same double):
 *
 *	 [0] format (US_STEP_FORMAT)   [1] k   [2] d   [3] rows added
 *	 [4] inertia (sum of squared distances to the nearest given center)
 *	 [5 ...]                  the k x d given centers, row-major
 *	 [.. + kp x d]            the same centers transposed in blocks (UsTransposeBlocks)
 *	 [.. + k]                 rows per center
 *	 [.. + k x d]             sums of the rows per center
 *
 * The transposed copy is kept so that no row pays for the transposition; it is
 * checked against the centers whenever an array arrives from outside (UsStepCheck).
 *
 * Arithmetic is that of the in-memory K-Means (kmeans_core.c): distances by
 * UsSqDistBlocks, the nearest center by strict comparison (ties to the lower number,
 * as scikit-learn's argmin), sums added row by row in the order rows arrive.  So one
 * accumulator fed the rows of a matrix in order holds bit for bit the sums and
 * counts of KmeansAssign's full pass over it; combined accumulators differ from it
 * only by the order of additions.  Counts are doubles, exact up to 2^53 rows.
 *
 * Cost: O(k d) per row (UsSqDistBlocks over all centers), O(k d) memory; no loop
 * here runs over rows (the caller feeds them one at a time and checks interrupts).
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "uscore.h"

static inline int
StepKp(int k)
{
	return (k + US_BLOCK - 1) / US_BLOCK * US_BLOCK;
}

int64_t
UsStepLength(int k, int d)
{
	return US_STEP_HDR + (int64_t) k * d + (int64_t) StepKp(k) * d + k + (int64_t) k * d;
}

void
UsStepLayout(double *s, UsStepView *v)
{
	int			k = (int) s[1];
	int			d = (int) s[2];

	v->k = k;
	v->d = d;
	v->kp = StepKp(k);
	v->s = s;
	v->centers = s + US_STEP_HDR;
	v->ct = v->centers + (size_t) k * d;
	v->counts = v->ct + (size_t) v->kp * d;
	v->sums = v->counts + k;
}

void
UsStepInit(double *s, const double *centers, int k, int d)
{
	UsStepView	v;

	memset(s, 0, sizeof(double) * (size_t) UsStepLength(k, d));
	s[0] = US_STEP_FORMAT;
	s[1] = k;
	s[2] = d;
	UsStepLayout(s, &v);
	memcpy(v.centers, centers, sizeof(double) * (size_t) k * d);
	UsTransposeBlocks(centers, k, d, v.ct);
}

const char *
UsStepCheck(const double *s, int64_t len, double *scratch)
{
	UsStepView	v;
	double		k = len >= US_STEP_HDR ? s[1] : 0;
	double		d = len >= US_STEP_HDR ? s[2] : 0;

	if (len < US_STEP_HDR)
		return "The state is shorter than its header.";
	if (s[0] != US_STEP_FORMAT)
		return "The state has an unknown format.";
	if (!(k >= 1 && k <= US_STEP_MAX_K && k == floor(k)))
		return "The state has an invalid number of centers.";
	if (!(d >= 1 && d <= US_STEP_MAX_D && d == floor(d)))
		return "The state has an invalid number of columns.";
	if (len != UsStepLength((int) k, (int) d))
		return "The state's length does not match its centers and columns.";
	UsStepLayout((double *) s, &v);
	if (!(s[3] >= 0 && s[3] <= 9007199254740992.0 && s[3] == floor(s[3])))
		return "The state has an invalid number of rows.";
	if (!(isfinite(s[4]) && s[4] >= 0))
		return "The state has an invalid inertia.";
	{
		double		total = 0;

		for (int c = 0; c < v.k; c++)
		{
			if (!(v.counts[c] >= 0 && v.counts[c] == floor(v.counts[c])))
				return "The state has an invalid count.";
			total += v.counts[c];
		}
		if (total != s[3])
			return "The state's counts do not add up to its rows.";
	}
	for (int64_t i = 0; i < (int64_t) v.k * v.d; i++)
		if (!isfinite(v.centers[i]) || !isfinite(v.sums[i]))
			return "The state holds a NaN or an Infinity.";
	/* the transposed copy must be the centers' */
	UsTransposeBlocks(v.centers, v.k, v.d, scratch);
	if (memcmp(scratch, v.ct, sizeof(double) * (size_t) v.kp * v.d) != 0)
		return "The state's transposed centers do not match its centers.";
	return NULL;
}

US_KERNEL void
UsStepAdd(const UsStepView *v, const double *x, double *alld)
{
	int			k = v->k;
	int			d = v->d;
	double		d1 = HUGE_VAL;
	int			b1 = 0;
	double	   *sum;

	UsSqDistBlocks(x, v->ct, d, v->kp, alld);
	for (int c = 0; c < k; c++)
	{
		if (alld[c] < d1)
		{
			d1 = alld[c];
			b1 = c;
		}
	}
	sum = v->sums + (size_t) b1 * d;
	for (int j = 0; j < d; j++)
		sum[j] += x[j];
	v->counts[b1] += 1;
	v->s[3] += 1;
	v->s[4] += d1;
}

bool
UsStepSameCenters(const UsStepView *a, const UsStepView *b)
{
	return a->k == b->k && a->d == b->d &&
		memcmp(a->centers, b->centers, sizeof(double) * (size_t) a->k * a->d) == 0;
}

void
UsStepCombine(const UsStepView *a, const UsStepView *b)
{
	for (int c = 0; c < a->k; c++)
		a->counts[c] += b->counts[c];
	for (int64_t i = 0; i < (int64_t) a->k * a->d; i++)
		a->sums[i] += b->sums[i];
	a->s[3] += b->s[3];
	a->s[4] += b->s[4];
}

void
UsStepMeans(const UsStepView *v, double *means)
{
	int			d = v->d;

	for (int c = 0; c < v->k; c++)
	{
		const double *sum = v->sums + (size_t) c * d;
		double	   *out = means + (size_t) c * d;

		if (v->counts[c] > 0)
		{
			/* as KmeansUpdate: a multiplication by the reciprocal of the count */
			double		alpha = 1.0 / v->counts[c];

			for (int j = 0; j < d; j++)
				out[j] = sum[j] * alpha;
		}
		else
			memcpy(out, v->centers + (size_t) c * d, sizeof(double) * d);
	}
}
