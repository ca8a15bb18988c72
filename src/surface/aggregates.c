/*-------------------------------------------------------------------------
 *
 * aggregates.c
 *	  Combinable aggregates for dashboards over large tables, with float8[] states
 *	  that parallel query combines and Citus can push down: userseg_stats (count,
 *	  mean, standard deviation, variance, min, max of a column or of each element
 *	  of a feature array) and userseg_cluster_stats (inertia and Calinski-Harabasz
 *	  of a clustering given its labels).
 *
 * The numbers come from stats_core.c (Welford's additions, Chan's merges); this file
 * reads arguments, keeps the states and forms results.
 *
 * States.  float8[] (not internal), so that partial states travel between parallel
 * workers as ordinary arrays and through text (Citus ships partial states through the
 * state type's output and input functions; float8 output in PostgreSQL 15 is the
 * shortest exact text unless extra_float_digits is set below 1):
 *
 *	userseg_stats(float8)		[101, n, mean, M2, min, max]
 *	userseg_stats(float8[])		[102, d, then per element n, mean, M2, min, max]
 *	userseg_cluster_stats		[103, d, m, then per label (ascending) label, n, M2,
 *								 d means]
 *
 * Called as an aggregate (AggCheckCallContext), the transition and combine functions
 * update the state in place when its size does not change; a new label makes a new
 * state one block larger (nodeAgg keeps it).  Every state that arrives as an argument
 * of a combine or final function is validated first: its values may come from text.
 *
 * NULLs: a NULL value (or a NULL element, for that element only) is left out, as
 * avg() leaves it out; NaN and Infinity are 22000 as everywhere in userseg.  A group
 * without values gives NULL.  userseg_cluster_stats leaves out rows with NULL
 * features, a NULL element, a NULL label or label -1 (noise), as userseg_inertia does.
 *
 *-------------------------------------------------------------------------
 */
#include "usdata.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(userseg_stats_trans);
PG_FUNCTION_INFO_V1(userseg_stats_array_trans);
PG_FUNCTION_INFO_V1(userseg_stats_combine);
PG_FUNCTION_INFO_V1(userseg_stats_final);
PG_FUNCTION_INFO_V1(userseg_stats_array_final);
PG_FUNCTION_INFO_V1(userseg_cluster_stats_trans);
PG_FUNCTION_INFO_V1(userseg_cluster_stats_combine);
PG_FUNCTION_INFO_V1(userseg_cluster_stats_final);

#define FMT_SCALAR	101
#define FMT_ARRAY	102
#define FMT_CLUSTER 103
#define HDR_SCALAR	1
#define HDR_ARRAY	2
#define HDR_CLUSTER 3
#define MAX_D		1600

/* Largest float8[] a varlena can hold */
#define STATE_MAX_LEN \
	((int64) Min((MaxAllocSize - ARR_OVERHEAD_NONULLS(1)) / sizeof(float8), MaxArraySize))

static void
BadState(const char *fn, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("invalid %s state", fn),
			 errdetail("%s", why),
			 errhint("A state is what the aggregate's transition or combine function returned.")));
}

/* A new zeroed float8[] of len elements in the current memory context */
static ArrayType *
StateAlloc(int64 len, const char *fn)
{
	Size		bytes;
	ArrayType  *a;

	if (len > STATE_MAX_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the state of %s would exceed the largest array of 1 GB", fn),
				 errdetail("It would hold " INT64_FORMAT " values.", len),
				 errhint("Group by fewer labels, or use fewer columns.")));
	bytes = ARR_OVERHEAD_NONULLS(1) + (Size) len * sizeof(float8);
	a = (ArrayType *) palloc0(bytes);
	SET_VARSIZE(a, bytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = FLOAT8OID;
	ARR_DIMS(a)[0] = (int) len;
	ARR_LBOUND(a)[0] = 1;
	return a;
}

static ArrayType *
StateCopy(ArrayType *a)
{
	ArrayType  *c = palloc(VARSIZE(a));

	memcpy(c, a, VARSIZE(a));
	return c;
}

#define STATE_V(a) ((double *) ARR_DATA_PTR(a))

