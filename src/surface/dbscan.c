/*-------------------------------------------------------------------------
 *
 * dbscan.c
 *	  SQL surface of DBSCAN: the window form userseg_dbscan(features, eps,
 *	  min_samples, scale) OVER (...), which clusters each window partition on its
 *	  own; the table form userseg_dbscan(source, features, eps, ...), which reads a
 *	  relation and may write a label column; the eps helper userseg_dbscan_eps,
 *	  the quantiles of the distance to the min_samples-th nearest neighbour; and
 *	  DBSCAN's entry of the algorithm registry (dbscan_compare).
 *
 * eps is in the units of the scaled features (zscore by default, as scikit-learn's
 * DBSCAN after a StandardScaler).  The fit is the core's (dbscan_core.c, scikit-learn
 * 1.2's labels: clusters numbered by their lowest-numbered core row, noise -1); its
 * memory is the matrix plus the index and about 5 bytes per row, checked against
 * userseg.memory_limit before the work (54000 naming both sizes).  The table form may
 * save a model (its core rows, dbscanmodel.c) and weigh the rows (sample_weight).
 *
 *-------------------------------------------------------------------------
 */
#include "tableform.h"

#include <math.h>

#include "access/htup_details.h"
#include "common/pg_prng.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(userseg_dbscan);
PG_FUNCTION_INFO_V1(userseg_dbscan_table);
PG_FUNCTION_INFO_V1(userseg_dbscan_eps);

/* The table form's silhouette is exact up to this many rows, sampled above */
#define DBSCAN_SILHOUETTE_ROWS 10000

/* The quantiles userseg_dbscan_eps reports */
static const double dbscan_eps_quantiles[] = {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0};

static inline void
DbscanCheckEps(double eps)
{
	if (!(eps > 0.0) || !isfinite(eps))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("eps must be a finite number above 0"),
				 errdetail("eps is %g.", eps),
				 errhint("eps is the neighbourhood radius in scaled units; userseg_dbscan_eps(source, features, min_samples) suggests values.")));
}

static inline void
DbscanCheckMinSamples(int min_samples)
{
	if (min_samples < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_samples must be at least 1"),
				 errdetail("min_samples is %d.", min_samples),
				 errhint("min_samples is the rows (the row itself included) that make a core row; 5 is usual.")));
}

/*
 * Fit DBSCAN on an already scaled matrix: check the budget, run the core.
 * Allocates in the current memory context.
 */
static void
DbscanRun(const UsMatrix *m, double eps, int min_samples, const double *weight,
		  UsDbscanResult *result)
{
	UsCore		core;
	UsDbscanParams p;

	if (m->n > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("DBSCAN takes at most %d rows", PG_INT32_MAX),
				 errdetail("There are " INT64_FORMAT " rows.", m->n),
				 errhint("Cluster a sample, or partition the rows (the window form clusters each partition on its own).")));
	UsCheckMemory(UsDbscanWorkBytes(m->n, m->d), "dbscan's index and labels");
	UsCoreContextInit(&core);
	memset(&p, 0, sizeof(p));
	p.eps = eps;
	p.min_samples = min_samples;
	p.weight = weight;
	p.index = US_NN_AUTO;
	UsDbscan(&core, m, &p, result);
	if (userseg_progress)
		ereport(NOTICE,
				(errmsg_internal("dbscan done: %d clusters, " INT64_FORMAT " core rows, "
								 INT64_FORMAT " noise", result->k, result->ncore,
								 result->noise)));
}

/* ---- the window form ---- */

typedef struct DbscanWinState
{
	int32	   *labels;			/* one per matrix row */
} DbscanWinState;

/*
 * userseg_dbscan(features, eps, min_samples, scale) OVER (...): the DBSCAN label of
 * each row of the partition (-1 for noise); rows with NULL features get NULL
 */
