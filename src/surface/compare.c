/*-------------------------------------------------------------------------
 *
 * compare.c
 *	  SQL surface of comparing algorithms: userseg_compare(source, features, k,
 *	  ...), one row per clustering algorithm on the same scaled data.
 *
 * The relation is read and scaled once (SweepReadScaled), then every algorithm of
 * the table below fits the same scaled matrix in a memory context of its own and
 * its labels are scored the same way (SweepScore: silhouette exact up to
 * sample_size rows, sampled above; Calinski-Harabasz; Davies-Bouldin; inertia;
 * all on the rows that are not noise).  elapsed_ms is the fit alone, without
 * reading, scaling or scoring.  An algorithm that finds a single cluster or only
 * noise gets NULL silhouette, Calinski-Harabasz and Davies-Bouldin, and its note
 * says so.
 *
 * Adding an algorithm: write one fit function (CompareFitFn) that labels the rows
 * of the scaled matrix (-1 for noise) from the arguments, and add one entry to
 * compare_algorithms.  Nothing else changes.
 *
 *-------------------------------------------------------------------------
 */
#include "ussweep.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"

#include "kmeans_options.h"

PG_FUNCTION_INFO_V1(userseg_compare);

#define COMPARE_COLS 9

/* K-Means settings of the comparison (scikit-learn's defaults) */
#define COMPARE_KMEANS_N_INIT 10
#define COMPARE_KMEANS_MAX_ITER 300
#define COMPARE_KMEANS_TOL 1e-4

/* What every algorithm is given */
typedef struct CompareArgs
{
	int			k;				/* clusters wanted, for algorithms that take k */
	int			seed;			/* for algorithms that draw random numbers */
} CompareArgs;

/* What an algorithm returns */
typedef struct CompareFit
{
	int32	   *labels;			/* one per row: 0, 1, ... or -1 for noise */
	double		inertia;		/* the algorithm's own inertia, or NaN: the scores' */
	char	   *note;			/* what to tell about the fit, or NULL */
} CompareFit;

typedef void (*CompareFitFn) (const UsMatrix *m, const CompareArgs *args, CompareFit *fit);

typedef struct CompareAlgorithm
{
	const char *name;			/* the algorithm column */
	CompareFitFn fit;
} CompareAlgorithm;

/*
 * K-Means: k-means++ seeding from seed, n_init 10, max_iter 300, tol 1e-4, as the
 * window form with those arguments
 */
static void
CompareKmeans(const UsMatrix *m, const CompareArgs *args, CompareFit *fit)
{
	UsKmeansResult result;
	StringInfoData note;

	UsKmeansRun(m, args->k, args->seed, COMPARE_KMEANS_N_INIT, COMPARE_KMEANS_MAX_ITER,
				COMPARE_KMEANS_TOL, NULL, &result);
	fit->labels = result.labels;
	fit->inertia = result.inertia;

	initStringInfo(&note);
	appendStringInfo(&note, "k-means++, n_init %d, ", COMPARE_KMEANS_N_INIT);
	if (result.converged)
		appendStringInfo(&note, "converged after %d iteration%s", result.iterations,
						 result.iterations == 1 ? "" : "s");
	else
	{
		appendStringInfo(&note, "did not converge within max_iter = %d", COMPARE_KMEANS_MAX_ITER);
		ereport(WARNING,
				(errmsg("k-means did not converge within max_iter = %d iterations",
						COMPARE_KMEANS_MAX_ITER),
				 errdetail("The best run stopped after %d iterations; its scores are returned.",
						   result.iterations)));
	}
	if (result.nonempty < args->k)
		appendStringInfo(&note, "; %d distinct clusters, fewer than k = %d (fewer distinct rows)",
						 result.nonempty, args->k);
	fit->note = note.data;
}

/* The algorithms compared, one row each, in this order */
static const CompareAlgorithm compare_algorithms[] = {
	{"kmeans", CompareKmeans},
};

static inline Datum
CompareFloat(double v, bool *isnull)
{
	*isnull = isnan(v);
	return Float8GetDatum(v);
}

/*
 * userseg_compare(source, features, k, seed, scale, nulls, sample_size)
 *	 RETURNS TABLE(algorithm, n_clusters, noise, silhouette, calinski_harabasz,
 *				   davies_bouldin, inertia, elapsed_ms, note)
 */
