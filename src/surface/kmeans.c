/*-------------------------------------------------------------------------
 *
 * kmeans.c
 *	  SQL surface of K-Means: the window form userseg_kmeans(features, k, ...)
 *	  OVER (...), which clusters each window partition on its own; the fit behind
 *	  the table form (userseg_kmeans_fit); the nearest centroid behind predict.
 *
 * Window form: the partition is read once into a matrix (UsWinReadPartition), scaled
 * in place, clustered by the core (kmeans_core.c) in a memory context of its own, and
 * the labels are kept for the partition; the matrix is freed as soon as the labels
 * are known.  Rows whose features are NULL get a NULL label.  Every entry point
 * checks its options and seeds K-Means through kmeans_options.h, so the same seed,
 * data and row order give the same labels in every form.
 *
 *-------------------------------------------------------------------------
 */
#include "ussweep.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/parallel.h"
#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"

#include "kmeans_options.h"

PG_FUNCTION_INFO_V1(userseg_kmeans);
PG_FUNCTION_INFO_V1(userseg_kmeans_init);
PG_FUNCTION_INFO_V1(userseg_kmeans_fit);
PG_FUNCTION_INFO_V1(userseg_kmeans_nearest);
PG_FUNCTION_INFO_V1(userseg_predict);

/*
 * The table form's silhouette is exact up to this many rows, sampled above (on the
 * rows the sweep's sampler draws with the seed: SweepScore)
 */
#define KMEANS_SILHOUETTE_ROWS 10000

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