Datum
userseg_dbscan(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	bool		first;
	UsWinData  *w;
	DbscanWinState *state;
	int64		row;

	w = UsWinReadPartition(winobj, 0, -1, sizeof(DbscanWinState), &first);
	state = (DbscanWinState *) UsWinExtra(w);
	if (first)
	{
		/* parse, check */
		double		eps = DatumGetFloat8(UsWinArgNotNull(winobj, 1, "eps"));
		int			min_samples = DatumGetInt32(UsWinArgNotNull(winobj, 2, "min_samples"));
		UsScaleMethod scale =
			UsParseScaleMethod(TextDatumGetCString(UsWinArgNotNull(winobj, 3, "scale")));

		DbscanCheckEps(eps);
		DbscanCheckMinSamples(min_samples);
		if (w->m.n > 0)
		{
			MemoryContext partcxt = UsWinPartitionContext(winobj);
			MemoryContext runcxt;
			MemoryContext oldcxt;
			UsCore		core;
			UsDbscanResult result;
			double	   *center;
			double	   *scale_v;

			/* prepare: scale the partition in place */
			runcxt = UsRunContextStart(AllocSetContextCreate(partcxt, "userseg dbscan",
															 ALLOCSET_DEFAULT_SIZES));
			oldcxt = MemoryContextSwitchTo(runcxt);
			center = palloc0(sizeof(double) * w->m.d);
			scale_v = palloc0(sizeof(double) * w->m.d);
			UsCoreContextInit(&core);
			UsScaleFitApply(&core, &w->m, scale, center, scale_v);

			/* run, keep the labels for the partition */
			DbscanRun(&w->m, eps, min_samples, NULL, &result);
			MemoryContextSwitchTo(partcxt);
			state->labels = palloc(sizeof(int32) * w->m.n);
			memcpy(state->labels, result.labels, sizeof(int32) * w->m.n);
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

typedef struct DbscanTableArgs
{
	TableFormArgs table;
	double		eps;
	int			min_samples;
	char	   *model;			/* the name to save the model under, or NULL */
	Oid			nsp;			/* the extension's schema (the models table) */
	char	   *sample_weight;	/* the weight column, or NULL */
} DbscanTableArgs;

/*
 * Parse and check userseg_dbscan(source, features, eps, min_samples, label_column,
 * scale, nulls, id_column, max_categories, drop_first, model, sample_weight)
 */
static void
DbscanTableParse(FunctionCallInfo fcinfo, DbscanTableArgs *a)
{
	memset(a, 0, sizeof(*a));
	TableFormParse(fcinfo, 0, 1, 5, 6, 8, 9, "userseg_dbscan", &a->table);
	SweepArgNotNull(fcinfo, 2, "eps");
	SweepArgNotNull(fcinfo, 3, "min_samples");
	a->eps = PG_GETARG_FLOAT8(2);
	a->min_samples = PG_GETARG_INT32(3);
	if (!PG_ARGISNULL(4))
		a->table.read.label_column = pstrdup(NameStr(*PG_GETARG_NAME(4)));
	if (!PG_ARGISNULL(7))
		a->table.read.id_column = pstrdup(NameStr(*PG_GETARG_NAME(7)));
	if (!PG_ARGISNULL(10))
		UsModelCheckName(a->model = text_to_cstring(PG_GETARG_TEXT_PP(10)));
	if (!PG_ARGISNULL(11))
		a->sample_weight = pstrdup(NameStr(*PG_GETARG_NAME(11)));
	a->nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	DbscanCheckEps(a->eps);
	DbscanCheckMinSamples(a->min_samples);
}

/* The model's parameters */
static Jsonb *
DbscanParameters(const DbscanTableArgs *a)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfo(&b, "{\"eps\": %s, \"min_samples\": %d, \"sample_weight\": ",
					 float8out_internal(a->eps), a->min_samples);
	if (a->sample_weight)
		escape_json(&b, a->sample_weight);
	else
		appendStringInfoString(&b, "null");
	appendStringInfoChar(&b, '}');
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(b.data)));
}

/*
 * The rows of a sample of s of n rows, drawn as UsSampleIndexes draws them (a partial
 * Fisher-Yates shuffle of 0..n-1 with pg_prng seeded from seed), in ascending order,
 * without the n-row array: the shuffle touches the first s positions and at most s
 * others, kept in a small open-addressing table.  So the sampled silhouette is the
 * one SweepScore gives, in O(s) memory rather than 8 bytes a row.
 */
