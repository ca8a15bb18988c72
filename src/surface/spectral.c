/*-------------------------------------------------------------------------
 *
 * spectral.c
 *	  SQL surface of spectral clustering: the window form
 *	  userseg_spectral(features, n_clusters, affinity, gamma, n_neighbors, n_init,
 *	  seed, scale) OVER (...), which clusters each window partition on its own; the
 *	  table form userseg_spectral(source, features, n_clusters, ...), which reads a
 *	  relation and may write a label column; the embedding it clusters,
 *	  userseg_spectral_embedding(...) OVER (...); and spectral clustering's entry of
 *	  the algorithm registry (spectral_compare).
 *
 * The fit is the core's (spectral_core.c: scikit-learn 1.2's SpectralClustering with
 * assign_labels 'kmeans').  gamma and the neighbours are in the units of the scaled
 * features (zscore by default, as SpectralClustering after a StandardScaler).  There
 * is no model and no predict: scikit-learn's SpectralClustering has none either (an
 * embedding is of the rows it was built from).
 *
 * One generator, seeded from the seed argument as (uint64) seed, draws ARPACK's start
 * vector and then K-Means' seeding, so a seed gives the same labels every time.
 *
 * Memory: the rbf affinity is n (n + 1) / 2 doubles (100 MB at n = 5,000), the k-NN
 * one about 24 bytes per neighbour and row; with ARPACK's workspace and K-Means'
 * arrays it is checked against userseg.memory_limit before any of it is allocated
 * (54000 naming both sizes).  When ARPACK does not converge the core solves the dense
 * n x n matrix with LAPACK instead (spectral_core.c); it asks SpectralFits whether that
 * fits beside what the operation holds, and a refusal is 54000 naming the dense
 * solve's size, what was held and the limit.
 *
 *-------------------------------------------------------------------------
 */
#include "tableform.h"

#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"

#include "kmeans_options.h"

PG_FUNCTION_INFO_V1(userseg_spectral);
PG_FUNCTION_INFO_V1(userseg_spectral_table);
PG_FUNCTION_INFO_V1(userseg_spectral_embedding);

/* The table form's silhouette is exact up to this many rows, sampled above */
#define SPECTRAL_SILHOUETTE_ROWS 10000

/* The options of one fit */
typedef struct SpectralOptions
{
	int			n_clusters;
	UsSpectralAffinity affinity;
	double		gamma;
	int			n_neighbors;
	int			n_init;
	int64		seed;
} SpectralOptions;

static inline UsSpectralAffinity
SpectralParseAffinity(const char *name)
{
	if (strcmp(name, "rbf") == 0)
		return US_SPECTRAL_RBF;
	if (strcmp(name, "nearest_neighbors") == 0)
		return US_SPECTRAL_KNN;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown affinity \"%s\"", name),
			 errhint("Valid affinities are 'rbf' (exp(-gamma ||x - y||^2)) and 'nearest_neighbors' (the k-nearest-neighbour graph).")));
	return US_SPECTRAL_RBF;		/* not reached */
}

static inline const char *
SpectralAffinityName(UsSpectralAffinity a)
{
	return a == US_SPECTRAL_RBF ? "rbf" : "nearest_neighbors";
}

static inline void
SpectralCheckNClusters(int n_clusters)
{
	if (n_clusters < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_clusters must be at least 1"),
				 errdetail("n_clusters is %d.", n_clusters),
				 errhint("Give the number of clusters wanted, 1 or more; 8 is scikit-learn's default.")));
}

static inline void
SpectralCheckGamma(double gamma)
{
	if (!(gamma > 0.0) || !isfinite(gamma))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("gamma must be a finite number above 0"),
				 errdetail("gamma is %g.", gamma),
				 errhint("gamma is the rbf kernel's coefficient, exp(-gamma ||x - y||^2) in scaled units; 1.0 is the default.")));
}