/* A k x d float8[][] argument, or NULL when its shape is not k x d */
static const double *
Arg2D(ArrayType *a, int k, int d, const char *what, bool strict)
{
	if (ARR_NDIM(a) != 2 || ARR_DIMS(a)[0] != k || ARR_DIMS(a)[1] != d)
	{
		if (!strict)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a %d x %d array", what, k, d),
				 errdetail("There is one row per cluster (k = %d) and one column per encoded feature (%d).",
						   k, d)));
	}
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain NULL elements", what)));
	for (int i = 0; i < k * d; i++)
		if (!isfinite(((const double *) ARR_DATA_PTR(a))[i]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s must not contain NaN or Infinity", what)));
	return (const double *) ARR_DATA_PTR(a);
}

/*
 * Initial centers from a k x d float8[][]: check the shape and the values
 */
static double *
KmeansInitCenters(ArrayType *a, int *k)
{
	const double *src;
	double	   *out;
	int			nitems;

	if (ARR_NDIM(a) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("init must be a two-dimensional array of k rows of centers"),
				 errdetail("An array of %d dimensions was given.", ARR_NDIM(a)),
				 errhint("Give init as ARRAY[[x1, y1], [x2, y2], ...].")));
	src = Arg2D(a, ARR_DIMS(a)[0], ARR_DIMS(a)[1], "init", true);
	nitems = ARR_DIMS(a)[0] * ARR_DIMS(a)[1];
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
KmeansFit(UsMatrix *m, const KmeansOptions *opt, UsKmeansResult *result,
		  double **center_out, double **scale_out)
{
	UsCore		core;
	double	   *center = palloc0(sizeof(double) * m->d);
	double	   *scale = palloc0(sizeof(double) * m->d);
	double	   *init = NULL;
	instr_time	start;
	instr_time	elapsed;

	INSTR_TIME_SET_CURRENT(start);

	/* k > rows before any work (UsKmeansRun checks it again, with the memory) */
	UsKmeansCheckRows(m->n, opt->k);
	UsCoreContextInit(&core);
	UsScaleFitApply(&core, m, opt->scale, center, scale);
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

	UsKmeansRun(m, opt->k, opt->seed, opt->n_init, opt->max_iter, opt->tol, init, result);

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
	if (center_out)
		*center_out = center;
	if (scale_out)
		*scale_out = scale;
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
		UsKmeansCheckK(opt->k);
		UsKmeansCheckNInit(opt->n_init);
		UsKmeansCheckMaxIter(opt->max_iter);
		UsKmeansCheckTol(opt->tol);

		if (w->m.n > 0)
		{
			runcxt = AllocSetContextCreate(partcxt, "userseg k-means", ALLOCSET_DEFAULT_SIZES);
			oldcxt = MemoryContextSwitchTo(runcxt);
			KmeansFit(&w->m, opt, &result, NULL, NULL);
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

/* A k x d float8[][] */
static ArrayType *
Doubles2D(const double *x, int k, int d)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(k * d, 1));
	int			dims[2] = {k, d};
	int			lbs[2] = {1, 1};

	for (int i = 0; i < k * d; i++)
		elems[i] = Float8GetDatum(x[i]);
	return construct_md_array(elems, NULL, 2, dims, lbs, FLOAT8OID, sizeof(float8),
							  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/*
 * Renumber clusters to match previous centers (k x d, original units) one to one,
 * at the least total squared distance in the scaled space
 */
static void
KmeansMatchPrevious(UsKmeansResult *r, int64 n, int k, int d, const double *previous,
					const double *center, const double *scale)
{
	UsCore		core;
	double	   *prev = UsAllocChecked(sizeof(double) * k * d, "the previous centers");
	UsMatrix	pm = {k, d, prev};

	UsCoreContextInit(&core);
	memcpy(prev, previous, sizeof(double) * k * d);
	UsScaleApply(&pm, center, scale);
	UsMatchPrevious(&core, prev, k, d, r->centers, r->sizes, r->labels, n, NULL);
}

/*
 * userseg_kmeans_fit(source, features, k, label_column, scale, nulls, seed, n_init,
 * max_iter, tol, init, previous, id_column): the table form's work; the SQL wrapper
 * keeps the models table.  With id_column the rows are read in its order, so the
 * labels do not depend on the table's physical order.
 */
Datum
userseg_kmeans_fit(PG_FUNCTION_ARGS)
{
	Oid			relid;
	ArrayType  *features;
	KmeansOptions opt;
	char	   *label_column = NULL;
	char	   *id_column = NULL;
	UsNullPolicy nulls;
	UsRelData  *rel;
	UsMatrix	m;
	UsKmeansResult result;
	double	   *center;
	double	   *scale;
	double	   *orig;
	SweepScores scores;
	bool		has_sil;
	TupleDesc	tupdesc;
	Datum		values[15];
	bool		isnull[15];
	Datum	   *colnames;
	Datum	   *sizes;
	instr_time	start;
	instr_time	elapsed;
	MemoryContext runcxt;
	MemoryContext oldcxt;
	HeapTuple	tuple;

	INSTR_TIME_SET_CURRENT(start);
	for (int a = 0; a < 10; a++)
		if (PG_ARGISNULL(a) && a != 3)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not be NULL",
							(const char *[]) {"source", "features", "k", "label_column",
							"scale", "nulls", "seed", "n_init", "max_iter", "tol"}[a])));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "userseg_kmeans_fit must return a record, please report a bug");

	relid = PG_GETARG_OID(0);
	features = PG_GETARG_ARRAYTYPE_P(1);
	memset(&opt, 0, sizeof(opt));
	opt.k = PG_GETARG_INT32(2);
	if (!PG_ARGISNULL(3))
		label_column = NameStr(*PG_GETARG_NAME(3));
	if (!PG_ARGISNULL(12))
		id_column = NameStr(*PG_GETARG_NAME(12));
	opt.scale = UsParseScaleMethod(text_to_cstring(PG_GETARG_TEXT_PP(4)));
	nulls = UsParseNullPolicy(text_to_cstring(PG_GETARG_TEXT_PP(5)));
	opt.seed = PG_GETARG_INT32(6);
	opt.n_init = PG_GETARG_INT32(7);
	opt.max_iter = PG_GETARG_INT32(8);
	opt.tol = PG_GETARG_FLOAT8(9);
	UsKmeansCheckK(opt.k);
	UsKmeansCheckNInit(opt.n_init);
	UsKmeansCheckMaxIter(opt.max_iter);
	UsKmeansCheckTol(opt.tol);

	runcxt = UsRunContextCreate("userseg k-means");
	oldcxt = MemoryContextSwitchTo(runcxt);

	if (id_column)
		rel = UsReadRelationOrdered(relid, features, nulls, id_column, label_column);
	else if (label_column)
		rel = UsReadRelationForLabels(relid, features, nulls, label_column);
	else
		rel = UsReadRelation(relid, features, nulls, false);
	UsCheckRowsToCluster(rel);
	if (!PG_ARGISNULL(10))
		opt.init = Arg2D(PG_GETARG_ARRAYTYPE_P(10), opt.k, rel->d, "init", true);
	m.n = rel->n;
	m.d = rel->d;
	m.x = rel->x;

	KmeansFit(&m, &opt, &result, &center, &scale);

	if (!PG_ARGISNULL(11))
	{
		const double *previous = Arg2D(PG_GETARG_ARRAYTYPE_P(11), opt.k, rel->d,
									   "previous centers", false);

		if (previous)
			KmeansMatchPrevious(&result, m.n, opt.k, m.d, previous, center, scale);
	}
	if (label_column)
		(void) UsWriteLabels(rel, label_column, result.labels);

	SweepScore(&m, result.labels, KMEANS_SILHOUETTE_ROWS, opt.seed, &scores);
	has_sil = !isnan(scores.silhouette);

	/* centers in original units */
	orig = palloc(sizeof(double) * opt.k * m.d);
	memcpy(orig, result.centers, sizeof(double) * opt.k * m.d);
	{
		UsMatrix	om = {opt.k, m.d, orig};

		UsScaleInverse(&om, center, scale);
	}
	colnames = palloc(sizeof(Datum) * m.d);
	for (int j = 0; j < m.d; j++)
		colnames[j] = CStringGetTextDatum(rel->cols[j].category ?
										  psprintf("%s=%s", rel->cols[j].source,
												   rel->cols[j].category) :
										  rel->cols[j].source);
	sizes = palloc(sizeof(Datum) * opt.k);
	for (int c = 0; c < opt.k; c++)
		sizes[c] = Int64GetDatum(result.sizes[c]);

	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);

	MemoryContextSwitchTo(oldcxt);
	memset(isnull, 0, sizeof(isnull));
	values[0] = Int32GetDatum(opt.k);
	values[1] = Int64GetDatum(rel->n);
	values[2] = Int64GetDatum(rel->nskipped);
	values[3] = Int32GetDatum(result.iterations);
	values[4] = Float8GetDatum(result.inertia);
	values[5] = Float8GetDatum(scores.silhouette);
	isnull[5] = !has_sil;
	values[6] = BoolGetDatum(scores.sampled);
	values[7] = Float8GetDatum(INSTR_TIME_GET_MILLISEC(elapsed));
	values[8] = PointerGetDatum(construct_array(colnames, m.d, TEXTOID, -1, false,
												TYPALIGN_INT));
	values[9] = PointerGetDatum(UsDoublesToArray(center, m.d));
	values[10] = PointerGetDatum(UsDoublesToArray(scale, m.d));
	values[11] = PointerGetDatum(Doubles2D(result.centers, opt.k, m.d));
	values[12] = PointerGetDatum(Doubles2D(orig, opt.k, m.d));
	values[13] = PointerGetDatum(construct_array(sizes, opt.k, INT8OID, sizeof(int64),
												 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[14] = BoolGetDatum(result.converged);
	tuple = heap_form_tuple(BlessTupleDesc(tupdesc), values, isnull);
	MemoryContextDelete(runcxt);
	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}

/* A model's scaler and centroids, ready to label rows */
typedef struct PredictModel
{
	int			k;
	int			d;
	double	   *centroids;		/* k x d, scaled */
	double	   *center;			/* d */
	double	   *scale;			/* d */
	double	   *x;				/* d: the row being labelled */
} PredictModel;

/*
 * Fill pm (allocating in the current memory context) from a model's arrays:
 * centroids k x d, scaler center and scale of d elements each
 */
static void
PredictModelFromArrays(PredictModel *pm, ArrayType *centroids, ArrayType *center,
					   ArrayType *scale)
{
	if (ARR_NDIM(centroids) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("centroids must be a two-dimensional array")));
	pm->k = ARR_DIMS(centroids)[0];
	pm->d = ARR_DIMS(centroids)[1];
	pm->centroids = palloc(sizeof(double) * Max(pm->k * pm->d, 1));
	memcpy(pm->centroids, Arg2D(centroids, pm->k, pm->d, "centroids", true),
		   sizeof(double) * pm->k * pm->d);
	pm->center = palloc(sizeof(double) * pm->d);
	pm->scale = palloc(sizeof(double) * pm->d);
	pm->x = palloc(sizeof(double) * pm->d);
	UsVectorToDoubles(center, pm->d, pm->center, "the model's scaler");
	UsVectorToDoubles(scale, pm->d, pm->scale, "the model's scaler");
}

