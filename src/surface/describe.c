/*-------------------------------------------------------------------------
 *
 * describe.c
 *	  userseg_describe: what the data layer sees in a relation, one row per
 *	  encoded column, as pandas' describe() would show it.
 *
 * The relation is read with UsRead and US_NULLS_KEEP: every row counts,
 * numeric NULLs are NaN in the matrix and left out of the statistics, a NULL category
 * is 0 in every one-hot column (as pandas' get_dummies).  Statistics per column are
 * the core's column moments (moments_core.c: two passes, compensated, and computed
 * on the column times a power of two when its magnitude calls for it, so a mean is
 * always finite); the standard deviation is the sample one (ddof = 1, as pandas),
 * 22003 when it is out of the range of float8.  Time O(n d), memory the n x d matrix.
 *
 *-------------------------------------------------------------------------
 */
#include "usdata.h"

#include <math.h>

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(userseg_describe);

#define DESCRIBE_COLS 9

/* Column moments, minima and maxima of the matrix, NaN left out */
typedef struct DescribeStats
{
	UsMoments	mo;
	double	   *lo;
	double	   *hi;
} DescribeStats;

static void
DescribeCompute(const UsRelData *rel, DescribeStats *st)
{
	UsCore		core;
	UsMatrix	m = {rel->n, rel->d, rel->x};
	int			d = Max(rel->d, 1);

	UsCoreContextInit(&core);
	st->mo.count = UsAllocChecked(sizeof(int64) * d, "the statistics of each column");
	st->mo.mean = UsAllocChecked(sizeof(double) * d, "the statistics of each column");
	st->mo.m2 = UsAllocChecked(sizeof(double) * d, "the statistics of each column");
	st->mo.shift = UsAllocChecked(sizeof(int) * d, "the statistics of each column");
	st->lo = UsAllocChecked(sizeof(double) * d, "the statistics of each column");
	st->hi = UsAllocChecked(sizeof(double) * d, "the statistics of each column");
	if (rel->d == 0)
		return;
	UsColumnMoments(&core, &m, true, &st->mo);
	for (int j = 0; j < rel->d; j++)
	{
		st->lo[j] = INFINITY;
		st->hi[j] = -INFINITY;
	}
	for (int64 i = 0; i < rel->n; i++)
	{
		const double *x = rel->x + i * rel->d;

		for (int j = 0; j < rel->d; j++)
		{
			/* NaN compares false: left out */
			if (x[j] < st->lo[j])
				st->lo[j] = x[j];
			if (x[j] > st->hi[j])
				st->hi[j] = x[j];
		}
		if (i % (US_CHECK_EVERY * 16) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Mean, sample standard deviation, min and max of column j (of source column
 * name): 22003 when the standard deviation is out of the range of float8
 */
static void
ColumnStats(const DescribeStats *st, int j, const char *name, Datum *values, bool *isnull)
{
	int64		count = st->mo.count[j];
	double		sd;

	if (count == 0)
	{
		for (int c = 0; c < 4; c++)
			isnull[c] = true;
		return;
	}
	sd = count > 1 ? UsMomentsStddev(&st->mo, j, (double) (count - 1)) : 0.0;
	if (!isfinite(sd))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value out of range: overflow"),
				 errdetail("The standard deviation of column %s overflows the range of float8.",
						   name)));
	values[0] = Float8GetDatum(st->mo.mean[j]);
	isnull[0] = false;
	values[1] = Float8GetDatum(sd);
	isnull[1] = count < 2;
	values[2] = Float8GetDatum(st->lo[j]);
	isnull[2] = false;
	values[3] = Float8GetDatum(st->hi[j]);
	isnull[3] = false;
}

/*
 * userseg_describe(source regclass, features text[])
 *	 RETURNS TABLE(column_name, category, type, rows, nulls, mean, stddev, min, max)
 */
Datum
userseg_describe(PG_FUNCTION_ARGS)
{
	Tuplestorestate *store;
	TupleDesc	desc;
	MemoryContext runcxt;
	MemoryContext oldcxt;
	UsReadOptions ro;
	UsRelData  *rel;
	DescribeStats st;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source must not be NULL")));
	if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", PG_ARGISNULL(2) ? "max_categories" : "drop_first")));

	store = UsMaterializeResult(fcinfo, &desc);
	runcxt = UsRunContextCreate("userseg describe");
	oldcxt = MemoryContextSwitchTo(runcxt);

	UsReadOptionsInit(&ro);
	ro.nulls = US_NULLS_KEEP;
	ro.max_categories = PG_GETARG_INT32(2);
	ro.drop_first = PG_GETARG_BOOL(3);
	ro.caller = "userseg_describe";
	rel = UsRead(PG_GETARG_OID(0), PG_ARGISNULL(1) ? NULL : PG_GETARG_ARRAYTYPE_P(1), &ro);
	DescribeCompute(rel, &st);

	for (int f = 0; f < rel->nfeatures; f++)
	{
		const UsFeature *feat = &rel->features[f];
		Datum		values[DESCRIBE_COLS];
		bool		isnull[DESCRIBE_COLS];

		memset(isnull, 0, sizeof(isnull));
		values[0] = CStringGetTextDatum(feat->name);
		values[2] = CStringGetTextDatum(format_type_be(feat->typid));
		values[3] = Int64GetDatum(rel->nrows);
		values[4] = Int64GetDatum(rel->nulls[f]);

		/* a categorical column of only NULLs: one row, no category, no statistics */
		if (feat->ncols == 0)
		{
			isnull[1] = true;
			for (int c = 5; c < DESCRIBE_COLS; c++)
				isnull[c] = true;
			tuplestore_putvalues(store, desc, values, isnull);
			continue;
		}
		for (int c = 0; c < feat->ncols; c++)
		{
			int			j = feat->first + c;

			if (feat->onehot)
				values[1] = CStringGetTextDatum(rel->cols[j].category);
			isnull[1] = !feat->onehot;
			ColumnStats(&st, j, quote_identifier(feat->name), values + 5, isnull + 5);
			tuplestore_putvalues(store, desc, values, isnull);
		}
	}

	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(runcxt);
	return (Datum) 0;
}
