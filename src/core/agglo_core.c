/*-------------------------------------------------------------------------
 *
 * agglo_core.c
 *	  Agglomerative clustering (ward, complete, average, single linkage) with the
 *	  tree and the labels of scikit-learn 1.2's AgglomerativeClustering without
 *	  connectivity.
 *
 * What scikit-learn computes.  Ward, complete and average go through scipy's
 * linkage: the condensed Euclidean distance matrix (each distance the square root of
 * the squared differences summed in column order), then the nearest-neighbour chain
 * (scipy's nn_chain: Murtagh 1983; Müllner, "Modern hierarchical, agglomerative
 * clustering algorithms", 2011, and fastcluster's NN_chain_core).  The chain starts at
 * the lowest live cluster; each step looks for the nearest live cluster of the chain's
 * tail, the previous element of the chain being preferred (it is the starting
 * minimum and only a strictly smaller distance replaces it, in increasing cluster
 * order).  Two mutual nearest neighbours x < y are merged into slot y, x dies; the
 * distances to the merged cluster follow Lance-Williams (complete max(d_xi, d_yi);
 * average (n_x d_xi + n_y d_yi) / (n_x + n_y); ward the square root of the
 * size-weighted squares).  The merges are then sorted by distance with a stable sort
 * and relabelled by a union-find: the merge at position i creates node n + i and its
 * children are the two roots, the smaller first.  Single linkage is scikit-learn's own
 * (_hierarchical_fast.mst_linkage_core): Prim's algorithm from row 0, the next row the
 * first (lowest) one at the least distance from the tree, the edges sorted stably by
 * distance and labelled by _single_linkage_label, whose children are in edge order
 * (the tree's side first), not sorted.  The labels are _hc_cut's: a heap of negated
 * node numbers starting from the root, the largest node replaced by its children
 * (heappush of the first, heappushpop of the second, as CPython's heapq does them)
 * until k nodes remain; a row's label is the position in the heap of the node above
 * it.  With distance_threshold, k is the number of merges at a distance >= the
 * threshold plus one (a merge at exactly the threshold is not made).
 *
 * How it is computed here.
 *	- ward: the nearest-neighbour chain on cluster centroids and sizes, in O(n d)
 *	  memory (no distance matrix).  The ward distance of clusters a and b is
 *	  sqrt(2 n_a n_b / (n_a + n_b)) |c_a - c_b|, which is what the Lance-Williams
 *	  recursion gives in exact arithmetic; chain steps compare its square.  Between two
 *	  rows it is exactly scipy's distance; after merges it differs from scipy's by
 *	  rounding only, so the tree is scipy's but where two candidate merges are within
 *	  rounding of each other.  The centroids are kept transposed (column j of every
 *	  live cluster contiguous) so one query is a run of tiles of UsSqDistTile.
 *	- complete, average: scipy's nearest-neighbour chain on the condensed matrix
 *	  itself, with its formulas in its order, so the tree is scipy's to the bit.
 *	  n(n-1)/2 doubles (the caller checks the budget with UsAggloWorkBytes first),
 *	  filled on the worker threads.  A query does not read the whole column: the
 *	  clusters' centroids are kept in tiles of nearby centroids (the leaf order of a
 *	  k-d tree over the rows, each tile with the box of its centroids), and since a
 *	  complete or average distance is at least the distance of the centroids, only
 *	  the clusters whose centroid is near enough to beat the best distance so far are
 *	  read (CondNearest); scipy's tie rule does not depend on the order of reading.
 *	  The updates after a merge read and write whole columns, in parts of rows on a
 *	  team of threads kept for the fit (UsTeamRun: a merge is too short to start
 *	  threads for); they ask for the rows ahead of the one they update, since down a
 *	  column each entry is on a page and a cache line of its own.
 *	- single: Prim's algorithm as scikit-learn's, in O(n d) memory: the rows not yet
 *	  in the tree are kept transposed and compact (the row added is swapped out), so
 *	  one step is tiles of UsSqDistTile; ties go to the lowest row number, which is
 *	  scikit-learn's first minimum in row order.  O(n^2 d) time.
 * Dead clusters are compacted away, keeping the live ones in cluster order (which
 * keeps every tie rule), each time half of them have died: the condensed matrix is
 * rebuilt in place for the live clusters, the centroids moved down.  So a query reads
 * only live clusters, at most twice as many as needed, and the matrix is read ever
 * more densely.
 *
 * Complexity: O(n^2 d) time for ward and single, O(n^2) for complete and average
 * (plus the n^2 d / 2 of the distances); memory O(n d) for ward and single, n(n-1)/2
 * doubles plus O(n) for complete and average.  Interrupts: every US_CHECK_EVERY
 * pairs in the O(n^2) loops (through a work counter), and in the sort.
 *
 * No FMA: every function here is compiled with fp-contract=off (US_KERNEL,
 * US_KERNEL_INLINE), so a * b + c is rounded twice as scipy's compiled code does.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "uscore.h"

/* Clusters per tile of a ward query (four AVX2 vectors of sums) */
#define WARD_TILE 16

/* Rows a column pass of the condensed matrix asks for ahead of the one it reads */
#define COND_AHEAD 16

/* Live clusters below which the compaction does not pay */
#define AGGLO_COMPACT_MIN 256

typedef struct AggloWork
{
	const UsCore *core;
	int64_t		work;			/* pairs since the last interrupt check */
	UsTeam	   *team;			/* complete and average: the threads of the updates */
} AggloWork;

static inline void
AggloCount(AggloWork *w, int64_t pairs)
{
	w->work += pairs;
	if (w->work >= US_CHECK_EVERY)
	{
		w->work = 0;
		UsTeamCheck(&w->team, w->core);
	}
}

/* Merges in the order the chain makes them: the two slots' row numbers, a < b */
typedef struct AggloRaw
{
	int64_t    *a;
	int64_t    *b;
	double	   *dist;
} AggloRaw;

