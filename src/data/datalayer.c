/*-------------------------------------------------------------------------
 *
 * datalayer.c
 *	  Input and output: option names, the memory budget, feature vectors and
 *	  window partitions turned into contiguous matrices; materialized set results.
 *
 * Relations read through SPI are in relation.c.
 *
 *-------------------------------------------------------------------------
 */
#include "usdata.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "common/int.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

/*
 * Parse a NULL policy name
 */
UsNullPolicy
UsParseNullPolicy(const char *name)
{
	if (strcmp(name, "skip") == 0)
		return US_NULLS_SKIP;
	if (strcmp(name, "impute") == 0)
		return US_NULLS_IMPUTE;
	if (strcmp(name, "error") == 0)
		return US_NULLS_ERROR;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown NULL policy \"%s\"", name),
			 errhint("Valid policies are \"skip\", \"impute\" and \"error\".")));
	pg_unreachable();
}

/*
 * Parse a scaling method name
 */
UsScaleMethod
UsParseScaleMethod(const char *name)
{
	if (strcmp(name, "zscore") == 0)
		return US_SCALE_ZSCORE;
	if (strcmp(name, "minmax") == 0)
		return US_SCALE_MINMAX;
	if (strcmp(name, "robust") == 0)
		return US_SCALE_ROBUST;
	if (strcmp(name, "none") == 0)
		return US_SCALE_NONE;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown scaling method \"%s\"", name),
			 errhint("Valid methods are \"zscore\", \"minmax\", \"robust\" and \"none\".")));
	pg_unreachable();
}

const char *
UsScaleMethodName(UsScaleMethod method)
{
	switch (method)
	{
		case US_SCALE_ZSCORE:
			return "zscore";
		case US_SCALE_MINMAX:
			return "minmax";
		case US_SCALE_ROBUST:
			return "robust";
		case US_SCALE_NONE:
			return "none";
	}
	elog(ERROR, "unknown scaling method %d, please report a bug", (int) method);
	pg_unreachable();
}

/*
 * Bytes of an n x d matrix of doubles, overflow-checked
 */
Size
UsMatrixBytes(int64 n, int d)
{
	int64		cells;
	int64		bytes;

	if (n < 0 || d < 0 ||
		pg_mul_s64_overflow(n, (int64) d, &cells) ||
		pg_mul_s64_overflow(cells, (int64) sizeof(double), &bytes) ||
		(uint64) bytes > (uint64) SIZE_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a matrix of " INT64_FORMAT " rows and %d columns is too large", n, d)));
	return (Size) bytes;
}

/*
 * One memory budget per operation
 *
 * userseg.memory_limit bounds what one operation (a table form call, one window
 * partition, the final function of a score) holds at once.  The budget is tied to the
 * operation's run context (UsRunContextCreate): what the run holds is the memory
 * allocated in that context and its children, as the allocator counts it
 * (MemoryContextMemAllocated), so memory given back (a sweep's fit of the previous k, a
 * reset batch) no longer counts and nothing is counted twice.  Before every allocation
 * that grows with the data (UsAllocChecked, UsAllocMatrix, the numeric core's allocator)
 * and before work whose size is known in advance (UsCheckMemory), the request plus what
 * is held must fit in the limit.  The budget ends when its run context is deleted or
 * reset, on success or on error; run contexts created meanwhile (nested) share it.
 * Outside a run context a request is compared with the limit alone.
 */
typedef struct UsBudget
{
	MemoryContext owner;		/* the run context that started it */
	MemoryContextCallback cb;
} UsBudget;

static UsBudget *us_budget = NULL;

static void
UsBudgetEnd(void *arg)
{
	if (us_budget == (UsBudget *) arg)
		us_budget = NULL;
}

/*
 * Start the budget of an operation in its new run context (UsRunContextCreate); nested
 * run contexts (a sweep's fits) share the budget of the first.
 */
MemoryContext
UsRunContextStart(MemoryContext cxt)
{
	if (us_budget == NULL)
	{
		UsBudget   *b = MemoryContextAllocZero(cxt, sizeof(UsBudget));

		b->owner = cxt;
		b->cb.func = UsBudgetEnd;
		b->cb.arg = b;
		MemoryContextRegisterResetCallback(cxt, &b->cb);
		us_budget = b;
	}
	return cxt;
}

/* Bytes the operation holds now (0 outside a run context) */
Size
UsBudgetUsed(void)
{
	return us_budget ? MemoryContextMemAllocated(us_budget->owner, true) : 0;
}

static char *
UsPrettySize(uint64 bytes)
{
	/* pg_size_pretty returns text, not a C string */
	return TextDatumGetCString(DirectFunctionCall1(pg_size_pretty, Int64GetDatum((int64) bytes)));
}

/*
 * 54000 unless bytes more fit in the operation's budget, next to what it holds
 */
void
UsCheckMemory(Size bytes, const char *what)
{
	uint64		limit = UsMemoryLimitBytes();
	uint64		used = UsBudgetUsed();

	if ((uint64) bytes <= limit && used <= limit - (uint64) bytes)
		return;
	if (used > 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s needs %s of memory, more than userseg.memory_limit (%s)",
						what, UsPrettySize((uint64) bytes + used), UsPrettySize(limit)),
				 errdetail("The operation already holds %s and asks for %s more.",
						   UsPrettySize(used), UsPrettySize(bytes)),
				 errhint("Raise userseg.memory_limit, or use fewer rows or columns.")));
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("%s needs %s of memory, more than userseg.memory_limit (%s)",
					what, UsPrettySize(bytes), UsPrettySize(limit)),
			 errhint("Raise userseg.memory_limit, or use fewer rows or columns.")));
}

