/*-------------------------------------------------------------------------
 *
 * pca.c
 *	  SQL surface of PCA: the window form userseg_pca(features, n_components, whiten,
 *	  scale) OVER (...), each row's coordinates; the table form userseg_pca(source,
 *	  features, n_components, model, ...), which fits on columns of a relation, saves
 *	  the projection as a model and returns the summary; userseg_pca_summary and
 *	  userseg_pca_loadings of a saved model; userseg_project, a new row's coordinates
 *	  by a saved model.
 *
 * Every form is scikit-learn's PCA(svd_solver='full') (pca_core.c through
 * pcadata.c) on the scaled matrix: the window form scales with scale (default
 * 'none', as PCA itself does not scale), the table form as every table form does
 * (default 'zscore').  The window form's coordinates are fit_transform's (U S, or
 * U sqrt(n - 1) when whitened); userseg_project's are transform's ((x - mean) Vt^T,
 * divided by sqrt(explained_variance) when whitened), equal up to rounding on the
 * rows of the fit.
 *
 *-------------------------------------------------------------------------
 */
#include "tableform.h"
#include "uspca.h"

#include <math.h>

#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(userseg_pca);
PG_FUNCTION_INFO_V1(userseg_pca_table);
PG_FUNCTION_INFO_V1(userseg_pca_summary);
PG_FUNCTION_INFO_V1(userseg_pca_loadings);
PG_FUNCTION_INFO_V1(userseg_project);
PG_FUNCTION_INFO_V1(userseg_project_jsonb);
PG_FUNCTION_INFO_V1(userseg_project_record);

#define SUMMARY_COLS 5
#define LOADING_COLS 3

/* Coordinates of the current partition, kept after UsWinData */
typedef struct PcaWinState
{
	int			k;
	double	   *coords;			/* m.n x k */
} PcaWinState;

/* Fit the partition (read in w) once: coordinates into state */
static void
PcaWindowFit(WindowObject winobj, UsWinData *w, PcaWinState *state)
{
	int			k = DatumGetInt32(UsWinArgNotNull(winobj, 1, "n_components"));
	bool		whiten = DatumGetBool(UsWinArgNotNull(winobj, 2, "whiten"));
	UsScaleMethod scale = UsParseScaleMethod(TextDatumGetCString(UsWinArgNotNull(winobj, 3,
																		   "scale")));
	MemoryContext partcxt = UsWinPartitionContext(winobj);
	MemoryContext runcxt;
	MemoryContext oldcxt;
	UsPcaResult res;
	UsCore		core;
	double	   *center;
	double	   *sc;

	/* check: 1 <= k (the columns are known with the rows), rows >= max(k, 2) */
	if (k < 1)
		UsPcaCheckComponents(k, w->m.n == 0 ? -1 : w->m.d);
	state->k = k;
	if (w->m.n == 0)
		return;
	UsPcaCheckRows(w->m.n, w->m.d, k);

	/* prepare, run */
	runcxt = UsRunContextStart(AllocSetContextCreate(partcxt, "userseg pca",
													 ALLOCSET_DEFAULT_SIZES));
	oldcxt = MemoryContextSwitchTo(runcxt);
	center = palloc0(sizeof(double) * w->m.d);
	sc = palloc0(sizeof(double) * w->m.d);
	UsCoreContextInit(&core);
	UsScaleFitApply(&core, &w->m, scale, center, sc);
	UsPcaRun(&w->m, k, whiten, true, &res);

	/* report: the coordinates live with the partition */
	MemoryContextSwitchTo(partcxt);
	state->coords = UsAllocChecked(UsMatrixBytes(w->m.n, k), "the coordinate array");
	memcpy(state->coords, res.coords, UsMatrixBytes(w->m.n, k));
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(runcxt);
	pfree(w->m.x);
	w->m.x = NULL;
}

/*
 * userseg_pca(features float8[], n_components, whiten, scale) OVER (...)
 */
Datum
userseg_pca(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	bool		first;
	UsWinData  *w;
	PcaWinState *state;
	int64		row;

	w = UsWinReadPartition(winobj, 0, -1, sizeof(PcaWinState), &first);
	state = (PcaWinState *) UsWinExtra(w);
	if (first)
		PcaWindowFit(winobj, w, state);
	row = WinGetCurrentPosition(winobj);
	if (row < 0 || row >= w->nrows)
		elog(ERROR, "window row " INT64_FORMAT " out of range, please report a bug", row);
	if (w->row_of[row] < 0)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(UsDoublesToArray(state->coords + w->row_of[row] * state->k,
										   state->k));
}

/* ---- summary rows ---- */

