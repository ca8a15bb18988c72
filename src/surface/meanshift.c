/*-------------------------------------------------------------------------
 *
 * meanshift.c
 *	  SQL surface of Mean Shift: the window form userseg_meanshift(features,
 *	  bandwidth, ...) OVER (...), which clusters each window partition on its own;
 *	  the table form userseg_meanshift(source, features, ...), which reads a
 *	  relation, may write a label column and save a model (the centres as
 *	  centroids, so userseg_predict gives a new row its nearest centre); and Mean
 *	  Shift's entry of the algorithm registry (meanshift_compare).
 *
 * The bandwidth is in the units of the scaled features (zscore by default).  When it
 * is not given it is estimated as scikit-learn's estimate_bandwidth(X, quantile,
 * n_samples, random_state = seed) does; MeanShift itself estimates it with quantile
 * 0.3 over every row, the defaults here.  The fit is the core's (meanshift_core.c,
 * scikit-learn 1.2's centres and labels); its memory is the matrix plus the index,
 * the seeds and the labels, checked against userseg.memory_limit before the work
 * (54000 naming both sizes), and the distinct centres, charged as they grow.
 *
 *-------------------------------------------------------------------------
 */
#include "tableform.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(userseg_meanshift);
PG_FUNCTION_INFO_V1(userseg_meanshift_table);

/* The table form's silhouette is exact up to this many rows, sampled above */
#define MEANSHIFT_SILHOUETTE_ROWS 10000

/* What a fit is given, checked */
typedef struct MeanshiftOptions
{
	double		bandwidth;		/* > 0, or NaN to estimate */
	bool		bin_seeding;
	int			min_bin_freq;
	bool		cluster_all;
	double		quantile;
	int			n_samples;		/* 0 for every row */
	int64		seed;
	int			max_iter;
} MeanshiftOptions;

/* What a fit gives back besides the core's result */
typedef struct MeanshiftFit
{
	UsMeanShiftResult r;
	double		bandwidth;		/* the bandwidth used */
	bool		estimated;
} MeanshiftFit;

static inline void
MeanshiftCheckBandwidth(double bandwidth)
{
	if (!(bandwidth > 0.0) || !isfinite(bandwidth))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bandwidth must be a finite number above 0"),
				 errdetail("bandwidth is %g.", bandwidth),
				 errhint("bandwidth is the flat kernel's radius in scaled units; leave it NULL to estimate it from quantile and n_samples.")));
}

static inline void
MeanshiftCheckQuantile(double quantile)
{
	if (!(quantile > 0.0 && quantile <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("quantile must be above 0 and at most 1"),
				 errdetail("quantile is %g.", quantile),
				 errhint("quantile is the share of rows within the estimated bandwidth of a row, (0, 1]; 0.3 is scikit-learn's default.")));
}

static inline void
MeanshiftCheckMinBinFreq(int min_bin_freq)
{
	if (min_bin_freq < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_bin_freq must be at least 1"),
				 errdetail("min_bin_freq is %d.", min_bin_freq),
				 errhint("min_bin_freq is the rows a bin needs to give a seed with bin_seeding; 1 is the default.")));
}

static inline void
MeanshiftCheckMaxIter(int max_iter)
{
	if (max_iter < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_iter must be at least 1"),
				 errdetail("max_iter is %d.", max_iter),
				 errhint("max_iter is the most steps of a seed; 300 is the default.")));
}

static inline void
MeanshiftCheckNSamples(int n_samples)
{
	if (n_samples < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_samples must be at least 1"),
				 errdetail("n_samples is %d.", n_samples),
				 errhint("n_samples is the rows the bandwidth is estimated on; NULL for every row.")));
}

static inline void
MeanshiftCheckSeed(int64 seed)
{
	if (seed < 0 || seed > (int64) PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("seed must be between 0 and 4294967295"),
				 errdetail("seed is " INT64_FORMAT ".", seed),
				 errhint("seed draws the n_samples rows as numpy's RandomState(seed) does, so it takes numpy's range.")));
}

