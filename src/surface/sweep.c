/*-------------------------------------------------------------------------
 *
 * sweep.c
 *	  SQL surface of choosing k: userseg_kmeans_sweep(source, features, k_min,
 *	  k_max, ...), one row of scores per k, the best k by silhouette and the
 *	  elbow of the inertia curve; and the reading, fitting and scoring it shares
 *	  with userseg_compare (compare.c).
 *
 * The relation is read once through SPI (UsReadRelation) into an n x d matrix,
 * scaled once in place, and K-Means runs for each k in a memory context of its
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
#include "ussweep.h"

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

UsRelData *
SweepReadScaled(Oid relid, ArrayType *features, UsNullPolicy nulls, UsScaleMethod scale,
				UsMatrix *m)
{
	UsRelData  *rel = UsReadRelation(relid, features, nulls, false);
	UsCore		core;
	double	   *center;
	double	   *factor;

	UsCheckRowsToCluster(rel);

	m->n = rel->n;
	m->d = rel->d;
	m->x = rel->x;
	center = palloc0(sizeof(double) * m->d);
	factor = palloc0(sizeof(double) * m->d);
	UsCoreContextInit(&core);
	UsScaleFitApply(&core, m, scale, center, factor);
	pfree(center);
	pfree(factor);
	return rel;
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

static inline Datum
SweepFloat(double v, bool *isnull)
{
	*isnull = isnan(v);
	return Float8GetDatum(v);
}

/*
 * userseg_kmeans_sweep(source, features, k_min, k_max, seed, n_init, max_iter, tol,
 *						scale, nulls, sample_size)
 *	 RETURNS TABLE(k, inertia, silhouette, calinski_harabasz, davies_bouldin, best, elbow)
 */
