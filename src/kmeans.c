/*-------------------------------------------------------------------------
 *
 * kmeans.c
 *	  SQL surface of K-Means: the window form userseg_kmeans(features, k, ...)
 *	  OVER (...), which clusters each window partition on its own.
 *
 * The partition is read once into a matrix (UsWinReadPartition), scaled in place,
 * clustered by the core (kmeans_core.c) in a memory context of its own, and the
 * labels are kept for the partition; the matrix is freed as soon as the labels are
 * known.  Rows whose features are NULL get a NULL label.
 *
 *-------------------------------------------------------------------------
 */
#include "usdata.h"

#include <math.h>

#include "common/pg_prng.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(userseg_kmeans);
PG_FUNCTION_INFO_V1(userseg_kmeans_init);

/* Options of one fit */
typedef struct KmeansOptions
{
	int			k;
	int			seed;
	int			n_init;
	int			max_iter;
	double		tol;
	UsScaleMethod scale;
	const double *init;			/* k x d in original units, or NULL */
} KmeansOptions;

/* Labels of the current partition, kept after UsWinData */
typedef struct KmeansWinState
{
	int32	   *labels;			/* one per matrix row */
} KmeansWinState;

static inline void
CheckK(int k)
{
	if (k < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be at least 1"),
				 errdetail("k is %d.", k),
				 errhint("Give the number of clusters wanted, 1 or more.")));
}

static inline void
CheckNInit(int n_init)
{
	if (n_init < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_init must be at least 1"),
				 errdetail("n_init is %d.", n_init),
				 errhint("n_init is the number of runs from different seeds; 10 is usual.")));
}

static inline void
CheckMaxIter(int max_iter)
{
	if (max_iter < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_iter must be at least 1"),
				 errdetail("max_iter is %d.", max_iter),
				 errhint("max_iter bounds the iterations of one run; 300 is usual.")));
}

static inline void
CheckTol(double tol)
{
	if (!(tol >= 0.0) || isinf(tol))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tol must be a finite number of at least 0"),
				 errdetail("tol is %g.", tol),
				 errhint("tol is relative to the mean variance of the columns; 1e-4 is usual.")));
}

static inline void
CheckRows(int64 n, int k)
{
	if (n < k)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k is greater than the number of rows"),
				 errdetail("There are " INT64_FORMAT " rows with features and k is %d.", n, k),
				 errhint("Use a k of at most the number of rows.")));
}

static double
KmeansUniform(void *arg)
{
	return pg_prng_double((pg_prng_state *) arg);
}

/*
 * Initial centers from a k x d float8[][]: check the shape and the values
 */
static double *
KmeansInitCenters(ArrayType *a, int *k)
{
	int			nitems;
	double	   *out;
	const double *src;

	if (ARR_NDIM(a) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("init must be a two-dimensional array of k rows of centers"),
				 errdetail("An array of %d dimensions was given.", ARR_NDIM(a)),
				 errhint("Give init as ARRAY[[x1, y1], [x2, y2], ...].")));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("init must not contain NULL elements")));
	nitems = ARR_DIMS(a)[0] * ARR_DIMS(a)[1];
	src = (const double *) ARR_DATA_PTR(a);
	for (int i = 0; i < nitems; i++)
		if (!isfinite(src[i]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("init must not contain NaN or Infinity")));
	out = palloc(sizeof(double) * Max(nitems, 1));
	memcpy(out, src, sizeof(double) * nitems);
	*k = ARR_DIMS(a)[0];
	return out;
}

/*
 * Scale m in place and fit K-Means.  Allocates in the current memory context;
 * reports a run that did not converge (WARNING) and fewer distinct clusters than k
 * (NOTICE).
 */
static void
KmeansFit(UsMatrix *m, const KmeansOptions *opt, UsKmeansResult *result)
{
	UsCore		core;
	UsKmeansParams params;
	pg_prng_state rng;
	double	   *center = palloc0(sizeof(double) * m->d);
	double	   *scale = palloc0(sizeof(double) * m->d);
	double	   *init = NULL;
	Size		work;
	instr_time	start;
	instr_time	elapsed;

	INSTR_TIME_SET_CURRENT(start);

	CheckRows(m->n, opt->k);
	/* labels (2 x 4 bytes), bounds (2 x 8) and distances (8) per row */
	work = UsMatrixBytes(m->n, 5);
	UsCheckMemory(UsMatrixBytes(m->n, m->d) + work, "k-means on this data");

	UsCoreContextInit(&core);
	UsScaleFit(&core, m, opt->scale, center, scale);
	UsScaleApply(m, center, scale);
	if (opt->init)
	{
		UsMatrix	im;

		init = palloc(sizeof(double) * opt->k * m->d);
		memcpy(init, opt->init, sizeof(double) * opt->k * m->d);
		im.n = opt->k;
		im.d = m->d;
		im.x = init;
		UsScaleApply(&im, center, scale);
	}

	pg_prng_seed(&rng, (uint64) (int64) opt->seed);
	memset(&params, 0, sizeof(params));
	params.k = opt->k;
	params.n_init = opt->n_init;
	params.max_iter = opt->max_iter;
	params.tol = opt->tol;
	params.init = init;
	params.uniform = KmeansUniform;
	params.rng_arg = &rng;
	params.verbose = userseg_progress;
	params.plain = false;

	UsKmeans(&core, m, &params, result);

	if (!result->converged)
		ereport(WARNING,
				(errmsg("k-means did not converge within max_iter = %d iterations",
						opt->max_iter),
				 errdetail("The best run stopped after %d iterations; its labels are returned.",
						   result->iterations),
				 errhint("Raise max_iter, or raise tol.")));
	if (result->nonempty < opt->k)
		ereport(NOTICE,
				(errmsg("k-means found %d distinct clusters, fewer than k = %d",
						result->nonempty, opt->k),
				 errdetail("There are fewer distinct rows than clusters; the labels from %d on are not used.",
						   result->nonempty)));
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	if (userseg_progress)
		ereport(NOTICE,
				(errmsg_internal("k-means done: inertia %.17g, iterations %d",
								 result->inertia, result->iterations)));
	elog(DEBUG1, "k-means on " INT64_FORMAT " rows of %d columns took %.1f ms",
		 m->n, m->d, INSTR_TIME_GET_MILLISEC(elapsed));
}

