/*-------------------------------------------------------------------------
 *
 * kmeans.c
 *	  SQL surface of K-Means: the window form userseg_kmeans(features, k, ...)
 *	  OVER (...), which clusters each window partition on its own; the table form
 *	  userseg_kmeans(source, features, k, ...), which reads a relation, may write
 *	  a label column and save a model; and K-Means' entry of the algorithm
 *	  registry (kmeans_compare).
 *
 * Window form: the partition is read once into a matrix (UsWinReadPartition), scaled
 * in place, clustered by the core (kmeans_core.c) in a memory context of its own, and
 * the labels are kept for the partition; the matrix is freed as soon as the labels
 * are known.  Rows whose features are NULL get a NULL label.  Every entry point
 * checks its options and seeds K-Means through kmeans_options.h, so the same seed,
 * data and row order give the same labels in every form.
 *
 * Table form: the shared path of tableform.c (read, encode, scale), the fit, the
 * renumbering to the previous fit of the model (each cluster takes the number of the
 * previous centroid it is matched to, at the least total squared distance in the new
 * scaled space), the scores, the label column and the model row (model.c).
 *
 *-------------------------------------------------------------------------
 */
#include "tableform.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"

#include "kmeans_options.h"
#include "kmeans_scan.h"

PG_FUNCTION_INFO_V1(userseg_kmeans);
PG_FUNCTION_INFO_V1(userseg_kmeans_init);
PG_FUNCTION_INFO_V1(userseg_kmeans_table);

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

/* Scale a copy of init (k x d, original units) with the fitted scaler */
static double *
KmeansScaleInit(const double *init, int k, int d, const double *center, const double *scale)
{
	UsMatrix	im;

	if (init == NULL)
		return NULL;
	im.n = k;
	im.d = d;
	im.x = UsAllocMatrix(k, d, "the initial centers");
	memcpy(im.x, init, UsMatrixBytes(k, d));
	UsScaleApply(&im, center, scale);
	return im.x;
}

/*
 * Fit K-Means on an already scaled matrix (init: scaled k x d, or NULL).  Allocates in
 * the current memory context; reports a best run that did not converge (WARNING, with
 * how many of the runs did not) and fewer distinct clusters than k (NOTICE).
 */