/*
 * 54000 for data that grows as rows are read and reached the limit before the last
 * row: the total is not known, so say how far the read got
 */
void
UsBudgetFailGrowing(int64 rows, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("%s needs more memory than userseg.memory_limit (%s)",
					what, UsPrettySize(UsMemoryLimitBytes())),
			 errdetail("The operation held %s after reading " INT64_FORMAT " rows, and more rows followed.",
					   UsPrettySize(UsBudgetUsed()), rows),
			 errhint("Raise userseg.memory_limit, or use fewer rows or columns.")));
}

/*
 * Check the budget, then allocate zeroed memory in the current context
 */
void *
UsAllocChecked(Size bytes, const char *what)
{
	UsCheckMemory(bytes, what);
	return MemoryContextAllocExtended(CurrentMemoryContext, Max(bytes, 1),
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

double *
UsAllocMatrix(int64 n, int d, const char *what)
{
	return (double *) UsAllocChecked(UsMatrixBytes(n, d), what);
}

/*
 * The numeric core's allocator: the current memory context, within the operation's
 * budget
 */
static void *
CoreAlloc(void *arg, size_t size)
{
	UsCheckMemory(size, "the algorithm's working arrays");
	return MemoryContextAllocExtended(CurrentMemoryContext, Max(size, 1),
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

static void
CoreRelease(void *arg, void *ptr)
{
	pfree(ptr);
}

static void
CoreCheck(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

/*
 * Whether CHECK_FOR_INTERRUPTS would do something now: read on the backend's thread
 * while the core's worker threads run (parallel_core.c), handles nothing
 */
static bool
CorePending(void *arg)
{
	return INTERRUPTS_PENDING_CONDITION() && INTERRUPTS_CAN_BE_PROCESSED();
}

static void
CoreProgress(void *arg, const char *msg)
{
	if (userseg_progress)
		ereport(NOTICE, (errmsg_internal("%s", msg)));
}

/*
 * Initialize a core context that allocates in the current memory context
 */
void
UsCoreContextInit(UsCore *core)
{
	core->alloc = CoreAlloc;
	core->release = CoreRelease;
	core->check = CoreCheck;
	core->progress = CoreProgress;
	core->arg = NULL;
	core->workers = userseg_max_workers;
	core->pending = CorePending;
}

/*
 * Length of a feature vector
 */
int
UsVectorDims(ArrayType *a)
{
	int			nitems;

	if (ARR_ELEMTYPE(a) != FLOAT8OID)
		elog(ERROR, "feature vectors must be float8[], please report a bug");
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("feature vectors must be one-dimensional arrays"),
				 errdetail("An array of %d dimensions was given.", ARR_NDIM(a))));
	nitems = ARR_NDIM(a) == 0 ? 0 : ARR_DIMS(a)[0];
	if (nitems < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("feature vectors must not be empty")));
	return nitems;
}

/*
 * Copy a feature vector, or return false if it has a NULL element
 */
bool
UsVectorToDoublesOrNull(ArrayType *a, int d, double *out, const char *what)
{
	int			len = UsVectorDims(a);
	const double *src;

	if (len != d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s has %d elements where %d were expected", what, len, d),
				 errdetail("All feature vectors of one call must have the same length.")));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		return false;
	src = (const double *) ARR_DATA_PTR(a);
	for (int j = 0; j < d; j++)
	{
		if (unlikely(!isfinite(src[j])))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s must not contain NaN or Infinity", what),
					 errdetail("Element %d is %s.", j + 1,
							   isnan(src[j]) ? "NaN" : (src[j] > 0 ? "Infinity" : "-Infinity"))));
		out[j] = src[j];
	}
	return true;
}