/* Check a moment block that arrives from outside */
static const char *
CheckMoment(const double *m)
{
	if (!(m[0] >= 0 && m[0] <= 9007199254740992.0 && m[0] == floor(m[0])))
		return "The state has an invalid count.";
	if (m[0] == 0)
		return (m[1] == 0 && m[2] == 0 && m[3] == HUGE_VAL && m[4] == -HUGE_VAL) ? NULL :
			"The state has values for an empty count.";
	if (!isfinite(m[1]) || !isfinite(m[2]) || m[2] < 0 || !isfinite(m[3]) ||
		!isfinite(m[4]) || m[3] > m[4])
		return "The state holds invalid moments.";
	return NULL;
}

/*
 * The header of a state passed back by the aggregate, checked on every row (O(1)): an
 * aggregate defined with these transition functions and an INITCOND could hand them any
 * array, and the layout must fit the array before anything is read or written
 */
static void
HeaderCheck(ArrayType *a, int format, const char *fn)
{
	const double *v;
	int64		len;

	if (ARR_ELEMTYPE(a) != FLOAT8OID || ARR_NDIM(a) != 1 || ARR_HASNULL(a) ||
		ARR_DIMS(a)[0] < HDR_CLUSTER)
		BadState(fn, "A state is a one-dimensional float8[] without NULL elements.");
	v = STATE_V(a);
	len = ARR_DIMS(a)[0];
	if (v[0] != format)
		BadState(fn, "The state has another format.");
	if (format == FMT_SCALAR)
	{
		if (len != HDR_SCALAR + US_MOMENT_LEN)
			BadState(fn, "The state's length does not match its format.");
		return;
	}
	if (!(v[1] >= 1 && v[1] <= MAX_D && v[1] == floor(v[1])))
		BadState(fn, "The state has an invalid number of elements.");
	if (format == FMT_ARRAY && len != HDR_ARRAY + (int64) US_MOMENT_LEN * (int64) v[1])
		BadState(fn, "The state's length does not match its elements.");
	if (format == FMT_CLUSTER &&
		!(v[2] >= 1 && v[2] == floor(v[2]) &&
		  len == HDR_CLUSTER + (int64) v[2] * US_CLUSTER_BLOCK((int) v[1])))
		BadState(fn, "The state's length does not match its labels.");
}

/* Validate a userseg_stats state; returns its format, sets *d */
static int
StatsRead(ArrayType *a, int *d)
{
	const double *v;
	int64		len;
	const char *why = NULL;

	if (ARR_ELEMTYPE(a) != FLOAT8OID || ARR_NDIM(a) != 1 || ARR_HASNULL(a))
		BadState("userseg_stats", "A state is a one-dimensional float8[] without NULL elements.");
	len = ARR_DIMS(a)[0];
	v = STATE_V(a);
	if (len < 1)
		BadState("userseg_stats", "The state is shorter than its header.");
	if (v[0] == FMT_SCALAR)
	{
		if (len != HDR_SCALAR + US_MOMENT_LEN)
			BadState("userseg_stats", "The state's length does not match its format.");
		*d = 1;
		why = CheckMoment(v + HDR_SCALAR);
		if (!why && v[HDR_SCALAR] == 0)
			why = "The state has no values.";
	}
	else if (v[0] == FMT_ARRAY)
	{
		if (len < HDR_ARRAY || !(v[1] >= 1 && v[1] <= MAX_D && v[1] == floor(v[1])))
			BadState("userseg_stats", "The state has an invalid number of elements.");
		*d = (int) v[1];
		if (len != HDR_ARRAY + (int64) US_MOMENT_LEN * *d)
			BadState("userseg_stats", "The state's length does not match its elements.");
		for (int j = 0; j < *d && !why; j++)
			why = CheckMoment(v + HDR_ARRAY + US_MOMENT_LEN * j);
	}
	else
		why = "The state has an unknown format.";
	if (why)
		BadState("userseg_stats", why);
	return (int) v[0];
}

/* 22000 for NaN or Infinity */
static inline void
CheckFinite(double x, int element)
{
	if (!isfinite(x))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s must not be NaN or Infinity", element > 0 ? "a feature element" : "a value"),
				 element > 0 ? errdetail("Element %d is %s.", element,
										 isnan(x) ? "NaN" : "Infinity") : 0));
}

/* 22003 when the moments left the range of float8 */
static inline void
CheckMomentRange(const double *m, int element)
{
	if (!isfinite(m[1]) || !isfinite(m[2]))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value out of range: overflow"),
				 element > 0 ?
				 errdetail("The variance of element %d is out of the range of float8.", element) :
				 errdetail("The variance is out of the range of float8."),
				 errhint("Scale the values first.")));
}