static void
KmeansFitScaled(const UsMatrix *m, const KmeansOptions *opt, const double *init,
				UsKmeansResult *result)
{
	instr_time	start;
	instr_time	elapsed;

	INSTR_TIME_SET_CURRENT(start);
	UsKmeansRun(m, opt->k, opt->seed, opt->n_init, opt->max_iter, opt->tol, init, result);
	if (!result->converged)
		ereport(WARNING,
				(errmsg("k-means did not converge within max_iter = %d iterations",
						opt->max_iter),
				 errdetail("%d of %d runs stopped at max_iter, the best of them after %d iterations; its labels are returned.",
						   result->runs_not_converged, opt->n_init, result->iterations),
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
			UsCore		core;
			double	   *center;
			double	   *scale;

			runcxt = UsRunContextStart(AllocSetContextCreate(partcxt, "userseg k-means",
															 ALLOCSET_DEFAULT_SIZES));
			oldcxt = MemoryContextSwitchTo(runcxt);
			/* k > rows before any work (UsKmeansRun checks it again, with the memory) */
			UsKmeansCheckRows(w->m.n, opt->k);
			center = palloc0(sizeof(double) * w->m.d);
			scale = palloc0(sizeof(double) * w->m.d);
			UsCoreContextInit(&core);
			UsScaleFitApply(&core, &w->m, opt->scale, center, scale);
			KmeansFitScaled(&w->m, opt,
							KmeansScaleInit(opt->init, opt->k, w->m.d, center, scale),
							&result);
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
	opt->k = DatumGetInt32(UsWinArgNotNull(winobj, 1, "k"));
	opt->seed = DatumGetInt32(UsWinArgNotNull(winobj, 2, "seed"));
	opt->n_init = DatumGetInt32(UsWinArgNotNull(winobj, 3, "n_init"));
	opt->max_iter = DatumGetInt32(UsWinArgNotNull(winobj, 4, "max_iter"));
	opt->tol = DatumGetFloat8(UsWinArgNotNull(winobj, 5, "tol"));
	opt->scale = UsParseScaleMethod(TextDatumGetCString(UsWinArgNotNull(winobj, 6, "scale")));
}

static void
KmeansOptionsInit(WindowObject winobj, KmeansOptions *opt, ArrayType **init)
{
	*init = DatumGetArrayTypeP(UsWinArgNotNull(winobj, 1, "init"));
	opt->n_init = 1;
	opt->max_iter = DatumGetInt32(UsWinArgNotNull(winobj, 2, "max_iter"));
	opt->tol = DatumGetFloat8(UsWinArgNotNull(winobj, 3, "tol"));
	opt->scale = UsParseScaleMethod(TextDatumGetCString(UsWinArgNotNull(winobj, 4, "scale")));
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

/* ---- the table form ---- */

/* The table form's arguments */
typedef struct KmeansTableArgs
{
	TableFormArgs table;
	KmeansOptions opt;
	ArrayType  *init;			/* k x d in original units, or NULL */
	char	   *model;			/* the name to save the model under, or NULL */
	Oid			nsp;			/* the extension's schema (the models table) */
} KmeansTableArgs;

/*
 * Parse and check userseg_kmeans(source, features, k, label_column, scale, nulls, seed,
 * n_init, max_iter, tol, init, model, id_column, max_categories, drop_first)
 */
static void
KmeansTableParse(FunctionCallInfo fcinfo, KmeansTableArgs *a)
{
	static const char *const names[] = {"k", "seed", "n_init", "max_iter", "tol"};
	static const int argnos[] = {2, 6, 7, 8, 9};

	memset(a, 0, sizeof(*a));
	TableFormParse(fcinfo, 0, 1, 4, 5, 13, 14, "userseg_kmeans", &a->table);
	for (int i = 0; i < (int) lengthof(names); i++)
		SweepArgNotNull(fcinfo, argnos[i], names[i]);
	a->opt.k = PG_GETARG_INT32(2);
	a->opt.seed = PG_GETARG_INT32(6);
	a->opt.n_init = PG_GETARG_INT32(7);
	a->opt.max_iter = PG_GETARG_INT32(8);
	a->opt.tol = PG_GETARG_FLOAT8(9);
	a->opt.scale = a->table.scale;
	if (!PG_ARGISNULL(3))
		a->table.read.label_column = pstrdup(NameStr(*PG_GETARG_NAME(3)));
	if (!PG_ARGISNULL(10))
		a->init = PG_GETARG_ARRAYTYPE_P(10);
	if (!PG_ARGISNULL(11))
		UsModelCheckName(a->model = text_to_cstring(PG_GETARG_TEXT_PP(11)));
	if (!PG_ARGISNULL(12))
		a->table.read.id_column = pstrdup(NameStr(*PG_GETARG_NAME(12)));
	a->nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	UsKmeansCheckK(a->opt.k);
	UsKmeansCheckNInit(a->opt.n_init);
	UsKmeansCheckMaxIter(a->opt.max_iter);
	UsKmeansCheckTol(a->opt.tol);
}

/*
 * Whether a refit keeps the previous fit's numbering: the same algorithm, k, features
 * and encoded columns.  Otherwise the model is replaced, with a NOTICE naming what
 * changed.
 */
bool
KmeansSameModel(const UsModel *prev, const UsModel *m, int k)
{
	StringInfoData what;
	char	   *pf = UsModelFeatureList(prev);
	char	   *mf = UsModelFeatureList(m);
	bool		same_columns = prev->d == m->d;

	initStringInfo(&what);
	if (strcmp(prev->algorithm, "kmeans") != 0)
		appendStringInfo(&what, "algorithm %s to kmeans", prev->algorithm);
	if (prev->k > 0 && prev->k != k)
		appendStringInfo(&what, "%sk %d to %d", what.len ? ", " : "", prev->k, k);
	for (int j = 0; j < m->d && same_columns; j++)
		same_columns = strcmp(prev->columns[j], m->columns[j]) == 0;
	if (strcmp(pf, mf) != 0)
		appendStringInfo(&what, "%sfeatures (%s) to (%s)", what.len ? ", " : "", pf, mf);
	else if (!same_columns)
		appendStringInfo(&what, "%sencoded columns (%d to %d: the categories changed)",
						 what.len ? ", " : "", prev->d, m->d);
	if (what.len == 0 && prev->k == k)
		return true;
	ereport(NOTICE,
			(errmsg("model \"%s\" is replaced: %s", m->name,
					what.len ? what.data : "it had no centroids"),
			 errdetail("The new fit's cluster numbers are not matched to the previous fit's.")));
	return false;
}

void
KmeansMatchPrevious(double *centers, int64 *sizes, int32 *labels, int64 n, int k, int d,
					const double *previous, const double *center, const double *scale)
{
	UsCore		core;
	UsMatrix	pm = {k, d, UsAllocMatrix(k, d, "the previous centers")};

	UsCoreContextInit(&core);
	memcpy(pm.x, previous, UsMatrixBytes(k, d));
	UsScaleApply(&pm, center, scale);
	UsMatchPrevious(&core, pm.x, k, d, centers, sizes, labels, n, NULL);
}

/* The model's parameters */
static Jsonb *
KmeansParameters(const KmeansFit *f)
{
	StringInfoData b;
	const char *label = f->table->read.label_column;
	const char *id = f->table->read.id_column;

	initStringInfo(&b);
	appendStringInfo(&b, "{\"k\": %d, \"seed\": %d, \"n_init\": %d, \"max_iter\": %d, "
					 "\"tol\": %.17g, \"init\": %s, \"iterations\": %d, \"converged\": %s, "
					 "\"source\": ", f->k, f->seed, f->n_init, f->max_iter,
					 f->tol, f->init ? "true" : "false", f->iterations,
					 f->converged ? "true" : "false");
	escape_json(&b, DatumGetCString(DirectFunctionCall1(regclassout,
														ObjectIdGetDatum(f->table->relid))));
	appendStringInfoString(&b, ", \"label_column\": ");
	if (label)
		escape_json(&b, label);
	else
		appendStringInfoString(&b, "null");
	appendStringInfoString(&b, ", \"id_column\": ");
	if (id)
		escape_json(&b, id);
	else
		appendStringInfoString(&b, "null");
	if (f->method)
	{
		appendStringInfoString(&b, ", \"method\": ");
		escape_json(&b, f->method);
		if (f->batch_size > 0)
			appendStringInfo(&b, ", \"batch_size\": %d", f->batch_size);
	}
	appendStringInfoChar(&b, '}');
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(b.data)));
}

void
KmeansModelFill(UsModel *m, const KmeansFit *f, const SweepScores *sc)
{
	int			k = f->k;
	UsMatrix	om = {k, m->d, UsAllocMatrix(k, m->d, "the model's centroids")};

	memcpy(om.x, f->centers, UsMatrixBytes(k, m->d));
	UsScaleInverse(&om, m->center, m->scale);
	m->name = (char *) f->model;
	m->algorithm = "kmeans";
	m->parameters = KmeansParameters(f);
	m->k = k;
	m->centroids = f->centers;
	m->centroids_original = om.x;
	m->sizes = f->sizes;
	m->inertia = f->inertia;
	m->silhouette = sc->silhouette;
	m->silhouette_sampled = sc->sampled;
}

/* The summary row (userseg_kmeans_summary) */
static Datum
KmeansSummary(FunctionCallInfo fcinfo, const KmeansTableArgs *a, const TableFormData *data,
			  const UsKmeansResult *r, const SweepScores *sc, instr_time start)
{
	TupleDesc	desc;
	Datum		v[9];
	bool		isnull[9] = {false};
	instr_time	elapsed;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "userseg_kmeans must return a record, please report a bug");
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	v[0] = a->model ? CStringGetTextDatum(a->model) : (Datum) 0;
	isnull[0] = a->model == NULL;
	v[1] = Int32GetDatum(a->opt.k);
	v[2] = Int64GetDatum(data->rel->n);
	v[3] = Int64GetDatum(data->rel->nskipped);
	v[4] = Int32GetDatum(r->iterations);
	v[5] = Float8GetDatum(r->inertia);
	v[6] = Float8GetDatum(sc->silhouette);
	isnull[6] = isnan(sc->silhouette);
	v[7] = BoolGetDatum(sc->sampled);
	v[8] = Float8GetDatum(INSTR_TIME_GET_MILLISEC(elapsed));
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), v, isnull));
}

