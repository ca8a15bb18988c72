/*-------------------------------------------------------------------------
 *
 * scale.c
 *	  SQL surface of the scalers: the window function userseg_scale, the
 *	  aggregate userseg_scaler_fit and userseg_scale_apply / _inverse.
 *
 * The numbers come from scale_core.c; this file reads arguments, keeps the
 * aggregate's state and builds results.
 *
 * Window form.  userseg_scale reads the whole partition through the data layer
 * (UsWinReadPartition, once per partition), fits on the rows with features and
 * scales that matrix in place; every row then returns its own scaled row.  It
 * reads rows with WinGetFuncArgInPartition, so the frame clause and ORDER BY of
 * the window change nothing but the order of the rows (and with it, for zscore,
 * the rounding of the last bits).
 *
 * Aggregate state.  A float8[] (not internal), so that the partial states of a
 * parallel plan or of Citus workers travel as ordinary arrays and survive a text
 * round trip exactly:
 *
 *	[0] format (1)	[1] method (UsScaleMethod)	[2] d	[3] n (rows counted)
 *	[4...]			zscore: 3 per column (compensated sum, M2; see scale_core.c)
 *					minmax: 2 per column (min, max)
 *					none:	nothing
 *					robust: the n x d values row-major, then unused room
 *
 * The robust state grows geometrically (doubling), so a row costs O(d) amortized;
 * every growth is checked against userseg.memory_limit and the 1 GB limit of an
 * array.  Called as an aggregate (AggCheckCallContext), the transition and
 * combine functions update the state in place; otherwise they work on a copy.
 * Every state that arrives as an argument is validated before use: its values may
 * come from text.
 *
 *-------------------------------------------------------------------------
 */
#include "usmodel.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(userseg_scale);
PG_FUNCTION_INFO_V1(userseg_scaler_fit_trans);
PG_FUNCTION_INFO_V1(userseg_scaler_fit_combine);
PG_FUNCTION_INFO_V1(userseg_scaler_fit_final);
PG_FUNCTION_INFO_V1(userseg_scale_apply);
PG_FUNCTION_INFO_V1(userseg_scale_inverse);

#define STATE_FORMAT	1
#define STATE_HDR		4
#define ROBUST_FIRST_ROWS 8

/* Largest float8[] a varlena can hold */
#define STATE_MAX_LEN \
	((int64) Min((MaxAllocSize - ARR_OVERHEAD_NONULLS(1)) / sizeof(float8), MaxArraySize))

/* Cached per window partition, after the data layer's UsWinData */
typedef struct ScaleWinCache
{
	bool		fitted;
	UsScaleMethod method;
} ScaleWinCache;

/* A validated view of an aggregate state */
typedef struct ScaleState
{
	ArrayType  *a;
	double	   *v;				/* all elements */
	int64		len;			/* elements in the array */
	UsScaleMethod method;
	int			d;
	int64		n;
} ScaleState;

/*
 * Parse the method argument: 22004 for NULL, 22023 for an unknown name
 */
static UsScaleMethod
ParseMethodDatum(Datum d, bool isnull)
{
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("scaling method must not be NULL"),
				 errhint("Valid methods are \"zscore\", \"minmax\", \"robust\" and \"none\".")));
	return UsParseScaleMethod(text_to_cstring(DatumGetTextPP(d)));
}

/* ---------------------------------------------------------------------------
 * Window form
 * ---------------------------------------------------------------------------
 */

/*
 * Fit on the partition's rows and scale them in place
 */