/*
 * userseg_stats_trans(state float8[], x float8): not strict, NULL values left out
 */
Datum
userseg_stats_trans(PG_FUNCTION_ARGS)
{
	bool		inagg = AggCheckCallContext(fcinfo, NULL) != 0;
	ArrayType  *state;
	double		x;
	int			d;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	x = PG_GETARG_FLOAT8(1);
	CheckFinite(x, 0);
	if (PG_ARGISNULL(0))
	{
		state = StateAlloc(HDR_SCALAR + US_MOMENT_LEN, "userseg_stats");
		STATE_V(state)[0] = FMT_SCALAR;
		UsMomentInit(STATE_V(state) + HDR_SCALAR);
	}
	else
	{
		state = PG_GETARG_ARRAYTYPE_P(0);
		HeaderCheck(state, FMT_SCALAR, "userseg_stats");
		if (!inagg)
		{
			if (StatsRead(state, &d) != FMT_SCALAR)
				BadState("userseg_stats", "The state is of the array form.");
			state = StateCopy(state);
		}
	}
	UsMomentAdd(STATE_V(state) + HDR_SCALAR, x);
	CheckMomentRange(STATE_V(state) + HDR_SCALAR, 0);
	PG_RETURN_ARRAYTYPE_P(state);
}

/*
 * userseg_stats_array_trans(state float8[], x float8[]): not strict; a NULL array is
 * left out, a NULL element for its element only
 */
Datum
userseg_stats_array_trans(PG_FUNCTION_ARGS)
{
	bool		inagg = AggCheckCallContext(fcinfo, NULL) != 0;
	ArrayType  *x;
	ArrayType  *state;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			d;
	double	   *v;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	x = PG_GETARG_ARRAYTYPE_P(1);
	n = UsVectorDims(x);
	if (n > MAX_D)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("userseg_stats takes arrays of at most %d elements, not %d", MAX_D, n)));
	deconstruct_array(x, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &n);
	if (PG_ARGISNULL(0))
	{
		state = StateAlloc(HDR_ARRAY + (int64) US_MOMENT_LEN * n, "userseg_stats");
		STATE_V(state)[0] = FMT_ARRAY;
		STATE_V(state)[1] = n;
		for (int j = 0; j < n; j++)
			UsMomentInit(STATE_V(state) + HDR_ARRAY + US_MOMENT_LEN * j);
	}
	else
	{
		state = PG_GETARG_ARRAYTYPE_P(0);
		HeaderCheck(state, FMT_ARRAY, "userseg_stats");
		if (!inagg)
		{
			if (StatsRead(state, &d) != FMT_ARRAY)
				BadState("userseg_stats", "The state is of the scalar form.");
			state = StateCopy(state);
		}
	}
	v = STATE_V(state);
	d = (int) v[1];
	if (n != d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("feature vector has %d elements where %d were expected", n, d),
				 errdetail("All feature vectors of one group must have the same length.")));
	for (int j = 0; j < d; j++)
		if (!nulls[j])
			CheckFinite(DatumGetFloat8(elems[j]), j + 1);
	for (int j = 0; j < d; j++)
	{
		if (nulls[j])
			continue;
		UsMomentAdd(v + HDR_ARRAY + US_MOMENT_LEN * j, DatumGetFloat8(elems[j]));
		CheckMomentRange(v + HDR_ARRAY + US_MOMENT_LEN * j, j + 1);
	}
	PG_RETURN_ARRAYTYPE_P(state);
}

/*
 * userseg_stats_combine(a float8[], b float8[]): b merged into a (strict)
 */
Datum
userseg_stats_combine(PG_FUNCTION_ARGS)
{
	bool		inagg = AggCheckCallContext(fcinfo, NULL) != 0;
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	int			da,
				db;
	int			fa = StatsRead(a, &da);
	int			fb = StatsRead(b, &db);
	int			hdr = fa == FMT_SCALAR ? HDR_SCALAR : HDR_ARRAY;

	if (fa != fb)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("partial states of userseg_stats(float8) and userseg_stats(float8[]) cannot be combined")));
	if (da != db)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("feature vectors of one group must have the same length"),
				 errdetail("Partial states of %d and %d elements were to be combined.", da, db)));
	if (!inagg)
		a = StateCopy(a);
	for (int j = 0; j < da; j++)
	{
		UsMomentMerge(STATE_V(a) + hdr + US_MOMENT_LEN * j, STATE_V(b) + hdr + US_MOMENT_LEN * j);
		CheckMomentRange(STATE_V(a) + hdr + US_MOMENT_LEN * j, fa == FMT_SCALAR ? 0 : j + 1);
	}
	PG_RETURN_ARRAYTYPE_P(a);
}

