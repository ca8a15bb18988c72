/*-------------------------------------------------------------------------
 *
 * match_core.c
 *	  Matching a clustering to previous centers: the minimum-cost one-to-one
 *	  assignment and the renumbering it gives.
 *
 * A refit keeps its segments' numbers: new center i takes the number of the
 * previous center it is matched to, the matching being the one-to-one assignment of
 * least total squared distance (Hungarian algorithm, Kuhn 1955 / Munkres 1957, in
 * the O(k^3) form with potentials).  Memory: the k x k cost matrix and O(k) arrays,
 * allocated through the caller's UsCore (charged to its budget in a backend).
 * Interrupts are checked once per row of the assignment and every US_CHECK_EVERY
 * labels renumbered.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "uscore.h"

/*
 * Minimum-cost one-to-one assignment of n rows to n columns (Hungarian algorithm,
 * Kuhn 1955 / Munkres 1957, in the O(n^3) form with potentials).  cost is n x n,
 * row-major; assign[i] receives the column of row i.
 */
void
UsMinCostAssignment(const UsCore *core, const double *cost, int n, int *assign)
{
	double	   *u = UsAlloc(core, sizeof(double) * (n + 1));
	double	   *v = UsAlloc(core, sizeof(double) * (n + 1));
	double	   *minv = UsAlloc(core, sizeof(double) * (n + 1));
	int		   *p = UsAlloc(core, sizeof(int) * (n + 1));	/* column -> row (1-based) */
	int		   *way = UsAlloc(core, sizeof(int) * (n + 1));
	bool	   *used = UsAlloc(core, sizeof(bool) * (n + 1));

	for (int i = 1; i <= n; i++)
	{
		int			j0 = 0;

		UsCheck(core);
		p[0] = i;
		for (int j = 0; j <= n; j++)
		{
			minv[j] = HUGE_VAL;
			used[j] = false;
		}
		do
		{
			int			i0 = p[j0];
			int			j1 = 0;
			double		delta = HUGE_VAL;

			used[j0] = true;
			for (int j = 1; j <= n; j++)
			{
				if (used[j])
					continue;
				{
					double		cur = cost[(size_t) (i0 - 1) * n + (j - 1)] - u[i0] - v[j];

					if (cur < minv[j])
					{
						minv[j] = cur;
						way[j] = j0;
					}
					if (minv[j] < delta)
					{
						delta = minv[j];
						j1 = j;
					}
				}
			}
			if (j1 == 0)
			{
				/*
				 * No finite reduced cost is left (costs infinite, NaN or beyond
				 * the range of a double): every completion costs as much, so
				 * take the first free column.  Without this the loop never ends.
				 */
				for (int j = 1; j <= n; j++)
					if (!used[j])
					{
						j1 = j;
						way[j] = j0;
						break;
					}
				delta = 0.0;
			}
			for (int j = 0; j <= n; j++)
			{
				if (used[j])
				{
					u[p[j]] += delta;
					v[j] -= delta;
				}
				else
					minv[j] -= delta;
			}
			j0 = j1;
		} while (p[j0] != 0);
		do
		{
			int			j1 = way[j0];

			p[j0] = p[j1];
			j0 = j1;
		} while (j0 != 0);
	}
	for (int j = 1; j <= n; j++)
		assign[p[j] - 1] = j - 1;
	UsFree(core, u);
	UsFree(core, v);
	UsFree(core, minv);
	UsFree(core, p);
	UsFree(core, way);
	UsFree(core, used);
}

/*
 * Renumber centers, sizes and labels to match previous centers (see the head of
 * this file)
 */
void
UsMatchPrevious(const UsCore *core, const double *previous, int k, int d,
				double *centers, int64_t *sizes, int32_t *labels, int64_t n, int *assign)
{
	double	   *cost = UsAlloc(core, sizeof(double) * (size_t) k * k);
	int		   *map = UsAlloc(core, sizeof(int) * (size_t) k);
	double	   *moved = UsAlloc(core, sizeof(double) * (size_t) k * d);

	for (int i = 0; i < k; i++)
	{
		for (int j = 0; j < k; j++)
			cost[(size_t) i * k + j] = UsSqDist(centers + (size_t) i * d,
												previous + (size_t) j * d, d);
		if (i % 64 == 63)
			UsCheck(core);
	}
	UsMinCostAssignment(core, cost, k, map);
	for (int i = 0; i < k; i++)
		memcpy(moved + (size_t) map[i] * d, centers + (size_t) i * d, sizeof(double) * d);
	memcpy(centers, moved, sizeof(double) * (size_t) k * d);
	if (sizes)
	{
		int64_t    *s = (int64_t *) cost;	/* k * k doubles hold k sizes */

		for (int i = 0; i < k; i++)
			s[map[i]] = sizes[i];
		memcpy(sizes, s, sizeof(int64_t) * k);
	}
	if (labels)
		for (int64_t i = 0; i < n; i++)
		{
			labels[i] = map[labels[i]];
			if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
				UsCheck(core);
		}
	if (assign)
		memcpy(assign, map, sizeof(int) * k);
	UsFree(core, cost);
	UsFree(core, map);
	UsFree(core, moved);
}
