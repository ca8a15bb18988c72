/*-------------------------------------------------------------------------
 *
 * uscore.h
 *	  The numeric core of userseg: pure C over contiguous double matrices.
 *
 * Nothing here includes PostgreSQL headers.  A matrix is n rows by d columns,
 * row-major, in one contiguous block of doubles: element (i, j) is x[i * d + j].
 * The core gets memory and interrupt checks from its caller through UsCore, so it
 * can also be driven by a standalone program or a sanitizer build.
 *
 * Allocation through UsCore never returns NULL: the caller's allocator raises its
 * own error (the backend's allocator, abort() in a standalone program).  Memory
 * allocated through it is released by the caller (a backend deletes the memory
 * context of the run), so core functions may leave it unfreed on their error paths.
 *
 *-------------------------------------------------------------------------
 */
#ifndef USCORE_H
#define USCORE_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct UsCore
{
	void	   *(*alloc) (void *arg, size_t size);	/* zeroed memory, never NULL */
	void		(*release) (void *arg, void *ptr);	/* may be a no-op */
	void		(*check) (void *arg);	/* interrupt check; may not return */
	void		(*progress) (void *arg, const char *msg);	/* verbose progress; may be NULL */
	void	   *arg;
	int			workers;		/* threads for parallel loops (UsParallelRun); 0 or 1: none */
	bool		(*pending) (void *arg);	/* whether an interrupt is pending, raising
										 * nothing; NULL: no threads are started */
} UsCore;

/* Check interrupts every this many rows (or pairs of rows / n) inside long loops */
#define US_CHECK_EVERY 4096

static inline void *
UsAlloc(const UsCore *core, size_t size)
{
	return core->alloc(core->arg, size);
}

static inline void
UsFree(const UsCore *core, void *ptr)
{
	if (ptr && core->release)
		core->release(core->arg, ptr);
}

static inline void
UsCheck(const UsCore *core)
{
	if (core->check)
		core->check(core->arg);
}

/*
 * A matrix view.  x is n * d doubles, row-major.
 */
typedef struct UsMatrix
{
	int64_t		n;
	int			d;
	double	   *x;
} UsMatrix;

/* ---- distance_core.c: distance kernels (see that file) ---- */

/*
 * The one vectorization of the core's kernels: a runtime-dispatched AVX2 clone and
 * O3 loop vectorization, no FMA contraction (GCC on x86-64 Linux; elsewhere O3 or
 * plain code), so results do not depend on the machine.  US_KERNEL_INLINE is the
 * same optimization for helpers inlined into a US_KERNEL function.  US_KERNEL may be
 * predefined to force one clone when checking that.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define US_KERNEL_INLINE __attribute__((optimize("O3", "fp-contract=off")))
#ifndef US_KERNEL
#if defined(__x86_64__) && defined(__linux__)
#define US_KERNEL __attribute__((target_clones("avx2", "default"))) US_KERNEL_INLINE
#else
#define US_KERNEL US_KERNEL_INLINE
#endif
#endif
#else
#define US_KERNEL_INLINE
#ifndef US_KERNEL
#define US_KERNEL
#endif
#endif

/* Centers per block of transposed centers (one AVX2 vector of doubles) */
#define US_BLOCK 4
/* Columns of one distance tile */
#define US_TILE 64
/* Magnitudes below 2^US_SAFE_EXP keep every sum of squared distances finite */
#define US_SAFE_EXP 448

/* Squared Euclidean distance: even coordinates in one sum, odd ones in another */
static inline double
UsSqDist(const double *a, const double *b, int d)
{
	double		s0 = 0.0;
	double		s1 = 0.0;
	int			j = 0;

	for (; j + 1 < d; j += 2)
	{
		double		t0 = a[j] - b[j];
		double		t1 = a[j + 1] - b[j + 1];

		s0 += t0 * t0;
		s1 += t1 * t1;
	}
	if (j < d)
	{
		double		t = a[j] - b[j];

		s0 += t * t;
	}
	return s0 + s1;
}

/* Transpose k x d rows into blocks of US_BLOCK, zero padded to a multiple of it */
extern void UsTransposeBlocks(const double *rows, int k, int d, double *ct);

/* Squared distances of x to kp transposed centers (as UsSqDist sums them) */
extern void UsSqDistBlocks(const double *x, const double *ct, int d, int kp, double *out);

/* Squared distances of xi to US_TILE columns of a transposed matrix (row stride) */
extern void UsSqDistTile(const double *xi, const double *xt, int64_t stride, int d,
						 double *out);

/* e such that x * 2^e is below 2^US_SAFE_EXP in magnitude; 0 if it already is */
extern int	UsSafeShift(const UsCore *core, const double *x, int64_t cells);

/* -1, or the widest column when n times the largest squared distance overflows */
extern int	UsDistanceOverflowColumn(const UsCore *core, const UsMatrix *m);

/* ---- sort_core.c: sorts that check interrupts ---- */

/* Sort doubles ascending (no NaN) */
extern void UsSortDoubles(const UsCore *core, double *x, int64_t n);

/* Sort int32 values ascending */
extern void UsSortInt32(const UsCore *core, int32_t *x, int64_t n);

/*
 * Row numbers 0..n-1 (n < 2^32) of an n x d matrix in canonical order: by label,
 * then by the values in column order, then by row number
 */
extern void UsSortRowsCanonical(const UsCore *core, const double *x, const int32_t *labels,
								int64_t n, int d, int64_t *idx);

/* Sort indexes by cmp (a total order, ties broken by the indexes) */
extern void UsSortIndexes(const UsCore *core, int64_t *idx, int64_t n,
						  int (*cmp) (int64_t a, int64_t b, void *arg), void *arg);
/* The same for 32-bit indexes (n below 2^31) */
extern void UsSortIndexes32(const UsCore *core, int32_t *idx, int64_t n,
							int (*cmp) (int64_t a, int64_t b, void *arg), void *arg);

/* ---- moments_core.c: column moments ---- */