/*
 * Copy a feature vector that must not have NULL elements
 */
void
UsVectorToDoubles(ArrayType *a, int d, double *out, const char *what)
{
	if (!UsVectorToDoublesOrNull(a, d, out, what))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain NULL elements", what)));
}

/*
 * Fit, apply and check a scaler
 */
void
UsScaleFitApply(const UsCore *core, UsMatrix *m, UsScaleMethod method,
				double *center, double *scale)
{
	int64		cells = m->n * (int64) m->d;

	UsScaleFit(core, m, method, center, scale);
	for (int j = 0; j < m->d; j++)
	{
		if (!isfinite(center[j]) || !isfinite(scale[j]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("feature %d is too large to scale with method \"%s\"",
							j + 1, UsScaleMethodName(method)),
					 errdetail("Its %s overflows the range of float8.",
							   isfinite(center[j]) ? "spread" : "center"),
					 errhint("Rescale the column, or use scale => 'none'.")));
	}
	UsScaleApply(m, center, scale);
	for (int64 i = 0; i < cells; i++)
	{
		if (unlikely(!isfinite(m->x[i])))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("feature %d is too large to scale with method \"%s\"",
							(int) (i % m->d) + 1, UsScaleMethodName(method)),
					 errdetail("A scaled value overflows the range of float8."),
					 errhint("Rescale the column, or use scale => 'none'.")));
		if (i % (US_CHECK_EVERY * 64) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

/*
 * 22003 naming the widest column when squared distances summed over the rows of m
 * would overflow float8 (UsDistanceOverflowColumn)
 */
void
UsCheckDistanceRange(const UsMatrix *m, const char *fn)
{
	UsCore		core;
	int			col;

	UsCoreContextInit(&core);
	col = UsDistanceOverflowColumn(&core, m);
	if (col >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value out of range: overflow"),
				 errdetail("Feature %d spans too wide a range for %s: its squared distances summed over the rows overflow float8.",
						   col + 1, fn),
				 errhint("Scale the features, for example with scale => 'zscore'.")));
}

/*
 * Draw a random subset of indexes
 */
void
UsSampleIndexes(int64 *idx, int64 n, int64 m, int32 seed)
{
	pg_prng_state prng;

	pg_prng_seed(&prng, (uint64) (int64) seed);
	for (int64 i = 0; i < m && i < n; i++)
	{
		int64		j = (int64) pg_prng_uint64_range(&prng, (uint64) i, (uint64) (n - 1));
		int64		t = idx[i];

		idx[i] = idx[j];
		idx[j] = t;
	}
}

/*
 * Build a float8[] from doubles
 */
ArrayType *
UsDoublesToArray(const double *x, int d)
{
	Datum	   *elems = palloc(sizeof(Datum) * d);

	for (int j = 0; j < d; j++)
		elems[j] = Float8GetDatum(x[j]);
	return construct_array(elems, d, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
						   TYPALIGN_DOUBLE);
}

typedef struct UsWinSlot
{
	UsWinData  *data;
} UsWinSlot;

/*
 * Memory context of the current window partition
 *
 * Partition-local memory is allocated in the window node's partition context, which
 * is reset when the partition ends; allocations there live exactly as long.
 */
MemoryContext
UsWinPartitionContext(WindowObject winobj)
{
	UsWinSlot  *slot = (UsWinSlot *) WinGetPartitionLocalMemory(winobj, sizeof(UsWinSlot));

	/* after UsWinReadPartition: its run context, which holds the partition's budget */
	return GetMemoryChunkContext(slot->data ? (void *) slot->data : (void *) slot);
}


/*
 * The current row's value of window argument argno; 22004 naming it when NULL
 */