static void
MeanshiftCheckOptions(const MeanshiftOptions *o)
{
	if (!isnan(o->bandwidth))
		MeanshiftCheckBandwidth(o->bandwidth);
	MeanshiftCheckMinBinFreq(o->min_bin_freq);
	MeanshiftCheckQuantile(o->quantile);
	if (o->n_samples != 0)
		MeanshiftCheckNSamples(o->n_samples);
	MeanshiftCheckSeed(o->seed);
	MeanshiftCheckMaxIter(o->max_iter);
}

/*
 * Fit Mean Shift on an already scaled matrix (n >= 1): estimate the bandwidth if
 * asked, check the budget, run the core.  Allocates in the current memory context.
 */
static void
MeanshiftRun(const UsMatrix *m, const MeanshiftOptions *o, const char *fn, MeanshiftFit *fit)
{
	UsCore		core;
	UsMeanShiftParams p;
	Size		bytes;

	UsCheckDistanceRange(m, fn);
	/* the threads' buffers are counted for the workers the core may use */
	UsCoreContextInit(&core);
	bytes = UsMeanShiftWorkBytes(m->n, m->d);
	fit->estimated = isnan(o->bandwidth);
	if (fit->estimated)
		bytes = Max(bytes, UsEstimateBandwidthBytes(m->n, m->d, o->n_samples, core.workers));
	UsCheckMemory(bytes, "mean shift's index, seeds and labels");
	fit->bandwidth = o->bandwidth;
	if (fit->estimated)
	{
		fit->bandwidth = UsEstimateBandwidth(&core, m, o->quantile, o->n_samples,
											 (uint32_t) o->seed);
		/*
		 * 0 when quantile of the rows are duplicates of each row: scikit-learn then
		 * keeps every distinct row as a centre after max_iter steps, and so does the
		 * core
		 */
		if (!(fit->bandwidth >= 0.0) || !isfinite(fit->bandwidth))
			elog(ERROR, "estimated bandwidth %g, please report a bug", fit->bandwidth);
		if (userseg_progress)
			ereport(NOTICE, (errmsg_internal("mean shift: estimated bandwidth %.17g",
											 fit->bandwidth)));
	}
	memset(&p, 0, sizeof(p));
	p.bandwidth = fit->bandwidth;
	p.bin_seeding = o->bin_seeding;
	p.min_bin_freq = o->min_bin_freq;
	p.cluster_all = o->cluster_all;
	p.max_iter = o->max_iter;
	p.index = US_NN_AUTO;
	if (UsMeanShift(&core, m, &p, &fit->r) == US_MEANSHIFT_NO_SEED)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no row is within bandwidth = %g of any seed", fit->bandwidth),
				 errdetail(INT64_FORMAT " seeds%s, none with a row within the bandwidth.",
						   fit->r.nseeds,
						   fit->r.seeds_binned ? " from bins with min_bin_freq rows" : ""),
				 errhint("Increase the bandwidth, lower min_bin_freq, or set bin_seeding to false.")));
	if (userseg_progress)
		ereport(NOTICE,
				(errmsg_internal("mean shift done: %d clusters from " INT64_FORMAT
								 " seeds, %d iterations, " INT64_FORMAT " unlabelled",
								 fit->r.k, fit->r.nseeds, fit->r.n_iter, fit->r.noise)));
}

/* ---- the window form ---- */

typedef struct MeanshiftWinState
{
	int32	   *labels;			/* one per matrix row */
} MeanshiftWinState;

/*
 * userseg_meanshift(features, bandwidth, bin_seeding, min_bin_freq, cluster_all,
 * quantile, n_samples, seed, max_iter, scale) OVER (...): the Mean Shift label of each
 * row of the partition (-1 for rows left out with cluster_all false); rows with NULL
 * features get NULL
 */
