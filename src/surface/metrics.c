/*-------------------------------------------------------------------------
 *
 * metrics.c
 *	  SQL surface of the scores of a clustering: the aggregates
 *	  userseg_silhouette, userseg_calinski_harabasz, userseg_davies_bouldin,
 *	  userseg_inertia over (features float8[], label int), and the window
 *	  function userseg_silhouette_sample.
 *
 * The aggregates keep the rows in an internal state (a growing buffer in the
 * aggregate context, checked against userseg.memory_limit as it grows), with
 * combine, serialize and deserialize functions for parallel aggregation.  Rows
 * with NULL features, a NULL element, a NULL label or label -1 (noise) are left
 * out.  The final function sorts the rows into a canonical order (label, then
 * the feature values) with the core's interruptible sort (sort_core.c), so the
 * result does not depend on the order in which the rows arrived (serial or
 * parallel plans give the same bits) and a cancel lands within a second, compacts
 * the labels 0..k-1 (labels_core.c) and calls the core (metrics_core.c).  A score
 * out of the range of float8 (the inertia of huge values) is 22003.
 *
 * The sampled silhouette draws sample_size of the canonically ordered rows with
 * a local pg_prng_state seeded from seed (a partial Fisher-Yates shuffle).  It is
 * a random subset like scikit-learn's sample_size, but not numpy's subset.
 *
 *-------------------------------------------------------------------------
 */
#include "usdata.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/int.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "windowapi.h"

#if PG_VERSION_NUM >= 150000
#endif

PG_FUNCTION_INFO_V1(userseg_metrics_trans);
PG_FUNCTION_INFO_V1(userseg_metrics_trans_sampled);
PG_FUNCTION_INFO_V1(userseg_metrics_combine);
PG_FUNCTION_INFO_V1(userseg_metrics_serialize);
PG_FUNCTION_INFO_V1(userseg_metrics_deserialize);
PG_FUNCTION_INFO_V1(userseg_silhouette_final);
PG_FUNCTION_INFO_V1(userseg_calinski_harabasz_final);
PG_FUNCTION_INFO_V1(userseg_davies_bouldin_final);
PG_FUNCTION_INFO_V1(userseg_inertia_final);
PG_FUNCTION_INFO_V1(userseg_silhouette_sample);

/* Serialized state: header, then n int32 labels, then n * d float8 */
#define METRICS_MAGIC 0x55534d31	/* "USM1" */
#define METRICS_HEADER (5 * sizeof(int32) + sizeof(int64))

typedef struct MetricsState
{
	int32		d;				/* 0 until the first feature vector */
	bool		sampled;		/* the sampled silhouette */
	int32		sample_size;
	int32		seed;
	int64		n;				/* rows kept */
	int64		cap;			/* rows allocated */
	double	   *x;				/* cap x d */
	int32	   *labels;			/* cap */
} MetricsState;

/* Rows of one score in canonical order, labels renumbered */
typedef struct MetricsRows
{
	UsMatrix	m;
	int32	   *labels;
	int			k;
} MetricsRows;

/* ---- the aggregate state ---- */

static MemoryContext
MetricsAggContext(FunctionCallInfo fcinfo, const char *fn)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "%s called in non-aggregate context, please report a bug", fn);
	return aggcxt;
}

/* Bytes of cap rows of d values and a label, overflow-checked */
static Size
MetricsRowBytes(int64 cap, int d)
{
	int64		per;
	int64		bytes;

	if (pg_mul_s64_overflow((int64) d, (int64) sizeof(double), &per) ||
		pg_add_s64_overflow(per, (int64) sizeof(int32), &per) ||
		pg_mul_s64_overflow(cap, per, &bytes) ||
		(uint64) bytes > (uint64) SIZE_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many rows for a userseg score: " INT64_FORMAT " rows of %d values",
						cap, d)));
	return (Size) bytes;
}

/* Make room for at least want rows */
static void
MetricsReserve(MetricsState *st, MemoryContext cxt, int64 want)
{
	int64		cap;

	if (want <= st->cap)
		return;
	cap = Max(st->cap * 2, 64);
	if (cap < want)
		cap = want;
	UsCheckMemory(MetricsRowBytes(cap, st->d), "the data of a userseg score");
	if (st->x == NULL)
	{
		st->x = MemoryContextAllocExtended(cxt, sizeof(double) * (Size) cap * st->d,
										   MCXT_ALLOC_HUGE);
		st->labels = MemoryContextAllocExtended(cxt, sizeof(int32) * (Size) cap,
												MCXT_ALLOC_HUGE);
	}
	else
	{
		st->x = repalloc_huge(st->x, sizeof(double) * (Size) cap * st->d);
		st->labels = repalloc_huge(st->labels, sizeof(int32) * (Size) cap);
	}
	st->cap = cap;
}