static inline void
SpectralCheckNNeighbors(int n_neighbors)
{
	if (n_neighbors < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_neighbors must be at least 1"),
				 errdetail("n_neighbors is %d.", n_neighbors),
				 errhint("n_neighbors is the neighbours of each row (itself included) in the nearest_neighbors graph; 10 is the default.")));
}

/* Checks of the options alone (the data's come in SpectralRun) */
static inline void
SpectralCheckOptions(const SpectralOptions *o)
{
	SpectralCheckNClusters(o->n_clusters);
	SpectralCheckGamma(o->gamma);
	SpectralCheckNNeighbors(o->n_neighbors);
	UsKmeansCheckNInit(o->n_init);
}

/* Checks against the rows to cluster */
static inline void
SpectralCheckRows(const SpectralOptions *o, int64 n)
{
	if (o->n_clusters > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_clusters is greater than the number of rows"),
				 errdetail("There are " INT64_FORMAT " rows with features and n_clusters is %d.",
						   n, o->n_clusters),
				 errhint("Use an n_clusters of at most the number of rows.")));
	if (o->affinity == US_SPECTRAL_KNN && o->n_neighbors >= n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_neighbors must be less than the number of rows"),
				 errdetail("There are " INT64_FORMAT " rows with features and n_neighbors is %d.",
						   n, o->n_neighbors),
				 errhint("Use an n_neighbors below the number of rows, or affinity 'rbf'.")));
}

static double
SpectralUniform(void *arg)
{
	return pg_prng_double((pg_prng_state *) arg);
}

/*
 * Whether bytes more fit in the operation's budget now (the dense solve's question);
 * *arg gets what the operation held when asked
 */
static bool
SpectralFits(void *arg, size_t bytes)
{
	uint64		limit = UsMemoryLimitBytes();
	uint64		used = UsBudgetUsed();

	*(uint64 *) arg = used;
	return (uint64) bytes <= limit && used <= limit - (uint64) bytes;
}

static char *
SpectralPrettySize(uint64 bytes)
{
	return text_to_cstring(DatumGetTextPP(DirectFunctionCall1(pg_size_pretty,
															  Int64GetDatum((int64) bytes))));
}

/*
 * Fit spectral clustering on an already scaled matrix: check the rows and the
 * budget, run the core, report the solver's failure.  Allocates in the current
 * memory context.
 */
