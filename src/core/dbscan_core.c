/*-------------------------------------------------------------------------
 *
 * dbscan_core.c
 *	  DBSCAN (Ester, Kriegel, Sander & Xu, "A density-based algorithm for
 *	  discovering clusters in large spatial databases with noise", KDD 1996) with
 *	  scikit-learn 1.2's semantics, on the neighbour index of neighbors_core.c.
 *
 * Semantics (scikit-learn's DBSCAN and its _dbscan_inner): Euclidean distance; a row
 * is within eps of another when their squared distance is <= eps * eps (inclusive); a
 * row counts in its own neighbourhood; it is core when its neighbourhood weighs at
 * least min_samples (each row weighs 1, or its sample weight).  Clusters are the
 * connected components of core rows (two cores within eps are connected), numbered
 * 0, 1, ... in the order of their lowest-numbered core row, as _dbscan_inner expands
 * from the core rows in row order.  A non-core row within eps of a core row (a border
 * row) joins the first cluster that reaches it in that expansion, which is the
 * lowest-numbered cluster among its core neighbours; the other rows are noise (-1).
 *
 * Algorithm: never a whole neighbourhood in memory (scikit-learn holds every
 * neighbourhood at once, which does not fit for a large eps).
 *	1. Core test: each row's neighbourhood is weighed until it reaches min_samples
 *	   (then the query stops; with a negative weight it cannot stop early).
 *	2. Cores are joined in a union-find (path halving, union by lower root), so
 *	   the components do not depend on the order pairs are met.
 *	3. Components are numbered by their lowest core row; border rows take the
 *	   lowest number among their core neighbours.
 * On a grid (d <= 3) every cell's diameter is below eps, so the rows of a cell are
 * within eps of each other (Gunawan 2013; de Berg, Gunawan & Roeloffzen 2017): a cell
 * holding min_samples rows (of non-negative weights) is all core without a query; the
 * cores of a cell are one component; two cells' components are joined by the first
 * pair of their cores found within eps, and not looked at again once joined; a border
 * row looks only at cells whose cluster would lower its number.  On a k-d tree or by
 * brute force, each core row's neighbourhood is visited once for the joins.
 *
 * Threads (UsParallelRun, parallel_core.c): the core test, in chunks of
 * DBSCAN_ROW_CHUNK rows (or DBSCAN_CELL_CHUNK cells on a grid); each row's test reads
 * only the matrix, the index and the weights and writes only its own flag, so the
 * flags are the same for every number of threads.  The joins of a k-d tree or brute
 * force, in chunks of rows too: unions are atomic and their result, the components
 * with their lowest rows as roots, does not depend on the order they happen in (see
 * DbscanFind), so the clusters and their numbers do not either.  The grid's joins and
 * the border rows run on the calling thread, in row order.
 *
 * Complexity: grid O(n log n) for the sort plus, per cell, the pairs of at most its
 * 25 (2-D) neighbouring cells until joined; k-d tree O(n log n) build and one query
 * per row for each of the three steps.  Memory beyond the matrix and the index:
 * 5 bytes per row (core flags; the labels, which hold the union-find parents until
 * the cores are numbered, in place) and 8 per grid cell or 4 per k-d tree node, all
 * through UsAlloc, allocated after the index is built (its build's keys are gone by
 * then).
 * Rows are numbered in 32 bits: n is below 2^31.  Interrupts: every US_CHECK_EVERY
 * rows of each loop, and inside the index's queries.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "uscore.h"

/* Rows, or grid cells, per chunk of the core test (UsParallelRun) */
#define DBSCAN_ROW_CHUNK 1024
#define DBSCAN_CELL_CHUNK 512

typedef struct DbscanRun
{
	const UsCore *core;
	const UsMatrix *m;
	const UsDbscanParams *p;
	UsNeighbors ix;
	bool	   *is_core;
	int32_t    *labels;			/* union-find parents until the numbering, then labels */
	int32_t    *node_rep;		/* k-d tree: per node -2 no core, -1 unknown, or a core row
								 * whose component holds every core of the node */
	bool		early;			/* weights are all >= 0: the core test may stop early */
} DbscanRun;

