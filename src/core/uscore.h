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
	int64_t    *order;			/* n rows, by cell or by leaf */
	int64_t		work;			/* distances since the last interrupt check */
	/* grid */
	double		h;				/* cell side */
	int			reach;			/* cells a query of the build's radius reaches */
	double		lo[3];			/* the grid's origin */
	int64_t		dims[3];		/* cells per column */
	int64_t		ncells;			/* cells with rows */
	uint64_t   *cell_key;		/* ncells keys, ascending */
	int64_t    *cell_start;		/* ncells + 1 positions in order */
	int64_t    *cell_of;		/* n: each row's cell */
	/* k-d tree */
	int64_t		nnodes;
	double	   *box;			/* per node: d lows, then d highs */
	int64_t    *node_start;		/* per node: its rows, order[start, end) */
	int64_t    *node_end;
	int64_t    *node_left;		/* -1 for a leaf */
	int64_t    *node_right;
} UsNeighbors;

/* A row j within the radius, at squared distance sqdist; return false to stop */
typedef bool (*UsNeighborVisit) (void *arg, int64_t j, double sqdist);

/*
 * A radius query's visitor.  row is given each row within r; on a k-d tree, node (if
 * not NULL) is given instead each whole node within r (its rows[count]), and skip (if
 * not NULL) may leave a node out.  Each returns false to stop the query (skip: true
 * to leave the node out).
 */
typedef struct UsNeighborVisitor
{
	UsNeighborVisit row;
	bool		(*node) (void *arg, int64_t node, const int64_t *rows, int64_t count);
	bool		(*skip) (void *arg, int64_t node);
	void	   *arg;
} UsNeighborVisitor;

/* Build an index of kind over m; radius is the radius a grid is built for (or 0) */
extern void UsNeighborsBuild(const UsCore *core, const UsMatrix *m, UsNeighborKind kind,
							 double radius, UsNeighbors *ix);
extern void UsNeighborsFree(UsNeighbors *ix);

/* Bytes an index over n rows of d columns may take at most (to check a budget) */
extern size_t UsNeighborsBytes(int64_t n, int d);

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