/*
 * Whether the table form runs by scan (kmeans_scan.c): method => 'scan' or
 * 'minibatch', or 'auto' when the matrix would not fit in userseg.memory_limit (with a
 * NOTICE)
 */
static bool
KmeansUseScan(FunctionCallInfo fcinfo, const KmeansTableArgs *a)
{
	KmeansMethod method;
	Size		need;

	SweepArgNotNull(fcinfo, 15, "method");
	method = KmeansParseMethod(text_to_cstring(PG_GETARG_TEXT_PP(15)));
	if (method != KMEANS_AUTO)
		return method == KMEANS_SCAN || method == KMEANS_MINIBATCH;
	if (!KmeansScanWanted(&a->table, a->opt.k, &need))
		return false;
	ereport(NOTICE,
			(errmsg("k-means runs by scan: the matrix would exceed userseg.memory_limit"),
			 errdetail("In memory it would take about %zu kB of the %zu kB allowed.",
					   need / 1024, (Size) (UsMemoryLimitBytes() / 1024)),
			 errhint("Each iteration is one pass over the table; method => 'memory' refuses instead.")));
	return true;
}

/*
 * userseg_kmeans(source, features, k, label_column, scale, nulls, seed, n_init,
 * max_iter, tol, init, model, id_column, max_categories, drop_first, method,
 * batch_size): K-Means on
 * columns of a relation, one summary row.  With id_column the rows are read in its
 * order, so the labels do not depend on the table's physical order.
 */