/* One row per component: variance, ratio, cumulative ratio, singular value */
static void
PcaPutSummary(Tuplestorestate *store, TupleDesc desc, const UsPcaResult *res)
{
	double		cumulative = 0.0;

	for (int c = 0; c < res->k; c++)
	{
		Datum		v[SUMMARY_COLS];
		bool		isnull[SUMMARY_COLS] = {false};

		cumulative += res->explained_variance_ratio[c];
		v[0] = Int32GetDatum(c + 1);
		v[1] = Float8GetDatum(res->explained_variance[c]);
		v[2] = Float8GetDatum(res->explained_variance_ratio[c]);
		v[3] = Float8GetDatum(cumulative);
		v[4] = Float8GetDatum(res->singular_values[c]);
		/* rows without any variance: the ratios are 0 / 0 */
		isnull[2] = isnan(res->explained_variance_ratio[c]);
		isnull[3] = isnan(cumulative);
		tuplestore_putvalues(store, desc, v, isnull);
	}
}

/* ---- the table form ---- */

typedef struct PcaTableArgs
{
	TableFormArgs table;
	int			k;
	bool		whiten;
	char	   *model;			/* the name to save the model under, or NULL */
	Oid			nsp;			/* the extension's schema (the models table) */
	char	   *projection;		/* the projection table to create (quoted), or NULL */
	char	   *segment;		/* the source's label column copied into it, or NULL */
} PcaTableArgs;

/*
 * Parse and check userseg_pca(source, features, n_components, model, scale, nulls,
 * whiten, id_column, max_categories, drop_first, projection, label_column)
 */
static void
PcaTableParse(FunctionCallInfo fcinfo, PcaTableArgs *a)
{
	memset(a, 0, sizeof(*a));
	TableFormParse(fcinfo, 0, 1, 4, 5, 8, 9, "userseg_pca", &a->table);
	SweepArgNotNull(fcinfo, 2, "n_components");
	SweepArgNotNull(fcinfo, 6, "whiten");
	a->k = PG_GETARG_INT32(2);
	a->whiten = PG_GETARG_BOOL(6);
	if (!PG_ARGISNULL(3))
		UsModelCheckName(a->model = text_to_cstring(PG_GETARG_TEXT_PP(3)));
	if (!PG_ARGISNULL(7))
		a->table.read.id_column = pstrdup(NameStr(*PG_GETARG_NAME(7)));
	if (!PG_ARGISNULL(10))
		a->projection = text_to_cstring(PG_GETARG_TEXT_PP(10));
	if (!PG_ARGISNULL(11))
		a->segment = pstrdup(NameStr(*PG_GETARG_NAME(11)));
	if (a->segment && !a->projection)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("label_column is given without a projection table"),
				 errdetail("The label column's segments are copied into the projection table."),
				 errhint("Name the table to create: projection => 'user_pca'.")));
	if (a->projection)
	{
		a->projection = UsCheckProjection(a->table.relid, a->projection,
										  a->table.read.id_column, a->segment);
		a->table.read.want_tids = true;
	}
	a->nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	if (a->k < 1)
		UsPcaCheckComponents(a->k, -1);
}

/* The model's parameters */
static Jsonb *
PcaParameters(const PcaTableArgs *a)
{
	StringInfoData b;
	const char *id = a->table.read.id_column;

	initStringInfo(&b);
	appendStringInfo(&b, "{\"n_components\": %d, \"whiten\": %s, \"source\": ", a->k,
					 a->whiten ? "true" : "false");
	escape_json(&b, DatumGetCString(DirectFunctionCall1(regclassout,
														ObjectIdGetDatum(a->table.relid))));
	appendStringInfoString(&b, ", \"id_column\": ");
	if (id)
		escape_json(&b, id);
	else
		appendStringInfoString(&b, "null");
	appendStringInfoChar(&b, '}');
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(b.data)));
}

/*
 * userseg_pca(source, features, n_components, model, scale, nulls, whiten, id_column,
 * max_categories, drop_first, projection, label_column): PCA of columns of a
 * relation, read, encoded and scaled as every table form does; the projection saved
 * as a model if named, the rows' coordinates written into a new table if named; one
 * summary row per component
 */
Datum
userseg_pca_table(PG_FUNCTION_ARGS)
{
	PcaTableArgs a;
	TableFormData data;
	UsPcaResult res;
	Tuplestorestate *store;
	TupleDesc	desc;
	MemoryContext runcxt;
	MemoryContext oldcxt;

	/* parse, check */
	PcaTableParse(fcinfo, &a);
	store = UsMaterializeResult(fcinfo, &desc);
	runcxt = UsRunContextCreate("userseg pca");
	oldcxt = MemoryContextSwitchTo(runcxt);

	/* prepare: the model's name (ownership), the rows read, encoded and scaled */
	if (a.model)
		(void) UsModelLockPrevious(a.nsp, a.model);
	TableFormRead(&a.table, &data);

	/* run */
	UsPcaRun(&data.m, a.k, a.whiten, a.projection != NULL, &res);
	TableFormDropMatrix(&data);

	/* report: the projection table, the model, the summary */
	if (a.projection)
		(void) UsWriteProjection(data.rel, a.projection, a.table.read.id_column, a.segment,
								 res.coords, res.k);
	if (a.model)
	{
		data.model->name = a.model;
		data.model->algorithm = "pca";
		data.model->parameters = PcaParameters(&a);
		data.model->state = UsPcaStateJsonb(&res);
		data.model->inertia = NAN;
		data.model->silhouette = NAN;
		UsModelSave(a.nsp, data.model);
	}
	PcaPutSummary(store, desc, &res);
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(runcxt);
	return (Datum) 0;
}