static void
ScalePartition(UsWinData *w, UsScaleMethod method)
{
	MemoryContext runcxt;
	MemoryContext oldcxt;
	UsCore		core;
	double	   *center;
	double	   *scale;

	if (w->m.n == 0)
		return;
	/* the robust fit sorts a copy of one column beside the matrix */
	if (method == US_SCALE_ROBUST)
		UsCheckMemory(UsMatrixBytes(w->m.n, w->m.d + 1), "the robust scaler's fit");

	runcxt = UsRunContextCreate("userseg scale");
	oldcxt = MemoryContextSwitchTo(runcxt);
	UsCoreContextInit(&core);
	center = palloc(sizeof(double) * w->m.d);
	scale = palloc(sizeof(double) * w->m.d);
	UsScaleFitApply(&core, &w->m, method, center, scale);
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(runcxt);
}

/*
 * userseg_scale(features float8[], method text) OVER (...): the row, scaled by a
 * scaler fitted on every row of the partition
 */
Datum
userseg_scale(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	UsScaleMethod method;
	UsWinData  *w;
	ScaleWinCache *cache;
	bool		isnull;
	Datum		md;
	int64		i;

	md = WinGetFuncArgCurrent(winobj, 1, &isnull);
	method = ParseMethodDatum(md, isnull);

	w = UsWinReadPartition(winobj, 0, -1, sizeof(ScaleWinCache), NULL);
	cache = (ScaleWinCache *) UsWinExtra(w);
	if (!cache->fitted)
	{
		ScalePartition(w, method);
		cache->method = method;
		cache->fitted = true;
	}
	else if (cache->method != method)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("scaling method must be the same for every row of a partition"),
				 errdetail("The partition was scaled with \"%s\" and a row asks for \"%s\".",
						   UsScaleMethodName(cache->method), UsScaleMethodName(method))));

	i = w->row_of[WinGetCurrentPosition(winobj)];
	if (i < 0)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(UsDoublesToArray(w->m.x + i * w->m.d, w->m.d));
}

/* ---------------------------------------------------------------------------
 * Aggregate state
 * ---------------------------------------------------------------------------
 */

static void
BadState(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("invalid userseg_scaler_fit state"),
			 errdetail("%s", why)));
}

/*
 * 22003 naming the column whose fit left the range of float8
 */
static void
ScaleOverflow(int j, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("value out of range: overflow"),
			 errdetail("The scaler of column %d is out of the range of float8: %s.", j + 1, why),
			 errhint("Rescale the column, or use the method \"robust\".")));
}

/* 22003 unless every value of the payload of a zscore state is finite */
static void
ZscoreCheckFinite(const double *acc, int d)
{
	for (int j = 0; j < d; j++)
		for (int c = 0; c < US_ZSCORE_ACC_PER_COL; c++)
			if (!isfinite(acc[US_ZSCORE_ACC_PER_COL * j + c]))
				ScaleOverflow(j, "its values are too large to be summed");
}

/* Elements of the payload of a zscore, minmax or none state (robust: per row) */
static int64
PayloadPerColumn(UsScaleMethod method)
{
	switch (method)
	{
		case US_SCALE_ZSCORE:
			return US_ZSCORE_ACC_PER_COL;
		case US_SCALE_MINMAX:
			return US_MINMAX_ACC_PER_COL;
		case US_SCALE_NONE:
			return 0;
		case US_SCALE_ROBUST:
			break;
	}
	elog(ERROR, "unexpected scaling method %d, please report a bug", (int) method);
	pg_unreachable();
}

/* Elements in use: header and payload */
static int64
StateUsed(UsScaleMethod method, int d, int64 n)
{
	if (method == US_SCALE_ROBUST)
		return STATE_HDR + n * d;	/* n * d < STATE_MAX_LEN, validated */
	return STATE_HDR + PayloadPerColumn(method) * d;
}

/*
 * A new zeroed state of len elements, allocated in the current memory context
 */