static MetricsState *
MetricsNewState(MemoryContext cxt)
{
	return (MetricsState *) MemoryContextAllocZero(cxt, sizeof(MetricsState));
}

/*
 * Add one row (features, label) to the state; rows left out are only checked
 */
static void
MetricsAddRow(FunctionCallInfo fcinfo, MetricsState *st, MemoryContext aggcxt)
{
	ArrayType  *a;
	int32		label;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return;
	a = PG_GETARG_ARRAYTYPE_P(1);
	label = PG_GETARG_INT32(2);
	if (st->d == 0)
		st->d = UsVectorDims(a);
	MetricsReserve(st, aggcxt, st->n + 1);
	/* converted in place; the row counts only if it has no NULL and is no noise */
	if (!UsVectorToDoublesOrNull(a, st->d, st->x + st->n * st->d, "feature vector"))
		return;
	if (label == US_NOISE)
		return;
	st->labels[st->n] = label;
	st->n++;
}

/*
 * Transition: keep a row
 */
Datum
userseg_metrics_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = MetricsAggContext(fcinfo, "userseg_metrics_trans");
	MetricsState *st = PG_ARGISNULL(0) ? NULL : (MetricsState *) PG_GETARG_POINTER(0);

	if (st == NULL)
		st = MetricsNewState(aggcxt);
	MetricsAddRow(fcinfo, st, aggcxt);
	PG_RETURN_POINTER(st);
}

/*
 * Transition of the sampled silhouette: also check sample_size and seed
 */
Datum
userseg_metrics_trans_sampled(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = MetricsAggContext(fcinfo, "userseg_metrics_trans_sampled");
	MetricsState *st = PG_ARGISNULL(0) ? NULL : (MetricsState *) PG_GETARG_POINTER(0);
	int32		sample_size;
	int32		seed;

	if (PG_ARGISNULL(3) || PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sample_size and seed of userseg_silhouette must not be NULL"),
				 errhint("Call userseg_silhouette(features, label) for the exact score.")));
	sample_size = PG_GETARG_INT32(3);
	seed = PG_GETARG_INT32(4);
	if (sample_size < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sample_size must be at least 2"),
				 errdetail("sample_size is %d.", sample_size),
				 errhint("Valid sample sizes are 2 or more; a size of at least the number of rows gives the exact score.")));
	if (st == NULL)
	{
		st = MetricsNewState(aggcxt);
		st->sampled = true;
		st->sample_size = sample_size;
		st->seed = seed;
	}
	else if (st->sample_size != sample_size || st->seed != seed)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sample_size and seed must be the same for every row"),
				 errdetail("Found sample_size %d with seed %d and sample_size %d with seed %d.",
						   st->sample_size, st->seed, sample_size, seed)));
	MetricsAddRow(fcinfo, st, aggcxt);
	PG_RETURN_POINTER(st);
}

/*
 * Combine two partial states into the first (copying into the aggregate context)
 */
Datum
userseg_metrics_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = MetricsAggContext(fcinfo, "userseg_metrics_combine");
	MetricsState *s1 = PG_ARGISNULL(0) ? NULL : (MetricsState *) PG_GETARG_POINTER(0);
	MetricsState *s2 = PG_ARGISNULL(1) ? NULL : (MetricsState *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
	{
		s1 = MetricsNewState(aggcxt);
		s1->sampled = s2->sampled;
		s1->sample_size = s2->sample_size;
		s1->seed = s2->seed;
	}
	else if (s1->sampled != s2->sampled || s1->sample_size != s2->sample_size ||
			 s1->seed != s2->seed)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sample_size and seed must be the same for every row")));
	if (s2->d > 0)
	{
		if (s1->d == 0)
			s1->d = s2->d;
		else if (s1->d != s2->d)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("feature vector has %d elements where %d were expected",
							s2->d, s1->d),
					 errdetail("All feature vectors of one call must have the same length.")));
	}
	if (s2->n > 0)
	{
		MetricsReserve(s1, aggcxt, s1->n + s2->n);
		memcpy(s1->x + s1->n * s1->d, s2->x, sizeof(double) * (Size) s2->n * s2->d);
		memcpy(s1->labels + s1->n, s2->labels, sizeof(int32) * (Size) s2->n);
		s1->n += s2->n;
	}
	PG_RETURN_POINTER(s1);
}

/*
 * Serialize a state to bytea
 */