/* ---- ward: the chain on centroids ---- */

typedef struct WardState
{
	int64_t		cap;			/* stride of the transposed centroids (tiles of US_TILE) */
	int64_t		live;			/* slots in use (live or dead) */
	int			d;
	double	   *ct;				/* d x cap: ct[j * cap + s] */
	double	   *size;			/* per slot, 0 for a dead one */
	double	   *dead;			/* per slot, 0 or +Infinity for a dead one */
	int64_t    *id;				/* per slot, the row number the cluster is known by */
	double	   *tile;			/* US_TILE distances */
	double	   *val;			/* US_TILE ward values */
} WardState;

/* Squared distance of slots s and t summed in column order, as UsSqDistTile sums it */
static US_KERNEL_INLINE double
WardSqDist(const WardState *st, int64_t s, int64_t t)
{
	double		acc = 0.0;

	for (int j = 0; j < st->d; j++)
	{
		double		u = st->ct[j * st->cap + s] - st->ct[j * st->cap + t];

		acc += u * u;
	}
	return acc;
}

/* The factor 2 n_a n_b / (n_a + n_b) of the squared ward distance (symmetric) */
static inline double
WardFactor(double na, double nb)
{
	return 2.0 * (na * nb) / (na + nb);
}

/*
 * Lower bounds of a tile's ward values, and their least: sq min(n_x, n_s), which is
 * at most sq 2 n_x n_s / (n_x + n_s) once both are rounded (the factor is at least
 * the smaller size, an integer, and rounding is monotone), so a slot whose bound is
 * not below the best so far cannot replace it and needs no division.  +Infinity for
 * dead slots (size 0).
 */
typedef double AggloV4 __attribute__((vector_size(32), aligned(8)));
typedef int64_t AggloM4 __attribute__((vector_size(32), aligned(8)));

/* a < b ? a : b lane by lane (b where a is NaN); a macro, as vectors are not arguments */
#define AGGLO_MIN4(a, b) \
	((AggloV4) (((AggloM4) (a) & ((a) < (b))) | ((AggloM4) (b) & ~((a) < (b)))))

static US_KERNEL double
WardTileBounds(const double *xv, const double *ct, int64_t cap, int d, const double *size,
			   const double *dead, double nx, double *sq, double *lb)
{
	AggloV4		acc[WARD_TILE / 4];
	AggloV4		least;
	AggloV4		vnx = {nx, nx, nx, nx};
	double		l;

	/* squared distances summed in column order, as WardSqDist sums them */
	for (int v = 0; v < WARD_TILE / 4; v++)
		acc[v] = (AggloV4) {0.0, 0.0, 0.0, 0.0};
	for (int c = 0; c < d; c++)
	{
		AggloV4		xc = {xv[c], xv[c], xv[c], xv[c]};
		const AggloV4 *col = (const AggloV4 *) (ct + (int64_t) c * cap);

		for (int v = 0; v < WARD_TILE / 4; v++)
		{
			AggloV4		t = xc - col[v];

			acc[v] += t * t;
		}
	}
	least = (AggloV4) {INFINITY, INFINITY, INFINITY, INFINITY};
	for (int v = 0; v < WARD_TILE / 4; v++)
	{
		AggloV4		ns = ((const AggloV4 *) size)[v];
		AggloV4		b = acc[v] * AGGLO_MIN4(ns, vnx) + ((const AggloV4 *) dead)[v];

		((AggloV4 *) sq)[v] = acc[v];
		((AggloV4 *) lb)[v] = b;
		least = AGGLO_MIN4(b, least);
	}
	l = least[0];
	for (int c = 1; c < 4; c++)
		l = least[c] < l ? least[c] : l;
	return l;
}

/*
 * The nearest live slot to x, prev (or -1) being preferred: its value is the starting
 * minimum and only a smaller one replaces it, in slot order
 */
static int64_t
WardNearest(WardState *st, AggloWork *w, int64_t x, int64_t prev, double *best)
{
	double		nx = st->size[x];
	double		cur = INFINITY;
	int64_t		y = -1;
	double		xc[64];
	double	   *xv = st->d <= 64 ? xc : st->tile + US_TILE;

	for (int j = 0; j < st->d; j++)
		xv[j] = st->ct[j * st->cap + x];
	if (prev >= 0)
	{
		cur = WardSqDist(st, x, prev) * WardFactor(nx, st->size[prev]);
		y = prev;
	}
	for (int64_t base = 0; base < st->live; base += WARD_TILE)
	{
		int			cnt = (int) (st->live - base < WARD_TILE ? st->live - base : WARD_TILE);

		if (WardTileBounds(xv, st->ct + base, st->cap, st->d, st->size + base,
						   st->dead + base, nx, st->tile, st->val) < cur)
		{
			for (int j = 0; j < cnt; j++)
			{
				double		v;

				if (!(st->val[j] < cur) || base + j == x)
					continue;
				v = st->tile[j] * WardFactor(nx, st->size[base + j]);
				if (v < cur)
				{
					cur = v;
					y = base + j;
				}
			}
		}
		AggloCount(w, cnt);
	}
	*best = cur;
	return y;
}

/* Move the live slots down, in order; map[old] = new slot (or -1) */
static void
WardCompact(WardState *st, int64_t *map)
{
	int64_t		k = 0;

	for (int64_t s = 0; s < st->live; s++)
	{
		if (st->size[s] == 0.0)
		{
			map[s] = -1;
			continue;
		}
		map[s] = k;
		if (k != s)
		{
			for (int j = 0; j < st->d; j++)
				st->ct[j * st->cap + k] = st->ct[j * st->cap + s];
			st->size[k] = st->size[s];
			st->dead[k] = 0.0;
			st->id[k] = st->id[s];
		}
		k++;
	}
	for (int64_t s = k; s < st->live; s++)
	{
		st->size[s] = 0.0;
		st->dead[s] = INFINITY;
	}
	st->live = k;
}