/*
 * Per column j of m: count[j] values (NaN left out when skip_nan), their mean and
 * M2 (sum of squared deviations) in two passes, the first compensated (Neumaier),
 * the second with the rounding correction of Chan, Golub & LeVeque (as
 * scikit-learn's _incremental_mean_and_var).  Computed on the column times 2^shift[j]
 * (UsSafeShift of the column), so nothing overflows: m2[j] is in those units, the
 * mean in original units.  Any output may be NULL.
 */
typedef struct UsMoments
{
	int64_t    *count;
	double	   *mean;			/* original units */
	double	   *m2;				/* sum of squared deviations times 2^(2 shift) */
	int		   *shift;
} UsMoments;

extern void UsColumnMoments(const UsCore *core, const UsMatrix *m, bool skip_nan,
							UsMoments *out);

/* sqrt(m2 / divisor) in original units (Infinity when it is out of range) */
extern double UsMomentsStddev(const UsMoments *mo, int j, double divisor);

/* ---- labels_core.c: label compaction ---- */

/* The label of noise (DBSCAN), left out of every score */
#define US_NOISE (-1)

/*
 * Renumber labels[0..n): rows labelled US_NOISE are dropped, the other labels become
 * 0..k-1 in increasing order of their values.  out[0..*kept) receives the new label
 * of each kept row, in row order (out may be labels itself).  Returns k.
 */
extern int	UsCompactLabels(const UsCore *core, const int32_t *labels, int64_t n,
							int32_t *out, int64_t *kept);

/*
 * The rows of m that are not noise, with compacted labels: out->x (allocated through
 * core, out->n x m->d) and out_labels (out->n) are new; returns k
 */
extern int	UsCompactRows(const UsCore *core, const UsMatrix *m, const int32_t *labels,
						  UsMatrix *out, int32_t **out_labels);

/* ---- elbow_core.c: the elbow of a decreasing curve ---- */

/*
 * Index of the elbow of y over x (x increasing), or -1: the interior point farthest
 * below the chord from the first point to the last, both axes scaled to [0, 1]
 * (kneedle's knee, Satopaa et al. 2011, without its threshold).  Ties to the first;
 * -1 with fewer than three points, a flat curve or no point min_gap below the chord.
 */
extern int	UsElbow(const double *x, const double *y, int count, double min_gap);

/* ---- scale_core.c: scalers with scikit-learn's semantics ---- */
typedef enum UsScaleMethod
{
	US_SCALE_NONE = 0,
	US_SCALE_ZSCORE = 1,		/* StandardScaler: mean, population stddev */
	US_SCALE_MINMAX = 2,		/* MinMaxScaler to [0, 1] */
	US_SCALE_ROBUST = 3			/* RobustScaler: median, IQR (25th to 75th) */
} UsScaleMethod;

/*
 * Fit a scaler: center[d] and scale[d] such that the scaled value is
 * (x - center) / scale.  A constant column gets scale 1, as scikit-learn's
 * _handle_zeros_in_scale does.  US_SCALE_NONE gives center 0 and scale 1.
 */
extern void UsScaleFit(const UsCore *core, const UsMatrix *m, UsScaleMethod method,
					   double *center, double *scale);

/* Scale m in place: x = (x - center) / scale */
extern void UsScaleApply(const UsMatrix *m, const double *center, const double *scale);

/* Undo UsScaleApply in place: x = x * scale + center */
extern void UsScaleInverse(const UsMatrix *m, const double *center, const double *scale);

/*
 * Streaming fits, for aggregates (see scale_core.c).  acc holds 3 doubles per column
 * for zscore (compensated sum, M2), 2 for minmax (min, max); it starts zeroed.
 * n_before/na/nb are the rows already in acc.  The robust scaler needs every value:
 * UsRobustColumn fits one column.
 */
#define US_ZSCORE_ACC_PER_COL 3
#define US_MINMAX_ACC_PER_COL 2
extern void UsZscoreAccAdd(double *acc, int64_t n_before, const double *row, int d);
extern void UsZscoreAccCombine(double *a, int64_t na, const double *b, int64_t nb, int d);
extern void UsZscoreAccFinish(const double *acc, int64_t n, int d, double *center,
							  double *scale);
extern void UsMinmaxAccAdd(double *acc, int64_t n_before, const double *row, int d);
extern void UsMinmaxAccCombine(double *a, int64_t na, const double *b, int64_t nb, int d);
extern void UsMinmaxAccFinish(const double *acc, int d, double *center, double *scale);
/* Sort a column of n >= 1 values in place; center = median, scale = IQR (or 1) */
extern void UsRobustColumn(const UsCore *core, double *col, int64_t n, double *center,
						   double *scale);

/* Quantile q in [0, 1] of sorted values, linear interpolation (numpy's default) */
extern double UsQuantileSorted(const double *sorted, int64_t n, double q);

/* Median of sorted values as numpy.median: the mean of the two middle ones if n is even */
extern double UsMedianSorted(const double *sorted, int64_t n);

/* scikit-learn's _is_constant_feature: var <= n eps var + (n mean eps)^2 */
extern bool UsZscoreIsConstant(double var, double mean, int64_t n);

/*
 * Compensated summation (Neumaier 1974): *sum + *comp is the running total.
 * Needs strict IEEE evaluation (no fast-math).
 */
static inline void
UsNeumaierAdd(double *sum, double *comp, double x)
{
	double		t = *sum + x;

	if (fabs(*sum) >= fabs(x))
		*comp += (*sum - t) + x;
	else
		*comp += (x - t) + *sum;
	*sum = t;
}

/* ---- metrics_core.c: scores of a clustering (see that file) ----
 *
 * labels are 0..k-1 for every row of m (callers renumber and leave out noise
 * first); every cluster 0..k-1 has at least one row; k >= 2 unless said otherwise.
 */

/* Mean silhouette (Rousseeuw 1987, as sklearn); per_row[n] receives each row's, if not NULL */
extern double UsSilhouette(const UsCore *core, const UsMatrix *m, const int32_t *labels,
						   int k, double *per_row);

