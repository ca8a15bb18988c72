/*-------------------------------------------------------------------------
 *
 * kmeans_step.c
 *	  SQL surface of the aggregate userseg_kmeans_step(features, centers): one
 *	  Lloyd iteration of K-Means over the rows of a group, with a state that
 *	  parallel query and Citus can ship between processes.
 *
 * The numbers come from kmeans_step_core.c; this file reads the arguments, keeps the
 * state and forms the result.
 *
 * State.  A float8[] (the accumulator of kmeans_step_core.c), not internal: partial
 * states of a parallel plan travel as ordinary arrays, and Citus, which ships partial
 * states as text through the state type's output and input functions, gets them back
 * bit for bit (float8 text output in PostgreSQL 15 is the shortest text that reads
 * back as the same double, unless extra_float_digits is set below 1).  Called as an
 * aggregate (AggCheckCallContext), the transition and combine functions update the
 * state in place; otherwise they work on a copy.  Every state that arrives as an
 * argument of the combine or final function is validated first (UsStepCheck): its
 * values may come from text.
 *
 * Per row: the centers argument is compared with the state's (a memcmp of k x d
 * doubles, less than the k x d distance computations), because one group must be
 * assigned to one set of centers.
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

PG_FUNCTION_INFO_V1(userseg_kmeans_step_trans);
PG_FUNCTION_INFO_V1(userseg_kmeans_step_combine);
PG_FUNCTION_INFO_V1(userseg_kmeans_step_final);

/* Scratch kept with the calling expression: one row and its distances */
typedef struct StepScratch
{
	int			d;
	int			kp;
	double	   *row;			/* d */
	double	   *alld;			/* kp */
	double	   *ct;				/* kp x d, for checking states */
} StepScratch;

static StepScratch *
GetScratch(FunctionCallInfo fcinfo, int k, int d)
{
	StepScratch *s = (StepScratch *) fcinfo->flinfo->fn_extra;
	int			kp = (k + US_BLOCK - 1) / US_BLOCK * US_BLOCK;

	if (s == NULL || s->d != d || s->kp != kp)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (s == NULL)
			s = palloc0(sizeof(StepScratch));
		else
		{
			pfree(s->row);
			pfree(s->alld);
			pfree(s->ct);
		}
		s->d = d;
		s->kp = kp;
		s->row = palloc(sizeof(double) * d);
		s->alld = palloc(sizeof(double) * kp);
		s->ct = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * (Size) kp * d);
		fcinfo->flinfo->fn_extra = s;
		MemoryContextSwitchTo(old);
	}
	return s;
}

static void
BadState(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("invalid userseg_kmeans_step state"),
			 errdetail("%s", why),
			 errhint("A state is what userseg_kmeans_step_trans or userseg_kmeans_step_combine returned.")));
}

/* A validated view of a state argument */
static void
StateRead(FunctionCallInfo fcinfo, ArrayType *a, UsStepView *v)
{
	const double *s;
	int64		len;
	const char *why;
	int			k,
				d;

	if (ARR_ELEMTYPE(a) != FLOAT8OID || ARR_NDIM(a) != 1 || ARR_HASNULL(a))
		BadState("A state is a one-dimensional float8[] without NULL elements.");
	len = ARR_DIMS(a)[0];
	s = (const double *) ARR_DATA_PTR(a);
	if (len < US_STEP_HDR)
		BadState("The state is shorter than its header.");
	k = (s[1] >= 1 && s[1] <= US_STEP_MAX_K) ? (int) s[1] : 1;
	d = (s[2] >= 1 && s[2] <= US_STEP_MAX_D) ? (int) s[2] : 1;
	why = UsStepCheck(s, len, GetScratch(fcinfo, k, d)->ct);
	if (why)
		BadState(why);
	UsStepLayout((double *) s, v);
}

/*
 * The header of a state that the aggregate passes back: checked on every row (O(1)),
 * because an aggregate defined with this transition function and an INITCOND could
 * hand it any array, and the layout must fit the array before anything is read
 */