static void
AggloWard(const UsCore *core, const UsMatrix *m, AggloRaw *raw)
{
	int64_t		n = m->n;
	int			d = m->d;
	WardState	st;
	AggloWork	w = {core, 0, NULL};
	int64_t    *chain = UsAlloc(core, sizeof(int64_t) * (size_t) n);
	int64_t    *map = UsAlloc(core, sizeof(int64_t) * (size_t) n);
	int64_t		len = 0;
	int64_t		alive = n;

	st.cap = (n + US_TILE - 1) / US_TILE * US_TILE + US_TILE;
	st.live = n;
	st.d = d;
	st.ct = UsAlloc(core, sizeof(double) * (size_t) st.cap * (size_t) d);
	st.size = UsAlloc(core, sizeof(double) * (size_t) st.cap);
	st.dead = UsAlloc(core, sizeof(double) * (size_t) st.cap);
	st.id = UsAlloc(core, sizeof(int64_t) * (size_t) n);
	st.tile = UsAlloc(core, sizeof(double) * (size_t) (US_TILE + d));
	st.val = UsAlloc(core, sizeof(double) * US_TILE);
	for (int64_t i = 0; i < n; i++)
	{
		for (int j = 0; j < d; j++)
			st.ct[j * st.cap + i] = m->x[i * d + j];
		st.size[i] = 1.0;
		st.id[i] = i;
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(core);
	}
	for (int64_t i = n; i < st.cap; i++)
		st.dead[i] = INFINITY;

	for (int64_t k = 0; k < n - 1; k++)
	{
		int64_t		x = -1;
		int64_t		y = -1;
		double		cur = INFINITY;
		double		nx;
		double		ny;

		if (len == 0)
		{
			for (int64_t s = 0; s < st.live; s++)
				if (st.size[s] > 0.0)
				{
					chain[0] = s;
					break;
				}
			len = 1;
		}
		for (;;)
		{
			int64_t		prev = len > 1 ? chain[len - 2] : -1;

			x = chain[len - 1];
			y = WardNearest(&st, &w, x, prev, &cur);
			if (y < 0)
			{
				/* only with values out of range (the callers refuse them) */
				y = prev;
				for (int64_t s = 0; y < 0 && s < st.live; s++)
					if (st.size[s] > 0.0 && s != x)
						y = s;
			}
			if (len > 1 && y == prev)
				break;
			chain[len++] = y;
		}
		len -= 2;
		if (x > y)
		{
			int64_t		t = x;

			x = y;
			y = t;
		}
		nx = st.size[x];
		ny = st.size[y];
		raw->a[k] = st.id[x];
		raw->b[k] = st.id[y];
		raw->dist[k] = sqrt(cur);
		/* the merged cluster takes slot y: its centroid is the sizes' weighted mean */
		for (int j = 0; j < d; j++)
		{
			double	   *cx = &st.ct[j * st.cap + x];
			double	   *cy = &st.ct[j * st.cap + y];

			*cy = (nx * *cx + ny * *cy) / (nx + ny);
		}
		st.size[x] = 0.0;
		st.dead[x] = INFINITY;
		st.size[y] = nx + ny;
		alive--;
		/* moving the centroids costs about one query: compact often */
		if (alive >= AGGLO_COMPACT_MIN && alive * 8 <= st.live * 7)
		{
			WardCompact(&st, map);
			for (int64_t t = 0; t < len; t++)
				chain[t] = map[chain[t]];
		}
	}
	UsFree(core, st.val);
	UsFree(core, st.tile);
	UsFree(core, st.id);
	UsFree(core, st.dead);
	UsFree(core, st.size);
	UsFree(core, st.ct);
	UsFree(core, map);
	UsFree(core, chain);
}

/* ---- complete and average: scipy's chain on the condensed matrix ---- */

typedef struct CondState
{
	int64_t		live;			/* slots of the current matrix */
	int64_t		cap;			/* stride of the transposed centroids */
	int			d;
	double	   *dist;			/* condensed: (s, t), s < t, at row[s] + t */
	int64_t    *row;			/* row[s] = s live - s (s + 1) / 2 - s - 1 */
	int64_t    *size;			/* per slot, 0 for a dead one */
	int64_t    *id;
	/* the centroids in the order of a k-d tree's leaves, in tiles of US_TILE */
	int64_t		qlen;			/* positions in use */
	double	   *ct;				/* d x cap: the centroid at position p at ct[j * cap + p] */
	int64_t    *slot_at;		/* per position, its slot or -1 */
	int64_t    *pos;			/* per slot, its position */
	double	   *box;			/* per tile: d lows, then d highs, of its centroids */
	double	   *tile;			/* US_TILE squared centroid distances */
	double	   *xq;				/* d: the centroid of a query */
	double		slack;			/* absolute rounding allowance of a centroid bound */
} CondState;

static void
CondRows(CondState *st)
{
	for (int64_t s = 0; s < st->live; s++)
		st->row[s] = s * st->live - s * (s + 1) / 2 - s - 1;
}

static inline double *
CondAt(const CondState *st, int64_t s, int64_t t)
{
	return s < t ? &st->dist[st->row[s] + t] : &st->dist[st->row[t] + s];
}

/* Pairs of rows per chunk of the fill (each item is two rows of n - 1 pairs in all) */
#define COND_FILL_CHUNK 16

typedef struct CondFillArg
{
	const UsMatrix *m;
	const CondState *st;
	const double *xt;			/* d x cap: the rows transposed */
	int64_t		cap;
} CondFillArg;

