/*-------------------------------------------------------------------------
 *
 * distance_core.c
 *	  Distance kernels of the numeric core, and the range checks that keep
 *	  squared distances finite.
 *
 * Kernels.  Every vectorized kernel of the core is compiled with US_KERNEL
 * (uscore.h): a runtime-dispatched AVX2 clone and O3 loop vectorization (GCC on
 * x86-64 Linux; elsewhere plain code), with no a * b + c contracted to an FMA (the
 * avx2 target does not enable FMA, and contraction is off besides).  So every clone
 * computes each sum in the same order and the results do not depend on the
 * machine.
 *	- UsSqDistBlocks: one row against centers transposed in blocks of US_BLOCK
 *	  (K-Means' assignment and k-means++ trials).  Each distance is summed exactly
 *	  as UsSqDist sums it: even coordinates in one sum, odd ones in another.
 *	- UsSqDistTile: one row against US_TILE consecutive columns of a transposed
 *	  matrix (the silhouette's tiles), one sum per column over the coordinates in
 *	  order.
 *
 * Range.  Squared distances overflow float8 long before the values do: two rows
 * at +-1e308 are 4e616 apart in squared distance.  UsSafeShift gives a power of two
 * that brings a matrix's largest magnitude below 2^US_SAFE_EXP, where every sum of
 * squared distances over up to 2^40 rows and 2^31 columns stays finite; scaling by a
 * power of two is exact (but for values that fall below 2^-1022 afterwards), so
 * scale-free results (a silhouette, Calinski-Harabasz, Davies-Bouldin, which
 * cluster is nearest) computed on the scaled rows are those of the original rows.
 * UsDistanceOverflowColumn finds data whose squared distances summed over its rows
 * would overflow in original units (K-Means' potential and inertia).
 *
 * Interrupts: UsDistanceOverflowColumn and UsSafeShift check every US_CHECK_EVERY
 * rows; the kernels work on one row and leave checks to their callers.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "uscore.h"

/*
 * Transpose k x d rows into blocks of US_BLOCK (see UsSqDistBlocks); padding is 0
 */
void
UsTransposeBlocks(const double *rows, int k, int d, double *ct)
{
	int			kp = (k + US_BLOCK - 1) / US_BLOCK * US_BLOCK;

	memset(ct, 0, sizeof(double) * (size_t) kp * d);
	for (int c = 0; c < k; c++)
		for (int j = 0; j < d; j++)
			ct[((size_t) (c / US_BLOCK) * d + j) * US_BLOCK + c % US_BLOCK] =
				rows[(size_t) c * d + j];
}

/*
 * Squared distances from x to every center, ct being the centers transposed in
 * blocks of US_BLOCK (block b holds d x US_BLOCK values: ct[(b d + j) US_BLOCK + c]
 * is coordinate j of center b US_BLOCK + c); out receives kp = ceil(k / US_BLOCK)
 * US_BLOCK values.
 */
US_KERNEL void
UsSqDistBlocks(const double *x, const double *ct, int d, int kp, double *out)
{
	for (int b = 0; b < kp; b += US_BLOCK)
	{
		const double *cb = ct + (size_t) b * d;
		double		s0[US_BLOCK] = {0};
		double		s1[US_BLOCK] = {0};
		int			j = 0;

		for (; j + 1 < d; j += 2)
		{
			const double *r0 = cb + (size_t) j * US_BLOCK;
			const double *r1 = r0 + US_BLOCK;
			double		x0 = x[j];
			double		x1 = x[j + 1];

			for (int c = 0; c < US_BLOCK; c++)
			{
				double		t0 = x0 - r0[c];
				double		t1 = x1 - r1[c];

				s0[c] += t0 * t0;
				s1[c] += t1 * t1;
			}
		}
		if (j < d)
		{
			const double *r0 = cb + (size_t) j * US_BLOCK;
			double		x0 = x[j];

			for (int c = 0; c < US_BLOCK; c++)
			{
				double		t0 = x0 - r0[c];

				s0[c] += t0 * t0;
			}
		}
		for (int c = 0; c < US_BLOCK; c++)
			out[b + c] = s0[c] + s1[c];
	}
}