static ArrayType *
StateAlloc(int64 len, const char *what)
{
	ArrayType  *a;
	Size		bytes;

	if (len > STATE_MAX_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s would exceed the largest array of 1 GB", what),
				 errdetail("It would hold " INT64_FORMAT " values.", len),
				 errhint("Fit the robust scaler on fewer rows or columns, or use \"zscore\" or \"minmax\".")));
	bytes = ARR_OVERHEAD_NONULLS(1) + (Size) len * sizeof(float8);
	UsCheckMemory(bytes, what);
	a = (ArrayType *) palloc0(bytes);
	SET_VARSIZE(a, bytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = FLOAT8OID;
	ARR_DIMS(a)[0] = (int) len;
	ARR_LBOUND(a)[0] = 1;
	return a;
}

/*
 * Validate a state that arrives as an argument; check_values also checks that
 * every value in use is finite
 */
static void
StateRead(ArrayType *a, ScaleState *s, bool check_values)
{
	double	   *v;
	double		fmt,
				method,
				d,
				n;
	int64		used;

	if (ARR_ELEMTYPE(a) != FLOAT8OID || ARR_NDIM(a) != 1 || ARR_HASNULL(a))
		BadState("A state is a one-dimensional float8[] without NULL elements.");
	s->a = a;
	s->len = ARR_DIMS(a)[0];
	if (s->len < STATE_HDR)
		BadState("The state is shorter than its header.");
	v = (double *) ARR_DATA_PTR(a);
	s->v = v;
	fmt = v[0];
	method = v[1];
	d = v[2];
	n = v[3];
	if (fmt != STATE_FORMAT)
		BadState("The state has an unknown format.");
	if (!(method == US_SCALE_NONE || method == US_SCALE_ZSCORE ||
		  method == US_SCALE_MINMAX || method == US_SCALE_ROBUST))
		BadState("The state has an unknown method.");
	if (!(d >= 1 && d <= (double) STATE_MAX_LEN && d == floor(d)))
		BadState("The state has an invalid number of columns.");
	if (!(n >= 1 && n <= (double) STATE_MAX_LEN && n == floor(n)))
		BadState("The state has an invalid number of rows.");
	s->method = (UsScaleMethod) (int) method;
	s->d = (int) d;
	s->n = (int64) n;
	if (s->method == US_SCALE_ROBUST)
	{
		if ((double) s->n * (double) s->d > (double) (STATE_MAX_LEN - STATE_HDR))
			BadState("The state is shorter than its rows.");
		used = StateUsed(s->method, s->d, s->n);
		if (s->len < used)
			BadState("The state is shorter than its rows.");
	}
	else
	{
		used = StateUsed(s->method, s->d, s->n);
		if (s->len != used)
			BadState("The state's length does not match its number of columns.");
	}
	if (check_values)
	{
		for (int64 k = STATE_HDR; k < used; k++)
			if (!isfinite(v[k]))
				BadState("The state holds a NaN or an Infinity.");
		if (s->method == US_SCALE_ZSCORE)
			for (int j = 0; j < s->d; j++)
				if (v[STATE_HDR + 3 * j + 2] < 0)
					BadState("The state holds a negative sum of squares.");
	}
}

/* Copy a state into a new array of at least len elements (unused room zeroed) */
static ArrayType *
StateCopy(const ScaleState *s, int64 len, const char *what)
{
	int64		used = StateUsed(s->method, s->d, s->n);
	ArrayType  *a = StateAlloc(Max(len, s->len), what);

	memcpy(ARR_DATA_PTR(a), s->v, sizeof(double) * used);
	return a;
}

/* Elements a robust state needs to grow to for rows more rows (doubling) */
static int64
RobustGrowTo(const ScaleState *s, int64 rows)
{
	int64		need = StateUsed(US_SCALE_ROBUST, s->d, s->n) + rows * s->d;
	int64		len = s->len;

	if (need <= len)
		return len;
	while (len < need && len < STATE_MAX_LEN)
		len = Min(len * 2, STATE_MAX_LEN);
	return Max(len, need);		/* over the limit: StateAlloc reports it */
}