Datum
userseg_compare(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"source", "features", "k", "seed", "scale", "nulls",
		"sample_size"};
	Tuplestorestate *store;
	TupleDesc	desc;
	MemoryContext runcxt;
	MemoryContext fitcxt;
	MemoryContext oldcxt;
	CompareArgs args;
	UsScaleMethod scale;
	UsNullPolicy nulls;
	int			sample_size;
	UsMatrix	m;

	for (int a = 0; a < (int) lengthof(names); a++)
		SweepArgNotNull(fcinfo, a, names[a]);
	args.k = PG_GETARG_INT32(2);
	args.seed = PG_GETARG_INT32(3);
	scale = UsParseScaleMethod(text_to_cstring(PG_GETARG_TEXT_PP(4)));
	nulls = UsParseNullPolicy(text_to_cstring(PG_GETARG_TEXT_PP(5)));
	sample_size = PG_GETARG_INT32(6);
	UsKmeansCheckK(args.k);
	SweepCheckSampleSize(sample_size);

	store = UsMaterializeResult(fcinfo, &desc);
	runcxt = UsRunContextCreate("userseg compare");
	oldcxt = MemoryContextSwitchTo(runcxt);

	(void) SweepReadScaled(PG_GETARG_OID(0), PG_GETARG_ARRAYTYPE_P(1), nulls, scale, &m);
	UsKmeansCheckRows(m.n, args.k);

	fitcxt = AllocSetContextCreate(runcxt, "userseg compare fit", ALLOCSET_DEFAULT_SIZES);
	for (int a = 0; a < (int) lengthof(compare_algorithms); a++)
	{
		const CompareAlgorithm *alg = &compare_algorithms[a];
		CompareFit	fit;
		SweepScores sc;
		StringInfoData note;
		instr_time	start;
		instr_time	elapsed;
		Datum		values[COMPARE_COLS];
		bool		isnull[COMPARE_COLS];

		CHECK_FOR_INTERRUPTS();
		MemoryContextSwitchTo(fitcxt);
		memset(&fit, 0, sizeof(fit));
		fit.inertia = NAN;
		INSTR_TIME_SET_CURRENT(start);
		alg->fit(&m, &args, &fit);
		INSTR_TIME_SET_CURRENT(elapsed);
		INSTR_TIME_SUBTRACT(elapsed, start);
		if (fit.labels == NULL)
			elog(ERROR, "algorithm \"%s\" returned no labels, please report a bug", alg->name);

		SweepScore(&m, fit.labels, sample_size, args.seed, &sc);
		if (!isnan(fit.inertia))
			sc.inertia = fit.inertia;

		initStringInfo(&note);
		if (fit.note)
			appendStringInfoString(&note, fit.note);
		if (sc.n_clusters == 0)
			appendStringInfo(&note, "%sonly noise: no scores", note.len ? "; " : "");
		else if (sc.n_clusters == 1)
			appendStringInfo(&note, "%sone cluster: no scores", note.len ? "; " : "");
		else if (!sc.scored)
			appendStringInfo(&note, "%severy row is its own cluster: no scores",
							 note.len ? "; " : "");
		else if (sc.sampled)
			appendStringInfo(&note, "%ssilhouette on " INT64_FORMAT " sampled rows",
							 note.len ? "; " : "", sc.sample_rows);

		memset(isnull, 0, sizeof(isnull));
		values[0] = CStringGetTextDatum(alg->name);
		values[1] = Int32GetDatum(sc.n_clusters);
		values[2] = Int64GetDatum(sc.noise);
		values[3] = CompareFloat(sc.silhouette, &isnull[3]);
		values[4] = CompareFloat(sc.calinski_harabasz, &isnull[4]);
		values[5] = CompareFloat(sc.davies_bouldin, &isnull[5]);
		values[6] = CompareFloat(sc.inertia, &isnull[6]);
		values[7] = Float8GetDatum(INSTR_TIME_GET_MILLISEC(elapsed));
		values[8] = CStringGetTextDatum(note.data);
		isnull[8] = note.len == 0;
		tuplestore_putvalues(store, desc, values, isnull);

		MemoryContextSwitchTo(runcxt);
		MemoryContextReset(fitcxt);
	}

	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(runcxt);
	return (Datum) 0;
}
