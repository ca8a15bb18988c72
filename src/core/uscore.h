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
 * own error (palloc in a backend, abort() in a standalone program).  Memory
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
extern void UsRobustColumn(double *col, int64_t n, double *center, double *scale);

/* Quantile q in [0, 1] of sorted values, linear interpolation (numpy's default) */
extern double UsQuantileSorted(const double *sorted, int64_t n, double q);

/* Median of sorted values as numpy.median: the mean of the two middle ones if n is even */
extern double UsMedianSorted(const double *sorted, int64_t n);

/* Sort doubles ascending (no NaN) */
extern void UsSortDoubles(double *x, int64_t n);

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

/* Minimum-cost one-to-one assignment (Hungarian): cost n x n, assign[row] = column */
extern void UsMinCostAssignment(const UsCore *core, const double *cost, int n, int *assign);

/* Nearest of k centers to x, ties to the lower number; *sqdist if not NULL */
extern int	UsKmeansNearest(const double *centers, int k, int d, const double *x,
							double *sqdist);

#endif							/* USCORE_H */
