/*-------------------------------------------------------------------------
 *
 * compare.c
 *	  SQL surface of comparing algorithms: userseg_compare(source, features, k,
 *	  ...), one row per clustering algorithm on the same scaled data.
 *
 * The relation is read and scaled once (TableFormRead), then every algorithm of
 * the registry below fits the same scaled matrix in a memory context of its own and
 * its labels are scored the same way (SweepScore: silhouette exact up to
 * sample_size rows, sampled above; Calinski-Harabasz; Davies-Bouldin; inertia;
 * all on the rows that are not noise).  elapsed_ms is the fit alone, without
 * reading, scaling or scoring.  An algorithm that finds a single cluster or only
 * noise gets NULL silhouette, Calinski-Harabasz and Davies-Bouldin, and its note
 * says so.
 *
 * An algorithm too large for the data is skipped, not the comparison: every fit checks
 * its own estimate of its working memory against userseg.memory_limit before it
 * allocates (54000 when it does not fit: spectral clustering's dense rbf affinity,
 * complete and average linkage's distance matrix, an index), so each fit and its
 * scoring run in a subtransaction, and a 54000 raised there (an estimate over the
 * budget, or a size past a solver's limits) rolls it back and gives the algorithm a
 * row with NULL n_clusters, noise and scores and a note that says it was skipped,
 * what it needs for the n rows against the limit, and what to do (compare a sample
 * of the rows, or run its table form alone with a larger limit).  Any other error
 * ends the comparison.  Inside a parallel operation no subtransaction can start:
 * there a 54000 ends the comparison as any error does.
 *
 * The algorithms are the registry below, one line each: an algorithm's surface file
 * exports its entry (CompareAlgorithm: name, fit function with its defaults, the
 * keys of its parameters), and userseg_compare gives it its object of params
 * ('{"kmeans": {"n_init": 3}}').  Adding an algorithm is adding its line.
 *
 *-------------------------------------------------------------------------
 */
#include "tableform.h"

#include <math.h>

#include "access/parallel.h"
#include "access/xact.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/resowner.h"

#include "kmeans_options.h"

PG_FUNCTION_INFO_V1(userseg_compare);

#define COMPARE_COLS 9

/* The registry: the algorithms compared, one row each, in this order */
static const CompareAlgorithm *const compare_algorithms[] = {
	&kmeans_compare,
	&dbscan_compare,
	&agglomerative_compare,
	&meanshift_compare,
	&spectral_compare,
};

#define COMPARE_NALGS ((int) lengthof(compare_algorithms))

/* The comparison's arguments */
typedef struct CompareCallArgs
{
	TableFormArgs table;
	CompareArgs common;
	int			sample_size;
	Jsonb	   *params;			/* keyed by algorithm */
} CompareCallArgs;

/*
 * Check params: an object whose keys are algorithms, each an object of that
 * algorithm's parameters (22023 with a hint listing the valid ones)
 */
static void
CompareCheckParams(Jsonb *params)
{
	const char *names[COMPARE_NALGS + 1];

	if (!JB_ROOT_IS_OBJECT(params))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("params must be a jsonb object keyed by algorithm"),
				 errhint("Give e.g. '{\"kmeans\": {\"n_init\": 3}}'.")));
	for (int a = 0; a < COMPARE_NALGS; a++)
		names[a] = compare_algorithms[a]->name;
	names[COMPARE_NALGS] = NULL;
	TableFormCheckKeys(&params->root, "params", "algorithm", "algorithms", names);
	for (int a = 0; a < COMPARE_NALGS; a++)
	{
		char	   *what = psprintf("params.%s", names[a]);

		TableFormCheckKeys(TableFormParamObject(&params->root, "params", names[a]), what,
						   "parameter", psprintf("parameters of %s", names[a]),
						   compare_algorithms[a]->params);
	}
}

/*
 * Parse and check (source, features, k, seed, scale, nulls, sample_size, params,
 * max_categories, drop_first)
 */
