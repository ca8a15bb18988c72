/*-------------------------------------------------------------------------
 *
 * sort_core.c
 *	  Sorts of the numeric core that check for interrupts.
 *
 * qsort cannot be interrupted: on 20 million rows a cancel would wait for the
 * whole sort (15 to 28 seconds in a metric aggregate).  These sorts are introsort
 * (D. Musser, "Introspective sorting and selection algorithms", Software: Practice
 * and Experience 27(8), 1997): quicksort with a median-of-three pivot, heapsort
 * past 2 log2(n) levels of recursion, insertion sort for ranges of at most 16
 * elements.  O(n log n) worst case, in place (O(log n) stack), not stable: the
 * callers compare with a total order (ties broken by position where it matters),
 * so the result is the one any correct sort gives.  Interrupts are checked every
 * US_CHECK_EVERY comparisons or so (counted per partition pass and per heap step).
 *
 * One template, instantiated for doubles (ascending, no NaN), int32, int64
 * indexes ordered by a caller's comparison, and 16-byte row keys (label, first
 * value, row number) for the canonical order of the metric aggregates' rows:
 * sorting keys rather than indexes keeps most comparisons within the key array
 * instead of waiting on memory (userseg_calinski_harabasz over 4 million rows of one
 * value took 5.5 to 6.9 s with the index sort, 2.5 to 3.5 s with the keys, on a
 * busy two-core machine).
 *
 *-------------------------------------------------------------------------
 */
#include "uscore.h"

#define SORT_SMALL 16

/* Work counter: check interrupts after US_CHECK_EVERY steps */
typedef struct SortTick
{
	const UsCore *core;
	int64_t		steps;
} SortTick;

static inline void
SortTickAdd(SortTick *t, int64_t steps)
{
	t->steps += steps;
	if (t->steps >= US_CHECK_EVERY)
	{
		t->steps = 0;
		UsCheck(t->core);
	}
}

static int
SortDepthLimit(int64_t n)
{
	int			depth = 0;

	while (n > 1)
	{
		n >>= 1;
		depth++;
	}
	return 2 * depth;
}

/*
 * SORT_DEFINE(NAME, T, LESS): static NAME##Range(...) sorting T x[lo, hi) by
 * LESS(a, b, arg)
 */
#define SORT_DEFINE(NAME, T, LESS) \
static void \
NAME##Insertion(T *x, int64_t lo, int64_t hi, const void *arg) \
{ \
	for (int64_t i = lo + 1; i < hi; i++) \
	{ \
		T			v = x[i]; \
		int64_t		j = i; \
		while (j > lo && LESS(v, x[j - 1], arg)) \
		{ \
			x[j] = x[j - 1]; \
			j--; \
		} \
		x[j] = v; \
	} \
} \
static void \
NAME##SiftDown(T *x, int64_t lo, int64_t root, int64_t len, const void *arg) \
{ \
	T			v = x[lo + root]; \
	for (;;) \
	{ \
		int64_t		child = 2 * root + 1; \
		if (child >= len) \
			break; \
		if (child + 1 < len && LESS(x[lo + child], x[lo + child + 1], arg)) \
			child++; \
		if (!LESS(v, x[lo + child], arg)) \
			break; \
		x[lo + root] = x[lo + child]; \
		root = child; \
	} \
	x[lo + root] = v; \
} \
static void \
NAME##Heap(T *x, int64_t lo, int64_t hi, const void *arg, SortTick *tick) \
{ \
	int64_t		len = hi - lo; \
	for (int64_t r = len / 2 - 1; r >= 0; r--) \
	{ \
		NAME##SiftDown(x, lo, r, len, arg); \
		SortTickAdd(tick, 64); \
	} \
	for (int64_t end = len - 1; end > 0; end--) \
	{ \
		T			t = x[lo]; \
		x[lo] = x[lo + end]; \
		x[lo + end] = t; \
		NAME##SiftDown(x, lo, 0, end, arg); \
		SortTickAdd(tick, 64); \
	} \
} \
static void \
NAME##Range(T *x, int64_t lo, int64_t hi, int depth, const void *arg, SortTick *tick) \
{ \
	while (hi - lo > SORT_SMALL) \
	{ \
		int64_t		mid = lo + (hi - lo) / 2; \
		int64_t		i, j; \
		T			pivot, t; \
		if (depth-- <= 0) \
		{ \
			NAME##Heap(x, lo, hi, arg, tick); \
			return; \
		} \
		/* median of three into x[mid]; x[lo] <= x[mid] <= x[hi - 1] */ \
		if (LESS(x[mid], x[lo], arg)) { t = x[mid]; x[mid] = x[lo]; x[lo] = t; } \
		if (LESS(x[hi - 1], x[mid], arg)) \
		{ \
			t = x[mid]; x[mid] = x[hi - 1]; x[hi - 1] = t; \
			if (LESS(x[mid], x[lo], arg)) { t = x[mid]; x[mid] = x[lo]; x[lo] = t; } \
		} \
		pivot = x[mid]; \
		/* Hoare partition of [lo, hi) */ \
		i = lo - 1; \
		j = hi; \
		for (;;) \
		{ \
			do i++; while (LESS(x[i], pivot, arg)); \
			do j--; while (LESS(pivot, x[j], arg)); \
			if (i >= j) \
				break; \
			t = x[i]; x[i] = x[j]; x[j] = t; \
		} \
		SortTickAdd(tick, hi - lo); \
		/* recurse into the smaller side, loop on the larger */ \
		if (j + 1 - lo < hi - (j + 1)) \
		{ \
			NAME##Range(x, lo, j + 1, depth, arg, tick); \
			lo = j + 1; \
		} \
		else \
		{ \
			NAME##Range(x, j + 1, hi, depth, arg, tick); \
			hi = j + 1; \
		} \
	} \
	NAME##Insertion(x, lo, hi, arg); \
}