static void
SpectralRun(const UsMatrix *m, const SpectralOptions *o, bool embedding_only,
			UsSpectralResult *result)
{
	UsCore		core;
	UsSpectralParams p;
	pg_prng_state rng;
	uint64		held = 0;		/* what the operation held when the dense solve asked */
	int			rc;

	SpectralCheckRows(o, m->n);
	UsCheckDistanceRange(m, "spectral clustering");
	UsCheckMemory(add_size(UsSpectralWorkBytes(m->n, m->d, o->n_clusters, o->affinity,
											   o->n_neighbors),
						   UsKmeansWorkBytes(m->n, o->n_clusters, o->n_clusters, false)),
				  o->affinity == US_SPECTRAL_RBF ?
				  psprintf("spectral clustering's dense rbf affinity of " INT64_FORMAT
						   " x " INT64_FORMAT " rows and its eigenvectors", m->n, m->n) :
				  psprintf("spectral clustering's nearest_neighbors graph of " INT64_FORMAT
						   " rows and its eigenvectors", m->n));
	UsCoreContextInit(&core);
	pg_prng_seed(&rng, (uint64) o->seed);
	memset(&p, 0, sizeof(p));
	p.k = o->n_clusters;
	p.affinity = o->affinity;
	p.gamma = o->gamma;
	p.n_neighbors = o->n_neighbors;
	p.n_init = o->n_init;
	p.uniform = SpectralUniform;
	p.rng_arg = &rng;
	p.verbose = userseg_progress;
	p.fits = SpectralFits;
	p.fits_arg = &held;
	rc = embedding_only ? UsSpectralEmbedding(&core, m, &p, result) :
		UsSpectral(&core, m, &p, result);
	if (rc == US_SPECTRAL_TOO_LARGE)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("spectral clustering of " INT64_FORMAT " rows into %d clusters is past ARPACK's limits",
						m->n, o->n_clusters),
				 errdetail("ARPACK counts its workspace in int, up to %d.", INT_MAX),
				 errhint("Cluster a sample of the rows, for example with TABLESAMPLE in a view.")));
	if (rc == US_SPECTRAL_DENSE_TOO_LARGE)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("spectral clustering of " INT64_FORMAT " rows needs %s for its dense eigen-solve, more than userseg.memory_limit (%s)",
						m->n, SpectralPrettySize((uint64) result->dense_bytes + held),
						SpectralPrettySize(UsMemoryLimitBytes())),
				 errdetail("ARPACK's %s returned info = %d after %d restarts and " INT64_FORMAT " products; the exact solve that follows (LAPACK's dsyevr on the dense " INT64_FORMAT " x " INT64_FORMAT " matrix) needs %s beside the %s the operation holds.",
						   result->arpack_call, result->arpack_info, result->restarts,
						   result->products, m->n, m->n,
						   SpectralPrettySize(result->dense_bytes),
						   SpectralPrettySize(held)),
				 errhint("Raise userseg.memory_limit, cluster a sample of the rows, or try another gamma or n_neighbors.")));
	if (rc != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the eigen-solver of spectral clustering failed"),
				 errdetail("%s's %s returned info = %d after %d restarts and " INT64_FORMAT " products.",
						   result->solver_call && strcmp(result->solver_call, "dsyevr") == 0 ?
						   "LAPACK" : "ARPACK",
						   result->solver_call ? result->solver_call : "the solver",
						   rc, result->restarts, result->products),
				 errhint("A graph of many components or many repeated rows can keep the eigenvectors from converging; try another gamma or n_neighbors.")));
	if (userseg_progress)
		ereport(NOTICE,
				(errmsg_internal("spectral done: %d eigenvectors%s, " INT64_FORMAT
								 " products, %d restarts, eigenvalues %g .. %g",
								 result->k,
								 result->dense && result->arpack_call ?
								 " by dsyevr (ARPACK did not converge)" :
								 result->dense ? " by dsyevr" : "",
								 result->products, result->restarts,
								 result->eigenvalues[0], result->eigenvalues[result->k - 1])));
	if (!embedding_only && result->kmeans.nonempty < o->n_clusters)
		ereport(NOTICE,
				(errmsg("spectral clustering found %d distinct clusters, fewer than n_clusters = %d",
						result->kmeans.nonempty, o->n_clusters),
				 errdetail("The embedding has fewer distinct rows than n_clusters.")));
}

/* ---- the window form ---- */

typedef struct SpectralWinState
{
	int32	   *labels;			/* one per matrix row */
} SpectralWinState;

/*
 * userseg_spectral(features, n_clusters, affinity, gamma, n_neighbors, n_init, seed,
 * scale) OVER (...): the spectral clustering label of each row of the partition;
 * rows with NULL features get NULL
 */
