/*-------------------------------------------------------------------------
 *
 * agglomerative.c
 *	  SQL surface of agglomerative clustering: the window form
 *	  userseg_agglomerative(features, n_clusters, linkage, distance_threshold, scale)
 *	  OVER (...), which clusters each window partition on its own; the table form
 *	  userseg_agglomerative(source, features, ...), which reads a relation, may write
 *	  a label column and save a model of the segments' centroids; the merge table
 *	  userseg_agglomerative_tree (scipy's linkage matrix as rows); and the entry of
 *	  the algorithm registry (agglomerative_compare).
 *
 * The tree and the labels are scikit-learn 1.2's AgglomerativeClustering without
 * connectivity (agglo_core.c): exactly one of n_clusters and distance_threshold is
 * given (scikit-learn's rule: n_clusters => NULL with a threshold), a merge at exactly
 * the threshold is not made, labels are numbered as _hc_cut numbers them.  Distances
 * are in the units of the scaled features (zscore by default).
 *
 * Memory: ward and single linkage need O(n d) beside the matrix; complete and average
 * the condensed distance matrix, n (n - 1) / 2 doubles, checked against
 * userseg.memory_limit before the work (54000 naming both sizes and the most rows
 * that fit).  Agglomerative clustering has no predict of its own: a saved model keeps
 * each segment's centroid, and userseg_predict labels a new row by the nearest one,
 * an approximation of the segment it would have joined.
 *
 *-------------------------------------------------------------------------
 */
#include "tableform.h"

#include <math.h>
#include <sys/mman.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(userseg_agglomerative);
PG_FUNCTION_INFO_V1(userseg_agglomerative_table);
PG_FUNCTION_INFO_V1(userseg_agglomerative_tree);

/* The table form's silhouette is exact up to this many rows, sampled above */
#define AGGLO_SILHOUETTE_ROWS 10000

static const char *const agglo_linkages[] = {"ward", "complete", "average", "single", NULL};

/* What to cut the tree at: n_clusters (k > 0), or distance_threshold (k = 0) */
typedef struct AggloCutSpec
{
	int			k;
	double		threshold;
} AggloCutSpec;

static inline UsLinkage
AggloParseLinkage(const char *name)
{
	for (int i = 0; agglo_linkages[i]; i++)
		if (strcmp(name, agglo_linkages[i]) == 0)
			return (UsLinkage) i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown linkage \"%s\"", name),
			 errhint("Valid linkages are %s.", TableFormNameList(agglo_linkages))));
	return US_LINKAGE_WARD;		/* keep the compiler quiet */
}

/* Exactly one of n_clusters and distance_threshold, each in range */
static inline void
AggloCheckCut(bool has_k, int k, bool has_threshold, double threshold, AggloCutSpec *cut)
{
	if (has_k == has_threshold)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("exactly one of n_clusters and distance_threshold must be given"),
				 errdetail("%s", has_k ? "Both are given." : "Neither is given."),
				 errhint("Cut the tree at a number of clusters (n_clusters) or at a distance (distance_threshold, with n_clusters => NULL).")));
	if (has_k && k < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_clusters must be at least 1"),
				 errdetail("n_clusters is %d.", k),
				 errhint("n_clusters is the number of segments, from 1 to the number of rows.")));
	if (has_threshold && !(threshold >= 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("distance_threshold must be a number at least 0"),
				 errdetail("distance_threshold is %g.", threshold),
				 errhint("Merges at a distance of distance_threshold or more are not made; userseg_agglomerative_tree shows the distances.")));
	cut->k = has_k ? k : 0;
	cut->threshold = has_threshold ? threshold : NAN;
}

/* n_clusters at most the rows */
static inline void
AggloCheckRows(const AggloCutSpec *cut, int64 n)
{
	if (cut->k > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_clusters = %d is more than the " INT64_FORMAT " rows", cut->k, n),
				 errhint("n_clusters is from 1 to the number of rows.")));
}

static char *
AggloPrettySize(uint64 bytes)
{
	return text_to_cstring(DatumGetTextPP(DirectFunctionCall1(pg_size_pretty,
															  Int64GetDatum((int64) bytes))));
}

/*
 * 54000 unless the tree of n rows fits in the budget: for complete and average the
 * message names the condensed matrix, the limit and the most rows that fit
 */