Datum
userseg_meanshift(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	bool		first;
	UsWinData  *w;
	MeanshiftWinState *state;
	int64		row;

	w = UsWinReadPartition(winobj, 0, -1, sizeof(MeanshiftWinState), &first);
	state = (MeanshiftWinState *) UsWinExtra(w);
	if (first)
	{
		/* parse, check */
		MeanshiftOptions o;
		bool		isnull;
		Datum		v;
		UsScaleMethod scale;

		v = WinGetFuncArgCurrent(winobj, 1, &isnull);
		o.bandwidth = isnull ? NAN : DatumGetFloat8(v);
		if (!isnull)
			MeanshiftCheckBandwidth(o.bandwidth);
		o.bin_seeding = DatumGetBool(UsWinArgNotNull(winobj, 2, "bin_seeding"));
		o.min_bin_freq = DatumGetInt32(UsWinArgNotNull(winobj, 3, "min_bin_freq"));
		o.cluster_all = DatumGetBool(UsWinArgNotNull(winobj, 4, "cluster_all"));
		o.quantile = DatumGetFloat8(UsWinArgNotNull(winobj, 5, "quantile"));
		v = WinGetFuncArgCurrent(winobj, 6, &isnull);
		o.n_samples = isnull ? 0 : DatumGetInt32(v);
		if (!isnull)
			MeanshiftCheckNSamples(o.n_samples);
		o.seed = DatumGetInt64(UsWinArgNotNull(winobj, 7, "seed"));
		o.max_iter = DatumGetInt32(UsWinArgNotNull(winobj, 8, "max_iter"));
		scale = UsParseScaleMethod(TextDatumGetCString(UsWinArgNotNull(winobj, 9, "scale")));
		MeanshiftCheckOptions(&o);
		if (w->m.n > 0)
		{
			MemoryContext partcxt = UsWinPartitionContext(winobj);
			MemoryContext runcxt;
			MemoryContext oldcxt;
			UsCore		core;
			MeanshiftFit fit;
			double	   *center;
			double	   *scale_v;

			/* prepare: scale the partition in place */
			runcxt = UsRunContextStart(AllocSetContextCreate(partcxt, "userseg mean shift",
															 ALLOCSET_DEFAULT_SIZES));
			oldcxt = MemoryContextSwitchTo(runcxt);
			center = palloc0(sizeof(double) * w->m.d);
			scale_v = palloc0(sizeof(double) * w->m.d);
			UsCoreContextInit(&core);
			UsScaleFitApply(&core, &w->m, scale, center, scale_v);

			/* run, keep the labels for the partition */
			MeanshiftRun(&w->m, &o, "userseg_meanshift", &fit);
			MemoryContextSwitchTo(partcxt);
			state->labels = palloc(sizeof(int32) * w->m.n);
			memcpy(state->labels, fit.r.labels, sizeof(int32) * w->m.n);
			MemoryContextSwitchTo(oldcxt);
			MemoryContextDelete(runcxt);
			pfree(w->m.x);
			w->m.x = NULL;
		}
	}

	/* report */
	row = WinGetCurrentPosition(winobj);
	if (row < 0 || row >= w->nrows)
		elog(ERROR, "window row " INT64_FORMAT " out of range, please report a bug", row);
	if (w->row_of[row] < 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(state->labels[w->row_of[row]]);
}

/* ---- the table form ---- */

typedef struct MeanshiftTableArgs
{
	TableFormArgs table;
	MeanshiftOptions opt;
	char	   *model;			/* the name to save the model under, or NULL */
	Oid			nsp;			/* the extension's schema (the models table) */
} MeanshiftTableArgs;

/*
 * Parse and check userseg_meanshift(source, features, bandwidth, bin_seeding,
 * min_bin_freq, cluster_all, quantile, n_samples, seed, max_iter, label_column, scale,
 * nulls, model, id_column, max_categories, drop_first)
 */
static void
MeanshiftTableParse(FunctionCallInfo fcinfo, MeanshiftTableArgs *a)
{
	static const char *const names[] = {"bin_seeding", "min_bin_freq", "cluster_all",
	"quantile", "seed", "max_iter"};
	static const int argnos[] = {3, 4, 5, 6, 8, 9};

	memset(a, 0, sizeof(*a));
	TableFormParse(fcinfo, 0, 1, 11, 12, 15, 16, "userseg_meanshift", &a->table);
	for (int i = 0; i < (int) lengthof(names); i++)
		SweepArgNotNull(fcinfo, argnos[i], names[i]);
	a->opt.bandwidth = PG_ARGISNULL(2) ? NAN : PG_GETARG_FLOAT8(2);
	if (!PG_ARGISNULL(2))
		MeanshiftCheckBandwidth(a->opt.bandwidth);
	a->opt.bin_seeding = PG_GETARG_BOOL(3);
	a->opt.min_bin_freq = PG_GETARG_INT32(4);
	a->opt.cluster_all = PG_GETARG_BOOL(5);
	a->opt.quantile = PG_GETARG_FLOAT8(6);
	a->opt.n_samples = PG_ARGISNULL(7) ? 0 : PG_GETARG_INT32(7);
	if (!PG_ARGISNULL(7))
		MeanshiftCheckNSamples(a->opt.n_samples);
	a->opt.seed = PG_GETARG_INT64(8);
	a->opt.max_iter = PG_GETARG_INT32(9);
	if (!PG_ARGISNULL(10))
		a->table.read.label_column = pstrdup(NameStr(*PG_GETARG_NAME(10)));
	if (!PG_ARGISNULL(13))
		UsModelCheckName(a->model = text_to_cstring(PG_GETARG_TEXT_PP(13)));
	if (!PG_ARGISNULL(14))
		a->table.read.id_column = pstrdup(NameStr(*PG_GETARG_NAME(14)));
	a->nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	MeanshiftCheckOptions(&a->opt);
}

/* The model's parameters */
static Jsonb *
MeanshiftParameters(const MeanshiftTableArgs *a, const MeanshiftFit *fit)
{
	StringInfoData b;
	const char *label = a->table.read.label_column;
	const char *id = a->table.read.id_column;

	initStringInfo(&b);
	appendStringInfo(&b, "{\"bandwidth\": %s, \"bandwidth_estimated\": %s, "
					 "\"bin_seeding\": %s, \"min_bin_freq\": %d, \"cluster_all\": %s, "
					 "\"quantile\": %s, \"n_samples\": ",
					 float8out_internal(fit->bandwidth), fit->estimated ? "true" : "false",
					 a->opt.bin_seeding ? "true" : "false", a->opt.min_bin_freq,
					 a->opt.cluster_all ? "true" : "false",
					 float8out_internal(a->opt.quantile));
	if (a->opt.n_samples > 0)
		appendStringInfo(&b, "%d", a->opt.n_samples);
	else
		appendStringInfoString(&b, "null");
	appendStringInfo(&b, ", \"seed\": " INT64_FORMAT ", \"max_iter\": %d, \"n_iter\": %d, "
					 "\"seeds\": " INT64_FORMAT ", \"source\": ", a->opt.seed,
					 a->opt.max_iter, fit->r.n_iter, fit->r.nseeds);
	escape_json(&b, DatumGetCString(DirectFunctionCall1(regclassout,
														ObjectIdGetDatum(a->table.relid))));
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
	appendStringInfoChar(&b, '}');
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(b.data)));
}

