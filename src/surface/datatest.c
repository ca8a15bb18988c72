/*-------------------------------------------------------------------------
 *
 * datatest.c
 *	  Entry points of the data layer for the tests only.
 *
 * These C functions are in the module but not in the install script: a test binds
 * them with its own CREATE FUNCTION ... AS 'userseg', 'userseg_test_...' so that
 * internal APIs without a public SQL entry point yet can be exercised end to end.
 *
 *-------------------------------------------------------------------------
 */
#include "usdata.h"

#include <math.h>

#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(userseg_test_write_labels);
PG_FUNCTION_INFO_V1(userseg_test_read);

/*
 * userseg_test_write_labels(source regclass, features text[], label_column text,
 *							 nulls text) RETURNS bigint
 *
 * Read the features for labels, label each row with its first encoded column rounded
 * to an integer (so a test can tell whether every label reached its own row), write
 * the labels and return the rows updated.
 */
Datum
userseg_test_write_labels(PG_FUNCTION_ARGS)
{
	MemoryContext runcxt;
	MemoryContext oldcxt;
	UsReadOptions ro;
	UsRelData  *rel;
	int32	   *labels;
	int64		updated;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source, label_column and nulls must not be NULL")));

	runcxt = UsRunContextCreate("userseg test write labels");
	oldcxt = MemoryContextSwitchTo(runcxt);
	UsReadOptionsInit(&ro);
	ro.nulls = UsParseNullPolicy(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	ro.label_column = text_to_cstring(PG_GETARG_TEXT_PP(2));
	rel = UsRead(PG_GETARG_OID(0), PG_ARGISNULL(1) ? NULL : PG_GETARG_ARRAYTYPE_P(1), &ro);
	labels = palloc(sizeof(int32) * Max(rel->n, 1));
	for (int64 i = 0; i < rel->n; i++)
		labels[i] = rel->d > 0 ? (int32) rint(rel->x[i * rel->d]) : 0;
	updated = UsWriteLabels(rel, text_to_cstring(PG_GETARG_TEXT_PP(2)), labels);
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(runcxt);
	PG_RETURN_INT64(updated);
}

/*
 * userseg_test_read(source regclass, features text[], nulls text, drop_first boolean,
 *					 id_column text)
 *	 RETURNS TABLE(col int, source text, category text, imputed float8, first_row float8)
 *
 * Read the features with UsRead and return what the read records per encoded column:
 * its source column, category, the value a NULL became (nulls => 'impute'), and the
 * column's value in the first matrix row (the first row by id_column when given).
 */
Datum
userseg_test_read(PG_FUNCTION_ARGS)
{
	Tuplestorestate *store;
	TupleDesc	desc;
	MemoryContext runcxt;
	MemoryContext oldcxt;
	UsReadOptions ro;
	UsRelData  *rel;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source, nulls and drop_first must not be NULL")));

	store = UsMaterializeResult(fcinfo, &desc);
	runcxt = UsRunContextCreate("userseg test read");
	oldcxt = MemoryContextSwitchTo(runcxt);
	UsReadOptionsInit(&ro);
	ro.nulls = UsParseNullPolicy(text_to_cstring(PG_GETARG_TEXT_PP(2)));
	ro.drop_first = PG_GETARG_BOOL(3);
	ro.id_column = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	rel = UsRead(PG_GETARG_OID(0), PG_ARGISNULL(1) ? NULL : PG_GETARG_ARRAYTYPE_P(1), &ro);
	for (int j = 0; j < rel->d; j++)
	{
		Datum		values[5];
		bool		isnull[5] = {false, false, false, false, false};

		values[0] = Int32GetDatum(j + 1);
		values[1] = CStringGetTextDatum(rel->cols[j].source);
		isnull[2] = rel->cols[j].category == NULL;
		values[2] = isnull[2] ? (Datum) 0 : CStringGetTextDatum(rel->cols[j].category);
		isnull[3] = isnan(rel->imputed[j]);
		values[3] = Float8GetDatum(rel->imputed[j]);
		isnull[4] = rel->n == 0 || isnan(rel->x[j]);
		values[4] = isnull[4] ? (Datum) 0 : Float8GetDatum(rel->x[j]);
		tuplestore_putvalues(store, desc, values, isnull);
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(runcxt);
	return (Datum) 0;
}