/* n, mean, stddev, variance (n - 1), var_pop, min, max of a block; NULLs as var_samp */
static void
MomentValues(const double *m, Datum *v, bool *isnull)
{
	double		n = m[0];

	v[0] = Int64GetDatum((int64) n);
	isnull[0] = false;
	for (int i = 1; i < 7; i++)
		isnull[i] = n == 0;
	if (n == 0)
	{
		for (int i = 1; i < 7; i++)
			v[i] = (Datum) 0;
		return;
	}
	v[1] = Float8GetDatum(m[1]);
	isnull[2] = isnull[3] = n < 2;
	v[2] = Float8GetDatum(n < 2 ? 0.0 : sqrt(m[2] / (n - 1)));
	v[3] = Float8GetDatum(n < 2 ? 0.0 : m[2] / (n - 1));
	v[4] = Float8GetDatum(m[2] / n);
	v[5] = Float8GetDatum(m[3]);
	v[6] = Float8GetDatum(m[4]);
}

/*
 * userseg_stats_final(state) RETURNS userseg_stats_result (strict)
 */
Datum
userseg_stats_final(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	TupleDesc	desc;
	Datum		v[7];
	bool		isnull[7];
	int			d;

	if (StatsRead(a, &d) != FMT_SCALAR)
		BadState("userseg_stats", "The state is of the array form.");
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "userseg_stats_final must return a record, please report a bug");
	MomentValues(STATE_V(a) + HDR_SCALAR, v, isnull);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), v, isnull)));
}

/*
 * userseg_stats_array_final(state) RETURNS userseg_stats_arrays (strict): one array
 * per statistic, one element per feature element (NULL where it is not defined)
 */
Datum
userseg_stats_array_final(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	TupleDesc	desc;
	Datum		out[7];
	bool		outnull[7] = {false, false, false, false, false, false, false};
	Datum	   *cols[7];
	bool	   *colnulls[7];
	int			d;
	int			dims[1];
	int			lbs[1] = {1};

	if (StatsRead(a, &d) != FMT_ARRAY)
		BadState("userseg_stats", "The state is of the scalar form.");
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "userseg_stats_array_final must return a record, please report a bug");
	for (int i = 0; i < 7; i++)
	{
		cols[i] = palloc(sizeof(Datum) * d);
		colnulls[i] = palloc(sizeof(bool) * d);
	}
	for (int j = 0; j < d; j++)
	{
		Datum		v[7];
		bool		isnull[7];

		MomentValues(STATE_V(a) + HDR_ARRAY + US_MOMENT_LEN * j, v, isnull);
		for (int i = 0; i < 7; i++)
		{
			cols[i][j] = v[i];
			colnulls[i][j] = isnull[i];
		}
	}
	dims[0] = d;
	out[0] = PointerGetDatum(construct_md_array(cols[0], colnulls[0], 1, dims, lbs, INT8OID,
												sizeof(int64), FLOAT8PASSBYVAL,
												TYPALIGN_DOUBLE));
	for (int i = 1; i < 7; i++)
		out[i] = PointerGetDatum(construct_md_array(cols[i], colnulls[i], 1, dims, lbs,
													FLOAT8OID, sizeof(float8),
													FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), out, outnull)));
}

/* ---- userseg_cluster_stats ---- */