static int32 *
DbscanSample(const UsCore *core, int64 n, int64 s, int32 seed)
{
	pg_prng_state prng;
	int32	   *front = UsAllocChecked(sizeof(int32) * (Size) s, "the silhouette sample");
	int64		cap = 1;
	int64	   *keys;
	int32	   *vals;

	/* at most s positions beyond the front: a table at most half full */
	while (cap < 2 * s)
		cap *= 2;
	keys = UsAllocChecked(sizeof(int64) * (Size) cap, "the silhouette sample");
	vals = UsAllocChecked(sizeof(int32) * (Size) cap, "the silhouette sample");
	for (int64 t = 0; t < cap; t++)
		keys[t] = -1;
	for (int64 i = 0; i < s; i++)
		front[i] = (int32) i;
	pg_prng_seed(&prng, (uint64) (int64) seed);
	for (int64 i = 0; i < s; i++)
	{
		int64		j = (int64) pg_prng_uint64_range(&prng, (uint64) i, (uint64) (n - 1));
		int32		t = front[i];

		if (j < s)
		{
			front[i] = front[j];
			front[j] = t;
			continue;
		}
		/* position j beyond the front: its value is j until swapped */
		{
			int64		h = (int64) (((uint64) j * UINT64CONST(0x9E3779B97F4A7C15)) >> 1) & (cap - 1);

			while (keys[h] >= 0 && keys[h] != j)
				h = (h + 1) & (cap - 1);
			if (keys[h] < 0)
			{
				keys[h] = j;
				vals[h] = (int32) j;
			}
			front[i] = vals[h];
			vals[h] = t;
		}
	}
	pfree(keys);
	pfree(vals);
	UsSortInt32(core, front, s);
	return front;
}

/*
 * The silhouette of the table form (exact up to DBSCAN_SILHOUETTE_ROWS rows that are
 * not noise, sampled above, as SweepScore computes it with seed 0), on the matrix
 * without a copy of it: the noise rows are moved out of it in place (so it must be
 * dropped afterwards), the labels are compacted in place and expanded back from a
 * bitmap of the noise rows.  SweepScore would copy the rows that are not noise and
 * index all rows for the sample: a second matrix and 12 bytes a row at the peak.  The
 * table form reports the silhouette only, so the other scores are not computed.
 */
static void
DbscanScore(UsMatrix *m, int32 *labels, int k, SweepScores *sc)
{
	int64		n = m->n;
	int			d = m->d;
	int64		kept = 0;
	uint8	   *noise;
	UsCore		core;
	UsMatrix	mm;

	memset(sc, 0, sizeof(*sc));
	sc->silhouette = NAN;
	sc->calinski_harabasz = NAN;
	sc->davies_bouldin = NAN;
	sc->inertia = NAN;
	sc->n_clusters = k;
	UsCoreContextInit(&core);

	noise = UsAllocChecked((Size) (n + 7) / 8, "the noise rows");
	for (int64 i = 0; i < n; i++)
	{
		if (labels[i] == US_NOISE)
			noise[i / 8] |= (uint8) (1 << (i % 8));
		else
		{
			if (kept != i)
				memcpy(m->x + kept * d, m->x + i * d, sizeof(double) * d);
			labels[kept++] = labels[i];
		}
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			CHECK_FOR_INTERRUPTS();
	}
	sc->noise = n - kept;
	mm.n = kept;
	mm.d = d;
	mm.x = m->x;

	/* labels[0..kept) are 0..k-1, each present (a cluster has core rows) */
	if (k >= 2 && k < kept)
	{
		sc->scored = true;
		if (kept <= DBSCAN_SILHOUETTE_ROWS)
		{
			UsCheckMemory(UsSilhouetteWorkBytes(kept, d, k), "the silhouette of this data");
			sc->silhouette = UsSilhouette(&core, &mm, labels, k, NULL);
		}
		else
		{
			int64		s = DBSCAN_SILHOUETTE_ROWS;
			int32	   *rows = DbscanSample(&core, kept, s, 0);
			UsMatrix	sm = {s, d, UsAllocMatrix(s, d, "the silhouette sample")};
			int32	   *sl = UsAllocChecked(sizeof(int32) * (Size) s, "the silhouette sample");
			int64		skept;
			int			ks;

			sc->sampled = true;
			sc->sample_rows = s;
			for (int64 r = 0; r < s; r++)
			{
				memcpy(sm.x + r * d, mm.x + (int64) rows[r] * d, sizeof(double) * d);
				sl[r] = labels[rows[r]];
			}
			ks = UsCompactLabels(&core, sl, s, sl, &skept);
			if (ks >= 2 && ks < s)
			{
				UsCheckMemory(UsSilhouetteWorkBytes(s, d, ks), "the silhouette sample");
				sc->silhouette = UsSilhouette(&core, &sm, sl, ks, NULL);
			}
			pfree(rows);
			pfree(sm.x);
			pfree(sl);
		}
	}

	for (int64 i = n - 1, j = kept - 1; i >= 0; i--)
		labels[i] = (noise[i / 8] & (1 << (i % 8))) ? US_NOISE : labels[j--];
	pfree(noise);
}