/* ---- saved models ---- */

/*
 * userseg_pca_summary(model): per component its explained variance, ratio,
 * cumulative ratio and singular value
 */
Datum
userseg_pca_summary(PG_FUNCTION_ARGS)
{
	const UsModel *model = UsModelLookup(fcinfo, PG_GETARG_TEXT_PP(0));
	Tuplestorestate *store;
	TupleDesc	desc;
	UsPcaResult res;

	UsPcaFromModel(model, &res);
	store = UsMaterializeResult(fcinfo, &desc);
	PcaPutSummary(store, desc, &res);
	return (Datum) 0;
}

/*
 * userseg_pca_loadings(model): per component and encoded column, the component's
 * coefficient (scikit-learn's components_), in the order of the columns
 */
Datum
userseg_pca_loadings(PG_FUNCTION_ARGS)
{
	const UsModel *model = UsModelLookup(fcinfo, PG_GETARG_TEXT_PP(0));
	Tuplestorestate *store;
	TupleDesc	desc;
	UsPcaResult res;

	UsPcaFromModel(model, &res);
	store = UsMaterializeResult(fcinfo, &desc);
	for (int c = 0; c < res.k; c++)
	{
		CHECK_FOR_INTERRUPTS();
		for (int j = 0; j < res.d; j++)
		{
			Datum		v[LOADING_COLS];
			bool		isnull[LOADING_COLS] = {false};

			v[0] = Int32GetDatum(c + 1);
			v[1] = CStringGetTextDatum(model->columns[j]);
			v[2] = Float8GetDatum(res.components[(Size) c * res.d + j]);
			tuplestore_putvalues(store, desc, v, isnull);
		}
	}
	return (Datum) 0;
}

/* Coordinates of an encoded row x (model->d, scaled in place) by a PCA model */
static Datum
PcaProject(const UsModel *model, double *x)
{
	UsMatrix	xm = {1, model->d, x};
	const UsPcaResult *res = UsPcaModelCached(model);
	double	   *out;

	UsScaleApply(&xm, model->center, model->scale);
	out = palloc(sizeof(double) * res->k);
	UsPcaTransform(res->mean, res->components, res->explained_variance, res->k, res->d,
				   res->whiten, x, out);
	for (int c = 0; c < res->k; c++)
		if (!isfinite(out[c]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value out of range: overflow"),
					 errdetail("Coordinate %d of the row is out of the range of float8.",
							   c + 1)));
	return PointerGetDatum(UsDoublesToArray(out, res->k));
}

/*
 * userseg_project(model, features float8[]): coordinates of a row given as its
 * encoded vector (the model's columns, in order)
 */
Datum
userseg_project(PG_FUNCTION_ARGS)
{
	const UsModel *model = UsModelLookup(fcinfo, PG_GETARG_TEXT_PP(0));
	ArrayType  *features = PG_GETARG_ARRAYTYPE_P(1);
	double	   *x;

	UsPcaCheckModel(model);
	if (UsVectorDims(features) != model->d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features has %d elements where the model has %d",
						UsVectorDims(features), model->d),
				 errdetail("Model \"%s\" expects its encoded columns, in order.", model->name),
				 errhint("Give the row itself: userseg_project(model, t) ... FROM t.")));
	x = palloc(sizeof(double) * model->d);
	UsVectorToDoubles(features, model->d, x, "features");
	PG_RETURN_DATUM(PcaProject(model, x));
}

/* userseg_project(model, features jsonb): coordinates of a row given as its columns */
Datum
userseg_project_jsonb(PG_FUNCTION_ARGS)
{
	const UsModel *model = UsModelLookup(fcinfo, PG_GETARG_TEXT_PP(0));
	double	   *x = palloc0(sizeof(double) * Max(model->d, 1));

	UsPcaCheckModel(model);
	if (!UsModelEncodeJsonb(model, PG_GETARG_JSONB_P(1), x))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(PcaProject(model, x));
}

/*
 * userseg_project(model, features record): coordinates of a row of the source table
 * (userseg_project('m', u) ... FROM users u), from its columns named as the features
 */
Datum
userseg_project_record(PG_FUNCTION_ARGS)
{
	const UsModel *model = UsModelLookup(fcinfo, PG_GETARG_TEXT_PP(0));
	double	   *x = palloc0(sizeof(double) * Max(model->d, 1));

	UsPcaCheckModel(model);
	if (!UsModelEncodeRecord(model, PG_GETARG_HEAPTUPLEHEADER(1), x))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(PcaProject(model, x));
}