/* Validate a cluster state; sets *d and *m */
static void
ClusterRead(ArrayType *a, int *d, int64 *m)
{
	const double *v;
	int64		len;
	int64		bs;

	if (ARR_ELEMTYPE(a) != FLOAT8OID || ARR_NDIM(a) != 1 || ARR_HASNULL(a))
		BadState("userseg_cluster_stats", "A state is a one-dimensional float8[] without NULL elements.");
	len = ARR_DIMS(a)[0];
	v = STATE_V(a);
	if (len < HDR_CLUSTER || v[0] != FMT_CLUSTER)
		BadState("userseg_cluster_stats", "The state has an unknown format.");
	if (!(v[1] >= 1 && v[1] <= MAX_D && v[1] == floor(v[1])))
		BadState("userseg_cluster_stats", "The state has an invalid number of elements.");
	*d = (int) v[1];
	bs = US_CLUSTER_BLOCK(*d);
	if (!(v[2] >= 1 && v[2] == floor(v[2]) && v[2] <= (double) (len / bs)) ||
		len != HDR_CLUSTER + (int64) v[2] * bs)
		BadState("userseg_cluster_stats", "The state's length does not match its labels.");
	*m = (int64) v[2];
	for (int64 c = 0; c < *m; c++)
	{
		const double *b = v + HDR_CLUSTER + c * bs;

		if (!(b[0] >= PG_INT32_MIN && b[0] <= PG_INT32_MAX && b[0] == floor(b[0]) &&
			  b[0] != US_NOISE) || (c > 0 && !(b[0] > b[-bs])))
			BadState("userseg_cluster_stats", "The state's labels are not valid and ascending.");
		if (!(b[1] >= 1 && b[1] <= 9007199254740992.0 && b[1] == floor(b[1])))
			BadState("userseg_cluster_stats", "The state has an invalid count.");
		if (!(isfinite(b[2]) && b[2] >= 0))
			BadState("userseg_cluster_stats", "The state has an invalid sum of squares.");
		for (int j = 0; j < *d; j++)
			if (!isfinite(b[3 + j]))
				BadState("userseg_cluster_stats", "The state holds a NaN or an Infinity.");
	}
}

/*
 * userseg_cluster_stats_trans(state float8[], features float8[], label int): not
 * strict; rows with NULL features, a NULL element, a NULL label or label -1 are left out
 */
Datum
userseg_cluster_stats_trans(PG_FUNCTION_ARGS)
{
	bool		inagg = AggCheckCallContext(fcinfo, NULL) != 0;
	ArrayType  *x;
	ArrayType  *state;
	double	   *row;
	int			d;
	int64		m;
	int64		pos;
	int32		label;
	bool		found;
	double	   *v;
	int64		bs;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_GETARG_INT32(2) == US_NOISE)
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	x = PG_GETARG_ARRAYTYPE_P(1);
	label = PG_GETARG_INT32(2);
	if (PG_ARGISNULL(0))
	{
		d = UsVectorDims(x);
		if (d > MAX_D)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("userseg_cluster_stats takes arrays of at most %d elements, not %d",
							MAX_D, d)));
		row = palloc(sizeof(double) * d);
		if (!UsVectorToDoublesOrNull(x, d, row, "feature vector"))
			PG_RETURN_NULL();
		state = StateAlloc(HDR_CLUSTER + US_CLUSTER_BLOCK(d), "userseg_cluster_stats");
		v = STATE_V(state);
		v[0] = FMT_CLUSTER;
		v[1] = d;
		v[2] = 1;
		v[HDR_CLUSTER] = label;
		UsClusterAdd(v + HDR_CLUSTER, row, d);
		PG_RETURN_ARRAYTYPE_P(state);
	}
	state = PG_GETARG_ARRAYTYPE_P(0);
	HeaderCheck(state, FMT_CLUSTER, "userseg_cluster_stats");
	if (!inagg)
		ClusterRead(state, &d, &m);
	v = STATE_V(state);
	d = (int) v[1];
	m = (int64) v[2];
	bs = US_CLUSTER_BLOCK(d);
	row = palloc(sizeof(double) * d);
	if (!UsVectorToDoublesOrNull(x, d, row, "feature vector"))
		PG_RETURN_ARRAYTYPE_P(state);
	pos = UsClusterFind(v + HDR_CLUSTER, m, d, label, &found);
	if (found)
	{
		if (!inagg)
		{
			state = StateCopy(state);
			v = STATE_V(state);
		}
	}
	else
	{
		/* a new label: a state one block larger, the block in label order */
		ArrayType  *grown = StateAlloc(HDR_CLUSTER + (m + 1) * bs, "userseg_cluster_stats");
		double	   *g = STATE_V(grown);

		memcpy(g, v, sizeof(double) * (HDR_CLUSTER + pos * bs));
		memcpy(g + HDR_CLUSTER + (pos + 1) * bs, v + HDR_CLUSTER + pos * bs,
			   sizeof(double) * (m - pos) * bs);
		g[2] = m + 1;
		g[HDR_CLUSTER + pos * bs] = label;
		state = grown;
		v = g;
	}
	UsClusterAdd(v + HDR_CLUSTER + pos * bs, row, d);
	if (!isfinite(v[HDR_CLUSTER + pos * bs + 2]))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value out of range: overflow"),
				 errdetail("The inertia of cluster %d is out of the range of float8.", label),
				 errhint("Scale the features first.")));
	PG_RETURN_ARRAYTYPE_P(state);
}