/* Fill the model row of a fit: the centres as centroids, scaled and in original units */
static void
MeanshiftModelFill(UsModel *m, const MeanshiftTableArgs *a, const MeanshiftFit *fit,
				   const SweepScores *sc)
{
	int			k = fit->r.k;
	UsMatrix	om = {k, m->d, UsAllocMatrix(k, m->d, "the model's centres")};

	memcpy(om.x, fit->r.centers, UsMatrixBytes(k, m->d));
	UsScaleInverse(&om, m->center, m->scale);
	m->name = a->model;
	m->algorithm = "meanshift";
	m->parameters = MeanshiftParameters(a, fit);
	m->k = k;
	m->centroids = fit->r.centers;
	m->centroids_original = om.x;
	m->sizes = fit->r.sizes;
	m->inertia = NAN;
	m->silhouette = sc->silhouette;
	m->silhouette_sampled = sc->sampled;
}

/* A k x d float8[][] of row-major values (an empty array when k is 0) */
static ArrayType *
MeanshiftArray2D(const double *x, int k, int d)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max((Size) k * d, 1));
	int			dims[2] = {k, d};
	int			lbs[2] = {1, 1};

	if (k == 0)
		return construct_empty_array(FLOAT8OID);
	for (Size i = 0; i < (Size) k * d; i++)
		elems[i] = Float8GetDatum(x[i]);
	return construct_md_array(elems, NULL, 2, dims, lbs, FLOAT8OID, sizeof(float8),
							  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* The summary row (userseg_meanshift_summary) */
static Datum
MeanshiftSummary(FunctionCallInfo fcinfo, const MeanshiftTableArgs *a,
				 const TableFormData *data, const MeanshiftFit *fit, const SweepScores *sc,
				 instr_time start)
{
	TupleDesc	desc;
	Datum		v[13];
	bool		isnull[13] = {false};
	instr_time	elapsed;
	UsMatrix	om;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "userseg_meanshift must return a record, please report a bug");
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);

	/* the centres in original units, k x d */
	om.n = fit->r.k;
	om.d = data->m.d;
	om.x = UsAllocMatrix(om.n, om.d, "the centres");
	memcpy(om.x, fit->r.centers, UsMatrixBytes(om.n, om.d));
	UsScaleInverse(&om, data->center, data->scale);

	v[0] = a->model ? CStringGetTextDatum(a->model) : (Datum) 0;
	isnull[0] = a->model == NULL;
	v[1] = Float8GetDatum(fit->bandwidth);
	v[2] = BoolGetDatum(fit->estimated);
	v[3] = Int32GetDatum(fit->r.k);
	v[4] = Int64GetDatum(data->rel->n);
	v[5] = Int64GetDatum(data->rel->nskipped);
	v[6] = Int64GetDatum(fit->r.nseeds);
	v[7] = Int32GetDatum(fit->r.n_iter);
	v[8] = Int64GetDatum(fit->r.noise);
	v[9] = Float8GetDatum(sc->silhouette);
	isnull[9] = isnan(sc->silhouette);
	v[10] = BoolGetDatum(sc->sampled);
	v[11] = PointerGetDatum(MeanshiftArray2D(om.x, fit->r.k, om.d));
	v[12] = Float8GetDatum(INSTR_TIME_GET_MILLISEC(elapsed));
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), v, isnull));
}