/* A new state of the method for rows of d features, with no rows yet */
static void
StateNew(ScaleState *s, UsScaleMethod method, int d)
{
	int64		len;

	if (method == US_SCALE_ROBUST)
		len = STATE_HDR + (int64) ROBUST_FIRST_ROWS * d;
	else
		len = StateUsed(method, d, 0);
	s->a = StateAlloc(len, "the scaler's state");
	s->v = (double *) ARR_DATA_PTR(s->a);
	s->v[0] = STATE_FORMAT;
	s->v[1] = (double) method;
	s->v[2] = d;
	s->v[3] = 0;
	s->len = len;
	s->method = method;
	s->d = d;
	s->n = 0;
}

/* Add one row to a state that has room for it */
static void
StateAddRow(ScaleState *s, const double *row)
{
	switch (s->method)
	{
		case US_SCALE_ZSCORE:
			UsZscoreAccAdd(s->v + STATE_HDR, s->n, row, s->d);
			ZscoreCheckFinite(s->v + STATE_HDR, s->d);
			break;
		case US_SCALE_MINMAX:
			UsMinmaxAccAdd(s->v + STATE_HDR, s->n, row, s->d);
			break;
		case US_SCALE_ROBUST:
			memcpy(s->v + StateUsed(s->method, s->d, s->n), row, sizeof(double) * s->d);
			break;
		case US_SCALE_NONE:
			break;
	}
	s->n++;
	s->v[3] = (double) s->n;
}

/*
 * userseg_scaler_fit_trans(state float8[], features float8[] [, method text])
 *
 * Not strict: the state starts NULL and is created at the first row with
 * features; rows whose features are NULL or hold a NULL element are left out.
 */
Datum
userseg_scaler_fit_trans(PG_FUNCTION_ARGS)
{
	bool		inagg = AggCheckCallContext(fcinfo, NULL) != 0;
	UsScaleMethod method = US_SCALE_ZSCORE;
	ArrayType  *features;
	ArrayType  *result;
	ScaleState	s;
	double	   *row;

	/* parse */
	if (PG_NARGS() >= 3)
		method = ParseMethodDatum(PG_GETARG_DATUM(2), PG_ARGISNULL(2));
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	features = PG_GETARG_ARRAYTYPE_P(1);

	/* the first row: a new state (nodeAgg copies it into its context) */
	if (PG_ARGISNULL(0))
	{
		int			d = UsVectorDims(features);

		row = palloc(sizeof(double) * d);
		if (!UsVectorToDoublesOrNull(features, d, row, "feature vector"))
			PG_RETURN_NULL();
		StateNew(&s, method, d);
		StateAddRow(&s, row);
		PG_RETURN_ARRAYTYPE_P(s.a);
	}

	/* a later row: check, make room (in place inside an aggregate), add */
	StateRead(PG_GETARG_ARRAYTYPE_P(0), &s, false);
	if (s.method != method)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("scaling method must be the same for every row of a group"),
				 errdetail("The group started with \"%s\" and a row asks for \"%s\".",
						   UsScaleMethodName(s.method), UsScaleMethodName(method))));
	row = palloc(sizeof(double) * s.d);
	if (!UsVectorToDoublesOrNull(features, s.d, row, "feature vector"))
		PG_RETURN_ARRAYTYPE_P(s.a);
	if (s.method == US_SCALE_ROBUST && s.len < StateUsed(s.method, s.d, s.n + 1))
		result = StateCopy(&s, RobustGrowTo(&s, 1), "the robust scaler's state");
	else if (!inagg)
		result = StateCopy(&s, s.len, "the scaler's state");
	else
		result = s.a;			/* update in place */
	s.a = result;
	s.v = (double *) ARR_DATA_PTR(result);
	s.len = ARR_DIMS(result)[0];
	StateAddRow(&s, row);
	PG_RETURN_ARRAYTYPE_P(s.a);
}

/*
 * userseg_scaler_fit_combine(a float8[], b float8[]): b merged into a (strict)
 */