/* A window argument that must not be NULL */
static Datum
WinArgNotNull(WindowObject winobj, int argno, const char *name)
{
	bool		isnull;
	Datum		v = WinGetFuncArgCurrent(winobj, argno, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
	return v;
}

/*
 * Cluster the current partition once and return the current row's label
 */
static Datum
KmeansWindow(FunctionCallInfo fcinfo, void (*get_options) (WindowObject, KmeansOptions *,
														   ArrayType **))
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	bool		first;
	UsWinData  *w;
	KmeansWinState *state;
	int64		row;

	w = UsWinReadPartition(winobj, 0, -1, sizeof(KmeansWinState), &first);
	state = (KmeansWinState *) UsWinExtra(w);

	if (first)
	{
		MemoryContext partcxt = UsWinPartitionContext(winobj);
		MemoryContext runcxt;
		MemoryContext oldcxt;
		UsKmeansResult result;
		KmeansOptions optbuf;
		KmeansOptions *opt = &optbuf;
		ArrayType  *init_array = NULL;

		memset(opt, 0, sizeof(*opt));
		get_options(winobj, opt, &init_array);

		if (init_array)
		{
			int			k;

			opt->init = KmeansInitCenters(init_array, &k);
			if (w->m.n > 0 && ARR_DIMS(init_array)[1] != w->m.d)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("init has centers of %d elements where %d were expected",
								ARR_DIMS(init_array)[1], w->m.d),
						 errdetail("Each row of init is a center with one element per feature.")));
			opt->k = k;
		}
		CheckK(opt->k);
		CheckNInit(opt->n_init);
		CheckMaxIter(opt->max_iter);
		CheckTol(opt->tol);

		if (w->m.n > 0)
		{
			runcxt = AllocSetContextCreate(partcxt, "userseg k-means", ALLOCSET_DEFAULT_SIZES);
			oldcxt = MemoryContextSwitchTo(runcxt);
			KmeansFit(&w->m, opt, &result);
			MemoryContextSwitchTo(partcxt);
			state->labels = palloc(sizeof(int32) * w->m.n);
			memcpy(state->labels, result.labels, sizeof(int32) * w->m.n);
			MemoryContextSwitchTo(oldcxt);
			MemoryContextDelete(runcxt);
			/* the matrix (scaled in place) is no longer needed */
			pfree(w->m.x);
			w->m.x = NULL;
		}
	}

	row = WinGetCurrentPosition(winobj);
	if (row < 0 || row >= w->nrows)
		elog(ERROR, "window row " INT64_FORMAT " out of range, please report a bug", row);
	if (w->row_of[row] < 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(state->labels[w->row_of[row]]);
}

static void
KmeansOptionsK(WindowObject winobj, KmeansOptions *opt, ArrayType **init)
{
	opt->k = DatumGetInt32(WinArgNotNull(winobj, 1, "k"));
	opt->seed = DatumGetInt32(WinArgNotNull(winobj, 2, "seed"));
	opt->n_init = DatumGetInt32(WinArgNotNull(winobj, 3, "n_init"));
	opt->max_iter = DatumGetInt32(WinArgNotNull(winobj, 4, "max_iter"));
	opt->tol = DatumGetFloat8(WinArgNotNull(winobj, 5, "tol"));
	opt->scale = UsParseScaleMethod(TextDatumGetCString(WinArgNotNull(winobj, 6, "scale")));
}

static void
KmeansOptionsInit(WindowObject winobj, KmeansOptions *opt, ArrayType **init)
{
	*init = DatumGetArrayTypeP(WinArgNotNull(winobj, 1, "init"));
	opt->n_init = 1;
	opt->max_iter = DatumGetInt32(WinArgNotNull(winobj, 2, "max_iter"));
	opt->tol = DatumGetFloat8(WinArgNotNull(winobj, 3, "tol"));
	opt->scale = UsParseScaleMethod(TextDatumGetCString(WinArgNotNull(winobj, 4, "scale")));
}

/*
 * userseg_kmeans(features, k, seed, n_init, max_iter, tol, scale) OVER (...)
 */
Datum
userseg_kmeans(PG_FUNCTION_ARGS)
{
	return KmeansWindow(fcinfo, KmeansOptionsK);
}

/*
 * userseg_kmeans(features, init, max_iter, tol, scale) OVER (...): from given
 * initial centers (k x d, in the features' own units), one run
 */
Datum
userseg_kmeans_init(PG_FUNCTION_ARGS)
{
	return KmeansWindow(fcinfo, KmeansOptionsInit);
}