/* Bytes UsSilhouette allocates for n rows, d columns, k clusters (to check a budget) */
extern size_t UsSilhouetteWorkBytes(int64_t n, int d, int k);

/* Sum of squared distances of rows to their cluster's mean (k >= 1) */
extern double UsInertia(const UsCore *core, const UsMatrix *m, const int32_t *labels, int k);

extern double UsCalinskiHarabasz(const UsCore *core, const UsMatrix *m,
								 const int32_t *labels, int k);
extern double UsDaviesBouldin(const UsCore *core, const UsMatrix *m,
							  const int32_t *labels, int k);

/* ---- ari_core.c: agreement of two labelings ---- */

/*
 * Adjusted Rand index (as sklearn.metrics.adjusted_rand_score) of the contingency
 * table given as ncells cells: true class a[i], predicted cluster b[i], count[i] > 0
 * (any 64-bit codes; a repeated pair adds up).  1.0 for full agreement or no cells.
 */
extern double UsAdjustedRandScore(const UsCore *core, const int64_t *a, const int64_t *b,
								  const int64_t *count, int64_t ncells);

/* ---- report_core.c: per group column moments (profiles, segment sentences) ---- */

/*
 * (k + 1) x d figures, row-major: row g < k for group g, row k for every grouped row.
 * count and sum leave missing (NaN) values out; mean is NaN for a count of 0; m2 is the
 * sum of squared deviations from the row's mean; min/max are +-Infinity for a count of 0.
 */
typedef struct UsGroupStats
{
	int			k;
	int			d;
	int64_t    *count;
	double	   *sum;
	double	   *mean;
	double	   *m2;
	double	   *min;
	double	   *max;
} UsGroupStats;

/*
 * Moments of each column of m per group (group[i] in 0..k-1, or -1 for none); arrays
 * allocated through core.  Returns -1, or the first column whose sum or sum of squares
 * overflows float8.
 */
extern int	UsGroupMoments(const UsCore *core, const UsMatrix *m, const int32_t *group,
						   int k, UsGroupStats *out);

/* ---- kmeans_core.c: K-Means (see that file) ---- */

typedef struct UsKmeansParams
{
	int			k;				/* clusters, 1 <= k <= n */
	int			n_init;			/* runs from k-means++ seeds (1 when init is given) */
	int			max_iter;		/* >= 1 */
	double		tol;			/* >= 0, relative to the mean column variance */
	const double *init;			/* k x d initial centers, or NULL for k-means++ */
	double		(*uniform) (void *rng_arg);	/* uniform double in [0, 1) */
	void	   *rng_arg;
	bool		verbose;		/* report per iteration through core->progress */
	bool		plain;			/* plain Lloyd (no bounds), for checking */
} UsKmeansParams;

typedef struct UsKmeansResult
{
	int32_t    *labels;			/* n labels 0..k-1, numbered by decreasing size */
	double	   *centers;		/* k x d, in the same order */
	int64_t    *sizes;			/* k cluster sizes (0 only with fewer distinct rows) */
	int			nonempty;		/* clusters with at least one row */
	double		inertia;		/* sum of squared distances to the centers */
	int			iterations;		/* of the kept run */
	bool		converged;		/* the kept run converged before max_iter */
	int			runs_not_converged;
} UsKmeansResult;

/* Fit K-Means on m (n >= k); result arrays are allocated through core */
extern void UsKmeans(const UsCore *core, const UsMatrix *m, const UsKmeansParams *params,
					 UsKmeansResult *result);

/* ---- match_core.c: matching to previous centers ---- */

/* Minimum-cost one-to-one assignment (Hungarian): cost n x n, assign[row] = column */
extern void UsMinCostAssignment(const UsCore *core, const double *cost, int n, int *assign);

/*
 * Renumber a clustering so that its k centers (k x d) match previous centers one to
 * one at the least total squared distance: center i becomes number assign[i];
 * centers, sizes (k, may be NULL) and labels (n, may be NULL) are permuted in place.
 * assign (k) receives the mapping if not NULL.
 */
extern void UsMatchPrevious(const UsCore *core, const double *previous, int k, int d,
							double *centers, int64_t *sizes, int32_t *labels, int64_t n,
							int *assign);

/* Nearest of k centers to x, ties to the lower number; *sqdist if not NULL */
extern int	UsKmeansNearest(const double *centers, int k, int d, const double *x,
							double *sqdist);

/* ---- neighbors_core.c: the neighbour index (see that file) ---- */

typedef enum UsNeighborKind
{
	US_NN_AUTO = 0,				/* grid for d <= 3 with a radius, k-d tree, brute force */
	US_NN_GRID = 1,
	US_NN_KDTREE = 2,
	US_NN_BRUTE = 3
} UsNeighborKind;

/* Rows per k-d tree leaf; fewer rows than this are searched by brute force */
#define US_NN_LEAF 32
/* Columns above which the k-d tree does not pay off (brute force) */
#define US_NN_KD_MAX_D 24

/*
 * An index over the rows of m (which must outlive it).  Grid fields are set for
 * US_NN_GRID, node fields for US_NN_KDTREE; order is the rows by cell or by leaf.
 */
typedef struct UsNeighbors
{
	const UsCore *core;
	const UsMatrix *m;
	UsNeighborKind kind;		/* the kind built */
	int32_t    *order;			/* n rows, by cell or by leaf (n is below 2^31) */
	int64_t		work;			/* distances since the last interrupt check */
	/* grid */
	double		h;				/* cell side */
	int			reach;			/* cells a query of the build's radius reaches */
	double		lo[3];			/* the grid's origin */
	int64_t		dims[3];		/* cells per column */
	int64_t		ncells;			/* cells with rows */
	uint64_t   *cell_key;		/* ncells keys, ascending */
	int64_t    *cell_start;		/* ncells + 1 positions in order */
	/* k-d tree */
	int64_t		nnodes;
	double	   *box;			/* per node: d lows, then d highs */
	int32_t    *node_start;		/* per node: its rows, order[start, end) */
	int32_t    *node_end;
	int32_t    *node_left;		/* -1 for a leaf */
	int32_t    *node_right;
} UsNeighbors;