/*
 * userseg_cluster_stats_combine(a float8[], b float8[]) (strict)
 */
Datum
userseg_cluster_stats_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	int			da,
				db;
	int64		ma,
				mb,
				m;
	ArrayType  *out;
	double	   *o;

	ClusterRead(a, &da, &ma);
	ClusterRead(b, &db, &mb);
	if (da != db)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("feature vectors of one group must have the same length"),
				 errdetail("Partial states of %d and %d elements were to be combined.", da, db)));
	out = StateAlloc(HDR_CLUSTER + (ma + mb) * US_CLUSTER_BLOCK(da), "userseg_cluster_stats");
	o = STATE_V(out);
	m = UsClusterMerge(STATE_V(a) + HDR_CLUSTER, ma, STATE_V(b) + HDR_CLUSTER, mb, da,
					   o + HDR_CLUSTER);
	o[0] = FMT_CLUSTER;
	o[1] = da;
	o[2] = m;
	SET_VARSIZE(out, ARR_OVERHEAD_NONULLS(1) +
				sizeof(float8) * (HDR_CLUSTER + m * US_CLUSTER_BLOCK(da)));
	ARR_DIMS(out)[0] = (int) (HDR_CLUSTER + m * US_CLUSTER_BLOCK(da));
	for (int64 c = 0; c < m; c++)
		if (!isfinite(o[HDR_CLUSTER + c * US_CLUSTER_BLOCK(da) + 2]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value out of range: overflow"),
					 errdetail("The inertia of a cluster is out of the range of float8."),
					 errhint("Scale the features first.")));
	PG_RETURN_ARRAYTYPE_P(out);
}

/*
 * userseg_cluster_stats_final(state) RETURNS userseg_cluster_stats_result (strict):
 * clusters, rows, inertia, Calinski-Harabasz (NULL with a NOTICE for fewer than 2
 * clusters or as many clusters as rows, as userseg_calinski_harabasz)
 */
Datum
userseg_cluster_stats_final(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	TupleDesc	desc;
	Datum		v[4];
	bool		isnull[4] = {false, false, false, false};
	int			d;
	int64		m;
	double		rows,
				inertia,
				between;

	ClusterRead(a, &d, &m);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "userseg_cluster_stats_final must return a record, please report a bug");
	UsClusterScores(STATE_V(a) + HDR_CLUSTER, m, d, &rows, &inertia, &between);
	if (!isfinite(inertia) || !isfinite(between))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value out of range: overflow"),
				 errdetail("A dispersion of the clustering is out of the range of float8."),
				 errhint("Scale the features first.")));
	v[0] = Int32GetDatum((int32) m);
	v[1] = Int64GetDatum((int64) rows);
	v[2] = Float8GetDatum(inertia);
	if (m < 2)
	{
		ereport(NOTICE,
				(errmsg("the Calinski-Harabasz score is not applicable: only one cluster or noise"),
				 errdetail("Found " INT64_FORMAT " cluster among %.0f rows after leaving out noise (label -1) and NULLs; the score needs at least 2.",
						   m, rows)));
		isnull[3] = true;
	}
	else if ((double) m >= rows)
	{
		ereport(NOTICE,
				(errmsg("the Calinski-Harabasz score is not applicable: every row is its own cluster"),
				 errdetail("Found " INT64_FORMAT " clusters among %.0f rows; the score needs fewer clusters than rows.",
						   m, rows)));
		isnull[3] = true;
	}
	else
	{
		/* as scikit-learn: 1 when the clusters have no dispersion of their own */
		double		ch = inertia == 0.0 ? 1.0 :
			between * (rows - (double) m) / (inertia * ((double) m - 1.0));

		if (!isfinite(ch))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value out of range: overflow"),
					 errdetail("The Calinski-Harabasz score overflows the range of float8: a dispersion is too close to 0 next to another.")));
		v[3] = Float8GetDatum(ch);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), v, isnull)));
}
