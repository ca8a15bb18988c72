/*-------------------------------------------------------------------------
 *
 * elbow_core.c
 *	  The elbow of a curve (the inertia of K-Means over k, and of any algorithm
 *	  swept over a parameter).
 *
 * The curve is normalized to the unit square (x from its first to its last value
 * onto [0, 1], y from its smallest to its largest onto [0, 1]); the elbow is the
 * interior point farthest below the chord from the first point to the last (the
 * "knee" of the kneedle method, V. Satopaa et al., "Finding a 'kneedle' in a
 * haystack", ICDCS workshops 2011, without its threshold).  Ties go to the first
 * point; with fewer than three points, a flat curve or no point at least min_gap
 * below the chord there is no elbow.  O(count).
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "uscore.h"

int
UsElbow(const double *x, const double *y, int count, double min_gap)
{
	double		lo = HUGE_VAL;
	double		hi = -HUGE_VAL;
	double		y0;
	double		yl;
	double		best_gap = min_gap;
	int			best = -1;

	if (count < 3)
		return -1;
	for (int i = 0; i < count; i++)
	{
		lo = y[i] < lo ? y[i] : lo;
		hi = y[i] > hi ? y[i] : hi;
	}
	if (!(hi > lo) || !isfinite(hi - lo) || !(x[count - 1] > x[0]))
		return -1;
	y0 = (y[0] - lo) / (hi - lo);
	yl = (y[count - 1] - lo) / (hi - lo);
	for (int i = 1; i < count - 1; i++)
	{
		double		xi = (x[i] - x[0]) / (x[count - 1] - x[0]);
		double		yi = (y[i] - lo) / (hi - lo);
		double		gap = y0 + (yl - y0) * xi - yi;

		if (gap > best_gap)
		{
			best_gap = gap;
			best = i;
		}
	}
	return best;
}