/*
 * Squared distances of row xi (d values) to US_TILE consecutive columns of a
 * transposed matrix (xt[c * stride + j] is coordinate c of column j)
 */
US_KERNEL void
UsSqDistTile(const double *xi, const double *xt, int64_t stride, int d, double *out)
{
	double		acc[US_TILE];	/* local: no aliasing, so the loop vectorizes */

	for (int j = 0; j < US_TILE; j++)
		acc[j] = 0.0;
	for (int c = 0; c < d; c++)
	{
		const double xc = xi[c];
		const double *col = xt + (int64_t) c * stride;

		for (int j = 0; j < US_TILE; j++)
		{
			double		t = xc - col[j];

			acc[j] += t * t;
		}
	}
	memcpy(out, acc, sizeof(acc));
}

/*
 * The exponent e such that x * 2^e has every magnitude below 2^US_SAFE_EXP:
 * 0 when the values are already below it (then nothing changes, bit for bit)
 */
int
UsSafeShift(const UsCore *core, const double *x, int64_t cells)
{
	double		big = 0.0;
	int			e;

	for (int64_t i = 0; i < cells; i++)
	{
		double		a = fabs(x[i]);

		big = a > big ? a : big;
		if (i % (US_CHECK_EVERY * 16) == US_CHECK_EVERY * 16 - 1)
			UsCheck(core);
	}
	if (!(big >= ldexp(1.0, US_SAFE_EXP)) || !isfinite(big))
		return 0;
	(void) frexp(big, &e);		/* big < 2^e */
	return US_SAFE_EXP - e;
}

/*
 * -1 when n times the largest squared distance between two rows of m stays
 * within float8 (so every distance, potential and inertia of K-Means is finite);
 * otherwise the column of the widest range, to name in the error
 */
int
UsDistanceOverflowColumn(const UsCore *core, const UsMatrix *m)
{
	int			d = m->d;
	int			widest = -1;
	double		wrange = -1.0;
	double	   *lo;
	double	   *hi;
	double		sum = 0.0;
	int			e;

	if (m->n < 2 || d < 1)
		return -1;
	lo = UsAlloc(core, sizeof(double) * (size_t) d);
	hi = UsAlloc(core, sizeof(double) * (size_t) d);
	for (int j = 0; j < d; j++)
	{
		lo[j] = INFINITY;
		hi[j] = -INFINITY;
	}
	for (int64_t i = 0; i < m->n; i++)
	{
		const double *x = m->x + i * d;

		for (int j = 0; j < d; j++)
		{
			lo[j] = x[j] < lo[j] ? x[j] : lo[j];
			hi[j] = x[j] > hi[j] ? x[j] : hi[j];
		}
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(core);
	}
	/* ranges, halved so that they cannot overflow */
	for (int j = 0; j < d; j++)
	{
		double		r = 0.5 * hi[j] - 0.5 * lo[j];

		if (r > wrange)
		{
			wrange = r;
			widest = j;
		}
	}
	if (!(wrange > 0.0))
	{
		UsFree(core, lo);
		UsFree(core, hi);
		return -1;
	}
	/* n sum_j range_j^2 = n 4 wrange^2 sum_j (r_j / wrange)^2, in logarithms */
	for (int j = 0; j < d; j++)
	{
		double		r = (0.5 * hi[j] - 0.5 * lo[j]) / wrange;

		sum += r * r;
	}
	UsFree(core, lo);
	UsFree(core, hi);
	(void) frexp(wrange, &e);	/* wrange < 2^e */
	if (log2((double) m->n) + log2(sum) + 2.0 + 2.0 * e < (double) DBL_MAX_EXP - 1.0)
		return -1;
	return widest;
}