/*
 * The model row of a fit: the encoding and scaler of the read, the core rows (from the
 * scaled matrix, so before the scores take the noise rows out of it); the scores are
 * set once known
 */
static void
DbscanModelFill(UsModel *m, const DbscanTableArgs *a, const TableFormData *data,
				const UsDbscanResult *r)
{
	m->name = a->model;
	m->algorithm = "dbscan";
	m->parameters = DbscanParameters(a);
	m->k = 0;
	m->state = UsDbscanStateJsonb(&data->m, r->core, r->labels, r->ncore, a->eps,
								  a->min_samples);
	m->inertia = NAN;
}

/* The summary row (userseg_dbscan_summary) */
static Datum
DbscanSummary(FunctionCallInfo fcinfo, const DbscanTableArgs *a, const TableFormData *data,
			  const UsDbscanResult *r, const SweepScores *sc, instr_time start)
{
	TupleDesc	desc;
	Datum		v[10];
	bool		isnull[10] = {false};
	instr_time	elapsed;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "userseg_dbscan must return a record, please report a bug");
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	v[0] = Float8GetDatum(a->eps);
	v[1] = Int32GetDatum(a->min_samples);
	v[2] = Int32GetDatum(r->k);
	v[3] = Int64GetDatum(data->rel->n);
	v[4] = Int64GetDatum(data->rel->nskipped);
	v[5] = Int64GetDatum(r->ncore);
	v[6] = Int64GetDatum(r->noise);
	v[7] = Float8GetDatum(sc->silhouette);
	isnull[7] = isnan(sc->silhouette);
	v[8] = BoolGetDatum(sc->sampled);
	v[9] = Float8GetDatum(INSTR_TIME_GET_MILLISEC(elapsed));
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), v, isnull));
}

/*
 * userseg_dbscan(source, features, eps, min_samples, label_column, scale, nulls,
 * id_column, max_categories, drop_first, model, sample_weight): DBSCAN on columns of
 * a relation, one summary row; the label column (noise -1) and the model (its core
 * rows, for userseg_predict) are written in the same transaction.  With
 * sample_weight a row is core when the weights within eps of it sum to min_samples
 * (scikit-learn's fit(X, sample_weight=w); negative weights count as they do there).
 */
Datum
userseg_dbscan_table(PG_FUNCTION_ARGS)
{
	DbscanTableArgs a;
	TableFormData data;
	UsDbscanResult result;
	SweepScores scores;
	MemoryContext runcxt;
	MemoryContext oldcxt;
	instr_time	start;
	Datum		summary;
	double	   *weight = NULL;

	/* parse, check */
	INSTR_TIME_SET_CURRENT(start);
	DbscanTableParse(fcinfo, &a);
	runcxt = UsRunContextCreate("userseg dbscan");
	oldcxt = MemoryContextSwitchTo(runcxt);

	/* prepare: a model name taken by another role is refused before any work */
	if (a.model)
		(void) UsModelLockPrevious(a.nsp, a.model);

	/* prepare: the rows read, encoded and scaled (and their weights) */
	if (a.sample_weight)
		TableFormReadWeighted(&a.table, a.sample_weight, &data, &weight);
	else
		TableFormRead(&a.table, &data);

	/* run */
	DbscanRun(&data.m, a.eps, a.min_samples, weight, &result);

	/*
	 * report: the model's core rows, scores, labels, the model, the summary.  What
	 * outlives the fit is the matrix and the labels: the core flags go once the model
	 * has its core rows, the matrix once scored.
	 */
	if (a.model)
		DbscanModelFill(data.model, &a, &data, &result);
	pfree(result.core);
	result.core = NULL;
	if (weight)
		pfree(weight);
	DbscanScore(&data.m, result.labels, result.k, &scores);
	TableFormDropMatrix(&data);
	if (a.table.read.label_column)
		(void) UsWriteLabels(data.rel, a.table.read.label_column, result.labels);
	if (a.model)
	{
		data.model->silhouette = scores.silhouette;
		data.model->silhouette_sampled = scores.sampled;
		UsModelSave(a.nsp, data.model);
	}
	MemoryContextSwitchTo(oldcxt);
	summary = DbscanSummary(fcinfo, &a, &data, &result, &scores, start);
	MemoryContextDelete(runcxt);
	PG_RETURN_DATUM(summary);
}

/* ---- the eps helper ---- */