#define LESS_DOUBLE(a, b, arg) ((void) (arg), (a) < (b))
#define LESS_INT32(a, b, arg) ((void) (arg), (a) < (b))

typedef struct SortCmp
{
	int			(*cmp) (int64_t a, int64_t b, void *arg);
	void	   *arg;
} SortCmp;

#define LESS_INDEX(a, b, arg) \
	(((const SortCmp *) (arg))->cmp((a), (b), ((const SortCmp *) (arg))->arg) < 0)

/* A row's sort key: its label, its first value and its number (16 bytes) */
typedef struct RowKey
{
	double		v0;
	int32_t		label;
	uint32_t	row;
} RowKey;

typedef struct RowsArg
{
	const double *x;
	int			d;
} RowsArg;

/* Label, then the values in order, then the row number */
static inline bool
RowKeyLess(const RowKey *a, const RowKey *b, const RowsArg *r)
{
	if (a->label != b->label)
		return a->label < b->label;
	if (a->v0 != b->v0)
		return a->v0 < b->v0;
	if (r->d > 1)
	{
		const double *xa = r->x + (int64_t) a->row * r->d;
		const double *xb = r->x + (int64_t) b->row * r->d;

		for (int c = 1; c < r->d; c++)
			if (xa[c] != xb[c])
				return xa[c] < xb[c];
	}
	return a->row < b->row;
}

#define LESS_ROWKEY(a, b, arg) RowKeyLess(&(a), &(b), (const RowsArg *) (arg))

SORT_DEFINE(SortD, double, LESS_DOUBLE)
SORT_DEFINE(SortRows, RowKey, LESS_ROWKEY)
SORT_DEFINE(SortI32, int32_t, LESS_INT32)
SORT_DEFINE(SortIdx, int64_t, LESS_INDEX)
SORT_DEFINE(SortIdx32, int32_t, LESS_INDEX)

/*
 * Sort doubles ascending (no NaN), checking interrupts
 */
void
UsSortDoubles(const UsCore *core, double *x, int64_t n)
{
	SortTick	tick = {core, 0};

	if (n > 1)
		SortDRange(x, 0, n, SortDepthLimit(n), NULL, &tick);
}

/*
 * Sort int32 values ascending, checking interrupts
 */
void
UsSortInt32(const UsCore *core, int32_t *x, int64_t n)
{
	SortTick	tick = {core, 0};

	if (n > 1)
		SortI32Range(x, 0, n, SortDepthLimit(n), NULL, &tick);
}

/*
 * Sort indexes by cmp(a, b, arg) (negative, zero or positive), checking interrupts.
 * cmp should be a total order (break ties by the indexes themselves) for a result
 * that does not depend on the sort.
 */
void
UsSortIndexes(const UsCore *core, int64_t *idx, int64_t n,
			  int (*cmp) (int64_t a, int64_t b, void *arg), void *arg)
{
	SortTick	tick = {core, 0};
	SortCmp		c = {cmp, arg};

	if (n > 1)
		SortIdxRange(idx, 0, n, SortDepthLimit(n), &c, &tick);
}

void
UsSortIndexes32(const UsCore *core, int32_t *idx, int64_t n,
				int (*cmp) (int64_t a, int64_t b, void *arg), void *arg)
{
	SortTick	tick = {core, 0};
	SortCmp		c = {cmp, arg};

	if (n > 1)
		SortIdx32Range(idx, 0, n, SortDepthLimit(n), &c, &tick);
}

/*
 * Row numbers 0..n-1 in canonical order: by label, then by the values in column
 * order, then by row number (a total order: the result is that of any correct sort).
 * Sorts 16-byte keys (label, first value, row) so that most comparisons touch no
 * row; memory 16 n bytes through core.  n is below 2^32 (rows are numbered in 32
 * bits).
 */
void
UsSortRowsCanonical(const UsCore *core, const double *x, const int32_t *labels, int64_t n,
					int d, int64_t *idx)
{
	SortTick	tick = {core, 0};
	RowsArg		r = {x, d};
	RowKey	   *keys;

	if (n <= 0)
		return;
	keys = UsAlloc(core, sizeof(RowKey) * (size_t) n);
	for (int64_t i = 0; i < n; i++)
	{
		keys[i].v0 = x[i * d];
		keys[i].label = labels[i];
		keys[i].row = (uint32_t) i;
		if (i % (US_CHECK_EVERY * 16) == 0)
			UsCheck(core);
	}
	if (n > 1)
		SortRowsRange(keys, 0, n, SortDepthLimit(n), &r, &tick);
	for (int64_t i = 0; i < n; i++)
		idx[i] = keys[i].row;
	UsFree(core, keys);
}