static void
StateHeaderCheck(ArrayType *a)
{
	const double *s;

	if (ARR_ELEMTYPE(a) != FLOAT8OID || ARR_NDIM(a) != 1 || ARR_HASNULL(a) ||
		ARR_DIMS(a)[0] < US_STEP_HDR)
		BadState("A state is a one-dimensional float8[] without NULL elements.");
	s = (const double *) ARR_DATA_PTR(a);
	if (s[0] != US_STEP_FORMAT ||
		!(s[1] >= 1 && s[1] <= US_STEP_MAX_K && s[1] == floor(s[1])) ||
		!(s[2] >= 1 && s[2] <= US_STEP_MAX_D && s[2] == floor(s[2])) ||
		ARR_DIMS(a)[0] != UsStepLength((int) s[1], (int) s[2]))
		BadState("The state's header does not match its length.");
}

/* A new state of k x d centers in the current memory context */
static ArrayType *
StateNew(const double *centers, int k, int d)
{
	int64		len = UsStepLength(k, d);
	Size		bytes = ARR_OVERHEAD_NONULLS(1) + (Size) len * sizeof(float8);
	ArrayType  *a;

	if (bytes > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the state of userseg_kmeans_step for %d centers of %d columns would exceed the largest array of 1 GB",
						k, d),
				 errhint("Use fewer centers or columns.")));
	a = (ArrayType *) palloc0(bytes);
	SET_VARSIZE(a, bytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = FLOAT8OID;
	ARR_DIMS(a)[0] = (int) len;
	ARR_LBOUND(a)[0] = 1;
	UsStepInit((double *) ARR_DATA_PTR(a), centers, k, d);
	return a;
}

/* A copy of a state in the current memory context */
static ArrayType *
StateCopy(ArrayType *a)
{
	ArrayType  *c = palloc(VARSIZE(a));

	memcpy(c, a, VARSIZE(a));
	return c;
}

/*
 * The centers argument: a k x d float8[][] without NULLs or non-finite values
 */
static const double *
CentersArg(FunctionCallInfo fcinfo, int argno, int *k, int *d)
{
	ArrayType  *a;
	const double *x;
	int			nitems;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("centers must not be NULL"),
				 errhint("Give the centers as a k x d array, ARRAY[[x1, y1], [x2, y2], ...].")));
	a = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(a) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("centers must be a two-dimensional array of k rows of centers"),
				 errdetail("An array of %d dimensions was given.", ARR_NDIM(a)),
				 errhint("Give the centers as a k x d array, ARRAY[[x1, y1], [x2, y2], ...].")));
	*k = ARR_DIMS(a)[0];
	*d = ARR_DIMS(a)[1];
	if (*k < 1 || *k > US_STEP_MAX_K || *d > US_STEP_MAX_D)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("centers must have 1 to %d rows of 1 to %d columns", US_STEP_MAX_K,
						US_STEP_MAX_D),
				 errdetail("An array of %d x %d was given.", *k, *d)));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("centers must not contain NULL elements")));
	x = (const double *) ARR_DATA_PTR(a);
	nitems = *k * *d;
	for (int i = 0; i < nitems; i++)
		if (!isfinite(x[i]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("centers must not contain NaN or Infinity")));
	return x;
}

/*
 * userseg_kmeans_step_trans(state float8[], features float8[], centers float8[])
 *
 * Not strict: the state starts NULL and is created at the first row with features;
 * rows whose features are NULL or hold a NULL element are left out.
 */