/* The label of one row: scaled with the model's scaler, nearest scaled centroid */
static int32
PredictLabel(const PredictModel *pm, ArrayType *features)
{
	UsMatrix	xm = {1, pm->d, pm->x};

	if (UsVectorDims(features) != pm->d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features has %d elements where the model has %d",
						UsVectorDims(features), pm->d),
				 errhint("Give one value per encoded feature, in the model's order.")));
	UsVectorToDoubles(features, pm->d, pm->x, "features");
	UsScaleApply(&xm, pm->center, pm->scale);
	return UsKmeansNearest(pm->centroids, pm->k, pm->d, pm->x, NULL);
}

/*
 * userseg_kmeans_nearest(features, centroids, center, scale): the label of a new
 * row, scaled with the model's scaler, by its nearest scaled centroid
 */
Datum
userseg_kmeans_nearest(PG_FUNCTION_ARGS)
{
	PredictModel pm;

	PredictModelFromArrays(&pm, PG_GETARG_ARRAYTYPE_P(1), PG_GETARG_ARRAYTYPE_P(2),
						   PG_GETARG_ARRAYTYPE_P(3));
	PG_RETURN_INT32(PredictLabel(&pm, PG_GETARG_ARRAYTYPE_P(0)));
}

/*
 * The model cache of userseg_predict, in fn_extra (the memory of the calling
 * expression).  The model row is looked up once per snapshot: while the active
 * snapshot sees the same data as at the last look-up (same xmin, xmax, in-progress
 * transactions and command id: no transaction completed since and no command of our
 * own ran), the cached model is used as it is.  Otherwise the row is looked up
 * again, and its scaler and centroids are parsed again only when the row itself
 * changed (another xmin or ctid: a refit writes a new row version).  So a refit is
 * seen by the next statement, also by the next statement of a PL/pgSQL function,
 * where fn_extra may outlive one statement.  A parallel worker runs one statement:
 * its cache holds for the worker's life.
 */