/* A row j within the radius, at squared distance sqdist; return false to stop */
typedef bool (*UsNeighborVisit) (void *arg, int64_t j, double sqdist);

/*
 * A radius query's visitor.  row is given each row within r; on a k-d tree, node (if
 * not NULL) is given instead each whole node within r (its rows[count]), and skip (if
 * not NULL) may leave a node out.  Each returns false to stop the query (skip: true
 * to leave the node out).
 */
typedef struct UsNeighborPoll UsNeighborPoll;

typedef struct UsNeighborVisitor
{
	UsNeighborVisit row;
	bool		(*node) (void *arg, int64_t node, const int32_t *rows, int64_t count);
	bool		(*skip) (void *arg, int64_t node);
	void	   *arg;
	UsNeighborPoll *poll;		/* NULL on the backend's thread; see UsNeighborPoll */
} UsNeighborVisitor;

/*
 * A query on a worker thread (a UsParallelRun chunk) counts its distances here
 * instead of in the index, and every US_CHECK_EVERY of them asks UsParallelStopping
 * instead of calling UsCheck; when that says stop, stopped is set and the query
 * returns false as if the visitor had stopped it.  Queries with a poll of their own
 * write nothing shared, so several threads may query one index at once.
 */
struct UsNeighborPoll
{
	const struct UsParallel *par;	/* the chunk's loop (parallel_core.c) */
	int64_t		work;
	bool		stopped;
};

/* UsNeighborPollWork (below, with UsParallelStopping) counts a query's work on its poll */

/* Build an index of kind over m; radius is the radius a grid is built for (or 0) */
extern void UsNeighborsBuild(const UsCore *core, const UsMatrix *m, UsNeighborKind kind,
							 double radius, UsNeighbors *ix);
extern void UsNeighborsFree(UsNeighbors *ix);

/* Bytes an index over n rows of d columns may take at most (to check a budget) */
extern size_t UsNeighborsBytes(int64_t n, int d);
/* The most nodes a k-d tree over n rows has (its leaves hold at most US_NN_LEAF rows) */
extern int64_t UsNeighborsTreeNodes(int64_t n);

/*
 * Visit every row within r of q (squared distance summed in column order <= r * r),
 * the row itself included when q is a row; false when the visitor stopped the query
 */
extern bool UsNeighborsRadius(const UsNeighbors *ix, const double *q, double r,
							  UsNeighborVisit visit, void *arg);
/* The same with whole nodes and skips (UsNeighborVisitor) */
extern bool UsNeighborsRadiusVisit(const UsNeighbors *ix, const double *q, double r,
								   const UsNeighborVisitor *v);

/*
 * The k nearest rows to q, ascending by (squared distance, row): idx[k], sqdist[k]
 * receive them; returns min(k, n)
 */
extern int	UsNeighborsKnn(const UsNeighbors *ix, const double *q, int k, int64_t *idx,
						   double *sqdist);

/* Grid only: the cells within r of q that have rows, q's own first; returns the count */
extern int	UsNeighborsNearCells(const UsNeighbors *ix, const double *q, double r,
								 int64_t *out, int max_out);
/* Grid only: the most cells UsNeighborsNearCells may return for radius r */
extern int	UsNeighborsMaxCells(const UsNeighbors *ix, double r);

/* ---- dbscan_core.c: DBSCAN (see that file) ---- */

typedef struct UsDbscanParams
{
	double		eps;			/* > 0, finite */
	double		min_samples;	/* >= 1: a row is core when its neighbourhood weighs this */
	const double *weight;		/* n sample weights, or NULL for 1 each */
	UsNeighborKind index;		/* US_NN_AUTO, or a kind to check against */
} UsDbscanParams;

typedef struct UsDbscanResult
{
	int32_t    *labels;			/* n: 0, 1, ... or US_NOISE */
	bool	   *core;			/* n: core rows */
	int			k;				/* clusters */
	int64_t		ncore;			/* core rows */
	int64_t		noise;			/* rows labelled US_NOISE */
} UsDbscanResult;

/* Bytes UsDbscan allocates for n rows of d columns (to check a budget) */
extern size_t UsDbscanWorkBytes(int64_t n, int d);

/* DBSCAN on m with scikit-learn's semantics; result arrays allocated through core */
extern void UsDbscan(const UsCore *core, const UsMatrix *m, const UsDbscanParams *params,
					 UsDbscanResult *result);

/* ---- pca_core.c: principal components (see that file) ---- */

/* UsPca's results other than LAPACK's info */
#define US_PCA_BAD_ARGUMENT (-1000)	/* k outside 1..min(n, d), or n < 2 */
#define US_PCA_TOO_LARGE (-1001)	/* past LAPACK's int */
#define US_PCA_OVERFLOW (-1002)	/* a centred value past the range of double */

typedef struct UsPcaResult
{
	int			k;				/* components kept */
	int			d;
	int64_t		n;
	bool		whiten;
	double	   *mean;			/* d column means */
	double	   *components;		/* k x d, row-major, rows orthonormal (Vt) */
	double	   *explained_variance; /* k: S^2 / (n - 1) */
	double	   *explained_variance_ratio;	/* k: over all min(n, d) variances */
	double	   *singular_values;	/* k */
	double		total_variance; /* sum of all min(n, d) explained variances */
	double	   *coords;			/* n x k (fit_transform), or NULL */
} UsPcaResult;

/*
 * PCA(n_components = k, svd_solver = 'full', whiten) of m: m is centred (and then
 * overwritten by LAPACK when it has fewer rows than columns).  Result arrays are allocated through core.  Returns 0, a
 * US_PCA_* code, or LAPACK's info (< 0 a bad argument, > 0 no convergence).
 */
extern int	UsPca(const UsCore *core, UsMatrix *m, int k, bool whiten, bool want_coords,
				  UsPcaResult *res);

/* Coordinates of one row x (d) as scikit-learn's PCA.transform: out receives k */
extern void UsPcaTransform(const double *mean, const double *components,
						   const double *explained_variance, int k, int d, bool whiten,
						   const double *x, double *out);