Datum
UsWinArgNotNull(WindowObject winobj, int argno, const char *name)
{
	bool		isnull;
	Datum		v = WinGetFuncArgCurrent(winobj, argno, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
	return v;
}

/*
 * A feature vector of a window row without a palloc'd copy, or NULL when it must be
 * detoasted (compressed or out of line).  A value of up to 126 bytes is stored with
 * a one-byte header, unaligned (a float8[] of up to 12 elements): it is copied to
 * the aligned buffer buf with a four-byte header, which is what detoasting it would
 * do, in a palloc'd chunk and a memory context reset per row.  A value with a
 * four-byte header is used where it is.
 */
typedef union UsShortArray
{
	ArrayType	a;
	double		align;
	char		bytes[VARHDRSZ + 128];
} UsShortArray;

static inline ArrayType *
WinVectorInPlace(Datum v, UsShortArray *buf)
{
	struct varlena *p = (struct varlena *) DatumGetPointer(v);

	if (VARATT_IS_SHORT(p))
	{
		Size		len = VARSIZE_SHORT(p) - VARHDRSZ_SHORT;

		SET_VARSIZE(buf, len + VARHDRSZ);
		memcpy(VARDATA(buf), VARDATA_SHORT(p), len);
		return &buf->a;
	}
	if (!VARATT_IS_EXTENDED(p))
		return (ArrayType *) p;
	return NULL;
}

/*
 * Read the current window partition once
 *
 * One pass over the partition: each argument is evaluated exactly once per row, so a
 * volatile argument cannot give the two reads different values.  The matrix is sized
 * for every row of the partition as soon as the first vector gives the dimension;
 * rows without features leave its tail unused.
 */
UsWinData *
UsWinReadPartition(WindowObject winobj, int feature_argno, int label_argno,
				   Size extra_size, bool *first_call)
{
	UsWinSlot  *slot = (UsWinSlot *) WinGetPartitionLocalMemory(winobj, sizeof(UsWinSlot));
	MemoryContext partcxt;
	MemoryContext oldcxt;
	MemoryContext rowcxt;
	UsWinData  *w;
	int64		nrows;
	int64		n = 0;
	int			d = -1;
	bool		isnull;
	bool		isout;
	UsShortArray shortcopy;

	if (slot->data != NULL)
	{
		if (first_call)
			*first_call = false;
		return slot->data;
	}
	if (first_call)
		*first_call = true;

	/*
	 * The partition's data and what the window function computes from it live in one
	 * run context below the partition's memory: one budget per partition, ended when
	 * the partition's memory is reset
	 */
	partcxt = UsRunContextStart(AllocSetContextCreate(GetMemoryChunkContext(slot),
													  "userseg window partition",
													  ALLOCSET_DEFAULT_SIZES));
	oldcxt = MemoryContextSwitchTo(partcxt);

	w = palloc0(MAXALIGN(sizeof(UsWinData)) + extra_size);
	nrows = WinGetPartitionRowCount(winobj);
	w->nrows = nrows;
	w->row_of = UsAllocChecked(sizeof(int64) * Max(nrows, 1), "the window partition");
	if (label_argno >= 0)
		w->labels = UsAllocChecked(sizeof(int32) * Max(nrows, 1),
								   "the window partition's labels");
	/* detoasted copies of the vectors live only as long as one row */
	rowcxt = AllocSetContextCreate(partcxt, "userseg partition row", ALLOCSET_SMALL_SIZES);

	for (int64 r = 0; r < nrows; r++)
	{
		Datum		v;
		int32		label = 0;
		ArrayType  *a;
		int			len;

		w->row_of[r] = -1;
		if (r % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
		MemoryContextReset(rowcxt);
		if (label_argno >= 0)
		{
			Datum		lv = WinGetFuncArgInPartition(winobj, label_argno, r,
													  WINDOW_SEEK_HEAD, false,
													  &isnull, &isout);

			if (isnull)
				continue;
			label = DatumGetInt32(lv);
		}
		v = WinGetFuncArgInPartition(winobj, feature_argno, r, WINDOW_SEEK_HEAD,
									 false, &isnull, &isout);
		if (isnull)
			continue;
		a = WinVectorInPlace(v, &shortcopy);
		if (a == NULL)
		{
			MemoryContextSwitchTo(rowcxt);
			a = DatumGetArrayTypeP(v);
			MemoryContextSwitchTo(partcxt);
		}
		len = UsVectorDims(a);
		if (d < 0)
		{
			d = len;
			w->m.x = UsAllocMatrix(nrows, d, "the window partition");
		}
		else if (len != d)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("feature vectors of one partition must have the same length"),
					 errdetail("Found vectors of %d and %d elements.", d, len)));
		if (!UsVectorToDoublesOrNull(a, d, w->m.x + n * d, "feature vector"))
			continue;
		if (label_argno >= 0)
			w->labels[n] = label;
		w->row_of[r] = n++;
	}

	w->m.n = n;
	w->m.d = Max(d, 0);
	if (n == 0)
		w->m.x = NULL;

	MemoryContextDelete(rowcxt);
	MemoryContextSwitchTo(oldcxt);
	slot->data = w;
	return w;
}

/*
 * Set up a materialized set result; returns the tuple store and its descriptor
 */
Tuplestorestate *
UsMaterializeResult(FunctionCallInfo fcinfo, TupleDesc *desc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext oldcxt;
	Tuplestorestate *store;
	TupleDesc	tupdesc;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type, please report a bug");

	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	tupdesc = CreateTupleDescCopy(tupdesc);
	store = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	rsinfo->setDesc = tupdesc;
	MemoryContextSwitchTo(oldcxt);
	*desc = tupdesc;
	return store;
}