static void
AggloCheckBudget(int64 n, int d, UsLinkage linkage)
{
	Size		need = UsAggloWorkBytes(n, d, linkage);
	uint64		limit = UsMemoryLimitBytes();
	Size		used = UsBudgetUsed();

	if ((linkage == US_LINKAGE_COMPLETE || linkage == US_LINKAGE_AVERAGE) &&
		(uint64) need + used > limit)
	{
		int64		lo = 1;
		int64		hi = n;

		/* the most rows whose tree fits beside what is held */
		while (lo < hi)
		{
			int64		mid = lo + (hi - lo + 1) / 2;

			if ((uint64) UsAggloWorkBytes(mid, d, linkage) + used <= limit)
				lo = mid;
			else
				hi = mid - 1;
		}
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s linkage of " INT64_FORMAT " rows needs a distance matrix of %s, more than userseg.memory_limit (%s)",
						agglo_linkages[linkage], n, AggloPrettySize(UsAggloMatrixBytes(n)),
						AggloPrettySize(limit)),
				 errdetail("The matrix holds n (n - 1) / 2 distances; beside what the operation holds now, at most " INT64_FORMAT " rows fit in this limit.",
						   (uint64) UsAggloWorkBytes(1, d, linkage) + used <= limit ? lo : 0),
				 errhint("Raise userseg.memory_limit, use fewer rows, or use ward or single linkage, which need no distance matrix.")));
	}
	UsCheckMemory(need, psprintf("%s linkage's tree", agglo_linkages[linkage]));
}

/*
 * Ask the kernel for huge pages under the condensed matrix (Linux's transparent huge
 * pages, where they are enabled for madvise).  The chain reads the matrix down its
 * columns, one entry per row of it, so with 4 kB pages nearly every read of a column
 * misses the TLB; 2 MB pages hold a dozen rows of 20,000 rows' matrix each.  Only
 * whole 2 MB pages inside the allocation are named; a refusal changes nothing but
 * the speed.
 */
static void
AggloHugePages(void *ptr, Size bytes)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = (uintptr_t) 2 * 1024 * 1024;
	uintptr_t	lo = ((uintptr_t) ptr + huge - 1) & ~(huge - 1);
	uintptr_t	hi = ((uintptr_t) ptr + bytes) & ~(huge - 1);

	if (hi > lo)
		(void) madvise((void *) lo, hi - lo, MADV_HUGEPAGE);
#endif
}

/*
 * The tree of an already scaled matrix: check the range and the budget, run the core.
 * Allocates in the current memory context.
 */
static void
AggloTreeRun(const UsMatrix *m, UsLinkage linkage, const char *caller, UsAggloTree *tree)
{
	UsCore		core;
	double	   *matrix = NULL;

	UsCheckDistanceRange(m, caller);
	AggloCheckBudget(m->n, m->d, linkage);
	/* not zeroed: the core writes every distance, checking interrupts as it goes */
	if (linkage == US_LINKAGE_COMPLETE || linkage == US_LINKAGE_AVERAGE)
		matrix = MemoryContextAllocExtended(CurrentMemoryContext,
											UsAggloMatrixBytes(m->n), MCXT_ALLOC_HUGE);
	if (matrix)
		AggloHugePages(matrix, UsAggloMatrixBytes(m->n));
	UsCoreContextInit(&core);
	UsAgglo(&core, m, linkage, matrix, tree);
	if (matrix)
		pfree(matrix);
}

/* The labels of the tree cut as cut says; returns the number of clusters */
static int
AggloCutRun(const UsAggloTree *tree, const AggloCutSpec *cut, int32 *labels)
{
	UsCore		core;
	int64		k = cut->k > 0 ? cut->k : UsAggloClustersAt(tree, cut->threshold);

	UsCoreContextInit(&core);
	UsAggloCut(&core, tree, k, labels);
	if (userseg_progress)
		ereport(NOTICE,
				(errmsg_internal("agglomerative %s done: " INT64_FORMAT " clusters",
								 agglo_linkages[tree->linkage], k)));
	return (int) k;
}

/* Fit: the tree and its cut; labels (m->n) allocated in the current memory context */
static int
AggloFit(const UsMatrix *m, UsLinkage linkage, const AggloCutSpec *cut, const char *caller,
		 int32 **labels)
{
	UsAggloTree tree;

	AggloCheckRows(cut, m->n);
	AggloTreeRun(m, linkage, caller, &tree);
	*labels = UsAllocChecked(sizeof(int32) * (Size) Max(m->n, 1), "the labels");
	return AggloCutRun(&tree, cut, *labels);
}

/* ---- the window form ---- */

typedef struct AggloWinState
{
	int32	   *labels;			/* one per matrix row */
} AggloWinState;

/*
 * userseg_agglomerative(features, n_clusters, linkage, distance_threshold, scale)
 * OVER (...): the label of each row of the partition; rows with NULL features get NULL
 */
