/*-------------------------------------------------------------------------
 *
 * labels_core.c
 *	  Label compaction: leave out noise (US_NOISE, DBSCAN's -1) and renumber the
 *	  other labels 0..k-1 in increasing order of their values, as every score
 *	  needs (metrics_core.c takes labels 0..k-1, each cluster with a row).
 *
 * Labels are any int32.  When the labels of the kept rows span at most 4 n + 1024
 * values (every algorithm's own labels, and most users'), a table over that span
 * renumbers them in O(n); otherwise a sorted copy of the labels (sort_core.c) and a
 * binary search per row, O(n log n).  Interrupts are checked every US_CHECK_EVERY
 * rows and inside the sort.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "uscore.h"

/* First index of v in the sorted distinct values u[0..k) (v is there) */
static int
LabelsFind(const int32_t *u, int k, int32_t v)
{
	int			lo = 0;
	int			hi = k - 1;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (u[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
UsCompactLabels(const UsCore *core, const int32_t *labels, int64_t n, int32_t *out,
				int64_t *kept)
{
	int64_t		nk = 0;
	int32_t		lo = INT32_MAX;
	int32_t		hi = INT32_MIN;
	int			k = 0;

	for (int64_t i = 0; i < n; i++)
	{
		int32_t		l = labels[i];

		if (l == US_NOISE)
			continue;
		nk++;
		lo = l < lo ? l : lo;
		hi = l > hi ? l : hi;
	}
	*kept = nk;
	if (nk == 0)
		return 0;

	if ((int64_t) hi - (int64_t) lo < 4 * nk + 1024)
	{
		int64_t		span = (int64_t) hi - (int64_t) lo + 1;
		int32_t    *map = UsAlloc(core, sizeof(int32_t) * (size_t) span);
		int64_t		r = 0;

		/* map[l - lo]: 1 when present, then the new number */
		for (int64_t i = 0; i < n; i++)
			if (labels[i] != US_NOISE)
				map[(int64_t) labels[i] - lo] = 1;
		for (int64_t v = 0; v < span; v++)
			map[v] = map[v] ? k++ : -1;
		for (int64_t i = 0; i < n; i++)
		{
			if (labels[i] != US_NOISE)
				out[r++] = map[(int64_t) labels[i] - lo];
			if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
				UsCheck(core);
		}
		UsFree(core, map);
	}
	else
	{
		int32_t    *u = UsAlloc(core, sizeof(int32_t) * (size_t) nk);
		int64_t		r = 0;

		for (int64_t i = 0; i < n; i++)
			if (labels[i] != US_NOISE)
				u[r++] = labels[i];
		UsSortInt32(core, u, nk);
		for (int64_t i = 0; i < nk; i++)
			if (i == 0 || u[i] != u[i - 1])
				u[k++] = u[i];
		r = 0;
		for (int64_t i = 0; i < n; i++)
		{
			if (labels[i] != US_NOISE)
				out[r++] = LabelsFind(u, k, labels[i]);
			if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
				UsCheck(core);
		}
		UsFree(core, u);
	}
	return k;
}

int
UsCompactRows(const UsCore *core, const UsMatrix *m, const int32_t *labels, UsMatrix *out,
			  int32_t **out_labels)
{
	int			d = m->d;
	int64_t		kept;
	int32_t    *cl = UsAlloc(core, sizeof(int32_t) * (size_t) (m->n > 0 ? m->n : 1));
	int			k = UsCompactLabels(core, labels, m->n, cl, &kept);
	int64_t		r = 0;

	out->n = kept;
	out->d = d;
	out->x = UsAlloc(core, sizeof(double) * (size_t) (kept > 0 ? kept : 1) * d);
	for (int64_t i = 0; i < m->n; i++)
	{
		if (labels[i] != US_NOISE)
			memcpy(out->x + (r++) * d, m->x + i * d, sizeof(double) * d);
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(core);
	}
	*out_labels = cl;
	return k;
}