typedef struct PredictCache
{
	char	   *model;			/* name, NULL until the first look-up */
	/* what the snapshot of the last look-up sees */
	bool		have_snap;
	TransactionId xmin;
	TransactionId xmax;
	CommandId	curcid;
	uint32		xcnt;
	int32		subxcnt;
	bool		suboverflowed;
	TransactionId *xip;			/* xcnt, then subxcnt, in fn_mcxt */
	int			xip_cap;
	/* the model row parsed */
	TransactionId row_xmin;
	ItemPointerData row_ctid;
	PredictModel pm;
	MemoryContext cxt;			/* holds pm, below fn_mcxt */
} PredictCache;

/* Whether the active snapshot sees what the snapshot of the last look-up saw */
static inline bool
PredictSameSnapshot(const PredictCache *pc, Snapshot snap)
{
	if (IsParallelWorker())
		return true;
	return snap != NULL && pc->have_snap &&
		snap->xmin == pc->xmin && snap->xmax == pc->xmax && snap->curcid == pc->curcid &&
		snap->xcnt == pc->xcnt && snap->subxcnt == pc->subxcnt &&
		snap->suboverflowed == pc->suboverflowed &&
		(snap->xcnt == 0 ||
		 memcmp(snap->xip, pc->xip, sizeof(TransactionId) * snap->xcnt) == 0) &&
		(snap->subxcnt <= 0 ||
		 memcmp(snap->subxip, pc->xip + pc->xcnt, sizeof(TransactionId) * snap->subxcnt) == 0);
}