Datum
userseg_kmeans_step_trans(PG_FUNCTION_ARGS)
{
	bool		inagg = AggCheckCallContext(fcinfo, NULL) != 0;
	const double *centers;
	int			k,
				d;
	ArrayType  *features;
	ArrayType  *state;
	UsStepView	v;
	StepScratch *scratch;

	/* parse, check */
	centers = CentersArg(fcinfo, 2, &k, &d);
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	features = PG_GETARG_ARRAYTYPE_P(1);
	scratch = GetScratch(fcinfo, k, d);
	if (!UsVectorToDoublesOrNull(features, d, scratch->row, "feature vector"))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}

	/* the first row: a new state (nodeAgg copies it into its context) */
	if (PG_ARGISNULL(0))
		state = StateNew(centers, k, d);
	else
	{
		state = PG_GETARG_ARRAYTYPE_P(0);
		StateHeaderCheck(state);
		if (!inagg)
		{
			StateRead(fcinfo, state, &v);
			state = StateCopy(state);
		}
	}
	UsStepLayout((double *) ARR_DATA_PTR(state), &v);
	if (v.k != k || v.d != d ||
		memcmp(v.centers, centers, sizeof(double) * (Size) k * d) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("centers must be the same for every row of a group"),
				 errdetail("The group started with %d x %d centers and a row gives %s.",
						   v.k, v.d, (v.k == k && v.d == d) ? "other values" :
						   psprintf("%d x %d", k, d))));

	/* run */
	UsStepAdd(&v, scratch->row, scratch->alld);
	PG_RETURN_ARRAYTYPE_P(state);
}

/*
 * userseg_kmeans_step_combine(a float8[], b float8[]): b added into a (strict)
 */
Datum
userseg_kmeans_step_combine(PG_FUNCTION_ARGS)
{
	bool		inagg = AggCheckCallContext(fcinfo, NULL) != 0;
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	UsStepView	va,
				vb;

	StateRead(fcinfo, b, &vb);
	StateRead(fcinfo, a, &va);
	if (!UsStepSameCenters(&va, &vb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("centers must be the same for every row of a group"),
				 errdetail("Partial states of %d x %d and %d x %d centers, or of other values, were to be combined.",
						   va.k, va.d, vb.k, vb.d)));
	if (!inagg)
	{
		a = StateCopy(a);
		UsStepLayout((double *) ARR_DATA_PTR(a), &va);
	}
	UsStepCombine(&va, &vb);
	if (!isfinite(va.s[4]))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value out of range: overflow"),
				 errdetail("The inertia of the combined states is out of the range of float8.")));
	PG_RETURN_ARRAYTYPE_P(a);
}

/*
 * userseg_kmeans_step_final(state float8[]) RETURNS userseg_kmeans_step_result (strict):
 * the new centers (the means; an empty center keeps its value), the rows per center,
 * the inertia with respect to the given centers, and the rows
 */
Datum
userseg_kmeans_step_final(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	UsStepView	v;
	TupleDesc	desc;
	Datum		values[4];
	bool		isnull[4] = {false, false, false, false};
	double	   *means;
	Datum	   *elems;
	Datum	   *sizes;
	int			dims[2];
	int			lbs[2] = {1, 1};

	StateRead(fcinfo, a, &v);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "userseg_kmeans_step_final must return a record, please report a bug");
	for (int64 i = 0; i < (int64) v.k * v.d; i++)
		if (!isfinite(v.sums[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value out of range: overflow"),
					 errdetail("The sum of the rows of center %d is out of the range of float8.",
							   (int) (i / v.d) + 1)));
	if (!isfinite(v.s[4]))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value out of range: overflow"),
				 errdetail("The inertia is out of the range of float8.")));
	means = palloc(sizeof(double) * (Size) v.k * v.d);
	UsStepMeans(&v, means);
	elems = palloc(sizeof(Datum) * (Size) v.k * v.d);
	for (int64 i = 0; i < (int64) v.k * v.d; i++)
		elems[i] = Float8GetDatum(means[i]);
	dims[0] = v.k;
	dims[1] = v.d;
	sizes = palloc(sizeof(Datum) * v.k);
	for (int c = 0; c < v.k; c++)
		sizes[c] = Int64GetDatum((int64) v.counts[c]);
	values[0] = PointerGetDatum(construct_md_array(elems, NULL, 2, dims, lbs, FLOAT8OID,
												   sizeof(float8), FLOAT8PASSBYVAL,
												   TYPALIGN_DOUBLE));
	values[1] = PointerGetDatum(construct_array(sizes, v.k, INT8OID, sizeof(int64),
												FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[2] = Float8GetDatum(v.s[4]);
	values[3] = Int64GetDatum((int64) v.s[3]);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, isnull)));
}