/* Row i of the condensed matrix: scipy's pdist, each distance summed in column order */
static US_KERNEL void
CondFillRow(const CondFillArg *fa, int64_t i, double *tile)
{
	int64_t		n = fa->m->n;
	double	   *out = &fa->st->dist[fa->st->row[i]];

	for (int64_t base = i + 1; base < n; base += US_TILE)
	{
		int			cnt = (int) (n - base < US_TILE ? n - base : US_TILE);

		UsSqDistTile(fa->m->x + i * fa->m->d, fa->xt + base, fa->cap, fa->m->d, tile);
		for (int j = 0; j < cnt; j++)
			out[base + j] = sqrt(tile[j]);
	}
}

/* Items [begin, end): item t is rows t and n - 2 - t, so every item has n pairs */
static bool
CondFillChunk(void *arg, int64_t c, int64_t begin, int64_t end, void *partial,
			  void *scratch, const UsParallel *par)
{
	const CondFillArg *fa = arg;
	int64_t		n = fa->m->n;

	for (int64_t t = begin; t < end; t++)
	{
		CondFillRow(fa, t, scratch);
		if (n - 2 - t != t)
			CondFillRow(fa, n - 2 - t, scratch);
		if (UsParallelStopping(par))
			return false;
	}
	return true;
}

/*
 * Fill the condensed matrix, on the worker threads: each row is written by one
 * thread, with the same sums as one thread would make
 */
static void
CondFill(const UsCore *core, const UsMatrix *m, CondState *st)
{
	int64_t		n = m->n;
	int			d = m->d;
	int64_t		cap = (n + US_TILE - 1) / US_TILE * US_TILE + US_TILE;
	double	   *xt = UsAlloc(core, sizeof(double) * (size_t) cap * (size_t) d);
	CondFillArg fa = {m, st, xt, cap};
	UsParallelFor pf;

	for (int64_t i = 0; i < n; i++)
		for (int j = 0; j < d; j++)
			xt[j * cap + i] = m->x[i * d + j];
	memset(&pf, 0, sizeof(pf));
	pf.n = n / 2;				/* rows 0 .. n - 2, two per item */
	pf.chunk = COND_FILL_CHUNK;
	pf.scratch_bytes = sizeof(double) * US_TILE;
	pf.run = CondFillChunk;
	pf.arg = &fa;
	UsParallelRun(core, &pf);
	UsFree(core, xt);
}

static void CondBoxes(CondState *st);

/* The matrix of the live slots only, in place (each entry moves down), in order */
static void
CondCompact(AggloWork *w, CondState *st, int64_t *map)
{
	int64_t		k = 0;
	int64_t		old_live = st->live;
	int64_t    *old_of = map + old_live;	/* new slot -> old slot */

	for (int64_t s = 0; s < old_live; s++)
	{
		if (st->size[s] == 0)
		{
			map[s] = -1;
			continue;
		}
		map[s] = k;
		old_of[k] = s;
		k++;
	}
	/* new (a, b) is never after old (old_of[a], old_of[b]), so a forward copy is safe */
	for (int64_t a = 0; a < k; a++)
	{
		int64_t		sa = old_of[a];
		int64_t		nrow = a * k - a * (a + 1) / 2 - a - 1;

		for (int64_t b = a + 1; b < k; b++)
			st->dist[nrow + b] = st->dist[st->row[sa] + old_of[b]];
		AggloCount(w, k - a);
	}
	for (int64_t a = 0; a < k; a++)
	{
		st->size[a] = st->size[old_of[a]];
		st->id[a] = st->id[old_of[a]];
	}
	st->live = k;
	/* the centroids of the live slots move down too, in the same order */
	{
		int64_t		q = 0;

		for (int64_t p = 0; p < st->qlen; p++)
		{
			int64_t		s = st->slot_at[p];

			if (s < 0)
				continue;
			for (int j = 0; j < st->d; j++)
				st->ct[j * st->cap + q] = st->ct[j * st->cap + p];
			st->slot_at[q] = map[s];
			st->pos[map[s]] = q;
			q++;
		}
		st->qlen = q;
		CondBoxes(st);
	}
	CondRows(st);
}

/*
 * The square of the farthest a centroid may be from the query's for the cluster to be
 * read: beyond it the linkage distance is certainly more than cur.
 */
static inline double
CondReach(const CondState *st, double cur)
{
	double		t;

	if (!(cur < INFINITY))
		return INFINITY;
	t = cur * (1.0 + 1e-9) + st->slack;
	return t * t;
}

/* Widen the box of the tile at position p to hold the centroid there */
static inline void
CondBoxAdd(CondState *st, int64_t p)
{
	double	   *b = &st->box[(p / US_TILE) * 2 * st->d];

	for (int j = 0; j < st->d; j++)
	{
		double		v = st->ct[j * st->cap + p];

		b[j] = v < b[j] ? v : b[j];
		b[st->d + j] = v > b[st->d + j] ? v : b[st->d + j];
	}
}

/* The box of every tile, from the live positions */
static void
CondBoxes(CondState *st)
{
	int64_t		tiles = (st->qlen + US_TILE - 1) / US_TILE;

	for (int64_t t = 0; t < tiles; t++)
		for (int j = 0; j < st->d; j++)
		{
			st->box[t * 2 * st->d + j] = INFINITY;
			st->box[t * 2 * st->d + st->d + j] = -INFINITY;
		}
	for (int64_t p = 0; p < st->qlen; p++)
		if (st->slot_at[p] >= 0)
			CondBoxAdd(st, p);
}

/* Squared distance of q to the box of tile t (0 inside it) */
static inline double
CondBoxDist(const CondState *st, const double *q, int64_t t)
{
	const double *b = &st->box[t * 2 * st->d];
	double		s = 0.0;

	for (int j = 0; j < st->d; j++)
	{
		double		g = b[j] - q[j];
		double		h = q[j] - b[st->d + j];
		double		e = g > h ? g : h;

		if (e > 0)
			s += e * e;
	}
	return s;
}