Datum
userseg_spectral(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	bool		first;
	UsWinData  *w;
	SpectralWinState *state;
	int64		row;

	w = UsWinReadPartition(winobj, 0, -1, sizeof(SpectralWinState), &first);
	state = (SpectralWinState *) UsWinExtra(w);
	if (first)
	{
		/* parse, check */
		SpectralOptions o;
		UsScaleMethod scale;

		o.n_clusters = DatumGetInt32(UsWinArgNotNull(winobj, 1, "n_clusters"));
		o.affinity = SpectralParseAffinity(TextDatumGetCString(UsWinArgNotNull(winobj, 2,
																				"affinity")));
		o.gamma = DatumGetFloat8(UsWinArgNotNull(winobj, 3, "gamma"));
		o.n_neighbors = DatumGetInt32(UsWinArgNotNull(winobj, 4, "n_neighbors"));
		o.n_init = DatumGetInt32(UsWinArgNotNull(winobj, 5, "n_init"));
		o.seed = DatumGetInt64(UsWinArgNotNull(winobj, 6, "seed"));
		scale = UsParseScaleMethod(TextDatumGetCString(UsWinArgNotNull(winobj, 7, "scale")));
		SpectralCheckOptions(&o);
		if (w->m.n > 0)
		{
			MemoryContext partcxt = UsWinPartitionContext(winobj);
			MemoryContext runcxt;
			MemoryContext oldcxt;
			UsCore		core;
			UsSpectralResult result;
			double	   *center;
			double	   *scale_v;

			/* prepare: scale the partition in place */
			runcxt = UsRunContextStart(AllocSetContextCreate(partcxt, "userseg spectral",
															 ALLOCSET_DEFAULT_SIZES));
			oldcxt = MemoryContextSwitchTo(runcxt);
			center = palloc0(sizeof(double) * w->m.d);
			scale_v = palloc0(sizeof(double) * w->m.d);
			UsCoreContextInit(&core);
			UsScaleFitApply(&core, &w->m, scale, center, scale_v);

			/* run, keep the labels for the partition */
			SpectralRun(&w->m, &o, false, &result);
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

typedef struct SpectralTableArgs
{
	TableFormArgs table;
	SpectralOptions opt;
} SpectralTableArgs;

/*
 * Parse and check userseg_spectral(source, features, n_clusters, label_column,
 * affinity, gamma, n_neighbors, n_init, seed, scale, nulls, id_column,
 * max_categories, drop_first)
 */
static void
SpectralTableParse(FunctionCallInfo fcinfo, SpectralTableArgs *a)
{
	memset(a, 0, sizeof(*a));
	TableFormParse(fcinfo, 0, 1, 9, 10, 12, 13, "userseg_spectral", &a->table);
	SweepArgNotNull(fcinfo, 2, "n_clusters");
	SweepArgNotNull(fcinfo, 4, "affinity");
	SweepArgNotNull(fcinfo, 5, "gamma");
	SweepArgNotNull(fcinfo, 6, "n_neighbors");
	SweepArgNotNull(fcinfo, 7, "n_init");
	SweepArgNotNull(fcinfo, 8, "seed");
	a->opt.n_clusters = PG_GETARG_INT32(2);
	a->opt.affinity = SpectralParseAffinity(text_to_cstring(PG_GETARG_TEXT_PP(4)));
	a->opt.gamma = PG_GETARG_FLOAT8(5);
	a->opt.n_neighbors = PG_GETARG_INT32(6);
	a->opt.n_init = PG_GETARG_INT32(7);
	a->opt.seed = PG_GETARG_INT64(8);
	if (!PG_ARGISNULL(3))
		a->table.read.label_column = pstrdup(NameStr(*PG_GETARG_NAME(3)));
	if (!PG_ARGISNULL(11))
		a->table.read.id_column = pstrdup(NameStr(*PG_GETARG_NAME(11)));
	SpectralCheckOptions(&a->opt);
}

/* The summary row (userseg_spectral_summary) */
static Datum
SpectralSummary(FunctionCallInfo fcinfo, const SpectralTableArgs *a,
				const TableFormData *data, const UsSpectralResult *r,
				const SweepScores *sc, instr_time start)
{
	TupleDesc	desc;
	Datum		v[11];
	bool		isnull[11] = {false};
	instr_time	elapsed;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "userseg_spectral must return a record, please report a bug");
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	v[0] = Int32GetDatum(a->opt.n_clusters);
	v[1] = CStringGetTextDatum(SpectralAffinityName(a->opt.affinity));
	v[2] = Float8GetDatum(a->opt.gamma);
	isnull[2] = a->opt.affinity != US_SPECTRAL_RBF;
	v[3] = Int32GetDatum(a->opt.n_neighbors);
	isnull[3] = a->opt.affinity != US_SPECTRAL_KNN;
	v[4] = Int32GetDatum(r->kmeans.nonempty);
	v[5] = Int64GetDatum(data->rel->n);
	v[6] = Int64GetDatum(data->rel->nskipped);
	v[7] = Float8GetDatum(r->eigenvalues[r->k - 1]);
	v[8] = Float8GetDatum(sc->silhouette);
	isnull[8] = isnan(sc->silhouette);
	v[9] = BoolGetDatum(sc->sampled);
	v[10] = Float8GetDatum(INSTR_TIME_GET_MILLISEC(elapsed));
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), v, isnull));
}

