/*-------------------------------------------------------------------------
 *
 * sweep.c
 *	  SQL surface of choosing k: userseg_kmeans_sweep(source, features, k_min,
 *	  k_max, ...), one row of scores per k, the best k by silhouette and the
 *	  elbow of the inertia curve; and the scoring every table form shares
 *	  (SweepScore).
 *
 * The relation is read once into an n x d matrix and scaled once in place (the
 * shared path of tableform.c), and K-Means runs for each k in a memory context of its
 * own, reset after the k is scored: memory is the matrix plus one fit (40 n bytes)
 * plus the silhouette's work on at most sample_size rows, each checked against
 * userseg.memory_limit before it is allocated.  Each k's K-Means is seeded from
 * the seed exactly as the window form seeds it, so the labels behind a row of the
 * sweep are those of userseg_kmeans(ARRAY[...], k, seed, ...) OVER () over the
 * same rows in the same order.
 *
 * Scores.  Inertia is K-Means' own (squared distances to its centers, as
 * scikit-learn's inertia_).  Silhouette, Calinski-Harabasz and Davies-Bouldin are
 * the metrics core's (scikit-learn's semantics) on the scaled matrix.  The
 * silhouette is exact when there are at most sample_size rows; above that it is
 * the silhouette of sample_size rows drawn without replacement (partial
 * Fisher-Yates with a local pg_prng_state seeded from seed; the same rows for
 * every k), and a NOTICE says so.  k = 1 has an inertia and no other score.
 *
 * Elbow.  The core's elbow rule (elbow_core.c) on the inertia curve over k: the
 * interior k farthest below the chord of the curve scaled to the unit square.
 *
 * Interrupts are checked by the core inside every pass over the rows.
 *
 *-------------------------------------------------------------------------
 */
#include "tableform.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "kmeans_options.h"

PG_FUNCTION_INFO_V1(userseg_kmeans_sweep);

#define SWEEP_COLS 7

/* Below the chord by at least this much (normalized units) to be an elbow */
#define SWEEP_ELBOW_MIN_GAP 1e-9

void
SweepArgNotNull(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
}

void
SweepCheckSampleSize(int sample_size)
{
	if (sample_size < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sample_size must be at least 2"),
				 errdetail("sample_size is %d.", sample_size),
				 errhint("Valid sample sizes are 2 or more; a size of at least the number of rows gives the exact silhouette.")));
}

static int
SweepCompareInt64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/*
 * Silhouette of sample_size of the rows of m (labels 0..k-1), drawn with a
 * generator seeded from seed; NaN if the sample holds fewer than 2 clusters or
 * only clusters of one row each
 */
static double
SweepSampledSilhouette(const UsCore *core, const UsMatrix *m, const int32 *labels, int k,
					   int sample_size, int seed)
{
	int64		n = m->n;
	int64		s = sample_size;
	int			d = m->d;
	int64	   *idx;
	int32	   *sl;
	UsMatrix	sm;
	int			ks;
	int64		kept;

	idx = UsAllocChecked(sizeof(int64) * (Size) n, "the silhouette sample");
	for (int64 i = 0; i < n; i++)
		idx[i] = i;
	UsSampleIndexes(idx, n, s, seed);
	qsort(idx, (size_t) s, sizeof(int64), SweepCompareInt64);

	sm.n = s;
	sm.d = d;
	sm.x = UsAllocMatrix(s, d, "the silhouette sample");
	sl = UsAllocChecked(sizeof(int32) * (Size) s, "the silhouette sample");
	for (int64 r = 0; r < s; r++)
	{
		memcpy(sm.x + r * d, m->x + idx[r] * d, sizeof(double) * d);
		sl[r] = labels[idx[r]];
	}
	/* the clusters present in the sample, 0..ks-1 by their original number */
	ks = UsCompactLabels(core, sl, s, sl, &kept);
	pfree(idx);
	if (ks < 2 || ks >= s)
		return NAN;
	UsCheckMemory(UsMatrixBytes(s, d) + UsSilhouetteWorkBytes(s, d, ks), "the silhouette sample");
	return UsSilhouette(core, &sm, sl, ks, NULL);
}