/*
 * userseg_dbscan_eps(source, features, min_samples, scale, nulls, max_categories,
 * drop_first) RETURNS TABLE(quantile, k_distance): quantiles of each row's distance
 * to its min_samples-th nearest row, itself included (scikit-learn's
 * NearestNeighbors(n_neighbors=min_samples).kneighbors(X)), in scaled units: the
 * "knee" of these distances is the usual choice of eps (Ester et al. 1996, section
 * 4.2).  One k-NN query per row on a k-d tree.  22003 when squared distances would
 * overflow float8 (values near its largest, with scale 'none').
 */
Datum
userseg_dbscan_eps(PG_FUNCTION_ARGS)
{
	TableFormArgs targs;
	TableFormData data;
	Tuplestorestate *store;
	TupleDesc	desc;
	MemoryContext runcxt;
	MemoryContext oldcxt;
	UsCore		core;
	UsNeighbors ix;
	int			min_samples;
	int			k;
	int64	   *idx;
	double	   *sq;
	double	   *kd;

	/* parse, check */
	TableFormParse(fcinfo, 0, 1, 3, 4, 5, 6, "userseg_dbscan_eps", &targs);
	SweepArgNotNull(fcinfo, 2, "min_samples");
	min_samples = PG_GETARG_INT32(2);
	DbscanCheckMinSamples(min_samples);
	store = UsMaterializeResult(fcinfo, &desc);
	runcxt = UsRunContextCreate("userseg dbscan eps");
	oldcxt = MemoryContextSwitchTo(runcxt);

	/* prepare */
	TableFormRead(&targs, &data);
	k = (int) Min((int64) min_samples, data.m.n);
	UsCheckMemory(add_size(UsNeighborsBytes(data.m.n, data.m.d),
						   add_size(UsMatrixBytes(data.m.n, 1), UsMatrixBytes(k, 2))),
				  "the k-distances and their index");
	idx = palloc(sizeof(int64) * k);
	sq = palloc(sizeof(double) * k);
	kd = UsAllocMatrix(data.m.n, 1, "the k-distances");

	UsCheckDistanceRange(&data.m, "userseg_dbscan_eps");

	/* run: a k-d tree (no radius, so no grid), brute force for few rows or many columns */
	UsCoreContextInit(&core);
	UsNeighborsBuild(&core, &data.m, US_NN_AUTO, 0.0, &ix);
	for (int64 i = 0; i < data.m.n; i++)
	{
		int			got = UsNeighborsKnn(&ix, data.m.x + i * data.m.d, k, idx, sq);

		kd[i] = sqrt(sq[got - 1]);
		if (i % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
	}
	UsSortDoubles(&core, kd, data.m.n);

	/* report */
	for (int q = 0; q < (int) lengthof(dbscan_eps_quantiles); q++)
	{
		Datum		v[2];
		bool		isnull[2] = {false, false};

		v[0] = Float8GetDatum(dbscan_eps_quantiles[q]);
		v[1] = Float8GetDatum(UsQuantileSorted(kd, data.m.n, dbscan_eps_quantiles[q]));
		tuplestore_putvalues(store, desc, v, isnull);
	}
	if (min_samples > data.m.n)
		ereport(NOTICE,
				(errmsg("min_samples = %d is more than the " INT64_FORMAT " rows",
						min_samples, data.m.n),
				 errdetail("The distances are to the farthest row; with this min_samples no row is core.")));
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(runcxt);
	return (Datum) 0;
}

/* ---- DBSCAN in userseg_compare ---- */

static const char *const dbscan_compare_params[] = {"eps", "min_samples", NULL};

/*
 * DBSCAN with eps 0.5 and min_samples 5 unless params.dbscan gives others
 * (scikit-learn's defaults), in the comparison's scaled units
 */
static void
DbscanCompare(const UsMatrix *m, const CompareArgs *args, CompareFit *fit)
{
	UsDbscanResult result;
	double		eps = TableFormParamFloat(args->params, "params.dbscan", "eps", 0.5);
	int			min_samples = TableFormParamInt(args->params, "params.dbscan",
												"min_samples", 5);

	DbscanCheckEps(eps);
	DbscanCheckMinSamples(min_samples);
	DbscanRun(m, eps, min_samples, NULL, &result);
	fit->labels = result.labels;
	fit->note = psprintf("eps %g, min_samples %d, " INT64_FORMAT " core rows", eps,
						 min_samples, result.ncore);
}

const CompareAlgorithm dbscan_compare = {"dbscan", DbscanCompare, dbscan_compare_params};