/*
 * userseg_spectral(source, features, n_clusters, label_column, affinity, gamma,
 * n_neighbors, n_init, seed, scale, nulls, id_column, max_categories, drop_first):
 * spectral clustering on columns of a relation, one summary row; the label column is
 * written in the same transaction
 */
Datum
userseg_spectral_table(PG_FUNCTION_ARGS)
{
	SpectralTableArgs a;
	TableFormData data;
	UsSpectralResult result;
	SweepScores scores;
	MemoryContext runcxt;
	MemoryContext oldcxt;
	instr_time	start;
	Datum		summary;

	/* parse, check */
	INSTR_TIME_SET_CURRENT(start);
	SpectralTableParse(fcinfo, &a);
	runcxt = UsRunContextCreate("userseg spectral");
	oldcxt = MemoryContextSwitchTo(runcxt);

	/* prepare: the rows read, encoded and scaled */
	TableFormRead(&a.table, &data);

	/* run */
	SpectralRun(&data.m, &a.opt, false, &result);

	/* report: scores, labels, the summary */
	SweepScore(&data.m, result.labels, SPECTRAL_SILHOUETTE_ROWS, (int32) a.opt.seed,
			   &scores);
	TableFormDropMatrix(&data);
	if (a.table.read.label_column)
		(void) UsWriteLabels(data.rel, a.table.read.label_column, result.labels);
	MemoryContextSwitchTo(oldcxt);
	summary = SpectralSummary(fcinfo, &a, &data, &result, &scores, start);
	MemoryContextDelete(runcxt);
	PG_RETURN_DATUM(summary);
}

/* ---- the embedding ---- */

typedef struct SpectralEmbWinState
{
	double	   *embedding;		/* n x k, one row per matrix row */
	int			k;
} SpectralEmbWinState;

/*
 * userseg_spectral_embedding(features, n_components, affinity, gamma, n_neighbors,
 * seed, scale) OVER (...): each row's coordinates in the embedding spectral
 * clustering clusters (scikit-learn's spectral_embedding(affinity, n_components,
 * drop_first=False)), as an array of n_components; rows with NULL features get NULL
 */