void
SweepScore(const UsMatrix *m, const int32 *labels, int sample_size, int seed,
		   SweepScores *out)
{
	UsCore		core;
	int64		n = m->n;
	int			d = m->d;
	int			c;
	int64		nn;
	UsMatrix	mm;
	int32	   *ll;

	memset(out, 0, sizeof(*out));
	out->silhouette = NAN;
	out->calinski_harabasz = NAN;
	out->davies_bouldin = NAN;
	out->inertia = NAN;

	for (int64 i = 0; i < n; i++)
	{
		if (labels[i] == US_NOISE)
			out->noise++;
		else if (labels[i] < 0)
			elog(ERROR, "label %d is neither a cluster nor noise, please report a bug",
				 labels[i]);
	}
	nn = n - out->noise;
	if (nn == 0)
		return;

	/* the clusters present, renumbered 0..c-1 in the order of their numbers */
	UsCoreContextInit(&core);
	if (out->noise == 0)
	{
		int64		kept;

		/* every row stays: no copy of the matrix */
		mm = *m;
		ll = UsAllocChecked(sizeof(int32) * (Size) n, "the rows to score");
		c = UsCompactLabels(&core, labels, n, ll, &kept);
	}
	else
		c = UsCompactRows(&core, m, labels, &mm, &ll);
	out->n_clusters = c;

	out->inertia = UsInertia(&core, &mm, ll, c);
	if (c < 2 || c >= nn)
		return;
	out->scored = true;
	out->calinski_harabasz = UsCalinskiHarabasz(&core, &mm, ll, c);
	out->davies_bouldin = UsDaviesBouldin(&core, &mm, ll, c);
	if (nn <= sample_size)
	{
		UsCheckMemory(UsMatrixBytes(nn, d) + UsSilhouetteWorkBytes(nn, d, c),
					  "the silhouette of this data");
		out->silhouette = UsSilhouette(&core, &mm, ll, c, NULL);
	}
	else
	{
		out->sampled = true;
		out->sample_rows = sample_size;
		out->silhouette = SweepSampledSilhouette(&core, &mm, ll, c, sample_size, seed);
	}
}

/* The sweep's arguments */
typedef struct SweepArgs
{
	TableFormArgs table;
	int			k_min;
	int			k_max;
	int			seed;
	int			n_init;
	int			max_iter;
	double		tol;
	int			sample_size;
} SweepArgs;

/*
 * Parse and check (source, features, k_min, k_max, seed, n_init, max_iter, tol, scale,
 * nulls, sample_size, max_categories, drop_first)
 */
static void
SweepParse(FunctionCallInfo fcinfo, SweepArgs *a)
{
	static const char *const names[] = {"k_min", "k_max", "seed", "n_init", "max_iter",
	"tol", "sample_size"};
	static const int argnos[] = {2, 3, 4, 5, 6, 7, 10};

	TableFormParse(fcinfo, 0, 1, 8, 9, 11, 12, "userseg_kmeans_sweep", &a->table);
	for (int i = 0; i < (int) lengthof(names); i++)
		SweepArgNotNull(fcinfo, argnos[i], names[i]);
	a->k_min = PG_GETARG_INT32(2);
	a->k_max = PG_GETARG_INT32(3);
	a->seed = PG_GETARG_INT32(4);
	a->n_init = PG_GETARG_INT32(5);
	a->max_iter = PG_GETARG_INT32(6);
	a->tol = PG_GETARG_FLOAT8(7);
	a->sample_size = PG_GETARG_INT32(10);
	if (a->k_min < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k_min must be at least 1"),
				 errdetail("k_min is %d.", a->k_min),
				 errhint("Sweep k from 1 or 2 up to the largest number of clusters worth trying.")));
	if (a->k_min > a->k_max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k_min must not be greater than k_max"),
				 errdetail("k_min is %d and k_max is %d.", a->k_min, a->k_max),
				 errhint("Give a range such as k_min => 2, k_max => 10.")));
	UsKmeansCheckNInit(a->n_init);
	UsKmeansCheckMaxIter(a->max_iter);
	UsKmeansCheckTol(a->tol);
	SweepCheckSampleSize(a->sample_size);
}

/*
 * Fit and score each k in a memory context of its own; the k whose best run did not
 * converge are listed in not_converged[0], their runs that did not in [1]
 */
