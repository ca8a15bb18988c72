/*-------------------------------------------------------------------------
 *
 * ari_core.c
 *	  The adjusted Rand index of two labelings, from their contingency table.
 *
 * Design
 * ------
 * The input is a contingency table as a list of cells: true class a[i],
 * predicted cluster b[i], count[i] > 0 (a pair may appear more than once; its
 * counts add up).  Classes and clusters are any 64-bit codes.  The cells are
 * sorted by (a, b) and by b with the core's interruptible sort, which gives the
 * sum of squared cell counts, the class sizes n_i. and the cluster sizes n_.j;
 * then, as scikit-learn's pair_confusion_matrix (1.2):
 *
 *	 tp = sum n_ij^2 - n,  fp = sum n_.j^2 - sum n_ij^2,
 *	 fn = sum n_i.^2 - sum n_ij^2,  tn = n^2 - fp - fn - sum n_ij^2
 *	 ARI = 1 if fp = fn = 0, else
 *		   2 (tp tn - fn fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn))
 *
 * (Hubert and Arabie, "Comparing partitions", Journal of Classification 2,
 * 1985).  scikit-learn takes the numerator and the denominator as exact
 * integers and rounds each to a double once before dividing; with 128-bit
 * integers this file does the same up to n = 2^31 rows and so gives the same
 * bits.  Beyond that (or without a 128-bit type) the products are formed in
 * long double, within a few units in the last place.
 *
 * Cost and memory.  O(c log c) time for c cells, 2 c 64-bit indexes; interrupts
 * are checked inside the sorts and every US_CHECK_EVERY cells.
 *
 *-------------------------------------------------------------------------
 */
#include "uscore.h"

typedef struct AriCells
{
	const int64_t *a;
	const int64_t *b;
} AriCells;

static int
AriCompareAB(int64_t i, int64_t j, void *arg)
{
	const AriCells *c = (const AriCells *) arg;

	if (c->a[i] != c->a[j])
		return c->a[i] < c->a[j] ? -1 : 1;
	if (c->b[i] != c->b[j])
		return c->b[i] < c->b[j] ? -1 : 1;
	return i < j ? -1 : (i > j);
}

static int
AriCompareB(int64_t i, int64_t j, void *arg)
{
	const AriCells *c = (const AriCells *) arg;

	if (c->b[i] != c->b[j])
		return c->b[i] < c->b[j] ? -1 : 1;
	return i < j ? -1 : (i > j);
}

/*
 * Sums of squares of the merged cells, of the runs of equal a (in the (a, b)
 * order) and of the runs of equal b; long double: exact below 2^64
 */
typedef struct AriSums
{
	long double n;
	long double cells;
	long double rows;
	long double cols;
} AriSums;

static void
AriSumRuns(const UsCore *core, const AriCells *c, const int64_t *count,
		   const int64_t *idx, int64_t ncells, bool by_ab, AriSums *s)
{
	long double run_ab = 0.0L;
	long double run_a = 0.0L;
	int64_t		k;

	for (k = 0; k < ncells; k++)
	{
		int64_t		i = idx[k];
		bool		new_a = k == 0 || c->a[i] != c->a[idx[k - 1]];
		bool		new_b = k == 0 || c->b[i] != c->b[idx[k - 1]];

		if (k % US_CHECK_EVERY == 0)
			UsCheck(core);
		if (by_ab)
		{
			if (new_a || new_b)
			{
				s->cells += run_ab * run_ab;
				run_ab = 0.0L;
			}
			if (new_a)
			{
				s->rows += run_a * run_a;
				run_a = 0.0L;
			}
			run_ab += (long double) count[i];
			run_a += (long double) count[i];
			s->n += (long double) count[i];
		}
		else
		{
			if (new_b)
			{
				s->cols += run_a * run_a;
				run_a = 0.0L;
			}
			run_a += (long double) count[i];
		}
	}
	if (by_ab)
	{
		s->cells += run_ab * run_ab;
		s->rows += run_a * run_a;
	}
	else
		s->cols += run_a * run_a;
}

double
UsAdjustedRandScore(const UsCore *core, const int64_t *a, const int64_t *b,
					const int64_t *count, int64_t ncells)
{
	AriCells	c = {a, b};
	AriSums		s = {0.0L, 0.0L, 0.0L, 0.0L};
	int64_t    *idx;
	int64_t		k;
	long double tp,
				fp,
				fn,
				tn;

	if (ncells <= 0)
		return 1.0;
	idx = UsAlloc(core, sizeof(int64_t) * (size_t) ncells);
	for (k = 0; k < ncells; k++)
		idx[k] = k;
	UsSortIndexes(core, idx, ncells, AriCompareAB, &c);
	AriSumRuns(core, &c, count, idx, ncells, true, &s);
	UsSortIndexes(core, idx, ncells, AriCompareB, &c);
	AriSumRuns(core, &c, count, idx, ncells, false, &s);
	UsFree(core, idx);

	tp = s.cells - s.n;
	fp = s.cols - s.cells;
	fn = s.rows - s.cells;
	if (fp == 0.0L && fn == 0.0L)
		return 1.0;
	tn = s.n * s.n - fp - fn - s.cells;

#ifdef __SIZEOF_INT128__
	if (s.n <= 2147483648.0L)
	{
		/* every figure below n^2 <= 2^62, every product below 2^125: exact */
		__int128	itp = (__int128) (int64_t) tp;
		__int128	ifp = (__int128) (int64_t) fp;
		__int128	ifn = (__int128) (int64_t) fn;
		__int128	itn = (__int128) (int64_t) tn;
		__int128	num = itp * itn - ifn * ifp;
		__int128	den = (itp + ifn) * (ifn + itn) + (itp + ifp) * (ifp + itn);

		return 2.0 * (double) num / (double) den;
	}
#endif
	return (double) (2.0L * (tp * tn - fn * fp) /
					 ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)));
}