/*
 * userseg_meanshift(source, features, bandwidth, bin_seeding, min_bin_freq,
 * cluster_all, quantile, n_samples, seed, max_iter, label_column, scale, nulls, model,
 * id_column, max_categories, drop_first): Mean Shift on columns of a relation, one
 * summary row; the label column and the model are written in the same transaction
 */
Datum
userseg_meanshift_table(PG_FUNCTION_ARGS)
{
	MeanshiftTableArgs a;
	TableFormData data;
	MeanshiftFit fit;
	SweepScores scores;
	MemoryContext runcxt;
	MemoryContext oldcxt;
	instr_time	start;
	Datum		summary;

	/* parse, check */
	INSTR_TIME_SET_CURRENT(start);
	MeanshiftTableParse(fcinfo, &a);
	runcxt = UsRunContextCreate("userseg mean shift");
	oldcxt = MemoryContextSwitchTo(runcxt);

	/* prepare: the previous fit's owner checked (and locked), the rows read and scaled */
	if (a.model)
		(void) UsModelLockPrevious(a.nsp, a.model);
	TableFormRead(&a.table, &data);
	data.model->name = a.model;

	/* run */
	MeanshiftRun(&data.m, &a.opt, "userseg_meanshift", &fit);

	/* report: scores, labels, the model, the summary */
	SweepScore(&data.m, fit.r.labels, MEANSHIFT_SILHOUETTE_ROWS, 0, &scores);
	TableFormDropMatrix(&data);
	if (a.table.read.label_column)
		(void) UsWriteLabels(data.rel, a.table.read.label_column, fit.r.labels);
	if (a.model)
	{
		MeanshiftModelFill(data.model, &a, &fit, &scores);
		UsModelSave(a.nsp, data.model);
	}
	MemoryContextSwitchTo(oldcxt);
	summary = MeanshiftSummary(fcinfo, &a, &data, &fit, &scores, start);
	MemoryContextDelete(runcxt);
	PG_RETURN_DATUM(summary);
}