Datum
userseg_kmeans_sweep(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"source", "features", "k_min", "k_max", "seed",
		"n_init", "max_iter", "tol", "scale", "nulls", "sample_size"};
	Tuplestorestate *store;
	TupleDesc	desc;
	MemoryContext runcxt;
	MemoryContext kcxt;
	MemoryContext oldcxt;
	int			k_min;
	int			k_max;
	int			seed;
	int			n_init;
	int			max_iter;
	double		tol;
	UsScaleMethod scale;
	UsNullPolicy nulls;
	int			sample_size;
	UsMatrix	m;
	int			count;
	int		   *ks;
	SweepScores *scores;
	int			best = -1;
	int			elbow;
	bool		sampled = false;
	StringInfoData not_converged;

	for (int a = 0; a < (int) lengthof(names); a++)
		SweepArgNotNull(fcinfo, a, names[a]);
	k_min = PG_GETARG_INT32(2);
	k_max = PG_GETARG_INT32(3);
	seed = PG_GETARG_INT32(4);
	n_init = PG_GETARG_INT32(5);
	max_iter = PG_GETARG_INT32(6);
	tol = PG_GETARG_FLOAT8(7);
	scale = UsParseScaleMethod(text_to_cstring(PG_GETARG_TEXT_PP(8)));
	nulls = UsParseNullPolicy(text_to_cstring(PG_GETARG_TEXT_PP(9)));
	sample_size = PG_GETARG_INT32(10);

	if (k_min < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k_min must be at least 1"),
				 errdetail("k_min is %d.", k_min),
				 errhint("Sweep k from 1 or 2 up to the largest number of clusters worth trying.")));
	if (k_min > k_max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k_min must not be greater than k_max"),
				 errdetail("k_min is %d and k_max is %d.", k_min, k_max),
				 errhint("Give a range such as k_min => 2, k_max => 10.")));
	UsKmeansCheckNInit(n_init);
	UsKmeansCheckMaxIter(max_iter);
	UsKmeansCheckTol(tol);
	SweepCheckSampleSize(sample_size);

	store = UsMaterializeResult(fcinfo, &desc);
	runcxt = UsRunContextCreate("userseg k sweep");
	oldcxt = MemoryContextSwitchTo(runcxt);

	(void) SweepReadScaled(PG_GETARG_OID(0), PG_GETARG_ARRAYTYPE_P(1), nulls, scale, &m);
	if (k_max > m.n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k_max is greater than the number of rows"),
				 errdetail("There are " INT64_FORMAT " rows with features and k_max is %d.",
						   m.n, k_max),
				 errhint("Use a k_max of at most the number of rows.")));

	count = k_max - k_min + 1;
	ks = palloc(sizeof(int) * count);
	scores = palloc0(sizeof(SweepScores) * count);
	initStringInfo(&not_converged);

	kcxt = AllocSetContextCreate(runcxt, "userseg k sweep run", ALLOCSET_DEFAULT_SIZES);
	for (int i = 0; i < count; i++)
	{
		int			k = k_min + i;
		UsKmeansResult result;

		CHECK_FOR_INTERRUPTS();
		ks[i] = k;
		MemoryContextSwitchTo(kcxt);
		UsKmeansRun(&m, k, seed, n_init, max_iter, tol, NULL, &result);
		if (!result.converged)
			appendStringInfo(&not_converged, "%s%d", not_converged.len > 0 ? ", " : "", k);
		if (result.nonempty < k)
			ereport(NOTICE,
					(errmsg("k-means found %d distinct clusters, fewer than k = %d",
							result.nonempty, k),
					 errdetail("There are fewer distinct rows than clusters; the scores are those of the %d clusters found.",
							   result.nonempty)));
		SweepScore(&m, result.labels, sample_size, seed, &scores[i]);
		/* the inertia of K-Means itself: to its centers, as scikit-learn's inertia_ */
		scores[i].inertia = result.inertia;
		sampled |= scores[i].sampled;
		if (userseg_progress)
			ereport(NOTICE,
					(errmsg_internal("k-means sweep: k = %d, inertia %.17g, iterations %d",
									 k, result.inertia, result.iterations)));
		MemoryContextSwitchTo(runcxt);
		MemoryContextReset(kcxt);
	}

	for (int i = 0; i < count; i++)
		if (!isnan(scores[i].silhouette) &&
			(best < 0 || scores[i].silhouette > scores[best].silhouette))
			best = i;
	{
		double	   *inertia = palloc(sizeof(double) * count);
		double	   *kx = palloc(sizeof(double) * count);

		for (int i = 0; i < count; i++)
		{
			inertia[i] = scores[i].inertia;
			kx[i] = ks[i];
		}
		elbow = UsElbow(kx, inertia, count, SWEEP_ELBOW_MIN_GAP);
	}

	if (not_converged.len > 0)
		ereport(WARNING,
				(errmsg("k-means did not converge within max_iter = %d iterations for k = %s",
						max_iter, not_converged.data),
				 errdetail("The best run of each of these k stopped at max_iter; its scores are returned."),
				 errhint("Raise max_iter, or raise tol.")));
	if (sampled)
		ereport(NOTICE,
				(errmsg("silhouette computed on a sample of %d of " INT64_FORMAT " rows",
						sample_size, m.n),
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

	for (int i = 0; i < count; i++)
	{
		Datum		values[SWEEP_COLS];
		bool		isnull[SWEEP_COLS];

		memset(isnull, 0, sizeof(isnull));
		values[0] = Int32GetDatum(ks[i]);
		values[1] = SweepFloat(scores[i].inertia, &isnull[1]);
		values[2] = SweepFloat(scores[i].silhouette, &isnull[2]);
		values[3] = SweepFloat(scores[i].calinski_harabasz, &isnull[3]);
		values[4] = SweepFloat(scores[i].davies_bouldin, &isnull[4]);
		values[5] = BoolGetDatum(i == best);
		values[6] = BoolGetDatum(i == elbow);
		tuplestore_putvalues(store, desc, values, isnull);
	}

	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(runcxt);
	return (Datum) 0;
}