Datum
userseg_spectral_embedding(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	bool		first;
	UsWinData  *w;
	SpectralEmbWinState *state;
	int64		row;

	w = UsWinReadPartition(winobj, 0, -1, sizeof(SpectralEmbWinState), &first);
	state = (SpectralEmbWinState *) UsWinExtra(w);
	if (first)
	{
		/* parse, check */
		SpectralOptions o;
		UsScaleMethod scale;

		o.n_clusters = DatumGetInt32(UsWinArgNotNull(winobj, 1, "n_components"));
		o.affinity = SpectralParseAffinity(TextDatumGetCString(UsWinArgNotNull(winobj, 2,
																				"affinity")));
		o.gamma = DatumGetFloat8(UsWinArgNotNull(winobj, 3, "gamma"));
		o.n_neighbors = DatumGetInt32(UsWinArgNotNull(winobj, 4, "n_neighbors"));
		o.n_init = 1;
		o.seed = DatumGetInt64(UsWinArgNotNull(winobj, 5, "seed"));
		scale = UsParseScaleMethod(TextDatumGetCString(UsWinArgNotNull(winobj, 6, "scale")));
		if (o.n_clusters < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("n_components must be at least 1"),
					 errdetail("n_components is %d.", o.n_clusters),
					 errhint("Give the number of coordinates wanted, at most the number of rows.")));
		SpectralCheckOptions(&o);
		state->k = o.n_clusters;
		if (w->m.n > 0)
		{
			MemoryContext partcxt = UsWinPartitionContext(winobj);
			MemoryContext runcxt;
			MemoryContext oldcxt;
			UsCore		core;
			UsSpectralResult result;
			double	   *center;
			double	   *scale_v;

			runcxt = UsRunContextStart(AllocSetContextCreate(partcxt, "userseg spectral",
															 ALLOCSET_DEFAULT_SIZES));
			oldcxt = MemoryContextSwitchTo(runcxt);
			center = palloc0(sizeof(double) * w->m.d);
			scale_v = palloc0(sizeof(double) * w->m.d);
			UsCoreContextInit(&core);
			UsScaleFitApply(&core, &w->m, scale, center, scale_v);
			SpectralRun(&w->m, &o, true, &result);
			MemoryContextSwitchTo(partcxt);
			state->embedding = MemoryContextAllocHuge(partcxt,
													  UsMatrixBytes(w->m.n, state->k));
			memcpy(state->embedding, result.embedding, UsMatrixBytes(w->m.n, state->k));
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
	PG_RETURN_ARRAYTYPE_P(UsDoublesToArray(state->embedding + w->row_of[row] * state->k,
										   state->k));
}

/* ---- spectral clustering in userseg_compare ---- */

static const char *const spectral_compare_params[] = {
	"affinity", "gamma", "n_neighbors", "n_init", NULL
};

/*
 * Spectral clustering into the comparison's k clusters with its seed; affinity
 * 'rbf', gamma 1.0, n_neighbors 10 and n_init 10 unless params.spectral gives others
 * (scikit-learn's defaults), in the comparison's scaled units
 */
static void
SpectralCompare(const UsMatrix *m, const CompareArgs *args, CompareFit *fit)
{
	UsSpectralResult result;
	SpectralOptions o;
	JsonbContainer *c = args->params;
	char	   *affinity = "rbf";

	if (c)
	{
		JsonbValue	key;
		JsonbValue *v;

		key.type = jbvString;
		key.val.string.val = "affinity";
		key.val.string.len = strlen("affinity");
		v = findJsonbValueFromContainer(c, JB_FOBJECT, &key);
		if (v && v->type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("params.spectral.affinity must be a string"),
					 errhint("Valid affinities are 'rbf' and 'nearest_neighbors'.")));
		if (v)
			affinity = pnstrdup(v->val.string.val, v->val.string.len);
	}
	o.n_clusters = args->k;
	o.affinity = SpectralParseAffinity(affinity);
	o.gamma = TableFormParamFloat(c, "params.spectral", "gamma", 1.0);
	o.n_neighbors = TableFormParamInt(c, "params.spectral", "n_neighbors", 10);
	o.n_init = TableFormParamInt(c, "params.spectral", "n_init", 10);
	o.seed = args->seed;
	SpectralCheckOptions(&o);
	SpectralRun(m, &o, false, &result);
	fit->labels = result.labels;
	fit->inertia = NAN;
	fit->note = o.affinity == US_SPECTRAL_RBF ?
		psprintf("affinity rbf, gamma %g, n_init %d", o.gamma, o.n_init) :
		psprintf("affinity nearest_neighbors, n_neighbors %d, n_init %d", o.n_neighbors,
				 o.n_init);
}

const CompareAlgorithm spectral_compare = {"spectral", SpectralCompare,
spectral_compare_params};