/* The candidates of tile t for the nearest slot of x (see CondNearest) */
static US_KERNEL_INLINE void
CondNearestTile(CondState *st, int64_t x, int64_t t, int64_t *y, double *cur,
				double *reach, bool *keep)
{
	int64_t		base = t * US_TILE;
	int			cnt = (int) (st->qlen - base < US_TILE ? st->qlen - base : US_TILE);

	UsSqDistTile(st->xq, st->ct + base, st->cap, st->d, st->tile);
	for (int j = 0; j < cnt; j++)
	{
		int64_t		i = st->slot_at[base + j];
		double		dd;

		if (st->tile[j] > *reach || i < 0 || i == x)
			continue;
		dd = *CondAt(st, i, x);
		if (dd < *cur || (dd == *cur && !*keep && i < *y))
		{
			*cur = dd;
			*y = i;
			*keep = false;
			*reach = CondReach(st, dd);
		}
	}
}

/*
 * scipy's query: the nearest live slot of x, y (the chain's previous slot, or -1)
 * kept unless a slot is strictly nearer than *cur, and of the others at the least
 * distance the lowest slot (scipy scans the slots in order and only a strictly
 * smaller distance replaces the minimum).  That rule does not depend on the order
 * the slots are read in, so they are read by tiles of nearby centroids, x's own
 * tile first, and slots whose centroid is farther than CondReach are not read: the
 * complete or average distance of two clusters is at least the distance of their
 * centroids (the mean of the pairwise differences is the difference of the
 * centroids, and a norm of a mean is at most the mean of the norms), so none of them
 * could replace the minimum.  A tile whose box is that far is skipped whole.
 */
static int64_t
CondNearest(CondState *st, int64_t x, int64_t y, double *curp)
{
	double		cur = *curp;
	double		reach = CondReach(st, cur);
	bool		keep = y >= 0;
	int64_t		px = st->pos[x];
	int64_t		tiles = (st->qlen + US_TILE - 1) / US_TILE;

	for (int j = 0; j < st->d; j++)
		st->xq[j] = st->ct[j * st->cap + px];
	CondNearestTile(st, x, px / US_TILE, &y, &cur, &reach, &keep);
	for (int64_t t = 0; t < tiles; t++)
		if (t != px / US_TILE && !(CondBoxDist(st, st->xq, t) > reach))
			CondNearestTile(st, x, t, &y, &cur, &reach, &keep);
	*curp = cur;
	return y;
}

/* Lance-Williams for the merge of x < y into y: complete or average */
static inline double
CondMerged(double dxi, double dyi, double nx, double ny, bool average)
{
	if (average)
		return (nx * dxi + ny * dyi) / (nx + ny);
	return dxi > dyi ? dxi : dyi;
}

/* A merge's updates, cut into parts of rows for the team */
typedef struct CondMerge
{
	CondState  *st;
	int64_t		x;
	int64_t		y;
	double		nx;
	double		ny;
	bool		average;
	int64_t		per;			/* rows per part */
} CondMerge;

/* Rows a part of a merge's updates has at least (shorter merges run in one part) */
#define COND_PART_ROWS 1024

/*
 * Distances of the live slots [lo, hi) to y after the merge of x < y into y (sizes
 * before it)
 */
static US_KERNEL_INLINE void
CondUpdateRows(const CondMerge *cm, int64_t lo, int64_t hi)
{
	const CondState *st = cm->st;
	int64_t		x = cm->x;
	int64_t		y = cm->y;
	double		fx = cm->nx;
	double		fy = cm->ny;
	bool		average = cm->average;
	const int64_t *row = st->row;
	const int64_t *size = st->size;
	double	   *dist = st->dist;
	const double *rx = &dist[row[x]];
	double	   *ry = &dist[row[y]];
	int64_t		end;

	/* i < x: both in row i, one row apart each step; read ahead of the strides */
	end = hi < x ? hi : x;
	for (int64_t i = lo; i < end; i++)
	{
		if (i + COND_AHEAD < end)
		{
			__builtin_prefetch(&dist[row[i + COND_AHEAD] + x], 0);
			__builtin_prefetch(&dist[row[i + COND_AHEAD] + y], 1);
		}
		if (size[i] > 0)
			dist[row[i] + y] = CondMerged(dist[row[i] + x], dist[row[i] + y], fx, fy,
										  average);
	}
	/* x < i < y: (x, i) along row x, (i, y) down column y */
	end = hi < y ? hi : y;
	for (int64_t i = lo > x + 1 ? lo : x + 1; i < end; i++)
	{
		if (i + COND_AHEAD < end)
			__builtin_prefetch(&dist[row[i + COND_AHEAD] + y], 1);
		if (size[i] > 0)
			dist[row[i] + y] = CondMerged(rx[i], dist[row[i] + y], fx, fy, average);
	}
	/* y < i: both along rows x and y */
	for (int64_t i = lo > y + 1 ? lo : y + 1; i < hi; i++)
		if (size[i] > 0)
			ry[i] = CondMerged(rx[i], ry[i], fx, fy, average);
}

static void
CondUpdatePart(void *arg, int64_t part)
{
	const CondMerge *cm = arg;
	int64_t		lo = part * cm->per;
	int64_t		hi = lo + cm->per < cm->st->live ? lo + cm->per : cm->st->live;

	CondUpdateRows(cm, lo, hi);
}

/*
 * Distance of every live slot to y after the merge of x < y into y, on the team:
 * each entry is written by one thread, from the same two entries
 */
static void
CondUpdate(AggloWork *w, CondState *st, int64_t x, int64_t y, int64_t nx, int64_t ny,
		   bool average)
{
	CondMerge	cm = {st, x, y, (double) nx, (double) ny, average, 0};
	int64_t		parts = w->team ? st->live / COND_PART_ROWS : 1;

	if (parts > 16)
		parts = 16;
	if (parts < 1)
		parts = 1;
	cm.per = (st->live + parts - 1) / parts;
	UsTeamRun(w->team, CondUpdatePart, &cm, parts);
}