/* ---- box_core.c: box-plot statistics ---- */

/* Box-plot statistics of n sorted values (no NaN); NaN figures for n = 0 */
typedef struct UsBox
{
	int64_t		n;
	double		min;
	double		q1;
	double		median;
	double		q3;
	double		max;
	double		whisker_low;	/* lowest value >= q1 - 1.5 IQR */
	double		whisker_high;	/* highest value <= q3 + 1.5 IQR */
	int64_t		outliers_low;	/* values below whisker_low */
	int64_t		outliers_high;	/* values above whisker_high */
} UsBox;

extern void UsBoxStats(const double *sorted, int64_t n, UsBox *box);

/*
 * k x d boxes (row-major, allocated through core): of each column of m over the rows
 * of each group (group[i] in 0..k-1, or -1 for none), NaN left out
 */
extern UsBox *UsGroupBoxStats(const UsCore *core, const UsMatrix *m, const int32_t *group,
							  int k);

/* ---- parallel_core.c: worker threads for loops over rows (see that file) ---- */

/* Stack of one worker thread, and how often the waiting thread polls core->pending */
#define US_PARALLEL_STACK (512 * 1024)
#define US_PARALLEL_POLL_MS 10

/* The state of one parallel loop, as seen by its chunk callbacks */
typedef struct UsParallel UsParallel;

/*
 * A loop over items [0, n) cut into chunks of chunk items (the last may be shorter).
 * run computes chunk number c, items [begin, end), into partial (partial_bytes,
 * zeroed; NULL if 0) with scratch (scratch_bytes per thread, not zeroed; NULL if 0);
 * it runs on any thread, may touch only its own rows' outputs, its partial and its
 * scratch, and must not call the UsCore's callbacks.  It returns true when done;
 * false when it returned early because UsParallelStopping said so: it is then run
 * again from its start (or the loop is abandoned), so a callback that can return
 * early must leave what it reads as it found it until it completes.
 * combine (may be NULL) gets each chunk's partial in chunk order, one chunk at a
 * time, on whichever thread finished that chunk or the one before: like run, it
 * must not call the UsCore's callbacks (no UsCheck, no allocation, no notice).  The
 * chunking is the caller's alone, so results do not depend on the number of
 * threads.
 */
typedef struct UsParallelFor
{
	int64_t		n;
	int64_t		chunk;
	size_t		partial_bytes;
	size_t		scratch_bytes;
	bool		(*run) (void *arg, int64_t c, int64_t begin, int64_t end, void *partial,
						void *scratch, const UsParallel *par);
	void		(*combine) (void *arg, int64_t c, int64_t begin, int64_t end,
							const void *partial);
	void	   *arg;
} UsParallelFor;

/* Run every chunk of pf and combine them in order (see parallel_core.c) */
extern void UsParallelRun(const UsCore *core, const UsParallelFor *pf);

/* In a chunk callback, every US_CHECK_EVERY rows: whether to return now */
extern bool UsParallelStopping(const UsParallel *par);

/*
 * Count steps of a neighbour query's work on its poll (UsNeighborPoll); every
 * US_CHECK_EVERY of them ask UsParallelStopping.  Returns false (and sets stopped)
 * when the query must stop.  For the index's own queries and for walks of the index
 * written elsewhere, such as Mean Shift's sums over the k-d tree.
 */
static inline bool
UsNeighborPollWork(UsNeighborPoll *poll, int64_t steps)
{
	poll->work += steps;
	if (poll->work >= US_CHECK_EVERY)
	{
		poll->work %= US_CHECK_EVERY;
		if (UsParallelStopping(poll->par))
		{
			poll->stopped = true;
			return false;
		}
	}
	return true;
}

/* Threads UsParallelRun would use for nchunks chunks */
extern int	UsParallelWorkers(const UsCore *core, int64_t nchunks);

/* Bytes UsParallelRun allocates for pf, with the threads it would use */
extern size_t UsParallelBytes(const UsCore *core, const UsParallelFor *pf);

/*
 * A team of threads kept for many short loops (parallel_core.c): UsTeamStart starts
 * core->workers - 1 threads (NULL with one worker, or where threads cannot start);
 * UsTeamRun runs task(arg, part) for every part in [0, parts) on them and on the
 * calling thread, and returns when every part is done (with a NULL team the calling
 * thread runs them all, in order); UsTeamStop joins the threads.  Tasks follow the
 * rules of chunk callbacks (no UsCore callbacks) and cannot stop early.  Between
 * loops, UsTeamCheck is the interrupt check: with a team, it asks core->pending and
 * only if an interrupt is pending stops the team (setting it NULL) and calls UsCheck;
 * without one it is UsCheck.
 */
typedef struct UsTeam UsTeam;

extern UsTeam *UsTeamStart(const UsCore *core);
extern void UsTeamRun(UsTeam *team, void (*task) (void *arg, int64_t part), void *arg,
					  int64_t parts);
extern void UsTeamStop(UsTeam *team);
extern void UsTeamCheck(UsTeam **team, const UsCore *core);

/* ---- agglo_core.c: agglomerative clustering (see that file) ---- */

typedef enum UsLinkage
{
	US_LINKAGE_WARD = 0,
	US_LINKAGE_COMPLETE = 1,
	US_LINKAGE_AVERAGE = 2,
	US_LINKAGE_SINGLE = 3
} UsLinkage;

/*
 * scikit-learn's tree (children_, distances_) and scipy's linkage matrix as arrays:
 * merge i (0..n-2) joins nodes children[2i] and children[2i + 1] (rows are 0..n-1,
 * merge i makes node n + i) at distance[i] (non-decreasing), into size[i] rows
 */
typedef struct UsAggloTree
{
	int64_t		n;
	UsLinkage	linkage;
	int64_t    *children;		/* 2 (n - 1) */
	double	   *distance;		/* n - 1 */
	int64_t    *size;			/* n - 1 */
} UsAggloTree;

