/*-------------------------------------------------------------------------
 *
 * neighbors_core.c
 *	  The neighbour index of the numeric core: exact radius and k-nearest-neighbour
 *	  queries over the rows of a matrix, for DBSCAN, Mean Shift and k-NN graphs.
 *
 * Three kinds, chosen by UsNeighborsBuild (US_NN_AUTO):
 *	- a grid (d <= 3, a radius given): cells of side h = r / sqrt(d) (shrunk by one
 *	  part in 10^6), so two rows in one cell are within r of each other.  Rows are
 *	  sorted by cell (one mixed-radix key per cell); a cell is found by binary
 *	  search over the distinct keys; a radius query visits the cells up to
 *	  floor(r / h) + 1 away in every column (25 in 2-D), its own cell first.  Only
 *	  when the cells' keys fit in 62 bits (else a k-d tree).
 *	- a k-d tree (Bentley 1975; d <= US_NN_KD_MAX_D): leaves of at most
 *	  US_NN_LEAF rows, split at the median of the widest column, each node with its
 *	  bounding box; a query prunes nodes whose box is farther than r (radius) or
 *	  than the k-th nearest found so far (k-NN, nearer child first).  A radius query
 *	  may also give the caller whole nodes that lie within r (their box's farthest
 *	  corner is), and let it skip nodes it has no use for (UsNeighborVisitor):
 *	  DBSCAN counts, joins and labels a node at a time that way.
 *	- brute force (n < US_NN_LEAF or d above US_NN_KD_MAX_D), where no index pays off:
 *	  every row in row order.
 *
 * Distances.  Every kind compares the same squared distance, summed over the columns
 * in order (as scikit-learn's kd-tree sums its reduced distance), with r * r: a row is
 * within r when that sum <= r * r (inclusive, as scikit-learn's radius queries).  So
 * the three kinds give the same neighbourhoods, bit for bit.  Box bounds are summed
 * the same way from per-column bounds; rounding is monotonic, so a box nearer than
 * every row of it, or farther, stays so after rounding and no pruning is inexact.
 *
 * Memory: the row order (n int32: n is below 2^31), the keys and starts of the
 * occupied cells (the rows' keys in 32 bits while the grid is built, when they fit) or
 * the tree's nodes (O(n / US_NN_LEAF) boxes of 2 d doubles), all through UsAlloc.  A query holds nothing: its rows are
 * given one at a time to the caller's visitor, which may stop the query (DBSCAN's core
 * test stops at min_samples), so no neighbourhood is ever materialized here; a k-NN
 * query holds its k results.
 *
 * Interrupts: the build checks every US_CHECK_EVERY rows and inside its sort; a query
 * checks every US_CHECK_EVERY distances it computes (UsNeighbors.work).  A radius
 * query given a UsNeighborPoll (a chunk of UsParallelRun on a worker thread) counts in
 * the poll instead and asks UsParallelStopping, never UsCheck, and writes nothing in
 * the index: any number of threads may query one index at once that way.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "uscore.h"

/* Squared distance summed over the columns in order (the index's one distance) */
static inline double
NnSqDist(const double *a, const double *b, int d)
{
	double		s = 0.0;

	for (int j = 0; j < d; j++)
	{
		double		t = a[j] - b[j];

		s += t * t;
	}
	return s;
}

static inline void
NnTick(const UsNeighbors *ix, int64_t steps)
{
	UsNeighbors *w = (UsNeighbors *) ix;

	w->work += steps;
	if (w->work >= US_CHECK_EVERY)
	{
		w->work %= US_CHECK_EVERY;
		UsCheck(ix->core);
	}
}

/*
 * A query's tick: into its poll on a worker thread (false when the loop is
 * stopping: the query then returns false), else into the index (NnTick)
 */
static inline bool
NnQueryTick(const UsNeighbors *ix, UsNeighborPoll *poll, int64_t steps)
{
	if (poll == NULL)
	{
		NnTick(ix, steps);
		return true;
	}
	return UsNeighborPollWork(poll, steps);
}

/* ---- grid ---- */

/* The cell coordinate of value v in column j (clamped to the grid) */
static inline int64_t
NnCellCoord(const UsNeighbors *ix, int j, double v)
{
	double		c = floor((v - ix->lo[j]) / ix->h);

	if (c < 0)
		return 0;
	if (c > (double) (ix->dims[j] - 1))
		return ix->dims[j] - 1;
	return (int64_t) c;
}