Datum
userseg_scaler_fit_combine(PG_FUNCTION_ARGS)
{
	bool		inagg = AggCheckCallContext(fcinfo, NULL) != 0;
	ScaleState	a;
	ScaleState	b;
	ArrayType  *result;

	StateRead(PG_GETARG_ARRAYTYPE_P(1), &b, true);
	StateRead(PG_GETARG_ARRAYTYPE_P(0), &a, false);
	if (a.method != b.method)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("scaling method must be the same for every row of a group"),
				 errdetail("Partial fits with \"%s\" and \"%s\" were to be combined.",
						   UsScaleMethodName(a.method), UsScaleMethodName(b.method))));
	if (a.d != b.d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("feature vectors of one group must have the same length"),
				 errdetail("Partial fits of %d and %d columns were to be combined.", a.d, b.d)));
	if ((double) a.n + (double) b.n > (double) STATE_MAX_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many rows for userseg_scaler_fit")));

	if (a.method == US_SCALE_ROBUST &&
		a.len < StateUsed(a.method, a.d, a.n) + b.n * (int64) b.d)
		result = StateCopy(&a, RobustGrowTo(&a, b.n), "the robust scaler's state");
	else if (!inagg)
		result = StateCopy(&a, a.len, "the scaler's state");
	else
		result = a.a;
	a.v = (double *) ARR_DATA_PTR(result);

	switch (a.method)
	{
		case US_SCALE_ZSCORE:
			UsZscoreAccCombine(a.v + STATE_HDR, a.n, b.v + STATE_HDR, b.n, a.d);
			ZscoreCheckFinite(a.v + STATE_HDR, a.d);
			break;
		case US_SCALE_MINMAX:
			UsMinmaxAccCombine(a.v + STATE_HDR, a.n, b.v + STATE_HDR, b.n, a.d);
			break;
		case US_SCALE_ROBUST:
			memcpy(a.v + StateUsed(a.method, a.d, a.n), b.v + STATE_HDR,
				   sizeof(double) * b.n * b.d);
			break;
		case US_SCALE_NONE:
			break;
	}
	a.v[3] = (double) (a.n + b.n);
	PG_RETURN_ARRAYTYPE_P(result);
}

/*
 * userseg_scaler_fit_final(state float8[]) RETURNS userseg_scaler (strict)
 */
Datum
userseg_scaler_fit_final(PG_FUNCTION_ARGS)
{
	ScaleState	s;
	TupleDesc	tupdesc;
	double	   *center;
	double	   *scale;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	StateRead(PG_GETARG_ARRAYTYPE_P(0), &s, true);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "userseg_scaler_fit_final must return a composite, please report a bug");
	tupdesc = BlessTupleDesc(tupdesc);

	center = palloc(sizeof(double) * s.d);
	scale = palloc(sizeof(double) * s.d);
	switch (s.method)
	{
		case US_SCALE_ZSCORE:
			UsZscoreAccFinish(s.v + STATE_HDR, s.n, s.d, center, scale);
			break;
		case US_SCALE_MINMAX:
			UsMinmaxAccFinish(s.v + STATE_HDR, s.d, center, scale);
			break;
		case US_SCALE_ROBUST:
			{
				/* the state stays as it is: a window aggregate may go on with it */
				double	   *col = UsAllocChecked(sizeof(double) * s.n,
												 "the robust scaler's fit");
				const double *x = s.v + STATE_HDR;
				UsCore		core;

				UsCoreContextInit(&core);
				for (int j = 0; j < s.d; j++)
				{
					CHECK_FOR_INTERRUPTS();
					for (int64 i = 0; i < s.n; i++)
					{
						col[i] = x[i * s.d + j];
						if (i % (US_CHECK_EVERY * 16) == 0)
							CHECK_FOR_INTERRUPTS();
					}
					/* an interruptible sort (sort_core.c) */
					UsRobustColumn(&core, col, s.n, &center[j], &scale[j]);
				}
				pfree(col);
			}
			break;
		case US_SCALE_NONE:
			for (int j = 0; j < s.d; j++)
			{
				center[j] = 0.0;
				scale[j] = 1.0;
			}
			break;
	}
	for (int j = 0; j < s.d; j++)
		if (!isfinite(center[j]) || !isfinite(scale[j]))
			ScaleOverflow(j, isfinite(center[j]) ? "its spread overflows" :
						  "its center overflows");

	values[0] = CStringGetTextDatum(UsScaleMethodName(s.method));
	values[1] = Int64GetDatum(s.n);
	values[2] = PointerGetDatum(UsDoublesToArray(center, s.d));
	values[3] = PointerGetDatum(UsDoublesToArray(scale, s.d));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---------------------------------------------------------------------------
 * Apply a stored scaler
 * ---------------------------------------------------------------------------
 */