/*
 * Union-find over the rows in r->labels.  A parent is never above its child (union by
 * lower root, path halving), so a component's root is its lowest-numbered core row.
 *
 * The joins of a k-d tree or brute force run on several threads at once, so parents
 * are read and written atomically (relaxed: no other data is published through them):
 * path halving replaces a parent by its own parent only if it is unchanged, and a
 * root is linked under a lower root only if it still is a root (compare and swap),
 * else the union starts again from the new roots.  A parent stays at most its child,
 * so the components, and their roots, do not depend on the order unions happen in
 * (Anderson & Woll, "Wait-free parallel algorithms for the union-find problem",
 * STOC 1991).
 */
static inline int32_t
DbscanLoad(const int32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void
DbscanStore(int32_t *p, int32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static inline bool
DbscanSwap(int32_t *p, int32_t expected, int32_t v)
{
	return __atomic_compare_exchange_n(p, &expected, v, false, __ATOMIC_RELAXED,
									   __ATOMIC_RELAXED);
}

static int64_t
DbscanFind(int32_t *parent, int64_t i)
{
	for (;;)
	{
		int32_t		p = DbscanLoad(&parent[i]);
		int32_t		g;

		if (p == i)
			return i;
		g = DbscanLoad(&parent[p]);
		if (g != p)
			(void) DbscanSwap(&parent[i], p, g);
		i = g;
	}
}

static void
DbscanUnion(int32_t *parent, int64_t a, int64_t b)
{
	for (;;)
	{
		a = DbscanFind(parent, a);
		b = DbscanFind(parent, b);
		if (a == b)
			return;
		if (a > b)
		{
			int64_t		t = a;

			a = b;
			b = t;
		}
		if (DbscanSwap(&parent[b], (int32_t) b, (int32_t) a))
			return;
	}
}

static inline double
DbscanWeight(const DbscanRun *r, int64_t j)
{
	return r->p->weight ? r->p->weight[j] : 1.0;
}

/* ---- 1. the core test ---- */

typedef struct CountArg
{
	const DbscanRun *r;
	double		sum;
} CountArg;

static bool
DbscanCountVisit(void *arg, int64_t j, double sqdist)
{
	CountArg   *c = arg;

	c->sum += DbscanWeight(c->r, j);
	return !(c->r->early && c->sum >= c->r->p->min_samples);
}

static bool
DbscanCountNode(void *arg, int64_t node, const int32_t *rows, int64_t count)
{
	CountArg   *c = arg;

	if (c->r->p->weight)
		for (int64_t t = 0; t < count; t++)
			c->sum += c->r->p->weight[rows[t]];
	else
		c->sum += (double) count;
	return !(c->r->early && c->sum >= c->r->p->min_samples);
}

/* Whether row i is core; poll as the query's (UsNeighborPoll) */
static bool
DbscanIsCore(const DbscanRun *r, int64_t i, UsNeighborPoll *poll)
{
	CountArg	c = {r, 0.0};
	UsNeighborVisitor v = {DbscanCountVisit, DbscanCountNode, NULL, &c, poll};

	(void) UsNeighborsRadiusVisit(&r->ix, r->m->x + i * r->m->d, r->p->eps, &v);
	return c.sum >= r->p->min_samples;
}

/*
 * One chunk of the core test (UsParallelRun): rows [begin, end), or on a grid (with
 * weights that are not negative) cells [begin, end).  It writes only the core flags
 * of its own rows, from the matrix and the index, so a chunk cut short runs again
 * from its start to the same flags.
 */
static bool
DbscanCoresChunk(void *arg, int64_t c, int64_t begin, int64_t end, void *partial,
				 void *scratch, const UsParallel *par)
{
	DbscanRun  *r = arg;
	const UsNeighbors *ix = &r->ix;
	UsNeighborPoll poll = {par, 0, false};
	int64_t		rows = 0;

	if (ix->kind == US_NN_GRID && r->early)
	{
		for (int64_t cell = begin; cell < end; cell++)
		{
			double		w = 0.0;
			bool		full;

			for (int64_t p = ix->cell_start[cell]; p < ix->cell_start[cell + 1]; p++)
				w += DbscanWeight(r, ix->order[p]);
			full = w >= r->p->min_samples;
			for (int64_t p = ix->cell_start[cell]; p < ix->cell_start[cell + 1]; p++)
			{
				int64_t		i = ix->order[p];

				r->is_core[i] = full || DbscanIsCore(r, i, &poll);
				if (poll.stopped)
					return false;
				if (++rows % US_CHECK_EVERY == 0 && UsParallelStopping(par))
					return false;
			}
		}
		return true;
	}
	for (int64_t i = begin; i < end; i++)
	{
		r->is_core[i] = DbscanIsCore(r, i, &poll);
		if (poll.stopped)
			return false;
		if (++rows % US_CHECK_EVERY == 0 && UsParallelStopping(par))
			return false;
	}
	return true;
}

/* The UsParallelFor of the core test: chunks of rows, or of cells on a grid */
static void
DbscanCoresFor(const DbscanRun *r, UsParallelFor *pf)
{
	memset(pf, 0, sizeof(*pf));
	if (r->ix.kind == US_NN_GRID && r->early)
	{
		pf->n = r->ix.ncells;
		pf->chunk = DBSCAN_CELL_CHUNK;
	}
	else
	{
		pf->n = r->m->n;
		pf->chunk = DBSCAN_ROW_CHUNK;
	}
	pf->run = DbscanCoresChunk;
	pf->arg = (void *) r;
}

static void
DbscanCores(DbscanRun *r)
{
	UsParallelFor pf;

	DbscanCoresFor(r, &pf);
	UsParallelRun(r->core, &pf);
}

/* ---- 2. joining the cores ---- */

typedef struct JoinArg
{
	DbscanRun  *r;
	int64_t		i;
} JoinArg;

/*
 * One chunk of the joins on a k-d tree or by brute force (UsParallelRun): each core row
 * of rows [begin, end) joins the cores within eps.  Chunks run on several threads at
 * once, each union atomic and the node cache only ever recording what holds (a node's
 * cores are in one component, which stays true as components grow), so the components
 * are those of one thread.  Cut short, a chunk runs again from its start: its unions
 * are made already, making them again changes nothing.
 */
static bool
DbscanJoinChunk(void *arg, int64_t c, int64_t begin, int64_t end, void *partial,
				void *scratch, const UsParallel *par);

static bool
DbscanJoinVisit(void *arg, int64_t j, double sqdist)
{
	JoinArg    *a = arg;

	if (a->r->is_core[j])
		DbscanUnion(a->r->labels, a->i, j);
	return true;
}

/*
 * Squared distance from x to the box of cell c, grown by a millionth of a cell so that
 * a row placed in c despite rounding is inside it: a lower bound of the distance to
 * every row of c
 */
static double
DbscanCellBoxDist(const DbscanRun *r, int64_t c, const double *x)
{
	const UsNeighbors *ix = &r->ix;
	int			d = r->m->d;
	uint64_t	key = ix->cell_key[c];
	double		s = 0.0;

	for (int j = d - 1; j >= 0; j--)
	{
		double		coord = (double) (key % (uint64_t) ix->dims[j]);
		double		lo = ix->lo[j] + (coord - 1e-6) * ix->h;
		double		hi = ix->lo[j] + (coord + 1.0 + 1e-6) * ix->h;
		double		t = x[j] < lo ? lo - x[j] : (x[j] > hi ? x[j] - hi : 0.0);

		key /= (uint64_t) ix->dims[j];
		s += t * t;
	}
	return s;
}

/* Whether a core of cell a and a core of cell b are within eps */
static bool
DbscanCellsTouch(DbscanRun *r, int64_t a, int64_t b)
{
	const UsNeighbors *ix = &r->ix;
	int			d = r->m->d;
	double		r2 = r->p->eps * r->p->eps;

	for (int64_t p = ix->cell_start[a]; p < ix->cell_start[a + 1]; p++)
	{
		const double *xp;

		if (!r->is_core[ix->order[p]])
			continue;
		xp = r->m->x + (int64_t) ix->order[p] * d;
		/* rows of a farther than eps from b's box have no neighbour in b */
		if (DbscanCellBoxDist(r, b, xp) * (1.0 - 1e-9) > r2)
			continue;
		for (int64_t q = ix->cell_start[b]; q < ix->cell_start[b + 1]; q++)
		{
			const double *xq = r->m->x + (int64_t) ix->order[q] * d;
			double		s = 0.0;

			if (!r->is_core[ix->order[q]])
				continue;
			for (int j = 0; j < d; j++)
			{
				double		t = xp[j] - xq[j];

				s += t * t;
			}
			if (s <= r2)
				return true;
		}
		r->ix.work += ix->cell_start[b + 1] - ix->cell_start[b];
		if (r->ix.work >= US_CHECK_EVERY)
		{
			r->ix.work %= US_CHECK_EVERY;
			UsCheck(r->core);
		}
	}
	return false;
}

static void
DbscanJoinGrid(DbscanRun *r, int64_t *first, int64_t *cells, int maxcells)
{
	const UsNeighbors *ix = &r->ix;

	for (int64_t c = 0; c < ix->ncells; c++)
	{
		first[c] = -1;
		for (int64_t p = ix->cell_start[c]; p < ix->cell_start[c + 1]; p++)
		{
			int64_t		i = ix->order[p];

			if (!r->is_core[i])
				continue;
			if (first[c] < 0)
				first[c] = i;
			else
				DbscanUnion(r->labels, first[c], i);
		}
	}
	for (int64_t c = 0; c < ix->ncells; c++)
	{
		int			nc;

		if (first[c] < 0)
			continue;
		nc = UsNeighborsNearCells(ix, r->m->x + first[c] * r->m->d, r->p->eps, cells,
								  maxcells);
		for (int t = 1; t < nc; t++)
		{
			int64_t		c2 = cells[t];

			if (c2 <= c || first[c2] < 0 ||
				DbscanFind(r->labels, first[c]) == DbscanFind(r->labels, first[c2]))
				continue;
			if (DbscanCellsTouch(r, c, c2))
				DbscanUnion(r->labels, first[c], first[c2]);
		}
		if (c % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(r->core);
	}
}

/*
 * k-d tree: leave out nodes without cores, and nodes whose cores are all in i's
 * component already.  A node whose cores are found to be in one component records one
 * of them (components only grow, so that stays true): a leaf when all its cores are
 * in i's component, an inner node when both children have recorded the same one.
 */
static bool
DbscanJoinSkip(void *arg, int64_t node)
{
	JoinArg    *a = arg;
	DbscanRun  *r = a->r;
	const UsNeighbors *ix = &r->ix;
	int64_t		rep = DbscanLoad(&r->node_rep[node]);
	int64_t		root = DbscanFind(r->labels, a->i);

	if (rep == -2)
		return true;
	if (rep >= 0)
		return DbscanFind(r->labels, rep) == root;
	if (ix->node_left[node] >= 0)
	{
		int64_t		rl = DbscanLoad(&r->node_rep[ix->node_left[node]]);
		int64_t		rr = DbscanLoad(&r->node_rep[ix->node_right[node]]);

		if (rl == -1 || rr == -1)
			return false;
		if (rl == -2 || rr == -2)
			rep = rl == -2 ? rr : rl;
		else if (DbscanFind(r->labels, rl) == DbscanFind(r->labels, rr))
			rep = rl;
		else
			return false;
		DbscanStore(&r->node_rep[node], (int32_t) rep);
		return DbscanFind(r->labels, rep) == root;
	}
	for (int64_t p = ix->node_start[node]; p < ix->node_end[node]; p++)
	{
		int64_t		j = ix->order[p];

		if (!r->is_core[j])
			continue;
		if (DbscanFind(r->labels, j) != root)
			return false;
		if (rep < 0)
			rep = j;
	}
	DbscanStore(&r->node_rep[node], (int32_t) rep);
	return true;
}

/* k-d tree: a node within eps of core row i joins i's component, all its cores at once */
static bool
DbscanJoinNode(void *arg, int64_t node, const int32_t *rows, int64_t count)
{
	JoinArg    *a = arg;
	int64_t		rep = DbscanLoad(&a->r->node_rep[node]);

	if (rep >= 0)
	{
		DbscanUnion(a->r->labels, a->i, rep);
		return true;
	}
	for (int64_t t = 0; t < count; t++)
		if (a->r->is_core[rows[t]])
		{
			DbscanUnion(a->r->labels, a->i, rows[t]);
			if (rep < 0)
				rep = rows[t];
		}
	DbscanStore(&a->r->node_rep[node], rep >= 0 ? (int32_t) rep : -2);
	return true;
}

/* k-d tree: -2 for the nodes without a core row (children have higher numbers) */
static void
DbscanNodeCores(DbscanRun *r)
{
	const UsNeighbors *ix = &r->ix;

	for (int64_t id = ix->nnodes - 1; id >= 0; id--)
	{
		bool		any = false;

		if (ix->node_left[id] < 0)
			for (int64_t p = ix->node_start[id]; p < ix->node_end[id] && !any; p++)
				any = r->is_core[ix->order[p]];
		else
			any = r->node_rep[ix->node_left[id]] != -2 || r->node_rep[ix->node_right[id]] != -2;
		r->node_rep[id] = any ? -1 : -2;
		if (id % US_CHECK_EVERY == 0)
			UsCheck(r->core);
	}
}

static bool
DbscanJoinChunk(void *arg, int64_t c, int64_t begin, int64_t end, void *partial,
				void *scratch, const UsParallel *par)
{
	DbscanRun  *r = arg;
	UsNeighborPoll poll = {par, 0, false};

	for (int64_t i = begin; i < end; i++)
	{
		JoinArg		a = {r, i};
		UsNeighborVisitor v = {DbscanJoinVisit, NULL, NULL, &a, &poll};

		if (r->node_rep)
		{
			v.node = DbscanJoinNode;
			v.skip = DbscanJoinSkip;
		}
		if (r->is_core[i])
			(void) UsNeighborsRadiusVisit(&r->ix, r->m->x + i * r->m->d, r->p->eps, &v);
		if (poll.stopped)
			return false;
		if ((i - begin) % US_CHECK_EVERY == US_CHECK_EVERY - 1 && UsParallelStopping(par))
			return false;
	}
	return true;
}

static void
DbscanJoinQueries(DbscanRun *r)
{
	UsParallelFor pf;

	if (r->ix.kind == US_NN_KDTREE)
	{
		r->node_rep = UsAlloc(r->core, sizeof(int32_t) * (size_t) r->ix.nnodes);
		DbscanNodeCores(r);
	}
	memset(&pf, 0, sizeof(pf));
	pf.n = r->m->n;
	pf.chunk = DBSCAN_ROW_CHUNK;
	pf.run = DbscanJoinChunk;
	pf.arg = r;
	UsParallelRun(r->core, &pf);
}

/* ---- 3. numbering, border rows ---- */

typedef struct BorderArg
{
	const DbscanRun *r;
	int32_t		best;
} BorderArg;

static bool
DbscanBorderVisit(void *arg, int64_t j, double sqdist)
{
	BorderArg  *b = arg;

	if (b->r->is_core[j] && b->r->labels[j] < b->best)
		b->best = b->r->labels[j];
	return b->best > 0;
}

/* k-d tree: leave out nodes without cores, or whose cluster would not lower best */
static bool
DbscanBorderSkip(void *arg, int64_t node)
{
	BorderArg  *b = arg;
	int64_t		rep = b->r->node_rep[node];

	return rep == -2 || (rep >= 0 && b->r->labels[rep] >= b->best);
}

static bool
DbscanBorderNode(void *arg, int64_t node, const int32_t *rows, int64_t count)
{
	BorderArg  *b = arg;
	int64_t		rep = b->r->node_rep[node];

	if (rep >= 0)
		b->best = b->r->labels[rep] < b->best ? b->r->labels[rep] : b->best;
	else
		for (int64_t t = 0; t < count; t++)
			if (b->r->is_core[rows[t]] && b->r->labels[rows[t]] < b->best)
				b->best = b->r->labels[rows[t]];
	return b->best > 0;
}

/* Whether a core of cell c is within eps of x */
static bool
DbscanCellReaches(DbscanRun *r, int64_t c, const double *x)
{
	const UsNeighbors *ix = &r->ix;
	int			d = r->m->d;
	double		r2 = r->p->eps * r->p->eps;

	for (int64_t p = ix->cell_start[c]; p < ix->cell_start[c + 1]; p++)
	{
		const double *xp = r->m->x + (int64_t) ix->order[p] * d;
		double		s = 0.0;

		if (!r->is_core[ix->order[p]])
			continue;
		for (int j = 0; j < d; j++)
		{
			double		t = x[j] - xp[j];

			s += t * t;
		}
		if (s <= r2)
			return true;
	}
	return false;
}

static void
DbscanLabel(DbscanRun *r, UsDbscanResult *res, const int64_t *first, int64_t *cells,
			int maxcells)
{
	int64_t		n = r->m->n;
	int32_t		k = 0;

	/*
	 * In place: one ascending pass points every core row at its root (its parent is
	 * lower, so already points at the root); a second numbers the roots in row order
	 * and gives every other core row its root's number (the root, lower, is numbered
	 * already).  Rows that are not core are noise until the border pass.
	 */
	for (int64_t i = 0; i < n; i++)
	{
		if (r->is_core[i])
			r->labels[i] = r->labels[r->labels[i]];
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(r->core);
	}
	for (int64_t i = 0; i < n; i++)
	{
		if (r->is_core[i])
		{
			int64_t		root = r->labels[i];

			r->labels[i] = root == i ? k++ : r->labels[root];
			res->ncore++;
		}
		else
			r->labels[i] = US_NOISE;
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(r->core);
	}
	for (int64_t i = 0; i < n; i++)
	{
		const double *x = r->m->x + i * r->m->d;

		if (r->is_core[i])
			continue;
		if (first)
		{
			int32_t		best = INT32_MAX;
			int			nc = UsNeighborsNearCells(&r->ix, x, r->p->eps, cells, maxcells);

			for (int t = 0; t < nc; t++)
			{
				int64_t		c = cells[t];

				if (first[c] >= 0 && r->labels[first[c]] < best &&
					DbscanCellBoxDist(r, c, x) * (1.0 - 1e-9) <= r->p->eps * r->p->eps &&
					DbscanCellReaches(r, c, x))
					best = r->labels[first[c]];
			}
			r->labels[i] = best == INT32_MAX ? US_NOISE : best;
		}
		else
		{
			BorderArg	b = {r, INT32_MAX};
			UsNeighborVisitor v = {DbscanBorderVisit, NULL, NULL, &b, NULL};

			if (r->node_rep)
			{
				v.node = DbscanBorderNode;
				v.skip = DbscanBorderSkip;
			}
			(void) UsNeighborsRadiusVisit(&r->ix, x, r->p->eps, &v);
			r->labels[i] = b.best == INT32_MAX ? US_NOISE : b.best;
		}
		if (r->labels[i] == US_NOISE)
			res->noise++;
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(r->core);
	}
	res->k = k;
}

size_t
UsDbscanWorkBytes(int64_t n, int d)
{
	/*
	 * beside the index: flags, labels (the parents first); a node's rep per node,
	 * counted as 8 bytes for 4 (n / US_NN_LEAF + 1) + 1 nodes where it takes 4 for
	 * fewer (UsNeighborsTreeNodes): that covers the chunk states of the threads'
	 * loops (UsParallelRun: about 5 bytes per DBSCAN_CELL_CHUNK cells or
	 * DBSCAN_ROW_CHUNK rows)
	 */
	return UsNeighborsBytes(n, d) + (size_t) n * (sizeof(bool) + sizeof(int32_t)) +
		(4 * ((size_t) n / US_NN_LEAF + 1) + 1) * sizeof(int64_t);
}

void
UsDbscan(const UsCore *core, const UsMatrix *m, const UsDbscanParams *params,
		 UsDbscanResult *result)
{
	DbscanRun	r;
	size_t		n1 = (size_t) (m->n > 0 ? m->n : 1);
	int64_t    *first = NULL;
	int64_t    *cells = NULL;
	int			maxcells = 0;

	memset(&r, 0, sizeof(r));
	memset(result, 0, sizeof(*result));
	r.core = core;
	r.m = m;
	r.p = params;
	r.early = true;
	if (params->weight)
		for (int64_t i = 0; i < m->n; i++)
			r.early = r.early && params->weight[i] >= 0.0;
	/* the index first: its build's temporary keys are gone before the row arrays come */
	UsNeighborsBuild(core, m, params->index, params->eps, &r.ix);
	r.is_core = UsAlloc(core, sizeof(bool) * n1);
	r.labels = UsAlloc(core, sizeof(int32_t) * n1);
	for (int64_t i = 0; i < m->n; i++)
		r.labels[i] = (int32_t) i;

	DbscanCores(&r);
	if (r.ix.kind == US_NN_GRID)
	{
		maxcells = UsNeighborsMaxCells(&r.ix, params->eps);
		cells = UsAlloc(core, sizeof(int64_t) * (size_t) maxcells);
		first = UsAlloc(core, sizeof(int64_t) * (size_t) (r.ix.ncells > 0 ? r.ix.ncells : 1));
		DbscanJoinGrid(&r, first, cells, maxcells);
	}
	else
		DbscanJoinQueries(&r);
	DbscanLabel(&r, result, first, cells, maxcells);

	UsFree(core, first);
	UsFree(core, cells);
	UsFree(core, r.node_rep);
	UsNeighborsFree(&r.ix);
	result->labels = r.labels;
	result->core = r.is_core;
}
