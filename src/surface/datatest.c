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