Datum
userseg_kmeans_table(PG_FUNCTION_ARGS)
{
	KmeansTableArgs a;
	TableFormData data;
	UsModel    *previous = NULL;
	UsKmeansResult result;
	SweepScores scores;
	MemoryContext runcxt;
	MemoryContext oldcxt;
	instr_time	start;
	Datum		summary;

	/* parse, check */
	INSTR_TIME_SET_CURRENT(start);
	KmeansTableParse(fcinfo, &a);
	if (KmeansUseScan(fcinfo, &a))
	{
		KmeansScanArgs sa = {.table = &a.table, .k = a.opt.k, .seed = a.opt.seed,
			.n_init = a.opt.n_init, .max_iter = a.opt.max_iter, .tol = a.opt.tol,
		.init = a.init, .model = a.model, .nsp = a.nsp};

		SweepArgNotNull(fcinfo, 16, "batch_size");
		sa.batch_size = PG_GETARG_INT32(16);
		sa.method = KmeansParseMethod(text_to_cstring(PG_GETARG_TEXT_PP(15)));
		if (sa.method == KMEANS_AUTO)
			sa.method = KMEANS_SCAN;

		return KmeansScanTable(fcinfo, &sa);
	}
	runcxt = UsRunContextCreate("userseg k-means");
	oldcxt = MemoryContextSwitchTo(runcxt);

	/* prepare: the previous fit (locked), the rows read, encoded and scaled */
	if (a.model)
		previous = UsModelLockPrevious(a.nsp, a.model);
	TableFormRead(&a.table, &data);
	data.model->name = a.model;
	if (a.init)
		a.opt.init = Arg2D(a.init, a.opt.k, data.m.d, "init", true);
	UsCheckMemory(UsKmeansWorkBytes(data.m.n, data.m.d, a.opt.k, previous != NULL),
				  psprintf("k-means with k = %d%s", a.opt.k,
						   previous ? " and the matching to the previous fit" : ""));

	/* run */
	KmeansFitScaled(&data.m, &a.opt,
					KmeansScaleInit(a.opt.init, a.opt.k, data.m.d, data.center, data.scale),
					&result);
	if (previous && KmeansSameModel(previous, data.model, a.opt.k))
		KmeansMatchPrevious(result.centers, result.sizes, result.labels, data.m.n, a.opt.k,
							data.m.d, previous->centroids_original, data.center, data.scale);

	/* report: scores, labels, the model, the summary */
	SweepScore(&data.m, result.labels, KMEANS_SILHOUETTE_ROWS, a.opt.seed, &scores);
	TableFormDropMatrix(&data);
	if (a.table.read.label_column)
		(void) UsWriteLabels(data.rel, a.table.read.label_column, result.labels);
	if (a.model)
	{
		KmeansFit	fit = {.model = a.model, .table = &a.table, .k = a.opt.k,
			.seed = a.opt.seed, .n_init = a.opt.n_init, .max_iter = a.opt.max_iter,
			.tol = a.opt.tol, .init = a.init != NULL, .centers = result.centers,
			.sizes = result.sizes, .inertia = result.inertia,
		.iterations = result.iterations, .converged = result.converged};

		KmeansModelFill(data.model, &fit, &scores);
		UsModelSave(a.nsp, data.model);
	}
	MemoryContextSwitchTo(oldcxt);
	summary = KmeansSummary(fcinfo, &a, &data, &result, &scores, start);
	MemoryContextDelete(runcxt);
	PG_RETURN_DATUM(summary);
}