/* Bytes UsAgglo allocates for n rows of d columns (to check a budget) */
extern size_t UsAggloWorkBytes(int64_t n, int d, UsLinkage linkage);

/* Bytes of the condensed distance matrix of n rows (complete and average) */
extern size_t UsAggloMatrixBytes(int64_t n);

/*
 * The whole tree of m (n >= 1, finite values); arrays allocated through core.  matrix
 * is NULL, or UsAggloMatrixBytes(n) bytes (need not be zeroed) that complete and
 * average linkage fill and use instead of allocating it (zeroing that much through
 * core would be one long step without an interrupt check).
 */
extern void UsAgglo(const UsCore *core, const UsMatrix *m, UsLinkage linkage,
					double *matrix, UsAggloTree *tree);

/* Clusters left when no merge at a distance >= threshold is made */
extern int64_t UsAggloClustersAt(const UsAggloTree *tree, double threshold);

/* labels[n] of the tree cut into k clusters (1 <= k <= n), numbered as _hc_cut */
extern void UsAggloCut(const UsCore *core, const UsAggloTree *tree, int64_t k,
					   int32_t *labels);

/* ---- meanshift_core.c: Mean Shift (see that file) ---- */

/* UsMeanShift's result when no seed has a row within the bandwidth */
#define US_MEANSHIFT_NO_SEED 1

typedef struct UsMeanShiftParams
{
	double		bandwidth;		/* >= 0, finite: the flat kernel's radius (0 only estimated) */
	bool		bin_seeding;	/* seeds from bins of side bandwidth, else every row */
	int			min_bin_freq;	/* >= 1: rows a bin needs to give a seed */
	bool		cluster_all;	/* false: rows farther than bandwidth from every centre are US_NOISE */
	int			max_iter;		/* >= 0: steps per seed */
	UsNeighborKind index;		/* US_NN_AUTO, or a kind to check against */
} UsMeanShiftParams;

typedef struct UsMeanShiftResult
{
	int32_t    *labels;			/* n: 0..k-1 or US_NOISE */
	double	   *centers;		/* k x d, numbered by intensity then coordinates, descending */
	int64_t    *intensity;		/* k: rows within the bandwidth at each centre's last step */
	int64_t    *sizes;			/* k: rows labelled */
	int			k;
	int			n_iter;			/* the most steps of any seed */
	int64_t		nseeds;			/* seeds climbed */
	bool		seeds_binned;	/* bin seeding gave the seeds (false: every row) */
	int64_t		noise;			/* rows labelled US_NOISE */
} UsMeanShiftResult;

/* Bytes UsMeanShift allocates for n rows of d columns, but its distinct centres */
extern size_t UsMeanShiftWorkBytes(int64_t n, int d);

/*
 * scikit-learn 1.2's MeanShift on m: 0, or US_MEANSHIFT_NO_SEED (result->labels
 * allocated, no centres).  Result arrays are allocated through core.
 */
extern int	UsMeanShift(const UsCore *core, const UsMatrix *m, const UsMeanShiftParams *params,
						UsMeanShiftResult *result);

/*
 * scikit-learn's estimate_bandwidth(X, quantile, n_samples, random_state = seed):
 * n_samples <= 0 for every row; quantile in (0, 1]
 */
extern double UsEstimateBandwidth(const UsCore *core, const UsMatrix *m, double quantile,
								  int64_t n_samples, uint32_t seed);
/* Bytes UsEstimateBandwidth allocates, with up to workers threads */
extern size_t UsEstimateBandwidthBytes(int64_t n, int d, int64_t n_samples,
									   int workers);

/* numpy's RandomState(seed).permutation(n) into perm[n] */
extern void UsRandomStatePermutation(const UsCore *core, uint32_t seed, int64_t n,
									 int64_t *perm);

/* ---- spectral_core.c: spectral clustering (see that file) ---- */

typedef enum UsSpectralAffinity
{
	US_SPECTRAL_RBF = 0,		/* exp(-gamma ||x - y||^2), dense */
	US_SPECTRAL_KNN = 1			/* k-NN connectivity, self included, 0.5 (C + C^T) */
} UsSpectralAffinity;

/* UsSpectral's results other than ARPACK's or LAPACK's info */
#define US_SPECTRAL_BAD_ARGUMENT (-1000)	/* k outside 1..n, gamma <= 0, n_neighbors < 1 */
#define US_SPECTRAL_TOO_LARGE (-1001)	/* past ARPACK's or LAPACK's int */
#define US_SPECTRAL_NOT_CONVERGED (-1002)	/* fewer eigenvectors converged than asked */
#define US_SPECTRAL_DENSE_TOO_LARGE (-1003) /* ARPACK did not converge and the dense
											 * solve does not fit (params->fits) */

typedef struct UsSpectralParams
{
	int			k;				/* clusters and eigenvectors, 1 <= k <= n */
	UsSpectralAffinity affinity;
	double		gamma;			/* rbf: > 0 */
	int			n_neighbors;	/* nearest_neighbors: >= 1 (more than n counts as n) */
	int			n_init;			/* K-Means runs on the embedding */
	double		(*uniform) (void *rng_arg);	/* uniform double in [0, 1): v0, then K-Means */
	void	   *rng_arg;
	bool		verbose;

	/*
	 * Whether bytes more may be allocated now, asked before the dense solve that
	 * follows an ARPACK run that did not converge; NULL: always
	 */
	bool		(*fits) (void *fits_arg, size_t bytes);
	void	   *fits_arg;
} UsSpectralParams;

typedef struct UsSpectralResult
{
	int64_t		n;
	int			k;
	double	   *embedding;		/* n x k, row-major: spectral_embedding's maps */
	double	   *eigenvalues;	/* k of D^-1/2 A0 D^-1/2, decreasing (1 - those of L) */
	int32_t    *labels;			/* n labels 0..k-1 (the K-Means result's) */
	UsKmeansResult kmeans;
	int64_t		products;		/* products S v ARPACK asked for */
	int			restarts;		/* ARPACK's implicit restarts */
	const char *solver_call;	/* the routine whose info is returned, or NULL */
	bool		dense;			/* the eigenvectors are LAPACK's dsyevr's */
	int			arpack_info;	/* ARPACK's info when it did not converge, else 0 */
	const char *arpack_call;	/* the ARPACK routine that returned it, or NULL */
	size_t		dense_bytes;	/* bytes of the dense solve (when it ran or was refused) */
} UsSpectralResult;