Datum
userseg_metrics_serialize(PG_FUNCTION_ARGS)
{
	MetricsState *st = (MetricsState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	Size		body = MetricsRowBytes(st->n, st->d);

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "userseg_metrics_serialize called in non-aggregate context, please report a bug");
	if (body > MaxAllocSize - VARHDRSZ - METRICS_HEADER)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the rows of a userseg score are too large to pass between parallel workers"),
				 errdetail("The partial state holds " INT64_FORMAT " rows of %d values.",
						   st->n, st->d),
				 errhint("Set max_parallel_workers_per_gather to 0 for this query.")));

	pq_begintypsend(&buf);
	enlargeStringInfo(&buf, METRICS_HEADER + body);
	pq_sendint32(&buf, METRICS_MAGIC);
	pq_sendint32(&buf, st->d);
	pq_sendint32(&buf, st->sampled ? 1 : 0);
	pq_sendint32(&buf, st->sample_size);
	pq_sendint32(&buf, st->seed);
	pq_sendint64(&buf, st->n);
	for (int64 i = 0; i < st->n; i++)
	{
		pq_sendint32(&buf, st->labels[i]);
		if (i % (US_CHECK_EVERY * 16) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (int64 i = 0; i < st->n * st->d; i++)
	{
		pq_sendfloat8(&buf, st->x[i]);
		if (i % (US_CHECK_EVERY * 16) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
MetricsBadState(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("invalid partial state of a userseg score"),
			 errdetail("%s", detail)));
}

/*
 * Deserialize a state, validating everything it reads
 */
Datum
userseg_metrics_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	MetricsState *st;
	int32		flags;
	Size		len = VARSIZE_ANY_EXHDR(b);

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "userseg_metrics_deserialize called in non-aggregate context, please report a bug");
	if (len < METRICS_HEADER)
		MetricsBadState("The state is shorter than its header.");

	buf.data = VARDATA_ANY(b);
	buf.len = (int) len;
	buf.maxlen = (int) len;
	buf.cursor = 0;

	st = MetricsNewState(CurrentMemoryContext);
	if ((uint32) pq_getmsgint(&buf, 4) != METRICS_MAGIC)
		MetricsBadState("The state does not start with the expected marker.");
	st->d = (int32) pq_getmsgint(&buf, 4);
	flags = (int32) pq_getmsgint(&buf, 4);
	st->sample_size = (int32) pq_getmsgint(&buf, 4);
	st->seed = (int32) pq_getmsgint(&buf, 4);
	st->n = pq_getmsgint64(&buf);
	if (flags != 0 && flags != 1)
		MetricsBadState("The state has unknown flags.");
	st->sampled = flags == 1;
	if (st->sampled ? st->sample_size < 2 : (st->sample_size != 0 || st->seed != 0))
		MetricsBadState("The state has an invalid sample size.");
	if (st->d < 0 || st->n < 0 || (st->n > 0 && st->d == 0))
		MetricsBadState("The state has an invalid number of rows or values.");
	/* the length must be exactly that of n rows of d values (overflow-checked) */
	if (st->n > 0 &&
		((uint64) st->n > (uint64) (len / (sizeof(int32) + sizeof(double) * (Size) st->d)) ||
		 MetricsRowBytes(st->n, st->d) != len - METRICS_HEADER))
		MetricsBadState("The state's length does not match its number of rows.");
	if (st->n == 0 && len != METRICS_HEADER)
		MetricsBadState("The state's length does not match its number of rows.");

	if (st->n > 0)
	{
		MetricsReserve(st, CurrentMemoryContext, st->n);
		for (int64 i = 0; i < st->n; i++)
		{
			st->labels[i] = (int32) pq_getmsgint(&buf, 4);
			if (st->labels[i] == US_NOISE)
				MetricsBadState("The state holds a row labelled as noise.");
			if (i % (US_CHECK_EVERY * 16) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		for (int64 i = 0; i < st->n * st->d; i++)
		{
			st->x[i] = pq_getmsgfloat8(&buf);
			if (!isfinite(st->x[i]))
				MetricsBadState("The state holds NaN or Infinity.");
			if (i % (US_CHECK_EVERY * 16) == 0)
				CHECK_FOR_INTERRUPTS();
		}
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/* ---- final functions ---- */

static int
MetricsCompareRows(int64_t i, int64_t j, void *arg)
{
	const MetricsState *st = (const MetricsState *) arg;
	const double *x;
	const double *y;

	if (st->labels[i] != st->labels[j])
		return st->labels[i] < st->labels[j] ? -1 : 1;
	x = st->x + i * st->d;
	y = st->x + j * st->d;
	for (int c = 0; c < st->d; c++)
		if (x[c] != y[c])
			return x[c] < y[c] ? -1 : 1;
	return (i > j) - (i < j);
}

/*
 * Copy rows idx[0..n) of the state (in that order) with labels compacted 0..k-1
 */
static void
MetricsTake(const UsCore *core, const MetricsState *st, const int64 *idx, int64 n,
			MetricsRows *out)
{
	int			d = st->d;
	int64		kept;

	out->m.n = n;
	out->m.d = d;
	out->m.x = UsAllocMatrix(n, d, "the data of a userseg score");
	out->labels = UsAllocChecked(sizeof(int32) * (Size) Max(n, 1), "the labels of a userseg score");
	for (int64 r = 0; r < n; r++)
	{
		out->labels[r] = st->labels[idx[r]];
		memcpy(out->m.x + r * d, st->x + idx[r] * d, sizeof(double) * d);
		if (r % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			CHECK_FOR_INTERRUPTS();
	}
	/* no noise is kept in the state: every row stays */
	out->k = UsCompactLabels(core, out->labels, n, out->labels, &kept);
	Assert(kept == n);
}

/*
 * The rows of the state in canonical order (and sampled if asked)
 */
static void
MetricsCanonical(const UsCore *core, const MetricsState *st, bool sample, MetricsRows *out)
{
	int64		n = st->n;
	int64	   *idx = UsAllocChecked(sizeof(int64) * (Size) Max(n, 1), "the data of a userseg score");

	/* interruptible: a sort of 20 million rows takes seconds */
	if ((uint64) n <= (uint64) PG_UINT32_MAX)
	{
		UsCheckMemory(sizeof(int64) * 2 * (Size) n, "the sort of a userseg score's rows");
		UsSortRowsCanonical(core, st->x, st->labels, n, st->d, idx);
	}
	else
	{
		for (int64 i = 0; i < n; i++)
			idx[i] = i;
		UsSortIndexes(core, idx, n, MetricsCompareRows, (void *) st);
	}

	if (sample && st->sampled && st->sample_size < n)
	{
		int64		m = st->sample_size;

		UsSampleIndexes(idx, n, m, st->seed);
		/* back to canonical order */
		UsSortIndexes(core, idx, m, MetricsCompareRows, (void *) st);
		n = m;
	}
	MetricsTake(core, st, idx, n, out);
	pfree(idx);
}

/*
 * Whether a score applies to k clusters among n rows; NOTICE why not
 */
static bool
MetricsApplicable(const char *fn, int64 n, int k, bool need_k_below_n)
{
	if (k < 2)
	{
		ereport(NOTICE,
				(errmsg("%s is not applicable: only one cluster or noise", fn),
				 errdetail_plural("Found %d cluster among " INT64_FORMAT " rows after leaving out noise (label -1) and NULLs; the score needs at least 2.",
								  "Found %d clusters among " INT64_FORMAT " rows after leaving out noise (label -1) and NULLs; the score needs at least 2.",
								  k, k, n)));
		return false;
	}
	if (need_k_below_n && k >= n)
	{
		ereport(NOTICE,
				(errmsg("%s is not applicable: every row is its own cluster", fn),
				 errdetail("Found %d clusters among " INT64_FORMAT " rows; the score needs fewer clusters than rows.",
						   k, n)));
		return false;
	}
	return true;
}

typedef enum MetricsKind
{
	METRIC_SILHOUETTE,
	METRIC_CALINSKI_HARABASZ,
	METRIC_DAVIES_BOULDIN,
	METRIC_INERTIA
} MetricsKind;

/*
 * 22003 for a score out of the range of float8.  Scores are computed on the rows
 * times a power of two where their magnitude calls for it (metrics_core.c), so only
 * the inertia, a sum of squares in the data's units, overflows with large values;
 * the ratios overflow only when a dispersion is almost 0 next to another.
 */
static void
MetricsOutOfRange(const UsCore *core, const UsMatrix *m, const char *fn, MetricsKind kind)
{
	int			col = UsDistanceOverflowColumn(core, m);

	if (kind == METRIC_INERTIA || col >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value out of range: overflow"),
				 errdetail("%s overflows the range of float8: element %d of the feature vectors spans too wide a range.",
						   fn, Max(col, 0) + 1),
				 errhint("Scale the features first, for example with userseg_scale(features, 'zscore') OVER ().")));
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("value out of range: overflow"),
			 errdetail("%s overflows the range of float8: a dispersion is too close to 0 next to another.",
					   fn)));
}

/*
 * Compute one score of the state in a memory context of its own
 */
static Datum
MetricsFinal(FunctionCallInfo fcinfo, MetricsKind kind, const char *fn)
{
	MetricsState *st;
	MemoryContext cxt;
	MemoryContext old;
	MetricsRows rows;
	UsCore		core;
	double		r = 0.0;
	bool		ok;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (MetricsState *) PG_GETARG_POINTER(0);

	cxt = UsRunContextCreate("userseg score");
	old = MemoryContextSwitchTo(cxt);
	UsCoreContextInit(&core);
	MetricsCanonical(&core, st, kind == METRIC_SILHOUETTE, &rows);

	if (kind == METRIC_INERTIA)
	{
		ok = rows.k >= 1;
		if (!ok)
			ereport(NOTICE,
					(errmsg("%s is not applicable: no rows with features and a label", fn),
					 errdetail("Rows with NULL features, NULL elements, a NULL label or label -1 (noise) are left out.")));
	}
	else
		ok = MetricsApplicable(fn, rows.m.n, rows.k, true);

	if (ok)
	{
		switch (kind)
		{
			case METRIC_SILHOUETTE:
				UsCheckMemory(UsSilhouetteWorkBytes(rows.m.n, rows.m.d, rows.k),
							  "the silhouette's working memory");
				r = UsSilhouette(&core, &rows.m, rows.labels, rows.k, NULL);
				break;
			case METRIC_CALINSKI_HARABASZ:
				r = UsCalinskiHarabasz(&core, &rows.m, rows.labels, rows.k);
				break;
			case METRIC_DAVIES_BOULDIN:
				r = UsDaviesBouldin(&core, &rows.m, rows.labels, rows.k);
				break;
			case METRIC_INERTIA:
				r = UsInertia(&core, &rows.m, rows.labels, rows.k);
				break;
		}
	}

	if (ok && !isfinite(r))
		MetricsOutOfRange(&core, &rows.m, fn, kind);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	if (!ok)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(r);
}

Datum
userseg_silhouette_final(PG_FUNCTION_ARGS)
{
	return MetricsFinal(fcinfo, METRIC_SILHOUETTE, "userseg_silhouette");
}

Datum
userseg_calinski_harabasz_final(PG_FUNCTION_ARGS)
{
	return MetricsFinal(fcinfo, METRIC_CALINSKI_HARABASZ, "userseg_calinski_harabasz");
}

Datum
userseg_davies_bouldin_final(PG_FUNCTION_ARGS)
{
	return MetricsFinal(fcinfo, METRIC_DAVIES_BOULDIN, "userseg_davies_bouldin");
}

Datum
userseg_inertia_final(PG_FUNCTION_ARGS)
{
	return MetricsFinal(fcinfo, METRIC_INERTIA, "userseg_inertia");
}

/* ---- window function ---- */

typedef struct SilWinExtra
{
	bool		done;
	double	   *sil;			/* per matrix row; NaN for noise; NULL if not applicable */
} SilWinExtra;

/*
 * Silhouette of every row of the partition, into ex->sil
 */
static void
SilWinCompute(WindowObject winobj, UsWinData *w, SilWinExtra *ex)
{
	MemoryContext partcxt = UsWinPartitionContext(winobj);
	MemoryContext cxt;
	MemoryContext old;
	UsCore		core;
	UsMatrix	m;
	int32	   *labels;
	int			k;
	double	   *per_row;

	cxt = UsRunContextCreate("userseg silhouette");
	old = MemoryContextSwitchTo(cxt);
	UsCoreContextInit(&core);

	/* the rows that are no noise, labels compacted in label order */
	UsCheckMemory(UsMatrixBytes(w->m.n, w->m.d) + sizeof(int32) * (Size) w->m.n,
				  "the partition's rows");
	k = UsCompactRows(&core, &w->m, w->labels, &m, &labels);

	if (MetricsApplicable("userseg_silhouette_sample", m.n, k, true))
	{
		int64		r = 0;

		UsCheckMemory(UsSilhouetteWorkBytes(m.n, m.d, k) + sizeof(double) * (Size) m.n,
					  "the silhouette's working memory");
		per_row = UsAllocChecked(sizeof(double) * (Size) m.n, "the silhouette of each row");
		(void) UsSilhouette(&core, &m, labels, k, per_row);
		ex->sil = MemoryContextAllocExtended(partcxt, sizeof(double) * (Size) Max(w->m.n, 1),
											 MCXT_ALLOC_HUGE);
		for (int64 i = 0; i < w->m.n; i++)
			ex->sil[i] = w->labels[i] == US_NOISE ? NAN : per_row[r++];
	}

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/*
 * userseg_silhouette_sample(features, label) OVER (...): each row's silhouette
 */
Datum
userseg_silhouette_sample(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	UsWinData  *w = UsWinReadPartition(winobj, 0, 1, sizeof(SilWinExtra), NULL);
	SilWinExtra *ex = (SilWinExtra *) UsWinExtra(w);
	int64		r = WinGetCurrentPosition(winobj);
	int64		i;

	if (!ex->done)
	{
		SilWinCompute(winobj, w, ex);
		ex->done = true;
	}
	i = (r >= 0 && r < w->nrows) ? w->row_of[r] : -1;
	if (i < 0 || ex->sil == NULL || isnan(ex->sil[i]))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(ex->sil[i]);
}

/* ---- the adjusted Rand index ----
 *
 * userseg_adjusted_rand_score(labels_true, labels_pred): an aggregate over two
 * labelings of the same rows, scikit-learn's adjusted_rand_score.  labels_true
 * is text (a latent segment's name) or bigint, labels_pred bigint; rows where
 * either is NULL are left out, and -1 (noise) is a label like any other (filter
 * it out to score without the noise).  The state is the contingency table, not
 * the rows: the distinct true labels (their bytes; a bigint as its 8 bytes) with
 * a number each, and one count per (true label, predicted label) pair, both in
 * dynahash tables in the aggregate context, checked against userseg.memory_limit
 * as they grow.  Combine merges the tables; serialize writes the labels and the
 * cells, deserialize validates them.  The final function passes the cells to the
 * core (ari_core.c): the result does not depend on the order of the rows.  No
 * row gives NULL.
 */
#include "common/hashfn.h"
#include "utils/hsearch.h"

PG_FUNCTION_INFO_V1(userseg_ari_trans_text);
PG_FUNCTION_INFO_V1(userseg_ari_trans_bigint);
PG_FUNCTION_INFO_V1(userseg_ari_combine);
PG_FUNCTION_INFO_V1(userseg_ari_serialize);
PG_FUNCTION_INFO_V1(userseg_ari_deserialize);
PG_FUNCTION_INFO_V1(userseg_ari_final);

#define ARI_MAGIC 0x55534131	/* "USA1" */
/* Bytes counted per label (beyond its bytes) and per cell, for the budget */
#define ARI_LABEL_OVERHEAD 96
#define ARI_CELL_BYTES 64

/* A true label: its bytes, owned by the state */
typedef struct AriLabelKey
{
	const char *data;
	int32		len;
} AriLabelKey;

typedef struct AriLabelEntry
{
	AriLabelKey key;
	int64		id;
} AriLabelEntry;

typedef struct AriCellKey
{
	int64		id;				/* the true label's number */
	int64		pred;
} AriCellKey;

typedef struct AriCellEntry
{
	AriCellKey	key;
	int64		count;
} AriCellEntry;

typedef struct AriState
{
	MemoryContext cxt;
	HTAB	   *labels;
	HTAB	   *cells;
	int64		nlabels;
	int64		cap;			/* of names and lens */
	const char **names;			/* by id */
	int32	   *lens;
	Size		bytes;			/* counted for the budget */
	Size		checked;		/* bytes at the last budget check */
} AriState;

static uint32
AriLabelHash(const void *key, Size keysize)
{
	const AriLabelKey *k = (const AriLabelKey *) key;

	return hash_bytes((const unsigned char *) k->data, k->len);
}

static int
AriLabelMatch(const void *key1, const void *key2, Size keysize)
{
	const AriLabelKey *a = (const AriLabelKey *) key1;
	const AriLabelKey *b = (const AriLabelKey *) key2;

	if (a->len != b->len)
		return 1;
	return a->len == 0 ? 0 : memcmp(a->data, b->data, a->len);
}

static AriState *
AriNewState(MemoryContext cxt)
{
	AriState   *st = MemoryContextAllocZero(cxt, sizeof(AriState));
	HASHCTL		ctl;

	st->cxt = cxt;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(AriLabelKey);
	ctl.entrysize = sizeof(AriLabelEntry);
	ctl.hash = AriLabelHash;
	ctl.match = AriLabelMatch;
	ctl.hcxt = cxt;
	st->labels = hash_create("userseg adjusted Rand labels", 64, &ctl,
							 HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(AriCellKey);
	ctl.entrysize = sizeof(AriCellEntry);
	ctl.hcxt = cxt;
	st->cells = hash_create("userseg adjusted Rand cells", 64, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	return st;
}

/* Count bytes towards the budget; check it each time they have doubled */
static void
AriCharge(AriState *st, Size bytes)
{
	st->bytes += bytes;
	if (st->bytes >= 2 * st->checked + 65536)
	{
		UsCheckMemory(st->bytes, "the contingency table of an adjusted Rand index");
		st->checked = st->bytes;
	}
}

/* The number of a true label, added if new (its bytes copied into the state) */
static int64
AriLabelId(AriState *st, const char *data, int32 len, bool must_be_new)
{
	AriLabelKey key = {data, len};
	AriLabelEntry *e;
	bool		found;

	e = hash_search(st->labels, &key, HASH_ENTER, &found);
	if (found)
	{
		if (must_be_new)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("invalid partial state of an adjusted Rand index"),
					 errdetail("The state holds a label twice.")));
		return e->id;
	}
	{
		char	   *copy = MemoryContextAlloc(st->cxt, Max(len, 1));

		if (len > 0)
			memcpy(copy, data, len);
		e->key.data = copy;
		e->key.len = len;
	}
	if (st->nlabels == st->cap)
	{
		int64		cap = Max(st->cap * 2, 64);

		if (st->names == NULL)
		{
			st->names = MemoryContextAllocExtended(st->cxt, sizeof(char *) * cap, MCXT_ALLOC_HUGE);
			st->lens = MemoryContextAllocExtended(st->cxt, sizeof(int32) * cap, MCXT_ALLOC_HUGE);
		}
		else
		{
			st->names = repalloc_huge(st->names, sizeof(char *) * cap);
			st->lens = repalloc_huge(st->lens, sizeof(int32) * cap);
		}
		st->cap = cap;
	}
	e->id = st->nlabels;
	st->names[st->nlabels] = e->key.data;
	st->lens[st->nlabels] = len;
	st->nlabels++;
	AriCharge(st, (Size) len + ARI_LABEL_OVERHEAD);
	return e->id;
}

/* Add count rows to the cell (id, pred) */
static void
AriAddCell(AriState *st, int64 id, int64 pred, int64 count, bool must_be_new)
{
	AriCellKey	key;
	AriCellEntry *e;
	bool		found;

	memset(&key, 0, sizeof(key));
	key.id = id;
	key.pred = pred;
	e = hash_search(st->cells, &key, HASH_ENTER, &found);
	if (!found)
	{
		e->count = 0;
		AriCharge(st, ARI_CELL_BYTES);
	}
	else if (must_be_new)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("invalid partial state of an adjusted Rand index"),
				 errdetail("The state holds a pair of labels twice.")));
	if (pg_add_s64_overflow(e->count, count, &e->count))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many rows for an adjusted Rand index")));
}

static AriState *
AriTransState(FunctionCallInfo fcinfo)
{
	MemoryContext aggcxt = MetricsAggContext(fcinfo, "userseg_adjusted_rand_score");

	if (PG_ARGISNULL(0))
		return AriNewState(aggcxt);
	return (AriState *) PG_GETARG_POINTER(0);
}

/*
 * Transition of userseg_adjusted_rand_score(text, bigint): count a row
 */
Datum
userseg_ari_trans_text(PG_FUNCTION_ARGS)
{
	AriState   *st = AriTransState(fcinfo);

	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
	{
		text	   *t = PG_GETARG_TEXT_PP(1);

		AriAddCell(st, AriLabelId(st, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), false),
				   PG_GETARG_INT64(2), 1, false);
	}
	PG_RETURN_POINTER(st);
}