static US_KERNEL_INLINE void
AggloCondensed(const UsCore *core, const UsMatrix *m, bool average, double *matrix,
			   AggloRaw *raw)
{
	int64_t		n = m->n;
	CondState	st;
	AggloWork	w = {core, 0, NULL};
	int64_t    *chain = UsAlloc(core, sizeof(int64_t) * (size_t) n);
	int64_t    *map = UsAlloc(core, sizeof(int64_t) * (size_t) n * 2);
	int64_t		len = 0;
	int64_t		alive = n;

	st.live = n;
	st.dist = matrix ? matrix :
		UsAlloc(core, sizeof(double) * (size_t) (n * (n - 1) / 2 + 1));
	st.row = UsAlloc(core, sizeof(int64_t) * (size_t) n);
	st.size = UsAlloc(core, sizeof(int64_t) * (size_t) n);
	st.id = UsAlloc(core, sizeof(int64_t) * (size_t) n);
	for (int64_t i = 0; i < n; i++)
	{
		st.size[i] = 1;
		st.id[i] = i;
	}
	st.d = m->d;
	st.cap = (n + US_TILE - 1) / US_TILE * US_TILE + US_TILE;
	st.ct = UsAlloc(core, sizeof(double) * (size_t) st.cap * (size_t) st.d);
	st.slot_at = UsAlloc(core, sizeof(int64_t) * (size_t) n);
	st.pos = UsAlloc(core, sizeof(int64_t) * (size_t) n);
	st.box = UsAlloc(core, sizeof(double) * 2 * (size_t) st.d * (size_t) (st.cap / US_TILE));
	st.tile = UsAlloc(core, sizeof(double) * US_TILE);
	st.xq = UsAlloc(core, sizeof(double) * (size_t) st.d);
	{
		double		top = 0.0;
		UsNeighbors ix;

		/* positions in the order of a k-d tree's leaves: nearby rows share tiles */
		UsNeighborsBuild(core, m, US_NN_KDTREE, 0.0, &ix);
		for (int64_t p = 0; p < n; p++)
		{
			int64_t		i = ix.order ? ix.order[p] : p;

			st.slot_at[p] = i;
			st.pos[i] = p;
			for (int j = 0; j < st.d; j++)
			{
				st.ct[j * st.cap + p] = m->x[i * st.d + j];
				top = fmax(top, fabs(m->x[i * st.d + j]));
			}
		}
		UsNeighborsFree(&ix);
		st.qlen = n;
		st.slack = 1e-8 * sqrt((double) st.d) * top;
		CondBoxes(&st);
	}
	CondRows(&st);
	CondFill(core, m, &st);
	w.team = UsTeamStart(core);

	for (int64_t k = 0; k < n - 1; k++)
	{
		int64_t		x = -1;
		int64_t		y = -1;
		double		cur = INFINITY;
		int64_t		nx;
		int64_t		ny;

		if (len == 0)
		{
			for (int64_t s = 0; s < st.live; s++)
				if (st.size[s] > 0)
				{
					chain[0] = s;
					break;
				}
			len = 1;
		}
		for (;;)
		{
			x = chain[len - 1];
			if (len > 1)
			{
				y = chain[len - 2];
				cur = *CondAt(&st, x, y);
			}
			else
				cur = INFINITY;
			y = CondNearest(&st, x, y, &cur);
			AggloCount(&w, st.live);
			if (y < 0)
				y = len > 1 ? chain[len - 2] : (x == 0 ? 1 : 0);	/* NaN only */
			if (len > 1 && y == chain[len - 2])
				break;
			chain[len++] = y;
		}
		len -= 2;
		if (x > y)
		{
			int64_t		t = x;

			x = y;
			y = t;
		}
		nx = st.size[x];
		ny = st.size[y];
		raw->a[k] = st.id[x];
		raw->b[k] = st.id[y];
		raw->dist[k] = cur;
		st.size[x] = 0;
		st.size[y] = nx + ny;
		for (int j = 0; j < st.d; j++)
		{
			double	   *cy = &st.ct[j * st.cap + st.pos[y]];

			*cy = ((double) nx * st.ct[j * st.cap + st.pos[x]] + (double) ny * *cy) /
				(double) (nx + ny);
		}
		CondBoxAdd(&st, st.pos[y]);
		st.slot_at[st.pos[x]] = -1;
		CondUpdate(&w, &st, x, y, nx, ny, average);
		AggloCount(&w, st.live);
		alive--;
		if (alive >= AGGLO_COMPACT_MIN && alive * 2 <= st.live)
		{
			CondCompact(&w, &st, map);
			for (int64_t t = 0; t < len; t++)
				chain[t] = map[chain[t]];
		}
	}
	UsTeamStop(w.team);
	UsFree(core, st.xq);
	UsFree(core, st.tile);
	UsFree(core, st.box);
	UsFree(core, st.pos);
	UsFree(core, st.slot_at);
	UsFree(core, st.ct);
	UsFree(core, st.id);
	UsFree(core, st.size);
	UsFree(core, st.row);
	if (!matrix)
		UsFree(core, st.dist);
	UsFree(core, map);
	UsFree(core, chain);
}

/* ---- single: Prim's algorithm as scikit-learn's mst_linkage_core ---- */

static US_KERNEL void
PrimTile(const double *sq, double *curd)
{
	for (int j = 0; j < US_TILE; j++)
	{
		double		v = sqrt(sq[j]);

		curd[j] = v < curd[j] ? v : curd[j];
	}
}