/* Bytes UsSpectral allocates beyond K-Means' arrays (to check a budget first) */
extern size_t UsSpectralWorkBytes(int64_t n, int d, int k, UsSpectralAffinity affinity,
								  int n_neighbors);

/*
 * The embedding alone (spectral_embedding(affinity, n_components = k, drop_first =
 * False)); result arrays allocated through core.  Returns 0, a US_SPECTRAL_* code, or
 * the info of the solver routine named by res->solver_call.
 */
extern int	UsSpectralEmbedding(const UsCore *core, const UsMatrix *m,
								const UsSpectralParams *params, UsSpectralResult *res);

/* The embedding, then K-Means on it (labels); returns as UsSpectralEmbedding */
extern int	UsSpectral(const UsCore *core, const UsMatrix *m, const UsSpectralParams *params,
					   UsSpectralResult *res);

/* ---- kmeans_step_core.c: one Lloyd step as a combinable accumulator ---- */

/* Layout of the accumulator: see kmeans_step_core.c */
#define US_STEP_FORMAT 1
#define US_STEP_HDR 5
#define US_STEP_MAX_K 10000
#define US_STEP_MAX_D 1600

typedef struct UsStepView
{
	int			k;
	int			d;
	int			kp;				/* k rounded up to US_BLOCK */
	double	   *s;				/* the whole accumulator */
	double	   *centers;		/* k x d given centers */
	double	   *ct;				/* kp x d, transposed in blocks */
	double	   *counts;			/* k */
	double	   *sums;			/* k x d */
} UsStepView;

/* Doubles in an accumulator for k centers of d columns */
extern int64_t UsStepLength(int k, int d);

/* Start an accumulator of UsStepLength(k, d) doubles for the given centers */
extern void UsStepInit(double *s, const double *centers, int k, int d);

/*
 * NULL if the len doubles at s are a valid accumulator, else why not (a sentence);
 * scratch holds kp x d doubles (kp = k rounded up to US_BLOCK) of a plausible header
 */
extern const char *UsStepCheck(const double *s, int64_t len, double *scratch);

/* A view of a valid accumulator */
extern void UsStepLayout(double *s, UsStepView *v);

/* Add row x (d values) to its nearest center; alld is scratch of kp doubles */
extern void UsStepAdd(const UsStepView *v, const double *x, double *alld);

/* Whether two accumulators were started from the same centers (bit for bit) */
extern bool UsStepSameCenters(const UsStepView *a, const UsStepView *b);

/* Add b into a (same centers) */
extern void UsStepCombine(const UsStepView *a, const UsStepView *b);

/* k x d means of the rows per center; an empty center keeps its given value */
extern void UsStepMeans(const UsStepView *v, double *means);

/* ---- stats_core.c: combinable moments (see that file) ---- */

/* A moment block: n, mean, M2, min, max */
#define US_MOMENT_LEN 5

/* An empty block: n 0, min +Infinity, max -Infinity */
extern void UsMomentInit(double *m);

/* Add x (Welford) */
extern void UsMomentAdd(double *m, double x);

/* Merge b into a (Chan, Golub & LeVeque) */
extern void UsMomentMerge(double *a, const double *b);

/* A cluster block: label, n, M2 over the columns, then d means */
#define US_CLUSTER_BLOCK(d) ((int64_t) (d) + 3)

/* Position of label among m blocks sorted by label (binary search); *found */
extern int64_t UsClusterFind(const double *blocks, int64_t m, int d, double label,
							 bool *found);

/* Add a row of d values to a cluster block (Welford, per column) */
extern void UsClusterAdd(double *block, const double *x, int d);

/* Merge cluster block b into a (the same label) */
extern void UsClusterMergeBlock(double *a, const double *b, int d);

/* Merge two sorted lists of blocks into out (room for ma + mb); returns its blocks */
extern int64_t UsClusterMerge(const double *a, int64_t ma, const double *b, int64_t mb,
							  int d, double *out);

/*
 * Of m cluster blocks: the rows, the inertia (the sum of the M2s) and the
 * between-cluster dispersion (sum n_c |mean_c - mean|^2)
 */
extern void UsClusterScores(const double *blocks, int64_t m, int d, double *rows,
							double *inertia, double *between);

/* ---- counts_core.c: category counts (see that file) ---- */

/* Byte order of two categories (COLLATE "C"): -1, 0 or 1 */
extern int	UsCountsCompare(const char *a, int32_t alen, const char *b, int32_t blen);

/* idx[0..n) = the indexes of n distinct categories in byte order */
extern void UsCountsSort(const UsCore *core, int32_t *idx, int64_t n,
						 const char *const *keys, const int32_t *lens);

/* Bytes of a category's quoted form, quotes included */
extern size_t UsCountsQuotedLen(const char *s, int32_t len);

/* Write the quoted form (UsCountsQuotedLen bytes, no terminator); returns its length */
extern size_t UsCountsQuote(const char *s, int32_t len, char *out);

/*
 * Read a quoted category at in (NUL-terminated) into out (room for strlen(in) bytes):
 * NULL and *end past the closing quote, *outlen its bytes; or what is wrong
 */
extern const char *UsCountsUnquote(const char *in, const char **end, char *out,
								   int32_t *outlen);

/* ---- minibatch_core.c: mini-batch K-Means (see that file) ---- */

typedef struct UsMiniBatchParams
{
	int			k;				/* 1 <= k <= rows */
	int			batch_size;		/* >= 1 */
	int			max_iter;		/* passes over n_total rows at most */
	int			n_init;			/* k-means++ seedings on init_size rows */
	int64_t		n_total;		/* rows the data stands for (>= its rows) */
	double		tol;			/* absolute; 0 turns the center-move test off */
	int			max_no_improvement; /* steps without a better smoothed inertia */
	double		reassignment_ratio;
	const double *init;			/* k x d initial centers (no seeding), or NULL */
	double		(*uniform) (void *rng_arg);	/* uniform double in [0, 1) */
	void	   *rng_arg;
} UsMiniBatchParams;

