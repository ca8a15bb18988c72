/*-------------------------------------------------------------------------
 *
 * describe.c
 *	  userseg_describe: what the data layer sees in a relation, one row per
 *	  encoded column, as pandas' describe() would show it.
 *
 * The relation is read with UsRead and US_NULLS_KEEP: every row counts,
 * numeric NULLs are NaN in the matrix and left out of the statistics, a NULL category
 * is 0 in every one-hot column (as pandas' get_dummies).  Statistics per column are
 * two-pass (mean, then the sum of squared deviations), the standard deviation is the
 * sample one (ddof = 1, as pandas).  Time O(n d), memory the n x d matrix.
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

/*
 * Count, mean, sample standard deviation, min and max of column j, NaN left out
 */
static void
ColumnStats(const UsRelData *rel, int j, Datum *values, bool *isnull)
{
	int64		count = 0;
	double		sum = 0.0;
	double		ss = 0.0;
	double		mean;
	double		lo = INFINITY;
	double		hi = -INFINITY;

	for (int64 i = 0; i < rel->n; i++)
	{
		double		v = rel->x[i * rel->d + j];

		if (isnan(v))
			continue;
		count++;
		sum += v;
		lo = Min(lo, v);
		hi = Max(hi, v);
		if (i % (US_CHECK_EVERY * 16) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	if (count == 0)
	{
		for (int c = 0; c < 4; c++)
			isnull[c] = true;
		return;
	}
	mean = sum / (double) count;
	for (int64 i = 0; i < rel->n; i++)
	{
		double		v = rel->x[i * rel->d + j];

		if (!isnan(v))
			ss += (v - mean) * (v - mean);
	}
	values[0] = Float8GetDatum(mean);
	isnull[0] = false;
	values[1] = Float8GetDatum(count > 1 ? sqrt(ss / (double) (count - 1)) : 0.0);
	isnull[1] = count < 2;
	values[2] = Float8GetDatum(lo);
	isnull[2] = false;
	values[3] = Float8GetDatum(hi);
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
			ColumnStats(rel, j, values + 5, isnull + 5);
			tuplestore_putvalues(store, desc, values, isnull);
		}
	}

	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(runcxt);
	return (Datum) 0;
}