/*
 * Transition of userseg_adjusted_rand_score(bigint, bigint): count a row
 */
Datum
userseg_ari_trans_bigint(PG_FUNCTION_ARGS)
{
	AriState   *st = AriTransState(fcinfo);

	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
	{
		int64		t = PG_GETARG_INT64(1);

		AriAddCell(st, AriLabelId(st, (const char *) &t, sizeof(t), false),
				   PG_GETARG_INT64(2), 1, false);
	}
	PG_RETURN_POINTER(st);
}

/*
 * Combine: add the cells of the second state to the first
 */
Datum
userseg_ari_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = MetricsAggContext(fcinfo, "userseg_ari_combine");
	AriState   *s1 = PG_ARGISNULL(0) ? NULL : (AriState *) PG_GETARG_POINTER(0);
	AriState   *s2 = PG_ARGISNULL(1) ? NULL : (AriState *) PG_GETARG_POINTER(1);
	int64	   *map;
	HASH_SEQ_STATUS seq;
	AriCellEntry *e;

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = AriNewState(aggcxt);
	map = palloc_extended(sizeof(int64) * Max(s2->nlabels, 1), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < s2->nlabels; i++)
		map[i] = AriLabelId(s1, s2->names[i], s2->lens[i], false);
	hash_seq_init(&seq, s2->cells);
	while ((e = hash_seq_search(&seq)) != NULL)
		AriAddCell(s1, map[e->key.id], e->key.pred, e->count, false);
	pfree(map);
	PG_RETURN_POINTER(s1);
}