static void
AggloSingle(const UsCore *core, const UsMatrix *m, AggloRaw *raw)
{
	int64_t		n = m->n;
	int			d = m->d;
	int64_t		cap = (n + US_TILE - 1) / US_TILE * US_TILE + US_TILE;
	double	   *xt = UsAlloc(core, sizeof(double) * (size_t) cap * (size_t) d);
	double	   *curd = UsAlloc(core, sizeof(double) * (size_t) cap);
	int64_t    *id = UsAlloc(core, sizeof(int64_t) * (size_t) cap);
	double	   *tile = UsAlloc(core, sizeof(double) * US_TILE);
	double	   *xq = UsAlloc(core, sizeof(double) * (size_t) d);
	AggloWork	w = {core, 0, NULL};
	int64_t		left = n - 1;	/* rows not in the tree, at positions 0..left-1 */
	int64_t		current = 0;

	/* row 0 is in the tree first; the others in row order */
	for (int64_t i = 1; i < n; i++)
	{
		for (int j = 0; j < d; j++)
			xt[j * cap + i - 1] = m->x[i * d + j];
		curd[i - 1] = INFINITY;
		id[i - 1] = i;
	}
	for (int64_t k = 0; k < n - 1; k++)
	{
		double		best = INFINITY;
		int64_t		bpos = -1;

		for (int j = 0; j < d; j++)
			xq[j] = m->x[current * d + j];
		for (int64_t base = 0; base < left; base += US_TILE)
		{
			int			cnt = (int) (left - base < US_TILE ? left - base : US_TILE);

			UsSqDistTile(xq, xt + base, cap, d, tile);
			PrimTile(tile, curd + base);
			for (int j = 0; j < cnt; j++)
			{
				double		v = curd[base + j];

				if (v < best || (v == best && bpos >= 0 && id[base + j] < id[bpos]))
				{
					best = v;
					bpos = base + j;
				}
			}
			AggloCount(&w, cnt);
		}
		if (bpos < 0)
		{
			/* NaN distances only (the callers refuse them): the lowest row left */
			bpos = 0;
			for (int64_t p = 1; p < left; p++)
				if (id[p] < id[bpos])
					bpos = p;
			best = curd[bpos];
		}
		raw->a[k] = current;
		raw->b[k] = id[bpos];
		raw->dist[k] = best;
		current = id[bpos];
		/* swap the last row left into the position of the one added */
		left--;
		if (bpos != left)
		{
			for (int j = 0; j < d; j++)
				xt[j * cap + bpos] = xt[j * cap + left];
			curd[bpos] = curd[left];
			id[bpos] = id[left];
		}
	}
	UsFree(core, xq);
	UsFree(core, tile);
	UsFree(core, id);
	UsFree(core, curd);
	UsFree(core, xt);
}

/* ---- the tree: sort, relabel ---- */

static int
AggloCmpDist(int64_t a, int64_t b, void *arg)
{
	const double *dist = arg;

	if (dist[a] < dist[b])
		return -1;
	if (dist[a] > dist[b])
		return 1;
	return a < b ? -1 : (a > b ? 1 : 0);
}

static int64_t
AggloFind(int64_t *parent, int64_t x)
{
	int64_t		r = x;

	while (parent[r] >= 0)
		r = parent[r];
	while (parent[x] >= 0 && parent[x] != r)
	{
		int64_t		next = parent[x];

		parent[x] = r;
		x = next;
	}
	return r;
}

size_t
UsAggloWorkBytes(int64_t n, int d, UsLinkage linkage)
{
	size_t		nn = (size_t) (n > 1 ? n : 2);
	size_t		cap = (nn + US_TILE - 1) / US_TILE * US_TILE + US_TILE;
	/*
	 * the tree (children, distances, sizes), the raw merges, the sort, the union-find
	 * (parents and sizes of 2n - 1 nodes), the cut (a heap, 2n - 1 node labels) and the
	 * caller's labels; then 64 kB for the allocator's headers and blocks
	 */
	size_t		tree = nn * (2 * sizeof(int64_t) + sizeof(double) + sizeof(int64_t)) +
		nn * (2 * sizeof(int64_t) + sizeof(double)) + nn * sizeof(int64_t) +
		4 * nn * sizeof(int64_t) + nn * (sizeof(int64_t) + 2 * sizeof(int32_t)) +
		nn * sizeof(int32_t) + 65536;

	switch (linkage)
	{
		case US_LINKAGE_WARD:
			return tree + cap * (size_t) d * sizeof(double) + 2 * cap * sizeof(double) +
				3 * nn * sizeof(int64_t);
		case US_LINKAGE_SINGLE:
			return tree + cap * ((size_t) d * sizeof(double) + sizeof(double) +
								 sizeof(int64_t));
		case US_LINKAGE_COMPLETE:
		case US_LINKAGE_AVERAGE:
			break;
	}
	/*
	 * the condensed matrix, its row offsets, sizes, ids, the chain, the compaction; the
	 * centroids in tiles (positions, slots, boxes) and the k-d tree that orders them,
	 * the threads' buffers and team; then 128 kB for the allocator's rounding of those
	 * (a small allocation may take a block twice its size)
	 */
	return tree + (nn * (nn - 1) / 2 + 1) * sizeof(double) + 6 * nn * sizeof(int64_t) +
		cap * (size_t) d * sizeof(double) * 2 + 2 * nn * sizeof(int64_t) +
		2 * (size_t) d * sizeof(double) * (cap / US_TILE) + UsNeighborsBytes(n, d) +
		131072;
}

size_t
UsAggloMatrixBytes(int64_t n)
{
	return ((size_t) (n > 1 ? n : 2) * (size_t) ((n > 1 ? n : 2) - 1) / 2 + 1) *
		sizeof(double);
}