/* The cell key of row i: its cell coordinates in mixed radix */
static inline uint64_t
NnRowKey(const UsNeighbors *ix, int64_t i)
{
	const double *x = ix->m->x + i * ix->m->d;
	uint64_t	k = 0;

	for (int j = 0; j < ix->m->d; j++)
		k = k * (uint64_t) ix->dims[j] + (uint64_t) NnCellCoord(ix, j, x[j]);
	return k;
}

/*
 * Rows by cell key, then row number.  When the grid has fewer than 2^32 cells (the
 * usual case) the keys are held in 32 bits, 4 bytes a row, as many as the row order
 * itself; otherwise they are computed in the comparison rather than held (8 bytes a
 * row would be half the matrix in 2-D at the build's peak).
 */
typedef struct NnKeyArg
{
	const UsNeighbors *ix;
	const uint32_t *key32;		/* the rows' keys, or NULL */
} NnKeyArg;

static int
NnKeyCmp(int64_t a, int64_t b, void *arg)
{
	const NnKeyArg *ka = arg;
	uint64_t	va = ka->key32 ? ka->key32[a] : NnRowKey(ka->ix, a);
	uint64_t	vb = ka->key32 ? ka->key32[b] : NnRowKey(ka->ix, b);

	if (va != vb)
		return va < vb ? -1 : 1;
	return a < b ? -1 : (a > b);
}