Datum
userseg_agglomerative(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	bool		first;
	UsWinData  *w;
	AggloWinState *state;
	int64		row;

	w = UsWinReadPartition(winobj, 0, -1, sizeof(AggloWinState), &first);
	state = (AggloWinState *) UsWinExtra(w);
	if (first)
	{
		/* parse, check */
		bool		k_null;
		bool		t_null;
		Datum		kd = WinGetFuncArgCurrent(winobj, 1, &k_null);
		UsLinkage	linkage =
			AggloParseLinkage(TextDatumGetCString(UsWinArgNotNull(winobj, 2, "linkage")));
		Datum		td = WinGetFuncArgCurrent(winobj, 3, &t_null);
		UsScaleMethod scale =
			UsParseScaleMethod(TextDatumGetCString(UsWinArgNotNull(winobj, 4, "scale")));
		AggloCutSpec cut;

		AggloCheckCut(!k_null, k_null ? 0 : DatumGetInt32(kd), !t_null,
					  t_null ? 0.0 : DatumGetFloat8(td), &cut);
		if (w->m.n > 0)
		{
			MemoryContext partcxt = UsWinPartitionContext(winobj);
			MemoryContext runcxt;
			MemoryContext oldcxt;
			UsCore		core;
			int32	   *labels;
			double	   *center;
			double	   *scale_v;

			/* prepare: scale the partition in place */
			runcxt = UsRunContextStart(AllocSetContextCreate(partcxt, "userseg agglomerative",
															 ALLOCSET_DEFAULT_SIZES));
			oldcxt = MemoryContextSwitchTo(runcxt);
			center = palloc0(sizeof(double) * w->m.d);
			scale_v = palloc0(sizeof(double) * w->m.d);
			UsCoreContextInit(&core);
			UsScaleFitApply(&core, &w->m, scale, center, scale_v);

			/* run, keep the labels for the partition */
			(void) AggloFit(&w->m, linkage, &cut, "userseg_agglomerative", &labels);
			MemoryContextSwitchTo(partcxt);
			state->labels = palloc(sizeof(int32) * w->m.n);
			memcpy(state->labels, labels, sizeof(int32) * w->m.n);
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

typedef struct AggloTableArgs
{
	TableFormArgs table;
	UsLinkage	linkage;
	AggloCutSpec cut;
	char	   *model;			/* the name to save the model under, or NULL */
	Oid			nsp;			/* the extension's schema (the models table) */
} AggloTableArgs;

/*
 * Parse and check userseg_agglomerative(source, features, n_clusters, linkage,
 * distance_threshold, label_column, scale, nulls, id_column, model, max_categories,
 * drop_first)
 */
static void
AggloTableParse(FunctionCallInfo fcinfo, AggloTableArgs *a)
{
	memset(a, 0, sizeof(*a));
	TableFormParse(fcinfo, 0, 1, 6, 7, 10, 11, "userseg_agglomerative", &a->table);
	SweepArgNotNull(fcinfo, 3, "linkage");
	a->linkage = AggloParseLinkage(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	AggloCheckCut(!PG_ARGISNULL(2), PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2),
				  !PG_ARGISNULL(4), PG_ARGISNULL(4) ? 0.0 : PG_GETARG_FLOAT8(4), &a->cut);
	if (!PG_ARGISNULL(5))
		a->table.read.label_column = pstrdup(NameStr(*PG_GETARG_NAME(5)));
	if (!PG_ARGISNULL(8))
		a->table.read.id_column = pstrdup(NameStr(*PG_GETARG_NAME(8)));
	if (!PG_ARGISNULL(9))
		UsModelCheckName(a->model = text_to_cstring(PG_GETARG_TEXT_PP(9)));
	a->nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
}

/* The model's parameters */
static Jsonb *
AggloParameters(const AggloTableArgs *a, int k)
{
	StringInfoData b;
	const char *label = a->table.read.label_column;
	const char *id = a->table.read.id_column;

	initStringInfo(&b);
	appendStringInfo(&b, "{\"linkage\": \"%s\", \"n_clusters\": ", agglo_linkages[a->linkage]);
	if (a->cut.k > 0)
		appendStringInfo(&b, "%d", a->cut.k);
	else
		appendStringInfoString(&b, "null");
	appendStringInfoString(&b, ", \"distance_threshold\": ");
	if (a->cut.k > 0)
		appendStringInfoString(&b, "null");
	else if (isinf(a->cut.threshold))
		appendStringInfoString(&b, "\"Infinity\"");
	else
		appendStringInfo(&b, "%.17g", a->cut.threshold);
	appendStringInfo(&b, ", \"clusters\": %d, \"predict\": \"nearest centroid\", \"source\": ", k);
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

/*
 * The model row: each segment's centroid (the mean of its scaled rows, and in
 * original units), sizes, inertia to those centroids, scores
 */
static void
AggloModelFill(UsModel *m, const AggloTableArgs *a, const UsMatrix *x, const int32 *labels,
			   int k, const SweepScores *sc)
{
	UsCore		core;
	double	   *c = UsAllocMatrix(k, x->d, "the model's centroids");
	UsMatrix	om = {k, x->d, UsAllocMatrix(k, x->d, "the model's centroids")};
	int64	   *sizes = UsAllocChecked(sizeof(int64) * k, "the model's sizes");

	for (int64 i = 0; i < x->n; i++)
	{
		sizes[labels[i]]++;
		for (int j = 0; j < x->d; j++)
			c[(int64) labels[i] * x->d + j] += x->x[i * x->d + j];
		if (i % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (int g = 0; g < k; g++)
		for (int j = 0; j < x->d; j++)
			c[(int64) g * x->d + j] /= (double) sizes[g];
	memcpy(om.x, c, UsMatrixBytes(k, x->d));
	UsScaleInverse(&om, m->center, m->scale);
	UsCoreContextInit(&core);
	m->name = a->model;
	m->algorithm = "agglomerative";
	m->parameters = AggloParameters(a, k);
	m->k = k;
	m->centroids = c;
	m->centroids_original = om.x;
	m->sizes = sizes;
	m->inertia = UsInertia(&core, x, labels, k);
	m->silhouette = sc->silhouette;
	m->silhouette_sampled = sc->sampled;
}

/* The summary row (userseg_agglomerative_summary) */
static Datum
AggloSummary(FunctionCallInfo fcinfo, const AggloTableArgs *a, const TableFormData *data,
			 int k, const SweepScores *sc, instr_time start)
{
	TupleDesc	desc;
	Datum		v[9];
	bool		isnull[9] = {false};
	instr_time	elapsed;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "userseg_agglomerative must return a record, please report a bug");
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	v[0] = a->model ? CStringGetTextDatum(a->model) : (Datum) 0;
	isnull[0] = a->model == NULL;
	v[1] = CStringGetTextDatum(agglo_linkages[a->linkage]);
	v[2] = Int32GetDatum(k);
	v[3] = UsFloat8OrNull(a->cut.k > 0 ? NAN : a->cut.threshold, &isnull[3]);
	v[4] = Int64GetDatum(data->rel->n);
	v[5] = Int64GetDatum(data->rel->nskipped);
	v[6] = UsFloat8OrNull(sc->silhouette, &isnull[6]);
	v[7] = BoolGetDatum(sc->sampled);
	v[8] = Float8GetDatum(INSTR_TIME_GET_MILLISEC(elapsed));
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), v, isnull));
}

/*
 * userseg_agglomerative(source, features, n_clusters, linkage, distance_threshold,
 * label_column, scale, nulls, id_column, model, max_categories, drop_first):
 * agglomerative clustering of columns of a relation, one summary row; the label
 * column is written in the same transaction, the model saved if named
 */
Datum
userseg_agglomerative_table(PG_FUNCTION_ARGS)
{
	AggloTableArgs a;
	TableFormData data;
	int32	   *labels;
	int			k;
	SweepScores scores;
	MemoryContext runcxt;
	MemoryContext oldcxt;
	instr_time	start;
	Datum		summary;

	/* parse, check */
	INSTR_TIME_SET_CURRENT(start);
	AggloTableParse(fcinfo, &a);
	runcxt = UsRunContextCreate("userseg agglomerative");
	oldcxt = MemoryContextSwitchTo(runcxt);

	/* prepare: the name checked (and locked), the rows read, encoded and scaled */
	if (a.model)
		(void) UsModelLockPrevious(a.nsp, a.model);
	TableFormRead(&a.table, &data);

	/* run */
	k = AggloFit(&data.m, a.linkage, &a.cut, "userseg_agglomerative", &labels);

	/* report: scores, the model, labels, the summary */
	SweepScore(&data.m, labels, AGGLO_SILHOUETTE_ROWS, 0, &scores);
	if (a.model)
		AggloModelFill(data.model, &a, &data.m, labels, k, &scores);
	TableFormDropMatrix(&data);
	if (a.table.read.label_column)
		(void) UsWriteLabels(data.rel, a.table.read.label_column, labels);
	if (a.model)
	{
		data.model->name = a.model;
		UsModelSave(a.nsp, data.model);
	}
	MemoryContextSwitchTo(oldcxt);
	summary = AggloSummary(fcinfo, &a, &data, k, &scores, start);
	MemoryContextDelete(runcxt);
	PG_RETURN_DATUM(summary);
}

/* ---- the merge table ---- */

/*
 * userseg_agglomerative_tree(source, features, linkage, scale, nulls, id_column,
 * max_categories, drop_first) RETURNS TABLE(step, a, b, distance, size): scipy's
 * linkage matrix as rows, the merges in order of distance.  Rows read are the leaves
 * 0..n-1 (in id_column's order when given); merge step (0..n-2) joins nodes a and b
 * (a leaf, or n + an earlier step) at distance, into size rows.
 */
Datum
userseg_agglomerative_tree(PG_FUNCTION_ARGS)
{
	TableFormArgs targs;
	TableFormData data;
	Tuplestorestate *store;
	TupleDesc	desc;
	MemoryContext runcxt;
	MemoryContext oldcxt;
	UsAggloTree tree;
	UsLinkage	linkage;

	/* parse, check */
	memset(&targs, 0, sizeof(targs));
	TableFormParse(fcinfo, 0, 1, 3, 4, 6, 7, "userseg_agglomerative_tree", &targs);
	SweepArgNotNull(fcinfo, 2, "linkage");
	linkage = AggloParseLinkage(text_to_cstring(PG_GETARG_TEXT_PP(2)));
	if (!PG_ARGISNULL(5))
		targs.read.id_column = pstrdup(NameStr(*PG_GETARG_NAME(5)));
	store = UsMaterializeResult(fcinfo, &desc);
	runcxt = UsRunContextCreate("userseg agglomerative tree");
	oldcxt = MemoryContextSwitchTo(runcxt);

	/* prepare, run */
	TableFormRead(&targs, &data);
	AggloTreeRun(&data.m, linkage, "userseg_agglomerative_tree", &tree);

	/* report */
	for (int64 i = 0; i < tree.n - 1; i++)
	{
		Datum		v[5];
		bool		isnull[5] = {false, false, false, false, false};

		v[0] = Int64GetDatum(i);
		v[1] = Int64GetDatum(tree.children[2 * i]);
		v[2] = Int64GetDatum(tree.children[2 * i + 1]);
		v[3] = Float8GetDatum(tree.distance[i]);
		v[4] = Int64GetDatum(tree.size[i]);
		tuplestore_putvalues(store, desc, v, isnull);
		if (i % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(runcxt);
	return (Datum) 0;
}

/* ---- agglomerative clustering in userseg_compare ---- */

static const char *const agglo_compare_params[] = {"n_clusters", "linkage",
"distance_threshold", NULL};

/* The string under key, or def when absent (22023 for another type) */
static const char *
AggloParamText(JsonbContainer *c, const char *what, const char *key, const char *def)
{
	JsonbValue	buf;
	JsonbValue *v;

	if (c == NULL)
		return def;
	v = getKeyJsonValueFromContainer(c, key, strlen(key), &buf);
	if (v == NULL)
		return def;
	if (v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s.%s must be a string", what, key),
				 errhint("Valid linkages are %s.", TableFormNameList(agglo_linkages))));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * Ward linkage cut at the comparison's k unless params.agglomerative gives another
 * n_clusters, a linkage or a distance_threshold (then not at k)
 */
static void
AggloCompare(const UsMatrix *m, const CompareArgs *args, CompareFit *fit)
{
	const char *what = "params.agglomerative";
	UsLinkage	linkage = AggloParseLinkage(AggloParamText(args->params, what, "linkage",
														   "ward"));
	double		threshold = TableFormParamFloat(args->params, what, "distance_threshold",
												NAN);
	bool		has_threshold = !isnan(threshold);
	bool		k_given = !isnan(TableFormParamFloat(args->params, what, "n_clusters", NAN));
	int			k = TableFormParamInt(args->params, what, "n_clusters", args->k);
	AggloCutSpec cut;
	int			got;

	/* the comparison's k applies unless a threshold is given instead */
	AggloCheckCut(k_given || !has_threshold, k, has_threshold, threshold, &cut);
	got = AggloFit(m, linkage, &cut, "userseg_compare", &fit->labels);
	if (has_threshold)
		fit->note = psprintf("%s linkage, cut at distance %g", agglo_linkages[linkage],
							 threshold);
	else
		fit->note = psprintf("%s linkage, %d cluster%s", agglo_linkages[linkage], got,
							 got == 1 ? "" : "s");
}

const CompareAlgorithm agglomerative_compare = {"agglomerative", AggloCompare,
agglo_compare_params};