void
UsAgglo(const UsCore *core, const UsMatrix *m, UsLinkage linkage, double *matrix,
		UsAggloTree *tree)
{
	int64_t		n = m->n;
	int64_t		steps = n > 1 ? n - 1 : 0;
	size_t		s1 = (size_t) (steps > 0 ? steps : 1);
	AggloRaw	raw;
	int64_t    *order;
	int64_t    *parent;
	int64_t    *size;

	memset(tree, 0, sizeof(*tree));
	tree->n = n;
	tree->linkage = linkage;
	tree->children = UsAlloc(core, sizeof(int64_t) * 2 * s1);
	tree->distance = UsAlloc(core, sizeof(double) * s1);
	tree->size = UsAlloc(core, sizeof(int64_t) * s1);
	if (steps == 0)
		return;

	raw.a = UsAlloc(core, sizeof(int64_t) * s1);
	raw.b = UsAlloc(core, sizeof(int64_t) * s1);
	raw.dist = UsAlloc(core, sizeof(double) * s1);
	switch (linkage)
	{
		case US_LINKAGE_WARD:
			AggloWard(core, m, &raw);
			break;
		case US_LINKAGE_COMPLETE:
			AggloCondensed(core, m, false, matrix, &raw);
			break;
		case US_LINKAGE_AVERAGE:
			AggloCondensed(core, m, true, matrix, &raw);
			break;
		case US_LINKAGE_SINGLE:
			AggloSingle(core, m, &raw);
			break;
	}

	/* stable sort by distance (numpy's mergesort): ties keep the chain's order */
	order = UsAlloc(core, sizeof(int64_t) * s1);
	for (int64_t i = 0; i < steps; i++)
		order[i] = i;
	UsSortIndexes(core, order, steps, AggloCmpDist, raw.dist);

	/* relabel: merge i makes node n + i of the two roots */
	parent = UsAlloc(core, sizeof(int64_t) * (size_t) (2 * n - 1));
	size = UsAlloc(core, sizeof(int64_t) * (size_t) (2 * n - 1));
	for (int64_t i = 0; i < 2 * n - 1; i++)
	{
		parent[i] = -1;
		size[i] = i < n ? 1 : 0;
	}
	for (int64_t i = 0; i < steps; i++)
	{
		int64_t		r = order[i];
		int64_t		ra = AggloFind(parent, raw.a[r]);
		int64_t		rb = AggloFind(parent, raw.b[r]);

		if (linkage != US_LINKAGE_SINGLE && ra > rb)
		{
			int64_t		t = ra;

			ra = rb;
			rb = t;
		}
		tree->children[2 * i] = ra;
		tree->children[2 * i + 1] = rb;
		tree->distance[i] = raw.dist[r];
		size[n + i] = size[ra] + size[rb];
		tree->size[i] = size[n + i];
		parent[ra] = n + i;
		parent[rb] = n + i;
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(core);
	}
	UsFree(core, size);
	UsFree(core, parent);
	UsFree(core, order);
	UsFree(core, raw.dist);
	UsFree(core, raw.b);
	UsFree(core, raw.a);
}

int64_t
UsAggloClustersAt(const UsAggloTree *tree, double threshold)
{
	int64_t		k = 1;

	for (int64_t i = 0; i < tree->n - 1; i++)
		if (tree->distance[i] >= threshold)
			k++;
	return k;
}

/* CPython's heapq._siftdown on a min-heap of int64 */
static void
HeapSiftDown(int64_t *heap, int64_t start, int64_t pos)
{
	int64_t		item = heap[pos];

	while (pos > start)
	{
		int64_t		parent = (pos - 1) >> 1;

		if (item < heap[parent])
		{
			heap[pos] = heap[parent];
			pos = parent;
			continue;
		}
		break;
	}
	heap[pos] = item;
}

/* CPython's heapq._siftup: down to a leaf by the smaller child, then _siftdown */
static void
HeapSiftUp(int64_t *heap, int64_t len, int64_t pos)
{
	int64_t		start = pos;
	int64_t		item = heap[pos];
	int64_t		child = 2 * pos + 1;

	while (child < len)
	{
		int64_t		right = child + 1;

		if (right < len && !(heap[child] < heap[right]))
			child = right;
		heap[pos] = heap[child];
		pos = child;
		child = 2 * pos + 1;
	}
	heap[pos] = item;
	HeapSiftDown(heap, start, pos);
}

void
UsAggloCut(const UsCore *core, const UsAggloTree *tree, int64_t k, int32_t *labels)
{
	int64_t		n = tree->n;
	int64_t    *heap;
	int32_t    *node_label;
	int64_t		len = 1;

	if (n <= 1)
	{
		for (int64_t i = 0; i < n; i++)
			labels[i] = 0;
		return;
	}
	heap = UsAlloc(core, sizeof(int64_t) * (size_t) (k + 1));
	node_label = UsAlloc(core, sizeof(int32_t) * (size_t) (2 * n - 1));

	/* nodes = [-(max(children[-1]) + 1)]: the root */
	{
		int64_t		c0 = tree->children[2 * (n - 2)];
		int64_t		c1 = tree->children[2 * (n - 2) + 1];

		heap[0] = -((c0 > c1 ? c0 : c1) + 1);
	}
	for (int64_t s = 0; s < k - 1; s++)
	{
		int64_t		node = -heap[0];
		const int64_t *ch = &tree->children[2 * (node - n)];
		int64_t		item;

		/* heappush(nodes, -children[0]) */
		heap[len++] = -ch[0];
		HeapSiftDown(heap, 0, len - 1);
		/* heappushpop(nodes, -children[1]): the root is the node split, so it goes */
		item = -ch[1];
		if (heap[0] < item)
		{
			heap[0] = item;
			HeapSiftUp(heap, len, 0);
		}
		if (s % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(core);
	}

	for (int64_t i = 0; i < 2 * n - 1; i++)
		node_label[i] = -1;
	for (int64_t i = 0; i < len; i++)
		node_label[-heap[i]] = (int32_t) i;
	for (int64_t node = 2 * n - 2; node >= n; node--)
	{
		if (node_label[node] >= 0)
		{
			node_label[tree->children[2 * (node - n)]] = node_label[node];
			node_label[tree->children[2 * (node - n) + 1]] = node_label[node];
		}
		if (node % US_CHECK_EVERY == 0)
			UsCheck(core);
	}
	for (int64_t i = 0; i < n; i++)
		labels[i] = node_label[i];
	UsFree(core, node_label);
	UsFree(core, heap);
}