static void
CompareParse(FunctionCallInfo fcinfo, CompareCallArgs *a)
{
	TableFormParse(fcinfo, 0, 1, 4, 5, 8, 9, "userseg_compare", &a->table);
	SweepArgNotNull(fcinfo, 2, "k");
	SweepArgNotNull(fcinfo, 3, "seed");
	SweepArgNotNull(fcinfo, 6, "sample_size");
	SweepArgNotNull(fcinfo, 7, "params");
	a->common.k = PG_GETARG_INT32(2);
	a->common.seed = PG_GETARG_INT32(3);
	a->sample_size = PG_GETARG_INT32(6);
	a->params = PG_GETARG_JSONB_P(7);
	UsKmeansCheckK(a->common.k);
	SweepCheckSampleSize(a->sample_size);
	CompareCheckParams(a->params);
}

/* The note of an algorithm's row: its own, then what the scores say */
static char *
CompareNote(const CompareFit *fit, const SweepScores *sc)
{
	StringInfoData note;

	initStringInfo(&note);
	if (fit->note)
		appendStringInfoString(&note, fit->note);
	if (sc->n_clusters == 0)
		appendStringInfo(&note, "%sonly noise: no scores", note.len ? "; " : "");
	else if (sc->n_clusters == 1)
		appendStringInfo(&note, "%sone cluster: no scores", note.len ? "; " : "");
	else if (!sc->scored)
		appendStringInfo(&note, "%severy row is its own cluster: no scores",
						 note.len ? "; " : "");
	else if (sc->sampled)
		appendStringInfo(&note, "%ssilhouette on " INT64_FORMAT " sampled rows",
						 note.len ? "; " : "", sc->sample_rows);
	return note.len ? note.data : NULL;
}

/* Fit one algorithm on the scaled matrix (*elapsed: the fit's time) and score it */
static void
CompareFitScore(const CompareAlgorithm *alg, const CompareCallArgs *a,
				const CompareArgs *args, const UsMatrix *m, CompareFit *fit,
				SweepScores *sc, instr_time *elapsed)
{
	instr_time	start;

	INSTR_TIME_SET_CURRENT(start);
	alg->fit(m, args, fit);
	INSTR_TIME_SET_CURRENT(*elapsed);
	INSTR_TIME_SUBTRACT(*elapsed, start);
	if (fit->labels == NULL)
		elog(ERROR, "algorithm \"%s\" returned no labels, please report a bug", alg->name);
	SweepScore(m, fit->labels, a->sample_size, args->seed, sc);
}

/*
 * CompareFitScore in a subtransaction: NULL when it ran, or the error data of the
 * 54000 that rolled it back (allocated in the current memory context); any other error
 * rolls it back and is raised again.  Inside a parallel operation, CompareFitScore alone.
 */
static ErrorData *
CompareFitScoreOrSkip(const CompareAlgorithm *alg, const CompareCallArgs *a,
					  const CompareArgs *args, const UsMatrix *m, CompareFit *fit,
					  SweepScores *sc, instr_time *elapsed)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile skipped = NULL;

	if (IsInParallelMode())
	{
		CompareFitScore(alg, a, args, m, fit, sc, elapsed);
		return NULL;
	}
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		CompareFitScore(alg, a, args, m, fit, sc, elapsed);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *e;

		/* the subtransaction is rolled back first whatever the error, as PL/pgSQL does */
		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (e->sqlerrcode != ERRCODE_PROGRAM_LIMIT_EXCEEDED)
			ReThrowError(e);
		skipped = e;
	}
	PG_END_TRY();
	return skipped;
}

/* The note of a skipped algorithm: that it was, why, and what to do */
static char *
CompareSkipNote(const CompareAlgorithm *alg, const ErrorData *e, int64 n)
{
	StringInfoData note;

	initStringInfo(&note);
	appendStringInfo(&note, "skipped on " INT64_FORMAT " rows: %s.", n, e->message);
	if (e->detail)
		appendStringInfo(&note, " %s", e->detail);
	appendStringInfo(&note, " Compare a sample of the rows (a view with TABLESAMPLE or LIMIT), or run userseg_%s on the table alone with a larger userseg.memory_limit.",
					 alg->name);
	return note.data;
}