/* ---- K-Means in userseg_compare ---- */

static const char *const kmeans_compare_params[] = {"n_init", "max_iter", "tol", NULL};

/*
 * K-Means with k-means++ seeding from seed; n_init 10, max_iter 300, tol 1e-4 unless
 * params.kmeans gives others (scikit-learn's defaults, n_init as before its 1.4)
 */
static void
KmeansCompare(const UsMatrix *m, const CompareArgs *args, CompareFit *fit)
{
	UsKmeansResult result;
	StringInfoData note;
	int			n_init = TableFormParamInt(args->params, "params.kmeans", "n_init", 10);
	int			max_iter = TableFormParamInt(args->params, "params.kmeans", "max_iter", 300);
	double		tol = TableFormParamFloat(args->params, "params.kmeans", "tol", 1e-4);

	UsKmeansCheckNInit(n_init);
	UsKmeansCheckMaxIter(max_iter);
	UsKmeansCheckTol(tol);
	UsKmeansRun(m, args->k, args->seed, n_init, max_iter, tol, NULL, &result);
	fit->labels = result.labels;
	fit->inertia = result.inertia;

	initStringInfo(&note);
	appendStringInfo(&note, "k-means++, n_init %d, ", n_init);
	if (result.converged)
		appendStringInfo(&note, "converged after %d iteration%s", result.iterations,
						 result.iterations == 1 ? "" : "s");
	else
	{
		appendStringInfo(&note, "did not converge within max_iter = %d", max_iter);
		ereport(WARNING,
				(errmsg("k-means did not converge within max_iter = %d iterations", max_iter),
				 errdetail("%d of %d runs stopped at max_iter, the best of them after %d iterations; its scores are returned.",
						   result.runs_not_converged, n_init, result.iterations)));
	}
	if (result.nonempty < args->k)
		appendStringInfo(&note, "; %d distinct clusters, fewer than k = %d (fewer distinct rows)",
						 result.nonempty, args->k);
	fit->note = note.data;
}

const CompareAlgorithm kmeans_compare = {"kmeans", KmeansCompare, kmeans_compare_params};