/*
 * Serialize: the labels in the order of their numbers, then the cells
 */
Datum
userseg_ari_serialize(PG_FUNCTION_ARGS)
{
	AriState   *st = (AriState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	HASH_SEQ_STATUS seq;
	AriCellEntry *e;
	int64		ncells = hash_get_num_entries(st->cells);

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "userseg_ari_serialize called in non-aggregate context, please report a bug");
	if (st->bytes > MaxAllocSize / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the contingency table of an adjusted Rand index is too large to pass between parallel workers"),
				 errdetail("The partial state holds " INT64_FORMAT " labels and " INT64_FORMAT " pairs of labels.",
						   st->nlabels, ncells),
				 errhint("Set max_parallel_workers_per_gather to 0 for this query.")));

	pq_begintypsend(&buf);
	pq_sendint32(&buf, ARI_MAGIC);
	pq_sendint64(&buf, st->nlabels);
	for (int64 i = 0; i < st->nlabels; i++)
	{
		pq_sendint32(&buf, st->lens[i]);
		pq_sendbytes(&buf, st->names[i], st->lens[i]);
		if (i % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pq_sendint64(&buf, ncells);
	hash_seq_init(&seq, st->cells);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		pq_sendint64(&buf, e->key.id);
		pq_sendint64(&buf, e->key.pred);
		pq_sendint64(&buf, e->count);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
AriBadState(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("invalid partial state of an adjusted Rand index"),
			 errdetail("%s", detail)));
}