/* Fit one algorithm on the scaled matrix, score it, add its row */
static void
CompareOne(const CompareAlgorithm *alg, const CompareCallArgs *a, const UsMatrix *m,
		   Tuplestorestate *store, TupleDesc desc)
{
	CompareArgs args = a->common;
	CompareFit	fit;
	SweepScores sc;
	instr_time	start;
	instr_time	elapsed;
	Datum		values[COMPARE_COLS];
	bool		isnull[COMPARE_COLS];
	ErrorData  *skipped;
	char	   *note;

	args.params = TableFormParamObject(&a->params->root, "params", alg->name);
	memset(&fit, 0, sizeof(fit));
	memset(&sc, 0, sizeof(sc));
	fit.inertia = NAN;
	INSTR_TIME_SET_CURRENT(start);
	elapsed = start;
	skipped = CompareFitScoreOrSkip(alg, a, &args, m, &fit, &sc, &elapsed);
	if (skipped)
	{
		/* the time until the skip */
		INSTR_TIME_SET_CURRENT(elapsed);
		INSTR_TIME_SUBTRACT(elapsed, start);
	}

	memset(isnull, 0, sizeof(isnull));
	values[0] = CStringGetTextDatum(alg->name);
	if (skipped)
	{
		for (int c = 1; c <= 6; c++)
			isnull[c] = true;
		note = CompareSkipNote(alg, skipped, m->n);
	}
	else
	{
		if (!isnan(fit.inertia))
			sc.inertia = fit.inertia;
		note = CompareNote(&fit, &sc);
		values[1] = Int32GetDatum(sc.n_clusters);
		values[2] = Int64GetDatum(sc.noise);
		values[3] = UsFloat8OrNull(sc.silhouette, &isnull[3]);
		values[4] = UsFloat8OrNull(sc.calinski_harabasz, &isnull[4]);
		values[5] = UsFloat8OrNull(sc.davies_bouldin, &isnull[5]);
		values[6] = UsFloat8OrNull(sc.inertia, &isnull[6]);
	}
	values[7] = Float8GetDatum(INSTR_TIME_GET_MILLISEC(elapsed));
	values[8] = note ? CStringGetTextDatum(note) : (Datum) 0;
	isnull[8] = note == NULL;
	tuplestore_putvalues(store, desc, values, isnull);
}

/*
 * userseg_compare(source, features, k, seed, scale, nulls, sample_size, params,
 *				   max_categories, drop_first)
 *	 RETURNS TABLE(algorithm, n_clusters, noise, silhouette, calinski_harabasz,
 *				   davies_bouldin, inertia, elapsed_ms, note)
 */
Datum
userseg_compare(PG_FUNCTION_ARGS)
{
	CompareCallArgs a;
	Tuplestorestate *store;
	TupleDesc	desc;
	MemoryContext runcxt;
	MemoryContext fitcxt;
	MemoryContext oldcxt;
	TableFormData data;

	/* parse, check */
	CompareParse(fcinfo, &a);
	store = UsMaterializeResult(fcinfo, &desc);
	runcxt = UsRunContextCreate("userseg compare");
	oldcxt = MemoryContextSwitchTo(runcxt);

	/* prepare */
	TableFormRead(&a.table, &data);
	UsKmeansCheckRows(data.m.n, a.common.k);

	/* run and report, one algorithm at a time */
	fitcxt = AllocSetContextCreate(runcxt, "userseg compare fit", ALLOCSET_DEFAULT_SIZES);
	for (int i = 0; i < COMPARE_NALGS; i++)
	{
		CHECK_FOR_INTERRUPTS();
		MemoryContextSwitchTo(fitcxt);
		CompareOne(compare_algorithms[i], &a, &data.m, store, desc);
		MemoryContextSwitchTo(runcxt);
		MemoryContextReset(fitcxt);
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(runcxt);
	return (Datum) 0;
}