/* Remember what the snapshot sees */
static void
PredictKeepSnapshot(FunctionCallInfo fcinfo, PredictCache *pc, Snapshot snap)
{
	int			need;

	pc->have_snap = false;
	if (snap == NULL || snap->subxcnt < 0)
		return;
	need = (int) snap->xcnt + snap->subxcnt;
	if (need > pc->xip_cap)
	{
		if (pc->xip)
			pfree(pc->xip);
		pc->xip = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(TransactionId) * need);
		pc->xip_cap = need;
	}
	if (snap->xcnt > 0)
		memcpy(pc->xip, snap->xip, sizeof(TransactionId) * snap->xcnt);
	if (snap->subxcnt > 0)
		memcpy(pc->xip + snap->xcnt, snap->subxip, sizeof(TransactionId) * snap->subxcnt);
	pc->xmin = snap->xmin;
	pc->xmax = snap->xmax;
	pc->curcid = snap->curcid;
	pc->xcnt = snap->xcnt;
	pc->subxcnt = snap->subxcnt;
	pc->suboverflowed = snap->suboverflowed;
	pc->have_snap = true;
}

/*
 * Look the model up (SPI, in the extension's schema, with the caller's privileges)
 * and parse it into the cache unless its row is the one cached
 */
static void
PredictLookup(FunctionCallInfo fcinfo, PredictCache *pc, text *model, Snapshot snap)
{
	char	   *name = text_to_cstring(model);
	Oid			nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {PointerGetDatum(model)};
	char	   *sql;
	int			rc;
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull[5];
	Datum		v[5];
	TransactionId row_xmin;
	ItemPointerData row_ctid;

	sql = psprintf("SELECT xmin, ctid, centroids, scale_center, scale_scale FROM %s.userseg_models "
				   "WHERE name OPERATOR(pg_catalog.=) $1",
				   quote_identifier(get_namespace_name(nsp)));
	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));
	rc = SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed (%s) for \"%s\", please report a bug",
			 SPI_result_code_string(rc), sql);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("unknown model \"%s\"", name),
				 errhint("Fit one with userseg_kmeans(..., model => 'name'); saved models are in userseg_models.")));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	for (int c = 0; c < 5; c++)
	{
		v[c] = SPI_getbinval(tup, desc, c + 1, &isnull[c]);
		if (isnull[c])
			elog(ERROR, "NULL in a NOT NULL column of userseg_models, please report a bug");
	}
	row_xmin = DatumGetTransactionId(v[0]);
	row_ctid = *(ItemPointer) DatumGetPointer(v[1]);

	if (pc->model == NULL || strcmp(pc->model, name) != 0 ||
		pc->row_xmin != row_xmin || !ItemPointerEquals(&pc->row_ctid, &row_ctid))
	{
		MemoryContext oldcxt;

		if (pc->cxt == NULL)
			pc->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "userseg predict model",
											ALLOCSET_SMALL_SIZES);
		MemoryContextReset(pc->cxt);
		pc->model = NULL;		/* not valid until parsed */
		oldcxt = MemoryContextSwitchTo(pc->cxt);
		PredictModelFromArrays(&pc->pm, DatumGetArrayTypeP(v[2]), DatumGetArrayTypeP(v[3]),
							   DatumGetArrayTypeP(v[4]));
		pc->model = pstrdup(name);
		MemoryContextSwitchTo(oldcxt);
		pc->row_xmin = row_xmin;
		pc->row_ctid = row_ctid;
	}
	SPI_finish();

	PredictKeepSnapshot(fcinfo, pc, snap);
	pfree(name);
}

/*
 * userseg_predict(model, features): the label of a new row by a saved model
 */
Datum
userseg_predict(PG_FUNCTION_ARGS)
{
	text	   *model = PG_GETARG_TEXT_PP(0);
	PredictCache *pc = (PredictCache *) fcinfo->flinfo->fn_extra;
	Snapshot	snap = ActiveSnapshotSet() ? GetActiveSnapshot() : NULL;

	if (pc == NULL)
	{
		pc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PredictCache));
		fcinfo->flinfo->fn_extra = pc;
	}
	if (pc->model == NULL || !PredictSameSnapshot(pc, snap) ||
		strlen(pc->model) != VARSIZE_ANY_EXHDR(model) ||
		memcmp(pc->model, VARDATA_ANY(model), VARSIZE_ANY_EXHDR(model)) != 0)
		PredictLookup(fcinfo, pc, model, snap);
	PG_RETURN_INT32(PredictLabel(&pc->pm, PG_GETARG_ARRAYTYPE_P(1)));
}