/*
 * Read center and scale of a userseg_scaler value; check them and the features.
 * Returns the length d; x, center and scale get d doubles each.
 */
static int
ApplyArgs(FunctionCallInfo fcinfo, double **x, double **center, double **scale)
{
	ArrayType  *features = PG_GETARG_ARRAYTYPE_P(0);
	HeapTupleHeader th = PG_GETARG_HEAPTUPLEHEADER(1);
	const char *names[2] = {"center", "scale"};
	double	   *out[2];
	int			d = UsVectorDims(features);
	int			dims[2];
	bool		isnull;

	for (int k = 0; k < 2; k++)
	{
		Datum		v = GetAttributeByName(th, names[k], &isnull);
		ArrayType  *a;

		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the scaler's %s must not be NULL", names[k])));
		a = DatumGetArrayTypeP(v);
		dims[k] = UsVectorDims(a);
		out[k] = palloc(sizeof(double) * dims[k]);
		UsVectorToDoubles(a, dims[k], out[k],
						  k == 0 ? "the scaler's center" : "the scaler's scale");
	}
	if (dims[0] != dims[1])
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the scaler's center and scale must have the same length"),
				 errdetail("The center has %d elements and the scale %d.", dims[0], dims[1])));
	if (d != dims[0])
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("feature vector has %d elements but the scaler has %d", d, dims[0]),
				 errdetail("A scaler applies to vectors of the length it was fitted on.")));
	UsCheckScale(out[1], d, "the scaler's scale");
	*x = palloc(sizeof(double) * d);
	UsVectorToDoubles(features, d, *x, "feature vector");
	*center = out[0];
	*scale = out[1];
	return d;
}

/* The result as a float8[]; 22003 if a value left the range of float8 */
static Datum
ApplyResult(const double *x, int d)
{
	for (int j = 0; j < d; j++)
		if (!isfinite(x[j]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value out of range: overflow"),
					 errdetail("Element %d of the result is out of the range of float8.", j + 1)));
	return PointerGetDatum(UsDoublesToArray(x, d));
}

/*
 * userseg_scale_apply(features float8[], scaler userseg_scaler): (x - center) / scale
 */
Datum
userseg_scale_apply(PG_FUNCTION_ARGS)
{
	UsMatrix	m;
	double	   *center;
	double	   *scale;

	m.d = ApplyArgs(fcinfo, &m.x, &center, &scale);
	m.n = 1;
	UsScaleApply(&m, center, scale);
	PG_RETURN_DATUM(ApplyResult(m.x, m.d));
}

/*
 * userseg_scale_inverse(features float8[], scaler userseg_scaler): x * scale + center
 */
Datum
userseg_scale_inverse(PG_FUNCTION_ARGS)
{
	UsMatrix	m;
	double	   *center;
	double	   *scale;

	m.d = ApplyArgs(fcinfo, &m.x, &center, &scale);
	m.n = 1;
	UsScaleInverse(&m, center, scale);
	PG_RETURN_DATUM(ApplyResult(m.x, m.d));
}