static void
SweepRun(const SweepArgs *a, const UsMatrix *m, int *ks, SweepScores *scores,
		 StringInfoData *not_converged)
{
	MemoryContext kcxt = AllocSetContextCreate(CurrentMemoryContext, "userseg k sweep run",
											   ALLOCSET_DEFAULT_SIZES);
	MemoryContext oldcxt = MemoryContextSwitchTo(kcxt);

	for (int i = 0; i <= a->k_max - a->k_min; i++)
	{
		int			k = a->k_min + i;
		UsKmeansResult result;

		CHECK_FOR_INTERRUPTS();
		ks[i] = k;
		UsKmeansRun(m, k, a->seed, a->n_init, a->max_iter, a->tol, NULL, &result);
		if (!result.converged)
		{
			appendStringInfo(&not_converged[0], "%s%d", not_converged[0].len ? ", " : "", k);
			appendStringInfo(&not_converged[1], "%s%d for k = %d",
							 not_converged[1].len ? ", " : "", result.runs_not_converged, k);
		}
		if (result.nonempty < k)
			ereport(NOTICE,
					(errmsg("k-means found %d distinct clusters, fewer than k = %d",
							result.nonempty, k),
					 errdetail("There are fewer distinct rows than clusters; the scores are those of the %d clusters found.",
							   result.nonempty)));
		SweepScore(m, result.labels, a->sample_size, a->seed, &scores[i]);
		/* the inertia of K-Means itself: to its centers, as scikit-learn's inertia_ */
		scores[i].inertia = result.inertia;
		if (userseg_progress)
			ereport(NOTICE,
					(errmsg_internal("k-means sweep: k = %d, inertia %.17g, iterations %d",
									 k, result.inertia, result.iterations)));
		MemoryContextReset(kcxt);
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(kcxt);
}

/* The WARNING and NOTICEs of a sweep */
static void
SweepReport(const SweepArgs *a, int64 n, const int *ks, int count, bool sampled, int elbow,
			const StringInfoData *not_converged)
{
	if (not_converged[0].len)
		ereport(WARNING,
				(errmsg("k-means did not converge within max_iter = %d iterations for k = %s",
						a->max_iter, not_converged[0].data),
				 errdetail("The best run of each of these k stopped at max_iter; its scores are returned. Runs of the n_init = %d that did not converge: %s.",
						   a->n_init, not_converged[1].data),
				 errhint("Raise max_iter, or raise tol.")));
	if (sampled)
		ereport(NOTICE,
				(errmsg("silhouette computed on a sample of %d of " INT64_FORMAT " rows",
						a->sample_size, n),
				 errdetail("The same rows, drawn with a generator seeded from seed, for every k."),
				 errhint("Set sample_size to at least the number of rows for the exact silhouette.")));
	if (elbow >= 0)
		ereport(NOTICE,
				(errmsg("the inertia curve bends at k = %d", ks[elbow]),
				 errdetail("The elbow is the k farthest below the chord from k = %d to k = %d of the inertia curve scaled to the unit square.",
						   ks[0], ks[count - 1])));
	else
		ereport(NOTICE,
				(errmsg("no bend found in the inertia curve from k = %d to k = %d",
						ks[0], ks[count - 1]),
				 errdetail("An elbow needs at least three values of k and a point below the chord from the first to the last.")));
}

/*
 * userseg_kmeans_sweep(source, features, k_min, k_max, seed, n_init, max_iter, tol,
 *						scale, nulls, sample_size, max_categories, drop_first)
 *	 RETURNS TABLE(k, inertia, silhouette, calinski_harabasz, davies_bouldin, best, elbow)
 */
Datum
userseg_kmeans_sweep(PG_FUNCTION_ARGS)
{
	SweepArgs	a;
	Tuplestorestate *store;
	TupleDesc	desc;
	MemoryContext runcxt;
	MemoryContext oldcxt;
	TableFormData data;
	int			count;
	int		   *ks;
	double	   *kx;
	double	   *inertia;
	SweepScores *scores;
	int			best = -1;
	int			elbow;
	bool		sampled = false;
	StringInfoData not_converged[2];

	/* parse, check */
	SweepParse(fcinfo, &a);
	store = UsMaterializeResult(fcinfo, &desc);
	runcxt = UsRunContextCreate("userseg k sweep");
	oldcxt = MemoryContextSwitchTo(runcxt);

	/* prepare */
	TableFormRead(&a.table, &data);
	if (a.k_max > data.m.n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k_max is greater than the number of rows"),
				 errdetail("There are " INT64_FORMAT " rows with features and k_max is %d.",
						   data.m.n, a.k_max),
				 errhint("Use a k_max of at most the number of rows.")));
	count = a.k_max - a.k_min + 1;
	ks = palloc(sizeof(int) * count);
	kx = palloc(sizeof(double) * count);
	inertia = palloc(sizeof(double) * count);
	scores = palloc0(sizeof(SweepScores) * count);
	initStringInfo(&not_converged[0]);
	initStringInfo(&not_converged[1]);

	/* run */
	SweepRun(&a, &data.m, ks, scores, not_converged);

	/* report */
	for (int i = 0; i < count; i++)
	{
		if (!isnan(scores[i].silhouette) &&
			(best < 0 || scores[i].silhouette > scores[best].silhouette))
			best = i;
		kx[i] = ks[i];
		inertia[i] = scores[i].inertia;
		sampled |= scores[i].sampled;
	}
	elbow = UsElbow(kx, inertia, count, SWEEP_ELBOW_MIN_GAP);
	SweepReport(&a, data.m.n, ks, count, sampled, elbow, not_converged);
	for (int i = 0; i < count; i++)
	{
		Datum		values[SWEEP_COLS];
		bool		isnull[SWEEP_COLS];

		memset(isnull, 0, sizeof(isnull));
		values[0] = Int32GetDatum(ks[i]);
		values[1] = UsFloat8OrNull(scores[i].inertia, &isnull[1]);
		values[2] = UsFloat8OrNull(scores[i].silhouette, &isnull[2]);
		values[3] = UsFloat8OrNull(scores[i].calinski_harabasz, &isnull[3]);
		values[4] = UsFloat8OrNull(scores[i].davies_bouldin, &isnull[4]);
		values[5] = BoolGetDatum(i == best);
		values[6] = BoolGetDatum(i == elbow);
		tuplestore_putvalues(store, desc, values, isnull);
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(runcxt);
	return (Datum) 0;
}