typedef struct UsMiniBatchResult
{
	double	   *centers;		/* k x d, allocated by the caller */
	int64_t		steps;			/* mini-batch steps done */
	int64_t		reassignments;	/* centers moved for low counts */
} UsMiniBatchResult;

/* Mini-batch K-Means over the rows of x; out->centers must hold k x d doubles */
extern void UsMiniBatchKmeans(const UsCore *core, const UsMatrix *x,
							  const UsMiniBatchParams *p, UsMiniBatchResult *out);

/* ---- svg_core.c: SVG text (see that file) ---- */

/* A document being written: its body, then the root and head by UsSvgFinish */
typedef struct UsSvg
{
	const UsCore *core;
	char	   *buf;			/* body so far, NUL-terminated */
	size_t		len;
	size_t		cap;
	int64_t		marks;			/* data marks drawn (the root's data-marks) */
	int			width;
	int			height;
} UsSvg;

/* A plotting area in pixels and the data range it shows */
typedef struct UsFrame
{
	double		x0;
	double		y0;
	double		w;
	double		h;
	double		xlo;
	double		xhi;
	double		ylo;
	double		yhi;
} UsFrame;

#define US_SVG_MAX_TICKS 16

extern void UsSvgInit(const UsCore *core, UsSvg *s, int width, int height);
extern void UsSvgRaw(UsSvg *s, const char *text);
extern void UsSvgPrintf(UsSvg *s, const char *fmt,...) __attribute__((format(printf, 2, 3)));
/* text with &, <, >, ", ' as entities and control characters XML refuses as '?' */
extern void UsSvgEscaped(UsSvg *s, const char *text);
extern void UsSvgText(UsSvg *s, double x, double y, const char *anchor, const char *cls,
					  const char *text);
/* The whole document (root with data-marks, title, desc, style, body); s's body is freed */
extern char *UsSvgFinish(UsSvg *s, const char *title, const char *desc);
/* Ticks covering [lo, hi] at a 1-2-5 step near (hi - lo) / target; returns the count */
extern int	UsNiceTicks(double lo, double hi, int target, double *ticks, int max_ticks,
						double *step);
/* The colour of a segment (Okabe-Ito, fixed per number; grey for -1) */
extern const char *UsSegmentColor(int32_t segment);
/* "segment 3", "noise (-1)" */
extern void UsSvgSegmentName(int32_t segment, char out[32]);
/* Diverging colour of t in [-1, 1] (clipped; NaN light grey) as "#rrggbb" */
extern void UsSvgDiverging(double t, char out[8]);
extern double UsFrameX(const UsFrame *f, double v);
extern double UsFrameY(const UsFrame *f, double v);
/* Grid, ticks and titles of both axes; the ranges are widened to nice ticks */
extern void UsSvgAxes(UsSvg *s, UsFrame *f, const char *xtitle, const char *ytitle);
/* The same, the y axis without ticks (a title only) */
extern void UsSvgAxisX(UsSvg *s, UsFrame *f, const char *xtitle, const char *ytitle);
/* The value axis only (y), widened to nice ticks when nice; a baseline for x */
extern void UsSvgAxisValues(UsSvg *s, UsFrame *f, const char *ytitle, bool nice);
extern void UsSvgLegend(UsSvg *s, double x, double y, int n, const char *const *colors,
						const char *const *labels, const char *heading);

/* ---- chart_core.c: the plots, from figures computed by the caller ---- */

/* Points coloured by segment, centroids marked (scatter and 3-D view) */
typedef struct UsScatterSpec
{
	int64_t		n;				/* points to draw */
	const double *x;
	const double *y;
	const double *z;			/* 3-D view only */
	const int32_t *label;		/* n segment numbers (-1 noise) */
	int			k;				/* segments, ascending */
	const int32_t *segments;
	const double *cx;			/* k centroids; NaN (noise) is not drawn */
	const double *cy;
	const double *cz;
	const char *xtitle;
	const char *ytitle;
	const char *ztitle;
} UsScatterSpec;

extern char *UsChartScatter(const UsCore *core, const UsScatterSpec *sp, const char *title,
							const char *desc);
extern char *UsChart3d(const UsCore *core, const UsScatterSpec *sp, const char *title,
					   const char *desc);

/* A k x m grid: z (colour, printed) of each feature per segment */
extern char *UsChartHeatmap(const UsCore *core, int k, const int32_t *segments, int m,
							const char *const *features, const double *z,
							const char *title, const char *desc);

/* Share of each of m categories per segment (k x m), lift printed */
extern char *UsChartMix(const UsCore *core, int k, const int32_t *segments, int m,
						const char *const *categories, const double *share,
						const double *lift, const char *category_title,
						const char *title, const char *desc);

/* Box plots: k x m boxes (row-major, segment by feature) */
extern char *UsChartBox(const UsCore *core, int k, const int32_t *segments, int m,
						const char *const *features, const UsBox *boxes,
						const char *title, const char *desc);

/* Silhouettes of n rows, grouped by segment (labels), sorted within each; average */
extern char *UsChartSilhouette(const UsCore *core, int64_t n, const double *values,
							   const int32_t *label, int k, const int32_t *segments,
							   double average, const char *title, const char *desc);

/* Inertia and silhouette against k; elbow and best are indexes, or -1 */
extern char *UsChartSweep(const UsCore *core, int count, const int *ks,
						  const double *inertia, const double *silhouette, int elbow,
						  int best, const char *title, const char *desc);

/* One bar per name (NaN: no bar, "n/a") */
extern char *UsChartBars(const UsCore *core, int count, const char *const *names,
						 const double *values, const char *ytitle, const char *title,
						 const char *desc);

#endif							/* USCORE_H */