/* Build a grid for radius r; false when its keys would not fit (no memory used) */
static bool
NnBuildGrid(UsNeighbors *ix, double r)
{
	const UsMatrix *m = ix->m;
	int			d = m->d;
	double		hi[3];
	double		cells = 1.0;
	uint64_t	prev;
	int64_t		nc;
	NnKeyArg	ka;
	uint32_t   *key32 = NULL;

	ix->h = r / sqrt((double) d) * (1.0 - 1e-6);
	if (!(ix->h > 0.0) || !isfinite(ix->h))
		return false;
	for (int j = 0; j < d; j++)
	{
		ix->lo[j] = INFINITY;
		hi[j] = -INFINITY;
	}
	for (int64_t i = 0; i < m->n; i++)
	{
		for (int j = 0; j < d; j++)
		{
			double		v = m->x[i * d + j];

			ix->lo[j] = v < ix->lo[j] ? v : ix->lo[j];
			hi[j] = v > hi[j] ? v : hi[j];
		}
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(ix->core);
	}
	for (int j = 0; j < d; j++)
	{
		double		span = (hi[j] - ix->lo[j]) / ix->h;

		if (!(span < 1e15))
			return false;
		ix->dims[j] = (int64_t) floor(span) + 1;
		cells *= (double) ix->dims[j];
	}
	if (!(cells < 4e18))
		return false;
	ix->reach = (int) floor(r / ix->h * (1.0 + 1e-9)) + 1;

	ka.ix = ix;
	ka.key32 = NULL;
	if (cells <= 4294967295.0)
	{
		key32 = UsAlloc(ix->core, sizeof(uint32_t) * (size_t) m->n);
		for (int64_t i = 0; i < m->n; i++)
		{
			key32[i] = (uint32_t) NnRowKey(ix, i);
			if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
				UsCheck(ix->core);
		}
		ka.key32 = key32;
	}
	ix->order = UsAlloc(ix->core, sizeof(int32_t) * (size_t) m->n);
	for (int64_t i = 0; i < m->n; i++)
		ix->order[i] = (int32_t) i;
	UsSortIndexes32(ix->core, ix->order, m->n, NnKeyCmp, &ka);

	/* distinct cells, with the first position of each in order */
	nc = 0;
	prev = 0;
	for (int64_t p = 0; p < m->n; p++)
	{
		uint64_t	k = key32 ? key32[ix->order[p]] : NnRowKey(ix, ix->order[p]);

		if (p == 0 || k != prev)
			nc++;
		prev = k;
		if (p % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(ix->core);
	}
	ix->ncells = nc;
	ix->cell_key = UsAlloc(ix->core, sizeof(uint64_t) * (size_t) nc);
	ix->cell_start = UsAlloc(ix->core, sizeof(int64_t) * (size_t) (nc + 1));
	nc = 0;
	for (int64_t p = 0; p < m->n; p++)
	{
		uint64_t	k = key32 ? key32[ix->order[p]] : NnRowKey(ix, ix->order[p]);

		if (p == 0 || k != prev)
		{
			ix->cell_key[nc] = k;
			ix->cell_start[nc] = p;
			nc++;
		}
		prev = k;
		if (p % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(ix->core);
	}
	ix->cell_start[nc] = m->n;
	UsFree(ix->core, key32);
	ix->kind = US_NN_GRID;
	return true;
}

/* The cell of key k, or -1 */
static int64_t
NnFindCell(const UsNeighbors *ix, uint64_t k)
{
	int64_t		lo = 0;
	int64_t		hi = ix->ncells - 1;

	while (lo <= hi)
	{
		int64_t		mid = lo + (hi - lo) / 2;

		if (ix->cell_key[mid] == k)
			return mid;
		if (ix->cell_key[mid] < k)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

int
UsNeighborsNearCells(const UsNeighbors *ix, const double *q, double r, int64_t *out,
					 int max_out)
{
	int			d = ix->m->d;
	int			reach = (int) floor(r / ix->h * (1.0 + 1e-9)) + 1;
	int64_t		base[3] = {0, 0, 0};
	int			off[3] = {0, 0, 0};
	int			count = 0;
	int64_t		own;
	uint64_t	k = 0;

	for (int j = 0; j < d; j++)
	{
		base[j] = NnCellCoord(ix, j, q[j]);
		k = k * (uint64_t) ix->dims[j] + (uint64_t) base[j];
	}
	/* its own cell first */
	own = NnFindCell(ix, k);
	if (own >= 0 && count < max_out)
		out[count++] = own;
	for (int j = 0; j < d; j++)
		off[j] = -reach;
	for (;;)
	{
		bool		inside = true;
		bool		zero = true;
		int			j;

		k = 0;
		for (j = 0; j < d && inside; j++)
		{
			int64_t		c = base[j] + off[j];

			inside = c >= 0 && c < ix->dims[j];
			zero = zero && off[j] == 0;
			k = k * (uint64_t) ix->dims[j] + (uint64_t) c;
		}
		if (inside && !zero)
		{
			int64_t		cell = NnFindCell(ix, k);

			if (cell >= 0 && count < max_out)
				out[count++] = cell;
		}
		/* next offset */
		for (j = d - 1; j >= 0; j--)
		{
			if (off[j] < reach)
			{
				off[j]++;
				break;
			}
			off[j] = -reach;
		}
		if (j < 0)
			break;
	}
	return count;
}

int
UsNeighborsMaxCells(const UsNeighbors *ix, double r)
{
	int			reach = (int) floor(r / ix->h * (1.0 + 1e-9)) + 1;
	int			c = 1;

	for (int j = 0; j < ix->m->d; j++)
		c *= 2 * reach + 1;
	return c;
}

/* ---- k-d tree ---- */

typedef struct NnSplitArg
{
	const double *x;
	int			d;
	int			col;
} NnSplitArg;

static int
NnColCmp(int64_t a, int64_t b, void *arg)
{
	NnSplitArg *s = arg;
	double		va = s->x[a * s->d + s->col];
	double		vb = s->x[b * s->d + s->col];

	if (va != vb)
		return va < vb ? -1 : 1;
	return a < b ? -1 : (a > b);
}

/* Build the subtree of order[start, end) as node id; returns the next free node */
static int64_t
NnBuildNode(UsNeighbors *ix, int64_t id, int64_t start, int64_t end)
{
	const UsMatrix *m = ix->m;
	int			d = m->d;
	double	   *lo = ix->box + (size_t) id * 2 * d;
	double	   *hi = lo + d;
	int			widest = 0;
	double		wspan = -1.0;
	int64_t		next = id + 1;

	for (int j = 0; j < d; j++)
	{
		lo[j] = INFINITY;
		hi[j] = -INFINITY;
	}
	for (int64_t p = start; p < end; p++)
	{
		const double *x = m->x + (int64_t) ix->order[p] * d;

		for (int j = 0; j < d; j++)
		{
			lo[j] = x[j] < lo[j] ? x[j] : lo[j];
			hi[j] = x[j] > hi[j] ? x[j] : hi[j];
		}
	}
	NnTick(ix, end - start);
	ix->node_start[id] = (int32_t) start;
	ix->node_end[id] = (int32_t) end;
	for (int j = 0; j < d; j++)
		if (hi[j] - lo[j] > wspan)
		{
			wspan = hi[j] - lo[j];
			widest = j;
		}
	if (end - start <= US_NN_LEAF || !(wspan > 0.0))
	{
		ix->node_left[id] = -1;
		return next;
	}
	{
		NnSplitArg sa = {m->x, d, widest};
		int64_t		mid = start + (end - start) / 2;

		UsSortIndexes32(ix->core, ix->order + start, end - start, NnColCmp, &sa);
		ix->node_left[id] = (int32_t) next;
		next = NnBuildNode(ix, next, start, mid);
		ix->node_right[id] = (int32_t) next;
		next = NnBuildNode(ix, next, mid, end);
	}
	return next;
}

/*
 * The nodes of a tree over n rows when every node above US_NN_LEAF rows splits in
 * halves (floor and ceiling), as NnBuildNode does unless a node's rows are all equal
 * (then it has fewer): the sizes of one level differ by at most 1, so each level is
 * counted from its two sizes
 */
int64_t
UsNeighborsTreeNodes(int64_t n)
{
	int64_t		size[2] = {n, n + 1};
	int64_t		count[2] = {1, 0};
	int64_t		total = 0;

	if (n <= 0)
		return 1;
	while (count[0] + count[1] > 0)
	{
		int64_t		ns[2] = {size[0] / 2, size[0] / 2 + 1};
		int64_t		nc[2] = {0, 0};

		for (int t = 0; t < 2; t++)
		{
			if (count[t] == 0)
				continue;
			total += count[t];
			if (size[t] <= US_NN_LEAF)
				continue;
			/* halves floor(s / 2) and s - floor(s / 2), each ns[0] or ns[0] + 1 */
			nc[size[t] / 2 - ns[0]] += count[t];
			nc[size[t] - size[t] / 2 - ns[0]] += count[t];
		}
		size[0] = ns[0];
		size[1] = ns[1];
		count[0] = nc[0];
		count[1] = nc[1];
	}
	return total;
}

static void
NnBuildTree(UsNeighbors *ix)
{
	int64_t		n = ix->m->n;
	int64_t		maxnodes = UsNeighborsTreeNodes(n);

	ix->order = UsAlloc(ix->core, sizeof(int32_t) * (size_t) n);
	for (int64_t i = 0; i < n; i++)
		ix->order[i] = (int32_t) i;
	ix->box = UsAlloc(ix->core, sizeof(double) * 2 * (size_t) ix->m->d * (size_t) maxnodes);
	ix->node_start = UsAlloc(ix->core, sizeof(int32_t) * (size_t) maxnodes);
	ix->node_end = UsAlloc(ix->core, sizeof(int32_t) * (size_t) maxnodes);
	ix->node_left = UsAlloc(ix->core, sizeof(int32_t) * (size_t) maxnodes);
	ix->node_right = UsAlloc(ix->core, sizeof(int32_t) * (size_t) maxnodes);
	ix->nnodes = NnBuildNode(ix, 0, 0, n);
	ix->kind = US_NN_KDTREE;
}

/* Squared distance from q to node id's box (0 inside it) */
static inline double
NnBoxDist(const UsNeighbors *ix, int64_t id, const double *q)
{
	int			d = ix->m->d;
	const double *lo = ix->box + (size_t) id * 2 * d;
	const double *hi = lo + d;
	double		s = 0.0;

	for (int j = 0; j < d; j++)
	{
		double		t = q[j] < lo[j] ? lo[j] - q[j] : (q[j] > hi[j] ? q[j] - hi[j] : 0.0);

		s += t * t;
	}
	return s;
}

/*
 * Squared distance from q to the farthest corner of node id's box.  Rounding is
 * monotonic, so every row of the node has a squared distance (summed the same way) at
 * most this: a node with this <= r * r is within r, row by row, exactly.
 */
static inline double
NnBoxFar(const UsNeighbors *ix, int64_t id, const double *q)
{
	int			d = ix->m->d;
	const double *lo = ix->box + (size_t) id * 2 * d;
	const double *hi = lo + d;
	double		s = 0.0;

	for (int j = 0; j < d; j++)
	{
		double		a = q[j] - lo[j];
		double		b = hi[j] - q[j];
		double		t = a > b ? a : b;

		s += t * t;
	}
	return s;
}

/* Radius query in node id; false when the visitor stopped it */
static bool
NnTreeRadius(const UsNeighbors *ix, int64_t id, const double *q, double r2,
			 const UsNeighborVisitor *v)
{
	int			d = ix->m->d;

	if (NnBoxDist(ix, id, q) > r2)
		return true;
	if (v->skip && v->skip(v->arg, id))
		return true;
	if (v->node && NnBoxFar(ix, id, q) <= r2)
	{
		if (!NnQueryTick(ix, v->poll, d))
			return false;
		return v->node(v->arg, id, ix->order + ix->node_start[id],
					   ix->node_end[id] - ix->node_start[id]);
	}
	if (ix->node_left[id] < 0)
	{
		for (int64_t p = ix->node_start[id]; p < ix->node_end[id]; p++)
		{
			int64_t		j = ix->order[p];
			double		s = NnSqDist(q, ix->m->x + j * d, d);

			if (s <= r2 && !v->row(v->arg, j, s))
				return false;
		}
		return NnQueryTick(ix, v->poll, ix->node_end[id] - ix->node_start[id]);
	}
	return NnTreeRadius(ix, ix->node_left[id], q, r2, v) &&
		NnTreeRadius(ix, ix->node_right[id], q, r2, v);
}

/* ---- k-NN: a max-heap of the k nearest so far, by (distance, row) ---- */

typedef struct NnHeap
{
	int			k;
	int			size;
	int64_t    *idx;
	double	   *dist;
} NnHeap;

static inline bool
NnAbove(const NnHeap *h, int a, int b)
{
	return h->dist[a] > h->dist[b] || (h->dist[a] == h->dist[b] && h->idx[a] > h->idx[b]);
}

static inline void
NnSwap(NnHeap *h, int a, int b)
{
	int64_t		ti = h->idx[a];
	double		td = h->dist[a];

	h->idx[a] = h->idx[b];
	h->dist[a] = h->dist[b];
	h->idx[b] = ti;
	h->dist[b] = td;
}

static void
NnHeapDown(NnHeap *h, int i)
{
	for (;;)
	{
		int			l = 2 * i + 1;
		int			r = l + 1;
		int			top = i;

		if (l < h->size && NnAbove(h, l, top))
			top = l;
		if (r < h->size && NnAbove(h, r, top))
			top = r;
		if (top == i)
			return;
		NnSwap(h, i, top);
		i = top;
	}
}

static void
NnHeapPush(NnHeap *h, int64_t j, double s)
{
	if (h->size < h->k)
	{
		int			i = h->size++;

		h->idx[i] = j;
		h->dist[i] = s;
		while (i > 0 && NnAbove(h, i, (i - 1) / 2))
		{
			NnSwap(h, i, (i - 1) / 2);
			i = (i - 1) / 2;
		}
		return;
	}
	if (s < h->dist[0] || (s == h->dist[0] && j < h->idx[0]))
	{
		h->idx[0] = j;
		h->dist[0] = s;
		NnHeapDown(h, 0);
	}
}

static void
NnTreeKnn(const UsNeighbors *ix, int64_t id, const double *q, NnHeap *h)
{
	int			d = ix->m->d;

	if (h->size == h->k && NnBoxDist(ix, id, q) > h->dist[0])
		return;
	if (ix->node_left[id] < 0)
	{
		for (int64_t p = ix->node_start[id]; p < ix->node_end[id]; p++)
		{
			int64_t		j = ix->order[p];

			NnHeapPush(h, j, NnSqDist(q, ix->m->x + j * d, d));
		}
		NnTick(ix, ix->node_end[id] - ix->node_start[id]);
		return;
	}
	{
		int64_t		a = ix->node_left[id];
		int64_t		b = ix->node_right[id];

		if (NnBoxDist(ix, b, q) < NnBoxDist(ix, a, q))
		{
			int64_t		t = a;

			a = b;
			b = t;
		}
		NnTreeKnn(ix, a, q, h);
		NnTreeKnn(ix, b, q, h);
	}
}

/* ---- the index ---- */

void
UsNeighborsBuild(const UsCore *core, const UsMatrix *m, UsNeighborKind kind, double radius,
				 UsNeighbors *ix)
{
	memset(ix, 0, sizeof(*ix));
	ix->core = core;
	ix->m = m;
	ix->kind = US_NN_BRUTE;
	if (kind == US_NN_AUTO)
	{
		if (m->n < US_NN_LEAF)
			kind = US_NN_BRUTE;
		else if (m->d <= 3 && radius > 0.0 && isfinite(radius))
			kind = US_NN_GRID;
		else if (m->d <= US_NN_KD_MAX_D)
			kind = US_NN_KDTREE;
		else
			kind = US_NN_BRUTE;
	}
	if (m->n == 0)
		return;
	if (kind == US_NN_GRID && m->d <= 3 && NnBuildGrid(ix, radius))
		return;
	if (kind == US_NN_GRID || kind == US_NN_KDTREE)
		NnBuildTree(ix);
}

void
UsNeighborsFree(UsNeighbors *ix)
{
	const UsCore *core = ix->core;

	UsFree(core, ix->order);
	UsFree(core, ix->cell_key);
	UsFree(core, ix->cell_start);
	UsFree(core, ix->box);
	UsFree(core, ix->node_start);
	UsFree(core, ix->node_end);
	UsFree(core, ix->node_left);
	UsFree(core, ix->node_right);
	memset(ix, 0, sizeof(*ix));
}

size_t
UsNeighborsBytes(int64_t n, int d)
{
	size_t		nodes = (size_t) UsNeighborsTreeNodes(n);
	size_t		tree = sizeof(int32_t) * (size_t) n +
		nodes * (2 * (size_t) d * sizeof(double) + 4 * sizeof(int32_t));
	/* order and keys of rows; keys and starts of at most n cells */
	size_t		grid = (2 * sizeof(int32_t) + 2 * sizeof(int64_t)) * ((size_t) n + 1);

	return tree > grid ? tree : grid;
}

bool
UsNeighborsRadius(const UsNeighbors *ix, const double *q, double r, UsNeighborVisit visit,
				  void *arg)
{
	UsNeighborVisitor v = {visit, NULL, NULL, arg, NULL};

	return UsNeighborsRadiusVisit(ix, q, r, &v);
}

bool
UsNeighborsRadiusVisit(const UsNeighbors *ix, const double *q, double r,
					   const UsNeighborVisitor *v)
{
	UsNeighborVisit visit = v->row;
	void	   *arg = v->arg;
	const UsMatrix *m = ix->m;
	int			d = m->d;
	double		r2 = r * r;

	if (m->n == 0)
		return true;
	if (ix->kind == US_NN_GRID)
	{
		int64_t		cells[343];
		int			nc;

		if (UsNeighborsMaxCells(ix, r) > (int) (sizeof(cells) / sizeof(cells[0])))
		{
			/* a radius much larger than the grid's: every row */
			for (int64_t j = 0; j < m->n; j++)
			{
				double		s = NnSqDist(q, m->x + j * d, d);

				if (s <= r2 && !visit(arg, j, s))
					return false;
				if (j % US_CHECK_EVERY == US_CHECK_EVERY - 1 &&
					!NnQueryTick(ix, v->poll, US_CHECK_EVERY))
					return false;
			}
			return true;
		}
		nc = UsNeighborsNearCells(ix, q, r, cells, (int) (sizeof(cells) / sizeof(cells[0])));
		for (int c = 0; c < nc; c++)
		{
			for (int64_t p = ix->cell_start[cells[c]]; p < ix->cell_start[cells[c] + 1]; p++)
			{
				int64_t		j = ix->order[p];
				double		s = NnSqDist(q, m->x + j * d, d);

				if (s <= r2 && !visit(arg, j, s))
					return false;
			}
			if (!NnQueryTick(ix, v->poll, ix->cell_start[cells[c] + 1] - ix->cell_start[cells[c]]))
				return false;
		}
		return true;
	}
	if (ix->kind == US_NN_KDTREE)
		return NnTreeRadius(ix, 0, q, r2, v);
	for (int64_t j = 0; j < m->n; j++)
	{
		double		s = NnSqDist(q, m->x + j * d, d);

		if (s <= r2 && !visit(arg, j, s))
			return false;
		if (j % US_CHECK_EVERY == US_CHECK_EVERY - 1 &&
			!NnQueryTick(ix, v->poll, US_CHECK_EVERY))
			return false;
	}
	return true;
}

int
UsNeighborsKnn(const UsNeighbors *ix, const double *q, int k, int64_t *idx, double *sqdist)
{
	const UsMatrix *m = ix->m;
	NnHeap		h = {k < m->n ? k : (int) m->n, 0, idx, sqdist};

	if (h.k <= 0)
		return 0;
	if (ix->kind == US_NN_KDTREE)
		NnTreeKnn(ix, 0, q, &h);
	else
	{
		for (int64_t j = 0; j < m->n; j++)
		{
			NnHeapPush(&h, j, NnSqDist(q, m->x + j * m->d, m->d));
			if (j % US_CHECK_EVERY == US_CHECK_EVERY - 1)
				NnTick(ix, US_CHECK_EVERY);
		}
	}
	/* heap sort: ascending by (distance, row) */
	for (int s = h.size - 1; s > 0; s--)
	{
		NnSwap(&h, 0, s);
		h.size = s;
		NnHeapDown(&h, 0);
	}
	return h.k;
}