/*
 * Deserialize, validating everything read: lengths, label numbers, counts,
 * no label or pair twice
 */
Datum
userseg_ari_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	AriState   *st;
	int64		nlabels;
	int64		ncells;
	Size		len = VARSIZE_ANY_EXHDR(b);

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "userseg_ari_deserialize called in non-aggregate context, please report a bug");
	if (len < sizeof(int32) + 2 * sizeof(int64))
		AriBadState("The state is shorter than its header.");
	buf.data = VARDATA_ANY(b);
	buf.len = (int) len;
	buf.maxlen = (int) len;
	buf.cursor = 0;

	if ((uint32) pq_getmsgint(&buf, 4) != ARI_MAGIC)
		AriBadState("The state does not start with the expected marker.");
	st = AriNewState(CurrentMemoryContext);
	nlabels = pq_getmsgint64(&buf);
	/* each label takes at least its 4-byte length */
	if (nlabels < 0 || (uint64) nlabels > (uint64) (buf.len - buf.cursor) / 4)
		AriBadState("The state has an invalid number of labels.");
	for (int64 i = 0; i < nlabels; i++)
	{
		int32		l = (int32) pq_getmsgint(&buf, 4);

		if (l < 0 || l > buf.len - buf.cursor)
			AriBadState("The state has a label of an invalid length.");
		AriLabelId(st, pq_getmsgbytes(&buf, l), l, true);
		if (i % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
	}
	if (buf.len - buf.cursor < (int) sizeof(int64))
		AriBadState("The state ends before its pairs of labels.");
	ncells = pq_getmsgint64(&buf);
	if (ncells < 0 || (uint64) ncells != (uint64) (buf.len - buf.cursor) / 24 ||
		(buf.len - buf.cursor) % 24 != 0)
		AriBadState("The state's length does not match its number of pairs of labels.");
	for (int64 i = 0; i < ncells; i++)
	{
		int64		id = pq_getmsgint64(&buf);
		int64		pred = pq_getmsgint64(&buf);
		int64		count = pq_getmsgint64(&buf);

		if (id < 0 || id >= nlabels)
			AriBadState("The state refers to a label it does not hold.");
		if (count < 1)
			AriBadState("The state holds a count below 1.");
		AriAddCell(st, id, pred, count, true);
		if (i % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/*
 * Final: the cells to the core
 */
Datum
userseg_ari_final(PG_FUNCTION_ARGS)
{
	AriState   *st;
	MemoryContext cxt;
	MemoryContext old;
	UsCore		core;
	HASH_SEQ_STATUS seq;
	AriCellEntry *e;
	int64		ncells;
	int64	   *a;
	int64	   *p;
	int64	   *c;
	int64		k = 0;
	double		r;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (AriState *) PG_GETARG_POINTER(0);
	ncells = hash_get_num_entries(st->cells);
	if (ncells == 0)
		PG_RETURN_NULL();

	cxt = UsRunContextCreate("userseg adjusted Rand index");
	old = MemoryContextSwitchTo(cxt);
	UsCoreContextInit(&core);
	a = UsAlloc(&core, sizeof(int64) * (size_t) ncells);
	p = UsAlloc(&core, sizeof(int64) * (size_t) ncells);
	c = UsAlloc(&core, sizeof(int64) * (size_t) ncells);
	hash_seq_init(&seq, st->cells);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		a[k] = e->key.id;
		p[k] = e->key.pred;
		c[k] = e->count;
		k++;
	}
	r = UsAdjustedRandScore(&core, a, p, c, ncells);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	PG_RETURN_FLOAT8(r);
}