/* ---- Mean Shift in userseg_compare ---- */

static const char *const meanshift_compare_params[] = {"bandwidth", "bin_seeding",
"min_bin_freq", "cluster_all", "quantile", "n_samples", "max_iter", NULL};

/* A boolean under key, or def when absent (22023 for another type) */
static bool
MeanshiftParamBool(JsonbContainer *c, const char *key, bool def)
{
	JsonbValue	buf;
	JsonbValue *v;

	if (c == NULL)
		return def;
	v = getKeyJsonValueFromContainer(c, key, strlen(key), &buf);
	if (v == NULL)
		return def;
	if (v->type != jbvBool)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("params.meanshift.%s must be true or false", key),
				 errhint("Give %s as a JSON boolean: {\"%s\": true}.", key, key)));
	return v->val.boolean;
}

/*
 * Mean Shift with scikit-learn's defaults (the bandwidth estimated with quantile 0.3
 * over every row, every row a seed, cluster_all) unless params.meanshift gives others,
 * in the comparison's scaled units; n_samples are drawn with the comparison's seed
 */
static void
MeanshiftCompare(const UsMatrix *m, const CompareArgs *args, CompareFit *fit)
{
	MeanshiftOptions o;
	MeanshiftFit f;
	const char *what = "params.meanshift";

	o.bandwidth = TableFormParamFloat(args->params, what, "bandwidth", NAN);
	o.bin_seeding = MeanshiftParamBool(args->params, "bin_seeding", false);
	o.min_bin_freq = TableFormParamInt(args->params, what, "min_bin_freq", 1);
	o.cluster_all = MeanshiftParamBool(args->params, "cluster_all", true);
	o.quantile = TableFormParamFloat(args->params, what, "quantile", 0.3);
	o.n_samples = TableFormParamInt(args->params, what, "n_samples", PG_INT32_MIN);
	o.max_iter = TableFormParamInt(args->params, what, "max_iter", 300);
	o.seed = args->seed < 0 ? 0 : args->seed;
	if (o.n_samples == PG_INT32_MIN)
		o.n_samples = 0;		/* absent: every row */
	else
		MeanshiftCheckNSamples(o.n_samples);
	MeanshiftCheckOptions(&o);
	MeanshiftRun(m, &o, "userseg_compare", &f);
	fit->labels = f.r.labels;
	fit->note = psprintf("bandwidth %g%s, " INT64_FORMAT " seeds%s, %d centre%s, %d iteration%s",
						 f.bandwidth, f.estimated ? " (estimated)" : "", f.r.nseeds,
						 f.r.seeds_binned ? " from bins" : "", f.r.k, f.r.k == 1 ? "" : "s",
						 f.r.n_iter, f.r.n_iter == 1 ? "" : "s");
}

const CompareAlgorithm meanshift_compare = {"meanshift", MeanshiftCompare,
meanshift_compare_params};
